/**
 * The workloads the harness can run, by name: tpcc, tpcb, ycsb-a … ycsb-f.
 */

import { tpcb } from '../workloads/tpcb/index.js';
import { tpcc } from '../workloads/tpcc/index.js';
import type { Workload } from '../workloads/types.js';
import { ycsb } from '../workloads/ycsb/index.js';

// Each workload validates its own params; the harness hands them over as parsed.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyWorkload = Workload<any>;

export const WORKLOADS: Readonly<Record<string, AnyWorkload>> = {
  tpcc, tpcb,
  'ycsb-a': ycsb.a, 'ycsb-b': ycsb.b, 'ycsb-c': ycsb.c, 'ycsb-d': ycsb.d, 'ycsb-e': ycsb.e, 'ycsb-f': ycsb.f,
};

export const WORKLOAD_NAMES: readonly string[] = Object.keys(WORKLOADS);

export function workloadByName(name: string): AnyWorkload {
  const w = WORKLOADS[name];
  if (w === undefined) throw new RangeError(`unknown workload "${name}": one of ${WORKLOAD_NAMES.join(', ')}`);
  return w;
}
