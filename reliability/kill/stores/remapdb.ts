/**
 * remapdb under the kill test, through the public API (src/index.ts): table `rows`
 * (int key, string value) and table `acc` (row 0: the accumulator, JSON).
 *
 * Sizes: a 512-page pool (2 MiB) on a 64 MiB machine, so a database of a few thousand
 * rows outgrows the pool and evictions write pages back (the WAL rule runs) while the
 * machine stays cheap to build — the verifier opens one per round.
 */

import { type Database, open, type Table } from '../../../src/index.js';
import type { KillConfig } from '../configs.js';
import { type Accumulator, type Snapshot, valueOf } from '../workload.js';
import type { Engine, KillStore, StoreOptions } from './types.js';

const POOL_PAGES = 512;
const RAM_BYTES = 64 * 1024 * 1024;
const ACC_KEY = 0;

function openDb(dir: string, c: KillConfig, opts: StoreOptions): Database {
  if (c.strategy === null) throw new Error(`remapdb configuration without a strategy: ${JSON.stringify(c)}`);
  return open(dir, {
    sync: c.sync, strategy: c.strategy, poolPages: POOL_PAGES, checkpointBytes: opts.checkpointBytes,
    snapshotOnClose: false, kernel: { ramBytes: RAM_BYTES },
  });
}

/** The two tables, created when missing (a kill may land between the two creations). */
function tables(db: Database): { rows: Table<string>; acc: Table<Accumulator> } {
  const has = new Set(db.tables());
  const rows = has.has('rows') ? db.table<string>('rows') : db.createTable<string>('rows', { key: ['int'], value: 'string' });
  const acc = has.has('acc') ? db.table<Accumulator>('acc') : db.createTable<Accumulator>('acc', { key: ['int'], value: 'json' });
  return { rows, acc };
}

function lastKey(rows: Table<string>): number {
  for (const r of rows.range({ reverse: true, limit: 1 })) return r.key as number;
  return 0;
}

function openStore(dir: string, c: KillConfig, opts: StoreOptions): KillStore {
  const db = openDb(dir, c, opts);
  const { rows, acc } = tables(db);
  const tx = db.transaction((i: number) => {
    rows.insert(i, valueOf(i));
    const a = acc.get(ACC_KEY) ?? { count: 0, sum: 0 };
    acc.upsert(ACC_KEY, { count: a.count + 1, sum: a.sum + i });
  });
  // The automatic checkpoint runs after a commit that leaves the WAL at checkpointBytes or
  // more (storage/database.ts #autoCheckpoint). A commit's WAL bytes are recent history:
  // whole pages just after a checkpoint, small deltas later; twice the recent largest
  // (decaying) is the margin that calls the crossing commit due, and few before it.
  let growthBytes = 0;
  return {
    nextKey: () => lastKey(rows) + 1,
    commit: (i) => {
      const before = db.wal.sizeBytes;
      tx(i);
      const after = db.wal.sizeBytes;
      if (after >= before) growthBytes = Math.max(after - before, Math.floor(growthBytes * 0.95));
    },
    checkpoint: () => db.checkpoint(),
    checkpointDue: () => opts.checkpointBytes > 0 && db.wal.sizeBytes + 2 * growthBytes >= opts.checkpointBytes,
  };
}

async function snapshot(dir: string, c: KillConfig, opts: StoreOptions): Promise<Snapshot> {
  // Created if missing, as the child would: a kill during the first open may leave none.
  const db = openDb(dir, c, opts);
  try {
    const engineProblems: string[] = [];
    try {
      db.checkInvariants();
    } catch (err) {
      engineProblems.push(`checkInvariants: ${(err as Error).message}`);
    }
    for (const check of db.integrityReport().checks) {
      if (!check.ok) engineProblems.push(`integrityReport ${check.id}: ${check.detail}`);
    }
    const has = new Set(db.tables());
    const keys: number[] = [];
    const badValues: number[] = [];
    if (has.has('rows')) {
      for (const r of db.table<string>('rows').range()) {
        const k = r.key as number;
        keys.push(k);
        if (r.value !== valueOf(k)) badValues.push(k);
      }
    }
    const acc = has.has('acc') ? db.table<Accumulator>('acc').get(ACC_KEY) ?? null : null;
    return { keys, badValues, acc, engineProblems };
  } finally {
    db.close();
  }
}

export const REMAPDB: Engine = { open: openStore, snapshot };
