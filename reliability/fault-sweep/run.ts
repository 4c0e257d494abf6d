/**
 * One run of the fault sweep (workload.ts has the workload): play it on a copy of
 * the base with one fault armed, stop at the first error, check the handle (coded error,
 * sticky refusal, whole pool and machine), end the machine — a process crash or a power
 * cut (FaultCase.ending) —; then reopen the directory on a fault-free machine and check
 * what survived (verifyRecovery).
 */

import { Kernel } from '../../sim-kernel/index.js';
import type { IoKind } from '../../sim-kernel/index.js';
import { DB_CODES, type Database, type Table } from '../../storage/index.js';
import type { SyncMode } from '../../storage/index.js';
import { open } from '../../src/index.js';
import {
  applyStep, baseState, type FaultOutcome, GROUPS, INDEX, kernelConfig, openOptions, PROBE_KEY, probeValue, type State,
  type Step, type Strategy, TABLE, type Value, withProbe, type Workload,
} from './workload.js';

export interface FaultCase {
  kind: IoKind;
  outcome: FaultOutcome;
  /** 1-based: the n-th I/O of `kind` from the machine's start fails. */
  n: number;
  /**
   * How the machine ends after the error (default endingOf(n)): 'kill', a process crash —
   * every acknowledged step must survive, at every sync level; 'power', a power cut
   * through the disk's volatile cache — unsynced host writes kept, lost or torn.
   */
  ending?: 'kill' | 'power';
}

/** The ending of the n-th case: kills and power cuts alternate, so every kind × outcome meets both. */
export function endingOf(f: FaultCase): 'kill' | 'power' {
  return f.ending ?? (f.n % 2 === 0 ? 'power' : 'kill');
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

/** An error for a problem report: name, message and the top of its stack. */
function describe(err: unknown): string {
  const e = err as Error;
  const stack = e?.stack === undefined ? '' : `\n${e.stack.split('\n').slice(1, 6).join('\n')}`;
  return `${e?.name ?? 'value'}: ${e?.message ?? String(err)}${stack}`;
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
    if (db !== null && !db.closed) db.simulatePowerFailure(() => undefined);
    if (fault !== null && endingOf(fault) === 'power') kernel.powerCut((w.seed ^ Math.imul(fault.n, 0x9e3779b1)) >>> 0);
    else kernel.shutdown({ sync: false });
  }
  // A process crash keeps every acknowledged step, whatever the sync level.
  if (fault === null || endingOf(fault) === 'kill') r.durable = r.acked.length - 1;
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

