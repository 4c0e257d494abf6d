/**
 * The configurations the kill test runs, and what each claims against a process crash.
 *
 * A configuration is an engine at one durability setting (and, for remapdb, one
 * buffer-pool strategy). The settings are named as SQLite's `synchronous` in WAL mode,
 * as the benchmarks name them (bench/workloads/stores.ts maps them onto each engine):
 *   remapdb  its own sync modes (storage/wal: SYNC_MODES) × every strategy (STRATEGY_NAMES)
 *   SQLite   journal_mode=WAL, synchronous FULL | NORMAL | OFF
 *   LMDB     full = default (data and meta flushed at commit), normal = noMetaSync,
 *            off = noSync
 *
 * The claim is what the engine's documentation promises when the *process* dies (not
 * the OS): every acknowledged commit survives, at every setting of every engine here.
 */

import { STRATEGY_NAMES, type StrategyName, SYNC_MODES, type SyncMode } from '../../src/index.js';
import { ENGINE_KINDS, type EngineKind } from '../../bench/workloads/stores.js';

export { ENGINE_KINDS, type EngineKind, STRATEGY_NAMES, type StrategyName, SYNC_MODES, type SyncMode };

export interface KillConfig {
  engine: EngineKind;
  sync: SyncMode;
  /** remapdb's buffer-pool strategy; null for the peers. */
  strategy: StrategyName | null;
}

/**
 * What a configuration promises when its process is killed, for the table. Every
 * configuration here promises the same — every acknowledged commit survives, whole — and
 * the test holds each to it; they differ on power loss, which a kill does not test.
 */
export interface Claim {
  /** One line for the table. */
  text: string;
  /** Where the claim is written. */
  source: string;
}

const SQLITE_CLAIM: Claim = {
  text: 'no loss (durable across application crashes at any synchronous)',
  source: 'sqlite.org/pragma.html#pragma_synchronous: "Transactions are durable across application crashes regardless of the synchronous setting or journal mode"',
};

const LMDB_CLAIM: Claim = {
  text: 'no loss (a commit is written to the OS before it returns; the flags defer only the flush)',
  source: 'lmdb.h MDB_NOSYNC / MDB_NOMETASYNC: only a system crash may undo the last transactions',
};

/**
 * remapdb's claims, from src/db.ts's header (open()) and README "Durability": every
 * commit reaches the host file before it returns, at every level — 'full' with an
 * fdatasync, 'normal' and 'off' with sync_file_range(WRITE) — so a process crash loses
 * no acknowledged commit at any level (the levels differ only on power loss).
 */
const REMAPDB_CLAIMS: Readonly<Record<SyncMode, Claim>> = {
  full: { text: 'no loss (WAL fdatasynced at every commit)', source: 'src/db.ts open()' },
  normal: { text: 'no loss (WAL handed to the host file with sync_file_range at every commit)', source: 'src/db.ts open()' },
  off: { text: 'no loss (WAL handed to the host file with sync_file_range at every commit)', source: 'src/db.ts open()' },
};

export function claimOf(c: KillConfig): Claim {
  switch (c.engine) {
    case 'remapdb': return REMAPDB_CLAIMS[c.sync];
    case 'sqlite': return SQLITE_CLAIM;
    case 'lmdb': return LMDB_CLAIM;
  }
}

/** The setting column: how the engine was opened, in its own words. */
export function settingOf(c: KillConfig): string {
  switch (c.engine) {
    case 'remapdb': return `${c.strategy ?? '?'}, sync ${c.sync}`;
    case 'sqlite': return `WAL, synchronous ${c.sync.toUpperCase()}`;
    case 'lmdb': return c.sync === 'full' ? 'sync (default)' : c.sync === 'normal' ? 'noMetaSync' : 'noSync';
  }
}

/** A name usable as a directory: remapdb-nonlinear-full, sqlite-normal. */
export function slugOf(c: KillConfig): string {
  return [c.engine, ...(c.strategy === null ? [] : [c.strategy]), c.sync].join('-');
}

export interface ConfigFilter {
  engines: readonly EngineKind[];
  strategies: readonly StrategyName[];
  syncs: readonly SyncMode[];
}

/** Every configuration the filter selects: remapdb strategy × sync, then each peer × sync. */
export function configsOf(f: ConfigFilter): KillConfig[] {
  const out: KillConfig[] = [];
  for (const engine of ENGINE_KINDS) {
    if (!f.engines.includes(engine)) continue;
    for (const sync of SYNC_MODES) {
      if (!f.syncs.includes(sync)) continue;
      if (engine !== 'remapdb') out.push({ engine, sync, strategy: null });
      else for (const strategy of STRATEGY_NAMES) if (f.strategies.includes(strategy)) out.push({ engine, sync, strategy });
    }
  }
  return out;
}
