/**
 * The catalog mirror (meta.sqlite): objects, row counts, stats and snapshots round-trip;
 * reconcile() reports and repairs every difference in one transaction; and every file
 * that is not this database's catalog — another database's, a foreign file, another
 * application's SQLite file, a newer schema — is refused with REMAPDB_CATALOG without
 * being written to.
 */

import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Prng } from '../../sim-kernel/index.js';
import {
  CATALOG_APPLICATION_ID, CATALOG_SCHEMA_VERSION, Catalog, type CatalogObject, type CatalogOptions, type CatalogTruth,
} from '../../storage/catalog.js';
import { DB_CODES } from '../../storage/errors.js';
import { FORMAT_VERSION } from '../../storage/file/format.js';

const SALT = 0xdeadbeef;
const PS = 4096;
const SEED = 20240611;

/** A fake clock: 1000, 1001, 1002, … */
function clock(): () => number {
  let ms = 1000;
  return () => ms++;
}

function metaPath(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'remapdb-catalog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'meta.sqlite');
}

function open(t: Test, path: string, over: Partial<CatalogOptions> = {}): Catalog {
  const c = Catalog.open(path, { salt: SALT, pageSize: PS, create: true, now: clock(), ...over });
  t.teardown(() => c.close());
  return c;
}

const users: CatalogObject = {
  name: 'users', kind: 'table', tableName: null, rootPage: 3,
  definition: { key: ['u64'], value: 'json', nested: { z: 1, a: [1, 'two', null, true] } }, rowCount: 0,
};
const byEmail: CatalogObject = {
  name: 'users_by_email', kind: 'index', tableName: 'users', rootPage: 4,
  definition: { fields: ['email'], unique: true }, rowCount: 0,
};
const orders: CatalogObject = {
  name: 'orders', kind: 'table', tableName: null, rootPage: 7, definition: { key: ['u64', 'u32'] }, rowCount: 12,
};

function withoutCount(o: CatalogObject): CatalogTruth {
  const { rowCount: _, ...rest } = o;
  return rest;
}

t.test('objects round-trip: put, get, list, replace, remove, reopen', async (t) => {
  const path = metaPath(t);
  const c = open(t, path);
  c.checkInvariants();
  t.same(c.list(), []);
  c.put(users);
  c.put(byEmail);
  c.put(orders);
  c.checkInvariants();
  t.same(c.get('users'), users);
  t.equal(c.get('nope'), undefined);
  t.same(c.list().map((o) => o.name), ['orders', 'users', 'users_by_email'], 'listed by name');
  c.put({ ...orders, rootPage: 9, rowCount: 13 });
  t.same(c.get('orders'), { ...orders, rootPage: 9, rowCount: 13 }, 'put replaces');
  c.remove('users_by_email');
  c.remove('users_by_email');
  t.same(c.list().map((o) => o.name), ['orders', 'users']);
  c.close();
  c.close();
  t.throws(() => c.list(), { code: DB_CODES.CLOSED });

  const again = open(t, path, { create: false });
  again.checkInvariants();
  t.same(again.list(), [{ ...orders, rootPage: 9, rowCount: 13 }, users], 'survives close and reopen');
  t.equal(again.path, path);
});

t.test('definitions are stored as canonical JSON: key order does not matter', async (t) => {
  const path = metaPath(t);
  const c = open(t, path);
  c.put({ ...users, definition: { nested: { a: [1, 'two', null, true], z: 1 }, value: 'json', key: ['u64'] } });
  const raw = new Database(path, { readonly: true });
  t.teardown(() => raw.close());
  const row = raw.prepare<[], { definition: string }>("SELECT definition FROM objects WHERE name = 'users'").get();
  t.equal(row?.definition, '{"key":["u64"],"nested":{"a":[1,"two",null,true],"z":1},"value":"json"}');
  t.same(c.reconcile([users]), { added: [], removed: [], updated: [] }, 'same definition in another key order');
  t.throws(() => c.put({ ...users, definition: { bad: NaN } }), /\$\.bad = NaN has no JSON form/);
  t.throws(() => c.put({ ...byEmail, tableName: null }), /Catalog invariant/, 'an index needs its table');
});

t.test('setRowCounts is one transaction: an unknown name changes nothing', async (t) => {
  const c = open(t, metaPath(t));
  c.put(users);
  c.put(orders);
  c.setRowCounts([['users', 5], ['orders', 6]]);
  t.same([c.get('users')?.rowCount, c.get('orders')?.rowCount], [5, 6]);
  t.throws(() => c.setRowCounts([['users', 50], ['ghost', 1]]), { code: DB_CODES.CATALOG, message: /no object named "ghost"/ });
  t.equal(c.get('users')?.rowCount, 5, 'rolled back');
  c.checkInvariants();
});

t.test('reconcile: added, removed, updated; row counts kept unless given', async (t) => {
  const c = open(t, metaPath(t));
  c.put({ ...users, rowCount: 40 });
  c.put({ ...byEmail, rowCount: 40 });
  c.put(orders);
  const truth: CatalogTruth[] = [
    { ...withoutCount(users), rootPage: 11 },                        // root split: updated, count kept
    { ...byEmail, definition: { fields: ['email'], unique: false } }, // definition changed, count given
    { name: 'items', kind: 'table', tableName: null, rootPage: 12, definition: {} }, // new, no count
  ];
  t.same(c.reconcile(truth), { added: ['items'], removed: ['orders'], updated: ['users', 'users_by_email'] });
  c.checkInvariants();
  t.same(c.list(), [
    { name: 'items', kind: 'table', tableName: null, rootPage: 12, definition: {}, rowCount: 0 },
    { ...users, rootPage: 11, rowCount: 40 },
    { ...byEmail, definition: { fields: ['email'], unique: false }, rowCount: 0 },
  ]);
  t.same(c.reconcile(truth), { added: [], removed: [], updated: [] }, 'a second reconcile finds nothing');
  t.same(c.reconcile([{ ...users, rootPage: 11, rowCount: 41 }]),
    { added: [], removed: ['items', 'users_by_email'], updated: [] }, 'a count alone is written but is not an update');
  t.equal(c.get('users')?.rowCount, 41);
  t.throws(() => c.reconcile([users, users]), /listed twice/);
});

t.test('reconcile repairs a damaged definition instead of failing on it', async (t) => {
  const path = metaPath(t);
  const c = open(t, path);
  c.put(users);
  const raw = new Database(path);
  raw.prepare("UPDATE objects SET definition = '{not json' WHERE name = 'users'").run();
  raw.close();
  t.throws(() => c.get('users'), { code: DB_CODES.CATALOG, message: /object users definition is not JSON/ });
  t.same(c.reconcile([users]), { added: [], removed: [], updated: ['users'] });
  t.same(c.get('users'), users);
});

t.test('stats round-trip and overwrite', async (t) => {
  const path = metaPath(t);
  const c = open(t, path);
  t.same(c.stats(), {});
  c.putStats({ hitRatio: 0.93, faults: 12 });
  c.putStats({ faults: 13 });
  t.same(c.stats(), { faults: 13, hitRatio: 0.93 });
  t.throws(() => c.putStats({ bad: Infinity }), /not finite/);
  c.close();
  t.same(open(t, path, { create: false }).stats(), { faults: 13, hitRatio: 0.93 });
});

t.test('snapshots keep only the newest N; ids are never reused', async (t) => {
  const path = metaPath(t);
  const c = open(t, path, { keepSnapshots: 3 });
  t.equal(c.latestSnapshot(), undefined);
  const ids: number[] = [];
  for (let i = 1; i <= 5; i++) {
    ids.push(c.saveSnapshot({ label: `s${i}`, strategy: 'remap', summary: { i }, slots: [i, i], kernel: { faults: i * 10 } }));
    c.checkInvariants();
  }
  t.same(ids, [1, 2, 3, 4, 5]);
  t.same(c.latestSnapshot(), {
    id: 5, takenAt: 1005, label: 's5', strategy: 'remap', summary: { i: 5 }, slots: [5, 5], kernel: { faults: 50 },
  }, 'takenAt from the injected clock (1000 went to created_at)');
  const raw = new Database(path, { readonly: true });
  t.teardown(() => raw.close());
  t.same(raw.prepare<[], { id: number }>('SELECT id FROM snapshots ORDER BY id').all().map((r) => r.id), [3, 4, 5]);
  c.close();
  const again = open(t, path, { create: false, keepSnapshots: 3 });
  t.equal(again.saveSnapshot({ label: 's6', strategy: 'copy', summary: null, slots: [], kernel: {} }), 6, 'AUTOINCREMENT');
});

t.test('identity: the file names the database, page size, schema version', async (t) => {
  const path = metaPath(t);
  open(t, path).close();
  const raw = new Database(path, { readonly: true });
  t.equal(raw.pragma('application_id', { simple: true }), CATALOG_APPLICATION_ID);
  t.equal(raw.pragma('user_version', { simple: true }), CATALOG_SCHEMA_VERSION);
  t.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  t.same(raw.prepare('SELECT key, value FROM meta ORDER BY key').all(), [
    { key: 'created_at', value: '1000' }, { key: 'format_version', value: String(FORMAT_VERSION) },
    { key: 'page_size', value: String(PS) }, { key: 'salt', value: String(SALT) },
  ]);
  raw.close();

  t.throws(() => Catalog.open(path, { salt: 7, pageSize: PS, create: true }), {
    code: DB_CODES.CATALOG,
    message: /meta\.sqlite belongs to another database: salt 0xdeadbeef, page file salt 0x00000007/,
    details: { path, salt: SALT, pageFileSalt: 7 },
  });
  t.throws(() => Catalog.open(path, { salt: SALT, pageSize: 8192, create: false }), {
    code: DB_CODES.CATALOG, message: /page size 4096, page file page size 8192/,
  });
});

t.test('missing or empty file with create: false', async (t) => {
  const path = metaPath(t);
  const e = t.throws(() => Catalog.open(path, { salt: SALT, pageSize: PS, create: false }), {
    code: DB_CODES.CATALOG, message: new RegExp(`${path} could not be opened \\(create: false\\)`),
  });
  t.match((e as Error).cause, { code: 'SQLITE_CANTOPEN' });
  writeFileSync(path, '');
  t.throws(() => Catalog.open(path, { salt: SALT, pageSize: PS, create: false }), {
    code: DB_CODES.CATALOG, message: /empty SQLite database/,
  });
  open(t, path).checkInvariants(); // create: true initializes the empty file
});

t.test('foreign files are refused and left byte-for-byte alone', async (t) => {
  const rng = new Prng(SEED);
  const noise = Uint8Array.from({ length: 8192 }, () => rng.int(0, 255));
  const text = 'remapdb catalog? no: this is a text file somebody left here.\n'.repeat(50);
  for (const [what, bytes] of [['random bytes', noise], ['a text file', Buffer.from(text)]] as const) {
    const path = metaPath(t);
    writeFileSync(path, bytes);
    const e = t.throws(() => Catalog.open(path, { salt: SALT, pageSize: PS, create: true }), {
      code: DB_CODES.CATALOG, message: new RegExp(`${path} is not a SQLite database`),
    }, `${what} (seed ${SEED})`);
    t.match((e as Error).cause, { code: 'SQLITE_NOTADB' });
    t.same(readFileSync(path), Buffer.from(bytes), `${what}: unchanged`);
  }
});

t.test("another application's SQLite file, or one without our schema, is refused unchanged", async (t) => {
  const other = metaPath(t);
  const raw = new Database(other);
  raw.exec('CREATE TABLE notes(body TEXT)');
  raw.pragma('application_id = 305419896'); // 0x12345678
  raw.close();
  const before = readFileSync(other);
  t.throws(() => Catalog.open(other, { salt: SALT, pageSize: PS, create: true }), {
    code: DB_CODES.CATALOG,
    message: /is not a remapdb catalog: application_id 0x12345678 \(remapdb uses 0x524d4442 'RMDB'\), tables: notes/,
  });
  t.same(readFileSync(other), before, 'not switched to WAL or otherwise written');

  const plain = metaPath(t);
  const raw2 = new Database(plain);
  raw2.exec('CREATE TABLE objects(x)');
  raw2.close();
  t.throws(() => Catalog.open(plain, { salt: SALT, pageSize: PS, create: true }), {
    code: DB_CODES.CATALOG, message: /application_id 0x00000000/,
  });
});

t.test('a newer schema version, or a damaged schema, is refused', async (t) => {
  const path = metaPath(t);
  open(t, path).close();
  const raw = new Database(path);
  raw.pragma(`user_version = ${CATALOG_SCHEMA_VERSION + 1}`);
  raw.close();
  t.throws(() => Catalog.open(path, { salt: SALT, pageSize: PS, create: false }), {
    code: DB_CODES.CATALOG, message: /created by a newer remapdb \(catalog schema version 2; this build reads up to 1\)/,
  });

  const path2 = metaPath(t);
  open(t, path2).close();
  const raw2 = new Database(path2);
  raw2.exec('DROP TABLE stats');
  raw2.close();
  t.throws(() => Catalog.open(path2, { salt: SALT, pageSize: PS, create: false }), {
    code: DB_CODES.CATALOG, message: /missing table\(s\) stats/,
  });
});

t.test('a SQLite error during use is REMAPDB_CATALOG naming the file, with the cause', async (t) => {
  const path = metaPath(t);
  const c = open(t, path);
  const raw = new Database(path);
  raw.exec('DROP TABLE stats');
  raw.close();
  const e = t.throws(() => c.putStats({ x: 1 }), {
    code: DB_CODES.CATALOG, message: new RegExp(`catalog ${path} failed in putStats: no such table: stats`),
  });
  t.match((e as Error).cause, { code: 'SQLITE_ERROR' });
});
