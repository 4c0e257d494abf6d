/**
 * The engines a workload runs on, opened the same way for every workload: remapdb
 * through its public API (src/db.ts), SQLite through better-sqlite3 and LMDB through
 * lmdb-js, each at the durability the run asks for. A Store is one opened engine in
 * one directory; workloads (tpcc/, tpcb/, ycsb/) implement their data access for each
 * kind.
 *
 * Durability, named as SQLite's synchronous in WAL mode (the mapping of bench/storage):
 *  - remapdb: its own modes (storage/wal.ts): full = WAL written and fdatasynced at every
 *    commit; normal = synced at checkpoints and WAL-buffer flushes; off = never waits.
 *  - SQLite: journal_mode=WAL, synchronous=OFF|NORMAL|FULL.
 *  - LMDB: full = default (sync data and meta at commit); normal = noMetaSync (one
 *    flush per commit, "a system crash may undo the last committed transaction");
 *    off = noSync. overlappingSync off, so a 'full' commit waits for its flush.
 *
 * Cache budget: SQLite's cache_size is remapdb's pool (poolPages × page size), so both
 * keep the same number of bytes in their own cache; LMDB maps its file and uses the OS
 * page cache (it has no cache of its own).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { open as openLmdbEnv, type RootDatabase } from 'lmdb';

import { open as openRemapdb, STRATEGY_NAMES, type StrategyName, type SyncMode } from '../../src/index.js';
import type { Database } from '../../storage/index.js';

export type EngineKind = 'remapdb' | 'sqlite' | 'lmdb';
export const ENGINE_KINDS: readonly EngineKind[] = ['remapdb', 'sqlite', 'lmdb'];
export type { StrategyName, SyncMode };
/** The durability modes, weakest first: the order benchmark tables show them in. */
export const SYNC_MODES: readonly SyncMode[] = ['off', 'normal', 'full'];
export const STRATEGIES: readonly StrategyName[] = STRATEGY_NAMES;
export type Personality = 'linux-2.6' | 'linux-4.0';
export type Arch = 'x86_64' | 'i386' | 'i386-pae';

const MiB = 1024 * 1024;
const PAGE_BYTES = 4096;

export interface EngineSpec {
  kind: EngineKind;
  sync: SyncMode;
  /** remapdb: buffer-pool slots; SQLite: cache_size of the same bytes. */
  poolPages: number;
  /** remapdb only. */
  strategy: StrategyName;
  personality: Personality;
  arch: Arch;
  /** remapdb only: mlock the pool window (nonlinear) or frames. */
  mlock: boolean;
  /** remapdb only: simulated RAM; 0 = sized from the pool (ramFor). */
  ramBytes: number;
  /** LMDB only: the map size (the largest the database may grow to). */
  lmdbMapBytes: number;
}

export const DEFAULT_SPEC: EngineSpec = {
  kind: 'remapdb', sync: 'off', poolPages: 16384, strategy: 'nonlinear', personality: 'linux-2.6', arch: 'x86_64',
  mlock: true, ramBytes: 0, lmdbMapBytes: 4096 * MiB,
};

/**
 * Simulated RAM for a pool of `poolPages`: the pool, its shadow frames (storage's
 * default max(1024, poolPages/4)), and as much again for the page cache, the WAL and
 * page tables — rounded up to 16 MiB, at least 64 MiB and at most 4 GiB − a page (one
 * ArrayBuffer). With a pool smaller than the data the page cache holds the rest only in
 * part, so misses reach the file.
 */
export function ramFor(poolPages: number): number {
  const pages = poolPages + Math.max(1024, poolPages / 4) + poolPages + 8192;
  const bytes = Math.ceil((pages * PAGE_BYTES) / (16 * MiB)) * 16 * MiB;
  return Math.min(Math.max(bytes, 64 * MiB), 2 ** 32 - PAGE_BYTES);
}

export type Store =
  | { readonly kind: 'remapdb'; readonly spec: EngineSpec; readonly dir: string; readonly db: Database }
  | { readonly kind: 'sqlite'; readonly spec: EngineSpec; readonly dir: string; readonly db: BetterSqlite3.Database }
  | { readonly kind: 'lmdb'; readonly spec: EngineSpec; readonly dir: string; readonly env: RootDatabase<Buffer, Buffer> };

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
        create, sync: spec.sync, strategy: spec.strategy, poolPages: spec.poolPages, mlock: spec.mlock,
        // The engine's debugging check of declared write ranges (storage/pager.ts): the workload tests turn it on.
        checkDeclaredWrites: process.env.REMAPDB_CHECK_WRITES === '1',
        kernel: { personality: spec.personality, arch: spec.arch, ramBytes: spec.ramBytes > 0 ? spec.ramBytes : ramFor(spec.poolPages) },
      });
      return { kind: 'remapdb', spec, dir, db };
    }
    case 'sqlite': {
      const db = new BetterSqlite3(path.join(dir, SQLITE_FILE), { fileMustExist: !create });
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${spec.sync.toUpperCase()}`);
      db.pragma(`cache_size = -${(spec.poolPages * PAGE_BYTES) / 1024}`);
      return { kind: 'sqlite', spec, dir, db };
    }
    case 'lmdb': {
      const env = openLmdbEnv<Buffer, Buffer>({
        path: dir, encoding: 'binary', keyEncoding: 'binary', compression: false, overlappingSync: false,
        mapSize: spec.lmdbMapBytes, maxDbs: LMDB_MAX_DBS, noSync: spec.sync === 'off', noMetaSync: spec.sync === 'normal',
      });
      return { kind: 'lmdb', spec, dir, env };
    }
  }
}

/** Close a store (remapdb checkpoints, SQLite checkpoints its WAL, LMDB flushes). */
export async function closeStore(store: Store): Promise<void> {
  switch (store.kind) {
    case 'remapdb': store.db.close(); return;
    case 'sqlite': store.db.close(); return;
    case 'lmdb': await store.env.close(); return;
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
      return `SQLite ${String(store.db.prepare('SELECT sqlite_version()').pluck().get())} (better-sqlite3), journal_mode=WAL, ` +
        `synchronous=${s.sync.toUpperCase()}, cache_size=${(s.poolPages * PAGE_BYTES) / MiB} MiB`;
    case 'lmdb':
      return `LMDB (lmdb-js), mapSize ${s.lmdbMapBytes / MiB} MiB, ` +
        `${s.sync === 'off' ? 'noSync' : s.sync === 'normal' ? 'noMetaSync' : 'sync at commit'}, overlappingSync off`;
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
