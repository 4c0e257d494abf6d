/**
 * Fault injection for host-file and swap I/O, seeded and deterministic.
 *
 * Two ways to inject: rates from config (each I/O of a kind fails with that probability,
 * drawn from the kernel's seeded PRNG), and a plan set by a test (`failNth`: fail the
 * n-th I/O of a kind, counting from 1 — SQLite-style sweeps fail the 1st, 2nd, ... in
 * turn). Outcomes:
 *   EIO    — the operation fails; nothing is transferred.
 *   ENOSPC — a write fails for lack of space (also once `enospcAfterBytes` is used up).
 *   torn   — a write transfers only a prefix of the page, then fails with EIO (a device
 *            that lost power or failed mid-write).
 *   short  — a write transfers in two pieces (the kernel's loop finishes it): harmless,
 *            but exercises the partial-write path.
 */

import type { Prng } from '../prng.js';

export type IoKind = 'read' | 'write' | 'fsync' | 'swapRead' | 'swapWrite';
export type IoOutcome = 'ok' | 'EIO' | 'ENOSPC' | 'torn' | 'short';
export const IO_KINDS: readonly IoKind[] = ['read', 'write', 'fsync', 'swapRead', 'swapWrite'];

export interface FaultConfig {
  readEioRate: number;
  writeEioRate: number;
  fsyncEioRate: number;
  swapReadEioRate: number;
  swapWriteEioRate: number;
  tornWriteRate: number;
  shortWriteRate: number;
  /** Host-file bytes that can still be written before every write fails ENOSPC; -1 = no limit. */
  enospcAfterBytes: number;
}

export const DEFAULT_FAULTS: FaultConfig = {
  readEioRate: 0,
  writeEioRate: 0,
  fsyncEioRate: 0,
  swapReadEioRate: 0,
  swapWriteEioRate: 0,
  tornWriteRate: 0,
  shortWriteRate: 0,
  enospcAfterBytes: -1,
};

export class FaultInjector {
  readonly config: FaultConfig;
  readonly #prng: Prng;
  /** I/O operations seen, by kind. */
  readonly seen: Record<IoKind, number> = { read: 0, write: 0, fsync: 0, swapRead: 0, swapWrite: 0 };
  /** Faults injected, by outcome. */
  readonly injected: Record<Exclude<IoOutcome, 'ok'>, number> = { EIO: 0, ENOSPC: 0, torn: 0, short: 0 };
  readonly #plan = new Map<string, Exclude<IoOutcome, 'ok'>>();
  #bytesWritten = 0;
  #powerCutAt: string | null = null;
  #powerCutTorn = false;
  #dead = false;

  constructor(config: FaultConfig, prng: Prng) {
    this.config = config;
    this.#prng = prng;
  }

  /** Make the n-th (1-based, counted from now on the `seen` counter) I/O of `kind` end with `outcome`. */
  failNth(kind: IoKind, n: number, outcome: Exclude<IoOutcome, 'ok'> = 'EIO'): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`failNth: n must be an integer >= 1, got ${n}`);
    this.#plan.set(`${kind}:${this.seen[kind] + n}`, outcome);
  }

  clearPlan(): void {
    this.#plan.clear();
    this.#powerCutAt = null;
  }

  /**
   * Cut the power at the n-th (1-based, from now) host I/O of `kind`: that I/O fails (a
   * write may leave a torn prefix) and every later host I/O fails with EIO — the device is
   * gone. A crash test then abandons the Kernel (its page cache is lost) and reopens the
   * files on a new one: the files hold exactly what reached them before the cut.
   */
  powerCutAt(kind: 'write' | 'fsync', n: number, torn = false): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`powerCutAt: n must be an integer >= 1, got ${n}`);
    this.#powerCutAt = `${kind}:${this.seen[kind] + n}`;
    this.#powerCutTorn = torn;
  }

  /** The power was cut: no host I/O succeeds any more. */
  get dead(): boolean {
    return this.#dead;
  }

  get active(): boolean {
    const c = this.config;
    return this.#plan.size > 0 || this.#powerCutAt !== null || this.#dead || c.readEioRate > 0 || c.writeEioRate > 0 || c.fsyncEioRate > 0 || c.swapReadEioRate > 0 ||
      c.swapWriteEioRate > 0 || c.tornWriteRate > 0 || c.shortWriteRate > 0 || c.enospcAfterBytes >= 0;
  }

  /** Decide the outcome of the next I/O of `kind` moving `bytes` bytes. */
  decide(kind: IoKind, bytes: number): IoOutcome {
    const n = ++this.seen[kind];
    if (this.#dead) return 'EIO';
    // Keys are built only when a plan is armed: every commit's WAL write passes here.
    if (this.#powerCutAt !== null && this.#powerCutAt === `${kind}:${n}`) {
      this.#dead = true;
      this.#powerCutAt = null;
      return this.#count(kind === 'write' && this.#powerCutTorn ? 'torn' : 'EIO');
    }
    const planned = this.#plan.size === 0 ? undefined : this.#plan.get(`${kind}:${n}`);
    if (planned !== undefined) {
      this.#plan.delete(`${kind}:${n}`);
      return this.#count(planned);
    }
    const c = this.config;
    if (kind === 'write') {
      if (c.enospcAfterBytes >= 0 && this.#bytesWritten + bytes > c.enospcAfterBytes) return this.#count('ENOSPC');
      if (c.tornWriteRate > 0 && this.#prng.next() < c.tornWriteRate) return this.#count('torn');
      if (c.writeEioRate > 0 && this.#prng.next() < c.writeEioRate) return this.#count('EIO');
      this.#bytesWritten += bytes;
      if (c.shortWriteRate > 0 && this.#prng.next() < c.shortWriteRate) return this.#count('short');
      return 'ok';
    }
    const rate = kind === 'read' ? c.readEioRate : kind === 'fsync' ? c.fsyncEioRate
      : kind === 'swapRead' ? c.swapReadEioRate : c.swapWriteEioRate;
    if (rate > 0 && this.#prng.next() < rate) return this.#count('EIO');
    return 'ok';
  }

  /** Length of the prefix a torn write leaves: at least 1 byte, less than the whole. */
  tornLength(len: number): number {
    return len <= 1 ? 0 : 1 + Math.floor(this.#prng.next() * (len - 1));
  }

  #count(o: Exclude<IoOutcome, 'ok'>): IoOutcome {
    this.injected[o]++;
    return o;
  }
}
