/**
 * The peers at remapdb's durability: how each `--sync` level maps onto SQLite and LMDB,
 * what each engine then promises, how much each writes between syncs, and how much
 * cache each holds. Written once here; the workload harness (bench/workloads/stores.ts)
 * and the storage suite (bench/storage/engine-*.ts) open the peers through it, and
 * every table caption quotes it (durabilityNotes).
 *
 * ## The levels (named as SQLite's `synchronous` in WAL mode)
 *
 *   level  | remapdb (storage/wal)                | SQLite, WAL mode    | LMDB (lmdb-js, overlappingSync off)
 *   -------|--------------------------------------|---------------------|-------------------------------------------
 *   full   | WAL written + fdatasync per commit   | synchronous=FULL    | default: at every commit the data pages
 *          |                                      |                     | fdatasynced, then the meta page written
 *          |                                      |                     | through an O_DSYNC descriptor
 *   normal | WAL written to the host file per     | synchronous=NORMAL  | noSync, plus env.sync() (mdb_env_sync with
 *          | commit (write + sync_file_range);    |                     | force: one fdatasync) after every
 *          | fdatasync before a page is written   |                     | checkpointBytes of pages written
 *          | back (the WAL rule), at checkpoints  |                     |
 *   off    | WAL written to the host file per     | synchronous=OFF     | noSync, never flushed by the harness
 *          | commit; fdatasync only at checkpoints|                     |
 *
 * What each promises (../shared/refs/durability.md; lmdb.h on MDB_NOSYNC):
 *   process crash (the OS lives): every engine at every level keeps every acknowledged
 *     commit — each has handed it to the kernel (write()/pwrite()) before commit returns.
 *   power loss or OS crash:
 *     full   — none loses an acknowledged commit.
 *     normal — remapdb and SQLite stay consistent and may lose the commits since their
 *              last sync. LMDB may lose the commits since its last env.sync(), and its file
 *              may be corrupt unless the file system keeps write order: a WEAKER promise
 *              than the other two. No LMDB setting gives NORMAL's promise at NORMAL's cost:
 *              noMetaSync (what 'normal' meant here before) keeps integrity and loses at
 *              most the last commit, but still fdatasyncs every commit (strace: 914 of 914),
 *              so it measured LMDB at 'full' cost. This mapping matches the cost and the loss
 *              window, and says the integrity difference in every caption.
 *     off    — any may lose commits, and the database may be corrupt.
 *
 * ## How much each writes between syncs (checkpoints)
 *
 *   remapdb checkpoints when its WAL passes checkpointBytes (storage/options.ts: 2 × the
 *   pool's bytes within [64 MiB, 1 GiB]); at 'normal' it fdatasyncs there and when the
 *   pool is about to write a dirty page back.
 *   SQLite is run two ways, as two cells: 'ckpt default' keeps wal_autocheckpoint at 1000
 *   pages (~4 MiB, a WAL and a database fsync each at NORMAL — what a SQLite user gets);
 *   'ckpt matched' sets it to checkpointBytes / page size, the same bytes of log between
 *   checkpoints as remapdb (this alone raised SQLite's TPC-C 'normal' 1.6–1.9× in the
 *   audit of issue 16). LMDB has no log; at 'normal' it syncs after checkpointBytes of
 *   pages written (its own metric, pagesWritten). Equal bytes are not equal commits:
 *   SQLite and LMDB write whole pages per commit where remapdb logs deltas after a page's
 *   first change, so they reach the interval after fewer commits.
 *
 * ## Cache: the bytes an engine reaches without a host read()
 *
 *   remapdb runs on a simulated machine inside its process: its pool and, beyond it, the
 *   simulated page cache (RAM − pool − the pool's shadow frames − a few MiB of kernel
 *   memory and watermark reserve) answer a miss without a host system call; only a miss
 *   in both reads the host file. SQLite's cache_size is the counterpart of both (a miss
 *   there is a read() into the host's page cache), so SQLite gets cache_size = RAM −
 *   shadow frames = pool + the page cache remapdb can use (sqliteCacheBytes; at the
 *   demo's 16,384-page pool, 176 MiB of RAM: 160 MiB, where cache_size = pool gave 64).
 *   The other way — shrinking remapdb's RAM until its page cache is small — was not
 *   taken: the strategies differ in how they use the page cache (pread keeps each page
 *   twice, in its frames and in the page cache; the nonlinear window's pages are page-
 *   cache pages), and the WAL's written pages live there until write-back, so a machine
 *   with no room beyond the pool would measure swap and reclaim of a starved machine
 *   rather than the engine. LMDB maps its file and uses the host's page cache, bounded
 *   only by host RAM; every data set here fits, and it has no cache of its own to size.
 */

import assert from 'node:assert/strict';

import type BetterSqlite3 from 'better-sqlite3';
import type { RootDatabase } from 'lmdb';

import { defaultCheckpointBytes, defaultShadowPages, type SyncMode } from '../../src/index.js';
import { bytes, int } from './format.js';

export type { SyncMode };
export type EngineKind = 'remapdb' | 'sqlite' | 'lmdb';
export const ENGINE_KINDS: readonly EngineKind[] = ['remapdb', 'sqlite', 'lmdb'];

/** remapdb's page size in every benchmark (the simulated kernel's default); SQLite's and LMDB's default too. */
export const PAGE_BYTES = 4096;
const MiB = 1024 * 1024;
/** Whole MiB as '128 MiB', anything else as bytes() does. */
const mib = (n: number): string => (n % MiB === 0 ? `${n / MiB} MiB` : bytes(n));

// ---------------------------------------------------------------- checkpoints

/** SQLite's checkpoint settings a run compares: its default, and matched to remapdb's bytes. */
export type SqliteCheckpoint = 'default' | 'matched';
export const SQLITE_CHECKPOINTS: readonly SqliteCheckpoint[] = ['default', 'matched'];
/** SQLite's compiled-in wal_autocheckpoint (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT). */
export const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/** remapdb's checkpoint interval at a pool of `poolPages` (the engine's default: the harness never sets it). */
export function remapdbCheckpointBytes(poolPages: number): number {
  return defaultCheckpointBytes(poolPages, PAGE_BYTES);
}

/** Short label of a SQLite checkpoint setting, for cell labels and table columns. */
export function sqliteCheckpointLabel(c: SqliteCheckpoint): string {
  return c === 'default' ? 'SQLite ckpt default' : 'SQLite ckpt matched';
}

// ---------------------------------------------------------------- cache

/**
 * SQLite's cache beside a remapdb of `poolPages` on `remapdbRamBytes` of simulated RAM:
 * the pool plus the page cache remapdb can use, i.e. RAM − the pool's shadow frames (an
 * upper bound: the simulated kernel keeps a few MiB for itself). Never less than the pool.
 */
export function sqliteCacheBytes(poolPages: number, remapdbRamBytes: number): number {
  assert(Number.isInteger(poolPages) && poolPages > 0, `sqliteCacheBytes: poolPages ${poolPages}`);
  assert(Number.isInteger(remapdbRamBytes) && remapdbRamBytes > 0, `sqliteCacheBytes: remapdbRamBytes ${remapdbRamBytes}`);
  return Math.max(poolPages * PAGE_BYTES, remapdbRamBytes - defaultShadowPages(poolPages) * PAGE_BYTES);
}

// ---------------------------------------------------------------- SQLite

export interface SqliteSetup {
  sync: SyncMode;
  checkpoint: SqliteCheckpoint;
  /** The remapdb pool this SQLite stands beside: its checkpointBytes sets the matched interval. */
  poolPages: number;
  cacheBytes: number;
}

/** Put an open SQLite connection in WAL mode at `s`'s durability, checkpoint interval and cache; returns how, one line. */
export function configureSqlite(db: BetterSqlite3.Database, s: SqliteSetup): string {
  const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
  assert.equal(mode, 'wal', `SQLite refused journal_mode=WAL (${mode})`);
  db.pragma(`synchronous = ${s.sync.toUpperCase()}`);
  db.pragma(`cache_size = -${Math.floor(s.cacheBytes / 1024)}`);
  const pageBytes = db.pragma('page_size', { simple: true }) as number;
  if (s.checkpoint === 'matched') db.pragma(`wal_autocheckpoint = ${Math.ceil(remapdbCheckpointBytes(s.poolPages) / pageBytes)}`);
  const pages = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  if (s.checkpoint === 'default') assert.equal(pages, SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES, 'SQLite\'s default wal_autocheckpoint');
  return `journal_mode=WAL, synchronous=${s.sync.toUpperCase()}, wal_autocheckpoint=${pages} pages ` +
    `(${mib(pages * pageBytes)}, ${s.checkpoint === 'matched' ? "= remapdb's checkpointBytes" : 'the default'}), cache_size=${mib(s.cacheBytes)}`;
}

// ---------------------------------------------------------------- LMDB

/** LMDB's env flags for a level (spread into lmdb-js open()); trackMetrics feeds LmdbFlusher its bytes written. */
export function lmdbSyncFlags(sync: SyncMode): { noSync: boolean; overlappingSync: false; trackMetrics: boolean } {
  // overlappingSync off at every level: lmdb-js turns it on by default on Linux, and then a
  // commit returns before its flush, so 'full' would not wait for the disk.
  return { noSync: sync !== 'full', overlappingSync: false, trackMetrics: sync === 'normal' };
}

/**
 * Commits between two reads of LMDB's pagesWritten: env.info() costs ~4 µs (measured on
 * this machine), a TPC-B commit ~25 µs; 64 commits of a few pages each overshoot an
 * interval of ≥ 64 MiB by well under 1 %.
 */
const LMDB_CHECK_EVERY_COMMITS = 64;

/** The parts of lmdb-js's native Env (src/env.cpp) the flusher uses; not in its typings. */
interface LmdbNativeEnv {
  sync(): void;
  info(): { pagesWritten?: number };
}

/**
 * LMDB's 'normal': with noSync, nothing reaches the disk until someone asks; this asks
 * after every `intervalBytes` of pages written (remapdb's checkpointBytes). env.sync()
 * without a callback is mdb_env_sync(env, force = 1) on the calling thread: one
 * fdatasync, after which every commit so far is durable — blocking the commit that
 * crossed the line, as remapdb's automatic checkpoint blocks its commit. At 'full' and
 * 'off' committed() does nothing.
 */
export class LmdbFlusher {
  readonly #env: LmdbNativeEnv | null;
  readonly #intervalBytes: number;
  readonly #pageBytes: number;
  #commits = 0;
  #nextBytes: number;
  #flushes = 0;

  constructor(root: RootDatabase<Buffer, Buffer>, sync: SyncMode, intervalBytes: number) {
    assert(Number.isInteger(intervalBytes) && intervalBytes > 0, `LmdbFlusher: interval ${intervalBytes} bytes`);
    this.#intervalBytes = intervalBytes;
    this.#nextBytes = intervalBytes;
    this.#pageBytes = (root.getStats() as { pageSize: number }).pageSize;
    if (sync !== 'normal') {
      this.#env = null;
      return;
    }
    this.#env = (root as unknown as { env: LmdbNativeEnv }).env;
    assert.equal(typeof this.#env.info().pagesWritten, 'number', 'LMDB opened without trackMetrics: no pagesWritten to flush by');
  }

  /** After every commit. */
  committed(): void {
    if (this.#env === null || ++this.#commits % LMDB_CHECK_EVERY_COMMITS !== 0) return;
    const written = this.writtenBytes();
    if (written < this.#nextBytes) return;
    this.flush();
    this.#nextBytes = written + this.#intervalBytes;
  }

  /** Sync now ('normal' only): the harness calls it at close too, as remapdb and SQLite sync at close. */
  flush(): void {
    if (this.#env === null) return;
    this.#env.sync();
    this.#flushes++;
  }

  /** env.sync() calls so far. */
  get flushes(): number {
    return this.#flushes;
  }

  /** Bytes of pages LMDB wrote since open (meta-page writes not counted); 0 unless 'normal'. */
  writtenBytes(): number {
    return this.#env === null ? 0 : (this.#env.info().pagesWritten ?? 0) * this.#pageBytes;
  }

  describe(): string {
    return this.#env === null ? '' : `env.sync() after every ${mib(this.#intervalBytes)} of pages written (${this.#flushes} so far, ` +
      `${mib(this.writtenBytes())} written)`;
  }
}

// ---------------------------------------------------------------- captions

interface LevelPromise {
  /** What the engine is set to at this level. */
  setting: string;
  /** Against a power loss or OS crash (every engine keeps every commit across a process crash). */
  powerLoss: string;
}

/** What each engine is set to and promises at each level: the one source of every caption. */
export const PROMISES: Readonly<Record<SyncMode, Readonly<Record<EngineKind, LevelPromise>>>> = {
  full: {
    remapdb: { setting: 'WAL written and fdatasynced at every commit', powerLoss: 'loses no commit' },
    sqlite: { setting: 'synchronous=FULL', powerLoss: 'loses no commit' },
    lmdb: { setting: 'default (data fdatasynced, then the meta page written O_DSYNC, at every commit)', powerLoss: 'loses no commit' },
  },
  normal: {
    remapdb: {
      setting: 'WAL written to the host file at every commit (write + sync_file_range), fdatasync before a page is written back and at ' +
        'checkpoints', powerLoss: 'stays consistent, may lose the commits since its last sync',
    },
    sqlite: { setting: 'synchronous=NORMAL (WAL synced at checkpoints)', powerLoss: 'stays consistent, may lose the commits since its last sync' },
    lmdb: {
      setting: "noSync + env.sync() after every checkpointBytes of pages written", powerLoss: 'may lose the commits since its last env.sync() ' +
        'and may be corrupt unless the file system keeps write order — weaker than remapdb and SQLite',
    },
  },
  off: {
    remapdb: { setting: 'WAL written to the host file at every commit, fdatasync only at checkpoints', powerLoss: 'may lose commits and be corrupt' },
    sqlite: { setting: 'synchronous=OFF', powerLoss: 'may lose commits and be corrupt' },
    lmdb: { setting: 'noSync, never synced', powerLoss: 'may lose commits and be corrupt' },
  },
};

const TITLE: Record<EngineKind, string> = { remapdb: 'remapdb', sqlite: 'SQLite', lmdb: 'LMDB' };

/** One line: what level `sync` sets each engine of `kinds` to, and what that promises. */
export function durabilityLine(sync: SyncMode, kinds: readonly EngineKind[]): string {
  const p = PROMISES[sync];
  const set = kinds.map((k) => `${TITLE[k]} ${p[k].setting}`).join('; ');
  const loss = kinds.map((k) => `${TITLE[k]} ${p[k].powerLoss}`).join('; ');
  return `Durability '${sync}': ${set}. Process crash: every engine keeps every acknowledged commit. Power loss or OS crash: ${loss}.`;
}

/**
 * The captions of a table comparing `kinds` at `syncs` with remapdb pools of `poolPages`:
 * durability per level, the checkpoint intervals, the caches.
 */
export function durabilityNotes(syncs: readonly SyncMode[], kinds: readonly EngineKind[], poolPages: readonly number[]): string[] {
  const pools = [...new Set(poolPages)];
  const ckpt = pools.map((p) => `${mib(remapdbCheckpointBytes(p))} at a ${int(p)}-page pool`).join(', ');
  const out = syncs.map((s) => durabilityLine(s, kinds));
  const parts = [`remapdb checkpoints every checkpointBytes of WAL (${ckpt})`];
  if (kinds.includes('sqlite')) {
    parts.push(`${sqliteCheckpointLabel('default')} = wal_autocheckpoint ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES} pages ` +
      `(${mib(SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES * PAGE_BYTES)}), ${sqliteCheckpointLabel('matched')} = the same bytes as remapdb`);
  }
  if (kinds.includes('lmdb') && syncs.includes('normal')) parts.push("LMDB at 'normal' syncs after the same bytes of pages written");
  out.push(`Checkpoints: ${parts.join('; ')} (equal bytes, not equal commits: SQLite and LMDB write whole pages per commit, remapdb ` +
    'page deltas).');
  if (kinds.includes('sqlite') || kinds.includes('lmdb')) {
    out.push('Cache: SQLite cache_size = remapdb\'s pool + the simulated page cache it can use (simulated RAM − shadow frames); ' +
      'LMDB uses the host\'s page cache, which holds all its data here.');
  }
  return out;
}
