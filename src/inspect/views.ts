/**
 * The inspector's views over one InspectState (storage/introspect.ts), whether it came
 * from a snapshot in meta.sqlite or live from a running engine: the live server answers
 * a view request with these same functions, so `remapdb inspect DIR` and
 * `remapdb inspect --live PATH` print the same shapes.
 *
 *   summary  pg_buffercache_summary + INNODB_BUFFER_POOL_STATS fields that apply, the
 *            pool's I/O counters (pg_stat_io-like), and what only remapdb has: VMAs,
 *            kernel bytes, faults, remaps, TLB work, swap-outs, simulated kernel time
 *   slots    one row per occupied slot (pg_buffercache / INNODB_BUFFER_PAGE), filtered
 *   usage    buffers per usage count (pg_buffercache_usage_counts)
 *   ptes     the PTE state behind every slot (present / file PTE / swap entry / none)
 *   maps     the process's /proc/PID/maps (and smaps)
 *   kernel   meminfo, vmstat, kernel memory and simulated time by event
 */

import { CodedError } from '../../sim-kernel/index.js';
import type { InspectState, SlotColumns } from '../../storage/index.js';
import { VIEW_CODES } from './errors.js';

export const VIEW_NAMES = ['summary', 'slots', 'usage', 'ptes', 'maps', 'smaps', 'meminfo', 'vmstat', 'kernel'] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

export { VIEW_CODES } from './errors.js';

export interface SlotFilter {
  dirty?: boolean;
  pinned?: boolean;
  /** Page id range, inclusive. */
  from?: number;
  to?: number;
  /** Owning table or index name. */
  table?: string;
  /** At most this many rows (default 1000; 0 = all). */
  limit?: number;
}

export const DEFAULT_SLOT_LIMIT = 1000;

function bad(message: string, details: Record<string, unknown>): CodedError {
  return new CodedError(VIEW_CODES.BAD_PARAMS, message, { details });
}

/** Check an untrusted parameter object (the socket's, or the CLI's) and return a SlotFilter. */
export function parseSlotFilter(p: Record<string, unknown>): SlotFilter {
  const known = new Set(['dirty', 'pinned', 'from', 'to', 'table', 'limit']);
  for (const k of Object.keys(p)) if (!known.has(k)) throw bad(`unknown slot filter "${k}" (allowed: ${[...known].join(', ')})`, { key: k });
  const f: SlotFilter = {};
  for (const k of ['dirty', 'pinned'] as const) {
    const v = p[k];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw bad(`slot filter ${k} must be true or false, got ${JSON.stringify(v)}`, { key: k });
    f[k] = v;
  }
  for (const k of ['from', 'to', 'limit'] as const) {
    const v = p[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw bad(`slot filter ${k} must be an integer >= 0, got ${JSON.stringify(v)}`, { key: k });
    }
    f[k] = v;
  }
  if (f.from !== undefined && f.to !== undefined && f.from > f.to) throw bad(`slot filter from ${f.from} is after to ${f.to}`, { from: f.from, to: f.to });
  if (p.table !== undefined) {
    if (typeof p.table !== 'string' || p.table === '' || p.table.length > 256) {
      throw bad(`slot filter table must be a name (1..256 characters), got ${JSON.stringify(p.table).slice(0, 80)}`, { key: 'table' });
    }
    f.table = p.table;
  }
  return f;
}

/**
 * The pool summary as inspection state version 1 stored it (remapdb before 2026-12):
 * under the PostgreSQL and InnoDB names the summary view shows, beside the pool's stats.
 */
interface SummaryV1 {
  buffers_used: number; buffers_dirty: number; buffers_pinned: number; usagecount_avg: number;
  POOL_SIZE: number; NUMBER_PAGES_CREATED: number;
}

/**
 * A stored or received state must look like one before views index into it. A version 1
 * state (snapshots stored by earlier remapdb versions) is read into today's raw names;
 * its strategy name stands in for the copiesPages it did not record.
 */
export function asState(x: unknown, where: string): InspectState {
  const s = x as Partial<InspectState> | null;
  const ok = s !== null && typeof s === 'object' && typeof s.version === 'number' && typeof s.summary === 'object' && s.summary !== null &&
    typeof s.slots === 'object' && s.slots !== null && (s.slots as Partial<SlotColumns>).format === 'columns' && typeof s.kernel === 'object';
  if (!ok) {
    throw new CodedError(VIEW_CODES.NOT_STATE, `${where} is not a remapdb inspection state (written by an older remapdb? ` +
      'open and close the database with this version to store a new snapshot)');
  }
  if (s.version !== 1) return s as InspectState;
  const v1 = s.summary as unknown as SummaryV1 & InspectState['summary'];
  return {
    ...(s as InspectState),
    summary: {
      ...v1, slotCount: v1.POOL_SIZE, usedSlots: v1.buffers_used, dirtySlots: v1.buffers_dirty, pinnedSlots: v1.buffers_pinned,
      usageCountSum: v1.usagecount_avg * v1.buffers_used, createdPages: v1.NUMBER_PAGES_CREATED,
    },
    copiesPages: s.strategy === 'pread',
  };
}

export interface SummaryView {
  label: string;
  takenAt: string;
  pid: number;
  strategy: string;
  personality: string;
  arch: string;
  /** pg_buffercache_summary */
  buffercache: { buffers_used: number; buffers_unused: number; buffers_dirty: number; buffers_pinned: number; usagecount_avg: number };
  /** INNODB_BUFFER_POOL_STATS */
  innodb: {
    POOL_SIZE: number; FREE_BUFFERS: number; DATABASE_PAGES: number; MODIFIED_DATABASE_PAGES: number; NUMBER_PAGES_READ: number;
    NUMBER_PAGES_CREATED: number; NUMBER_PAGES_WRITTEN: number; NUMBER_PAGES_GET: number; HIT_RATE: number;
  };
  /** pg_stat_io-like: the pool's traffic since open. */
  io: { fixes: number; hits: number; misses: number; evictions: number; writebacks: number; installs: number; preads: number; pwrites: number };
  /** What only remapdb shows. */
  kernel: {
    vmaCount: number; kernelBytes: number; minorFaults: number; majorFaults: number; remaps: number; mmaps: number; munmaps: number;
    tlbShootdowns: number; tlbFlushes: number; swapOuts: number; kernelNs: number; kernelNsPerMiss: number;
    /** Simulated kernel time since the machine started: the total `remapdb kernel time` shows (kernelNs is the pool's share since it opened). */
    kernelNsTotal: number;
    window: { addr: number; pages: number } | null;
  };
  db: InspectState['db'];
}

export function summaryView(s: InspectState): SummaryView {
  const m = s.summary;
  const free = m.slotCount - m.usedSlots;
  return {
    label: s.label, takenAt: new Date(s.takenAt).toISOString(), pid: s.pid, strategy: s.strategy, personality: s.kernel.personality,
    arch: s.kernel.arch,
    // The pool's raw counters under the names of pg_buffercache_summary() …
    buffercache: {
      buffers_used: m.usedSlots, buffers_unused: free, buffers_dirty: m.dirtySlots, buffers_pinned: m.pinnedSlots,
      usagecount_avg: m.usedSlots === 0 ? 0 : m.usageCountSum / m.usedSlots,
    },
    // … and of InnoDB's INFORMATION_SCHEMA.INNODB_BUFFER_POOL_STATS.
    innodb: {
      POOL_SIZE: m.slotCount, FREE_BUFFERS: free, DATABASE_PAGES: m.usedSlots, MODIFIED_DATABASE_PAGES: m.dirtySlots,
      // A new page's first fix is a miss that reads nothing from the file: InnoDB counts it as created, not read.
      NUMBER_PAGES_READ: Math.max(0, m.misses - m.createdPages), NUMBER_PAGES_CREATED: m.createdPages, NUMBER_PAGES_WRITTEN: m.writebacks,
      NUMBER_PAGES_GET: m.fixes, HIT_RATE: m.fixes === 0 ? 0 : m.hits / m.fixes,
    },
    io: {
      fixes: m.fixes, hits: m.hits, misses: m.misses, evictions: m.evictions, writebacks: m.writebacks, installs: m.installs, preads: m.preads,
      pwrites: m.pwrites,
    },
    kernel: {
      vmaCount: m.vmaCount, kernelBytes: m.kernelBytes, minorFaults: m.minorFaults, majorFaults: m.majorFaults, remaps: m.remaps, mmaps: m.mmaps,
      munmaps: m.munmaps, tlbShootdowns: m.tlbShootdowns, tlbFlushes: m.tlbFlushes, swapOuts: m.swapOuts, kernelNs: m.kernelNs,
      kernelNsPerMiss: m.kernelNsPerMiss, window: s.kernel.window,
      kernelNsTotal: Object.values(s.kernel.kernelTime).reduce((a, e) => a + e.ns, 0),
    },
    db: s.db,
  };
}

export interface SlotRow {
  slot: number;
  pageId: number;
  owner: string;
  pins: number;
  dirty: boolean;
  usage: number;
  pageLsn: number | null;
  /** '' or letters: w working copy, p pending (logged, not durable), s served from a shadow frame. */
  state: string;
  pte: string;
  frame: number;
  addr: number;
  pgoff: number;
  /** The PTE's protection: 'none' (PROT_NONE), 'r', 'rw', or '-' (no PTE, or a snapshot older than the field). */
  prot: string;
}

export interface SlotsView {
  /** Occupied slots in the state. */
  occupied: number;
  /** Slots the filter matched (rows may be fewer: limit). */
  matched: number;
  filter: SlotFilter;
  rows: SlotRow[];
}

export function slotsView(s: InspectState, f: SlotFilter = {}): SlotsView {
  const c = s.slots;
  const limit = f.limit ?? DEFAULT_SLOT_LIMIT;
  const rows: SlotRow[] = [];
  let matched = 0;
  for (let i = 0; i < c.count; i++) {
    const pageId = c.pageId[i] as number;
    if (f.dirty !== undefined && c.dirty[i] !== f.dirty) continue;
    if (f.pinned !== undefined && ((c.pins[i] as number) > 0) !== f.pinned) continue;
    if (f.from !== undefined && pageId < f.from) continue;
    if (f.to !== undefined && pageId > f.to) continue;
    if (f.table !== undefined && c.owner[i] !== f.table) continue;
    matched++;
    if (limit > 0 && rows.length >= limit) continue;
    rows.push({
      slot: c.slot[i] as number, pageId, owner: c.owner[i] ?? '', pins: c.pins[i] as number, dirty: c.dirty[i] === true,
      usage: c.usage[i] as number, pageLsn: c.pageLsn[i] ?? null,
      state: `${c.working[i] === true ? 'w' : ''}${c.pending[i] === true ? 'p' : ''}${c.shadowed[i] === true ? 's' : ''}`,
      pte: c.pte[i] ?? 'none', frame: c.frame[i] as number, addr: c.addr[i] ?? -1, pgoff: c.pgoff[i] ?? -1,
      prot: c.prot?.[i] ?? '-',
    });
  }
  return { occupied: c.count, matched, filter: f, rows };
}

/** pg_buffercache_usage_counts: one row per usage count present, ascending. */
export function usageView(s: InspectState): { usage_count: number; buffers: number; dirty: number; pinned: number }[] {
  const by = new Map<number, { usage_count: number; buffers: number; dirty: number; pinned: number }>();
  const c = s.slots;
  for (let i = 0; i < c.count; i++) {
    const u = c.usage[i] as number;
    let r = by.get(u);
    if (r === undefined) {
      r = { usage_count: u, buffers: 0, dirty: 0, pinned: 0 };
      by.set(u, r);
    }
    r.buffers++;
    if (c.dirty[i] === true) r.dirty++;
    if ((c.pins[i] as number) > 0) r.pinned++;
  }
  const unused = s.summary.slotCount - s.summary.usedSlots;
  const rows = [...by.values()].sort((a, b) => a.usage_count - b.usage_count);
  // pg_buffercache_usage_counts lists free buffers as usage 0 too.
  const zero = rows.find((r) => r.usage_count === 0);
  if (zero !== undefined) zero.buffers += unused;
  else if (unused > 0) rows.unshift({ usage_count: 0, buffers: unused, dirty: 0, pinned: 0 });
  return rows;
}

export interface PtesView {
  strategy: string;
  window: { addr: number; pages: number } | null;
  counts: { present: number; file: number; swap: number; none: number };
  /** Slots whose PTE maps (or holds) a file page other than the slot's page: must be 0. */
  mismatched: number;
  rows: { slot: number; addr: number; pageId: number; pte: string; frame: number; pgoff: number; prot: string }[];
}

export function ptesView(s: InspectState, limit = DEFAULT_SLOT_LIMIT): PtesView {
  const c = s.slots;
  const counts = { present: 0, file: 0, swap: 0, none: 0 };
  let mismatched = 0;
  const rows: PtesView['rows'] = [];
  for (let i = 0; i < c.count; i++) {
    const pte = c.pte[i] ?? 'none';
    counts[pte]++;
    const pgoff = c.pgoff[i] ?? -1;
    // Only mapped strategies put the slot's page behind its address; a copying strategy's slots are anonymous memory.
    if (pgoff >= 0 && !s.copiesPages && pgoff !== c.pageId[i]) mismatched++;
    if (limit === 0 || rows.length < limit) {
      rows.push({
        slot: c.slot[i] as number, addr: c.addr[i] ?? -1, pageId: c.pageId[i] as number, pte, frame: c.frame[i] as number, pgoff,
        prot: c.prot?.[i] ?? '-',
      });
    }
  }
  return { strategy: s.strategy, window: s.kernel.window, counts, mismatched, rows };
}

export function kernelView(s: InspectState): {
  personality: string; arch: string; kernelMemory: InspectState['kernel']['kernelMemory']; kernelTime: InspectState['kernel']['kernelTime'];
  vmstat: Record<string, number>; meminfo: InspectState['kernel']['meminfo'];
} {
  const k = s.kernel;
  return { personality: k.personality, arch: k.arch, kernelMemory: k.kernelMemory, kernelTime: k.kernelTime, vmstat: k.vmstat, meminfo: k.meminfo };
}

/** Any view by name; `params` only matters to slots (a SlotFilter) and ptes ({ limit }). */
export function view(s: InspectState, name: ViewName, params: Record<string, unknown> = {}): unknown {
  switch (name) {
    case 'summary':
      return summaryView(s);
    case 'slots':
      return slotsView(s, parseSlotFilter(params));
    case 'usage':
      return usageView(s);
    case 'ptes': {
      const { limit } = parseSlotFilter(params);
      return ptesView(s, limit ?? DEFAULT_SLOT_LIMIT);
    }
    case 'maps':
      return { vmaCount: s.summary.vmaCount, maps: s.kernel.maps };
    case 'smaps':
      return { smaps: s.kernel.smaps };
    case 'meminfo':
      return s.kernel.meminfo;
    case 'vmstat':
      return s.kernel.vmstat;
    case 'kernel':
      return kernelView(s);
  }
}
