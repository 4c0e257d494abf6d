/**
 * The B+tree, operation by operation and edge by edge, at every page size: the empty
 * tree, empty keys and values, the key and value limits (codes, messages, details), the
 * inline/overflow threshold, overflow updates that grow, shrink and go back inline, fill
 * of ascending and random inserts, delete-all collapsing back to the root leaf with every
 * other page freed, range scans over every bound combination both ways with limits,
 * scans that delete (or insert) as they go, destroy, two trees over one root, and fix
 * discipline when the PageIO fails midway. All over MemPageIO, which moves every fixed
 * page on every fix (copy-on-fix) and checks fix discipline.
 */

import t, { type Test } from 'tap';

import { Prng } from '../../../sim-kernel/index.js';
import {
  BTree, MAX_VALUE_BYTES, maxKeyBytes, PUT_EXISTS, PUT_INSERTED, PUT_MISSING, PUT_REPLACED, type RangeOptions,
} from '../../../storage/btree/tree.js';
import { maxCellBytes, valueInline } from '../../../storage/btree/node.js';
import { chainPages } from '../../../storage/btree/overflow.js';
import { crc32c } from '../../../storage/file/crc32c.js';
import { compareBytes } from '../../../storage/tuple.js';

import { MemPageIO } from '../helpers/index.js';

const PAGE_SIZES = [4096, 8192, 16384] as const;

/** n as a big-endian key of `width` bytes. */
function key(n: number, width = 4): Uint8Array {
  const k = new Uint8Array(width);
  for (let i = width - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) k[i] = v % 256;
  return k;
}

function filled(len: number, seed: number): Uint8Array {
  const v = new Uint8Array(len);
  for (let i = 0; i < len; i++) v[i] = (seed * 31 + i * 7) & 0xff;
  return v;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Byte equality without tap's element-by-element diff (values reach 1 MiB). */
function sameBytes(t: Test, got: Uint8Array | undefined, want: Uint8Array, msg = 'bytes match'): void {
  const ok = got !== undefined && Buffer.compare(got, want) === 0;
  t.ok(ok, msg, ok ? {} : { got: got === undefined ? 'undefined' : `${got.length} bytes`, want: `${want.length} bytes` });
}

/** A short fingerprint of a row for range comparisons: key in hex, value length and CRC. */
function row(k: Uint8Array, v: Uint8Array): string {
  return `${hex(k)}=${v.length}/${crc32c(v, 0, v.length).toString(16)}`;
}

function fresh(pageSize: number, maxPages = 4096): { io: MemPageIO; tree: BTree } {
  const io = new MemPageIO(pageSize, { maxPages });
  return { io, tree: new BTree(io, BTree.create(io)) };
}

/** Invariants, no fix left behind, no page leaked. */
function clean(t: Test, io: MemPageIO, tree: BTree, what: string): void {
  const st = tree.checkInvariants();
  t.equal(io.outstandingFixes, 0, `${what}: no outstanding fixes`);
  t.equal(io.pagesInUse, st.pages, `${what}: every page in use belongs to the tree`);
}

t.test('maxKeyBytes per page size', async (t) => {
  t.equal(maxKeyBytes(4096), 998);
  t.equal(maxKeyBytes(8192), 2022);
  t.equal(maxKeyBytes(16384), 4070);
  for (const ps of PAGE_SIZES) {
    t.ok(4 * (maxCellBytes(ps) + 2) <= ps - 56, `${ps}: four largest cells fit a node`);
  }
});

t.test('empty tree', async (t) => {
  for (const ps of PAGE_SIZES) {
    const { io, tree } = fresh(ps);
    t.equal(tree.count, 0);
    t.equal(tree.get(key(1)), undefined);
    t.equal(tree.has(key(1)), false);
    t.equal(tree.delete(key(1)), false);
    t.same([...tree.range({})], []);
    t.same([...tree.range({ reverse: true })], []);
    t.same([...tree.range({ gte: key(0), lte: key(9) })], []);
    t.equal(tree.put(key(1), filled(3, 1), 'update'), PUT_MISSING);
    t.same(tree.checkInvariants(), { pages: 1, leaves: 1, internals: 0, overflowPages: 0, depth: 1, rows: 0 });
    t.same(tree.pageIds(), [tree.rootPageId]);
    t.equal(io.pagesInUse, 1);
    t.equal(io.outstandingFixes, 0);
  }
});

t.test('put modes and their results', async (t) => {
  const { io, tree } = fresh(4096);
  t.equal(tree.put(key(5), filled(10, 1), 'insert'), PUT_INSERTED);
  t.equal(tree.put(key(5), filled(10, 2), 'insert'), PUT_EXISTS, 'insert of a present key');
  sameBytes(t, tree.get(key(5)), filled(10, 1), 'insert of a present key changed nothing');
  t.equal(tree.put(key(5), filled(10, 3), 'update'), PUT_REPLACED);
  sameBytes(t, tree.get(key(5)), filled(10, 3));
  t.equal(tree.put(key(6), filled(10, 4), 'update'), PUT_MISSING, 'update of an absent key');
  t.equal(tree.has(key(6)), false);
  t.equal(tree.put(key(6), filled(10, 5), 'upsert'), PUT_INSERTED);
  t.equal(tree.put(key(6), filled(20, 6), 'upsert'), PUT_REPLACED);
  sameBytes(t, tree.get(key(6)), filled(20, 6));
  t.equal(tree.count, 2);
  t.throws(() => tree.put(key(7), filled(1, 1), 'replace' as 'insert'), { code: 'REMAPDB_INVALID_ARGUMENT' });
  const got = tree.get(key(6)) as Uint8Array;
  got.fill(0);
  sameBytes(t, tree.get(key(6)), filled(20, 6), 'get returns a copy');
  t.equal(tree.delete(key(5)), true);
  t.equal(tree.delete(key(5)), false);
  t.equal(tree.count, 1);
  clean(t, io, tree, 'after the puts');
});

t.test('empty keys and empty values', async (t) => {
  for (const ps of PAGE_SIZES) {
    const { io, tree } = fresh(ps);
    const empty = new Uint8Array(0);
    t.equal(tree.put(empty, empty, 'insert'), PUT_INSERTED);
    t.equal(tree.put(key(0, 1), empty, 'insert'), PUT_INSERTED);
    sameBytes(t, tree.get(empty), empty);
    t.equal(tree.has(empty), true);
    t.same([...tree.range({})].map(([k]) => hex(k)), ['', '00'], 'the empty key sorts first');
    t.same([...tree.range({ gt: empty })].map(([k]) => hex(k)), ['00']);
    t.same([...tree.range({ lte: empty })].map(([k]) => hex(k)), ['']);
    t.equal(tree.put(empty, filled(5000, 1), 'update'), PUT_REPLACED, 'the empty key with an overflow value');
    sameBytes(t, tree.get(empty), filled(5000, 1));
    t.equal(tree.delete(empty), true);
    t.equal(tree.count, 1);
    clean(t, io, tree, `${ps}`);
  }
});

t.test('key size limit', async (t) => {
  for (const ps of PAGE_SIZES) {
    const { io, tree } = fresh(ps);
    const limit = maxKeyBytes(ps);
    // Keys at the limit, with inline, overflow and empty values, enough to split a few times.
    for (let i = 0; i < 40; i++) {
      const k = filled(limit, i);
      k[0] = i;
      t.equal(tree.put(k, filled(i % 3 === 0 ? 0 : i % 3 === 1 ? 4 : 3 * ps, i), 'insert'), PUT_INSERTED);
    }
    const st = tree.checkInvariants();
    t.ok(st.depth >= 2, `${ps}: max-size keys split nodes (depth ${st.depth})`);
    const over = new Uint8Array(limit + 1);
    const err = t.throws(() => tree.put(over, new Uint8Array(1), 'upsert'), { code: 'REMAPDB_KEY_TOO_LARGE' }) as unknown as
      { message: string; details: Record<string, unknown> };
    t.match(err.message, new RegExp(`${limit + 1} bytes.*${limit}-byte limit`), 'the message names the length and the limit');
    t.same(err.details, { length: limit + 1, limit });
    t.equal(tree.count, 40, 'nothing changed');
    clean(t, io, tree, `${ps}`);
  }
});

t.test('value size limit: 1 MiB in overflow pages, one byte more refused', async (t) => {
  for (const ps of PAGE_SIZES) {
    const { io, tree } = fresh(ps, 1200);
    const big = filled(MAX_VALUE_BYTES, 9);
    t.equal(tree.put(key(1), big, 'insert'), PUT_INSERTED);
    sameBytes(t, tree.get(key(1)), big);
    const st = tree.checkInvariants();
    t.equal(st.overflowPages, chainPages(MAX_VALUE_BYTES, ps), `${ps}: ${st.overflowPages} overflow pages`);
    const err = t.throws(() => tree.put(key(2), new Uint8Array(MAX_VALUE_BYTES + 1), 'insert'),
      { code: 'REMAPDB_VALUE_TOO_LARGE' }) as unknown as { message: string; details: Record<string, unknown> };
    t.match(err.message, /1048577 bytes.*1048576-byte/);
    t.same(err.details, { length: MAX_VALUE_BYTES + 1, limit: MAX_VALUE_BYTES });
    t.equal(tree.delete(key(1)), true);
    t.equal(io.pagesInUse, 1, 'the chain was freed');
    clean(t, io, tree, `${ps}`);
  }
});

t.test('inline threshold: a cell of maxCellBytes stays inline, one byte more overflows', async (t) => {
  for (const ps of PAGE_SIZES) {
    for (const keyLen of [0, 10, maxKeyBytes(ps)]) {
      const { io, tree } = fresh(ps);
      const inlineMax = maxCellBytes(ps) - 6 - keyLen;
      t.ok(valueInline(keyLen, inlineMax, ps) && !valueInline(keyLen, inlineMax + 1, ps));
      tree.put(filled(keyLen, 1), filled(inlineMax, 2), 'insert');
      t.equal(tree.checkInvariants().overflowPages, 0, `${ps}/${keyLen}: ${inlineMax} bytes inline`);
      tree.put(filled(keyLen, 1), filled(inlineMax + 1, 3), 'update');
      t.equal(tree.checkInvariants().overflowPages, 1, `${ps}/${keyLen}: ${inlineMax + 1} bytes overflow`);
      sameBytes(t, tree.get(filled(keyLen, 1)), filled(inlineMax + 1, 3));
      clean(t, io, tree, `${ps}/${keyLen}`);
    }
  }
});

t.test('overflow updates: grow, shrink, back inline; no page leaks', async (t) => {
  for (const ps of PAGE_SIZES) {
    const { io, tree } = fresh(ps);
    for (let i = 0; i < 30; i++) tree.put(key(i), filled(40, i), 'insert');
    const k = key(15);
    const sizes = [40, 2 * ps, 7 * ps + 3, 3 * ps, ps, 100, 0, 5 * ps, 40];
    for (const [i, size] of sizes.entries()) {
      t.equal(tree.put(k, filled(size, i), 'update'), PUT_REPLACED);
      sameBytes(t, tree.get(k), filled(size, i), `${ps}: value of ${size} bytes`);
      const st = tree.checkInvariants();
      t.equal(st.overflowPages, valueInline(4, size, ps) ? 0 : chainPages(size, ps), `${ps}: ${size} bytes take ${st.overflowPages} overflow pages`);
      clean(t, io, tree, `${ps}: after ${size}`);
    }
    t.equal(tree.count, 30);
  }
});

t.test('ascending inserts fill leaves; random inserts leave them at least half full', async (t) => {
  for (const ps of PAGE_SIZES) {
    const rowBytes = 6 + 8 + 40 + 2;
    const perLeaf = Math.floor((ps - 56) / rowBytes);
    const n = perLeaf * 60;
    const asc = fresh(ps);
    for (let i = 0; i < n; i++) asc.tree.put(key(i, 8), filled(40, i), 'insert');
    const a = asc.tree.checkInvariants();
    t.ok(a.rows / a.leaves >= 0.95 * perLeaf, `${ps}: ascending: ${(a.rows / a.leaves).toFixed(1)} rows per leaf of ${perLeaf}`);
    const rnd = fresh(ps);
    const rng = new Prng(11);
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (const i of order) rnd.tree.put(key(i, 8), filled(40, i), 'insert');
    const r = rnd.tree.checkInvariants();
    const fill = r.rows / r.leaves / perLeaf;
    t.ok(fill >= 0.5 && fill <= 0.9, `${ps}: random: leaves ${(100 * fill).toFixed(0)}% full`);
    clean(t, rnd.io, rnd.tree, `${ps} random`);
  }
});

t.test('delete every row: the tree collapses to its root leaf, every other page freed', async (t) => {
  for (const ps of PAGE_SIZES) {
    const { io, tree } = fresh(ps, 8000);
    const rng = new Prng(ps);
    const root = tree.rootPageId;
    const keys: Uint8Array[] = [];
    // Long shared prefixes make long separators, so the tree gets deep with few rows.
    const prefix = filled(maxKeyBytes(ps) - 8, 3);
    for (let i = 0; i < 600; i++) {
      const k = new Uint8Array(prefix.length + 4);
      k.set(prefix);
      k.set(key(rng.nextU32()), prefix.length);
      if (tree.put(k, filled(i % 10 === 0 ? 2 * ps : 30, i), 'insert') === PUT_INSERTED) keys.push(k);
    }
    const full = tree.checkInvariants();
    t.ok(full.depth >= 3, `${ps}: depth ${full.depth} with ${full.rows} rows`);
    for (let i = keys.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [keys[i], keys[j]] = [keys[j] as Uint8Array, keys[i] as Uint8Array];
    }
    let step = 0;
    for (const k of keys) {
      if (!tree.delete(k)) t.fail(`delete ${step}: the key was missing`);
      if (++step % 25 === 0) clean(t, io, tree, `${ps} after ${step} deletes`);
    }
    t.same(tree.checkInvariants(), { pages: 1, leaves: 1, internals: 0, overflowPages: 0, depth: 1, rows: 0 });
    t.equal(io.pagesInUse, 1, 'only the root is in use');
    t.equal(tree.rootPageId, root);
    t.equal(io.outstandingFixes, 0);
  }
});

/** The reference range: sorted model rows filtered by the options. */
function modelRange(rows: [Uint8Array, Uint8Array][], o: RangeOptions): string[] {
  let out = rows.filter(([k]) =>
    (o.gt === undefined || compareBytes(k, o.gt) > 0) && (o.gte === undefined || compareBytes(k, o.gte) >= 0) &&
    (o.lt === undefined || compareBytes(k, o.lt) < 0) && (o.lte === undefined || compareBytes(k, o.lte) <= 0));
  if (o.reverse === true) out = out.reverse();
  if (o.limit !== undefined) out = out.slice(0, o.limit);
  return out.map(([k, v]) => row(k, v));
}

t.test('range: every bound combination, both directions, with limits', async (t) => {
  for (const ps of PAGE_SIZES) {
    const { io, tree } = fresh(ps);
    const rows: [Uint8Array, Uint8Array][] = [];
    // Even keys 0..2*(n-1): odd probes fall between rows; big values spread rows over many leaves.
    const n = Math.floor(ps / 40);
    for (let i = 0; i < n; i++) {
      const k = key(2 * i, 2);
      const v = filled(i % 17 === 0 ? ps : 90, i);
      tree.put(k, v, 'insert');
      rows.push([k, v]);
    }
    t.ok(tree.checkInvariants().leaves >= 3, 'rows span several leaves');
    const probes = [new Uint8Array(0), key(0, 2), key(1, 2), key(n - 1, 2), key(n, 2), key(2 * n - 2, 2), key(2 * n + 5, 2),
      key(0, 3)];
    let checked = 0;
    let failed = 0;
    for (const lower of [undefined, 'gt', 'gte'] as const) {
      for (const upper of [undefined, 'lt', 'lte'] as const) {
        for (const a of lower === undefined ? [undefined] : probes) {
          for (const b of upper === undefined ? [undefined] : probes) {
            for (const reverse of [false, true]) {
              for (const limit of [undefined, 1, 7]) {
                const o: RangeOptions = { reverse };
                if (lower !== undefined && a !== undefined) o[lower] = a;
                if (upper !== undefined && b !== undefined) o[upper] = b;
                if (limit !== undefined) o.limit = limit;
                const got = [...tree.range(o)].map(([k, v]) => row(k, v));
                const want = modelRange(rows, o);
                checked++;
                if (got.join() !== want.join() && failed++ < 5) {
                  t.same(got, want, `range ${JSON.stringify(o, (_k, x) => (x instanceof Uint8Array ? hex(x) : x))}`);
                }
              }
            }
          }
        }
      }
    }
    t.equal(failed, 0, `${ps}: ${checked} ranges match the model`);
    t.same([...tree.range({ limit: 0 })], [], 'limit 0');
    t.same([...tree.range({ gt: key(9, 2), lt: key(3, 2) })], [], 'an empty interval');
    t.throws(() => tree.range({ gt: key(1), gte: key(1) }), { code: 'REMAPDB_INVALID_ARGUMENT' });
    t.throws(() => tree.range({ lt: key(1), lte: key(1) }), { code: 'REMAPDB_INVALID_ARGUMENT' });
    t.throws(() => tree.range({ limit: -1 }), { code: 'REMAPDB_INVALID_ARGUMENT' });
    t.throws(() => tree.range({ limit: 1.5 }), { code: 'REMAPDB_INVALID_ARGUMENT' });
    clean(t, io, tree, `${ps}`);
  }
});

t.test('range while the caller changes the tree', async (t) => {
  for (const ps of PAGE_SIZES) {
    for (const reverse of [false, true]) {
      const { io, tree } = fresh(ps);
      const n = 400;
      for (let i = 0; i < n; i++) tree.put(key(i), filled(i % 50 === 0 ? ps : 60, i), 'insert');
      // Delete each row as it is returned.
      const seen: number[] = [];
      for (const [k, v] of tree.range({ reverse })) {
        const i = Buffer.from(k).readUInt32BE(0);
        if (Buffer.compare(v, filled(i % 50 === 0 ? ps : 60, i)) !== 0) t.fail(`row ${i} has the wrong value`);
        seen.push(i);
        if (io.outstandingFixes !== 0) t.fail('a fix is held between next() calls');
        tree.delete(k);
        k.fill(0xff); // the caller owns what it got: scribbling on it must not move the scan
      }
      const want = Array.from({ length: n }, (_, i) => (reverse ? n - 1 - i : i));
      t.same(seen, want, `${ps} ${reverse ? 'reverse' : 'forward'}: every row once, in order`);
      t.equal(tree.count, 0);
      clean(t, io, tree, `${ps} after the deleting scan`);
    }
    // Delete the NEXT row (in scan order) and insert rows ahead: the scan sees the tree as it is.
    const { io, tree } = fresh(ps);
    for (let i = 0; i < 300; i += 3) tree.put(key(i), filled(80, i), 'insert');
    const seen: number[] = [];
    for (const [k] of tree.range({ gte: key(0) })) {
      const i = Buffer.from(k).readUInt32BE(0);
      seen.push(i);
      tree.delete(key(i + 3));
      if (i % 3 === 0 && i < 150) tree.put(key(i + 1), filled(80, i + 1), 'insert');
    }
    const want: number[] = [];
    for (let i = 0; i < 300; i += 6) {
      want.push(i);
      if (i < 150) want.push(i + 1);
    }
    t.same(seen, want, `${ps}: deleted rows are skipped, inserted rows ahead are seen`);
    clean(t, io, tree, `${ps} after the mixed scan`);
  }
});

t.test('two BTree objects over one root stay coherent', async (t) => {
  const io = new MemPageIO(4096);
  const root = BTree.create(io);
  const a = new BTree(io, root);
  const b = new BTree(io, root);
  for (let i = 0; i < 500; i++) a.put(key(i), filled(50, i), 'insert');
  t.equal(b.count, 500, 'the row count lives in the root page');
  sameBytes(t, b.get(key(250)), filled(50, 250));
  let n = 0;
  for (const [k] of a.range({})) {
    b.delete(k); // the other object deletes behind the scan of the first
    n++;
  }
  t.equal(n, 500);
  t.equal(a.count, 0);
  t.equal(io.pagesInUse, 1);
  a.checkInvariants();
});

t.test('destroy frees every page', async (t) => {
  for (const ps of PAGE_SIZES) {
    const { io, tree } = fresh(ps);
    for (let i = 0; i < 300; i++) tree.put(key(i), filled(i % 20 === 0 ? 3 * ps : 100, i), 'insert');
    const st = tree.checkInvariants();
    t.equal(tree.pageIds().length, st.pages);
    t.equal(io.pagesInUse, st.pages);
    tree.destroy();
    t.equal(io.pagesInUse, 0, `${ps}: all ${st.pages} pages freed`);
    t.throws(() => tree.get(key(1)), { code: 'REMAPDB_CLOSED' });
    t.equal(io.outstandingFixes, 0);
  }
});

t.test('the row count survives root splits and collapses', async (t) => {
  const { io, tree } = fresh(4096);
  for (let i = 0; i < 2000; i++) tree.put(key(i), filled(30, i), 'insert');
  t.equal(tree.count, 2000);
  t.ok(tree.checkInvariants().depth >= 2);
  for (let i = 0; i < 1990; i++) tree.delete(key(i));
  t.equal(tree.count, 10);
  t.equal(tree.checkInvariants().depth, 1);
  t.equal(io.pagesInUse, 1);
});

t.test('a same-size update fixes only the path and writes only the leaf', async (t) => {
  const { io, tree } = fresh(4096);
  for (let i = 0; i < 3000; i++) tree.put(key(i), filled(30, i), 'insert');
  const depth = tree.checkInvariants().depth;
  const before = io.fixesTotal;
  const pages = io.pagesInUse;
  t.equal(tree.put(key(1234), filled(30, 99), 'update'), PUT_REPLACED);
  t.equal(io.fixesTotal - before, depth + 1, `${depth} read fixes down the path, one write fix of the leaf`);
  t.equal(io.pagesInUse, pages);
  sameBytes(t, tree.get(key(1234)), filled(30, 99));
  const g = io.fixesTotal;
  tree.get(key(77));
  t.equal(io.fixesTotal - g, depth, 'a get fixes each level once');
});

/** A MemPageIO whose allocPage fails after `allowance` more allocations. */
class FailingPageIO extends MemPageIO {
  allowance = Infinity;
  override allocPage(): number {
    if (this.allowance <= 0) throw Object.assign(new Error('injected allocation failure'), { code: 'ENOMEM' });
    this.allowance--;
    return super.allocPage();
  }
}

t.test('a failing allocation mid-operation releases every fix', async (t) => {
  let failures = 0;
  for (let allowance = 0; allowance < 12; allowance++) {
    const io = new FailingPageIO(4096);
    const tree = new BTree(io, BTree.create(io));
    for (let i = 0; i < 90; i++) tree.put(key(i), filled(30, i), 'insert'); // one leaf, nearly full
    io.allowance = allowance;
    let threw = false;
    try {
      for (let i = 0; i < 400; i++) tree.put(key(1000 + i), filled(i % 7 === 0 ? 9000 : 30, i), 'insert');
    } catch (err) {
      threw = (err as { code?: string }).code === 'ENOMEM';
    }
    if (!threw) t.fail(`allowance ${allowance}: the failure surfaced`);
    if (io.outstandingFixes !== 0) failures++;
  }
  t.equal(failures, 0, 'no fix outstanding after any injected failure');
});

t.test('MemPageIO catches misuse', async (t) => {
  const io = new MemPageIO(4096, { maxFixes: 3 });
  const p = io.allocPage();
  const r = io.fixRead(p);
  const off = io.offset(r);
  const w = io.fixWrite(p);
  t.not(io.offset(w), off, 'a write fix moves the page');
  t.equal(io.bytes[off], 0xa5, 'the old location is poisoned');
  io.unfix(w, true);
  io.unfix(r, false);
  t.throws(() => io.unfix(r, false), /unknown/);
  const r2 = io.fixRead(p);
  io.bytes[io.offset(r2) + 100] = 1;
  t.throws(() => io.unfix(r2, false), /without a dirtied write fix/);
  const w2 = io.fixWrite(p);
  io.bytes[io.offset(w2) + 5] = 1;
  t.throws(() => io.unfix(w2, true), /header byte 5/);
  const a = io.fixRead(p);
  t.throws(() => io.freePage(p), /while it is fixed/);
  io.fixRead(p);
  io.fixRead(p);
  t.throws(() => io.fixRead(p), /outstanding fixes/);
  io.unfix(a, false);
  t.throws(() => io.fixRead(999), /not in use/);
});
