/**
 * SQLite under the kill test, opened as the benchmarks open it (bench/workloads/stores.ts
 * openStore: better-sqlite3, journal_mode=WAL, synchronous FULL | NORMAL | OFF; not
 * imported from there, because that module loads remapdb and LMDB too, and a child's
 * start-up is most of a round), with wal_autocheckpoint lowered to checkpointBytes' worth of pages so that automatic
 * checkpoints come as often as remapdb's. Tables: rows(k, v) and acc(id = 0, count, sum),
 * made with the accumulator row in one transaction, so they exist whole or not at all.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import BetterSqlite3 from 'better-sqlite3';

import type { KillConfig } from '../configs.js';
import type { Snapshot } from '../workload.js';
import { valueOf } from '../workload.js';
import type { Engine, KillStore, StoreOptions } from './types.js';

type Db = BetterSqlite3.Database;

/** The database file in the configuration's directory (the benchmarks' name, SQLITE_FILE). */
const FILE = 'db.sqlite';
const PAGE_BYTES = 4096;

function openDb(dir: string, c: KillConfig, opts: StoreOptions): Db {
  fs.mkdirSync(dir, { recursive: true });
  const db = new BetterSqlite3(path.join(dir, FILE));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${c.sync.toUpperCase()}`);
  db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.round(opts.checkpointBytes / PAGE_BYTES))}`);
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS rows (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    db.exec('CREATE TABLE IF NOT EXISTS acc (id INTEGER PRIMARY KEY, count INTEGER NOT NULL, sum INTEGER NOT NULL)');
    db.exec('INSERT OR IGNORE INTO acc (id, count, sum) VALUES (0, 0, 0)');
  })();
  return db;
}

function openStore(dir: string, c: KillConfig, opts: StoreOptions): KillStore {
  const db = openDb(dir, c, opts);
  const insert = db.prepare('INSERT INTO rows (k, v) VALUES (?, ?)');
  const add = db.prepare('UPDATE acc SET count = count + 1, sum = sum + ? WHERE id = 0');
  const last = db.prepare('SELECT coalesce(max(k), 0) FROM rows').pluck();
  const tx = db.transaction((i: number) => {
    insert.run(i, valueOf(i));
    add.run(i);
  });
  return {
    nextKey: () => (last.get() as number) + 1,
    commit: (i) => tx(i),
    // TRUNCATE: copy the WAL into the database file, then cut the WAL to zero bytes.
    checkpoint: () => {
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    checkpointDue: null,
  };
}

async function snapshot(dir: string, c: KillConfig, opts: StoreOptions): Promise<Snapshot> {
  const db = openDb(dir, c, opts);
  try {
    const check = db.prepare('PRAGMA integrity_check').pluck().all() as string[];
    const engineProblems = check.length === 1 && check[0] === 'ok' ? [] : check.map((l) => `integrity_check: ${l}`);
    const keys: number[] = [];
    const badValues: number[] = [];
    for (const r of db.prepare('SELECT k, v FROM rows ORDER BY k').iterate() as IterableIterator<{ k: number; v: string }>) {
      keys.push(r.k);
      if (r.v !== valueOf(r.k)) badValues.push(r.k);
    }
    const acc = (db.prepare('SELECT count, sum FROM acc WHERE id = 0').get() as { count: number; sum: number } | undefined) ?? null;
    return { keys, badValues, acc, engineProblems };
  } finally {
    db.close();
  }
}

export const SQLITE: Engine = { open: openStore, snapshot };
