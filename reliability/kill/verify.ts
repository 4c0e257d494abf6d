/**
 * The verdict on one round: what recovery kept (a Snapshot, workload.ts) against what
 * the round and the rounds before it established. A pure function, so the test can
 * plant a loss and see it counted.
 *
 * What is known committed after round r:
 *   - rows 1..prevMax: the previous round's verification found them (acknowledged then,
 *     or the in-flight transaction that recovery kept — committed either way);
 *   - rows start..lastAck: acknowledged in this round.
 * The checks:
 *   lost     known-committed keys that are missing now
 *   gaps     keys missing below the largest present (the present keys are not 1..max)
 *   partial  the accumulator disagrees with the rows (count, or sum of keys): a
 *            transaction recovered in part
 *   values   a row whose value is not valueOf(key)
 *   phantom  a row past the last transaction the child could have been committing
 *            (at most one is in flight: the child acknowledges each before the next)
 *   start    the child, recovering the same bytes, must have found rows 1..prevMax
 *   engine   the engine's own checks (remapdb checkInvariants and integrityReport,
 *            SQLite integrity_check)
 */

import type { Snapshot } from './workload.js';

export interface RoundFacts {
  /** Rows 1..prevMax were present after the previous round's recovery (0 at first). */
  prevMax: number;
  /** The child's first key this round; null when it died before opening finished. */
  start: number | null;
  /** The last key acknowledged this round; null or start - 1 when none. */
  lastAck: number | null;
}

export interface Verdict {
  /** Largest key present (0 when none). */
  max: number;
  rows: number;
  lost: number;
  gaps: number;
  /** 1 when the accumulator disagrees with the rows. */
  partial: number;
  /** The transaction in flight at the kill was found committed. */
  inFlightKept: boolean;
  /** Engine checks that failed, wrong values, a phantom row, a wrong start: one line each. */
  problems: string[];
}

export function verifyRound(snap: Snapshot, facts: RoundFacts): Verdict {
  const problems: string[] = [];
  const present = new Set<number>();
  let prev = 0;
  let sum = 0;
  for (const k of snap.keys) {
    if (!Number.isSafeInteger(k) || k < 1) problems.push(`row key ${String(k)} is not a key the workload writes`);
    else if (k <= prev) problems.push(`row keys out of order or repeated: ${k} after ${prev}`);
    else {
      present.add(k);
      sum += k;
      prev = k;
    }
  }
  const max = prev;
  const gaps = max - present.size;

  const { prevMax, start } = facts;
  const lastAck = facts.lastAck ?? (start === null ? prevMax : start - 1);
  let lost = 0;
  for (let k = 1; k <= prevMax; k++) if (!present.has(k)) lost++;
  if (start !== null) for (let k = Math.max(start, prevMax + 1); k <= lastAck; k++) if (!present.has(k)) lost++;

  const acc = snap.acc ?? { count: 0, sum: 0 };
  const partial = acc.count !== present.size || acc.sum !== sum ? 1 : 0;
  const detail = (ks: number[]): string => `${ks.slice(0, 5).join(', ')}${ks.length > 5 ? `, … (${ks.length})` : ''}`;
  if (partial === 1) {
    problems.push(`partial transaction: the accumulator says ${acc.count} rows summing to ${acc.sum}, ` +
      `the table holds ${present.size} summing to ${sum}`);
  }
  if (snap.badValues.length > 0) problems.push(`rows with a wrong value: ${detail(snap.badValues)}`);
  const attempted = start === null ? prevMax : Math.max(prevMax, lastAck + 1);
  if (max > attempted) problems.push(`row ${max} is past the last transaction the child could have begun (${attempted})`);
  if (start !== null && start !== prevMax + 1) {
    problems.push(`the child's recovery found rows up to ${start - 1}; this harness's recovery of the previous kill found ${prevMax}`);
  }
  for (const p of snap.engineProblems) problems.push(`engine check: ${p}`);
  return { max, rows: present.size, lost, gaps, partial, inFlightKept: start !== null && max === lastAck + 1, problems };
}
