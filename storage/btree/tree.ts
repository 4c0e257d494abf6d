/**
 * btree: a B+tree of byte-string keys (compared bytewise, shorter prefix first) and
 * byte-string values, in pages reached only through PageIO. Node layout: btree-node.ts;
 * values too big for a leaf cell: btree-overflow.ts. Separators are SHORTEST separators
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
 *      child (#deepen); a root left with one child takes over that child (#collapseRoot).
 *   6. The root's row count equals the rows in the leaves.
 *   7. Every page of the tree (nodes and overflow pages) is reachable exactly once.
 *   8. No fix outlives a public call: at most ~4 fixes are held at a time, every one
 *      released on every path, thrown errors included.
 *
 * Transitions (the function behind each):
 *   insert that fits                 → #insertUp (allocCell into the leaf)
 *   node overflows                   → #insertUp → #split: new right sibling, separator up
 *   root overflows                   → #insertUp → #deepen, then #split of the new child
 *   node under minFillBytes          → #rebalance → #rebalanceStep: merge with a sibling of
 *                                      the same parent when both fit one node, else
 *                                      redistribute the bytes evenly and replace the separator
 *   root internal node with 0 cells  → #collapseRoot
 *
 * Split rule: a node splits at the byte midpoint of its cells plus the new one (random
 * inserts leave nodes ~half full), except an insert at the end of the rightmost node of a
 * level, which splits at the insertion point (ascending inserts leave nodes full, as
 * SQLite's balance_quick does). A PageIO error in the middle of a modification leaves a
 * half-changed tree for the transaction to roll back (the pager's job); fixes are released.
 *
 * Size (over 500 lines): not yet split. Its four phases — API and descent, insert/split/append,
 * merge/collapse, scan — are the seams for tree.ts, split.ts, merge.ts and scan.ts; they
 * share the tree's private descent path and held fixes, so a split needs those as a
 * state object first.
 */

import { assert } from '../assert.js';
import { allocBytes, copyBytes } from '../file/bytes.js';
import { checkTree, treeNodeIds, treePageIds, type BTreeStats } from './check.js';
import {
  allocCell, buildNode, H_CONTENT, H_COUNT, H_ROWS_HI, H_ROWS_LO, lastAllocDefragmented, NODE_HEADER_END, CELL_HEADER_BYTES, CellRun, cellAt, cellBytes, cellCount, cellWord, childAt, compareKeyAt,
  freeBytes, isLeaf, leftmostChild, leftSibling, maxKeyBytes, minFillBytes, nodeInit, nodeLevel, OVERFLOW_REF_BYTES, rd16,
  rd32, removeCell, rightSibling, rowCount, searchInternal, searchLeaf, setLeftmostChild, setLeftSibling, setRightSibling,
  setRowCount, SLOT_BYTES, usableBytes, usedBytes, valueInline, wr16, wr32,
} from './node.js';
import { freeChain, readChain, rewriteChain, writeChain } from './overflow.js';
import { DB_CODES, dbError } from '../errors.js';
import { corruptPage, PAGE_HEADER_BYTES, PAGE_SIZES, PAGE_TYPE } from '../file/format.js';
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

/** Working buffers of splits and merges, one set per page size (JS runs one at a time). */
interface Scratch {
  run: CellRun;
  /** A page image for defragment. */
  page: Uint8Array;
  /** The cell being inserted: a new leaf cell, or a separator cell on its way up. */
  pending: Uint8Array;
  /** A separator key copied out of a parent. */
  sep: Uint8Array;
}

const scratchByPageSize = new Map<number, Scratch>();

function scratchFor(pageSize: number): Scratch {
  let s = scratchByPageSize.get(pageSize);
  if (s === undefined) {
    s = { run: new CellRun(pageSize), page: new Uint8Array(pageSize), pending: new Uint8Array(pageSize), sep: new Uint8Array(pageSize) };
    scratchByPageSize.set(pageSize, s);
  }
  return s;
}

const LEAF = PAGE_TYPE.LEAF;
const INTERNAL = PAGE_TYPE.INTERNAL;
const MAX_HELD = 8;

export class BTree {
  readonly #io: PageIO;
  readonly #root: number;
  readonly #ps: number;
  readonly #s: Scratch;
  readonly #epoch: Uint32Array;
  /** The descent path: page id, child index taken (the search result at the leaf), rightmost-on-level flag. */
  readonly #pathPage = new Uint32Array(MAX_DEPTH);
  readonly #pathIdx = new Int32Array(MAX_DEPTH);
  readonly #pathRight = new Uint8Array(MAX_DEPTH);
  #leafDepth = 0;
  /** The read fix #descend leaves on the leaf; the caller releases it. */
  #leafTok = -1;
  #pendingLen = 0;
  /** #tryInsert's verdict: the failed insert was at the end of its level's rightmost node. */
  #splitAppend = false;
  /**
   * Fixes held by a structural step, released together by #releaseAll. Tokens: pool
   * tokens exceed 32 bits (they carry a slot generation), hence Float64.
   */
  readonly #held = new Float64Array(MAX_HELD);
  readonly #heldWrite = new Uint8Array(MAX_HELD);
  #nHeld = 0;
  #destroyed = false;
  /**
   * The key whose descent the path arrays hold, valid while the structure epoch (epoch[1]:
   * bumped by every change but a same-size value overwrite) stands: a read followed by an
   * update of the same key (the common read-modify-write) descends once.
   */
  readonly #pathKey: Uint8Array;
  #pathKeyLen = -1;
  #pathEpoch = 0;
  /**
   * The rightmost leaf, known while the structure epoch is #appendEpoch: a key above its
   * last key belongs there, so ascending inserts skip the descent (LMDB's MDB_APPEND,
   * SQLite's BTREE_APPEND, found rather than promised).
   */
  #appendLeaf = 0;
  #appendEpoch = -1;

  constructor(io: PageIO, rootPageId: number) {
    assert((PAGE_SIZES as readonly number[]).includes(io.pageSize), `page size ${io.pageSize} is one of ${PAGE_SIZES.join(', ')}`);
    assert(Number.isInteger(rootPageId) && rootPageId > 0 && rootPageId < 2 ** 32, `root page id ${rootPageId} is a page`);
    this.#io = io;
    this.#root = rootPageId;
    this.#ps = io.pageSize;
    this.#s = scratchFor(io.pageSize);
    this.#epoch = treeEpoch(io);
    this.#pathKey = new Uint8Array(maxKeyBytes(io.pageSize));
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
    return this.#root;
  }

  /** The value stored under key (a copy), or undefined. */
  get(key: Uint8Array): Uint8Array | undefined {
    this.#live();
    const r = this.#descend(key);
    const tok = this.#leafTok;
    try {
      if (r < 0) return undefined;
      const b = this.#io.bytes;
      const p = this.#io.offset(tok);
      const page = this.#pathPage[this.#leafDepth] as number;
      const c = cellAt(b, p, r);
      this.#checkCell(b, p, c, page);
      return this.#readValue(b, c, page);
    } finally {
      this.#io.unfix(tok, false);
    }
  }

  has(key: Uint8Array): boolean {
    this.#live();
    const r = this.#descend(key);
    this.#io.unfix(this.#leafTok, false);
    return r >= 0;
  }

  /** Store value under key as mode says; returns PUT_INSERTED, PUT_REPLACED, PUT_EXISTS or PUT_MISSING. */
  put(key: Uint8Array, value: Uint8Array, mode: PutMode): number {
    this.#live();
    if (mode !== 'insert' && mode !== 'update' && mode !== 'upsert') {
      throw dbError(DB_CODES.INVALID, `put mode ${String(mode)} is not one of insert, update, upsert`, { mode });
    }
    const limit = maxKeyBytes(this.#ps);
    if (key.length > limit) {
      throw dbError(DB_CODES.KEY_TOO_LARGE, `key of ${key.length} bytes is over the ${limit}-byte limit for ` +
        `${this.#ps}-byte pages (maxKeyBytes): use a shorter key or a larger page size`, { length: key.length, limit });
    }
    if (value.length > MAX_VALUE_BYTES) {
      throw dbError(DB_CODES.VALUE_TOO_LARGE, `value of ${value.length} bytes is over the ${MAX_VALUE_BYTES}-byte ` +
        `(1 MiB) limit: split it over several rows`, { length: value.length, limit: MAX_VALUE_BYTES });
    }
    const io = this.#io;
    const b = io.bytes;
    if (mode !== 'update' && this.#tryAppend(key, value)) return PUT_INSERTED;
    const r = this.#descend(key);
    const d = this.#leafDepth;
    const leaf = this.#pathPage[d] as number;
    if (r < 0) {
      io.unfix(this.#leafTok, false);
      if (mode === 'update') return PUT_MISSING;
      const rightmost = this.#pathRight[d] === 1;
      this.#makeLeafCell(key, value);
      this.#insertUp(d, ~r, true);
      this.#addRows(1);
      this.#bumpEpoch();
      if (rightmost) this.#noteRightmostLeaf();
      return PUT_INSERTED;
    }
    if (mode === 'insert') {
      io.unfix(this.#leafTok, false);
      return PUT_EXISTS;
    }
    let oldChain = 0;
    let sameSize = false;
    try {
      const c = cellAt(b, io.offset(this.#leafTok), r);
      const v = rd32(b, c + 2);
      sameSize = v === value.length;
      if (!valueInline(key.length, v, this.#ps)) oldChain = rd32(b, c + CELL_HEADER_BYTES + key.length);
    } finally {
      io.unfix(this.#leafTok, false);
    }
    if (sameSize && oldChain !== 0) {
      // An overflowed value of the same length: rewrite its chain in place; the leaf cell
      // (length, first page) stays as it is.
      rewriteChain(io, oldChain, value);
      this.#epoch[0] = (this.#epoch[0] as number) + 1;
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
      this.#epoch[0] = (this.#epoch[0] as number) + 1;
      return PUT_REPLACED;
    }
    this.#makeLeafCell(key, value);
    this.#removeLeafCell(leaf, r);
    if (oldChain !== 0) freeChain(io, oldChain);
    if (!this.#insertUp(d, r, false)) this.#rebalance(d);
    this.#bumpEpoch();
    return PUT_REPLACED;
  }

  /** Remove key; false when it was absent. */
  delete(key: Uint8Array): boolean {
    this.#live();
    const io = this.#io;
    const b = io.bytes;
    const r = this.#descend(key);
    let chain = 0;
    try {
      if (r >= 0) {
        const c = cellAt(b, io.offset(this.#leafTok), r);
        if (!valueInline(key.length, rd32(b, c + 2), this.#ps)) chain = rd32(b, c + CELL_HEADER_BYTES + key.length);
      }
    } finally {
      io.unfix(this.#leafTok, false);
    }
    if (r < 0) return false;
    const d = this.#leafDepth;
    this.#removeLeafCell(this.#pathPage[d] as number, r);
    if (chain !== 0) freeChain(io, chain);
    this.#addRows(-1);
    this.#rebalance(d);
    this.#bumpEpoch();
    return true;
  }

  /** Rows in the tree, kept in the root page. */
  get count(): number {
    this.#live();
    const tok = this.#io.fixRead(this.#root);
    try {
      const b = this.#io.bytes;
      const p = this.#io.offset(tok);
      const rows = rowCount(b, p);
      if ((b[p] !== LEAF && b[p] !== INTERNAL) || !Number.isSafeInteger(rows)) {
        throw corruptPage(this.#root, `the root of a B+tree has page type ${b[p]} and row count ${rows}`);
      }
      return rows;
    } finally {
      this.#io.unfix(tok, false);
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
    this.#live();
    if (opts.gt !== undefined && opts.gte !== undefined) throw dbError(DB_CODES.INVALID, 'range: give gt or gte, not both', {});
    if (opts.lt !== undefined && opts.lte !== undefined) throw dbError(DB_CODES.INVALID, 'range: give lt or lte, not both', {});
    const limit = opts.limit ?? Infinity;
    if (limit !== Infinity && !(Number.isSafeInteger(limit) && limit >= 0)) {
      throw dbError(DB_CODES.INVALID, `range: limit ${limit} is not an integer >= 0`, { limit });
    }
    const lo = opts.gte ?? opts.gt ?? null;
    const hi = opts.lte ?? opts.lt ?? null;
    return this.#scan(lo, opts.gte !== undefined, hi, opts.lte !== undefined, opts.reverse === true, limit);
  }

  /** Free every page of the tree, the root included; the object is unusable afterwards. */
  destroy(): void {
    this.#live();
    const ids = this.pageIds();
    for (const id of ids) this.#io.freePage(id);
    this.#destroyed = true;
    this.#bumpEpoch();
  }

  /** Every page the tree owns: nodes and overflow pages. */
  pageIds(): number[] {
    this.#live();
    return treePageIds(this.#io, this.#root);
  }

  /** The tree's nodes without reading its leaves (btree-check.ts treeNodeIds); no overflow pages. */
  nodeIds(): number[] {
    this.#live();
    return treeNodeIds(this.#io, this.#root);
  }

  /** Verify the invariants (btree-check.ts); throws an Error naming the page and the rule broken. */
  checkInvariants(): BTreeStats {
    this.#live();
    return checkTree(this.#io, this.#root);
  }

  // -- descent ------------------------------------------------------------------------------

  /**
   * Walk from the root to key's leaf recording the path; returns the leaf search result
   * (slot, or ~insertion point) and leaves the leaf read-fixed in #leafTok. With key null
   * it takes the first (last, if `last`) child at every level. Allocates nothing.
   */
  #descend(key: Uint8Array | null, last = false): number {
    const io = this.#io;
    const b = io.bytes;
    if (key !== null && this.#pathHolds(key)) {
      const d = this.#leafDepth;
      this.#leafTok = io.fixRead(this.#pathPage[d] as number);
      return this.#pathIdx[d] as number;
    }
    this.#pathKeyLen = -1;
    let page = this.#root;
    let right = 1;
    for (let d = 0; ; d++) {
      if (d >= MAX_DEPTH) throw corruptPage(page, `B+tree ${this.#root} is deeper than ${MAX_DEPTH} levels (a cycle of child links)`);
      const tok = io.fixRead(page);
      let keep = false;
      try {
        const p = io.offset(tok);
        this.#pathPage[d] = page;
        this.#pathRight[d] = right;
        const n = cellCount(b, p);
        if (b[p] === LEAF) {
          const r = key !== null ? searchLeaf(b, p, key) : last ? n - 1 : 0;
          this.#pathIdx[d] = r;
          this.#leafDepth = d;
          this.#leafTok = tok;
          keep = true;
          if (key !== null) {
            this.#pathKey.set(key);
            this.#pathKeyLen = key.length;
            this.#pathEpoch = this.#epoch[1] as number;
          }
          return r;
        }
        if (b[p] !== INTERNAL) throw corruptPage(page, `page type ${b[p]} on the descent of B+tree ${this.#root}, not a node`);
        const j = key !== null ? searchInternal(b, p, key) : last ? n : 0;
        if (j !== n) right = 0;
        this.#pathIdx[d] = j;
        page = childAt(b, p, j);
      } finally {
        if (!keep) io.unfix(tok, false);
      }
    }
  }

  /** The leaf cell at b[c] lies within its page at b[p], as read: REMAPDB_CORRUPT if its slot or lengths are damaged. */
  #checkCell(b: Uint8Array, p: number, c: number, page: number): void {
    const k = rd16(b, c);
    if (c < p + NODE_HEADER_END || k > maxKeyBytes(this.#ps) || c + cellBytes(b, c, true, this.#ps) > p + this.#ps) {
      throw corruptPage(page, `the leaf cell at offset ${c - p} (a ${k}-byte key) does not fit the page`);
    }
  }

  /** A copy of the value of the leaf cell at b[c] of page `page` (reading its overflow chain if it has one). */
  #readValue(b: Uint8Array, c: number, page: number): Uint8Array {
    const k = rd16(b, c);
    const v = rd32(b, c + 2);
    const vo = c + CELL_HEADER_BYTES + k;
    if (v > MAX_VALUE_BYTES) throw corruptPage(page, `a leaf cell records a ${v}-byte value, over the ${MAX_VALUE_BYTES}-byte limit`);
    if (valueInline(k, v, this.#ps)) return copyBytes(b, vo, vo + v);
    const out = allocBytes(v);
    readChain(this.#io, rd32(b, vo), v, out, 0);
    return out;
  }

  // -- fixes of structural steps --------------------------------------------------------------

  /** `ranged`: the caller declares what it writes (noteWrite), see page-io.ts contract 4. */
  #fix(page: number, write: boolean, ranged = false): number {
    assert(this.#nHeld < MAX_HELD, 'a structural step holds a handful of fixes');
    const tok = write ? this.#io.fixWrite(page, ranged) : this.#io.fixRead(page);
    this.#held[this.#nHeld] = tok;
    this.#heldWrite[this.#nHeld] = write ? 1 : 0;
    this.#nHeld++;
    return tok;
  }

  #releaseAll(): void {
    while (this.#nHeld > 0) {
      this.#nHeld--;
      this.#io.unfix(this.#held[this.#nHeld] as number, this.#heldWrite[this.#nHeld] === 1);
    }
  }

  // -- insertion and splits -------------------------------------------------------------------

  /** Build the leaf cell for (key, value) in the pending buffer, writing an overflow chain if needed. */
  #makeLeafCell(key: Uint8Array, value: Uint8Array): void {
    const pend = this.#s.pending;
    wr16(pend, 0, key.length);
    wr32(pend, 2, value.length);
    pend.set(key, CELL_HEADER_BYTES);
    if (valueInline(key.length, value.length, this.#ps)) {
      pend.set(value, CELL_HEADER_BYTES + key.length);
      this.#pendingLen = CELL_HEADER_BYTES + key.length + value.length;
    } else {
      wr32(pend, CELL_HEADER_BYTES + key.length, writeChain(this.#io, value));
      this.#pendingLen = CELL_HEADER_BYTES + key.length + OVERFLOW_REF_BYTES;
    }
  }

  /** Build the internal cell (key bytes src[off, off + len), child) in the pending buffer. */
  #makeInternalCell(src: Uint8Array, off: number, len: number, child: number): void {
    const pend = this.#s.pending;
    wr16(pend, 0, len);
    wr32(pend, 2, child);
    pend.set(src.subarray(off, off + len), CELL_HEADER_BYTES);
    this.#pendingLen = CELL_HEADER_BYTES + len;
  }

  /** Declare what allocCell changed in `page` (at p) for the cell of `len` bytes it put in slot `index`, at absolute offset c. */
  #noteAlloc(page: number, p: number, index: number, c: number, len: number): void {
    const io = this.#io;
    if (lastAllocDefragmented()) {
      io.noteWrite(page, PAGE_HEADER_BYTES, this.#ps);
      return;
    }
    // The count and content-start fields, the slots from the new one's index on (they
    // shifted right), and the cell.
    io.noteWrite(page, H_COUNT, H_CONTENT + 2);
    io.noteWrite(page, NODE_HEADER_END + SLOT_BYTES * index, NODE_HEADER_END + SLOT_BYTES * cellCount(io.bytes, p));
    io.noteWrite(page, c - p, c - p + len);
  }

  #removeLeafCell(leaf: number, slot: number): void {
    const b = this.#io.bytes;
    try {
      const p = this.#io.offset(this.#fix(leaf, true, true));
      const n = cellCount(b, p);
      removeCell(b, p, slot, cellBytes(b, cellAt(b, p, slot), true, this.#ps));
      // The node header and the slot array shift; the cell's bytes become a hole, unwritten.
      this.#io.noteWrite(leaf, PAGE_HEADER_BYTES, NODE_HEADER_END + SLOT_BYTES * n);
    } finally {
      this.#releaseAll();
    }
  }

  /**
   * Insert the pending cell at slot idx of path node d, splitting up the path as needed.
   * Returns whether node d split (false: it took the cell). `append` allows the append split.
   */
  #insertUp(d: number, idx: number, append: boolean): boolean {
    let split = false;
    for (;;) {
      if (this.#tryInsert(d, idx, append)) return split;
      split = true;
      const atEnd = this.#splitAppend;
      if (d === 0) {
        this.#split(this.#deepen(), atEnd);
        assert(this.#tryInsert(0, 0, false), 'the deepened root takes the separator');
        return true;
      }
      this.#split(this.#pathPage[d] as number, atEnd);
      idx = this.#pathIdx[d - 1] as number;
      d--;
    }
  }

  /** Put the pending cell into path node d at idx if it fits; else gather the node's cells and it into the run. */
  #tryInsert(d: number, idx: number, append: boolean): boolean {
    const io = this.#io;
    const b = io.bytes;
    const s = this.#s;
    const len = this.#pendingLen;
    try {
      const page = this.#pathPage[d] as number;
      const p = io.offset(this.#fix(page, true, true));
      if (freeBytes(b, p) >= len + SLOT_BYTES) {
        const c = allocCell(b, p, this.#ps, idx, len, s.page);
        b.set(s.pending.subarray(0, len), c);
        this.#noteAlloc(page, p, idx, c, len);
        return true;
      }
      const n = cellCount(b, p);
      this.#splitAppend = append && idx === n && (isLeaf(b, p) ? rightSibling(b, p) === 0 : this.#pathRight[d] === 1);
      s.run.reset();
      s.run.addCells(b, p, this.#ps, 0, idx);
      s.run.add(s.pending, 0, len);
      s.run.addCells(b, p, this.#ps, idx, n);
      return false;
    } finally {
      this.#releaseAll();
    }
  }

  /**
   * Split `page` whose cells (with the new one) are in the run: it keeps the left part, a
   * new right sibling takes the rest, and the pending buffer receives the separator cell
   * for the parent. `atEnd`: split at the insertion point (it was at the end).
   */
  #split(page: number, atEnd: boolean): void {
    const io = this.#io;
    const b = io.bytes;
    const ps = this.#ps;
    const run = this.#s.run;
    const n = run.n;
    const right = io.allocPage();
    try {
      const tx = this.#fix(page, true);
      const tr = this.#fix(right, true);
      const px = io.offset(tx);
      const pr = io.offset(tr);
      if (isLeaf(b, px)) {
        const m = atEnd ? n - 1 : run.cut(true, ps);
        const oldRight = rightSibling(b, px);
        nodeInit(b, pr, ps, LEAF, 0);
        setLeftSibling(b, pr, page);
        setRightSibling(b, pr, oldRight);
        setRightSibling(b, px, right);
        buildNode(b, px, ps, run, 0, m);
        buildNode(b, pr, ps, run, m, n);
        this.#makeInternalCell(run.buf, run.cellOffset(m) + CELL_HEADER_BYTES, run.separatorBytes(m - 1, m), right);
        if (oldRight !== 0) setLeftSibling(b, io.offset(this.#fix(oldRight, true)), right);
      } else {
        assert(n >= 3, 'an overflowing internal node has >= 3 cells');
        const m = atEnd ? n - 2 : run.cut(false, ps);
        const pivot = run.cellOffset(m);
        nodeInit(b, pr, ps, INTERNAL, nodeLevel(b, px));
        setLeftmostChild(b, pr, cellWord(run.buf, pivot));
        buildNode(b, px, ps, run, 0, m);
        buildNode(b, pr, ps, run, m + 1, n);
        this.#makeInternalCell(run.buf, pivot + CELL_HEADER_BYTES, rd16(run.buf, pivot), right);
      }
    } finally {
      this.#releaseAll();
    }
  }

  /** Move the root's content into a new child and make the root an internal node over it. */
  #deepen(): number {
    const io = this.#io;
    const b = io.bytes;
    const child = io.allocPage();
    try {
      const tr = this.#fix(this.#root, true);
      const tc = this.#fix(child, true);
      const pr = io.offset(tr);
      const pc = io.offset(tc);
      const rows = rowCount(b, pr);
      const level = nodeLevel(b, pr);
      assert(level + 2 < MAX_DEPTH, 'tree depth within MAX_DEPTH');
      b[pc] = b[pr] as number;
      b.copyWithin(pc + PAGE_HEADER_BYTES, pr + PAGE_HEADER_BYTES, pr + this.#ps);
      setRowCount(b, pc, 0);
      nodeInit(b, pr, this.#ps, INTERNAL, level + 1);
      setLeftmostChild(b, pr, child);
      setRowCount(b, pr, rows);
    } finally {
      this.#releaseAll();
    }
    return child;
  }

  /** Insert (key, value) at the end of the known rightmost leaf if it belongs and fits there. */
  #tryAppend(key: Uint8Array, value: Uint8Array): boolean {
    if (this.#appendEpoch !== this.#epoch[1] || !valueInline(key.length, value.length, this.#ps)) return false;
    const io = this.#io;
    const b = io.bytes;
    const leaf = this.#appendLeaf;
    const len = CELL_HEADER_BYTES + key.length + value.length;
    let ok = false;
    let tok = io.fixRead(leaf);
    try {
      const p = io.offset(tok);
      const n = cellCount(b, p);
      if (b[p] === LEAF && rightSibling(b, p) === 0 && n > 0 && freeBytes(b, p) >= len + SLOT_BYTES) {
        const c = cellAt(b, p, n - 1);
        ok = compareKeyAt(b, c + CELL_HEADER_BYTES, rd16(b, c), key) < 0;
      }
    } finally {
      io.unfix(tok, false);
    }
    if (!ok) return false;
    this.#makeLeafCell(key, value);
    tok = io.fixWrite(leaf, true);
    try {
      const p = io.offset(tok);
      const c = allocCell(b, p, this.#ps, cellCount(b, p), len, this.#s.page);
      b.set(this.#s.pending.subarray(0, len), c);
      this.#noteAlloc(leaf, p, cellCount(b, p) - 1, c, len);
    } finally {
      io.unfix(tok, true);
    }
    this.#addRows(1);
    this.#bumpEpoch();
    this.#appendEpoch = this.#epoch[1] as number;
    return true;
  }

  /** Remember the rightmost leaf (after an insert into it, which may have split it). */
  #noteRightmostLeaf(): void {
    this.#descend(null, true);
    this.#io.unfix(this.#leafTok, false);
    this.#appendLeaf = this.#pathPage[this.#leafDepth] as number;
    this.#appendEpoch = this.#epoch[1] as number;
  }

  #addRows(delta: number): void {
    const b = this.#io.bytes;
    try {
      const p = this.#io.offset(this.#fix(this.#root, true, true));
      setRowCount(b, p, rowCount(b, p) + delta);
      this.#io.noteWrite(this.#root, H_ROWS_LO, H_ROWS_HI + 4);
    } finally {
      this.#releaseAll();
    }
  }

  // -- deletion: merge, redistribute, collapse --------------------------------------------------

  /** Restore the fill rule from path node d upwards. */
  #rebalance(d: number): void {
    for (; d > 0; d--) {
      if (!this.#underfull(this.#pathPage[d] as number)) return;
      if (!this.#rebalanceStep(d)) return;
    }
    this.#collapseRoot();
  }

  #underfull(page: number): boolean {
    try {
      const p = this.#io.offset(this.#fix(page, false));
      return usedBytes(this.#io.bytes, p, this.#ps) < minFillBytes(this.#ps);
    } finally {
      this.#releaseAll();
    }
  }

  /**
   * Merge path node d with its left sibling (its right one if it is the first child) when
   * both fit one node, else share their cells evenly and replace the separator. Returns
   * whether the parent may now be under-full (false: nothing above changed size, or the
   * parent split).
   */
  #rebalanceStep(d: number): boolean {
    const io = this.#io;
    const b = io.bytes;
    const ps = this.#ps;
    const s = this.#s;
    const run = s.run;
    const parent = this.#pathPage[d - 1] as number;
    const j = this.#pathIdx[d - 1] as number;
    const k = j > 0 ? j - 1 : 0;
    let left: number;
    let right: number;
    let sepLen: number;
    try {
      const pp = io.offset(this.#fix(parent, false));
      assert(cellCount(b, pp) >= 1 && childAt(b, pp, j) === this.#pathPage[d], 'the path matches the parent');
      left = childAt(b, pp, k);
      right = childAt(b, pp, k + 1);
      const c = cellAt(b, pp, k);
      sepLen = rd16(b, c);
      s.sep.set(b.subarray(c + CELL_HEADER_BYTES, c + CELL_HEADER_BYTES + sepLen), 0);
    } finally {
      this.#releaseAll();
    }
    let merged: boolean;
    try {
      const ta = this.#fix(left, true);
      const tb = this.#fix(right, true);
      const pa = io.offset(ta);
      const pb = io.offset(tb);
      const leaf = isLeaf(b, pa);
      run.reset();
      run.addCells(b, pa, ps, 0, cellCount(b, pa));
      if (!leaf) run.addInternal(s.sep, 0, sepLen, leftmostChild(b, pb));
      run.addCells(b, pb, ps, 0, cellCount(b, pb));
      const n = run.n;
      merged = run.usedBytes(0, n) <= usableBytes(ps);
      if (merged) {
        buildNode(b, pa, ps, run, 0, n);
        if (leaf) {
          const next = rightSibling(b, pb);
          setRightSibling(b, pa, next);
          if (next !== 0) setLeftSibling(b, io.offset(this.#fix(next, true)), left);
        }
      } else if (leaf) {
        const m = run.cut(true, ps);
        buildNode(b, pa, ps, run, 0, m);
        buildNode(b, pb, ps, run, m, n);
        this.#makeInternalCell(run.buf, run.cellOffset(m) + CELL_HEADER_BYTES, run.separatorBytes(m - 1, m), right);
      } else {
        const m = run.cut(false, ps);
        const pivot = run.cellOffset(m);
        buildNode(b, pa, ps, run, 0, m);
        setLeftmostChild(b, pb, cellWord(run.buf, pivot));
        buildNode(b, pb, ps, run, m + 1, n);
        this.#makeInternalCell(run.buf, pivot + CELL_HEADER_BYTES, rd16(run.buf, pivot), right);
      }
    } finally {
      this.#releaseAll();
    }
    if (merged) io.freePage(right);
    try {
      const pp = io.offset(this.#fix(parent, true));
      removeCell(b, pp, k, cellBytes(b, cellAt(b, pp, k), false, ps));
    } finally {
      this.#releaseAll();
    }
    if (merged) return true;
    // The new separator may be longer (the parent splits) or shorter (it may underflow).
    return !this.#insertUp(d - 1, k, false);
  }

  /** A root internal node with no cells takes over its only child's content. */
  #collapseRoot(): void {
    const io = this.#io;
    const b = io.bytes;
    let child = 0;
    try {
      const p = io.offset(this.#fix(this.#root, false));
      if (!isLeaf(b, p) && cellCount(b, p) === 0) child = leftmostChild(b, p);
    } finally {
      this.#releaseAll();
    }
    if (child === 0) return;
    try {
      const tr = this.#fix(this.#root, true);
      const tc = this.#fix(child, false);
      const pr = io.offset(tr);
      const pc = io.offset(tc);
      const rows = rowCount(b, pr);
      b[pr] = b[pc] as number;
      b.copyWithin(pr + PAGE_HEADER_BYTES, pc + PAGE_HEADER_BYTES, pc + this.#ps);
      setRowCount(b, pr, rows);
    } finally {
      this.#releaseAll();
    }
    io.freePage(child);
  }

  // -- range scans ------------------------------------------------------------------------------

  *#scan(lo: Uint8Array | null, loIncl: boolean, hi: Uint8Array | null, hiIncl: boolean, reverse: boolean, limit: number):
  Generator<[Uint8Array, Uint8Array], undefined, undefined> {
    const keys: Uint8Array[] = [];
    const vals: Uint8Array[] = [];
    // Where to resume: the last key returned, in a buffer of our own (the caller owns what it got).
    const last = new Uint8Array(maxKeyBytes(this.#ps));
    let lastLen = -1;
    let remaining = limit;
    while (remaining > 0 && !this.#destroyed) {
      keys.length = 0;
      vals.length = 0;
      const from = lastLen >= 0 ? last.subarray(0, lastLen) : reverse ? hi : lo;
      const fromIncl = lastLen >= 0 ? false : reverse ? hiIncl : loIncl;
      const ended = this.#fill(from, fromIncl, reverse, reverse ? lo : hi, reverse ? loIncl : hiIncl, remaining, keys, vals);
      const epoch = this.#epoch[0];
      let i = 0;
      while (i < keys.length) {
        const key = keys[i] as Uint8Array;
        const value = vals[i] as Uint8Array;
        i++;
        remaining--;
        // Keys strictly ascend (descend) along a scan; a page that breaks the order would
        // make the re-seek after it revisit rows forever.
        if (lastLen >= 0 && (compareKeyAt(last, 0, lastLen, key) < 0) === reverse) {
          throw corruptPage(this.#root, `a scan of B+tree ${this.#root} met its keys out of order`);
        }
        last.set(key);
        lastLen = key.length;
        yield [key, value];
        if (this.#epoch[0] !== epoch || this.#destroyed) break;
      }
      if (keys.length === 0 || (ended && i === keys.length && this.#epoch[0] === epoch)) return undefined;
    }
    return undefined;
  }

  /**
   * Copy into keys/vals up to `max` rows of one leaf, starting at the first row after (or
   * at, if fromIncl) `from` in the scan's direction and stopping at the bound `stop`.
   * Returns whether the scan is over (bound or end of tree reached). Holds <= 2 fixes.
   */
  #fill(from: Uint8Array | null, fromIncl: boolean, reverse: boolean, stop: Uint8Array | null, stopIncl: boolean,
    max: number, keys: Uint8Array[], vals: Uint8Array[]): boolean {
    const io = this.#io;
    const b = io.bytes;
    const r = this.#descend(from, reverse);
    let tok = this.#leafTok;
    let page = this.#pathPage[this.#leafDepth] as number;
    try {
      let p = io.offset(tok);
      let n = cellCount(b, p);
      let i: number;
      if (from === null) i = r;
      else if (r >= 0) i = fromIncl ? r : reverse ? r - 1 : r + 1;
      else i = reverse ? ~r - 1 : ~r;
      while (i < 0 || i >= n) {
        const sib = reverse ? leftSibling(b, p) : rightSibling(b, p);
        if (sib === 0) return true;
        const next = io.fixRead(sib);
        io.unfix(tok, false);
        tok = next;
        page = sib;
        p = io.offset(tok);
        n = cellCount(b, p);
        if (b[p] !== LEAF || n === 0) throw corruptPage(sib, `a leaf's sibling link reaches a page of type ${b[p]} with ${n} cells`);
        i = reverse ? n - 1 : 0;
      }
      for (; i >= 0 && i < n && keys.length < max; i += reverse ? -1 : 1) {
        const c = cellAt(b, p, i);
        const k = rd16(b, c);
        this.#checkCell(b, p, c, page);
        if (stop !== null) {
          const cmp = compareKeyAt(b, c + CELL_HEADER_BYTES, k, stop);
          if (reverse ? cmp < 0 || (cmp === 0 && !stopIncl) : cmp > 0 || (cmp === 0 && !stopIncl)) return true;
        }
        keys.push(copyBytes(b, c + CELL_HEADER_BYTES, c + CELL_HEADER_BYTES + k));
        vals.push(this.#readValue(b, c, page));
        p = io.offset(tok); // reading an overflow chain fixed other pages
      }
      if (keys.length >= max) return false;
      return (reverse ? leftSibling(b, p) : rightSibling(b, p)) === 0;
    } finally {
      io.unfix(tok, false);
    }
  }

  // -- state ---------------------------------------------------------------------------------------

  #bumpEpoch(): void {
    this.#epoch[0] = (this.#epoch[0] as number) + 1;
    this.#epoch[1] = (this.#epoch[1] as number) + 1;
  }

  /** Whether the path arrays hold the descent for key and nothing changed the structure since. */
  #pathHolds(key: Uint8Array): boolean {
    const n = key.length;
    if (n !== this.#pathKeyLen || this.#pathEpoch !== this.#epoch[1]) return false;
    const k = this.#pathKey;
    for (let i = 0; i < n; i++) if (k[i] !== key[i]) return false;
    return true;
  }

  #live(): void {
    if (this.#destroyed) throw dbError(DB_CODES.CLOSED, `B+tree ${this.#root} was destroyed`, { root: this.#root });
  }
}
