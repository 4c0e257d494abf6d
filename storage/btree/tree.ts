/**
 * btree: a B+tree of byte-string keys (compared bytewise, shorter prefix first) and
 * byte-string values, in pages reached only through PageIO. Node layout: node.ts;
 * values too big for a leaf cell: overflow.ts. Separators are SHORTEST separators
 * on leaf splits (the shortest prefix of the right node's first key that is greater than
 * the left node's last key) and the pivot key itself on internal splits.
 *
 * Invariants (checkInvariants verifies each, naming the page and the rule):
 *   1. Keys strictly ascend within each leaf and along the leaf chain; in an internal node
 *      separators strictly ascend and subtree(c(i-1)) < k(i) <= subtree(c(i)).
 *   2. Every leaf is at level 0 and at the same depth; a child's level is its parent's - 1.
 *   3. Leaf sibling links (left and right) follow the in-order leaf sequence, 0 at the
 *      ends; internal nodes have none.
 *   4. Fill rule: a non-root node uses at least minFillBytes (a quarter of the usable
 *      bytes) in cells + slots, except the rightmost node of each level, which only has to
 *      hold a cell: an append split (ascending inserts) leaves it short on purpose, and it
 *      fills up next. A root internal node has >= 1 cell.
 *   5. The root page id never changes: a root split moves the root's content into a new
 *      child (split.ts deepen); a root left with one child takes over that child
 *      (merge.ts collapseRoot).
 *   6. The root's row count equals the rows in the leaves.
 *   7. Every page of the tree (nodes and overflow pages) is reachable exactly once.
 *   8. No fix outlives a public call: at most ~4 fixes are held at a time, every one
 *      released on every path, thrown errors included.
 *
 * Transitions (the function behind each):
 *   insert that fits                 → split.ts insertUp (allocCell into the leaf)
 *   node overflows                   → split.ts insertUp → splitNode: new right sibling, separator up
 *   root overflows                   → split.ts insertUp → deepen, then splitNode of the new child
 *   node under minFillBytes          → merge.ts rebalance → rebalanceStep: merge with a sibling of
 *                                      the same parent when both fit one node, else
 *                                      redistribute the bytes evenly and replace the separator
 *   root internal node with 0 cells  → merge.ts collapseRoot
 *
 * Split rule: a node splits at the byte midpoint of its cells plus the new one (random
 * inserts leave nodes ~half full), except an insert at the end of the rightmost node of a
 * level, which splits at the insertion point (ascending inserts leave nodes full, as
 * SQLite's balance_quick does). A PageIO error in the middle of a modification leaves a
 * half-changed tree for the transaction to roll back (the pager's job); fixes are released.
 *
 * Files: this one holds the public API, the descent and TreeCore, the state every phase
 * shares (descent path, held fixes, scratch, epochs); split.ts (insert, split, append,
 * deepen), merge.ts (remove, merge, redistribute, collapse) and scan.ts (range scans) are
 * module functions over a TreeCore, so no phase allocates a closure or an object per call.
 */

import { assert } from '../assert.js';
import { allocBytes, copyBytes } from '../file/bytes.js';
import { checkTree, treeNodeIds, treePageIds, type BTreeStats } from './check.js';
import {
  CELL_HEADER_BYTES, cellAt, cellBytes, cellCount, childAt, H_ROWS_HI, H_ROWS_LO, maxKeyBytes, NODE_HEADER_END,
  nodeInit, rd16, rd32, rowCount, searchInternal, searchLeaf, setRowCount, valueInline,
} from './node.js';
import { freeChain, readChain, rewriteChain } from './overflow.js';
import { rebalance, removeLeafCell } from './merge.js';
import { scan } from './scan.js';
import { insertUp, makeLeafCell, noteRightmostLeaf, type Scratch, scratchFor, tryAppend } from './split.js';
import { DB_CODES, dbError } from '../errors.js';
import { corruptPage, PAGE_SIZES, PAGE_TYPE } from '../file/format.js';
import { type PageIO, treeEpoch } from '../file/page-io.js';

/**
 * What put() did, its return value (a small integer, not a union, so the hot path returns
 * no object): PUT_INSERTED a new key was added; PUT_REPLACED an existing key's value was
 * replaced; PUT_EXISTS nothing changed, 'insert' met a present key; PUT_MISSING nothing
 * changed, 'update' met an absent key.
 */
export const PUT_INSERTED = 1;
export const PUT_REPLACED = 2;
export const PUT_EXISTS = 3;
export const PUT_MISSING = 4;
export type PutMode = 'insert' | 'update' | 'upsert';

/** The largest value: 1 MiB, stored in a chain of overflow pages. */
export const MAX_VALUE_BYTES = 1 << 20;
/** The deepest tree the fixed descent path holds (2^32 rows at fan-out 2 fit well within). */
export const MAX_DEPTH = 32;

/** The largest key for a page size (998 for 4096-byte pages, 2022 for 8192, 4070 for 16384). */
export { maxKeyBytes } from './node.js';
export type { BTreeStats } from './check.js';

export interface RangeOptions {
  gt?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

const LEAF = PAGE_TYPE.LEAF;
const INTERNAL = PAGE_TYPE.INTERNAL;
const MAX_HELD = 8;

/**
 * @internal The state the four phases share, one per BTree: the descent path, the fixes a
 * structural step holds, the pending cell and the epochs. split.ts, merge.ts and scan.ts
 * read and write its fields (package-internal: index.ts does not export it).
 */
export class TreeCore {
  readonly io: PageIO;
  readonly root: number;
  readonly ps: number;
  readonly s: Scratch;
  readonly epoch: Uint32Array;
  /** The descent path: page id, child index taken (the search result at the leaf), rightmost-on-level flag. */
  readonly pathPage = new Uint32Array(MAX_DEPTH);
  readonly pathIdx = new Int32Array(MAX_DEPTH);
  readonly pathRight = new Uint8Array(MAX_DEPTH);
  leafDepth = 0;
  /** The read fix descend leaves on the leaf; the caller releases it. */
  leafTok = -1;
  pendingLen = 0;
  /** split.ts tryInsert's verdict: the failed insert was at the end of its level's rightmost node. */
  splitAppend = false;
  /**
   * Fixes held by a structural step, released together by releaseAll. Tokens: pool
   * tokens exceed 32 bits (they carry a slot generation), hence Float64.
   */
  readonly held = new Float64Array(MAX_HELD);
  readonly heldWrite = new Uint8Array(MAX_HELD);
  nHeld = 0;
  destroyed = false;
  /**
   * The key whose descent the path arrays hold, valid while the structure epoch (epoch[1]:
   * bumped by every change but a same-size value overwrite) stands: a read followed by an
   * update of the same key (the common read-modify-write) descends once.
   */
  readonly pathKey: Uint8Array;
  pathKeyLen = -1;
  pathEpoch = 0;
  /**
   * The rightmost leaf, known while the structure epoch is appendEpoch: a key above its
   * last key belongs there, so ascending inserts skip the descent (LMDB's MDB_APPEND,
   * SQLite's BTREE_APPEND, found rather than promised).
   */
  appendLeaf = 0;
  appendEpoch = -1;

  constructor(io: PageIO, rootPageId: number) {
    this.io = io;
    this.root = rootPageId;
    this.ps = io.pageSize;
    this.s = scratchFor(io.pageSize);
    this.epoch = treeEpoch(io);
    this.pathKey = new Uint8Array(maxKeyBytes(io.pageSize));
  }

  // -- descent ------------------------------------------------------------------------------

  /**
   * Walk from the root to key's leaf recording the path; returns the leaf search result
   * (slot, or ~insertion point) and leaves the leaf read-fixed in leafTok. With key null
   * it takes the first (last, if `last`) child at every level. Allocates nothing.
   */
  descend(key: Uint8Array | null, last = false): number {
    const io = this.io;
    const b = io.bytes;
    if (key !== null && this.pathHolds(key)) {
      const d = this.leafDepth;
      this.leafTok = io.fixRead(this.pathPage[d] as number);
      return this.pathIdx[d] as number;
    }
    this.pathKeyLen = -1;
    let page = this.root;
    let right = 1;
    const leafBefore = this.leafDepth;
    for (let d = 0; ; d++) {
      if (d >= MAX_DEPTH) throw corruptPage(page, `B+tree ${this.root} is deeper than ${MAX_DEPTH} levels (a cycle of child links)`);
      // Above the last descent's leaf level, read optimistically (PageIO.peek, no fix to release) what
      // shows as internal; the leaf the caller keeps, and what a peek cannot show (a miss), is fixed.
      let p = d < leafBefore && io.peek !== undefined ? io.peek(page) : -1;
      const tok = p >= 0 && b[p] === INTERNAL ? -1 : io.fixRead(page);
      let keep = false;
      try {
        if (tok >= 0) p = io.offset(tok);
        this.pathPage[d] = page;
        this.pathRight[d] = right;
        const n = cellCount(b, p);
        if (b[p] === LEAF) {
          const r = key !== null ? searchLeaf(b, p, key) : last ? n - 1 : 0;
          this.pathIdx[d] = r;
          this.leafDepth = d;
          this.leafTok = tok;
          keep = true;
          if (key !== null) {
            this.pathKey.set(key);
            this.pathKeyLen = key.length;
            this.pathEpoch = this.epoch[1] as number;
          }
          return r;
        }
        if (b[p] !== INTERNAL) throw corruptPage(page, `page type ${b[p]} on the descent of B+tree ${this.root}, not a node`);
        const j = key !== null ? searchInternal(b, p, key) : last ? n : 0;
        if (j !== n) right = 0;
        this.pathIdx[d] = j;
        page = childAt(b, p, j);
      } finally {
        if (!keep && tok >= 0) io.unfix(tok, false);
      }
    }
  }

  /** The leaf cell at b[c] lies within its page at b[p], as read: REMAPDB_CORRUPT if its slot or lengths are damaged. */
  checkCell(b: Uint8Array, p: number, c: number, page: number): void {
    const k = rd16(b, c);
    if (c < p + NODE_HEADER_END || k > maxKeyBytes(this.ps) || c + cellBytes(b, c, true, this.ps) > p + this.ps) {
      throw corruptPage(page, `the leaf cell at offset ${c - p} (a ${k}-byte key) does not fit the page`);
    }
  }

  /** A copy of the value of the leaf cell at b[c] of page `page` (reading its overflow chain if it has one). */
  readValue(b: Uint8Array, c: number, page: number): Uint8Array {
    const k = rd16(b, c);
    const v = rd32(b, c + 2);
    const vo = c + CELL_HEADER_BYTES + k;
    if (v > MAX_VALUE_BYTES) throw corruptPage(page, `a leaf cell records a ${v}-byte value, over the ${MAX_VALUE_BYTES}-byte limit`);
    if (valueInline(k, v, this.ps)) return copyBytes(b, vo, vo + v);
    const out = allocBytes(v);
    readChain(this.io, rd32(b, vo), v, out, 0);
    return out;
  }

  // -- fixes of structural steps --------------------------------------------------------------

  /** `ranged`: the caller declares what it writes (noteWrite), see page-io.ts contract 4. */
  fix(page: number, write: boolean, ranged = false): number {
    assert(this.nHeld < MAX_HELD, 'a structural step holds a handful of fixes');
    const tok = write ? this.io.fixWrite(page, ranged) : this.io.fixRead(page);
    this.held[this.nHeld] = tok;
    this.heldWrite[this.nHeld] = write ? 1 : 0;
    this.nHeld++;
    return tok;
  }

  releaseAll(): void {
    while (this.nHeld > 0) {
      this.nHeld--;
      this.io.unfix(this.held[this.nHeld] as number, this.heldWrite[this.nHeld] === 1);
    }
  }

  addRows(delta: number): void {
    const b = this.io.bytes;
    try {
      const p = this.io.offset(this.fix(this.root, true, true));
      setRowCount(b, p, rowCount(b, p) + delta);
      this.io.noteWrite(this.root, H_ROWS_LO, H_ROWS_HI + 4);
    } finally {
      this.releaseAll();
    }
  }

  bumpEpoch(): void {
    this.epoch[0] = (this.epoch[0] as number) + 1;
    this.epoch[1] = (this.epoch[1] as number) + 1;
  }

  /** Whether the path arrays hold the descent for key and nothing changed the structure since. */
  pathHolds(key: Uint8Array): boolean {
    const n = key.length;
    if (n !== this.pathKeyLen || this.pathEpoch !== this.epoch[1]) return false;
    const k = this.pathKey;
    for (let i = 0; i < n; i++) if (k[i] !== key[i]) return false;
    return true;
  }
}

export class BTree {
  readonly #t: TreeCore;

  constructor(io: PageIO, rootPageId: number) {
    assert((PAGE_SIZES as readonly number[]).includes(io.pageSize), `page size ${io.pageSize} is one of ${PAGE_SIZES.join(', ')}`);
    assert(Number.isInteger(rootPageId) && rootPageId > 0 && rootPageId < 2 ** 32, `root page id ${rootPageId} is a page`);
    this.#t = new TreeCore(io, rootPageId);
  }

  /** Allocate and initialise an empty tree (an empty leaf root); returns its root page id, fixed for life. */
  static create(io: PageIO): number {
    const page = io.allocPage();
    const tok = io.fixWrite(page);
    try {
      nodeInit(io.bytes, io.offset(tok), io.pageSize, LEAF, 0);
    } finally {
      io.unfix(tok, true);
    }
    return page;
  }

  get rootPageId(): number {
    const t = this.#t;
    return t.root;
  }

  /** The value stored under key (a copy), or undefined. */
  get(key: Uint8Array): Uint8Array | undefined {
    const t = this.#t;
    this.#live();
    const r = t.descend(key);
    const tok = t.leafTok;
    try {
      if (r < 0) return undefined;
      const b = t.io.bytes;
      const p = t.io.offset(tok);
      const page = t.pathPage[t.leafDepth] as number;
      const c = cellAt(b, p, r);
      t.checkCell(b, p, c, page);
      return t.readValue(b, c, page);
    } finally {
      t.io.unfix(tok, false);
    }
  }

  has(key: Uint8Array): boolean {
    const t = this.#t;
    this.#live();
    const r = t.descend(key);
    t.io.unfix(t.leafTok, false);
    return r >= 0;
  }

  /** Store value under key as mode says; returns PUT_INSERTED, PUT_REPLACED, PUT_EXISTS or PUT_MISSING. */
  put(key: Uint8Array, value: Uint8Array, mode: PutMode): number {
    const t = this.#t;
    this.#live();
    if (mode !== 'insert' && mode !== 'update' && mode !== 'upsert') {
      throw dbError(DB_CODES.INVALID, `put mode ${String(mode)} is not one of insert, update, upsert`, { mode });
    }
    const limit = maxKeyBytes(t.ps);
    if (key.length > limit) {
      throw dbError(DB_CODES.KEY_TOO_LARGE, `key of ${key.length} bytes is over the ${limit}-byte limit for ` +
        `${t.ps}-byte pages (maxKeyBytes): use a shorter key or a larger page size`, { length: key.length, limit });
    }
    if (value.length > MAX_VALUE_BYTES) {
      throw dbError(DB_CODES.VALUE_TOO_LARGE, `value of ${value.length} bytes is over the ${MAX_VALUE_BYTES}-byte ` +
        `(1 MiB) limit: split it over several rows`, { length: value.length, limit: MAX_VALUE_BYTES });
    }
    const io = t.io;
    const b = io.bytes;
    if (mode !== 'update' && tryAppend(t, key, value)) return PUT_INSERTED;
    const r = t.descend(key);
    const d = t.leafDepth;
    const leaf = t.pathPage[d] as number;
    if (r < 0) {
      io.unfix(t.leafTok, false);
      if (mode === 'update') return PUT_MISSING;
      const rightmost = t.pathRight[d] === 1;
      makeLeafCell(t, key, value);
      insertUp(t, d, ~r, true);
      t.addRows(1);
      t.bumpEpoch();
      if (rightmost) noteRightmostLeaf(t);
      return PUT_INSERTED;
    }
    if (mode === 'insert') {
      io.unfix(t.leafTok, false);
      return PUT_EXISTS;
    }
    let oldChain = 0;
    let sameSize = false;
    try {
      const c = cellAt(b, io.offset(t.leafTok), r);
      const v = rd32(b, c + 2);
      sameSize = v === value.length;
      if (!valueInline(key.length, v, t.ps)) oldChain = rd32(b, c + CELL_HEADER_BYTES + key.length);
    } finally {
      io.unfix(t.leafTok, false);
    }
    if (sameSize && oldChain !== 0) {
      // An overflowed value of the same length: rewrite its chain in place; the leaf cell
      // (length, first page) stays as it is.
      rewriteChain(io, oldChain, value);
      t.epoch[0] = (t.epoch[0] as number) + 1;
      return PUT_REPLACED;
    }
    if (sameSize) {
      // The hot update: an inline value of the same length is overwritten where it is.
      const tok = io.fixWrite(leaf, true);
      try {
        const p = io.offset(tok);
        const at = cellAt(b, p, r) + CELL_HEADER_BYTES + key.length;
        b.set(value, at);
        if (value.length > 0) io.noteWrite(leaf, at - p, at - p + value.length);
      } finally {
        io.unfix(tok, true);
      }
      // Contents changed (iterators re-read), structure did not (the cached path stands).
      t.epoch[0] = (t.epoch[0] as number) + 1;
      return PUT_REPLACED;
    }
    makeLeafCell(t, key, value);
    removeLeafCell(t, leaf, r);
    if (oldChain !== 0) freeChain(io, oldChain);
    if (!insertUp(t, d, r, false)) rebalance(t, d);
    t.bumpEpoch();
    return PUT_REPLACED;
  }

  /** Remove key; false when it was absent. */
  delete(key: Uint8Array): boolean {
    const t = this.#t;
    this.#live();
    const io = t.io;
    const b = io.bytes;
    const r = t.descend(key);
    let chain = 0;
    try {
      if (r >= 0) {
        const c = cellAt(b, io.offset(t.leafTok), r);
        if (!valueInline(key.length, rd32(b, c + 2), t.ps)) chain = rd32(b, c + CELL_HEADER_BYTES + key.length);
      }
    } finally {
      io.unfix(t.leafTok, false);
    }
    if (r < 0) return false;
    const d = t.leafDepth;
    removeLeafCell(t, t.pathPage[d] as number, r);
    if (chain !== 0) freeChain(io, chain);
    t.addRows(-1);
    rebalance(t, d);
    t.bumpEpoch();
    return true;
  }

  /** Rows in the tree, kept in the root page. */
  get count(): number {
    const t = this.#t;
    this.#live();
    const tok = t.io.fixRead(t.root);
    try {
      const b = t.io.bytes;
      const p = t.io.offset(tok);
      const rows = rowCount(b, p);
      if ((b[p] !== LEAF && b[p] !== INTERNAL) || !Number.isSafeInteger(rows)) {
        throw corruptPage(t.root, `the root of a B+tree has page type ${b[p]} and row count ${rows}`);
      }
      return rows;
    } finally {
      t.io.unfix(tok, false);
    }
  }

  /**
   * Rows with keys within the bounds, ascending (descending with reverse), at most limit.
   * No fix is held between next() calls; rows are copied a leaf at a time, and when any
   * BTree over the same PageIO changed something since, the iterator drops its copies and
   * re-seeks after the last key it returned — so each row returned is current, and the
   * caller may change the tree (delete the row just returned, say) while iterating.
   */
  range(opts: RangeOptions = {}): IterableIterator<[Uint8Array, Uint8Array]> {
    const t = this.#t;
    this.#live();
    if (opts.gt !== undefined && opts.gte !== undefined) throw dbError(DB_CODES.INVALID, 'range: give gt or gte, not both', {});
    if (opts.lt !== undefined && opts.lte !== undefined) throw dbError(DB_CODES.INVALID, 'range: give lt or lte, not both', {});
    const limit = opts.limit ?? Infinity;
    if (limit !== Infinity && !(Number.isSafeInteger(limit) && limit >= 0)) {
      throw dbError(DB_CODES.INVALID, `range: limit ${limit} is not an integer >= 0`, { limit });
    }
    const lo = opts.gte ?? opts.gt ?? null;
    const hi = opts.lte ?? opts.lt ?? null;
    return scan(t, lo, opts.gte !== undefined, hi, opts.lte !== undefined, opts.reverse === true, limit);
  }

  /** Free every page of the tree, the root included; the object is unusable afterwards. */
  destroy(): void {
    const t = this.#t;
    this.#live();
    const ids = this.pageIds();
    for (const id of ids) t.io.freePage(id);
    t.destroyed = true;
    t.bumpEpoch();
  }

  /** Every page the tree owns: nodes and overflow pages. */
  pageIds(): number[] {
    const t = this.#t;
    this.#live();
    return treePageIds(t.io, t.root);
  }

  /** The tree's nodes without reading its leaves (check.ts treeNodeIds); no overflow pages. */
  nodeIds(): number[] {
    const t = this.#t;
    this.#live();
    return treeNodeIds(t.io, t.root);
  }

  /** Verify the invariants (check.ts); throws an Error naming the page and the rule broken. */
  checkInvariants(): BTreeStats {
    const t = this.#t;
    this.#live();
    return checkTree(t.io, t.root);
  }

  #live(): void {
    const t = this.#t;
    if (t.destroyed) throw dbError(DB_CODES.CLOSED, `B+tree ${t.root} was destroyed`, { root: t.root });
  }
}
