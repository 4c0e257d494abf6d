/**
 * Seeded model test of the B+tree against a reference: a Map of hex key → value plus the
 * sorted array of hex keys (hex order is bytewise order). Random inserts, updates,
 * upserts, deletes, gets, has, counts and range scans with random bounds, directions and
 * limits — some scans deleting rows as they go — over tiny, small, long-prefixed (deep
 * trees) and maximum-size keys and empty, small, near-threshold, overflow and large
 * values, in random, ascending and descending key orders, at every page size. Growth
 * phases alternate with deletion phases so splits, merges, redistributions, root deepening
 * and root collapse all happen. After every step: no fix outstanding, the count matches;
 * checkInvariants() after every step while the tree is small and every CHECK_EVERY steps
 * after; at the end every page in use belongs to the tree, deleting every row leaves only
 * the root, and destroy leaves nothing.
 *
 * Replay: REMAPDB_SEED=<seed> [REMAPDB_MODEL_STEPS=<steps per scenario>] npx tap test/storage/btree-model.test.ts
 */

import t from 'tap';

import { Prng } from '../../../sim-kernel/index.js';
import {
  BTree, maxKeyBytes, PUT_EXISTS, PUT_INSERTED, PUT_MISSING, PUT_REPLACED, type PutMode, type RangeOptions,
} from '../../../storage/btree/tree.js';
import { maxCellBytes } from '../../../storage/btree/node.js';

import { MemPageIO } from '../helpers/index.js';

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${v}`);
  return n;
}

const SEED = (envInt('REMAPDB_SEED') ?? 0x5eed_b7ee) >>> 0;
const STEPS = Math.max(1, envInt('REMAPDB_MODEL_STEPS') ?? 2500);
/** Check every step while the tree has at most this many pages, else every CHECK_EVERY steps. */
const CHECK_ALWAYS_PAGES = 60;
const CHECK_EVERY = 10;

type KeyOrder = 'random' | 'ascending' | 'descending';

interface Scenario {
  name: string;
  pageSize: number;
  order: KeyOrder;
  /** Long shared key prefixes: long separators, few cells per internal node, deep trees. */
  deep: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: '4096 random', pageSize: 4096, order: 'random', deep: false },
  { name: '4096 random deep', pageSize: 4096, order: 'random', deep: true },
  { name: '8192 ascending deep', pageSize: 8192, order: 'ascending', deep: true },
  { name: '16384 descending', pageSize: 16384, order: 'descending', deep: false },
  { name: '16384 random deep', pageSize: 16384, order: 'random', deep: true },
];

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytesOf = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && Buffer.compare(a, b) === 0);

/** The reference: rows by hex key, and the hex keys in order. */
class Model {
  readonly rows = new Map<string, Uint8Array>();
  readonly sorted: string[] = [];

  /** Index of the first key >= h. */
  lowerBound(h: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.sorted[mid] as string) < h) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(h: string, v: Uint8Array): void {
    if (!this.rows.has(h)) this.sorted.splice(this.lowerBound(h), 0, h);
    this.rows.set(h, v);
  }

  delete(h: string): boolean {
    if (!this.rows.delete(h)) return false;
    this.sorted.splice(this.lowerBound(h), 1);
    return true;
  }

  range(o: RangeOptions): string[] {
    let from = 0;
    let to = this.sorted.length;
    if (o.gte !== undefined) from = this.lowerBound(hexOf(o.gte));
    if (o.gt !== undefined) {
      const h = hexOf(o.gt);
      from = this.lowerBound(h);
      if (this.sorted[from] === h) from++;
    }
    if (o.lt !== undefined) to = this.lowerBound(hexOf(o.lt));
    if (o.lte !== undefined) {
      const h = hexOf(o.lte);
      to = this.lowerBound(h);
      if (this.sorted[to] === h) to++;
    }
    const out = from < to ? this.sorted.slice(from, to) : [];
    if (o.reverse === true) out.reverse();
    return o.limit === undefined ? out : out.slice(0, o.limit);
  }
}

class Run {
  readonly io: MemPageIO;
  readonly tree: BTree;
  readonly model = new Model();
  readonly rng: Prng;
  readonly maxKey: number;
  readonly prefix: Uint8Array;
  #counter: number;
  checks = 0;
  maxDepth = 0;
  overflowRows = 0;
  scans = 0;

  constructor(readonly sc: Scenario, seed: number) {
    this.rng = new Prng(seed);
    this.io = new MemPageIO(sc.pageSize, { maxPages: 6000 });
    this.tree = new BTree(this.io, BTree.create(this.io));
    this.maxKey = maxKeyBytes(sc.pageSize);
    this.prefix = new Uint8Array(this.maxKey - 12).fill(0x41);
    this.#counter = sc.order === 'descending' ? 2 ** 40 : 0;
  }

  /** A key: an existing one sometimes, else one of the scenario's order and shapes. */
  key(existing: number): Uint8Array {
    const r = this.rng;
    const m = this.model;
    if (m.sorted.length > 0 && r.next() < existing) return bytesOf(m.sorted[r.int(0, m.sorted.length - 1)] as string);
    const shape = r.next();
    if (this.sc.order !== 'random') {
      this.#counter += this.sc.order === 'ascending' ? r.int(1, 3) : -r.int(1, 3);
      const plen = this.sc.deep ? this.prefix.length : shape < 0.1 ? this.maxKey - 8 : 0;
      const k = new Uint8Array(plen + 8);
      k.set(this.prefix.subarray(0, plen));
      new DataView(k.buffer).setBigUint64(plen, BigInt(this.#counter));
      return k;
    }
    if (shape < 0.12) return Uint8Array.from({ length: r.int(0, 2) }, () => r.int(0, 2));
    if (shape < (this.sc.deep ? 0.3 : 0.85)) return Uint8Array.from({ length: r.int(1, 12) }, () => r.int(0, 255));
    if (shape < 0.95) {
      const plen = r.int(20, this.maxKey - 6);
      const k = new Uint8Array(plen + r.int(1, 6));
      k.set(this.prefix.subarray(0, Math.min(plen, this.prefix.length)));
      for (let i = plen; i < k.length; i++) k[i] = r.int(0, 3);
      return k;
    }
    return Uint8Array.from({ length: this.maxKey }, (_, i) => (i < this.maxKey - 4 ? 0x42 : r.int(0, 255)));
  }

  value(keyLen: number): Uint8Array {
    const r = this.rng;
    const ps = this.sc.pageSize;
    const shape = r.next();
    let len: number;
    if (shape < 0.1) len = 0;
    else if (shape < 0.78) len = r.int(1, 48);
    else if (shape < 0.88) len = Math.max(0, maxCellBytes(ps) - 6 - keyLen + r.int(-3, 3)); // at the inline threshold
    else if (shape < 0.995) len = r.int(ps / 2, 3 * ps);
    else len = r.int(16 * ps, 64 * 1024);
    const v = new Uint8Array(len);
    const seed = r.nextU32();
    for (let i = 0; i < len; i += 97) v[i] = (seed + i) & 0xff;
    if (len > 0) v[len - 1] = seed & 0xff;
    return v;
  }

  /** One random operation, checked against the model; returns its description. */
  step(deleting: boolean): string {
    const r = this.rng;
    const m = this.model;
    const tree = this.tree;
    const op = r.next();
    const delWeight = deleting ? 0.5 : 0.06;
    if (op < delWeight) {
      const k = this.key(0.85);
      const h = hexOf(k);
      const want = m.delete(h);
      const got = tree.delete(k);
      if (got !== want) throw new Error(`delete ${h}: tree says ${got}, model ${want}`);
      return `delete ${h.slice(-16)} → ${got}`;
    }
    if (op < delWeight + (deleting ? 0.25 : 0.6)) {
      const mode: PutMode = (['insert', 'update', 'upsert'] as const)[r.int(0, 2)] as PutMode;
      const k = this.key(0.2);
      const h = hexOf(k);
      const v = this.value(k.length);
      const present = m.rows.has(h);
      const want = mode === 'insert' ? (present ? PUT_EXISTS : PUT_INSERTED) : present ? PUT_REPLACED : mode === 'update' ? PUT_MISSING : PUT_INSERTED;
      const got = tree.put(k, v, mode);
      if (got !== want) throw new Error(`put ${mode} ${h}: tree says ${got}, model ${want}`);
      if (want === PUT_INSERTED || want === PUT_REPLACED) m.set(h, v);
      if (v.length > maxCellBytes(this.sc.pageSize)) this.overflowRows++;
      return `put ${mode} ${h.slice(-16)} (${k.length} B key, ${v.length} B value) → ${got}`;
    }
    if (op < delWeight + (deleting ? 0.4 : 0.82)) {
      const k = this.key(0.7);
      const h = hexOf(k);
      const want = m.rows.get(h);
      if (r.next() < 0.2) {
        if (tree.has(k) !== (want !== undefined)) throw new Error(`has ${h}: tree disagrees with the model`);
        return `has ${h.slice(-16)}`;
      }
      const got = tree.get(k);
      if (!sameBytes(got, want)) throw new Error(`get ${h}: tree has ${got?.length ?? 'nothing'}, model ${want?.length ?? 'nothing'} bytes`);
      return `get ${h.slice(-16)}`;
    }
    return r.next() < 0.1 ? this.deletingScan() : this.scan();
  }

  /** Random bounds: existing keys, new keys, or none. */
  bounds(): RangeOptions {
    const r = this.rng;
    const o: RangeOptions = {};
    const lower = r.int(0, 2);
    const upper = r.int(0, 2);
    if (lower === 1) o.gt = this.key(0.6);
    if (lower === 2) o.gte = this.key(0.6);
    if (upper === 1) o.lt = this.key(0.6);
    if (upper === 2) o.lte = this.key(0.6);
    if (r.next() < 0.5) o.reverse = true;
    if (r.next() < 0.5) o.limit = r.int(0, 40);
    return o;
  }

  scan(): string {
    const o = this.bounds();
    const want = this.model.range(o);
    let i = 0;
    for (const [k, v] of this.tree.range(o)) {
      const h = hexOf(k);
      if (h !== want[i]) throw new Error(`range ${describe(o)}: row ${i} is ${h}, model ${want[i] ?? 'none'}`);
      if (!sameBytes(v, this.model.rows.get(h))) throw new Error(`range ${describe(o)}: row ${i} (${h}) has the wrong value`);
      i++;
    }
    if (i !== want.length) throw new Error(`range ${describe(o)}: ${i} rows, model ${want.length}`);
    this.scans++;
    return `range ${describe(o)} → ${i} rows`;
  }

  /** A scan that deletes every other row it returns: the rest come back exactly as in the model. */
  deletingScan(): string {
    const o = this.bounds();
    o.limit = Math.min(o.limit ?? 16, 16);
    const want = this.model.range(o);
    let i = 0;
    for (const [k] of this.tree.range(o)) {
      const h = hexOf(k);
      if (h !== want[i]) throw new Error(`deleting range ${describe(o)}: row ${i} is ${h}, model ${want[i] ?? 'none'}`);
      if (this.io.outstandingFixes !== 0) throw new Error('a range iterator holds a fix between rows');
      if (i % 2 === 0) {
        this.tree.delete(k);
        this.model.delete(h);
      }
      i++;
    }
    if (i !== want.length) throw new Error(`deleting range ${describe(o)}: ${i} rows, model ${want.length}`);
    this.scans++;
    return `deleting range ${describe(o)} → ${i} rows`;
  }

  check(force: boolean, step = 0): void {
    if (this.io.outstandingFixes !== 0) throw new Error(`${this.io.outstandingFixes} fixes outstanding`);
    if (this.tree.count !== this.model.rows.size) throw new Error(`count ${this.tree.count}, model ${this.model.rows.size}`);
    if (!force && this.io.pagesInUse > CHECK_ALWAYS_PAGES && step % CHECK_EVERY !== 0) return;
    const st = this.tree.checkInvariants();
    this.checks++;
    this.maxDepth = Math.max(this.maxDepth, st.depth);
    if (st.rows !== this.model.rows.size) throw new Error(`${st.rows} rows in the leaves, model ${this.model.rows.size}`);
    if (st.pages !== this.io.pagesInUse) throw new Error(`the tree owns ${st.pages} pages but ${this.io.pagesInUse} are in use: a leak`);
  }
}

function describe(o: RangeOptions): string {
  return JSON.stringify(o, (_k, x: unknown) => (x instanceof Uint8Array ? `${hexOf(x).slice(0, 8)}…(${x.length})` : x));
}

t.comment(`seed ${SEED}, ${STEPS} steps per scenario (replay: REMAPDB_SEED=${SEED} REMAPDB_MODEL_STEPS=${STEPS})`);

for (const [n, sc] of SCENARIOS.entries()) {
  t.test(`${sc.name}: ${STEPS} steps`, async (t) => {
    const seed = (SEED + Math.imul(n + 1, 0x9e3779b1)) >>> 0;
    const run = new Run(sc, seed);
    // Grow for 45% of the steps, delete for 15% (the tree shrinks back), grow again for 40%.
    let last = '';
    let step = 0;
    try {
      for (; step < STEPS; step++) {
        last = run.step(step >= 0.45 * STEPS && step < 0.6 * STEPS);
        run.check(false, step);
      }
      run.check(true);
      const ids = run.tree.pageIds();
      t.equal(run.io.pagesInUse, ids.length, 'every page in use belongs to the tree');
      t.equal(new Set(ids).size, ids.length, 'pageIds lists each page once');
      const rows = run.model.rows.size;
      // Delete what is left, in random order.
      const keys = [...run.model.sorted];
      for (let i = keys.length - 1; i > 0; i--) {
        const j = run.rng.int(0, i);
        [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
      }
      for (const h of keys) {
        last = `final delete ${h.slice(-16)}`;
        if (!run.tree.delete(bytesOf(h))) throw new Error(`${h} was missing`);
        run.model.delete(h);
        step++;
        run.check(false, step);
      }
      run.check(true);
      t.equal(run.io.pagesInUse, 1, 'after deleting every row only the root is in use');
      run.tree.destroy();
      t.equal(run.io.pagesInUse, 0, 'destroy frees the root too');
      t.equal(run.io.outstandingFixes, 0);
      if (sc.deep) t.ok(run.maxDepth >= 3, `reached depth ${run.maxDepth}`);
      t.comment(`${sc.name}: ${rows} rows before the final deletes, max depth ${run.maxDepth}, ${run.checks} full checks, ` +
        `${run.overflowRows} overflow values written, ${run.scans} scans`);
    } catch (err) {
      t.fail(`step ${step} (${last}): ${(err as Error).message}`, {
        seed: SEED, scenario: sc.name, stack: (err as Error).stack ?? '',
        replay: `REMAPDB_SEED=${SEED} REMAPDB_MODEL_STEPS=${STEPS} npx tap test/storage/btree-model.test.ts`,
      });
    }
  });
}
