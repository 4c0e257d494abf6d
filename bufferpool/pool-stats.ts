/**
 * PoolStats: the buffer pool's counters, its statistics and its per-slot snapshot, in
 * remapdb's own names (units last: slotCount, usedSlots, dirtySlots). Naming them the way
 * PostgreSQL's pg_buffercache or InnoDB's INNODB_BUFFER_POOL_STATS do is presentation: the
 * inspection record above (storage/introspect.ts, src/inspect/views.ts) does it.
 *
 * Owns the event counters (one Float64Array indexed by the C_* constants; the pool and
 * the shadows bump them in place, so counting allocates nothing) and the kernel baseline
 * taken at open (vmstat fields and kernel time), so stats() reports since-open deltas.
 *
 * Invariants:
 *   1. Counters only grow; hits + misses = fixes (a fix that fails to load still counted
 *      its miss and its fix).
 *   2. snapshot() and stats() only read the pool's state: they change no slot, pin or
 *      policy state (inspecting must not disturb what is inspected).
 */

import type { Kernel, Process } from '../sim-kernel/index.js';
import type { ReplacementPolicy } from './policies/index.js';
import type { Shadows } from './shadows.js';
import type { Strategy } from './strategies/index.js';
import type { BufferPoolStats, PoolSnapshot, SlotSnapshot } from './types.js';

export const C_FIXES = 0;
export const C_HITS = 1;
export const C_MISSES = 2;
export const C_EVICTIONS = 3;
export const C_WRITEBACKS = 4;
export const C_INSTALLS = 5;
export const C_SHADOW_COPIES = 6;
export const C_CREATED = 7;
export const C_LOG_FLUSHES = 8;
export const C_PROT_CHANGES = 9;
export const C_WRITE_FAULTS = 10;
const C_COUNT = 11;

/** The counters array, zeroed (the pool makes it first: the shadows count into it before PoolStats exists). */
export function newCounters(): Float64Array {
  return new Float64Array(C_COUNT);
}

/** What stats() and snapshot() read: the pool's slot arrays and parts, shared, never copied. */
export interface StatsSources {
  readonly kernel: Kernel;
  readonly proc: Process;
  readonly pageSize: number;
  readonly strategy: Strategy;
  readonly policy: ReplacementPolicy;
  readonly shadows: Shadows;
  /** Per slot: page id (-1: empty), fix count, installed-change flag, its LSN. */
  readonly pageOf: Float64Array;
  readonly pins: Int32Array;
  readonly dirty: Uint8Array;
  readonly lsn: Float64Array;
}

export class PoolStats {
  readonly #src: StatsSources;
  readonly #counters: Float64Array;
  readonly #vm0: Record<string, number>;
  readonly #kernelNs0: number;

  /** Made last at open: the kernel baseline excludes the pool's own set-up (mappings, shadow frames). */
  constructor(src: StatsSources, counters: Float64Array) {
    this.#src = src;
    this.#counters = counters;
    this.#vm0 = src.kernel.vmstatFields();
    this.#kernelNs0 = src.kernel.kernelNs;
  }

  /** Counters since open, with the kernel's work over the same time. */
  stats(residentSlots: number): BufferPoolStats {
    const src = this.#src;
    const c = this.#counters;
    const kernel = src.kernel;
    const vm = kernel.vmstatFields();
    const d = (k: string): number => (vm[k] ?? 0) - (this.#vm0[k] ?? 0);
    const km = kernel.kernelMemory();
    const kernelNs = kernel.kernelNs - this.#kernelNs0;
    const misses = c[C_MISSES] as number;
    const fixes = c[C_FIXES] as number;
    // Copying strategies (pread) read each miss with pread and write each write-back with pwrite.
    const copies = src.strategy.copiesPages;
    return {
      strategy: src.strategy.name,
      policy: src.policy.name,
      personality: kernel.config.personality,
      slots: src.pageOf.length,
      resident: residentSlots,
      fixes,
      hits: c[C_HITS] as number,
      misses,
      hitRate: fixes === 0 ? 0 : (c[C_HITS] as number) / fixes,
      evictions: c[C_EVICTIONS] as number,
      writebacks: c[C_WRITEBACKS] as number,
      installs: c[C_INSTALLS] as number,
      shadowCopies: c[C_SHADOW_COPIES] as number,
      remaps: d('nr_remaps'),
      mmaps: d('nr_mmap_calls'),
      munmaps: d('nr_munmap_calls'),
      preads: copies ? misses : 0,
      pwrites: copies ? (c[C_WRITEBACKS] as number) : 0,
      minorFaults: d('pgfault') - d('pgmajfault'),
      majorFaults: d('pgmajfault'),
      tlbShootdowns: d('tlb_shootdowns'),
      tlbFlushes: d('tlb_flush_local'),
      swapOuts: d('pswpout'),
      vmaCount: src.proc.mm.mapCount,
      kernelBytes: km.totalBytes,
      kernelNs,
      kernelNsPerMiss: misses === 0 ? 0 : kernelNs / misses,
      logFlushesForced: c[C_LOG_FLUSHES] as number,
      protChanges: c[C_PROT_CHANGES] as number,
      writeFaults: c[C_WRITE_FAULTS] as number,
    };
  }

  /** Every slot's state (PTE included) and the raw totals over the occupied ones. */
  snapshot(): PoolSnapshot {
    const src = this.#src;
    const slotCount = src.pageOf.length;
    const sh = src.shadows;
    const slots: SlotSnapshot[] = [];
    let used = 0;
    let dirty = 0;
    let pinned = 0;
    let usageSum = 0;
    for (let s = 0; s < slotCount; s++) {
      const pageId = src.pageOf[s] as number;
      const addr = pageId >= 0 ? src.strategy.slotAddr(s) : -1;
      const pte = addr >= 0 ? src.proc.ptes(addr, src.pageSize)[0] : undefined;
      const shadowed = sh.has(s);
      const isDirty = src.dirty[s] === 1 || shadowed;
      const usage = pageId >= 0 ? src.policy.usage(s) : 0;
      if (pageId >= 0) {
        used++;
        usageSum += usage;
        if (isDirty) dirty++;
        if ((src.pins[s] as number) > 0) pinned++;
      }
      const lsn = sh.pend[s] !== -1 ? (sh.pendLsn[s] as number) : (src.lsn[s] as number);
      slots.push({
        slot: s, pageId, pins: src.pins[s] as number, dirty: isDirty, usage,
        pageLsn: lsn < 0 ? null : lsn, shadowed, working: sh.work[s] !== -1, pending: sh.pend[s] !== -1,
        retired: sh.retired[s] as number,
        pte: pte?.kind ?? 'none', frame: pte?.frame ?? -1, addr, pgoff: pte?.pgoff ?? -1, prot: pte?.prot ?? '-',
      });
    }
    const c = this.#counters;
    return {
      summary: {
        slotCount,
        usedSlots: used,
        dirtySlots: dirty,
        pinnedSlots: pinned,
        usageCountSum: usageSum,
        fixes: c[C_FIXES] as number,
        hits: c[C_HITS] as number,
        misses: c[C_MISSES] as number,
        writebacks: c[C_WRITEBACKS] as number,
        createdPages: c[C_CREATED] as number,
      },
      slots,
      window: src.strategy.windowRange(),
      copiesPages: src.strategy.copiesPages,
    };
  }
}
