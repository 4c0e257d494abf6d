/**
 * Page file format 2 (storage/format.ts): page checksums bind the database salt, and the
 * WAL logs a page whole at its first change after a checkpoint, so redo never patches a
 * page it cannot verify. And format 1 files — real ones, written by remapdb as of commit
 * 1d1073c (fixtures/format1/README.md) — are upgraded in place when opened, crash-safely.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import Sqlite from 'better-sqlite3';
import t, { type Test } from 'tap';

import { openBufferPool } from '../../bufferpool/index.js';
import { Kernel } from '../../sim-kernel/index.js';
import { open } from '../../src/db.js';
import {
  FORMAT_VERSION, get64, LEGACY_CHECKSUM_SEED, PAGE_HEADER_BYTES, PAGE_TYPE, pageChecksum, pageChecksumSeed, readSuperblock, sealPage,
  superblockCopies, verifyPage, writeSuperblock,
} from '../../storage/file/format.js';
import { redo } from '../../storage/redo.js';
import { Wal, WAL_RECORD } from '../../storage/wal/wal.js';
import { machine } from '../bufferpool/helpers.js';
import { codeOf, format1Fixture, tempDir } from './helpers/index.js';
import { walRecords } from './helpers/index.js';

const PS = 4096;
const STRATEGIES = ['nonlinear', 'multi-mmap', 'pread'] as const;

interface User {
  name: string;
  age: number;
  bio: string;
}

/** What the fixture script wrote (fixtures/format1/README.md), as rows by key. */
function expectedRows(): Map<number, User> {
  const m = new Map<number, User>();
  for (let i = 0; i < 120; i++) m.set(i, { name: `user${i}`, age: 20 + (i % 50), bio: i % 40 === 0 ? 'x'.repeat(6000 + i) : `bio ${i}` });
  for (let i = 0; i < 120; i += 7) m.delete(i);
  for (let i = 0; i < 5; i++) m.set(1000 + i, { name: `late${i}`, age: 99, bio: 'y'.repeat(100 * (i + 1)) });
  m.set(3, { name: 'changed', age: 1, bio: 'z'.repeat(5000) });
  return m;
}


function fileVersions(dir: string): number[] {
  const data = fs.readFileSync(path.join(dir, 'data.rdb'));
  return superblockCopies(PS).map((c) => data.readUInt32LE(c + 8));
}

/** Every page of the file: which checksum it carries ('salted', 'legacy' or 'bad'). */
function checksumKinds(dir: string): Map<string, number[]> {
  const data = new Uint8Array(fs.readFileSync(path.join(dir, 'data.rdb')));
  const sb = readSuperblock(data, 0, PS, data.length, PS);
  const out = new Map<string, number[]>([['salted', []], ['legacy', []], ['bad', []]]);
  for (let p = 1; p < sb.pageCount; p++) {
    const stored = new DataView(data.buffer, p * PS + 4, 4).getUint32(0, true);
    const kind = stored === pageChecksum(data, p * PS, PS, pageChecksumSeed(sb.salt)) ? 'salted'
      : stored === pageChecksum(data, p * PS, PS, LEGACY_CHECKSUM_SEED) ? 'legacy' : 'bad';
    out.get(kind)?.push(p);
  }
  return out;
}

function checkRows(t: Test, db: ReturnType<typeof open>, what: string): void {
  const want = expectedRows();
  const users = db.table<User>('users');
  const got = new Map(users.all().map((r) => [r.key as number, r.value]));
  t.same([...got.keys()].sort((a, b) => a - b), [...want.keys()].sort((a, b) => a - b), `${what}: the keys`);
  t.ok([...want].every(([k, v]) => JSON.stringify(got.get(k)) === JSON.stringify(v)), `${what}: every value`);
  t.same(users.index('by_age').find([99]).map((r) => r.key).sort(), [1000, 1001, 1002, 1003, 1004], `${what}: the index`);
  t.same(db.integrityReport().checks.filter((c) => !c.ok), [], `${what}: every integrity check passes`);
}

t.test('a format 1 file is upgraded when opened, with every strategy', async (t) => {
  for (const variant of ['clean', 'wal'] as const) {
    for (const strategy of STRATEGIES) {
      const dir = format1Fixture(t, variant);
      t.same(fileVersions(dir), [1, 1], `${variant}: the fixture is format 1`);
      t.equal(checksumKinds(dir).get('salted')?.length, 0, `${variant}: with unsalted checksums`);
      const db = open(dir, { strategy, poolPages: 16, kernel: { ramBytes: 16 * 1024 * 1024 } });
      const up = db.stats().upgraded;
      t.match(up, { from: 1, to: FORMAT_VERSION, damaged: [] }, `${variant}, ${strategy}: upgraded`);
      t.ok((up?.resealed ?? 0) >= 5, `${up?.resealed} pages resealed (the rest written salted by the recovery checkpoint)`);
      t.equal(db.stats().recovered.transactions, variant === 'wal' ? 6 : 0, 'the WAL\'s commits redone first');
      checkRows(t, db, `${variant}, ${strategy}`);
      db.transaction(() => db.table<User>('users').upsert(5000, { name: 'after', age: 5, bio: '' }))();
      db.close();
      t.same(fileVersions(dir), [FORMAT_VERSION, FORMAT_VERSION], 'the superblock says format 2');
      const meta = new Sqlite(path.join(dir, 'meta.sqlite'), { readonly: true });
      t.equal(meta.prepare("SELECT value FROM meta WHERE key = 'format_version'").pluck().get(), String(FORMAT_VERSION), 'and so does the catalog');
      meta.close();
      const kinds = checksumKinds(dir);
      t.same([kinds.get('legacy'), kinds.get('bad')], [[], []], 'every page carries the salted checksum');
      const again = open(dir, { strategy, poolPages: 16, kernel: { ramBytes: 16 * 1024 * 1024 } });
      t.equal(again.stats().upgraded, null, 'a format 2 file is not upgraded again');
      t.equal(again.table<User>('users').get(5000)?.name, 'after');
      again.close();
    }
  }
});

t.test('a power cut at any write of the upgrade: the next open finishes it, nothing lost', async (t) => {
  for (const [variant, torn] of [['clean', false], ['clean', true], ['wal', false], ['wal', true]] as const) {
    let cuts = 0;
    for (let n = 1; ; n++) {
      const dir = format1Fixture(t, variant);
      const k = new Kernel({ ramBytes: 16 * 1024 * 1024 });
      // The writes of opening: the upgrade's checksum rewrites, its fsync, the checkpoint.
      k.core.faults.powerCutAt('write', n, torn);
      let db: ReturnType<typeof open> | null = null;
      try {
        db = open(dir, { kernel: k, strategy: 'pread', poolPages: 16 });
      } catch (err) {
        t.ok(typeof (err as { code?: unknown }).code === 'string', `write ${n}: a coded error (${(err as { code?: string }).code})`);
      }
      const fired = k.core.faults.injected.EIO + k.core.faults.injected.torn > 0;
      if (db !== null && !db.closed) db.simulatePowerFailure();
      k.shutdown({ sync: false });
      if (!fired) break;
      cuts++;
      const k2 = new Kernel({ ramBytes: 16 * 1024 * 1024 });
      const again = open(dir, { kernel: k2, strategy: 'nonlinear', poolPages: 16 });
      t.equal(again.stats().upgraded?.damaged.length ?? 0, 0, `${variant}, write ${n}${torn ? ' (torn)' : ''}: no page left damaged`);
      checkRows(t, again, `${variant}, cut at write ${n}${torn ? ' (torn)' : ''}`);
      again.close();
      k2.shutdown({ sync: true });
      t.same(fileVersions(dir), [FORMAT_VERSION, FORMAT_VERSION], 'upgraded in the end');
    }
    t.ok(cuts > 3, `${variant}: ${cuts} power cuts${torn ? ' (torn writes)' : ''} while opening (recovery, upgrade), each recovered`);
  }
});

t.test('a write of the upgrade torn inside the checksum field is finished, not taken for damage', async (t) => {
  // The simulated device tears a write at any byte (sim-kernel faults.tornLength), so a
  // rewritten page can hold the salted checksum's low bytes over the legacy one's high
  // bytes (found by review: such a page was left "damaged" and failed when read).
  for (const k of [1, 2, 3]) {
    const dir = format1Fixture(t, 'clean');
    const file = path.join(dir, 'data.rdb');
    const data = new Uint8Array(fs.readFileSync(file));
    const sb = readSuperblock(data, 0, PS, data.length, PS);
    const p = 2;
    const salted = pageChecksum(data, p * PS, PS, pageChecksumSeed(sb.salt));
    const legacy = pageChecksum(data, p * PS, PS, LEGACY_CHECKSUM_SEED);
    const low = 2 ** (8 * k) - 1;
    new DataView(data.buffer).setUint32(p * PS + 4, ((salted & low) | (legacy & ~low)) >>> 0, true);
    fs.writeFileSync(file, data);
    const db = open(dir, { poolPages: 64, kernel: { ramBytes: 16 * 1024 * 1024 } });
    t.same(db.stats().upgraded?.damaged, [], `torn after ${k} byte(s) of the checksum: finished`);
    checkRows(t, db, `torn after ${k} byte(s)`);
    db.close();
  }
});

t.test('a damaged page in a format 1 file is left as it is, and fails when read', async (t) => {
  const dir = format1Fixture(t, 'clean');
  const file = path.join(dir, 'data.rdb');
  const data = fs.readFileSync(file);
  const sb = readSuperblock(new Uint8Array(data), 0, PS, data.length, PS);
  let leaf = -1;
  for (let p = 2; p < sb.pageCount && leaf < 0; p++) if (data[p * PS] === PAGE_TYPE.LEAF) leaf = p;
  data[leaf * PS + 200] = (data[leaf * PS + 200] as number) ^ 0x10;
  fs.writeFileSync(file, data);
  const db = open(dir, { poolPages: 64, kernel: { ramBytes: 16 * 1024 * 1024 } });
  t.same(db.stats().upgraded?.damaged, [leaf], `page ${leaf} named`);
  const failed = db.integrityReport().checks.filter((c) => !c.ok);
  t.ok(failed.length > 0 && failed.some((c) => JSON.stringify(c).includes(`page ${leaf}`)), 'the integrity report names it');
  t.equal(codeOf(() => db.table<User>('users').all()), 'REMAPDB_CORRUPT', 'reading it: REMAPDB_CORRUPT');
  db.close();
});

t.test("another database's page of the same number fails its checksum (format 2)", async (t) => {
  const make = (dir: string, seed: number): void => {
    const db = open(dir, { seed, poolPages: 64 });
    const tb = db.createTable<string>('kv', { key: ['int'], value: 'string' });
    db.transaction(() => {
      for (let i = 0; i < 300; i++) tb.upsert(i, `${seed}:${i}`);
    })();
    db.close();
  };
  const mine = tempDir(t);
  const theirs = tempDir(t);
  make(mine, 1);
  make(theirs, 2);
  const a = fs.readFileSync(path.join(mine, 'data.rdb'));
  const b = fs.readFileSync(path.join(theirs, 'data.rdb'));
  let swapped = 0;
  for (let p = 1; p * PS < Math.min(a.length, b.length); p++) {
    const copy = Buffer.from(a);
    b.copy(copy, p * PS, p * PS, p * PS + PS);
    if (copy.equals(a)) continue;
    fs.writeFileSync(path.join(mine, 'data.rdb'), copy);
    let db: ReturnType<typeof open>;
    try {
      db = open(mine, { poolPages: 64 });
    } catch (err) {
      t.match(err, { code: 'REMAPDB_CORRUPT', message: /or a page of another database/ }, `page ${p} from the other database: open refused`);
      swapped++;
      continue;
    }
    const read = codeOf(() => db.table<string>('kv').all());
    const report = db.integrityReport();
    t.ok(read === 'REMAPDB_CORRUPT' || report.checks.some((c) => !c.ok), `page ${p} from the other database: refused (${read})`);
    const bad = db.verifyFile().errors.find((e) => e.page === p);
    t.match(bad?.message, /or a page of another database/, 'the checksum names the possibility');
    db.close();
    swapped++;
  }
  fs.writeFileSync(path.join(mine, 'data.rdb'), a);
  t.ok(swapped > 3, `${swapped} pages swapped in`);
});

t.test("the WAL logs a page whole at its first change after a checkpoint; redo replaces a damaged copy", async (t) => {
  const dir = tempDir(t);
  const db = open(dir, { poolPages: 64, sync: 'full' });
  const tb = db.createTable<string>('kv', { key: ['int'], value: 'string' });
  db.transaction(() => {
    for (let i = 0; i < 400; i++) tb.upsert(i, `v${i}`);
  })();
  db.checkpoint();
  for (let r = 0; r < 3; r++) db.transaction(() => tb.upsert(5, `round ${r}`))();
  db.simulatePowerFailure();
  const recs = walRecords(new Uint8Array(fs.readFileSync(path.join(dir, 'wal.rdb')))).filter((x) => x.type !== WAL_RECORD.COMMIT);
  const first = new Map<number, number>();
  for (const r of recs) if (!first.has(r.pageId)) first.set(r.pageId, r.type);
  t.same([...new Set(first.values())], [WAL_RECORD.FPI], `each of pages ${[...first.keys()].join(', ')}: first logged whole`);
  t.ok(recs.some((r) => r.type === WAL_RECORD.DELTA), 'later changes are deltas');
  // Destroy the file's copy of every page the log changes: redo does not need them.
  const file = path.join(dir, 'data.rdb');
  const data = fs.readFileSync(file);
  for (const p of first.keys()) if (p !== 0) data.fill(0xa5, p * PS + 100, p * PS + 300);
  fs.writeFileSync(file, data);
  const again = open(dir, { poolPages: 64 });
  t.equal(again.table<string>('kv').get(5), 'round 2', 'the last commit is there');
  t.equal(again.table<string>('kv').count, 400);
  t.same(again.verifyFile().errors, [], 'the damaged copies were replaced from the log');
  t.same(again.integrityReport().checks.filter((c) => !c.ok), []);
  again.close();
});

t.test('redo refuses to patch a damaged page with a delta (and format 1 redo could not tell)', async (t) => {
  const SALT = 0x5eed;
  const seed = pageChecksumSeed(SALT);
  for (const damaged of [false, true]) {
    for (const verifying of [true, false]) {
      const m = machine(t, { ramBytes: 8 * 1024 * 1024 });
      const walPath = `${m.file}.wal`;
      // A 4-page file at checkpoint LSN 0; the log changes page 2 by a delta (as a format 1
      // log would: format 2 logs a page whole first).
      const img = new Uint8Array(4 * PS);
      writeSuperblock(img, 0, {
        formatVersion: FORMAT_VERSION, pageSize: PS, pageCount: 4, checkpointLsn: 0, freeListHead: 0, freeCount: 0, salt: SALT, flags: 0,
      });
      for (let p = 1; p < 4; p++) {
        img.fill(p, p * PS + PAGE_HEADER_BYTES, p * PS + PS);
        sealPage(img, p * PS, PS, PAGE_TYPE.LEAF, 0, p, seed);
      }
      const after = img.slice(2 * PS, 3 * PS);
      after.fill(0x77, 1000, 1010);
      const w = Wal.open(m.p, walPath, { pageSize: PS, sync: 'full', salt1: SALT }, { baseLsn: 0, salt2: 9 });
      t.ok(w.addPageDelta(2, img, 2 * PS, after, 0, 0) < 100, 'a delta');
      w.commit(1);
      w.close();
      if (damaged) img[2 * PS + 3000] = (img[2 * PS + 3000] as number) ^ 1;
      m.p.pwrite(m.fd, img, 0);
      const wal = Wal.open(m.p, walPath, { pageSize: PS, sync: 'full', salt1: SALT }, { baseLsn: 0, salt2: 10 });
      const pool = openBufferPool(m.k, m.p, m.fd, {
        strategy: 'pread', slots: 8, policy: 'clock', shadowSlots: 8,
        wal: { durableLsn: () => wal.durableLsn, flushLog: (lsn) => wal.flush(lsn) },
      }, 4);
      const sb = readSuperblock(img, 0, PS, img.length, PS);
      const verify = verifying ? (p: number, b: Uint8Array, o: number) => verifyPage(b, o, PS, p, seed) : null;
      const what = `${damaged ? 'damaged' : 'sound'} page, ${verifying ? 'format 2' : 'format 1'} redo`;
      const code = codeOf(() => redo(pool, wal, sb, verify));
      if (damaged && verifying) {
        t.equal(code, 'REMAPDB_CORRUPT', `${what}: refused`);
        t.throws(() => redo(pool, Wal.open(m.p, walPath, { pageSize: PS, sync: 'full', salt1: SALT }, { baseLsn: 0, salt2: 11 }), sb, verify),
          { message: /the WAL changes page 2 \(a delta at LSN \d+\), but the page file's copy it applies to is damaged: page 2: checksum/ });
      } else {
        t.equal(code, 'no error', `${what}: redone`);
        const tok = pool.fix(2, 'shared');
        const at = pool.offset(tok);
        t.same(pool.bytes.subarray(at + 1000, at + 1010), new Uint8Array(10).fill(0x77), 'the delta applied');
        t.equal(pool.bytes[at + 3000] === (after[3000] as number), !damaged, damaged ? 'the damage carried over, undetected' : 'the rest as it was');
        pool.unfix(tok, false);
        t.equal(get64(new DataView(pool.bytes.buffer, pool.bytes.byteOffset + at, 24), 16), 2);
      }
      pool.close();
      wal.close();
    }
  }
});
