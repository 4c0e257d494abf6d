/**
 * What the simulator does to a machine besides running the workload: arm an injected
 * fault or a power cut a few I/Os ahead (sim-kernel/inject/io-faults.ts failNth / powerCutAt), and
 * press on its memory — a second process sweeping anonymous memory (so reclaim writes
 * back page cache and swaps), or simulated time passing (so pdflush writes back what
 * expired).
 *
 * Invariant: each function draws from the Rng in a fixed order, so a seed replays.
 */

import { type Kernel, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, type Process } from '../../sim-kernel/index.js';
import type { Rng } from '../../bench/workloads/rng.js';
import { pick } from './config.js';
import { bump } from './report.js';

const PAGE_BYTES = 4096;

/** Fail the n-th (1-12) next read, write or fsync: EIO, or for a write also torn, short or ENOSPC. Returns what it armed. */
export function armFault(rng: Rng, k: Kernel, armed: Record<string, number>): string {
  const kind = pick(rng, ['read', 'write', 'write', 'fsync'] as const);
  const outcome = kind === 'write' ? pick(rng, ['EIO', 'torn', 'short', 'ENOSPC'] as const) : 'EIO';
  const n = rng.int(1, 12);
  k.core.faults.failNth(kind, n, outcome);
  bump(armed, `${kind} ${outcome}`);
  return `arm ${outcome} at ${kind} #${n}`;
}

/** Cut the power at the n-th (1-25) next host write (torn or not) or fsync. Returns what it armed. */
export function armPowerCut(rng: Rng, k: Kernel, armed: Record<string, number>): string {
  const kind = rng.float() < 0.6 ? 'write' : 'fsync';
  const torn = kind === 'write' && rng.float() < 0.5;
  const n = rng.int(1, 25);
  k.core.faults.powerCutAt(kind, n, torn);
  bump(armed, `powerCut ${kind}${torn ? ' torn' : ''}`);
  return `arm a power cut at ${kind} #${n}${torn ? ' (torn)' : ''}`;
}

/** A second process on the machine with `pages` of anonymous memory to sweep. */
export class Hog {
  readonly #proc: Process;
  readonly #addr: number;
  readonly #pages: number;

  constructor(k: Kernel, pages: number) {
    this.#proc = k.spawn();
    this.#pages = pages;
    this.#addr = this.#proc.mmap(0, pages * PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }

  /** Touch a run of 16..all pages from a random one (wrapping): reclaim takes page cache and swaps. */
  sweep(rng: Rng): void {
    const pages = this.#pages;
    const start = rng.int(0, pages - 1);
    for (let i = 0, n = rng.int(16, pages); i < n; i++) this.#proc.store8(this.#addr + ((start + i) % pages) * PAGE_BYTES, i & 0xff);
  }
}

/**
 * Memory pressure on `k`: with no hog pages (or 30 % of the time) 1-40 s of simulated
 * time pass; else the machine's hog (made on first use by `hog()`) sweeps.
 */
export function pressMemory(rng: Rng, k: Kernel, hogPages: number, hog: () => Hog): void {
  if (hogPages === 0 || rng.float() < 0.3) {
    k.advance(rng.int(1, 40) * 1e9); // pdflush writes back what expired
    return;
  }
  hog().sweep(rng);
}
