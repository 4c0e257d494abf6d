/**
 * Declared write ranges (pager.ts invariant 5): a page written through fixWrite(P, true)
 * is logged over its noteWrite ranges only. Those deltas must recover the page after a
 * power failure; a write outside the ranges is caught by checkDeclaredWrites; too many
 * ranges fall back to a whole-page diff; bad ranges are refused.
 */

import t from 'tap';

import { open } from '../../src/db.js';
import { DB_CODES } from '../../storage/index.js';
import { StorageAssertionError } from '../../storage/assert.js';
import { MAX_RANGES } from '../../storage/pager.js';
import { codeOf, openDb, SMALL, tempDir } from './helpers/index.js';

const PAGE_HEADER = 24;

t.test('declared ranges are what is logged: the bytes come back after a power failure', async (t) => {
  const dir = tempDir(t);
  const db = openDb(t, dir, { sync: 'full' });
  const tb = db.createTable('r', { key: ['int'], value: 'bytes' });
  tb.insert(1, new Uint8Array(100));
  db.checkpoint();
  const page = tb.tree.rootPageId;
  const io = db.io;
  // Ranges in scrambled order, two that merge, one at the end of the page.
  const spots: [number, number][] = [[3000, 3010], [200, 204], [210, 214], [4090, 4096], [1000, 1001]];
  db.transaction(() => {
    const tok = io.fixWrite(page, true);
    const off = io.offset(tok);
    for (const [a, b] of spots) {
      io.bytes.fill(0xab, off + a, off + b);
      io.noteWrite(page, a, b);
    }
    io.unfix(tok, true);
  })();
  db.simulatePowerFailure();
  const again = open(dir, { ...SMALL, sync: 'full' });
  t.teardown(() => { if (!again.closed) again.close(); });
  const tok = again.io.fixRead(page);
  const off = again.io.offset(tok);
  for (const [a, b] of spots) t.same([...again.io.bytes.subarray(off + a, off + b)], new Array(b - a).fill(0xab), `bytes ${a}..${b} recovered`);
  again.io.unfix(tok, false);
});

t.test('a write outside the declared ranges is caught at commit (checkDeclaredWrites)', async (t) => {
  const dir = tempDir(t);
  const db = openDb(t, dir);
  const tb = db.createTable('r', { key: ['int'], value: 'bytes' });
  tb.insert(1, new Uint8Array(10));
  const page = tb.tree.rootPageId;
  const io = db.io;
  const err = (() => {
    try {
      db.transaction(() => {
        const tok = io.fixWrite(page, true);
        const off = io.offset(tok);
        io.bytes[off + 2000] = (io.bytes[off + 2000] as number) ^ 0xff;
        io.bytes[off + 3000] = (io.bytes[off + 3000] as number) ^ 0xff;
        io.noteWrite(page, 2000, 2001);
        io.unfix(tok, true);
      })();
    } catch (e) {
      return e as Error;
    }
    return null;
  })();
  t.match(err?.message, /page \d+ changed at byte 3000, outside its declared ranges 2000,2001/);
});

t.test('past MAX_RANGES ranges, or after a plain fixWrite, the page is diffed whole (and still recovers)', async (t) => {
  const dir = tempDir(t);
  const db = openDb(t, dir, { sync: 'full' });
  const tb = db.createTable('r', { key: ['int'], value: 'bytes' });
  tb.insert(1, new Uint8Array(10));
  db.checkpoint();
  const page = tb.tree.rootPageId;
  const io = db.io;
  const n = MAX_RANGES + 2;
  db.transaction(() => {
    const tok = io.fixWrite(page, true);
    const off = io.offset(tok);
    for (let k = 0; k < n; k++) {
      io.bytes[off + 1000 + 100 * k] = 7;
      io.noteWrite(page, 1000 + 100 * k, 1001 + 100 * k);
    }
    // Undeclared, but the page is whole by now: not an error.
    io.bytes[off + 3500] = 9;
    io.unfix(tok, true);
    const t2 = io.fixWrite(page);
    io.bytes[io.offset(t2) + 3600] = 5;
    io.unfix(t2, true);
  })();
  db.simulatePowerFailure();
  const again = open(dir, { ...SMALL, sync: 'full' });
  t.teardown(() => { if (!again.closed) again.close(); });
  const tok = again.io.fixRead(page);
  const off = again.io.offset(tok);
  const b = again.io.bytes;
  t.same([b[off + 1000], b[off + 1000 + 100 * (n - 1)], b[off + 3500], b[off + 3600]], [7, 7, 9, 5]);
  again.io.unfix(tok, false);
});

// Such a call is an engine bug: an assertion (storage/assert.ts), no longer REMAPDB_FAILED.
t.test('noteWrite refuses a range of a page the transaction did not write, or outside the page', async (t) => {
  const dir = tempDir(t);
  const db = openDb(t, dir);
  const tb = db.createTable('r', { key: ['int'], value: 'bytes' });
  tb.insert(1, new Uint8Array(10));
  const page = tb.tree.rootPageId;
  db.transaction(() => {
    t.throws(() => db.io.noteWrite(page, 0, 1), StorageAssertionError, 'not written in this transaction');
    const tok = db.io.fixWrite(page, true);
    t.throws(() => db.io.noteWrite(page, 10, 10), StorageAssertionError, 'empty');
    t.throws(() => db.io.noteWrite(page, PAGE_HEADER, 4097), StorageAssertionError, 'past the page');
    db.io.unfix(tok, false);
  })();
});

t.test('an overflowed value of the same length is rewritten in its chain (declared ranges) and recovers', async (t) => {
  const dir = tempDir(t);
  const db = openDb(t, dir, { sync: 'full' });
  const tb = db.createTable<Uint8Array>('big', { key: ['int'], value: 'bytes' });
  const val = (seed: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
  db.transaction(() => { for (let k = 0; k < 20; k++) tb.insert(k, val(k, 1000 + 700 * (k % 3))); })();
  db.checkpoint();
  const pagesBefore = db.stats().pageCount;
  for (let round = 1; round <= 5; round++) db.transaction(() => { for (let k = 0; k < 20; k += 2) tb.update(k, val(k + 100 * round, 1000 + 700 * (k % 3))); })();
  t.equal(db.stats().pageCount, pagesBefore, 'no page allocated: the chains were rewritten where they are');
  tb.update(1, val(9, 5000));
  db.checkInvariants();
  db.simulatePowerFailure();
  const again = open(dir, { ...SMALL, sync: 'full' });
  t.teardown(() => { if (!again.closed) again.close(); });
  const back = again.table<Uint8Array>('big');
  let bad = 0;
  for (let k = 0; k < 20; k++) {
    const want = k === 1 ? val(9, 5000) : k % 2 === 0 ? val(k + 500, 1000 + 700 * (k % 3)) : val(k, 1000 + 700 * (k % 3));
    if (Buffer.compare(back.get(k) as Uint8Array, want) !== 0) bad++;
  }
  t.equal(bad, 0, 'every value as last committed');
  again.checkInvariants();
});
