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
 */

import { DB_CODES, dbError } from './errors.js';
import { PAGE_HEADER_BYTES, PAGE_SIZES, PAGE_TYPE } from './format.js';
import type { PageIO } from './page-io.js';
import {
  assert, buildNode, CELL_HEADER_BYTES, CellRun, cellAt, cellBytes, cellCount, cellWord, childAt, compareKeyAt,
  H_CONTENT, H_FRAG, H_LEFT, H_LEFTMOST, H_LEVEL, H_RIGHT, H_ROWS_HI, H_ROWS_LO, isLeaf, leftmostChild, leftSibling,
  maxCellBytes, minFillBytes, NODE_HEADER_END, nodeInit, nodeLevel, OVERFLOW_REF_BYTES, rd16, rd32, removeCell,
  rightSibling, rowCount, searchInternal, searchLeaf, setLeftmostChild, setLeftSibling, setRightSibling, setRowCount,
  SLOT_BYTES, usableBytes, usedBytes, valueInline, wr16, wr32, allocCell, freeBytes,
} from './btree-node.js';
import { freeChain, readChain, walkChain, writeChain } from './btree-overflow.js';

export const PUT_INSERTED = 1;
export const PUT_REPLACED = 2;
export const PUT_EXISTS = 3;
export const PUT_MISSING = 4;
export type PutMode = 'insert' | 'update' | 'upsert';

/** The largest value: 1 MiB, stored in a chain of overflow pages. */
export const MAX_VALUE_BYTES = 1 << 20;
/** The deepest tree the fixed descent path holds (2^32 rows at fan-out 2 fit well within). */
export const MAX_DEPTH = 32;

/**
 * The largest key for a page size: the largest cell (a quarter of the usable bytes less
 * its slot) less a leaf cell's header and overflow reference, so any four cells — leaf or
 * internal — fit a node. 998 for 4096-byte pages, 2022 for 8192, 4070 for 16384.
 */
export function maxKeyBytes(pageSize: number): number {
  return maxCellBytes(pageSize) - CELL_HEADER_BYTES - OVERFLOW_REF_BYTES;
}

export interface RangeOptions {
  gt?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

export interface BTreeStats {
  pages: number;
  leaves: number;
  internals: number;
  overflowPages: number;
  depth: number;
  rows: number;
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

/**
 * A modification counter per PageIO, shared by every BTree over it: a range iterator
 * re-seeks when it moved, so two BTree objects over the same root stay coherent.
 */
const epochs = new WeakMap<PageIO, Uint32Array>();

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
  /** Fixes held by a structural step, released together by #releaseAll. */
  readonly #held = new Int32Array(MAX_HELD);
  readonly #heldWrite = new Uint8Array(MAX_HELD);
  #nHeld = 0;
  #destroyed = false;

  constructor(io: PageIO, rootPageId: number) {
    assert((PAGE_SIZES as readonly number[]).includes(io.pageSize), `page size ${io.pageSize} is one of ${PAGE_SIZES.join(', ')}`);
    assert(Number.isInteger(rootPageId) && rootPageId > 0 && rootPageId < 2 ** 32, `root page id ${rootPageId} is a page`);
    this.#io = io;
    this.#root = rootPageId;
    this.#ps = io.pageSize;
    this.#s = scratchFor(io.pageSize);
    let e = epochs.get(io);
    if (e === undefined) {
      e = new Uint32Array(1);
      epochs.set(io, e);
    }
    this.#epoch = e;
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
      return this.#readValue(b, cellAt(b, this.#io.offset(tok), r));
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
    const r = this.#descend(key);
    const d = this.#leafDepth;
    const leaf = this.#pathPage[d] as number;
    if (r < 0) {
      io.unfix(this.#leafTok, false);
      if (mode === 'update') return PUT_MISSING;
      this.#makeLeafCell(key, value);
      this.#insertUp(d, ~r, true);
      this.#addRows(1);
      this.#bumpEpoch();
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
      if (valueInline(key.length, v, this.#ps)) sameSize = v === value.length;
      else oldChain = rd32(b, c + CELL_HEADER_BYTES + key.length);
    } finally {
      io.unfix(this.#leafTok, false);
    }
    if (sameSize) {
      // The hot update: an inline value of the same length is overwritten where it is.
      const tok = io.fixWrite(leaf);
      try {
        b.set(value, cellAt(b, io.offset(tok), r) + CELL_HEADER_BYTES + key.length);
      } finally {
        io.unfix(tok, true);
      }
      this.#bumpEpoch();
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
      return rowCount(this.#io.bytes, this.#io.offset(tok));
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
    const io = this.#io;
    const out: number[] = [];
    const seen = new Set<number>();
    const add = (id: number): void => {
      if (seen.has(id)) throw new Error(`B+tree ${this.#root}: page ${id} is reachable twice`);
      seen.add(id);
      out.push(id);
    };
    const stack = [this.#root];
    const chains: number[] = [];
    while (stack.length > 0) {
      const page = stack.pop() as number;
      add(page);
      const tok = io.fixRead(page);
      try {
        const b = io.bytes;
        const p = io.offset(tok);
        const n = cellCount(b, p);
        if (isLeaf(b, p)) {
          for (let i = 0; i < n; i++) {
            const c = cellAt(b, p, i);
            const k = rd16(b, c);
            const v = rd32(b, c + 2);
            if (!valueInline(k, v, this.#ps)) chains.push(rd32(b, c + CELL_HEADER_BYTES + k), v);
          }
        } else {
          for (let j = n; j >= 0; j--) stack.push(childAt(b, p, j));
        }
      } finally {
        io.unfix(tok, false);
      }
      for (let i = 0; i < chains.length; i += 2) {
        walkChain(io, chains[i] as number, chains[i + 1] as number, `B+tree ${this.#root}: leaf ${page}`, add);
      }
      chains.length = 0;
    }
    return out;
  }

  /** Verify invariants 1-7; throws an Error naming the page and the rule broken. */
  checkInvariants(): BTreeStats {
    this.#live();
    const ctx: CheckContext = { seen: new Set(), leafIds: [], leafLinks: [], lastKey: null, rows: 0, internals: 0, overflowPages: 0 };
    const rootImage = this.#pageImage(this.#root);
    const depth = rootImage[H_LEVEL] as number;
    this.#checkNode(this.#root, depth, null, null, true, ctx);
    const where = `B+tree ${this.#root}`;
    for (let i = 0; i < ctx.leafIds.length; i++) {
      const wantLeft = i === 0 ? 0 : (ctx.leafIds[i - 1] as number);
      const wantRight = i === ctx.leafIds.length - 1 ? 0 : (ctx.leafIds[i + 1] as number);
      const left = ctx.leafLinks[2 * i] as number;
      const right = ctx.leafLinks[2 * i + 1] as number;
      if (left !== wantLeft || right !== wantRight) {
        throw new Error(`${where}: leaf ${ctx.leafIds[i]} links left ${left} / right ${right}; the leaf order says ` +
          `${wantLeft} / ${wantRight}`);
      }
    }
    const counted = rowCount(rootImage, 0);
    if (counted !== ctx.rows) throw new Error(`${where}: root row count is ${counted} but the leaves hold ${ctx.rows} rows`);
    return {
      pages: ctx.seen.size, leaves: ctx.leafIds.length, internals: ctx.internals, overflowPages: ctx.overflowPages,
      depth: depth + 1, rows: ctx.rows,
    };
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
    let page = this.#root;
    let right = 1;
    for (let d = 0; ; d++) {
      assert(d < MAX_DEPTH, 'tree depth within MAX_DEPTH');
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
          return r;
        }
        assert(b[p] === INTERNAL, 'a page on the descent is a node');
        const j = key !== null ? searchInternal(b, p, key) : last ? n : 0;
        if (j !== n) right = 0;
        this.#pathIdx[d] = j;
        page = childAt(b, p, j);
      } finally {
        if (!keep) io.unfix(tok, false);
      }
    }
  }

  /** A copy of the value of the leaf cell at b[c] (reading its overflow chain if it has one). */
  #readValue(b: Uint8Array, c: number): Uint8Array {
    const k = rd16(b, c);
    const v = rd32(b, c + 2);
    const vo = c + CELL_HEADER_BYTES + k;
    if (valueInline(k, v, this.#ps)) return b.slice(vo, vo + v);
    const out = new Uint8Array(v);
    readChain(this.#io, rd32(b, vo), v, out, 0);
    return out;
  }

  // -- fixes of structural steps --------------------------------------------------------------

  #fix(page: number, write: boolean): number {
    assert(this.#nHeld < MAX_HELD, 'a structural step holds a handful of fixes');
    const tok = write ? this.#io.fixWrite(page) : this.#io.fixRead(page);
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

  #removeLeafCell(leaf: number, slot: number): void {
    const b = this.#io.bytes;
    try {
      const p = this.#io.offset(this.#fix(leaf, true));
      removeCell(b, p, slot, cellBytes(b, cellAt(b, p, slot), true, this.#ps));
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
      const p = io.offset(this.#fix(this.#pathPage[d] as number, true));
      if (freeBytes(b, p) >= len + SLOT_BYTES) {
        b.set(s.pending.subarray(0, len), allocCell(b, p, this.#ps, idx, len, s.page));
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
        const m = atEnd ? n - 1 : this.#cut(true);
        const oldRight = rightSibling(b, px);
        nodeInit(b, pr, ps, LEAF, 0);
        setLeftSibling(b, pr, page);
        setRightSibling(b, pr, oldRight);
        setRightSibling(b, px, right);
        buildNode(b, px, ps, run, 0, m);
        buildNode(b, pr, ps, run, m, n);
        this.#pendingSeparator(m - 1, m, right);
        if (oldRight !== 0) setLeftSibling(b, io.offset(this.#fix(oldRight, true)), right);
      } else {
        assert(n >= 3, 'an overflowing internal node has >= 3 cells');
        const m = atEnd ? n - 2 : this.#cut(false);
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

  /**
   * Where to cut the run so both halves weigh the same in bytes: leaves keep [0, m) left
   * and [m, n) right; internal nodes send cell m up and keep [0, m) and [m + 1, n).
   */
  #cut(leaf: boolean): number {
    const run = this.#s.run;
    const n = run.n;
    const total = run.usedBytes(0, n);
    let best = -1;
    let bestDiff = Infinity;
    let left = 0;
    for (let m = 1; m < n - (leaf ? 0 : 1); m++) {
      left += (run.len[m - 1] as number) + SLOT_BYTES;
      const rightBytes = total - left - (leaf ? 0 : (run.len[m] as number) + SLOT_BYTES);
      const diff = Math.abs(left - rightBytes);
      if (diff < bestDiff) {
        bestDiff = diff;
        best = m;
      }
    }
    assert(best > 0, 'a cut point exists');
    const usable = usableBytes(this.#ps);
    assert(run.usedBytes(0, best) <= usable && run.usedBytes(leaf ? best : best + 1, n) <= usable, 'both halves fit');
    return best;
  }

  /** Pending ← (shortest key > run key li and <= run key ri, child). */
  #pendingSeparator(li: number, ri: number, child: number): void {
    const buf = this.#s.run.buf;
    const lo = this.#s.run.cellOffset(li);
    const ro = this.#s.run.cellOffset(ri);
    const lk = rd16(buf, lo);
    const rk = rd16(buf, ro);
    let common = 0;
    while (common < lk && common < rk && buf[lo + CELL_HEADER_BYTES + common] === buf[ro + CELL_HEADER_BYTES + common]) common++;
    assert(common < rk, 'the right key is greater than the left key');
    this.#makeInternalCell(buf, ro + CELL_HEADER_BYTES, common + 1, child);
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

  #addRows(delta: number): void {
    const b = this.#io.bytes;
    try {
      const p = this.#io.offset(this.#fix(this.#root, true));
      setRowCount(b, p, rowCount(b, p) + delta);
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
        const m = this.#cut(true);
        buildNode(b, pa, ps, run, 0, m);
        buildNode(b, pb, ps, run, m, n);
        this.#pendingSeparator(m - 1, m, right);
      } else {
        const m = this.#cut(false);
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
    let from = reverse ? hi : lo;
    let fromIncl = reverse ? hiIncl : loIncl;
    let remaining = limit;
    while (remaining > 0 && !this.#destroyed) {
      keys.length = 0;
      vals.length = 0;
      const ended = this.#fill(from, fromIncl, reverse, reverse ? lo : hi, reverse ? loIncl : hiIncl, remaining, keys, vals);
      const epoch = this.#epoch[0];
      let i = 0;
      while (i < keys.length) {
        const key = keys[i] as Uint8Array;
        const value = vals[i] as Uint8Array;
        i++;
        remaining--;
        from = key;
        fromIncl = false;
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
        p = io.offset(tok);
        n = cellCount(b, p);
        assert(n > 0, 'a non-root leaf has rows');
        i = reverse ? n - 1 : 0;
      }
      for (; i >= 0 && i < n && keys.length < max; i += reverse ? -1 : 1) {
        const c = cellAt(b, p, i);
        const k = rd16(b, c);
        if (stop !== null) {
          const cmp = compareKeyAt(b, c + CELL_HEADER_BYTES, k, stop);
          if (reverse ? cmp < 0 || (cmp === 0 && !stopIncl) : cmp > 0 || (cmp === 0 && !stopIncl)) return true;
        }
        keys.push(b.slice(c + CELL_HEADER_BYTES, c + CELL_HEADER_BYTES + k));
        vals.push(this.#readValue(b, c));
        p = io.offset(tok); // reading an overflow chain fixed other pages
      }
      if (keys.length >= max) return false;
      return (reverse ? leftSibling(b, p) : rightSibling(b, p)) === 0;
    } finally {
      io.unfix(tok, false);
    }
  }

  // -- checks -------------------------------------------------------------------------------------

  #bumpEpoch(): void {
    this.#epoch[0] = (this.#epoch[0] as number) + 1;
  }

  #live(): void {
    if (this.#destroyed) throw dbError(DB_CODES.CLOSED, `B+tree ${this.#root} was destroyed`, { root: this.#root });
  }

  /** A private copy of a page (so the checker holds no fix while it recurses). */
  #pageImage(page: number): Uint8Array {
    const tok = this.#io.fixRead(page);
    try {
      const p = this.#io.offset(tok);
      return this.#io.bytes.slice(p, p + this.#ps);
    } finally {
      this.#io.unfix(tok, false);
    }
  }

  #checkNode(page: number, level: number, lo: Uint8Array | null, hi: Uint8Array | null, rightmost: boolean, ctx: CheckContext): void {
    const ps = this.#ps;
    const isRoot = page === this.#root;
    const where = `B+tree ${this.#root}: page ${page}`;
    const fail = (rule: string): never => {
      throw new Error(`${where}: ${rule}`);
    };
    if (page === 0 || ctx.seen.has(page)) fail(page === 0 ? 'a child pointer is 0' : 'is reachable twice');
    ctx.seen.add(page);
    const img = this.#pageImage(page);
    const type = img[0] as number;
    if (type !== LEAF && type !== INTERNAL) fail(`page type ${type} is not LEAF or INTERNAL`);
    const leaf = type === LEAF;
    const kind = leaf ? 'leaf' : 'internal node';
    if ((img[H_LEVEL] as number) !== level || leaf !== (level === 0)) {
      fail(`${kind} has level ${img[H_LEVEL]}; its place in the tree says ${level} (leaves are level 0, all at one depth)`);
    }
    const n = cellCount(img, 0);
    const content = rd16(img, H_CONTENT);
    const frag = rd16(img, H_FRAG);
    if (NODE_HEADER_END + SLOT_BYTES * n > content || content > ps) {
      fail(`${n} slots end at ${NODE_HEADER_END + SLOT_BYTES * n}, past the content start ${content} (page size ${ps})`);
    }
    // Cells lie in [content, ps), do not overlap, and with the holes fill it exactly.
    const spans: number[] = [];
    let cellSum = 0;
    for (let i = 0; i < n; i++) {
      const c = rd16(img, NODE_HEADER_END + SLOT_BYTES * i);
      if (c < content || c + CELL_HEADER_BYTES > ps) fail(`slot ${i} points at ${c}, outside the cell area [${content}, ${ps})`);
      const len = cellBytes(img, c, leaf, ps);
      if (c + len > ps) fail(`cell ${i} at ${c} (${len} bytes) runs past the page end`);
      if (len > maxCellBytes(ps)) fail(`cell ${i} is ${len} bytes, over maxCellBytes ${maxCellBytes(ps)}`);
      spans.push(c, len);
      cellSum += len;
    }
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => (spans[2 * x] as number) - (spans[2 * y] as number));
    for (let i = 1; i < n; i++) {
      const a = order[i - 1] as number;
      const z = order[i] as number;
      if ((spans[2 * a] as number) + (spans[2 * a + 1] as number) > (spans[2 * z] as number)) fail(`cells ${a} and ${z} overlap`);
    }
    if (cellSum + frag !== ps - content) {
      fail(`cells (${cellSum} bytes) + fragmented bytes (${frag}) != cell area ${ps - content}: space accounting is off`);
    }
    if (!isRoot && rowCount(img, 0) !== 0) fail('a non-root node has a row count');
    if (isRoot && !leaf && n === 0) fail('the root internal node has no cells (it should have collapsed)');
    if (!isRoot) {
      const used = usableBytes(ps) - (content - NODE_HEADER_END - SLOT_BYTES * n + frag);
      if (n === 0) fail(`a non-root ${kind} has no cells`);
      if (!rightmost && used < minFillBytes(ps)) {
        fail(`${kind} uses ${used} bytes, under the fill minimum ${minFillBytes(ps)} (a quarter of ${usableBytes(ps)}); ` +
          'only the root and the rightmost node of a level may');
      }
    }
    const keys: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const c = rd16(img, NODE_HEADER_END + SLOT_BYTES * i);
      const k = rd16(img, c);
      if (k > maxKeyBytes(ps)) fail(`key ${i} is ${k} bytes, over maxKeyBytes ${maxKeyBytes(ps)}`);
      const key = img.subarray(c + CELL_HEADER_BYTES, c + CELL_HEADER_BYTES + k);
      const prev = keys[i - 1];
      if (prev !== undefined && compareKeyAt(prev, 0, prev.length, key) >= 0) fail(`key ${i} is not above key ${i - 1}`);
      if (lo !== null && compareKeyAt(key, 0, k, lo) < 0) fail(`key ${i} is below the separator bounding the node`);
      if (hi !== null && compareKeyAt(key, 0, k, hi) >= 0) fail(`key ${i} is not below the separator bounding the node`);
      keys.push(key);
    }
    if (leaf) {
      this.#checkLeafRows(page, img, keys, ctx, fail);
      return;
    }
    ctx.internals++;
    if (rd32(img, H_LEFT) !== 0 || rd32(img, H_RIGHT) !== 0) fail('an internal node has sibling links');
    for (let j = 0; j <= n; j++) {
      const child = j === 0 ? rd32(img, H_LEFTMOST) : rd32(img, rd16(img, NODE_HEADER_END + SLOT_BYTES * (j - 1)) + 2);
      this.#checkNode(child, level - 1, j === 0 ? lo : (keys[j - 1] as Uint8Array), j === n ? hi : (keys[j] as Uint8Array),
        rightmost && j === n, ctx);
    }
  }

  #checkLeafRows(page: number, img: Uint8Array, keys: Uint8Array[], ctx: CheckContext, fail: (rule: string) => never): void {
    if (rd32(img, H_LEFTMOST) !== 0) fail('a leaf has a child pointer');
    ctx.leafIds.push(page);
    ctx.leafLinks.push(rd32(img, H_LEFT), rd32(img, H_RIGHT));
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as Uint8Array;
      if (ctx.lastKey !== null && compareKeyAt(ctx.lastKey, 0, ctx.lastKey.length, key) >= 0) {
        fail(`key ${i} is not above the last key of the previous leaf`);
      }
      ctx.lastKey = key;
      const c = rd16(img, NODE_HEADER_END + SLOT_BYTES * i);
      const v = rd32(img, c + 2);
      if (!valueInline(key.length, v, this.#ps)) {
        walkChain(this.#io, rd32(img, c + CELL_HEADER_BYTES + key.length), v, `B+tree ${this.#root}: leaf ${page} row ${i}`,
          (id) => {
            if (ctx.seen.has(id)) fail(`overflow page ${id} of row ${i} is reachable twice`);
            ctx.seen.add(id);
            ctx.overflowPages++;
          });
      }
    }
    ctx.rows += keys.length;
  }
}

interface CheckContext {
  seen: Set<number>;
  leafIds: number[];
  /** Left and right sibling of each leaf in leafIds, in pairs. */
  leafLinks: number[];
  lastKey: Uint8Array | null;
  rows: number;
  internals: number;
  overflowPages: number;
}
