/**
 * The fault sweep's workload and machine (SQLite's way: make every I/O fail in turn);
 * run.ts runs and checks it, lib.ts loops over the faults. Shared by
 * test/reliability/fault-sweep.test.ts (a strided sweep within a test's budget) and
 * reliability/fault-sweep/main.ts (every I/O, both sync modes).
 *
 * One run: copy a small base database (made once, fault-free) into a fresh directory;
 * open it on a new small machine whose FaultInjector is armed with failNth(kind, n,
 * outcome); play the steps — transactions of upserts and deletes (one value overflows a
 * page), a secondary index, a manual checkpoint, automatic checkpoints (small
 * checkpointBytes), a close — and stop at the first error. The error must carry a string
 * `code`; after a failed write or sync the handle must refuse the next transaction with
 * REMAPDB_FAILED (sticky, storage/database.ts). The machine is then abandoned (power
 * failure) and the directory reopened on a fault-free machine, where:
 *   sync 'full':   the state is exactly the acknowledged steps, or those plus the one in
 *                  flight (absent or whole, never partial);
 *   sync 'normal': the state is some prefix of the steps, at least up to the last step
 *                  known durable (a checkpoint, the index's creation, a close);
 * and every check of integrityReport() (page checksums included) and checkInvariants()
 * passes, and the database closes cleanly.
 *
 * The machine is small (RAM_KIB) so that every kind of I/O happens: reclaim writes
 * dirty page-cache pages back between checkpoints and, for the pread strategy, swaps the
 * pool's anonymous frames out and in; a 16-page pool evicts and misses.
 */

import * as fs from 'node:fs';

import { Kernel, type KernelConfigInput, mulberry32 } from '../../sim-kernel/index.js';
import type { IoKind, IoOutcome } from '../../sim-kernel/index.js';
import type { SyncMode } from '../../storage/index.js';
import { open, type OpenOptions, STRATEGY_NAMES, type StrategyName } from '../../src/index.js';

export const STRATEGIES: readonly StrategyName[] = STRATEGY_NAMES;
export type Strategy = StrategyName;
export type FaultOutcome = Exclude<IoOutcome, 'ok'>;

/** The outcomes that apply to each kind of I/O (faults.ts: torn and short are write-only). */
export const OUTCOMES: Record<IoKind, readonly FaultOutcome[]> = {
  read: ['EIO'],
  write: ['EIO', 'ENOSPC', 'short', 'torn'],
  fsync: ['EIO'],
  swapRead: ['EIO'],
  swapWrite: ['EIO'],
};
export const KINDS: readonly IoKind[] = ['read', 'write', 'fsync', 'swapRead', 'swapWrite'];

/**
 * RAM per strategy: small enough that reclaim runs during the workload, not so small that
 * it thrashes (every refault is one more I/O to sweep; the system is chaotic: ±8 KiB can
 * double the reads). With seed 20261126: nonlinear (its 16 window pages mlocked) and
 * multi-mmap at 320 KiB, where reclaim takes page-cache pages — multi-mmap's mapped pool
 * pages too, written back dirty by reclaim — and they are read again; pread at 392 KiB,
 * where its anonymous frames swap out and in (18 each way). At 320 KiB pread thrashes
 * (2,300 reads, 300 swap-ins); from 408 KiB no strategy feels anything. 1 MiB of swap.
 */
export const RAM_KIB: Readonly<Record<Strategy, number>> = { nonlinear: 320, 'multi-mmap': 320, pread: 392 };
const SWAP_BYTES = 1024 * 1024;
/** The smallest pool there is, under a 29-page database: about 100 evictions in the workload. */
const POOL_PAGES = 16;
/** Shadow frames bound a transaction's pages; the index's creation changes about 10. */
const SHADOW_PAGES = 24;
/**
 * Three automatic checkpoints in the workload, besides the manual one (24 KiB before the
 * WAL logged each page whole at its first change after a checkpoint: that made one after
 * nearly every transaction, and the sweep no longer reached a log with several commits).
 */
const CHECKPOINT_BYTES = 96 * 1024;

export const TABLE = 'kv';
export const INDEX = 'by_g';
/** Values of the indexed field g. */
export const GROUPS = 8;
const KEYS = 560;
const BASE_ROWS = 400;
const BASE_BATCH_ROWS = 40;
const STEPS = 36;
const INDEX_AT = 9;
const CHECKPOINT_AT = 20;
/** The transaction that writes a value larger than a page (overflow pages), and the one that drops it. */
const BIG_AT = 4;
const BIG_GONE_AT = 27;
const BIG_KEY = 7;
const BIG_BYTES = 9000;
/** The key the sticky check's probe transaction writes (outside the workload's keys). */
export const PROBE_KEY = 1_000_000;

export interface Value {
  g: number;
  s: string;
}
type Op = { kind: 'put'; key: number; value: Value } | { kind: 'del'; key: number };
export type Step = { kind: 'txn'; ops: Op[] } | { kind: 'index' } | { kind: 'checkpoint' } | { kind: 'close' };

/** What the database holds after some steps: rows (value as JSON) and whether the index exists. */
export interface State {
  rows: Map<number, string>;
  index: boolean;
}

export interface Workload {
  seed: number;
  base: [number, Value][];
  steps: Step[];
}


export function makeWorkload(seed: number): Workload {
  const rnd = mulberry32(seed); // the workload is a function of the seed alone
  const value = (tag: string, bytes: number): Value => ({ g: Math.floor(rnd() * GROUPS), s: tag.padEnd(bytes, 'x') });
  const base: [number, Value][] = [];
  for (let i = 0; i < BASE_ROWS; i++) base.push([Math.floor((i * KEYS) / BASE_ROWS), value(`base${i}`, 40 + Math.floor(rnd() * 80))]);
  const steps: Step[] = [];
  for (let i = 0; i < STEPS - 1; i++) {
    if (i === INDEX_AT) steps.push({ kind: 'index' });
    else if (i === CHECKPOINT_AT) steps.push({ kind: 'checkpoint' });
    else {
      const ops: Op[] = [];
      const n = 1 + Math.floor(rnd() * 6);
      for (let j = 0; j < n; j++) {
        const key = Math.floor(rnd() * KEYS);
        if (key === BIG_KEY) continue;
        if (rnd() < 0.25) ops.push({ kind: 'del', key });
        else ops.push({ kind: 'put', key, value: value(`${i}.${j}:`, 20 + Math.floor(rnd() * 200)) });
      }
      if (i === BIG_AT) ops.push({ kind: 'put', key: BIG_KEY, value: value(`big${i}`, BIG_BYTES) });
      if (i === BIG_GONE_AT) ops.push({ kind: 'del', key: BIG_KEY });
      steps.push({ kind: 'txn', ops });
    }
  }
  steps.push({ kind: 'close' });
  return { seed, base, steps };
}

export function baseState(w: Workload): State {
  return { rows: new Map(w.base.map(([k, v]) => [k, JSON.stringify(v)])), index: false };
}

export function applyStep(s: State, step: Step): State {
  if (step.kind === 'index') return { rows: s.rows, index: true };
  if (step.kind !== 'txn') return s;
  const rows = new Map(s.rows);
  for (const op of step.ops) {
    if (op.kind === 'put') rows.set(op.key, JSON.stringify(op.value));
    else rows.delete(op.key);
  }
  return { rows, index: s.index };
}

/** The state `s` with the probe transaction's row (run.ts). */
export function withProbe(s: State): State {
  const rows = new Map(s.rows);
  rows.set(PROBE_KEY, JSON.stringify(probeValue()));
  return { rows, index: s.index };
}

export function probeValue(): Value {
  return { g: 0, s: 'probe' };
}

export function kernelConfig(seed: number, strategy: Strategy): KernelConfigInput {
  // volatileDiskCache: a power cut keeps, drops or tears each host write no fsync covered (run.ts endingOf).
  return { ramBytes: RAM_KIB[strategy] * 1024, swapBytes: SWAP_BYTES, seed: seed >>> 0, volatileDiskCache: true };
}

export function openOptions(kernel: Kernel, strategy: Strategy, sync: SyncMode): OpenOptions {
  return {
    kernel, strategy, sync, poolPages: POOL_PAGES, shadowPages: SHADOW_PAGES, checkpointBytes: CHECKPOINT_BYTES,
    checkDeclaredWrites: true,
  };
}

/** Make the base database in `dir` (no faults, closed cleanly): the table and its first rows. */
export function createBase(dir: string, w: Workload): void {
  const kernel = new Kernel(kernelConfig(w.seed, 'pread'));
  const db = open(dir, openOptions(kernel, 'pread', 'full'));
  try {
    const tb = db.createTable<Value>(TABLE, { key: ['int'], value: 'json' });
    // In batches: a transaction's changed pages must fit the pool (no-steal).
    for (let i = 0; i < w.base.length; i += BASE_BATCH_ROWS) {
      db.transaction(() => {
        for (const [k, v] of w.base.slice(i, i + BASE_BATCH_ROWS)) tb.upsert(k, v);
      })();
    }
    db.close();
  } finally {
    if (!db.closed) db.simulatePowerFailure();
    kernel.shutdown({ sync: false });
  }
}

/** Copy the base directory (closed: no lock is held) into a fresh `dir`. */
export function copyBase(baseDir: string, dir: string): void {
  fs.cpSync(baseDir, dir, { recursive: true });
}
