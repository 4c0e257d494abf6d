/**
 * Shared fixtures of the tpcc tests: a tiny TPC-C-like database on one engine, loaded,
 * in a temp dir removed at teardown.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Test } from 'tap';

import { closeStore, DEFAULT_SPEC, type EngineKind, openStore, type Store } from '../../../../bench/workloads/stores.js';
import { tpcc, type TpccOps, tpccOps, type TpccParams } from '../../../../bench/workloads/tpcc/index.js';
import type { BoundWorkload } from '../../../../bench/workloads/types.js';

export const TINY: Partial<TpccParams> = { warehouses: 2, items: 200, customersPerDistrict: 30, ordersPerDistrict: 30 };

export interface Fixture {
  store: Store;
  params: TpccParams;
  bound: BoundWorkload;
  ops: TpccOps;
}

/** A loaded tiny database on `kind`; closed and removed when `t` ends. */
export function loaded(t: Test, kind: EngineKind, params: Partial<TpccParams> = TINY): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tpcc-${kind}-`));
  const store = openStore(dir, { ...DEFAULT_SPEC, kind, sync: 'off', poolPages: 1024 }, true);
  t.teardown(async () => {
    await closeStore(store);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const p = tpcc.params(params);
  const bound = tpcc.bind(store, p);
  bound.load(() => undefined);
  return { store, params: p, bound, ops: tpccOps(store) };
}

export const ENGINES: readonly EngineKind[] = ['remapdb', 'sqlite', 'lmdb'];
