/**
 * The YCSB-like core workloads A–F (refs/workloads.md): `ycsbA` … `ycsbF` (names
 * 'ycsb-a' … 'ycsb-f') and `ycsb` by letter. Each binds to any Store, choosing the
 * engine's YcsbAccess (remapdb.ts, sqlite.ts, lmdb.ts) under the one op logic of
 * logic.ts. Tx types are the mix's ops ('read', 'update', 'insert', 'scan', 'rmw').
 *
 * A bound workload's terminals share one access and one insert counter (starting at
 * recordCount; after a run on a loaded database it starts from the row count, so
 * inserted keynums continue where the table ends).
 */

import type { Store } from '../stores.js';
import { workerRng } from '../rng.js';
import type { BoundWorkload, Workload } from '../types.js';
import type { YcsbAccess } from './access.js';
import type { InsertCounter } from './generators.js';
import { LmdbYcsb } from './lmdb.js';
import { checkYcsb, loadYcsb, ycsbCounters, YcsbTerminal } from './logic.js';
import { MIXES, type YcsbLetter, type YcsbParams, ycsbParams } from './params.js';
import { RemapdbYcsb } from './remapdb.js';
import { SqliteYcsb } from './sqlite.js';

export type { YcsbAccess } from './access.js';
export { USERTABLE } from './access.js';
export * from './generators.js';
export { fnv64Decimal, fnv64Mod, keyName } from './keys.js';
export { checkYcsb, LOAD_BATCH_ROWS, type YcsbStepInfo, YcsbTerminal } from './logic.js';
export * from './params.js';
export { IntegrityError, type RecordData, ValueBuilder } from './values.js';

export function ycsbAccess(store: Store, p: YcsbParams): YcsbAccess {
  switch (store.kind) {
    case 'remapdb': return new RemapdbYcsb(store.db, p.fieldLength);
    case 'sqlite': return new SqliteYcsb(store.db, p.fieldCount, p.fieldLength);
    case 'lmdb': return new LmdbYcsb(store.env, store.flusher, p.fieldCount, p.fieldLength);
  }
}

/** A bound YCSB-like workload, its access and insert counter exposed for tests. */
export interface BoundYcsb extends BoundWorkload {
  readonly access: YcsbAccess;
  readonly counter: InsertCounter;
  terminals(count: number, seed: number): YcsbTerminal[];
}

export interface YcsbWorkload extends Workload<YcsbParams> {
  bind(store: Store, params: YcsbParams): BoundYcsb;
}

function ycsbWorkload(letter: YcsbLetter): YcsbWorkload {
  const mix = MIXES[letter];
  return {
    name: `ycsb-${letter}`,
    title: mix.title,
    txTypes: mix.ops,
    params: ycsbParams,
    loadRows: (p) => p.recordCount,
    bind(store: Store, params: YcsbParams): BoundYcsb {
      const access = ycsbAccess(store, params);
      const counter: InsertCounter = { next: params.recordCount };
      let started = false;
      return {
        access,
        counter,
        load: (progress) => loadYcsb(access, params, progress),
        terminals(count: number, seed: number): YcsbTerminal[] {
          if (!started) {
            // Continue after the rows already there (a loaded image may have had inserts).
            counter.next = Math.max(counter.next, access.rowCount());
            started = true;
          }
          const out: YcsbTerminal[] = [];
          for (let i = 0; i < count; i++) out.push(new YcsbTerminal(access, params, mix, workerRng(seed, i), counter));
          return out;
        },
        check: (committed) => checkYcsb(access, params, committed),
        counters: () => ycsbCounters(access),
      };
    },
  };
}

export const ycsbA = ycsbWorkload('a');
export const ycsbB = ycsbWorkload('b');
export const ycsbC = ycsbWorkload('c');
export const ycsbD = ycsbWorkload('d');
export const ycsbE = ycsbWorkload('e');
export const ycsbF = ycsbWorkload('f');

export const ycsb: Readonly<Record<YcsbLetter, YcsbWorkload>> = { a: ycsbA, b: ycsbB, c: ycsbC, d: ycsbD, e: ycsbE, f: ycsbF };
