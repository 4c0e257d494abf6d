/**
 * SQLite through better-sqlite3 (prepared statements, its transaction() helper).
 *
 * Table: `kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID` — the same 8-byte key
 * bytes as the other engines, one B-tree clustered on the key as remapdb's and LMDB's
 * trees are. An INTEGER PRIMARY KEY (rowid) table would give SQLite an integer key the
 * others do not get.
 *
 * Set up by bench/lib/peers.ts configureSqlite, as in the workloads: journal_mode = WAL;
 * synchronous = OFF | NORMAL | FULL as the cell's sync; wal_autocheckpoint at SQLite's
 * default (engine 'sqlite') or at remapdb's checkpointBytes for its 65,536-page pool
 * (512 MiB; engine 'sqlite-matched'); cache_size = SQLITE_CACHE_BYTES (engine.ts), so
 * SQLite holds the whole table in its own cache (its default 2 MiB would send most
 * lookups to the OS page cache through read()).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import Database from 'better-sqlite3';

import { configureSqlite, type SqliteCheckpoint } from '../lib/peers.js';
import { setVersion, VALUE_BYTES, versionOf, writeKey, writeValue } from './common.js';
import { type Engine, type OpenSpec, REMAPDB_POOL_PAGES, SQLITE_CACHE_BYTES } from './engine.js';

const FILE = 'kv.sqlite';

export function openSqlite(spec: OpenSpec, checkpoint: SqliteCheckpoint): Engine {
  if (spec.create) fs.mkdirSync(spec.dir, { recursive: true });
  const db = new Database(path.join(spec.dir, FILE), { fileMustExist: !spec.create });
  const config = configureSqlite(db, { sync: spec.sync, checkpoint, poolPages: REMAPDB_POOL_PAGES, cacheBytes: SQLITE_CACHE_BYTES });
  if (spec.create) db.exec('CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID');
  const insert = db.prepare<[Buffer, Buffer]>('INSERT INTO kv (k, v) VALUES (?, ?)');
  const select = db.prepare<[Buffer]>('SELECT v FROM kv WHERE k = ?').pluck();
  const change = db.prepare<[Buffer, Buffer]>('UPDATE kv SET v = ? WHERE k = ?');
  const countAll = db.prepare('SELECT count(*) FROM kv').pluck();
  const scanAll = db.prepare('SELECT count(*) FROM kv WHERE length(v) > 0').pluck();
  const key = Buffer.alloc(8);
  const val = Buffer.alloc(VALUE_BYTES);
  const load = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      writeKey(key, i);
      writeValue(val, i, 0);
      insert.run(key, val);
    }
  });
  const update = db.transaction((i: number): number => {
    writeKey(key, i);
    const old = select.get(key) as Buffer | undefined;
    if (old === undefined) throw new Error(`sqlite: row ${i} missing in an update`);
    old.copy(val);
    const v = versionOf(old) + 1;
    setVersion(val, v);
    const r = change.run(val, key);
    if (r.changes !== 1) throw new Error(`sqlite: update of row ${i} changed ${r.changes} rows`);
    return v;
  });
  return {
    name: checkpoint === 'default' ? 'sqlite' : 'sqlite-matched',
    loadBatch: load,
    get(i: number): Uint8Array | undefined {
      writeKey(key, i);
      return select.get(key) as Buffer | undefined;
    },
    update,
    scan: () => scanAll.get() as number,
    count: () => countAll.get() as number,
    probe: () => null,
    describe: () => `SQLite ${String(db.prepare('SELECT sqlite_version()').pluck().get())} (better-sqlite3): ${config}; ` +
      '(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID',
    close(): Promise<void> {
      db.close();
      return Promise.resolve();
    },
  };
}
