/**
 * The engines a workload runs on, opened the same way for every workload: remapdb
 * through its public API (src/db.ts), SQLite through better-sqlite3 and LMDB through
 * lmdb-js, each at the durability the run asks for. A Store is one opened engine in
 * one directory; workloads (tpcc/, tpcb/, ycsb/) implement their data access for each
 * kind.
 *
 * How each `--sync` level maps onto SQLite and LMDB, what each then promises against a
 * process crash and a power loss, SQLite's two checkpoint settings ('ckpt default',
 * 'ckpt matched' to remapdb's checkpointBytes) and the cache each engine gets (SQLite:
 * remapdb's pool + the simulated page cache remapdb can use) are defined once, with the
 * reasons, in bench/lib/peers.ts; this file applies them.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import type * as Lmdb from 'lmdb';
import type { RootDatabase } from 'lmdb';

import { defaultShadowPages, open as openRemapdb, STRATEGY_NAMES, type StrategyName, type SyncMode } from '../../src/index.js';
import type { Database } from '../../storage/index.js';
import type { RemapdbConfig } from '../../src/index.js';
import { requireOptional } from '../lib/optional.js';
import {
  configureSqlite, ENGINE_KINDS, type EngineKind, LmdbFlusher, lmdbSyncFlags, PAGE_BYTES, remapdbCheckpointBytes, type SqliteCheckpoint,
  sqliteCacheBytes,
} from '../lib/peers.js';

export { ENGINE_KINDS, type EngineKind, type SqliteCheckpoint, type StrategyName, type SyncMode };
/** The durability modes, weakest first: the order benchmark tables show them in. */
export const SYNC_MODES: readonly SyncMode[] = ['off', 'normal', 'full'];
export const STRATEGIES: readonly StrategyName[] = STRATEGY_NAMES;
export type Personality = 'linux-2.6' | 'linux-4.0';
export type Arch = 'x86_64' | 'i386' | 'i386-pae';

const MiB = 1024 * 1024;

export interface EngineSpec {
  kind: EngineKind;
  sync: SyncMode;
  /** remapdb: buffer-pool slots; SQLite: the pool its cache and matched checkpoint interval stand beside (peers.ts). */
  poolPages: number;
  /** remapdb only. */
  strategy: StrategyName;
  personality: Personality;
  arch: Arch;
  /** remapdb only: mlock the pool window (nonlinear) or frames. */
  mlock: boolean;
  /** remapdb: simulated RAM; 0 = sized from the pool (ramFor). SQLite: sizes its cache (sqliteCacheBytes). */
  ramBytes: number;
  /**
   * SQLite only: wal_autocheckpoint at SQLite's default or matched to remapdb's
   * checkpointBytes. Absent in runs recorded before the setting existed (= 'default').
   */
  sqliteCheckpoint: SqliteCheckpoint;
  /** LMDB only: the map size (the largest the database may grow to). */
  lmdbMapBytes: number;
  /**
   * remapdb only: a loaded configuration (the CLI's profile, file, REMAPDB_* and flags)
   * open() applies beneath the fields above (src/config/open-options.ts); absent: open()'s defaults.
   */
  config?: RemapdbConfig;
}

export const DEFAULT_SPEC: EngineSpec = {
  kind: 'remapdb', sync: 'off', poolPages: 16384, strategy: 'nonlinear', personality: 'linux-2.6', arch: 'x86_64',
  mlock: true, ramBytes: 0, sqliteCheckpoint: 'default', lmdbMapBytes: 4096 * MiB,
};

/**
 * Simulated RAM for a pool of `poolPages`: the pool, its shadow frames (storage's
 * default max(1024, poolPages/4)), and as much again for the page cache, the WAL and
 * page tables — rounded up to 16 MiB, at least 64 MiB and at most 4 GiB − a page (one
 * ArrayBuffer). With a pool smaller than the data the page cache holds the rest only in
 * part, so misses reach the file.
 */
export function ramFor(poolPages: number): number {
  const pages = poolPages + defaultShadowPages(poolPages) + poolPages + 8192;
  const bytes = Math.ceil((pages * PAGE_BYTES) / (16 * MiB)) * 16 * MiB;
  return Math.min(Math.max(bytes, 64 * MiB), 2 ** 32 - PAGE_BYTES);
}

/** The simulated RAM a remapdb cell of `spec` runs on (and SQLite's cache is sized from). */
export function remapdbRamBytes(spec: EngineSpec): number {
  return spec.ramBytes > 0 ? spec.ramBytes : ramFor(spec.poolPages);
}

export type Store =
  | { readonly kind: 'remapdb'; readonly spec: EngineSpec; readonly dir: string; readonly db: Database }
  | { readonly kind: 'sqlite'; readonly spec: EngineSpec; readonly dir: string; readonly db: BetterSqlite3.Database; readonly config: string }
  | {
    readonly kind: 'lmdb'; readonly spec: EngineSpec; readonly dir: string; readonly env: RootDatabase<Buffer, Buffer>;
    /** Call after every commit: LMDB's 'normal' syncs by bytes written (peers.ts). */
    readonly flusher: LmdbFlusher;
  };

/** SQLite's file inside a store directory. */
export const SQLITE_FILE = 'db.sqlite';
/** LMDB's named databases a workload may open (env.openDB). */
export const LMDB_MAX_DBS = 32;

/** Open (create: make) the engine `spec.kind` in `dir`. */
export function openStore(dir: string, spec: EngineSpec, create: boolean): Store {
  if (create) fs.mkdirSync(dir, { recursive: true });
  else if (!fs.existsSync(dir)) throw new Error(`no ${spec.kind} database at ${dir}`);
  switch (spec.kind) {
    case 'remapdb': {
      const db = openRemapdb(dir, {
        ...(spec.config === undefined ? {} : { config: spec.config }),
        create, sync: spec.sync, strategy: spec.strategy, poolPages: spec.poolPages, mlock: spec.mlock,
        // The engine's debugging check of declared write ranges (storage/pager.ts): the workload tests turn it on.
        checkDeclaredWrites: process.env.REMAPDB_CHECK_WRITES === '1',
        kernel: { personality: spec.personality, arch: spec.arch, ramBytes: remapdbRamBytes(spec) },
      });
      return { kind: 'remapdb', spec, dir, db };
    }
    case 'sqlite': {
      const db = new BetterSqlite3(path.join(dir, SQLITE_FILE), { fileMustExist: !create });
      const config = configureSqlite(db, {
        sync: spec.sync, checkpoint: spec.sqliteCheckpoint, poolPages: spec.poolPages, cacheBytes: sqliteCacheBytes(spec.poolPages, remapdbRamBytes(spec)),
      });
      return { kind: 'sqlite', spec, dir, db, config };
    }
    case 'lmdb': {
      // lmdb is optional (bench/lib/optional.ts): loaded when an LMDB peer is opened.
      const env = requireOptional<typeof Lmdb>('lmdb').open<Buffer, Buffer>({
        path: dir, encoding: 'binary', keyEncoding: 'binary', compression: false, mapSize: spec.lmdbMapBytes, maxDbs: LMDB_MAX_DBS,
        ...lmdbSyncFlags(spec.sync),
      });
      return { kind: 'lmdb', spec, dir, env, flusher: new LmdbFlusher(env, spec.sync, remapdbCheckpointBytes(spec.poolPages)) };
    }
  }
}

/** Close a store (remapdb checkpoints, SQLite checkpoints its WAL, LMDB flushes). */
export async function closeStore(store: Store): Promise<void> {
  switch (store.kind) {
    case 'remapdb': store.db.close(); return;
    case 'sqlite': store.db.close(); return;
    case 'lmdb':
      store.flusher.flush();
      await store.env.close();
      return;
  }
}

/** How the store was opened, one line for reports. */
export function describeStore(store: Store): string {
  const s = store.spec;
  switch (store.kind) {
    case 'remapdb': {
      const st = store.db.stats();
      return `remapdb ${s.strategy} pool ${s.poolPages} pages (${(s.poolPages * PAGE_BYTES) / MiB} MiB), ${s.personality} ${s.arch}, ` +
        `mlock ${String(s.mlock)}, sync ${st.sync}`;
    }
    case 'sqlite':
      return `SQLite ${String(store.db.prepare('SELECT sqlite_version()').pluck().get())} (better-sqlite3), ${store.config}`;
    case 'lmdb': {
      const f = lmdbSyncFlags(s.sync);
      return `LMDB (lmdb-js), mapSize ${s.lmdbMapBytes / MiB} MiB, ${f.noSync ? 'noSync' : 'sync at commit'}, overlappingSync off` +
        `${s.sync === 'normal' ? `, ${store.flusher.describe()}` : ''}`;
    }
  }
}

/** Bytes the engine's files take in `dir`. */
export function storeBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile()) total += fs.statSync(path.join(dir, e.name)).size;
  }
  return total;
}
