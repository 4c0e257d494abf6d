/**
 * Database options: what a caller may set (StorageOptions), their defaults and their
 * validation (resolveOptions, checkFitsRam). A bad value is REMAPDB_INVALID_ARGUMENT naming
 * the option, the value and what is allowed.
 */

import { DIRTY_TRACKING_NAMES, type DirtyTracking, type PolicyName, type StrategyName } from '../bufferpool/index.js';
import { DB_CODES, dbError } from './errors.js';
import { PAGE_SIZES } from './file/index.js';
import { SYNC_MODES, type SyncMode } from './wal/index.js';

export interface StorageOptions {
  /** Create the database if the directory has none (default true). */
  create?: boolean;
  /**
   * Open or create the database in a directory that holds other files (default false:
   * a non-empty directory without a database is REMAPDB_FOREIGN_DIRECTORY; directory.ts).
   */
  allowForeignFiles?: boolean;
  /** Page size at creation: 4096 (default), 8192 or 16384; must equal the kernel's page size. */
  pageSize?: number;
  /**
   * WAL durability, as SQLite's synchronous in WAL mode (default 'full'). A process crash
   * loses no acknowledged commit at any level; after a power loss 'full' loses none,
   * 'normal' may roll back the last ones (consistent), 'off' may be inconsistent.
   */
  sync?: SyncMode;
  strategy?: StrategyName;
  policy?: PolicyName;
  /** Buffer-pool slots (default 4096 pages). */
  poolPages?: number;
  /** Pages a transaction may change, = the pool's shadow frames (default max(1024, poolPages / 4)). */
  shadowPages?: number;
  /** nonlinear strategy: mlock the window (default true). */
  mlock?: boolean;
  /**
   * Buffer-pool guard mode (default false; bufferpool/guard.ts): unfixed pages are PROT_NONE,
   * pages fixed for reading read-only, so the engine's own page accesses are checked by the
   * simulated MMU and a use after unfix, a stale handle or a write through a read fix is a
   * REMAPDB_POOL_MISUSE naming the page. Best with the kernel's perPageProt (one VMA).
   */
  guard?: boolean;
  /** How the pool learns a page changed: 'explicit' (default) or 'write-fault' (BufferPoolOptions.dirtyTracking). */
  dirtyTracking?: DirtyTracking;
  /**
   * WAL size in bytes that triggers an automatic checkpoint after a commit (0 = never).
   * Default: twice the pool's bytes, at least 64 MiB and at most 1 GiB — a page's first
   * change after a checkpoint is logged whole (wal.ts), so an interval shorter than the
   * images of the pages a workload keeps changing would log nearly every change whole —
   * but no more than replayBudgetMs allows. A value given here wins over both.
   */
  checkpointBytes?: number;
  /**
   * Replay budget: about how many milliseconds a reopen after a crash may spend redoing
   * the WAL (default 2000; 0 = no budget). It caps the default checkpointBytes at the
   * WAL that replays in that time (replayBudgetBytes), as PostgreSQL's max_wal_size
   * bounds its crash recovery; an explicit checkpointBytes is not capped. An integer
   * from 10 to 3,600,000, or 0.
   */
  replayBudgetMs?: number;
  /** Verify page checksums when pages come in from the file (default true). */
  verifyChecksums?: boolean;
  /** Seed of the salts the WAL draws at each reset (default 1). */
  seed?: number;
  /**
   * Debugging aid (default false): at every commit, check that pages written through
   * declared byte ranges (pager.ts invariant 5) changed nowhere else — a page compare per
   * such page. The engine's tests turn it on.
   */
  checkDeclaredWrites?: boolean;
  /**
   * Store a buffer-pool snapshot in meta.sqlite at close (default true), for `remapdb
   * inspect DIR`. `remapdb check` turns it off so the snapshot stays the workload's.
   */
  snapshotOnClose?: boolean;
  /**
   * Wall-clock milliseconds for metadata timestamps only — a snapshot's takenAt, the
   * catalog's created_at, when the directory lock's holder took it (default Date.now: the
   * one place storage reads the wall clock). Engine logic runs on simulated time; tests
   * pass a fixed clock to make snapshots byte-for-byte reproducible.
   */
  now?: () => number;
}

/** Every option with its default filled in (resolveOptions). */
export type ResolvedOptions = Required<StorageOptions>;

/** The default shadowPages (StorageOptions): a quarter of the pool, at least 1024. */
export function defaultShadowPages(poolPages: number): number {
  return Math.max(1024, Math.floor(poolPages / 4));
}

const MiB = 1024 * 1024;

/** The default replayBudgetMs (StorageOptions): a reopen after a crash replays about 2 s of WAL (issue 16). */
export const DEFAULT_REPLAY_BUDGET_MS = 2000;
/** replayBudgetMs allowed besides 0: below 10 ms a checkpoint would follow nearly every commit; an hour is past any WAL size. */
export const REPLAY_BUDGET_MS_RANGE = { min: 10, max: 3_600_000 } as const;

/**
 * WAL bytes a reopen after a crash redoes per millisecond, the rate replayBudgetMs is
 * turned into a WAL size with: 64 MiB/s, so the default 2 s budget is a 128 MiB WAL.
 * Measured with bench/storage/replay-main.ts on the 2-core reference machine (redo and
 * the recovery checkpoint; a clean open's time taken out): the slowest log per byte is
 * TPC-B-like scale 10 with checkpoints off (256 MiB of ~70-byte deltas, 3.7 M records: a
 * record's fix and checksums cost more than its bytes), replayed at 86 MB/s (82 MiB/s)
 * with other jobs at load ~3 and 57 MB/s (median of six runs) at load 4–7; TPC-C-like
 * 1 warehouse logs at 93–142 MB/s. 64 MiB/s is four fifths of the quiet figure: the
 * default's largest WAL (128 MiB, one transaction short of its checkpoint) replayed in
 * 1.8–2.2 s (TPC-B-like) and 0.9–1.3 s (TPC-C-like) at load 4–6 (`--wal-mib 0`). A clean
 * open's own cost — the pool's window and shadow frames, ~1 s for a 60,000-page pool —
 * comes on top, crash or not.
 */
export const REPLAY_BYTES_PER_MS = (64 * MiB) / 1000;

/** The WAL a reopen after a crash replays in about `replayBudgetMs` ms (REPLAY_BYTES_PER_MS), bytes. */
export function replayBudgetBytes(replayBudgetMs: number): number {
  return Math.floor(replayBudgetMs * REPLAY_BYTES_PER_MS);
}

/**
 * The default checkpointBytes (StorageOptions): 2 × the pool's bytes, within [64 MiB,
 * 1 GiB], and no more than the replay budget's WAL (replayBudgetBytes; 0: no budget).
 */
export function defaultCheckpointBytes(poolPages: number, pageSize: number, replayBudgetMs = DEFAULT_REPLAY_BUDGET_MS): number {
  const poolRule = Math.min(1024 * MiB, Math.max(64 * MiB, 2 * poolPages * pageSize));
  return replayBudgetMs > 0 ? Math.min(poolRule, replayBudgetBytes(replayBudgetMs)) : poolRule;
}

/**
 * The pool's shadow frames are pinned anonymous pages taken when it opens, so they must fit
 * the machine's RAM. Beyond it the open would end in the kernel's ENOMEM partway through
 * building the pool (at the CLI's largest --pool-pages, after pinning a gigabyte of
 * simulated frames); this says which option and by how much. (A window larger than RAM
 * is allowed: its pages come and go, mlocked ones as they are faulted in.)
 */
export function checkFitsRam(o: ResolvedOptions, ramBytes: number): void {
  const ramPages = Math.floor(ramBytes / o.pageSize);
  if (o.shadowPages <= ramPages) return;
  const mib = (pages: number): string => `${((pages * o.pageSize) / 2 ** 20).toFixed(0)} MiB`;
  throw dbError(DB_CODES.INVALID, `option shadowPages = ${o.shadowPages} (${mib(o.shadowPages)} of pinned shadow frames) is more than ` +
    `the machine's RAM (${ramPages} pages, ${mib(ramPages)}): lower shadowPages (default a quarter of poolPages, ${o.poolPages}) ` +
    'or raise kernel.ramBytes', { poolPages: o.poolPages, shadowPages: o.shadowPages, ramPages });
}

export function resolveOptions(o: StorageOptions, kernelPageSize: number): ResolvedOptions {
  checkOptionNames(o, STORAGE_OPTION_NAMES);
  const bad = (key: string, value: unknown, allowed: string): never => {
    throw dbError(DB_CODES.INVALID, `option ${key} = ${JSON.stringify(value)} is invalid; allowed: ${allowed}`, { key, value, allowed });
  };
  if (o.allowForeignFiles !== undefined && typeof o.allowForeignFiles !== 'boolean') bad('allowForeignFiles', o.allowForeignFiles, 'true | false');
  const poolPages = o.poolPages ?? 4096;
  if (!Number.isInteger(poolPages) || poolPages < 16) bad('poolPages', poolPages, 'an integer >= 16');
  const shadowPages = o.shadowPages ?? defaultShadowPages(poolPages);
  if (!Number.isInteger(shadowPages) || shadowPages < 8) bad('shadowPages', shadowPages, 'an integer >= 8');
  const sync = o.sync ?? 'full';
  if (!SYNC_MODES.includes(sync)) bad('sync', sync, SYNC_MODES.join(' | '));
  const pageSize = o.pageSize ?? kernelPageSize;
  if (!(PAGE_SIZES as readonly number[]).includes(pageSize)) bad('pageSize', pageSize, PAGE_SIZES.join(' | '));
  if (pageSize !== kernelPageSize) {
    bad('pageSize', pageSize, `the kernel's page size ${kernelPageSize} (database pages are mapped 1:1 onto kernel pages)`);
  }
  const replayBudgetMs = o.replayBudgetMs ?? DEFAULT_REPLAY_BUDGET_MS;
  const { min, max } = REPLAY_BUDGET_MS_RANGE;
  if (!Number.isInteger(replayBudgetMs) || (replayBudgetMs !== 0 && (replayBudgetMs < min || replayBudgetMs > max))) {
    bad('replayBudgetMs', replayBudgetMs, `0 (no replay budget) or an integer from ${min} to ${max} (ms of WAL replay at a reopen after a crash)`);
  }
  if (o.guard !== undefined && typeof o.guard !== 'boolean') bad('guard', o.guard, 'true | false');
  if (o.dirtyTracking !== undefined && !DIRTY_TRACKING_NAMES.includes(o.dirtyTracking)) {
    bad('dirtyTracking', o.dirtyTracking, DIRTY_TRACKING_NAMES.join(' | '));
  }
  const checkpointBytes = o.checkpointBytes ?? defaultCheckpointBytes(poolPages, pageSize, replayBudgetMs);
  if (!Number.isInteger(checkpointBytes) || checkpointBytes < 0) bad('checkpointBytes', checkpointBytes, 'an integer >= 0');
  return {
    create: o.create ?? true,
    allowForeignFiles: o.allowForeignFiles ?? false,
    pageSize,
    sync,
    strategy: o.strategy ?? 'nonlinear',
    policy: o.policy ?? 'clock',
    poolPages,
    shadowPages,
    mlock: o.mlock ?? true,
    guard: o.guard ?? false,
    dirtyTracking: o.dirtyTracking ?? 'explicit',
    checkpointBytes,
    replayBudgetMs,
    verifyChecksums: o.verifyChecksums ?? true,
    seed: o.seed ?? 1,
    checkDeclaredWrites: o.checkDeclaredWrites ?? false,
    snapshotOnClose: o.snapshotOnClose ?? true,
    now: o.now ?? Date.now,
  };
}

/** Every StorageOptions name, once (the Record makes the compiler check the list against the interface). */
const OPTION_NAME_SET: Record<keyof StorageOptions, true> = {
  create: true, allowForeignFiles: true, pageSize: true, sync: true, strategy: true, policy: true, poolPages: true, shadowPages: true,
  mlock: true, guard: true, dirtyTracking: true, checkpointBytes: true, replayBudgetMs: true, verifyChecksums: true, seed: true,
  checkDeclaredWrites: true, snapshotOnClose: true, now: true,
};
export const STORAGE_OPTION_NAMES: readonly string[] = Object.keys(OPTION_NAME_SET);

/**
 * REMAPDB_UNKNOWN_OPTION for a name not in `known` (a misspelt option would otherwise be
 * ignored without a word), suggesting the closest known name.
 */
export function checkOptionNames(o: object, known: readonly string[]): void {
  for (const name of Object.keys(o)) {
    if (known.includes(name)) continue;
    const near = closestName(name, known);
    throw dbError(DB_CODES.UNKNOWN_OPTION, `unknown option ${JSON.stringify(name)}` +
      `${near === undefined ? '' : `; did you mean ${JSON.stringify(near)}?`} (options: ${known.join(', ')})`,
      { option: name, ...(near === undefined ? {} : { suggestion: near }) });
  }
}

/** The known name nearest `name` by edit distance (case-insensitive), if within a third of its length (at least 2). */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}
