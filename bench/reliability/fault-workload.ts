/**
 * The fault sweep's workload, run and check (SQLite's way: make every I/O fail in turn).
 * Shared by test/storage/fault-sweep.test.ts (a strided sweep within a test's budget) and
 * bench/reliability/fault-sweep.ts (every I/O, both sync modes).
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
import * as path from 'node:path';

import { Kernel, type KernelConfigInput } from '../../sim-kernel/index.js';
import type { IoKind, IoOutcome } from '../../sim-kernel/faults.js';
import { DB_CODES, type Database, type Table } from '../../storage/index.js';
import type { SyncMode } from '../../storage/wal.js';
import { open, type OpenOptions } from '../../src/db.js';

export const STRATEGIES = ['nonlinear', 'multi-mmap', 'pread'] as const;
export type Strategy = (typeof STRATEGIES)[number];
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
 * it thrashes (every refault is one more I/O to sweep). With seed 20261126: nonlinear
 * (16 mlocked window pages) and multi-mmap at 320 KiB, where reclaim takes page-cache
 * pages — multi-mmap's mapped pool pages too, written back dirty by reclaim — and they
 * are read again; pread at 400 KiB, where its anonymous frames swap out and in. At 320
 * KiB pread thrashes (2,300 reads, 300 swap-ins); at 400 KiB the mapped strategies feel
 * nothing. 1 MiB of swap: 255 slots.
 */
export const RAM_KIB: Record<Strategy, number> = {
  nonlinear: Number(process.env['XRAMN'] ?? 320), 'multi-mmap': Number(process.env['XRAMM'] ?? 320), pread: Number(process.env['XRAMP'] ?? 400),
};
const SWAP_BYTES = 1024 * 1024;
/** The smallest pool there is, under a 29-page database: about 100 evictions in the workload. */
const POOL_PAGES = 16;
/** The index's creation changes ~10 pages in one transaction (shadow frames bound a transaction). */
const SHADOW_PAGES = 24;
/** A few automatic checkpoints in the workload, besides the manual one. */
const CHECKPOINT_BYTES = Number(process.env['XCKPT'] ?? 32) * 1024;

const TABLE = 'kv';
const INDEX = 'by_g';
/** Values of the indexed field g. */
const GROUPS = 8;
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
const PROBE_KEY = 1_000_000;

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

/** mulberry32 (test/sim-kernel/helpers.ts): the workload is a function of the seed alone. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeWorkload(seed: number): Workload {
  const rnd = prng(seed);
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

function withProbe(s: State): State {
  const rows = new Map(s.rows);
  rows.set(PROBE_KEY, JSON.stringify(probeValue()));
  return { rows, index: s.index };
}

function probeValue(): Value {
  return { g: 0, s: 'probe' };
}

export function kernelConfig(seed: number, strategy: Strategy): KernelConfigInput {
  return { ramBytes: RAM_KIB[strategy] * 1024, swapBytes: SWAP_BYTES, seed: seed >>> 0 };
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

export interface FaultCase {
  kind: IoKind;
  outcome: FaultOutcome;
  /** 1-based: the n-th I/O of `kind` from the machine's start fails. */
  n: number;
}

export interface RunResult {
  /** 'ok', or the code of the error that ended the workload ('uncoded' if it had none: a failure). */
  ending: string;
  error: unknown;
  /** States of the acknowledged steps in order (the base first). */
  acked: State[];
  /** Index in `acked` of the last state known durable. */
  durable: number;
  /** The state with the step in flight at the error applied, or null. */
  inflight: State | null;
  /** What happened to the probe transaction after the error. */
  probe: 'none' | 'refused' | 'closed' | 'acked' | 'error';
  /** Contract violations seen during the run (an uncoded error, a refusal that is not sticky). */
  problems: string[];
  seen: Record<IoKind, number>;
  injected: number;
}

function errCode(err: unknown): string | null {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' && c.length > 0 ? c : null;
}

function describe(err: unknown): string {
  const e = err as Error;
  return `${e?.name ?? 'value'}: ${e?.message ?? String(err)}${e?.stack === undefined ? '' : `\n${e.stack.split('\n').slice(1, 6).join('\n')}`}`;
}

/**
 * Play the workload on a copy of the base in `dir` with `fault` armed (null: the dry
 * run), stop at the first error, check the handle's refusal, then abandon the machine.
 */
export function runWorkload(dir: string, w: Workload, strategy: Strategy, sync: SyncMode, fault: FaultCase | null): RunResult {
  const kernel = new Kernel(kernelConfig(w.seed, strategy));
  if (fault !== null) kernel.core.faults.failNth(fault.kind, fault.n, fault.outcome);
  let state = baseState(w);
  const r: RunResult = {
    ending: 'ok', error: null, acked: [state], durable: 0, inflight: null, probe: 'none', problems: [],
    seen: kernel.core.faults.seen, injected: 0,
  };
  let db: Database | null = null;
  try {
    db = open(dir, openOptions(kernel, strategy, sync));
    const d = db;
    const tb = d.table<Value>(TABLE);
    for (const step of w.steps) {
      const next = applyStep(state, step);
      r.inflight = next;
      const checkpoints = sync === 'full' ? 0 : d.stats().checkpoints;
      playStep(d, tb, step);
      r.inflight = null;
      state = next;
      r.acked.push(state);
      // Known durable: what sync 'full' acknowledges; in 'normal', what a checkpoint (manual,
      // or automatic after this commit), a schema change (its WAL flush) or a close made so.
      if (sync === 'full' || step.kind !== 'txn' || d.stats().checkpoints > checkpoints) r.durable = r.acked.length - 1;
    }
  } catch (err) {
    r.error = err;
    r.ending = errCode(err) ?? 'uncoded';
    if (r.ending === 'uncoded') r.problems.push(`uncoded error: ${describe(err)}`);
    if (db !== null) probe(db, r, state);
    if (db !== null && !db.closed) {
      // The handle outlives the error. If it still takes changes (after a read error, say),
      // every layer must hold together; if it refuses them, its schema may lag what was
      // logged (it is reopened to recover), but the pool and the machine must still be
      // whole: no leaked pin, shadow frame or kernel page.
      try {
        if (db.failed === null) db.checkInvariants();
        else {
          db.pool.checkInvariants();
          db.kernel.checkInvariants();
        }
      } catch (e) {
        r.problems.push(`invariants of the handle after ${r.ending}: ${describe(e)}`);
      }
    }
  } finally {
    if (db !== null && !db.closed) db.simulatePowerFailure();
    kernel.shutdown({ sync: false });
  }
  const f = kernel.core.faults;
  r.seen = { ...f.seen };
  r.injected = f.injected.EIO + f.injected.ENOSPC + f.injected.torn + f.injected.short;
  return r;
}

function playStep(db: Database, tb: Table<Value>, step: Step): void {
  switch (step.kind) {
    case 'txn':
      db.transaction(() => {
        for (const op of step.ops) {
          if (op.kind === 'put') tb.upsert(op.key, op.value);
          else tb.delete(op.key);
        }
      })();
      return;
    case 'index':
      db.createIndex(TABLE, INDEX, { fields: ['g'] });
      return;
    case 'checkpoint':
      db.checkpoint();
      return;
    case 'close':
      db.close();
  }
}

/**
 * After the error: one more transaction on the same handle. A failed write or sync makes
 * the database refuse it (REMAPDB_FAILED, sticky); a closed handle refuses it as closed;
 * otherwise (a failed read, say) it may commit, and then it is acknowledged like any
 * other — and the failed transaction, rolled back, must be absent.
 */
function probe(db: Database, r: RunResult, state: State): void {
  if (r.ending === DB_CODES.FAILED && db.failed === null && !db.closed) {
    r.problems.push(`${DB_CODES.FAILED} was thrown but db.failed is null: the handle does not know it failed`);
  }
  const failed = db.failed !== null || r.ending === DB_CODES.FAILED;
  let err: unknown = null;
  try {
    db.transaction(() => db.table<Value>(TABLE).upsert(PROBE_KEY, probeValue()))();
  } catch (e) {
    err = e;
  }
  const code = err === null ? null : errCode(err);
  if (db.closed && !failed) {
    r.probe = code === DB_CODES.CLOSED ? 'closed' : 'error';
    if (code !== DB_CODES.CLOSED) r.problems.push(`probe on a closed handle ended ${code ?? describe(err)}, not ${DB_CODES.CLOSED}`);
  } else if (failed) {
    const want = db.closed ? [DB_CODES.CLOSED, DB_CODES.FAILED] : [DB_CODES.FAILED];
    r.probe = code === DB_CODES.CLOSED ? 'closed' : 'refused';
    if (code === null || !(want as string[]).includes(code)) {
      r.probe = err === null ? 'acked' : 'error';
      r.problems.push(`after ${r.ending} the next transaction ${err === null ? 'committed' : `ended ${code ?? describe(err)}`}, ` +
        `not ${want.join(' or ')}: the failure is not sticky`);
    }
  } else if (err === null) {
    r.probe = 'acked';
    r.inflight = null;
    r.acked.push(withProbe(state));
    if (db.options.sync === 'full') r.durable = r.acked.length - 1;
  } else {
    r.probe = 'error';
    if (code === null) r.problems.push(`probe: uncoded error: ${describe(err)}`);
  }
}

function sameState(rows: Map<number, string>, index: boolean, s: State): boolean {
  if (index !== s.index || rows.size !== s.rows.size) return false;
  for (const [k, v] of s.rows) if (rows.get(k) !== v) return false;
  return true;
}

/**
 * Reopen `dir` on a new, fault-free machine and check it against the run: returns the
 * problems found (none: the run passed).
 */
export function verifyRecovery(dir: string, w: Workload, strategy: Strategy, sync: SyncMode, r: RunResult): string[] {
  const kernel = new Kernel(kernelConfig(w.seed, strategy));
  let db: Database;
  try {
    db = open(dir, openOptions(kernel, strategy, sync));
  } catch (err) {
    kernel.shutdown({ sync: false });
    return [`reopen failed: ${errCode(err) ?? 'uncoded'}: ${describe(err)}`];
  }
  const problems: string[] = [];
  try {
    const tb = db.table<Value>(TABLE);
    const rows = new Map<number, string>();
    for (const row of tb.range()) rows.set(row.key as number, JSON.stringify(row.value));
    const ix = tb.indexes.find((i) => i.name === INDEX);
    const accept = r.acked.slice(r.durable);
    if (r.inflight !== null) accept.push(r.inflight);
    if (!accept.some((s) => sameState(rows, ix !== undefined, s))) {
      const last = r.acked[r.acked.length - 1] as State;
      problems.push(`recovered ${rows.size} rows (index ${ix === undefined ? 'absent' : 'present'}); acknowledged ` +
        `${r.acked.length - 1} steps (${last.rows.size} rows), durable ${r.durable}` +
        `${r.inflight === null ? '' : `, in flight ${r.inflight.rows.size} rows`}: not an acceptable state${firstDiff(rows, last)}`);
    }
    if (ix !== undefined) {
      const byGroup: number[][] = Array.from({ length: GROUPS }, () => []);
      for (const row of tb.range()) byGroup[(row.value as Value).g]?.push(row.key as number);
      for (let g = 0; g < GROUPS; g++) {
        const got = ix.find([g]).map((row) => row.key as number).sort((a, b) => a - b);
        const want = (byGroup[g] as number[]).sort((a, b) => a - b);
        if (got.join() !== want.join()) problems.push(`index ${INDEX} g=${g}: keys [${got.join()}], table [${want.join()}]`);
      }
    }
    for (const c of db.integrityReport().checks) if (!c.ok) problems.push(`integrity: ${c.id}: ${c.detail}`);
    try {
      db.checkInvariants();
    } catch (err) {
      problems.push(`invariants: ${describe(err)}`);
    }
    db.close();
  } catch (err) {
    problems.push(`after reopen: ${errCode(err) ?? 'uncoded'}: ${describe(err)}`);
  } finally {
    if (!db.closed) db.simulatePowerFailure();
    kernel.shutdown({ sync: false });
  }
  return problems;
}

function firstDiff(rows: Map<number, string>, s: State): string {
  for (const [k, v] of s.rows) {
    if (rows.get(k) !== v) return ` (key ${k}: ${rows.has(k) ? 'differs' : 'missing'})`;
  }
  for (const k of rows.keys()) if (!s.rows.has(k)) return ` (key ${k}: unexpected)`;
  return '';
}

