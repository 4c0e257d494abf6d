/**
 * The embedded API end to end: tables, every operation and every bad input, transactions
 * and savepoints, secondary indexes, persistence across reopen for every strategy and
 * sync mode, and the clear errors for foreign, mismatched and corrupt files.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import t from 'tap';

import { open } from '../../src/db.js';
import { DATA_FILE, type Database, DB_CODES, type KeyPart, WAL_FILE } from '../../storage/index.js';
import { defaultCheckpointBytes } from '../../storage/database.js';
import { caught, codeOf, openDb, SMALL, tempDir } from './helpers/index.js';

const STRATEGIES = ['nonlinear', 'multi-mmap', 'pread'] as const;
const SYNCS = ['full', 'normal', 'off'] as const;

t.test('create, write, close, reopen: rows, tables and counts persist', async (t) => {
  const dir = tempDir(t);
  let db = openDb(t, dir);
  const users = db.createTable<{ name: string }>('users', { key: ['int'] });
  users.insert(1, { name: 'Ada' });
  users.insert(-5, { name: 'Neg' });
  users.insert(2 ** 53 - 1, { name: 'Big' });
  t.same(users.get(1), { name: 'Ada' });
  t.equal(users.count, 3);
  db.close();
  t.equal(codeOf(() => users.get(1)), DB_CODES.CLOSED, 'use after close');
  t.equal(codeOf(() => db.table('users')), DB_CODES.CLOSED);
  db = openDb(t, dir);
  t.same(db.tables(), ['users']);
  const u = db.table<{ name: string }>('users');
  t.same(u.all().map((r) => r.key), [-5, 1, 2 ** 53 - 1], 'integer keys sort numerically, negatives first');
  t.equal(u.count, 3);
  db.checkInvariants();
  db.close();
});

t.test('operations: insert, update, upsert, delete, has, and their errors', async (t) => {
  const db = openDb(t, tempDir(t));
  const tb = db.createTable<string>('kv', { key: ['string'], value: 'string' });
  tb.insert('a', 'one');
  t.equal(codeOf(() => tb.insert('a', 'again')), DB_CODES.DUPLICATE);
  t.equal(tb.get('a'), 'one', 'a failed insert changes nothing');
  tb.update('a', 'uno');
  t.equal(tb.get('a'), 'uno');
  t.equal(codeOf(() => tb.update('zz', 'x')), DB_CODES.NOT_FOUND);
  t.equal(tb.upsert('b', 'two'), true);
  t.equal(tb.upsert('b', 'dos'), false);
  t.equal(tb.get('b'), 'dos');
  t.equal(tb.has('b'), true);
  t.equal(tb.delete('b'), true);
  t.equal(tb.delete('b'), false);
  t.equal(tb.get('b'), undefined);
  t.equal(tb.count, 1);
  // bad input
  t.equal(codeOf(() => tb.get(5)), DB_CODES.KEY_TYPE, 'wrong key type');
  t.equal(codeOf(() => tb.get(['a', 'b'])), DB_CODES.KEY_TYPE, 'wrong key arity');
  t.equal(codeOf(() => tb.insert('c', 5 as unknown as string)), DB_CODES.VALUE_TYPE);
  t.equal(codeOf(() => tb.insert('x'.repeat(5000), 'v')), DB_CODES.KEY_TOO_LARGE);
  t.equal(codeOf(() => tb.insert('big', 'x'.repeat((1 << 20) + 1))), DB_CODES.VALUE_TOO_LARGE);
  t.equal(codeOf(() => db.table('nope')), DB_CODES.NO_TABLE);
  t.equal(codeOf(() => db.createTable('kv')), DB_CODES.EXISTS);
  t.equal(codeOf(() => db.createTable('')), DB_CODES.INVALID);
  t.equal(codeOf(() => db.createTable('k2', { key: ['double' as 'int'] })), DB_CODES.INVALID);
  t.equal(codeOf(() => db.createTable('k3', { value: 'xml' as 'json' })), DB_CODES.INVALID);
  t.equal(codeOf(() => tb.index('none')), DB_CODES.NO_INDEX);
  const e = caught(() => tb.insert('x'.repeat(5000), 'v')) as Error | null;
  t.match(e?.message, /5002 bytes; the limit for 4096-byte pages is \d+/, 'the message names the size and the limit');
  // a value of exactly 1 MiB round-trips (overflow pages)
  const mib = 'y'.repeat(1 << 20);
  const bytesTb = db.createTable<Uint8Array>('blobs', { key: ['int'], value: 'bytes' });
  t.equal(codeOf(() => bytesTb.insert(1, new TextEncoder().encode(mib))), DB_CODES.TXN_TOO_LARGE,
    'a 1 MiB value needs more than the 128 shadow pages this database was opened with');
  t.equal(bytesTb.count, 0, 'and the failed insert left nothing behind');
  db.checkInvariants();
  db.close();
  const big = openDb(t, db.dir, { shadowPages: 600, poolPages: 1024 });
  const blobs = big.table<Uint8Array>('blobs');
  blobs.insert(1, new TextEncoder().encode(mib));
  t.equal(blobs.get(1)?.length, 1 << 20, 'a value of exactly 1 MiB round-trips');
  blobs.update(1, new Uint8Array(10));
  t.equal(blobs.get(1)?.length, 10, 'and shrinks back inline');
  big.checkInvariants();
});

t.test('range scans: bounds, reverse, limits, prefixes of composite keys', async (t) => {
  const db = openDb(t, tempDir(t));
  const tb = db.createTable<number>('grid', { key: ['int', 'int'], value: 'json' });
  db.transaction(() => {
    for (let a = 0; a < 20; a++) for (let b = 0; b < 20; b++) tb.insert([a, b], a * 100 + b);
  })();
  const keys = (it: Iterable<{ key: unknown }>): unknown[] => [...it].map((r) => r.key);
  t.equal([...tb.range()].length, 400);
  t.same(keys(tb.range({ prefix: [3], limit: 3 })), [[3, 0], [3, 1], [3, 2]]);
  t.same(keys(tb.range({ prefix: [3], reverse: true, limit: 2 })), [[3, 19], [3, 18]]);
  t.same(keys(tb.range({ gt: [5, 18], lte: [6, 1] })), [[5, 19], [6, 0], [6, 1]]);
  t.same(keys(tb.range({ gte: [5, 18], lt: [6, 1] })), [[5, 18], [5, 19], [6, 0]]);
  t.same(keys(tb.range({ gt: [5], lt: [7] })).length, 20, 'gt a prefix skips every key under it');
  t.same(keys(tb.range({ gte: [19, 19], reverse: true })), [[19, 19]]);
  t.same(keys(tb.range({ lt: [0, 2] })), [[0, 0], [0, 1]]);
  t.same(keys(tb.range({ limit: 0 })), []);
  t.equal(codeOf(() => [...tb.range({ limit: -1 })]), DB_CODES.INVALID);
  // deleting while iterating
  let n = 0;
  for (const r of tb.range({ prefix: [7] })) {
    tb.delete(r.key);
    n++;
  }
  t.equal(n, 20);
  t.equal(tb.count, 380);
  db.checkInvariants();
});

t.test('transactions: commit, rollback on throw, read-your-writes, savepoints, misuse', async (t) => {
  const db = openDb(t, tempDir(t));
  const acct = db.createTable<{ balance: number }>('acct', { key: ['int'] });
  db.transaction(() => {
    for (let i = 0; i < 10; i++) acct.insert(i, { balance: 100 });
  })();
  const transfer = db.transaction((from: number, to: number, amount: number) => {
    const a = acct.get(from) as { balance: number };
    acct.update(from, { balance: a.balance - amount });
    t.same(acct.get(from), { balance: a.balance - amount }, 'reads see the transaction\'s own writes');
    if (a.balance - amount < 0) throw new Error('insufficient funds');
    const b = acct.get(to) as { balance: number };
    acct.update(to, { balance: b.balance + amount });
    return a.balance - amount;
  });
  t.equal(transfer(1, 2, 30), 70);
  t.throws(() => transfer(1, 2, 500), /insufficient funds/);
  t.same(acct.get(1), { balance: 70 }, 'the failed transfer rolled back');
  t.same(acct.get(2), { balance: 130 });
  // savepoints: an inner failure rolls back only the inner part
  db.transaction(() => {
    acct.update(3, { balance: 1 });
    t.throws(() => db.transaction(() => {
      acct.update(4, { balance: 2 });
      acct.insert(100, { balance: 3 });
      throw new Error('inner');
    })(), /inner/);
    t.equal(acct.get(100), undefined, 'inner insert rolled back');
    t.same(acct.get(4), { balance: 100 }, 'inner update rolled back');
    db.transaction(() => acct.update(5, { balance: 5 }))();
  })();
  t.same(acct.get(3), { balance: 1 });
  t.same(acct.get(5), { balance: 5 }, 'a released savepoint commits with its parent');
  t.equal(acct.count, 10);
  // misuse
  t.equal(codeOf(() => db.transaction(async () => 1)()), DB_CODES.TXN_STATE, 'async functions are refused');
  t.equal(codeOf(() => db.transaction(() => db.createTable('x'))()), DB_CODES.TXN_STATE, 'DDL inside a transaction');
  t.equal(codeOf(() => db.transaction(() => db.checkpoint())()), DB_CODES.TXN_STATE);
  t.equal(db.inTransaction, false);
  const s = db.stats();
  t.ok(s.commits >= 3 && s.rollbacks >= 2, `commits ${s.commits}, rollbacks ${s.rollbacks}`);
  db.checkInvariants();
});

t.test('a transaction too large for the shadow frames fails cleanly and rolls back', async (t) => {
  const db = openDb(t, tempDir(t), { shadowPages: 16 });
  const tb = db.createTable<string>('t', { key: ['int'], value: 'string' });
  const err = codeOf(() => db.transaction(() => {
    for (let i = 0; i < 5000; i++) tb.insert(i, 'v'.repeat(100));
  })());
  t.equal(err, DB_CODES.TXN_TOO_LARGE);
  t.equal(tb.count, 0);
  db.transaction(() => {
    for (let i = 0; i < 50; i++) tb.insert(i, 'v');
  })();
  t.equal(tb.count, 50);
  db.checkInvariants();
});

t.test('a transaction that leaves page 0 no slot at commit is too large, not a failure of the database', async (t) => {
  // Found while reviewing issue 8's notes: ten leaves and four new 1.5 KB rows fill a
  // 16-slot pool, the new pages change the superblock's page count, and page 0 has no slot
  // at commit — which marked the database failed (REMAPDB_FAILED, sticky until reopened).
  const dir = tempDir(t);
  const opts = { poolPages: 16, shadowPages: 64, strategy: 'pread' as const };
  const db = openDb(t, dir, opts);
  const tb = db.createTable<string>('kv', { key: ['int'], value: 'string' });
  for (let b = 0; b < 2000; b += 20) {
    db.transaction(() => {
      for (let i = b; i < b + 20; i++) tb.upsert(i, 'x'.repeat(100));
    })();
  }
  db.checkpoint();
  const err = caught(() => db.transaction(() => {
    for (let i = 0; i < 10; i++) tb.upsert(i * 200, 'y'.repeat(100));
    for (let j = 0; j < 4; j++) tb.upsert(5000 + j, 'z'.repeat(1500));
  })());
  t.match(err, { code: DB_CODES.TXN_TOO_LARGE, cause: { code: 'REMAPDB_POOL_EXHAUSTED' } });
  t.equal(db.failed, null, 'the database has not failed');
  t.same([tb.get(0), tb.get(5000), tb.count], ['x'.repeat(100), undefined, 2000], 'rolled back whole');
  db.transaction(() => tb.upsert(1, 'after'))();
  t.equal(tb.get(1), 'after', 'the next transaction commits');
  db.checkInvariants();
});

t.test('secondary indexes: maintained with their table, unique constraints, prefix finds', async (t) => {
  const dir = tempDir(t);
  let db = openDb(t, dir);
  type C = { last: string; first: string; email: string; w: number };
  const cust = db.createTable<C>('customer', { key: ['int'] });
  cust.insert(1, { last: 'BARBAR', first: 'Ann', email: 'a@x', w: 1 });
  const byName = db.createIndex('customer', 'by_name', { fields: ['w', 'last', 'first'] });
  db.createIndex('customer', 'by_email', { fields: ['email'], unique: true });
  t.equal(byName.count, 1, 'existing rows are indexed at creation');
  db.transaction(() => {
    cust.insert(2, { last: 'BARBAR', first: 'Bob', email: 'b@x', w: 1 });
    cust.insert(3, { last: 'OUGHT', first: 'Cid', email: 'c@x', w: 1 });
    cust.insert(4, { last: 'BARBAR', first: 'Abe', email: 'd@x', w: 2 });
  })();
  t.same(cust.index('by_name').find([1, 'BARBAR']).map((r) => r.key), [1, 2], 'by first name within the last name');
  t.same(cust.index('by_email').get('c@x')?.key, 3);
  t.equal(codeOf(() => cust.insert(5, { last: 'X', first: 'Y', email: 'a@x', w: 1 })), DB_CODES.UNIQUE);
  t.equal(cust.get(5), undefined, 'a unique violation changes nothing');
  cust.update(2, { last: 'OUGHT', first: 'Bob', email: 'b2@x', w: 1 });
  t.same(cust.index('by_name').find([1, 'OUGHT']).map((r) => r.key), [2, 3]);
  t.equal(cust.index('by_email').get('b@x'), undefined);
  t.equal(codeOf(() => cust.update(3, { last: 'OUGHT', first: 'Cid', email: 'b2@x', w: 1 })), DB_CODES.UNIQUE);
  cust.delete(1);
  t.same(cust.index('by_name').find([1, 'BARBAR']).map((r) => r.key), []);
  t.equal(codeOf(() => cust.index('by_name').get([1])), DB_CODES.INVALID, 'get() needs a unique index');
  t.equal(codeOf(() => db.createIndex('customer', 'bad', { fields: [1] })), DB_CODES.INVALID, 'json values index property names');
  db.checkInvariants();
  db.close();
  db = openDb(t, dir);
  t.same(db.table<C>('customer').index('by_name').find([2]).map((r) => r.key), [4], 'indexes persist');
  db.dropTable('customer');
  t.same(db.tables(), []);
  db.checkInvariants();
  db.close();
});

t.test('tuple columns: getColumns, setColumns and range({ columns }) read and write only what they name', async (t) => {
  const dir = tempDir(t);
  const db = openDb(t, dir);
  const stock = db.createTable<KeyPart[]>('s', { key: ['int', 'int'], value: 'tuple' });
  const byQty = db.createIndex('s', 'by_qty', { fields: [0] });
  db.transaction(() => {
    for (let i = 1; i <= 5; i++) stock.insert([1, i], [10 * i, 0, `dist-${i}`, 'ORIGINAL data']);
  })();
  t.same(stock.getColumns([1, 3], [0, 2]), [30, 'dist-3']);
  t.same(stock.getColumns([1, 3], [3, 7, 0]), ['ORIGINAL data', null, 30], 'any order; past the end is null');
  t.equal(stock.getColumns([1, 9], [0]), undefined);
  stock.setColumns([1, 3], [0, 1], [25, 5]);
  t.same(stock.get([1, 3]), [25, 5, 'dist-3', 'ORIGINAL data'], 'other columns kept');
  t.same(byQty.find([25]).map((r) => r.key), [[1, 3]], 'an indexed column moves its entry');
  t.same(byQty.find([30]), []);
  stock.setColumns([1, 4], [6], ['far']);
  t.same(stock.get([1, 4]), [40, 0, 'dist-4', 'ORIGINAL data', null, null, 'far'], 'extends with nulls');
  db.transaction(() => {
    stock.setColumns([1, 5], [1], [1]);
    stock.setColumns([1, 5], [1], [2]);
  })();
  t.same(stock.getColumns([1, 5], [1]), [2]);
  t.same([...stock.range({ prefix: [1], columns: [0] })].map((r) => r.value), [[10], [20], [25], [40], [50]]);
  t.same([...stock.range({ gte: [1, 2], lt: [1, 4], columns: [2, 0] })].map((r) => [r.key, r.value]),
    [[[1, 2], ['dist-2', 20]], [[1, 3], ['dist-3', 25]]]);
  t.equal(codeOf(() => stock.setColumns([1, 9], [0], [1])), DB_CODES.NOT_FOUND);
  t.equal(codeOf(() => stock.setColumns([1, 1], [0, 1], [1])), DB_CODES.INVALID, 'one value per column');
  t.equal(codeOf(() => stock.setColumns([1, 1], [0], [{} as unknown as KeyPart])), DB_CODES.VALUE_TYPE);
  t.equal(codeOf(() => stock.getColumns([1, 1], [-1])), DB_CODES.INVALID);
  t.equal(codeOf(() => stock.getColumns([1, 1], [256])), DB_CODES.INVALID);
  t.equal(codeOf(() => stock.getColumns([1, 1], [])), DB_CODES.INVALID);
  const json = db.createTable('j', { key: ['int'] });
  json.insert(1, { a: 1 });
  t.equal(codeOf(() => json.getColumns(1, [0])), DB_CODES.INVALID, 'json tables have no columns');
  t.equal(codeOf(() => [...json.range({ columns: [0] })]), DB_CODES.INVALID);
  db.checkInvariants();
  db.close();
});

t.test('indexes on tuple rows (projected from the encoded row): unique and not, updates that keep or change the indexed columns', async (t) => {
  const dir = tempDir(t);
  const db = openDb(t, dir);
  // (w, d, c) -> [w, d, last, first, balance, data]; indexes by (w, d, last, first) and a unique (data)
  const cust = db.createTable<KeyPart[]>('c', { key: ['int', 'int', 'int'], value: 'tuple' });
  const byName = db.createIndex('c', 'by_name', { fields: [0, 1, 2, 3] });
  const byData = db.createIndex('c', 'by_data', { fields: [5], unique: true });
  const byMissing = db.createIndex('c', 'by_missing', { fields: [9, 0] });
  const rows: [number, number, number, KeyPart[]][] = [
    [1, 1, 1, [1, 1, 'BAR', 'Zed', -10, 'd1']], [1, 1, 2, [1, 1, 'BAR', 'Amy', -10, 'd2']], [1, 2, 3, [1, 2, 'BAR', 'Bo', 0, 'd3']],
    [1, 1, 4, [1, 1, 'OUGHT\u0000x', 'Cy', 5, new Uint8Array([0, 1])]],
  ];
  db.transaction(() => { for (const [w, d, c, v] of rows) cust.insert([w, d, c], v); })();
  t.same(byName.find([1, 1, 'BAR']).map((r) => r.key), [[1, 1, 2], [1, 1, 1]], 'ordered by first name');
  t.same(byData.get(new Uint8Array([0, 1]))?.key, [1, 1, 4], 'a bytes column with a zero, unique');
  t.same(byMissing.find([null, 1]).map((r) => r.key), [[1, 1, 1], [1, 1, 2], [1, 1, 4], [1, 2, 3]], 'a position past the row indexes null');
  // An update that keeps the indexed columns (balance only) leaves the index alone; one that changes them moves the entry.
  cust.update([1, 1, 1], [1, 1, 'BAR', 'Zed', 990, 'd1']);
  t.same(cust.get([1, 1, 1]), [1, 1, 'BAR', 'Zed', 990, 'd1']);
  t.equal(byName.count, 4);
  cust.update([1, 1, 2], [1, 1, 'ABLE', 'Amy', -10, 'd2b']);
  t.same(byName.find([1, 1, 'BAR']).map((r) => r.key), [[1, 1, 1]]);
  t.same(byName.find([1, 1, 'ABLE']).map((r) => r.key), [[1, 1, 2]]);
  t.equal(byData.get('d2'), undefined);
  t.same(byData.get('d2b')?.key, [1, 1, 2]);
  t.equal(codeOf(() => cust.update([1, 2, 3], [1, 2, 'BAR', 'Bo', 0, 'd1'])), DB_CODES.UNIQUE, 'unique checked on a projected entry');
  t.equal(cust.upsert([1, 2, 3], [1, 2, 'BAR', 'Bo', 7, 'd3']), false);
  t.ok(cust.delete([1, 1, 4]));
  t.equal(byData.get(new Uint8Array([0, 1])), undefined, 'delete removes the projected entries');
  t.equal(byName.count, 3);
  t.equal(byMissing.count, 3);
  db.checkInvariants();
  db.close();
});

for (const strategy of STRATEGIES) {
  for (const sync of SYNCS) {
    t.test(`persistence: ${strategy}, sync ${sync}`, async (t) => {
      const dir = tempDir(t);
      let db = openDb(t, dir, { strategy, sync, poolPages: 64, checkpointBytes: 64 * 1024 });
      const tb = db.createTable<number>('n', { key: ['int'] });
      for (let batch = 0; batch < 20; batch++) {
        db.transaction(() => {
          for (let i = 0; i < 100; i++) tb.upsert(batch * 100 + i, batch);
        })();
      }
      for (let i = 0; i < 2000; i += 3) tb.delete(i);
      db.checkInvariants();
      const expected = tb.all();
      db.close();
      db = openDb(t, dir, { strategy, sync, poolPages: 64 });
      t.same(db.table<number>('n').all(), expected);
      t.same(db.verifyFile().errors, [], 'every page checksum valid after close');
      db.checkInvariants();
      db.close();
    });
  }
}

t.test('power failure under sync full: every acknowledged commit is recovered', async (t) => {
  const dir = tempDir(t);
  for (const strategy of STRATEGIES) {
    const d = path.join(dir, strategy);
    let db = openDb(t, d, { strategy, sync: 'full', poolPages: 64 });
    const tb = db.createTable<number>('n', { key: ['int'] });
    for (let i = 0; i < 300; i++) db.transaction(() => tb.insert(i, i * 2))();
    db.simulatePowerFailure();
    db = openDb(t, d, { strategy, poolPages: 64 });
    t.ok(db.stats().recovered.transactions > 0, `${strategy}: recovery redid ${db.stats().recovered.transactions} transactions`);
    const rows = db.table<number>('n').all();
    t.equal(rows.length, 300, `${strategy}: all 300 commits present`);
    t.ok(rows.every((r) => r.value === (r.key as number) * 2));
    db.checkInvariants();
    db.close();
  }
});

t.test('the directory lock: a second open fails with REMAPDB_LOCKED', async (t) => {
  const dir = tempDir(t);
  const db = openDb(t, dir);
  t.equal(codeOf(() => open(dir, SMALL)), DB_CODES.LOCKED);
  db.close();
  const again = openDb(t, dir);
  again.close();
});

t.test('bad files: foreign, wrong page size, truncated, corrupt superblock, WAL without page file', async (t) => {
  const dir = tempDir(t);
  let db = openDb(t, dir);
  const tb = db.createTable<number>('n', { key: ['int'] });
  db.transaction(() => {
    for (let i = 0; i < 3000; i++) tb.insert(i, i);
  })();
  db.close();
  const data = path.join(dir, DATA_FILE);
  const good = fs.readFileSync(data);
  t.equal(codeOf(() => open(dir, { ...SMALL, pageSize: 8192 })), DB_CODES.PAGE_SIZE, 'wrong page size');
  fs.writeFileSync(data, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096 - 16), good.subarray(4096)]));
  t.equal(codeOf(() => open(dir, SMALL)), DB_CODES.FOREIGN, 'foreign file');
  const bad = Buffer.from(good);
  bad[30] = (bad[30] as number) ^ 0xff;
  fs.writeFileSync(data, bad);
  const torn = open(dir, SMALL);
  t.equal(torn.table('n').count, 3000, 'one damaged superblock copy: the other copy opens the database');
  torn.close();
  bad[2048 + 30] = (bad[2048 + 30] as number) ^ 0xff;
  fs.writeFileSync(data, bad);
  t.equal(codeOf(() => open(dir, SMALL)), DB_CODES.CORRUPT, 'both superblock copies corrupt');
  fs.writeFileSync(data, good.subarray(0, 3 * 4096));
  t.equal(codeOf(() => open(dir, SMALL)), DB_CODES.TRUNCATED, 'truncated file');
  // a corrupt data page is reported with its page number when read
  const c = Buffer.from(good);
  c[4096 * 5 + 100] = (c[4096 * 5 + 100] as number) ^ 0x55;
  fs.writeFileSync(data, c);
  db = openDb(t, dir);
  const errors = db.verifyFile().errors;
  t.same(errors.map((e) => [e.page, e.code]), [[5, DB_CODES.CORRUPT]]);
  t.equal(codeOf(() => db.table('n').all()), DB_CODES.CORRUPT, 'reading through the damaged page fails loudly');
  db.simulatePowerFailure();
  fs.writeFileSync(data, good);
  db = openDb(t, dir);
  t.equal(db.table('n').count, 3000, 'the restored file opens');
  db.close();
  // a WAL without its page file
  const d2 = tempDir(t);
  fs.writeFileSync(path.join(d2, WAL_FILE), 'x');
  t.equal(codeOf(() => open(d2, SMALL)), DB_CODES.CORRUPT);
  t.equal(codeOf(() => open(tempDir(t), { ...SMALL, create: false })), DB_CODES.INVALID, 'create: false on an empty directory');
  t.equal(codeOf(() => open(tempDir(t), { ...SMALL, sync: 'sometimes' as 'full' })), DB_CODES.INVALID);
  t.equal(codeOf(() => open(tempDir(t), { ...SMALL, poolPages: 3 })), DB_CODES.INVALID);
});

t.test('values of every encoding round-trip', async (t) => {
  const db: Database = openDb(t, tempDir(t));
  const b = db.createTable<Uint8Array>('b', { key: ['bytes'], value: 'bytes' });
  const tu = db.createTable<unknown[]>('tu', { key: ['any', 'any'], value: 'tuple' });
  b.insert(new Uint8Array([0, 1, 0]), new Uint8Array([9, 9]));
  t.same([...(b.get(new Uint8Array([0, 1, 0])) ?? [])], [9, 9]);
  tu.insert([null, true], [1, 'two', new Uint8Array([3]), null, false]);
  t.same(tu.get([null, true]), [1, 'two', new Uint8Array([3]), null, false]);
  tu.insert([1, 2], [1.5, -Infinity]);
  t.same(tu.get([1, 2]), [1.5, -Infinity], 'fractions and infinities are tuple parts');
  t.equal(codeOf(() => tu.insert([1, 3], [Number.NaN] as unknown[])), DB_CODES.VALUE_TYPE, 'NaN is not');
  db.checkInvariants();
});

t.test('catalog: meta.sqlite is reconciled with the page file after a crash between the two', async (t) => {
  const dir = tempDir(t);
  let db = openDb(t, dir);
  db.createTable('kept', { key: ['int'] });
  // A crash after the page-file commit of CREATE TABLE but before meta.sqlite heard of it.
  const put = db.catalog.put.bind(db.catalog);
  db.catalog.put = () => {
    throw new Error('power failure before the catalog write');
  };
  t.throws(() => db.createTable('orphan', { key: ['int'] }), /power failure/);
  db.catalog.put = put;
  t.notOk(db.catalog.get('orphan'), 'meta.sqlite does not know the table');
  db.simulatePowerFailure();
  db = openDb(t, dir);
  t.same(db.tables(), ['kept', 'orphan'], 'the page file is the truth: the table exists');
  t.ok(db.catalog.get('orphan'), 'and meta.sqlite learned it on open');
  // The other direction: a catalog row whose table never reached the page file.
  db.catalog.put({ name: 'ghost', kind: 'table', tableName: null, rootPage: 99, definition: { kind: 'table' }, rowCount: 5 });
  db.close();
  db = openDb(t, dir);
  t.notOk(db.catalog.get('ghost'), 'a catalog row without a table in the page file is removed on open');
  db.table('orphan').insert(1, 'x');
  db.checkInvariants();
  db.close();
  db = openDb(t, dir);
  t.equal(db.catalog.get('orphan')?.rowCount, 1, 'row counts are mirrored at checkpoints');
  t.ok(db.catalog.latestSnapshot()?.label === 'close', 'close stores a buffer-pool snapshot for `remapdb inspect`');
  t.ok((db.catalog.stats()['commits'] ?? 0) >= 1, 'and the engine statistics');
  db.close();
});

t.test('metadata timestamps come from the `now` option (storage runs on simulated time)', async (t) => {
  const dir = tempDir(t);
  const db = openDb(t, dir, { now: () => 1_700_000_000_000 });
  t.equal(db.inspectState('x').takenAt, 1_700_000_000_000, "a snapshot's takenAt");
  const id = db.saveSnapshot('fixed');
  t.same([db.catalog.latestSnapshot()?.id, db.catalog.latestSnapshot()?.takenAt], [id, 1_700_000_000_000], 'as stored');
  db.close();
});

t.test('the default checkpoint interval holds twice the pool, within 64 MiB..1 GiB, and within the replay budget', async (t) => {
  t.equal(defaultCheckpointBytes(4096, 4096), 64 * 1024 * 1024, 'the default pool: 64 MiB');
  t.equal(defaultCheckpointBytes(60_000, 4096, 0), 2 * 60_000 * 4096, 'a 234 MiB pool, no replay budget: 469 MiB');
  t.equal(defaultCheckpointBytes(1_000_000, 16384, 0), 1024 * 1024 * 1024, 'capped at 1 GiB');
  t.equal(defaultCheckpointBytes(60_000, 4096), 128 * 1024 * 1024, 'the default replay budget (2 s) caps it at 128 MiB');
  const db = openDb(t, tempDir(t), { poolPages: 12_000 });
  t.equal(db.options.checkpointBytes, 2 * 12_000 * 4096, 'applied when the option is not given');
  db.close();
});

t.test('shadow frames that cannot fit the machine are refused at open, naming the option', async (t) => {
  const dir = tempDir(t);
  const ram = { kernel: { ramBytes: 16 * 1024 * 1024 } }; // 4,096 pages
  t.match(caught(() => open(dir, { ...ram, strategy: 'pread', poolPages: 20_000 })), {
    code: DB_CODES.INVALID,
    message: /option shadowPages = 5000 \(20 MiB of pinned shadow frames\) is more than the machine's RAM \(4096 pages, 16 MiB\): lower shadowPages \(default a quarter of poolPages, 20000\)/,
  }, 'the default: a quarter of the pool');
  t.match(caught(() => open(dir, { ...ram, poolPages: 64, shadowPages: 5000 })), { code: DB_CODES.INVALID, message: /shadowPages = 5000/ });
  t.equal(fs.existsSync(path.join(dir, DATA_FILE)), false, 'nothing was created');
  const ok = open(dir, { ...ram, strategy: 'pread', poolPages: 8192, shadowPages: 1024 });
  t.equal(ok.options.poolPages, 8192, 'a pool larger than RAM is allowed (it pages)');
  ok.close();
});
