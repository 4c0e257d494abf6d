/**
 * The simulator's workload on one open database: key-value transactions checked against
 * the model as they run (read-your-writes, insert/update/delete outcomes), TPC-B-like
 * transactions, explicit rollbacks and savepoints that roll back, reads and scans
 * compared with the model.
 *
 * Protocol with the runner (run.ts): an operation either returns the Commit it got
 * acknowledged (or null: nothing committed), or throws. `attempt` names the commit that
 * was being made when the engine was asked to commit it, so the runner can treat it as
 * "in flight" when the throw left the database failed or the machine dead; it is null
 * while a transaction's body runs (a body that throws never reaches the log).
 * A wrong answer from the engine throws SimFailure (a bug, never a fault's outcome).
 */

import type { Database, Table } from '../../storage/index.js';
import { DB_CODES } from '../../storage/index.js';
import type { Rng } from '../../bench/workloads/rng.js';
import type { Store } from '../../bench/workloads/stores.js';
import { DEFAULT_SPEC } from '../../bench/workloads/stores.js';
import { type BoundTpcb, drawTpcb, tpcb, type TpcbParams, type TpcbStep, tpcbTransaction } from '../../bench/workloads/tpcb/index.js';
import type { SimConfig } from './config.js';
import { type Commit, type KvOp, KvState, type SimModel } from './model.js';

export const KV_TABLE = 'kv';

/** Codes the model predicts: one that comes when the model says otherwise is a wrong answer, never a fault's. */
const MODEL_CODES: ReadonlySet<string> = new Set([DB_CODES.DUPLICATE, DB_CODES.NOT_FOUND]);

/** The engine gave a wrong answer: an engine bug. */
export class SimFailure extends Error {}

/** Thrown by a transaction body to roll it back on purpose. */
class Rollback extends Error {}

export function tpcbParamsOf(c: SimConfig): TpcbParams {
  return tpcb.params({ scale: 1, accountsPerBranch: Math.max(1, c.tpcbAccounts) });
}

/** TPC-B-like workload bound to `db` (the simulator's Store). */
export function bindTpcb(db: Database, c: SimConfig): BoundTpcb {
  const store: Store = {
    kind: 'remapdb', dir: db.dir, db,
    spec: {
      ...DEFAULT_SPEC, kind: 'remapdb', sync: c.sync, strategy: c.strategy, personality: c.personality, poolPages: c.poolPages,
      mlock: c.mlock,
    },
  };
  return tpcb.bind(store, tpcbParamsOf(c));
}

/** The kv table and TPC-B figures as the database holds them. */
export function readState(db: Database, w: BoundTpcb | null): KvState {
  const rows = new Map<number, string>();
  if (db.tables().includes(KV_TABLE)) for (const r of db.table<string>(KV_TABLE).range()) rows.set(r.key as number, r.value);
  const s = new KvState(rows);
  if (w !== null) {
    s.tpcbRows = w.access.rowCount('history');
    s.tpcbSum = w.access.sumHistoryDelta();
  }
  return s;
}

function show(v: string | null | undefined): string {
  return v === null || v === undefined ? 'absent' : `"${v.slice(0, 16)}…" (${v.length} chars)`;
}

export class SimWorkload {
  readonly db: Database;
  readonly tpcb: BoundTpcb | null;
  /** The commit being made when the engine was last asked to commit (see the header). */
  attempt: Commit | null = null;
  rollbacks = 0;
  readonly #rng: Rng;
  readonly #cfg: SimConfig;
  readonly #model: SimModel;
  readonly #tb: Table<string>;
  readonly #tpcbParams: TpcbParams;
  readonly #tpcbStep: TpcbStep = { aid: 0, bid: 0, tid: 0, delta: 0, mtimeUs: 0, abalance: 0 };
  readonly #tpcbRun: (() => void) | null;
  /** Serial number in every value written, so a stale version never passes for a new one. */
  #serial: number;

  constructor(db: Database, rng: Rng, cfg: SimConfig, model: SimModel, serial: number) {
    this.db = db;
    this.#rng = rng;
    this.#cfg = cfg;
    this.#model = model;
    this.#serial = serial;
    this.#tb = db.table<string>(KV_TABLE);
    this.#tpcbParams = tpcbParamsOf(cfg);
    this.tpcb = cfg.tpcbAccounts > 0 ? bindTpcb(db, cfg) : null;
    const w = this.tpcb;
    const step = this.#tpcbStep;
    this.#tpcbRun = w === null ? null : w.access.transaction(() => {
      step.abalance = tpcbTransaction(w.access, step);
      this.attempt = { ops: [], tpcbDelta: step.delta };
    });
  }

  get serial(): number {
    return this.#serial;
  }

  #key(): number {
    return this.#rng.int(0, this.#cfg.keys - 1);
  }

  /** A fresh value: empty, small, a few hundred bytes, or larger than a page (overflow chain). */
  #value(): string {
    const r = this.#rng.float();
    const len = r < 0.07 ? this.#rng.int(4500, 14000) : r < 0.2 ? this.#rng.int(300, 1800) : r < 0.27 ? 0 : this.#rng.int(1, 120);
    if (len === 0) return '';
    const tag = `${this.#serial++}:`;
    return tag + String.fromCharCode(97 + (this.#serial % 26)).repeat(Math.max(0, len - tag.length));
  }

  /**
   * One transaction of 1-6 operations (puts, inserts, updates, deletes, reads of its own
   * writes), sometimes with a savepoint that rolls back, sometimes rolled back whole.
   */
  kvTransaction(): Commit | null {
    const rng = this.#rng;
    const live = this.#model.live.rows;
    const overlay = new Map<number, string | null>();
    const ops: KvOp[] = [];
    const current = (k: number): string | undefined => {
      const o = overlay.get(k);
      return o === null ? undefined : o ?? live.get(k);
    };
    const one = (): void => {
      const k = this.#key();
      const r = rng.float();
      const had = current(k);
      if (r < 0.4) {
        const v = this.#value();
        const inserted = this.#tb.upsert(k, v);
        if (inserted !== (had === undefined)) {
          throw new SimFailure(`upsert(${k}) returned inserted=${String(inserted)}, the model had ${show(had)}`);
        }
        overlay.set(k, v);
        ops.push({ key: k, value: v });
      } else if (r < 0.5) {
        const v = this.#value();
        const code = codeOf(() => this.#tb.insert(k, v));
        this.#expectCode(code, had === undefined ? null : DB_CODES.DUPLICATE, `insert(${k}) with the model holding ${show(had)}`);
        if (had === undefined) {
          overlay.set(k, v);
          ops.push({ key: k, value: v });
        }
      } else if (r < 0.6) {
        const v = this.#value();
        const code = codeOf(() => this.#tb.update(k, v));
        this.#expectCode(code, had === undefined ? DB_CODES.NOT_FOUND : null, `update(${k}) with the model holding ${show(had)}`);
        if (had !== undefined) {
          overlay.set(k, v);
          ops.push({ key: k, value: v });
        }
      } else if (r < 0.8) {
        const existed = this.#tb.delete(k);
        if (existed !== (had !== undefined)) throw new SimFailure(`delete(${k}) returned ${String(existed)}, the model had ${show(had)}`);
        if (had !== undefined) {
          overlay.set(k, null);
          ops.push({ key: k, value: null });
        }
      } else {
        const got = this.#tb.get(k);
        if (got !== had) throw new SimFailure(`get(${k}) inside a transaction returned ${show(got)}, expected ${show(had)}`);
      }
    };
    const n = rng.int(1, 6);
    const savepointAt = rng.float() < 0.15 ? rng.int(0, n - 1) : -1;
    const abort = rng.float() < 0.1;
    this.attempt = null;
    try {
      this.db.transaction(() => {
        for (let i = 0; i < n; i++) {
          if (i === savepointAt) this.#savepoint(one, overlay, ops);
          else one();
        }
        if (abort) throw new Rollback('explicit rollback');
        this.attempt = { ops: [...ops], tpcbDelta: null };
      })();
    } catch (err) {
      if (!(err instanceof Rollback)) throw err; // `attempt` says whether the commit was being made
      this.attempt = null;
      this.rollbacks++;
      return null;
    }
    const c = this.attempt as Commit | null;
    this.attempt = null;
    return c !== null && c.ops.length === 0 ? null : c;
  }

  /** A nested transaction that makes 1-3 changes and throws: they roll back, the outer ones stay. */
  #savepoint(one: () => void, overlay: Map<number, string | null>, ops: KvOp[]): void {
    const saved = new Map(overlay);
    const opsBefore = ops.length;
    try {
      this.db.transaction(() => {
        for (let i = this.#rng.int(1, 3); i > 0; i--) one();
        throw new Rollback('savepoint rollback');
      })();
    } catch (err) {
      if (!(err instanceof Rollback)) throw err;
      overlay.clear();
      for (const [k, v] of saved) overlay.set(k, v);
      ops.length = opsBefore;
      this.rollbacks++;
    }
  }

  #expectCode(code: string, want: string | null, what: string): void {
    if (code === (want ?? 'no error')) return;
    if (code.startsWith('uncoded') || code === 'no error' || MODEL_CODES.has(code)) {
      throw new SimFailure(`${what}: expected ${want ?? 'success'}, got ${code}`);
    }
    // Another coded error (an injected fault's): the runner judges it.
    throw Object.assign(new Error(`${what}: ${code}`), { code });
  }

  /** One change outside a transaction (autocommit). */
  autocommit(): Commit | null {
    const k = this.#key();
    const had = this.#model.live.rows.get(k);
    if (this.#rng.float() < 0.7) {
      const v = this.#value();
      this.attempt = { ops: [{ key: k, value: v }], tpcbDelta: null };
      const inserted = this.#tb.upsert(k, v);
      if (inserted !== (had === undefined)) {
        throw new SimFailure(`autocommit upsert(${k}) returned inserted=${String(inserted)}, the model had ${show(had)}`);
      }
    } else {
      this.attempt = had === undefined ? null : { ops: [{ key: k, value: null }], tpcbDelta: null };
      const existed = this.#tb.delete(k);
      if (existed !== (had !== undefined)) {
        throw new SimFailure(`autocommit delete(${k}) returned ${String(existed)}, the model had ${show(had)}`);
      }
    }
    const c = this.attempt;
    this.attempt = null;
    return c;
  }

  /** One TPC-B-like transaction (pgbench's script), its draws from the simulator's Rng. */
  tpcbTransaction(): Commit | null {
    if (this.#tpcbRun === null) return null;
    drawTpcb(this.#rng, this.#tpcbParams, this.#tpcbStep);
    this.#tpcbStep.mtimeUs = this.#serial++;
    this.attempt = null;
    this.#tpcbRun();
    const c = this.attempt;
    this.attempt = null;
    return c;
  }

  /** Reads of a few keys, or (scan) every row, against the model. */
  readCheck(scan: boolean): void {
    const live = this.#model.live;
    if (scan) {
      const got = readState(this.db, this.tpcb);
      if (!live.sameAs(got)) throw new SimFailure(`a scan differs from the model: ${live.describeDifference(got)}`);
      if (this.tpcb !== null) this.tpcbCheck(live.tpcbRows);
      return;
    }
    for (let i = this.#rng.int(1, 8); i > 0; i--) {
      const k = this.#key();
      const got = this.#tb.get(k);
      const want = live.rows.get(k);
      if (got !== want) throw new SimFailure(`get(${k}) returned ${show(got)}, the model holds ${show(want)}`);
    }
  }

  /** TPC-B's consistency checks with `rows` committed transactions. */
  tpcbCheck(rows: number): void {
    if (this.tpcb === null) return;
    const bad = this.tpcb.check({ tpcb: rows }).filter((c) => !c.ok);
    if (bad.length > 0) throw new SimFailure(`TPC-B checks fail: ${bad.map((c) => `${c.id}: ${c.detail}`).join('; ')}`);
  }
}

/** The code of what fn throws: 'no error', the string code, or 'uncoded: message'. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SimFailure) throw err;
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? code : `uncoded: ${(err as Error).message}`;
  }
  return 'no error';
}
