/**
 * Data from the CLI through the real binary: tables, schema, get, scan, dump and import on
 * a database made here with tables of several key types; keys parsed per key type with
 * errors naming them; reading rows refused (REMAPDB_LOCKED, exit 6, naming the holder)
 * while an engine holds the database, tables and schema still answering.
 */

import * as fs from 'node:fs';
import { join } from 'node:path';

import t from 'tap';

import { open } from '../../src/index.js';
import { oneLine, remapdb, tmp } from './helpers.js';

function makeDb(dir: string): void {
  const db = open(dir, { poolPages: 64, shadowPages: 16, kernel: { ramBytes: 16 * 1024 * 1024 } });
  const users = db.createTable('users', { key: ['string'] });
  const orders = db.createTable('orders', { key: ['int', 'int'] });
  const blobs = db.createTable('blobs', { key: ['bytes'], value: 'bytes' });
  db.createIndex('users', 'users_by_city', { fields: ['city'] });
  db.transaction(() => {
    users.insert('ada', { city: 'London', born: 1815 });
    users.insert('linus', { city: 'Helsinki', born: 1969 });
    for (let c = 1; c <= 3; c++) for (let o = 1; o <= 4; o++) orders.insert([c, o], { cents: c * 100 + o });
    blobs.insert(Uint8Array.of(1, 2), Uint8Array.of(9, 8, 7));
  })();
  db.close();
}

t.test('tables, schema, get, scan', async (t) => {
  const dir = join(tmp(t, 'data'), 'db');
  makeDb(dir);

  const tables = remapdb(['tables', dir, '--json']);
  t.equal(tables.status, 0, tables.stderr);
  const list = JSON.parse(tables.stdout) as { name: string; rows: number; key: string[]; indexes: { name: string }[] }[];
  t.same(list.map((x) => [x.name, x.rows, x.key.join(',')]), [['blobs', 1, 'bytes'], ['orders', 12, 'int,int'], ['users', 2, 'string']]);
  t.same(list.find((x) => x.name === 'users')?.indexes.map((i) => i.name), ['users_by_city']);
  t.match(remapdb(['tables', dir]).stdout, /orders\s+12\s+int, int\s+msgpack/);

  const schema = remapdb(['schema', dir, 'users']);
  t.equal(schema.status, 0);
  t.match(schema.stdout, /^CREATE TABLE users \(key string\) VALUES msgpack;/m);
  t.match(schema.stdout, /^CREATE INDEX users_by_city ON users \(city\);/m);

  const get = remapdb(['get', dir, 'users', 'ada']);
  t.equal(get.stdout, '{"city":"London","born":1815}\n');
  const getJson = remapdb(['get', dir, 'orders', '[2, 3]', '--json']);
  t.same(JSON.parse(getJson.stdout), { table: 'orders', key: [2, 3], value: { cents: 203 } });
  t.same(JSON.parse(remapdb(['get', dir, 'blobs', '0x0102', '--json']).stdout).value, { $hex: '090807' });

  const missing = remapdb(['get', dir, 'users', 'grace']);
  t.equal(missing.status, 1);
  oneLine(t, missing);
  t.match(missing.stderr, /table "users" has no row with key "grace"/);

  const badKey = remapdb(['get', dir, 'orders', '7']);
  t.equal(badKey.status, 2);
  oneLine(t, badKey);
  t.match(badKey.stderr, /KEY "7": .*table "orders" has key \(int, int\); e\.g\. \[42,42\]/);
  const badPart = remapdb(['get', dir, 'orders', '[1, "x"]']);
  t.match(badPart.stderr, /part 2 \("x"\) is not an int/);
  const noTable = remapdb(['scan', dir, 'nope']);
  t.equal(noTable.status, 2);
  t.match(noTable.stderr, /table "nope" is not in this database; tables: blobs, orders, users/);

  const range = remapdb(['scan', dir, 'orders', '--gte', '[2]', '--lt', '[3]', '--json']);
  t.same((JSON.parse(range.stdout) as { key: number[] }[]).map((r) => r.key), [[2, 1], [2, 2], [2, 3], [2, 4]]);
  const prefix = remapdb(['scan', dir, 'orders', '--prefix', '[3]', '--reverse', '--limit', '2']);
  t.equal(prefix.stdout, '[3,4]\t{"cents":304}\n[3,3]\t{"cents":303}\n');
  t.match(prefix.stderr, /the first 2 rows; more match/);
  const all = remapdb(['scan', dir, 'users', '--limit', '0']);
  t.equal(all.stdout, '"ada"\t{"city":"London","born":1815}\n"linus"\t{"city":"Helsinki","born":1969}\n');
  t.equal(all.stderr, '');
});

t.test('dump restores through import, indexes included', async (t) => {
  const root = tmp(t, 'dump');
  const dir = join(root, 'db');
  makeDb(dir);
  const dump = remapdb(['dump', dir]);
  t.equal(dump.status, 0, dump.stderr);
  const lines = dump.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(lines[0], { dump: 'remapdb', version: 1, pageSize: 4096 });
  t.equal(lines.filter((l) => 't' in l).length, 15);
  const file = join(root, 'db.ndjson');
  fs.writeFileSync(file, dump.stdout);

  const copy = join(root, 'copy');
  const imp = remapdb(['import', copy, file, '--json']);
  t.equal(imp.status, 0, imp.stderr);
  t.match(JSON.parse(imp.stdout), { tables: 3, indexes: 1, rows: 15 });
  t.equal(remapdb(['dump', copy]).stdout, dump.stdout, 'the copy dumps to the same bytes');
  const db = open(copy, { create: false });
  t.same([...db.table('users').index('users_by_city').find('Helsinki')].map((r) => r.key), ['linus']);
  db.close();

  const again = remapdb(['import', copy, file]);
  t.not(again.status, 0, 'an existing database is refused');
  const broken = join(root, 'broken.ndjson');
  fs.writeFileSync(broken, `${dump.stdout.split('\n').slice(0, 5).join('\n')}\n{"t":"ghost","k":1,"v":2}\n`);
  const bad = remapdb(['import', join(root, 'partial'), broken]);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /line 6: a row of table "ghost", which the dump did not declare/);
  t.notOk(fs.existsSync(join(root, 'partial')), 'a failed import leaves nothing behind');
});

t.test('while an engine holds the database: rows refused naming the holder, schema still read', async (t) => {
  const dir = join(tmp(t, 'locked'), 'db');
  makeDb(dir);
  const db = open(dir, { create: false });
  t.teardown(() => db.close());
  const get = remapdb(['get', dir, 'users', 'ada']);
  t.equal(get.status, 6);
  oneLine(t, get);
  t.match(get.stderr, new RegExp(`remapdb get reads rows through its own open.*pid ${process.pid}.*remapdb tables and remapdb schema work while it runs`));
  const tables = remapdb(['tables', dir, '--json']);
  t.equal(tables.status, 0, tables.stderr);
  t.equal((JSON.parse(tables.stdout) as unknown[]).length, 3);
});

t.test('dump and import keep what msgpack values hold and JSON would change', async (t) => {
  const root = tmp(t, 'dump-rich');
  const dir = join(root, 'db');
  const value = {
    when: new Date('2026-12-07T23:30:00.000Z'), big: 12345678901234567890n, nan: Number.NaN, inf: Number.NEGATIVE_INFINITY,
    tags: new Set(['a', 'b']), counts: new Map<string, number>([['x', 1]]), samples: Float64Array.of(1.5, -2),
    raw: Uint8Array.of(0, 255), nested: [{ at: new Date(0) }],
  };
  const db = open(dir, { poolPages: 64, shadowPages: 16, kernel: { ramBytes: 16 * 1024 * 1024 } });
  const rich = db.createTable('rich', { key: ['float'] });
  db.transaction(() => rich.insert(2.5, value))();
  db.close();
  const dump = remapdb(['dump', dir]);
  t.equal(dump.status, 0, dump.stderr);
  t.match(dump.stdout, /"\$date":"2026-12-07T23:30:00.000Z"/, 'a Date is tagged, not a bare string');
  t.match(dump.stdout, /"\$bigint":"12345678901234567890"/, 'a bigint is tagged (JSON cannot hold it)');
  const file = join(root, 'rich.ndjson');
  fs.writeFileSync(file, dump.stdout);
  const copy = join(root, 'copy');
  const imp = remapdb(['import', copy, file]);
  t.equal(imp.status, 0, imp.stderr);
  const back = open(copy, { kernel: { ramBytes: 16 * 1024 * 1024 } });
  t.same(back.table('rich').get(2.5), value, 'the imported value equals the original: Date, bigint, NaN, -Infinity, Set, Map, typed arrays');
  back.close();
});
