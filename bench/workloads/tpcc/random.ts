/**
 * TPC-C's draws beyond rng.ts: last names from syllables (clause 4.3.2.3), the run-time
 * NURand constants (clause 2.1.6.1), the ⌈n/2⌉ customer of a last-name lookup (clause
 * 2.5.2.2) and the transaction mix.
 *
 * Invariants:
 *  1. lastName(n) for n in 0..999 is the three syllables of n's decimal digits.
 *  2. runConstants() returns a C_LAST with |C_run − C_load| in [65, 119] and not 96 or
 *     112, and C_ID / OL_I_ID in [0, A], all drawn from the Rng it is given.
 */

import type { Rng } from '../rng.js';

export const SYLLABLES = ['BAR', 'OUGHT', 'ABLE', 'PRI', 'PRES', 'ESE', 'ANTI', 'CALLY', 'ATION', 'EING'] as const;

/** NURand's A for each draw (clause 2.1.6). */
export const A_C_LAST = 255;
export const A_C_ID = 1023;
export const A_OL_I_ID = 8191;

/** The customer last name for number n in 0..999. */
export function lastName(n: number): string {
  if (!(Number.isInteger(n) && n >= 0 && n <= 999)) throw new RangeError(`last-name number ${n} is outside 0..999`);
  return (SYLLABLES[Math.floor(n / 100)] as string) + (SYLLABLES[Math.floor(n / 10) % 10] as string) + (SYLLABLES[n % 10] as string);
}

/** Whether C_run is allowed against C_load for C_LAST (clause 2.1.6.1). */
export function cLastDeltaOk(cRun: number, cLoad: number): boolean {
  const delta = Math.abs(cRun - cLoad);
  return delta >= 65 && delta <= 119 && delta !== 96 && delta !== 112;
}

export interface NurandConstants {
  cLast: number;
  cId: number;
  olIId: number;
}

/** Load constants: each uniform in [0, A]. */
export function loadConstants(rng: Rng): NurandConstants {
  return { cLast: rng.int(0, A_C_LAST), cId: rng.int(0, A_C_ID), olIId: rng.int(0, A_OL_I_ID) };
}

/**
 * Run constants against the load's C_LAST: redraw C_LAST until the delta rule holds (about
 * a fifth of draws qualify, so this ends within a few dozen draws; bounded at 10000).
 */
export function runConstants(rng: Rng, cLastLoad: number): NurandConstants {
  for (let i = 0; i < 10_000; i++) {
    const cLast = rng.int(0, A_C_LAST);
    if (cLastDeltaOk(cLast, cLastLoad)) return { cLast, cId: rng.int(0, A_C_ID), olIId: rng.int(0, A_OL_I_ID) };
  }
  throw new Error(`no C_LAST run constant found for load constant ${cLastLoad} in 10000 draws`);
}

/** The 0-based index of the customer chosen among n matches sorted by C_FIRST: position ⌈n/2⌉. */
export function byNameIndex(n: number): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`a last-name lookup needs at least one match, got ${n}`);
  return Math.ceil(n / 2) - 1;
}

/** The index of the type whose cumulative weight first reaches r (r in 1..Σweights). */
export function pickByWeight(cumulative: readonly number[], r: number): number {
  for (let i = 0; i < cumulative.length; i++) if (r <= (cumulative[i] as number)) return i;
  return cumulative.length - 1;
}

/** Cumulative sums of weights. */
export function cumulativeWeights(weights: readonly number[]): number[] {
  const out: number[] = [];
  let s = 0;
  for (const w of weights) out.push((s += w));
  return out;
}
