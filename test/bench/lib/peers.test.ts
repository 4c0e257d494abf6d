/**
 * The peers' settings (bench/lib/peers.ts): SQLite's two checkpoint intervals and its
 * cache, LMDB's flags per level and its byte-counted syncs at 'normal', and the captions
 * that say what each level promises.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import Database from 'better-sqlite3';
import { open } from 'lmdb';
import t, { type Test } from 'tap';

import {
  configureSqlite, durabilityNotes, ENGINE_KINDS, LmdbFlusher, lmdbSyncFlags, PROMISES, remapdbCheckpointBytes, sqliteCacheBytes,
} from '../../../bench/lib/peers.js';
import { ramFor } from '../../../bench/workloads/stores.js';

const MiB = 1024 * 1024;

function tmp(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-peers-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test("SQLite's cache: remapdb's pool + the page cache it can use", (t) => {
  // The demo's pool: 16,384 pages on 176 MiB of simulated RAM, 16 MiB of it shadow frames.
  t.equal(ramFor(16384), 176 * MiB);
  t.equal(sqliteCacheBytes(16384, ramFor(16384)), 160 * MiB);
  t.equal(sqliteCacheBytes(65536, 1024 * MiB), 960 * MiB, 'the storage suite: 1 GiB − 64 MiB of shadow frames');
  t.equal(sqliteCacheBytes(16384, 32 * MiB), 64 * MiB, 'never less than the pool');
  t.throws(() => sqliteCacheBytes(0, 64 * MiB), /poolPages 0/);
  t.end();
});

t.test('SQLite: WAL, the level, the cache, and the checkpoint interval default or matched', (t) => {
  const dir = tmp(t);
  for (const checkpoint of ['default', 'matched'] as const) {
    const db = new Database(path.join(dir, `${checkpoint}.sqlite`));
    const line = configureSqlite(db, { sync: 'normal', checkpoint, poolPages: 16384, cacheBytes: 160 * MiB });
    t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    t.equal(db.pragma('synchronous', { simple: true }), 1, 'NORMAL');
    t.equal(db.pragma('cache_size', { simple: true }), -160 * 1024);
    const pages = db.pragma('wal_autocheckpoint', { simple: true });
    if (checkpoint === 'default') {
      t.equal(pages, 1000);
      t.match(line, /wal_autocheckpoint=1000 pages \(3\.91 MiB, the default\)/);
    } else {
      t.equal(remapdbCheckpointBytes(16384), 128 * MiB, "remapdb's checkpointBytes at this pool (2 × 64 MiB)");
      t.equal(pages, (128 * MiB) / 4096);
      t.match(line, /wal_autocheckpoint=32768 pages \(128 MiB, = remapdb's checkpointBytes\)/);
    }
    db.close();
  }
  t.end();
});

t.test('LMDB: the flags per level', (t) => {
  t.same(lmdbSyncFlags('full'), { noSync: false, overlappingSync: false, trackMetrics: false });
  t.same(lmdbSyncFlags('normal'), { noSync: true, overlappingSync: false, trackMetrics: true });
  t.same(lmdbSyncFlags('off'), { noSync: true, overlappingSync: false, trackMetrics: false });
  t.end();
});

t.test("LMDB 'normal': one env.sync() per interval of pages written; none at 'full' and 'off'", async (t) => {
  const dir = tmp(t);
  const interval = 4 * MiB;
  for (const sync of ['normal', 'full', 'off'] as const) {
    const env = open<Buffer, Buffer>({ path: path.join(dir, sync), encoding: 'binary', keyEncoding: 'binary', compression: false, ...lmdbSyncFlags(sync) });
    const flusher = new LmdbFlusher(env, sync, interval);
    const k = Buffer.alloc(8);
    const v = Buffer.alloc(100, 7);
    const commits = sync === 'full' ? 200 : 3000; // 'full' fdatasyncs twice per commit
    for (let i = 0; i < commits; i++) {
      k.writeUInt32BE((i * 7919) % 3000, 4);
      env.transactionSync(() => env.putSync(k, v));
      flusher.committed();
    }
    if (sync === 'normal') {
      const written = flusher.writtenBytes();
      t.ok(written > 4 * interval, `${sync}: ${written} bytes of pages written`);
      // Checked every 64 commits (~0.8 MiB of pages here), so each sync lands up to that far past its interval.
      t.ok(flusher.flushes >= Math.floor(written / (interval * 1.25)) && flusher.flushes <= Math.floor(written / interval),
        `${flusher.flushes} syncs for ${written} bytes at ${interval} per sync`);
      t.match(flusher.describe(), /env\.sync\(\) after every 4 MiB of pages written \(\d+ so far, [\d.]+ MiB written\)/);
    } else {
      t.equal(flusher.flushes, 0, `${sync}: the harness never syncs`);
      t.equal(flusher.describe(), '');
    }
    await env.close();
  }
});

t.test('captions: every level names each engine\'s setting and its promise; LMDB normal says it is weaker', (t) => {
  const notes = durabilityNotes(['off', 'normal', 'full'], ENGINE_KINDS, [16384]);
  t.equal(notes.length, 5, 'three levels, checkpoints, cache');
  t.match(notes[0], /Durability 'off': remapdb .*; SQLite synchronous=OFF; LMDB noSync, never synced\. Process crash: every engine keeps/);
  t.match(notes[1], /LMDB may lose the commits since its last env\.sync\(\) and may be corrupt .* weaker than remapdb and SQLite/);
  t.match(notes[2], /Durability 'full': .*SQLite loses no commit; LMDB loses no commit/);
  t.match(notes[3], /128 MiB at a 16,384-page pool.*wal_autocheckpoint 1000 pages \(3\.91 MiB\)/);
  t.match(notes[4], /cache_size = remapdb's pool \+ the simulated page cache/);
  for (const level of ['off', 'normal', 'full'] as const) {
    for (const k of ENGINE_KINDS) t.ok(PROMISES[level][k].setting !== '' && PROMISES[level][k].powerLoss !== '', `${level} ${k}`);
  }
  t.same(durabilityNotes(['full'], ['remapdb'], [4096]).length, 2, 'remapdb alone: no SQLite or cache lines');
  t.end();
});
