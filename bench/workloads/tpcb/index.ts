/**
 * The TPC-B-like workload (pgbench's default script and scale; refs/workloads.md):
 * `tpcb` binds to any Store, choosing the engine's TpcbAccess (remapdb.ts, sqlite.ts,
 * lmdb.ts) under the one transaction logic of logic.ts.
 *
 * One transaction type, 'tpcb' (weight 100). A bound workload shares among its terminals
 * one engine access (so remapdb/LMDB's history counter is one) and one mtime clock.
 */

import type { Store } from '../stores.js';
import { workerRng } from '../rng.js';
import type { BoundWorkload, TxType, Workload } from '../types.js';
import type { TpcbAccess } from './access.js';
import { LmdbTpcb } from './lmdb.js';
import { checkTpcb, loadTpcb, MTIME_EPOCH_US, type TpcbClock, TpcbTerminal, tpcbCounters } from './logic.js';
import { type TpcbParams, tpcbLoadRows, tpcbParams } from './params.js';
import { RemapdbTpcb } from './remapdb.js';
import { SqliteTpcb } from './sqlite.js';

export type { TpcbAccess } from './access.js';
export { drawTpcb, LOAD_BATCH_ROWS, MTIME_EPOCH_US, type TpcbStep, TpcbTerminal, tpcbTransaction } from './logic.js';
export * from './params.js';

const TX_TYPES: readonly TxType[] = [{ name: 'tpcb', weight: 100 }];

/** The engine's data access for `store`. */
export function tpcbAccess(store: Store): TpcbAccess {
  switch (store.kind) {
    case 'remapdb': return new RemapdbTpcb(store.db);
    case 'sqlite': return new SqliteTpcb(store.db);
    case 'lmdb': return new LmdbTpcb(store.env, store.flusher);
  }
}

/** A bound TPC-B-like workload, with its access exposed for tests. */
export interface BoundTpcb extends BoundWorkload {
  readonly access: TpcbAccess;
  terminals(count: number, seed: number): TpcbTerminal[];
}

export interface TpcbWorkload extends Workload<TpcbParams> {
  bind(store: Store, params: TpcbParams): BoundTpcb;
}

export const tpcb: TpcbWorkload = {
  name: 'tpcb',
  title: 'TPC-B-like (pgbench default script)',
  txTypes: TX_TYPES,
  params: tpcbParams,
  loadRows: tpcbLoadRows,
  bind(store: Store, params: TpcbParams): BoundTpcb {
    const access = tpcbAccess(store);
    const clock: TpcbClock = { nowUs: MTIME_EPOCH_US };
    return {
      access,
      load: (progress) => loadTpcb(access, params, progress),
      terminals(count: number, seed: number): TpcbTerminal[] {
        const out: TpcbTerminal[] = [];
        for (let i = 0; i < count; i++) out.push(new TpcbTerminal(access, params, workerRng(seed, i), clock));
        return out;
      },
      check: (committed) => checkTpcb(access, params, committed),
      counters: () => tpcbCounters(access),
    };
  },
};

