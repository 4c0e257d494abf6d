/**
 * Simulated time and kernel counters.
 *
 * Owns: the simulated clock (ns), the cost of each kernel event (from the cost model),
 * how many of each event happened and the ns charged to each, and the vmstat counters.
 * Invariants:
 *   1. nowNs only moves forward, and only by charge() or advance().
 *   2. kernelNs === sum of eventNs.
 * Everything is in Float64Arrays indexed by small integers so charging allocates nothing.
 */

import { COST_EVENTS, type CostEvent, type CostModel } from './config.js';

export const EV: { readonly [K in CostEvent]: number } = Object.fromEntries(
  COST_EVENTS.map((name, i) => [name, i]),
) as { [K in CostEvent]: number };

/** vmstat counters, by their /proc/vmstat names where Linux has one. */
export const VMSTAT_NAMES = [
  'pgfault',
  'pgmajfault',
  'pgpgin',
  'pgpgout',
  'pswpin',
  'pswpout',
  'pgscan',
  'pgsteal',
  'pgrefill',
  'pgactivate',
  'pgdeactivate',
  'pgalloc',
  'pgfree',
  'nr_remaps',
  'nr_mmap_calls',
  'nr_munmap_calls',
  'tlb_flush_local',
  'tlb_flush_all',
  'tlb_shootdowns',
  'tlb_hits',
  'tlb_misses',
  'page_walks',
  'nr_cow_faults',
  'nr_file_pte_faults',
  'nr_file_ptes_written',
  'nr_sigsegv',
  'nr_sigbus',
  'nr_io_reads',
  'nr_io_writes',
  'nr_fsyncs',
  'nr_sync_file_range',
  'mmap_cache_hits',
  'mmap_cache_misses',
  'nr_vma_merges',
  'nr_vma_splits',
  'nr_oom',
  'allocstall',
  'pgreadahead',
  'kswapd_runs',
  'pgrotated',
  'nr_swap_fail',
  'nr_unmap_again',
  'pgscan_nonlinear_ptes',
  'pdflush_pages',
  'nr_mlock_pages',
  'nr_munlock_pages',
  'nr_io_errors',
  /** Pages of a host file read from a hole (zeroed without I/O; vfs.ts Inode.hostDataEnd). */
  'nr_hole_reads',
] as const;
export type VmstatName = (typeof VMSTAT_NAMES)[number];
export const VS: { readonly [K in VmstatName]: number } = Object.fromEntries(
  VMSTAT_NAMES.map((name, i) => [name, i]),
) as { [K in VmstatName]: number };

export class Accounting {
  nowNs = 0;
  kernelNs = 0;
  readonly costNs: Float64Array;
  readonly eventCount: Float64Array;
  readonly eventNs: Float64Array;
  readonly vm: Float64Array;

  constructor(costs: CostModel) {
    this.costNs = new Float64Array(COST_EVENTS.length);
    for (let i = 0; i < COST_EVENTS.length; i++) this.costNs[i] = costs[COST_EVENTS[i] as CostEvent];
    this.eventCount = new Float64Array(COST_EVENTS.length);
    this.eventNs = new Float64Array(COST_EVENTS.length);
    this.vm = new Float64Array(VMSTAT_NAMES.length);
  }

  /** Charge `n` events of kind `ev` (an EV index) to simulated kernel time. */
  charge(ev: number, n = 1): void {
    const ns = (this.costNs[ev] as number) * n;
    (this.eventCount[ev] as number) += n;
    (this.eventNs[ev] as number) += ns;
    this.kernelNs += ns;
    this.nowNs += ns;
  }

  count(vs: number, n = 1): void {
    (this.vm[vs] as number) += n;
  }

  /** Let simulated time pass outside the kernel (user work, idle). */
  advance(ns: number): void {
    if (!(ns >= 0)) throw new RangeError(`advance: ns must be >= 0, got ${ns}`);
    this.nowNs += ns;
  }

  vmstat(): Record<VmstatName, number> {
    const out = {} as Record<VmstatName, number>;
    for (let i = 0; i < VMSTAT_NAMES.length; i++) out[VMSTAT_NAMES[i] as VmstatName] = this.vm[i] as number;
    return out;
  }

  /** Simulated kernel time by event: { event: { count, ns } }, events with count 0 omitted. */
  timeByEvent(): Record<string, { count: number; ns: number }> {
    const out: Record<string, { count: number; ns: number }> = {};
    for (let i = 0; i < COST_EVENTS.length; i++) {
      const count = this.eventCount[i] as number;
      if (count > 0) out[COST_EVENTS[i] as string] = { count, ns: this.eventNs[i] as number };
    }
    return out;
  }
}
