/**
 * One picture of a running engine for `remapdb inspect` and `remapdb kernel`: the buffer
 * pool (summary and every occupied slot), which table or index owns each resident page,
 * the database's counters and the simulated machine (meminfo, vmstat, kernel memory and
 * time, the process's maps and smaps). The same object is stored as a snapshot in
 * meta.sqlite (at close, or on request) and served live over the inspection socket, so
 * the CLI renders both with one code path.
 *
 * Slots are columnar and only occupied slots are listed: a 64K-slot pool would otherwise
 * store ~10 MB of JSON objects per snapshot.
 *
 * Owners: the nodes of every tree are found by walking internal nodes only (they are few
 * and hot), so a resident leaf or internal node is named without reading the trees'
 * leaves through the pool — which would disturb the very state being inspected. Overflow
 * and free-list pages are named only when the database is small enough (≤
 * FULL_OWNER_WALK_PAGES) for a full walk; otherwise they show as OTHER_OWNER.
 *
 * Raw counters only: the pool's summary in its own names. The PostgreSQL and InnoDB names
 * the CLI shows are given in src/inspect/views.ts, the presentation layer.
 *
 * Also here: databaseStats(), the figures behind Database.stats().
 */

import type { BufferPoolStats, PoolSummary, SlotSnapshot } from '../bufferpool/index.js';
import type { MeminfoFields } from '../sim-kernel/index.js';
import type { BufferPool } from '../bufferpool/index.js';
import type { Kernel, Process } from '../sim-kernel/index.js';
import type { BTree } from './btree/index.js';
import type { FormatUpgrade } from './checkpoint.js';
import type { Pager } from './pager.js';
import type { Schema } from './schema.js';
import type { Transactions } from './transaction.js';
import type { SyncMode, Wal } from './wal/index.js';

/**
 * 2: the pool summary in the pool's own raw names (bufferpool PoolSummary) and
 * copiesPages; src/inspect/views.ts names them as PostgreSQL and InnoDB do, and reads
 * version 1 snapshots (the summary stored under those names) too.
 */
export const INSPECT_STATE_VERSION = 2;
/** Databases up to this many pages get a full owner walk (overflow pages named too). */
export const FULL_OWNER_WALK_PAGES = 16384;
/** The owner shown for a resident page that is no tree's node (overflow, or not resolved). */
export const OTHER_OWNER = '(overflow)';

export interface SlotColumns {
  format: 'columns';
  count: number;
  slot: number[];
  pageId: number[];
  pins: number[];
  dirty: boolean[];
  usage: number[];
  pageLsn: (number | null)[];
  shadowed: boolean[];
  working: boolean[];
  pending: boolean[];
  retired: number[];
  pte: SlotSnapshot['pte'][];
  frame: number[];
  /** Window address of the slot (hex in views), -1 for none. */
  addr: number[];
  /** The file page a window PTE maps or holds (a file PTE's offset), -1 for none. */
  pgoff: number[];
  /** The protection of the slot's page as its PTE gives it (guard mode); absent in snapshots older than it. */
  prot?: SlotSnapshot['prot'][];
  /** Owning table or index, 'schema', or OTHER_OWNER. */
  owner: string[];
}

export interface DatabaseFigures {
  dir: string;
  pageSize: number;
  sync: string;
  pageCount: number;
  freePages: number;
  commits: number;
  rollbacks: number;
  checkpoints: number;
  walBytes: number;
  walSyncs: number;
  tables: Record<string, number>;
}

export interface InspectState {
  version: number;
  takenAt: number;
  label: string;
  strategy: string;
  pid: number;
  /** Raw counters: the pool's summary and its statistics. Presentation names live in src/inspect/views.ts. */
  summary: PoolSummary & BufferPoolStats;
  /** The strategy copies pages into anonymous frames (PoolSnapshot.copiesPages). */
  copiesPages: boolean;
  db: DatabaseFigures;
  slots: SlotColumns;
  kernel: {
    personality: string;
    arch: string;
    meminfo: MeminfoFields;
    vmstat: Record<string, number>;
    kernelMemory: { vmaBytes: number; pageTableBytes: number; totalBytes: number };
    kernelTime: Record<string, { count: number; ns: number }>;
    maps: string;
    smaps: string;
    /** The window (nonlinear), or null for strategies without one. */
    window: { addr: number; pages: number } | null;
  };
}

/** Turn per-slot rows (occupied ones only) into columns, naming each page's owner. */
export function slotColumns(rows: readonly SlotSnapshot[], owner: (pageId: number) => string): SlotColumns {
  const used = rows.filter((s) => s.pageId >= 0);
  const col = <K extends keyof SlotSnapshot>(k: K): SlotSnapshot[K][] => used.map((s) => s[k]);
  return {
    format: 'columns', count: used.length, slot: col('slot'), pageId: col('pageId'), pins: col('pins'), dirty: col('dirty'),
    usage: col('usage'), pageLsn: col('pageLsn'), shadowed: col('shadowed'), working: col('working'), pending: col('pending'),
    retired: col('retired'), pte: col('pte'), frame: col('frame'), addr: col('addr'), pgoff: col('pgoff'),
    prot: col('prot'), owner: used.map((s) => owner(s.pageId)),
  };
}

export interface DatabaseStats {
  dir: string;
  pageSize: number;
  sync: SyncMode;
  pageCount: number;
  freePages: number;
  commits: number;
  rollbacks: number;
  checkpoints: number;
  recovered: { transactions: number; records: number; tornTailBytes: number };
  /** The page file's format was upgraded when this handle opened it (null: it was current). */
  upgraded: FormatUpgrade | null;
  tables: Record<string, number>;
  wal: ReturnType<Wal['stats']> & { sizeBytes: number; endLsn: number; durableLsn: number };
  pool: ReturnType<BufferPool['stats']>;
}

/** Database.stats: the counters of an open database, copied (the caller may keep them). */
export function databaseStats(db: {
  dir: string; options: { pageSize: number; sync: SyncMode }; pager: Pager; txns: Transactions; checkpoints: number;
  recovered: DatabaseStats['recovered']; upgraded: FormatUpgrade | null; schema: Schema; wal: Wal; pool: BufferPool;
}): DatabaseStats {
  const tables: Record<string, number> = {};
  for (const t of db.schema.tableObjects()) tables[t.name] = t.tree.count;
  return {
    dir: db.dir,
    pageSize: db.options.pageSize,
    sync: db.options.sync,
    pageCount: db.pager.pageCount,
    freePages: db.pager.freeCount,
    commits: db.txns.commits,
    rollbacks: db.txns.rollbacks,
    checkpoints: db.checkpoints,
    recovered: { ...db.recovered },
    upgraded: db.upgraded === null ? null : { ...db.upgraded, damaged: [...db.upgraded.damaged] },
    tables,
    wal: { ...db.wal.stats(), sizeBytes: db.wal.sizeBytes, endLsn: db.wal.endLsn, durableLsn: db.wal.durableLsn },
    pool: db.pool.stats(),
  };
}

/** What inspectState reads from a database. */
export interface InspectSubject {
  readonly dir: string;
  readonly kernel: Kernel;
  readonly proc: Process;
  readonly options: { readonly now: () => number; readonly strategy: string; readonly pageSize: number; readonly sync: string };
  readonly pool: BufferPool;
  readonly wal: Wal;
  readonly schema: Schema;
  readonly pageCount: number;
  stats(): { pageCount: number; freePages: number; commits: number; rollbacks: number; checkpoints: number; tables: Record<string, number>; pool: BufferPoolStats };
}

/** Database.inspectState: the engine as `remapdb inspect` shows it. */
export function inspectState(db: InspectSubject, label: string, opts: { owners?: boolean }): InspectState {
  const snap = db.pool.snapshot();
  const owners = opts.owners === false ? null : ownerIndex(db.schema, db.pageCount);
  const stats = db.stats();
  const w = db.wal.stats();
  const cfg = db.kernel.config;
  return {
    version: INSPECT_STATE_VERSION, takenAt: db.options.now(), label, strategy: db.options.strategy, pid: process.pid,
    summary: { ...snap.summary, ...stats.pool },
    copiesPages: snap.copiesPages,
    db: {
      dir: db.dir, pageSize: db.options.pageSize, sync: db.options.sync, pageCount: stats.pageCount, freePages: stats.freePages,
      commits: stats.commits, rollbacks: stats.rollbacks, checkpoints: stats.checkpoints, walBytes: db.wal.sizeBytes,
      walSyncs: w.syncs, tables: stats.tables,
    },
    slots: slotColumns(snap.slots, (id) => (owners === null ? '' : owners.get(id) ?? (id === 0 ? 'superblock' : OTHER_OWNER))),
    kernel: {
      personality: cfg.personality, arch: cfg.arch, meminfo: db.kernel.meminfoFields(), vmstat: db.kernel.vmstatFields(),
      kernelMemory: db.kernel.kernelMemory(), kernelTime: db.kernel.kernelTime(), maps: db.proc.maps(), smaps: db.proc.smaps(),
      window: snap.window,
    },
  };
}

/**
 * Owner of each page: every tree's nodes; overflow pages too when the database is small.
 * A tree whose walk meets a damaged page (a coded error) names none of its pages: the
 * view of a damaged database is what one wants to inspect, and `remapdb check` reports
 * the damage.
 */
export function ownerIndex(schema: Schema, pageCount: number): Map<number, string> {
  const m = new Map<number, string>();
  const full = pageCount <= FULL_OWNER_WALK_PAGES;
  const add = (tree: BTree, who: string): void => {
    let ids: number[];
    try {
      ids = full ? tree.pageIds() : tree.nodeIds();
    } catch (err) {
      if (typeof (err as { code?: unknown }).code !== 'string') throw err;
      return;
    }
    for (const id of ids) m.set(id, who);
  };
  add(schema.tree, 'schema');
  for (const t of schema.tableObjects()) {
    add(t.tree, t.name);
    for (const ix of t.indexes) add(ix.tree, ix.name);
  }
  return m;
}
