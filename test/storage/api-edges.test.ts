/**
 * The API without sharp edges (issue 18, part 5): each edge a new user met, and the
 * behaviour that replaced it — coded errors for a file or a foreign directory where a
 * database directory belongs, KEY_INVALID as a DbError naming table, index and field,
 * iterators that fail at once after close, SQL's NULL rule for unique indexes, values
 * that round-trip (msgpack) while json tables keep reading and refuse what JSON would
 * change, float keys and index fields
 * in numeric order, ensureTable / ensureIndex, and Index.findIter.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import t from 'tap';

import { DB_CODES, DbError, ERROR_CODES, errorKind, open } from '../../src/index.js';
import { caught, codeOf, format1Fixture, openDb, tempDir } from './helpers/index.js';

t.test('a plain file as the database directory: REMAPDB_NOT_A_DIRECTORY naming the path', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'not-a-dir');
  fs.writeFileSync(file, 'hello');
  for (const p of [file, path.join(file, 'below')]) {
    const err = caught(() => open(p)) as DbError;
    t.ok(err instanceof DbError, `${p}: a DbError`);
    t.equal(err.code, DB_CODES.NOT_DIRECTORY);
    t.match(err.message, p, 'the message names the path');
    t.equal(err.details.dir, p);
  }
  t.equal(fs.readFileSync(file, 'utf8'), 'hello', 'the file is untouched');
});

t.test('a non-empty directory without a database is refused unless allowForeignFiles', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
  fs.mkdirSync(path.join(dir, 'photos'));
  const err = caught(() => open(dir)) as DbError;
  t.equal(err.code, DB_CODES.FOREIGN_DIRECTORY);
  t.match(err.message, dir);
  t.match(err.message, '"notes.txt"');
  t.match(err.message, 'allowForeignFiles: true');
  t.same(fs.readdirSync(dir).sort(), ['notes.txt', 'photos'], 'nothing written');
  let db = openDb(t, dir, { allowForeignFiles: true });
  db.createTable('t', { key: ['int'] }).insert(1, 'x');
  db.close();
  t.ok(fs.existsSync(path.join(dir, 'notes.txt')), 'the foreign files are kept');
  db = openDb(t, dir);
  t.equal(db.table('t').get(1), 'x', 'a directory with a database reopens without the option');
  db.close();
  t.equal(codeOf(() => open(dir, { allowForeignFiles: 'yes' as unknown as boolean })), DB_CODES.INVALID);
  const empty = tempDir(t);
  openDb(t, empty).close();
  t.ok(fs.existsSync(path.join(empty, 'data.rdb')), 'an empty directory is fine');
  const missing = path.join(tempDir(t), 'new');
  t.equal(codeOf(() => open(missing, { create: false })), DB_CODES.INVALID, 'create: false on a missing directory');
  t.notOk(fs.existsSync(missing), 'and nothing is made');
});

t.test('a directory a first open left half-made (lock files only) is not foreign', async (t) => {
  // A process killed inside its first open, after taking the lock and before the page file
  // (found by the kill test): lock, its journal, the pid sidecar and its temporary name.
  const dir = tempDir(t);
  for (const f of ['lock', 'lock-journal', 'lock.pid', 'lock.pid.4242.tmp', 'meta.sqlite-journal']) fs.writeFileSync(path.join(dir, f), '');
  const db = openDb(t, dir);
  db.createTable('t', { key: ['int'] }).insert(1, 'x');
  db.close();
  t.ok(fs.existsSync(path.join(dir, 'data.rdb')), 'the database is created there');
  const other = tempDir(t);
  fs.writeFileSync(path.join(other, 'lock.pid.x.tmp'), '');
  t.equal(codeOf(() => open(other)), DB_CODES.FOREIGN_DIRECTORY, 'a name only like the temporary one is still foreign');
});

t.test('pageSize errors name 4096 | 8192 | 16384', async (t) => {
  const dir = tempDir(t);
  for (const opts of [{ pageSize: 2048 }, { kernel: { pageSize: 2048 } }, { pageSize: 4097 }]) {
    const err = caught(() => open(dir, opts)) as DbError;
    t.equal(err.code, DB_CODES.INVALID, JSON.stringify(opts));
    t.match(err.message, 'allowed: 4096 | 8192 | 16384');
  }
});

t.test('unknown options are refused with the nearest known name', async (t) => {
  const dir = tempDir(t);
  const err = caught(() => open(dir, { poolPage: 64 } as never)) as DbError;
  t.equal(err.code, DB_CODES.UNKNOWN_OPTION);
  t.match(err.message, '"poolPage"');
  t.match(err.message, 'did you mean "poolPages"?');
  t.equal(err.details.suggestion, 'poolPages');
  t.equal((caught(() => open(dir, { Sync: 'full' } as never)) as DbError).details.suggestion, 'sync', 'case-insensitive');
  const far = caught(() => open(dir, { colour: 'blue' } as never)) as DbError;
  t.equal(far.code, DB_CODES.UNKNOWN_OPTION);
  t.notMatch(far.message, 'did you mean', 'no suggestion when nothing is close');
  t.same(fs.readdirSync(dir), [], 'nothing written');
});

t.test('REMAPDB_KEY_INVALID is a DbError naming the table, index and field', async (t) => {
  const db = openDb(t, tempDir(t));
  const tb = db.createTable<{ price: number }>('prices', { key: ['any', 'any'] });
  let err = caught(() => tb.insert(['a', Number.NaN], { price: 1 })) as DbError;
  t.ok(err instanceof DbError);
  t.equal(err.code, DB_CODES.KEY_INVALID);
  t.match(err.message, 'table "prices": key part 1 is NaN');
  t.equal(err.details.table, 'prices');
  t.equal(err.details.part, 1);
  t.equal(codeOf(() => tb.get([{} as never, 1])), DB_CODES.KEY_INVALID, 'an object is not a key part');
  t.equal(codeOf(() => db.createTable('ints', { key: ['int'] }).insert(1.5, 1)), DB_CODES.KEY_TYPE, "an 'int' part takes integers");
  const users = db.createTable<{ name: string; age: number }>('users', { key: ['int'] });
  db.createIndex('users', 'by_name_age', { fields: ['name', 'age'] });
  err = caught(() => users.insert(5000, { name: 'x', age: Number.NaN })) as DbError;
  t.ok(err instanceof DbError);
  t.equal(err.code, DB_CODES.KEY_INVALID);
  t.match(err.message, 'index "by_name_age" of table "users": field "age": key part 1 is NaN');
  t.same([err.details.table, err.details.index, err.details.field], ['users', 'by_name_age', 'age']);
  t.notOk(users.has(5000), 'nothing changed');
  db.close();
  // An index of a database written before fractions were keys (format 1 fixture).
  const old = openDb(t, format1Fixture(t, 'clean'));
  old.table<{ name: string; age: number; bio: string }>('users').insert(5001, { name: 'y', age: 98.5, bio: '' });
  t.same([...old.table<{ age: number }>('users').index('by_age').range({ gte: 98, lte: 99 })].map((r) => r.value.age), [98.5, 99, 99, 99, 99, 99],
    'its old index takes a fraction, in order among the integers it holds');
  old.checkInvariants();
  old.close();  const row = ERROR_CODES.find((r) => r.code === DB_CODES.KEY_INVALID);
  t.same(row && [row.layer, row.kind], ['storage', 'failure'], 'in the one table of codes');
});

t.test('the new codes are in the table of codes, as usage errors', async (t) => {
  for (const code of [DB_CODES.NOT_DIRECTORY, DB_CODES.FOREIGN_DIRECTORY, DB_CODES.UNKNOWN_OPTION]) {
    t.ok(ERROR_CODES.some((r) => r.code === code), code);
    t.equal(errorKind({ code }), 'usage');
  }
});

t.test('an iterator used after close() fails at once with REMAPDB_CLOSED', async (t) => {
  const db = openDb(t, tempDir(t));
  const tb = db.createTable<{ g: number }>('rows', { key: ['int'] });
  db.createIndex('rows', 'by_g', { fields: ['g'] });
  db.transaction(() => {
    for (let i = 0; i < 500; i++) tb.insert(i, { g: i % 3 });
  })();
  const its = [tb.range(), tb.index('by_g').range(), tb.index('by_g').findIter([1])];
  for (const it of its) t.equal(it.next().done, false);
  db.close();
  for (const it of its) t.equal(codeOf(() => it.next()), DB_CODES.CLOSED, 'the next row is refused');
});

t.test('unique indexes follow SQL\'s NULL rule: many rows with a missing or null value', async (t) => {
  const dir = tempDir(t);
  let db = openDb(t, dir);
  const people = db.createTable<{ email?: string | null; n: number }>('people', { key: ['int'] });
  db.createIndex('people', 'by_email', { fields: ['email'], unique: true });
  people.insert(1, { n: 1 });
  people.insert(2, { n: 2, email: null });
  people.insert(3, { n: 3 });
  people.insert(4, { n: 4, email: 'a@x' });
  t.equal(codeOf(() => people.insert(5, { n: 5, email: 'a@x' })), DB_CODES.UNIQUE, 'a value twice is still refused');
  const ix = people.index('by_email');
  t.equal(ix.get(null), undefined, 'get(null) matches nothing, as WHERE email = NULL');
  t.same(ix.find([null]).map((r) => r.key), [1, 2, 3], 'find([null]) lists them');
  people.update(1, { n: 1, email: 'b@x' });
  people.update(4, { n: 4 });
  people.delete(2);
  t.same(ix.find([null]).map((r) => r.key), [3, 4]);
  t.equal(ix.get('b@x')?.key, 1);
  t.equal(ix.count, 3);
  db.checkInvariants();
  db.close();
  db = openDb(t, dir);
  t.same(db.table('people').index('by_email').find([null]).map((r) => r.key), [3, 4], 'after reopen');
  // Tuple tables (index entries projected from the stored bytes) follow the rule too.
  const tu = db.createTable<(number | null)[]>('tu', { key: ['int'], value: 'tuple' });
  db.createIndex('tu', 'by_c1', { fields: [1], unique: true });
  tu.insert(1, [0]);
  tu.insert(2, [0, null]);
  tu.insert(3, [0, 7]);
  t.equal(codeOf(() => tu.insert(4, [0, 7])), DB_CODES.UNIQUE);
  t.same(tu.index('by_c1').find([null]).map((r) => r.key), [1, 2]);
  tu.setColumns(1, [1], [8]);
  t.same(tu.index('by_c1').find([null]).map((r) => r.key), [2]);
  db.checkInvariants();
  t.same(db.integrityReport().checks.filter((c) => !c.ok), [], 'every integrity check passes');
  db.close();
});

t.test('values round-trip (msgpack, the default) and json tables keep reading', async (t) => {
  const dir = tempDir(t);
  let db = openDb(t, dir);
  const v = {
    when: new Date(Date.UTC(2026, 11, 7)), bytes: Uint8Array.from([1, 0, 2]), buf: Buffer.from('hi'), floats: Float64Array.from([1.5, -2]),
    map: new Map<unknown, unknown>([[1, 'one'], ['k', { deep: [1, 2] }]]), set: new Set([1, 'x']), nan: Number.NaN, inf: Infinity,
    ninf: -Infinity, big: 2n ** 63n - 1n, nested: [{ a: undefined, b: null }], text: 'é',
  };
  const tb = db.createTable<typeof v>('things', { key: ['string'] });
  t.equal(tb.valueEncoding, 'msgpack', 'the default value encoding');
  tb.insert('a', v);
  const js = db.createTable<unknown>('legacy', { key: ['int'], value: 'json' });
  js.insert(1, { when: '1970-01-01T00:00:00.000Z', n: 1 });
  db.close();
  db = openDb(t, dir);
  const got = db.table<typeof v>('things').get('a');
  t.same(got, v, 'every value comes back');
  t.ok(got?.when instanceof Date && got.map instanceof Map && got.set instanceof Set && got.floats instanceof Float64Array);
  t.ok(Number.isNaN(got?.nan) && typeof got?.big === 'bigint');
  t.equal(Object.getPrototypeOf(got), Object.prototype, 'objects stay plain objects');
  t.same(db.table('legacy').get(1), { when: '1970-01-01T00:00:00.000Z', n: 1 }, 'a json table reads JSON as before');
  const legacy = db.table<unknown>('legacy');
  for (const [what, bad] of [['Date', { d: new Date(0) }], ['Uint8Array', { deep: [Uint8Array.of(1)] }], ['Map', { m: new Map() }],
    ['NaN', { n: Number.NaN }], ['Infinity', [Infinity]], ['bigint', { b: 1n }]] as const) {
    const err = caught(() => legacy.insert(2, bad)) as DbError;
    t.equal(err.code, DB_CODES.VALUE_TYPE, `a json table refuses what JSON would change: ${what}`);
    t.match(err.message, 'table "legacy"');
  }
  t.match((caught(() => legacy.insert(2, { when: new Date(0) })) as Error).message, /property "when" is a Date .*'msgpack'/);
  legacy.insert(2, { plain: [1, 'two', null, { x: true }] });
  t.same(legacy.get(2), { plain: [1, 'two', null, { x: true }] }, 'plain JSON values still go in');
  t.equal(codeOf(() => db.table('things').insert('u', undefined as never)), DB_CODES.VALUE_TYPE, 'undefined is refused');
  db.table<unknown>('things').insert('b', { big: 2n ** 70n, neg: -(2n ** 63n) });
  t.same(db.table('things').get('b'), { big: 2n ** 70n, neg: -(2n ** 63n) }, 'bigints past 64 bits too');
  db.close();
  // A database written by the JSON-only engine (format 1 fixture) reads as written.
  const old = openDb(t, format1Fixture(t, 'clean'));
  t.equal(old.table('users').valueEncoding, 'json');
  t.same(old.table('users').get(1000), { name: 'late0', age: 99, bio: 'y'.repeat(100) });
  old.close();
});

t.test('float keys and index fields sort numerically; NaN is refused', async (t) => {
  const db = openDb(t, tempDir(t));
  const sorted = [-Infinity, -1e300, -(2 ** 53), -2.5, -1, -1e-20, -Number.MIN_VALUE, 0, Number.MIN_VALUE, 0.1, 1, 1.5, 2 ** 53 - 1, 2 ** 53, 1e300,
    Infinity];
  const tb = db.createTable<string>('f', { key: ['float'], value: 'string' });
  for (const k of [...sorted].reverse()) tb.insert(k, String(k));
  const keys = tb.all().map((r) => r.key);
  t.same(keys, sorted);
  t.equal(codeOf(() => tb.insert(-0, 'minus zero')), DB_CODES.DUPLICATE, '-0 is the key 0, as -0.0 = 0.0 in SQL');
  t.same(tb.all({ reverse: true }).map((r) => r.key), [...sorted].reverse());
  t.same([...tb.range({ gte: -1, lt: 1 })].map((r) => r.key), [-1, -1e-20, -Number.MIN_VALUE, 0, Number.MIN_VALUE, 0.1]);
  const err = caught(() => tb.insert(Number.NaN, 'nan')) as DbError;
  t.equal(err.code, DB_CODES.KEY_INVALID);
  t.match(err.message, 'table "f"');
  t.match(err.message, 'NaN');
  const comp = db.createTable<number>('fc', { key: ['float', 'string'] });
  comp.insert([1.5, 'b'], 1);
  comp.insert([1.5, 'a'], 2);
  comp.insert([-3, 'z'], 3);
  t.same(comp.all().map((r) => r.key), [[-3, 'z'], [1.5, 'a'], [1.5, 'b']]);
  t.same([...comp.range({ prefix: [1.5] })].map((r) => r.value), [2, 1]);
  comp.insert([1, 'c'], 4);
  comp.insert([2, 'd'], 5);
  t.same([...comp.range({ prefix: [1] })].map((r) => r.key), [[1, 'c']], 'prefix [1] is the part 1, not 1.5 (whose bytes start like it)');
  t.same([...comp.range({ gt: [1] })].map((r) => r.key), [[1.5, 'a'], [1.5, 'b'], [2, 'd']], 'gt [1] starts at 1.5');
  t.same([...comp.range({ lte: [1] })].map((r) => r.key), [[-3, 'z'], [1, 'c']], 'lte [1] ends before 1.5');
  t.same([...tb.range({ gt: 1, lte: 2 ** 53 - 1 })].map((r) => r.key), [1.5, 2 ** 53 - 1]);
  const items = db.createTable<{ price: number | string }>('items', { key: ['int'] });
  db.createIndex('items', 'by_price', { fields: ['price'] });
  const prices = [2, -0.5, 1.5, 1, -Infinity, 1e-9, 10];
  prices.forEach((p, i) => items.insert(i, { price: p }));
  t.same([...items.index('by_price').range()].map((r) => r.value.price), [...prices].sort((a, b) => a - b),
    'integers and fractions in one numeric order');
  t.same(items.index('by_price').find([1.5]).map((r) => r.key), [2]);
  t.same(items.index('by_price').find([1]).map((r) => r.key), [3], 'find([1]) is 1 alone, not 1.5');
  const bad = caught(() => items.insert(99, { price: Number.NaN })) as DbError;
  t.equal(bad.code, DB_CODES.KEY_INVALID);
  t.same([bad.details.table, bad.details.index, bad.details.field], ['items', 'by_price', 'price']);
  t.equal(codeOf(() => db.createTable('i', { key: ['int'] }).insert(0.5, 1)), DB_CODES.KEY_TYPE, "'int' keys stay integers");
  const any = db.createTable<number>('any', { key: ['any'] });
  for (const k of [3, 2.5, -1, 'a', 2]) any.insert(k, 0);
  t.same(any.all().map((r) => r.key), ['a', -1, 2, 2.5, 3], "'any' parts: strings before numbers (tag order), numbers in numeric order");
  db.checkInvariants();
  db.close();
});

t.test('ensureTable and ensureIndex create if missing, return what exists, refuse a different spec', async (t) => {
  const dir = tempDir(t);
  for (let run = 0; run < 2; run++) {
    const db = openDb(t, dir);
    const items = db.ensureTable<{ cents: number }, ['string']>('items', { key: ['string'] });
    const ix = db.ensureIndex('items', 'by_cents', { fields: ['cents'] });
    if (run === 0) items.insert('apple', { cents: 120 });
    t.same(items.get('apple'), { cents: 120 }, `run ${run}`);
    t.equal(ix.find([120])[0]?.key, 'apple');
    t.same(db.tables(), ['items']);
    t.equal(codeOf(() => db.ensureTable('items', { key: ['int'] })), DB_CODES.EXISTS, 'another key schema');
    t.equal(codeOf(() => db.ensureTable('items', { key: ['string'], value: 'json' })), DB_CODES.EXISTS, 'another value encoding');
    t.equal(codeOf(() => db.ensureIndex('items', 'by_cents', { fields: ['cents'], unique: true })), DB_CODES.EXISTS);
    t.equal(codeOf(() => db.ensureIndex('nope', 'x', { fields: ['a'] })), DB_CODES.NO_TABLE);
    db.close();
  }
});

t.test('Index.findIter is lazy: rows are read as it advances', async (t) => {
  const db = openDb(t, tempDir(t));
  const tb = db.createTable<{ g: number }>('rows', { key: ['int'] });
  db.createIndex('rows', 'by_g', { fields: ['g'] });
  db.transaction(() => {
    for (let i = 0; i < 300; i++) tb.insert(i, { g: i % 2 });
  })();
  t.same(tb.index('by_g').find([1], { limit: 3 }).map((r) => r.key), [1, 3, 5], 'find still returns an array');
  const it = tb.index('by_g').findIter([1]);
  t.notOk(Array.isArray(it));
  t.same(it.next().value?.key, 1);
  t.same(it.next().value?.key, 3);
  t.same(it.return?.(undefined).done, true, 'stopped early: the rest is never read');
  db.close();
  t.equal(codeOf(() => [...tb.index('by_g').findIter([1])]), DB_CODES.CLOSED);
});
