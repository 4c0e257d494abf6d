/**
 * tpcc: the TPC-C-like workload (refs/workloads.md) for the bench harness. Nine tables,
 * the 45/43/4/4/4 mix of New-Order / Payment / Order-Status / Delivery / Stock-Level,
 * consistency checks C1–C10, C12 and the derived counts, on remapdb, SQLite and LMDB.
 *
 * The folder: schema.ts (rows, units), ops.ts (the data-access interface), remapdb.ts /
 * sqlite.ts / lmdb.ts (one implementation per engine), load.ts (the loader), random.ts and
 * inputs.ts (TPC-C's draws), txns.ts (the five transactions, written once), checks.ts.
 *
 * Invariants (besides types.ts's):
 *  1. The load is seeded LOAD_SEED (bind() takes no seed; every engine and every
 *     image gets the same rows), its NURand constants are stored in the database and the
 *     run's C_LAST is drawn against them from workerRng(seed, CONSTANTS_STREAM).
 *  2. Terminal i: home warehouse (i mod W) + 1, Stock-Level district (⌊i / W⌋ mod 10) + 1,
 *     draws from workerRng(seed, i); no keying or think time.
 *  3. Dates come from a clock owned by the bound workload: the load's timestamp + 1 s +
 *     one millisecond per transaction started; H_IDs continue from the highest stored.
 */

import { CONSTANTS_STREAM, workerRng } from '../rng.js';
import type { Store } from '../stores.js';
import type { BoundWorkload, CheckResult, LoadProgress, Terminal, TxType, Workload } from '../types.js';
import { runChecks } from './checks.js';
import { type DrawContext, drawCarrier, drawNewOrder, drawOrderStatus, drawPayment, drawThreshold } from './inputs.js';
import { LmdbTpcc } from './lmdb.js';
import { loadRowCount, loadTpcc } from './load.js';
import type { TpccOps } from './ops.js';
import { cumulativeWeights, pickByWeight, runConstants } from './random.js';
import { RemapdbTpcc } from './remapdb.js';
import { DISTRICTS_PER_WAREHOUSE, type TpccMeta, type TpccParams } from './schema.js';
import { SqliteTpcc } from './sqlite.js';
import { delivery, newOrder, orderStatus, payment, stockLevel, TpccRollback } from './txns.js';

export type { TpccParams } from './schema.js';
export type { TpccOps } from './ops.js';

/** The load's seed (see invariant 1). */
export const LOAD_SEED = 1;

export const TPCC_TX_TYPES: readonly TxType[] = [
  { name: 'new-order', weight: 45 },
  { name: 'payment', weight: 43 },
  { name: 'order-status', weight: 4 },
  { name: 'delivery', weight: 4 },
  { name: 'stock-level', weight: 4 },
];
export const TX_NEW_ORDER = 0;
export const TX_PAYMENT = 1;
export const TX_ORDER_STATUS = 2;
export const TX_DELIVERY = 3;
export const TX_STOCK_LEVEL = 4;

const LIMITS: Record<keyof TpccParams, [number, number]> = {
  warehouses: [1, 100],
  items: [1, 100_000],
  customersPerDistrict: [1, 3000],
  ordersPerDistrict: [1, 3000],
};

const DEFAULTS: TpccParams = { warehouses: 1, items: 100_000, customersPerDistrict: 3000, ordersPerDistrict: 3000 };

export function tpccParams(input: Partial<TpccParams>): TpccParams {
  const p: TpccParams = { ...DEFAULTS };
  for (const key of Object.keys(LIMITS) as (keyof TpccParams)[]) {
    const v = input[key] ?? DEFAULTS[key];
    const [lo, hi] = LIMITS[key];
    if (!(Number.isInteger(v) && v >= lo && v <= hi)) {
      throw new RangeError(`tpcc ${key} = ${String(v)} is out of range: an integer in ${lo}..${hi}`);
    }
    p[key] = v;
  }
  return p;
}

/** The TpccOps of an opened store. */
export function tpccOps(store: Store): TpccOps {
  switch (store.kind) {
    case 'remapdb': return new RemapdbTpcc(store.db);
    case 'sqlite': return new SqliteTpcc(store.db);
    case 'lmdb': return new LmdbTpcc(store.env, store.flusher);
  }
}

/** Run-wide state the terminals share: the clock and the next H_ID. */
interface RunState {
  tick: number;
  nextHId: number;
  readonly baseMs: number;
}

class TpccTerminal implements Terminal {
  rolledBack = false;
  /** The type step() last chose, set before it runs (types.ts: the harness attributes a throw to it). */
  lastType = 0;
  readonly #ops: TpccOps;
  readonly #x: DrawContext;
  readonly #run: RunState;
  readonly #wId: number;
  readonly #slDistrict: number;
  readonly #cumulative = cumulativeWeights(TPCC_TX_TYPES.map((t) => t.weight));

  constructor(ops: TpccOps, x: DrawContext, run: RunState, wId: number, slDistrict: number) {
    this.#ops = ops;
    this.#x = x;
    this.#run = run;
    this.#wId = wId;
    this.#slDistrict = slDistrict;
  }

  #now(): number {
    return this.#run.baseMs + this.#run.tick++;
  }

  step(): number {
    const ops = this.#ops;
    const x = this.#x;
    const w = this.#wId;
    this.rolledBack = false;
    const type = pickByWeight(this.#cumulative, x.rng.int(1, 100));
    this.lastType = type;
    switch (type) {
      case TX_NEW_ORDER: {
        const input = drawNewOrder(x, w);
        const now = this.#now();
        try {
          ops.tx(() => newOrder(ops, input, now));
        } catch (err) {
          if (!(err instanceof TpccRollback)) throw err;
          this.rolledBack = true;
        }
        break;
      }
      case TX_PAYMENT: {
        const p = drawPayment(x, w);
        const now = this.#now();
        const hId = this.#run.nextHId++;
        ops.tx(() => payment(ops, { wId: w, ...p, hId }, now));
        break;
      }
      case TX_ORDER_STATUS: {
        const o = drawOrderStatus(x);
        ops.tx(() => orderStatus(ops, w, o.dId, o.customer));
        break;
      }
      case TX_DELIVERY: {
        const carrier = drawCarrier(x);
        const now = this.#now();
        ops.tx(() => delivery(ops, w, carrier, now));
        break;
      }
      default: {
        const threshold = drawThreshold(x);
        ops.tx(() => stockLevel(ops, w, this.#slDistrict, threshold));
      }
    }
    return type;
  }
}

class BoundTpcc implements BoundWorkload {
  readonly #ops: TpccOps;
  readonly #p: TpccParams;
  #run: RunState | null = null;

  constructor(store: Store, p: TpccParams) {
    this.#ops = tpccOps(store);
    this.#p = p;
  }

  get ops(): TpccOps {
    return this.#ops;
  }

  load(progress: LoadProgress): void {
    loadTpcc(this.#ops, this.#p, LOAD_SEED, progress);
  }

  #meta(): TpccMeta {
    const meta = this.#ops.readMeta();
    if (meta === undefined) throw new Error('tpcc: the database has no TPC-C load (no meta record): load it first');
    const m = meta.params;
    const p = this.#p;
    if (m.warehouses !== p.warehouses || m.items !== p.items || m.customersPerDistrict !== p.customersPerDistrict ||
      m.ordersPerDistrict !== p.ordersPerDistrict) {
      throw new Error(`tpcc: the database was loaded with ${JSON.stringify(m)}, not ${JSON.stringify(p)}`);
    }
    return meta;
  }

  terminals(count: number, seed: number): Terminal[] {
    const meta = this.#meta();
    const c = runConstants(workerRng(seed, CONSTANTS_STREAM), meta.cLast);
    this.#run ??= { tick: 0, nextHId: this.#ops.maxHistoryId() + 1, baseMs: meta.loadTimeMs + 1000 };
    const W = this.#p.warehouses;
    const out: Terminal[] = [];
    for (let i = 0; i < count; i++) {
      const x: DrawContext = { rng: workerRng(seed, i), params: this.#p, c };
      out.push(new TpccTerminal(this.#ops, x, this.#run, (i % W) + 1, (Math.floor(i / W) % DISTRICTS_PER_WAREHOUSE) + 1));
    }
    return out;
  }

  check(committed?: Readonly<Record<string, number>>): CheckResult[] {
    return runChecks(this.#ops, this.#p, committed);
  }

  counters(): Record<string, number> {
    let sumNextOId = 0;
    this.#ops.scanDistricts((d) => {
      sumNextOId += d.nextOId - 1;
    });
    const n = this.#ops.counts();
    return { sumNextOId, orders: n.orders, newOrders: n.newOrders, history: n.history, orderLines: n.orderLines };
  }
}

export const tpcc: Workload<TpccParams> = {
  name: 'tpcc',
  title: 'TPC-C-like (New-Order / Payment / Order-Status / Delivery / Stock-Level)',
  txTypes: TPCC_TX_TYPES,
  params: tpccParams,
  loadRows: loadRowCount,
  bind: (store: Store, params: TpccParams): BoundWorkload => new BoundTpcc(store, params),
};
