/**
 * The engine behind a configuration, loaded on demand: a child that runs SQLite does
 * not pay for loading LMDB, and start-up time is most of a round.
 */

import type { EngineKind } from '../configs.js';
import type { Engine } from './types.js';

export type { Engine, KillStore, StoreOptions } from './types.js';

export async function engineOf(kind: EngineKind): Promise<Engine> {
  switch (kind) {
    case 'remapdb': return (await import('./remapdb.js')).REMAPDB;
    case 'sqlite': return (await import('./sqlite.js')).SQLITE;
    case 'lmdb': return (await import('./lmdb.js')).LMDB;
  }
}
