/**
 * remapdb's simulated machine, read around the measured phase: counters are differenced
 * (faults, remaps, shootdowns, swap-outs, pool misses, simulated kernel time by event),
 * state is taken at the end (VMA count, kernel bytes). The peers have no simulated
 * machine: null.
 */

import type { Store } from '../workloads/stores.js';
import type { KernelFigures } from './types.js';

export interface Probe {
  vmstat: Record<string, number>;
  pool: { hits: number; misses: number; evictions: number; writebacks: number; remaps: number; mmaps: number; munmaps: number;
    tlbShootdowns: number; tlbFlushes: number; vmaCount: number; kernelBytes: number };
  wal: { bytes: number; syncs: number };
  checkpoints: number;
  kernelNs: number;
  events: Record<string, { count: number; ns: number }>;
}

export function probe(store: Store): Probe | null {
  if (store.kind !== 'remapdb') return null;
  const st = store.db.stats();
  const p = st.pool;
  return {
    vmstat: store.db.kernel.vmstatFields(),
    pool: {
      hits: p.hits, misses: p.misses, evictions: p.evictions, writebacks: p.writebacks, remaps: p.remaps, mmaps: p.mmaps, munmaps: p.munmaps,
      tlbShootdowns: p.tlbShootdowns, tlbFlushes: p.tlbFlushes, vmaCount: p.vmaCount, kernelBytes: p.kernelBytes,
    },
    wal: { bytes: st.wal.bytesWritten, syncs: st.wal.syncs },
    checkpoints: st.checkpoints,
    kernelNs: store.db.kernel.kernelNs,
    events: store.db.kernel.kernelTime(),
  };
}

const v = (p: Probe, name: string): number => p.vmstat[name] ?? 0;

/** The measured phase's figures: `after` − `before` for counters, `after` for state. */
export function kernelFigures(before: Probe, after: Probe): KernelFigures {
  const d = (name: string): number => v(after, name) - v(before, name);
  const byEvent: Record<string, { count: number; ns: number }> = {};
  for (const [name, e] of Object.entries(after.events)) {
    const b = before.events[name] ?? { count: 0, ns: 0 };
    if (e.count - b.count > 0) byEvent[name] = { count: e.count - b.count, ns: e.ns - b.ns };
  }
  return {
    vmas: after.pool.vmaCount,
    kernelBytes: after.pool.kernelBytes,
    minorFaults: d('pgfault') - d('pgmajfault'),
    majorFaults: d('pgmajfault'),
    remaps: after.pool.remaps - before.pool.remaps,
    mmaps: after.pool.mmaps - before.pool.mmaps,
    munmaps: after.pool.munmaps - before.pool.munmaps,
    tlbShootdowns: d('tlb_shootdowns'),
    tlbFlushes: d('tlb_flush_local') + d('tlb_flush_all'),
    swapOuts: d('pswpout'),
    swapIns: d('pswpin'),
    poolHits: after.pool.hits - before.pool.hits,
    poolMisses: after.pool.misses - before.pool.misses,
    evictions: after.pool.evictions - before.pool.evictions,
    writebacks: after.pool.writebacks - before.pool.writebacks,
    checkpoints: after.checkpoints - before.checkpoints,
    walBytes: after.wal.bytes - before.wal.bytes,
    walSyncs: after.wal.syncs - before.wal.syncs,
    kernelNs: after.kernelNs - before.kernelNs,
    kernelNsByEvent: byEvent,
  };
}

/** Cumulative faults and evictions now (for the per-second samples). */
export function faultCounters(p: Probe): { majorFaults: number; minorFaults: number; evictions: number } {
  return { majorFaults: v(p, 'pgmajfault'), minorFaults: v(p, 'pgfault') - v(p, 'pgmajfault'), evictions: p.pool.evictions };
}
