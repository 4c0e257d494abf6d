/**
 * What the storage suite asks of an engine: the same few synchronous operations over
 * the same rows (common.ts), so each figure runs one loop for every engine.
 * Adapters: engine-remapdb.ts, engine-sqlite.ts, engine-lmdb.ts. Each cell of the suite
 * runs one engine in its own process, so these call sites stay monomorphic.
 */

import { sqliteCacheBytes, sqliteCheckpointLabel } from '../lib/peers.js';
import { SYNC_MODES, type SyncMode } from '../workloads/stores.js';
import { MiB } from './common.js';

/**
 * Caches (bench/lib/peers.ts says why): remapdb's pool is 256 MiB on 1 GiB of simulated
 * RAM; SQLite's cache is that pool plus the page cache remapdb can use (RAM − shadow
 * frames, 960 MiB) — the 1M-row table is ~125 MiB in either, so each holds all of it
 * whichever rule is used; LMDB maps its file and relies on the host's page cache.
 */
/** 65,536 pages = 256 MiB. */
export const REMAPDB_POOL_PAGES = 65536;
/** Simulated RAM: the 256 MiB window + 64 MiB of shadow frames + the page cache of data file and WAL. */
export const REMAPDB_RAM_BYTES = 1024 * MiB;
export const SQLITE_CACHE_BYTES = sqliteCacheBytes(REMAPDB_POOL_PAGES, REMAPDB_RAM_BYTES);
/** Mapped up front (lmdb-js otherwise starts at 128 KiB and grows the map). */
export const LMDB_MAP_BYTES = 2048 * MiB;

/**
 * The engines compared — remapdb, SQLite at its default checkpoint interval and at
 * remapdb's ('sqlite-matched'), LMDB — and 'remapdb-int': remapdb with key schema ['int']
 * (the row index as a number) instead of ['bytes'], a supplementary cell that shows what
 * remapdb's key encoding costs (engine-remapdb.ts).
 */
export type EngineName = 'remapdb' | 'sqlite' | 'sqlite-matched' | 'lmdb' | 'remapdb-int';
export const ENGINES: readonly EngineName[] = ['remapdb', 'sqlite', 'sqlite-matched', 'lmdb'];
export const ENGINE_TITLES: Record<EngineName, string> = {
  remapdb: 'remapdb', sqlite: sqliteCheckpointLabel('default'), 'sqlite-matched': sqliteCheckpointLabel('matched'), lmdb: 'LMDB',
  'remapdb-int': "remapdb, key ['int']",
};
/** Durability, named as SQLite's synchronous in WAL mode; bench/lib/peers.ts maps each level onto each engine. */
export { SYNC_MODES, type SyncMode };

/** remapdb's simulated machine and pool counters (cumulative), to difference around a figure. */
export interface SimProbe {
  kernelNs: number;
  events: Record<string, { count: number; ns: number }>;
  fixes: number;
  hits: number;
  misses: number;
  resident: number;
  evictions: number;
  writebacks: number;
  /** WAL records (full page images, deltas), bytes written and fdatasyncs; checkpoints. */
  walFullPages: number;
  walDeltas: number;
  walBytes: number;
  walSyncs: number;
  checkpoints: number;
}

export interface Engine {
  readonly name: EngineName;
  /** One transaction inserting rows [from, to) in ascending key order (duplicate keys refused). */
  loadBatch(from: number, to: number): void;
  /** Row `index`'s value, or undefined. */
  get(index: number): Uint8Array | undefined;
  /** One transaction: read row `index` and write it back with its version + 1; returns that version. */
  update(index: number): number;
  /** Read every row (an untimed warm-up); returns the rows seen. */
  scan(): number;
  count(): number;
  /** remapdb only; null for the others. */
  probe(): SimProbe | null;
  /** How the engine was configured, for the report. */
  describe(): string;
  close(): Promise<void>;
}

export interface OpenSpec {
  dir: string;
  sync: SyncMode;
  /** Create the table (the load cell) or open the existing one (update cells). */
  create: boolean;
}

/** Open an engine; its module (and native addon) is loaded only in the process that uses it. */
export async function openEngine(name: EngineName, spec: OpenSpec): Promise<Engine> {
  switch (name) {
    case 'remapdb': return (await import('./engine-remapdb.js')).openRemapdb(spec, 'bytes');
    case 'remapdb-int': return (await import('./engine-remapdb.js')).openRemapdb(spec, 'int');
    case 'sqlite': return (await import('./engine-sqlite.js')).openSqlite(spec, 'default');
    case 'sqlite-matched': return (await import('./engine-sqlite.js')).openSqlite(spec, 'matched');
    case 'lmdb': return (await import('./engine-lmdb.js')).openLmdb(spec);
  }
}
