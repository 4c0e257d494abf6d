/**
 * node: the slotted-page layout of a B+tree node (leaf or internal) and the
 * primitives over it — header fields, cell sizes, key comparison against page bytes,
 * binary search, cell insertion and removal, defragmentation, rebuilding a node from a
 * run of cells. Everything works on (bytes, p) where p is the page's offset in `bytes`
 * (PageIO.offset of a fix); cell offsets inside the page are page-relative so a page can
 * be copied or moved whole. All integers little-endian, as in storage/format.ts.
 *
 * Node page:
 * | OFFSET | SIZE | DESCRIPTION                                                      |
 * |--------|------|------------------------------------------------------------------|
 * | 0      | 1    | page type: PAGE_TYPE.LEAF or PAGE_TYPE.INTERNAL (1..23: pager's) |
 * | 24     | 1    | level: 0 for a leaf, the children's level + 1 for an internal    |
 * | 25     | 1    | reserved, zero                                                   |
 * | 26     | 2    | cell count n                                                     |
 * | 28     | 2    | content start: lowest byte of the cell area (pageSize if empty)  |
 * | 30     | 2    | fragmented bytes: holes in the cell area left by removed cells   |
 * | 32     | 4    | leaf: left sibling page id (0 = none); internal: 0               |
 * | 36     | 4    | leaf: right sibling page id (0 = none); internal: 0              |
 * | 40     | 4    | internal: leftmost child page id; leaf: 0                        |
 * | 44     | 8    | root only: row count (< 2^53, two u32 halves, low first); else 0 |
 * | 52     | 4    | reserved, zero                                                   |
 * | 56     | 2n   | slot array: u16 page offset of each cell, in ascending key order |
 * | ...    | ...  | free space (the gap), then the cells, packed down from the end   |
 *
 * Leaf cell:
 * | 0      | 2    | key length k                                                     |
 * | 2      | 4    | value length v (the whole value, even when it overflows)         |
 * | 6      | k    | key                                                              |
 * | 6 + k  | v    | value, when it is inline: 6 + k + v <= maxCellBytes(pageSize)    |
 * | 6 + k  | 4    | otherwise: first OVERFLOW page of the value (overflow.ts)        |
 *
 * Internal cell (the node holds leftmost child c0 and cells (k1,c1) .. (kn,cn)):
 * | 0      | 2    | key length k                                                     |
 * | 2      | 4    | child page id ci: its subtree holds keys in [ki, k(i+1))         |
 * | 6      | k    | separator key ki                                                 |
 *
 * Invariants (checked by BTree.checkInvariants):
 *   1. 56 + 2n <= content start <= pageSize; every cell lies in [content start, pageSize)
 *      and no two overlap; the cells' bytes + fragmented bytes = pageSize - content start.
 *   2. The slot array is in strictly ascending key order (bytewise, shorter prefix first).
 *   3. A cell never exceeds maxCellBytes (a quarter of the usable bytes less its slot),
 *      so any four cells fit in a page, and a node's "used bytes" (cells + their slots)
 *      never exceed usableBytes.
 */

import { assert } from '../assert.js';
import { PAGE_HEADER_BYTES, PAGE_TYPE } from '../file/format.js';

export const H_LEVEL = 24;
export const H_COUNT = 26;
export const H_CONTENT = 28;
export const H_FRAG = 30;
export const H_LEFT = 32;
export const H_RIGHT = 36;
export const H_LEFTMOST = 40;
export const H_ROWS_LO = 44;
export const H_ROWS_HI = 48;
/** Where the slot array starts: end of the pager's header plus the 32-byte node header. */
export const NODE_HEADER_END = 56;
export const SLOT_BYTES = 2;
/** u16 key length + u32 value length (leaf) or child page id (internal). */
export const CELL_HEADER_BYTES = 6;
/** The overflow page id stored instead of the value in a leaf cell. */
export const OVERFLOW_REF_BYTES = 4;

const TWO32 = 2 ** 32;

/** Bytes of a node page available to slots and cells. */
export function usableBytes(pageSize: number): number {
  return pageSize - NODE_HEADER_END;
}

/** The largest cell (without its slot): a quarter of the usable bytes, so >= 4 cells fit any node. */
export function maxCellBytes(pageSize: number): number {
  return Math.floor(usableBytes(pageSize) / 4) - SLOT_BYTES;
}

/**
 * The largest key: the largest cell less a leaf cell's header and overflow reference, so
 * any four cells, leaf or internal, fit a node. 998 for 4096-byte pages, 2022 for 8192,
 * 4070 for 16384.
 */
export function maxKeyBytes(pageSize: number): number {
  return maxCellBytes(pageSize) - CELL_HEADER_BYTES - OVERFLOW_REF_BYTES;
}

/** A non-root node (but the rightmost of its level) holds at least this many used bytes. */
export function minFillBytes(pageSize: number): number {
  return Math.floor(usableBytes(pageSize) / 4);
}

/** Whether a leaf cell with this key and value keeps the value inline. */
export function valueInline(keyBytes: number, valueBytes: number, pageSize: number): boolean {
  return CELL_HEADER_BYTES + keyBytes + valueBytes <= maxCellBytes(pageSize);
}

// -- little-endian integers (no DataView: these run on the descent's hot path) ----------

export function rd16(b: Uint8Array, o: number): number {
  return (b[o] as number) | ((b[o + 1] as number) << 8);
}

export function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

export function rd32(b: Uint8Array, o: number): number {
  return ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16) | ((b[o + 3] as number) << 24)) >>> 0;
}

export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

// -- header fields ------------------------------------------------------------------------

/** Initialise a node's header (type byte and node header); the body past it is left as is. */
export function nodeInit(b: Uint8Array, p: number, pageSize: number, type: number, level: number): void {
  assert(type === PAGE_TYPE.LEAF || type === PAGE_TYPE.INTERNAL, 'node type');
  assert((type === PAGE_TYPE.LEAF) === (level === 0), 'leaves, and only leaves, are level 0');
  b[p] = type;
  b.fill(0, p + PAGE_HEADER_BYTES, p + NODE_HEADER_END);
  b[p + H_LEVEL] = level;
  wr16(b, p + H_CONTENT, pageSize);
}

export const isLeaf = (b: Uint8Array, p: number): boolean => b[p] === PAGE_TYPE.LEAF;
export const nodeLevel = (b: Uint8Array, p: number): number => b[p + H_LEVEL] as number;
export const cellCount = (b: Uint8Array, p: number): number => rd16(b, p + H_COUNT);
export const leftSibling = (b: Uint8Array, p: number): number => rd32(b, p + H_LEFT);
export const rightSibling = (b: Uint8Array, p: number): number => rd32(b, p + H_RIGHT);
export const leftmostChild = (b: Uint8Array, p: number): number => rd32(b, p + H_LEFTMOST);
export const setLeftSibling = (b: Uint8Array, p: number, id: number): void => wr32(b, p + H_LEFT, id);
export const setRightSibling = (b: Uint8Array, p: number, id: number): void => wr32(b, p + H_RIGHT, id);
export const setLeftmostChild = (b: Uint8Array, p: number, id: number): void => wr32(b, p + H_LEFTMOST, id);

export function rowCount(b: Uint8Array, p: number): number {
  return rd32(b, p + H_ROWS_LO) + rd32(b, p + H_ROWS_HI) * TWO32;
}

export function setRowCount(b: Uint8Array, p: number, rows: number): void {
  assert(Number.isSafeInteger(rows) && rows >= 0, 'row count is a non-negative safe integer');
  wr32(b, p + H_ROWS_LO, rows % TWO32);
  wr32(b, p + H_ROWS_HI, Math.floor(rows / TWO32));
}

/** Free bytes: the gap between slot array and cells plus the fragmented holes. */
export function freeBytes(b: Uint8Array, p: number): number {
  return rd16(b, p + H_CONTENT) - (NODE_HEADER_END + SLOT_BYTES * cellCount(b, p)) + rd16(b, p + H_FRAG);
}

/** Cells plus their slots. */
export function usedBytes(b: Uint8Array, p: number, pageSize: number): number {
  return usableBytes(pageSize) - freeBytes(b, p);
}

// -- cells ----------------------------------------------------------------------------------

/** Absolute offset (in b) of cell i. */
export function cellAt(b: Uint8Array, p: number, i: number): number {
  return p + rd16(b, p + NODE_HEADER_END + SLOT_BYTES * i);
}

/** Leaf: the value's length; internal: the child page id. */
export const cellWord = (b: Uint8Array, c: number): number => rd32(b, c + 2);

/** Size of the cell at absolute offset c (without its slot). */
export function cellBytes(b: Uint8Array, c: number, leaf: boolean, pageSize: number): number {
  const k = rd16(b, c);
  if (!leaf) return CELL_HEADER_BYTES + k;
  const v = rd32(b, c + 2);
  return CELL_HEADER_BYTES + k + (valueInline(k, v, pageSize) ? v : OVERFLOW_REF_BYTES);
}

/** Child j of an internal node: 0 is the leftmost child, j >= 1 the child of cell j - 1. */
export function childAt(b: Uint8Array, p: number, j: number): number {
  return j === 0 ? leftmostChild(b, p) : rd32(b, cellAt(b, p, j - 1) + 2);
}

/** Compare the len bytes at b[off] with key: negative, 0 or positive, as compareBytes. */
export function compareKeyAt(b: Uint8Array, off: number, len: number, key: Uint8Array): number {
  const n = len < key.length ? len : key.length;
  for (let i = 0; i < n; i++) {
    const d = (b[off + i] as number) - (key[i] as number);
    if (d !== 0) return d;
  }
  return len - key.length;
}

/**
 * The common prefix length the last compareKeyFrom found: module state, so the search
 * loops below allocate nothing (JS runs one search at a time).
 */
let lcpOut = 0;

/** compareKeyAt, given that the first `from` bytes are known equal; leaves the common prefix length in lcpOut. */
function compareKeyFrom(b: Uint8Array, off: number, len: number, key: Uint8Array, from: number): number {
  const n = len < key.length ? len : key.length;
  for (let i = from; i < n; i++) {
    const d = (b[off + i] as number) - (key[i] as number);
    if (d !== 0) {
      lcpOut = i;
      return d;
    }
  }
  lcpOut = n;
  return len - key.length;
}

/*
 * Both searches skip the bytes every key left in the range shares with the search key:
 * with the range's bounds x < key < y (the cells at lo - 1 and hi, once probed), every
 * cell k between them has x ≤ k ≤ y, so k agrees with x and y — hence with key — on
 * their first min(lcp(x, key), lcp(key, y)) bytes (x and y agree there, and anything
 * sorted between two keys shares their common prefix). Keys of one node often share
 * long prefixes (an 8-byte big-endian id encodes to 15 bytes, the first 11 alike in
 * every key of a 1 M-row table), and a probe then compares from where they differ.
 */

/** Leaf search: the slot holding key, or ~(insertion point) (negative) when absent. */
export function searchLeaf(b: Uint8Array, p: number, key: Uint8Array): number {
  let lo = 0;
  let hi = cellCount(b, p);
  let lcpLo = 0;
  let lcpHi = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = cellAt(b, p, mid);
    const cmp = compareKeyFrom(b, c + CELL_HEADER_BYTES, rd16(b, c), key, lcpLo < lcpHi ? lcpLo : lcpHi);
    if (cmp < 0) {
      lo = mid + 1;
      lcpLo = lcpOut;
    } else if (cmp > 0) {
      hi = mid;
      lcpHi = lcpOut;
    } else {
      return mid;
    }
  }
  return ~lo;
}

/** Internal search: the child index whose subtree may hold key (the number of separators <= key). */
export function searchInternal(b: Uint8Array, p: number, key: Uint8Array): number {
  let lo = 0;
  let hi = cellCount(b, p);
  let lcpLo = 0;
  let lcpHi = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = cellAt(b, p, mid);
    if (compareKeyFrom(b, c + CELL_HEADER_BYTES, rd16(b, c), key, lcpLo < lcpHi ? lcpLo : lcpHi) <= 0) {
      lo = mid + 1;
      lcpLo = lcpOut;
    } else {
      hi = mid;
      lcpHi = lcpOut;
    }
  }
  return lo;
}

/**
 * Make room for a cell of `len` bytes at slot `index` and return its absolute offset (the
 * caller writes the cell). The caller has checked freeBytes >= len + SLOT_BYTES; when the
 * gap alone is too small the node is defragmented first (through `scratch`, a page-sized
 * buffer).
 */
export function allocCell(b: Uint8Array, p: number, pageSize: number, index: number, len: number, scratch: Uint8Array): number {
  const n = cellCount(b, p);
  assert(index >= 0 && index <= n, 'cell index in range');
  assert(freeBytes(b, p) >= len + SLOT_BYTES, 'the cell fits');
  const slotEnd = NODE_HEADER_END + SLOT_BYTES * (n + 1);
  allocDefragmented = rd16(b, p + H_CONTENT) - len < slotEnd;
  if (allocDefragmented) defragment(b, p, pageSize, scratch);
  const cs = rd16(b, p + H_CONTENT) - len;
  assert(cs >= slotEnd, 'the gap holds the cell after defragmenting');
  wr16(b, p + H_CONTENT, cs);
  const slot = p + NODE_HEADER_END + SLOT_BYTES * index;
  b.copyWithin(slot + SLOT_BYTES, slot, p + NODE_HEADER_END + SLOT_BYTES * n);
  wr16(b, slot, cs);
  wr16(b, p + H_COUNT, n + 1);
  return p + cs;
}

let allocDefragmented = false;

/**
 * Whether the last allocCell defragmented its node (then it rewrote every cell);
 * otherwise it changed only the node header, the slot array up to the new count, and the
 * cell it returned — the ranges a writer declares (page-io.ts contract 4).
 */
export function lastAllocDefragmented(): boolean {
  return allocDefragmented;
}

/** Remove the cell at slot `index` whose size is `len`; its bytes become a hole (or rejoin the gap). */
export function removeCell(b: Uint8Array, p: number, index: number, len: number): void {
  const n = cellCount(b, p);
  assert(index >= 0 && index < n, 'cell index in range');
  const slot = p + NODE_HEADER_END + SLOT_BYTES * index;
  const c = rd16(b, slot);
  b.copyWithin(slot, slot + SLOT_BYTES, p + NODE_HEADER_END + SLOT_BYTES * n);
  wr16(b, p + H_COUNT, n - 1);
  if (c === rd16(b, p + H_CONTENT)) wr16(b, p + H_CONTENT, c + len);
  else wr16(b, p + H_FRAG, rd16(b, p + H_FRAG) + len);
}

/** Pack the cells against the page end in slot order, so the free space is one gap. */
export function defragment(b: Uint8Array, p: number, pageSize: number, scratch: Uint8Array): void {
  scratch.set(b.subarray(p, p + pageSize), 0);
  const leaf = scratch[0] === PAGE_TYPE.LEAF;
  const n = rd16(scratch, H_COUNT);
  let cs = pageSize;
  for (let i = 0; i < n; i++) {
    const c = rd16(scratch, NODE_HEADER_END + SLOT_BYTES * i);
    const len = cellBytes(scratch, c, leaf, pageSize);
    cs -= len;
    b.set(scratch.subarray(c, c + len), p + cs);
    wr16(b, p + NODE_HEADER_END + SLOT_BYTES * i, cs);
  }
  wr16(b, p + H_CONTENT, cs);
  wr16(b, p + H_FRAG, 0);
}

/**
 * A run of cells copied out of nodes (plus the cell being inserted), in key order: the
 * working set of a split, merge or redistribution. One per page size, allocated once.
 */
export class CellRun {
  readonly buf: Uint8Array;
  readonly start: Int32Array;
  readonly len: Int32Array;
  n = 0;
  #end = 0;

  constructor(pageSize: number) {
    // Two full nodes, a separator and a new cell: under 3 pages; cells are >= 6 bytes + slot.
    this.buf = new Uint8Array(3 * pageSize);
    const cap = Math.ceil((3 * pageSize) / (CELL_HEADER_BYTES + SLOT_BYTES)) + 4;
    this.start = new Int32Array(cap);
    this.len = new Int32Array(cap);
  }

  reset(): void {
    this.n = 0;
    this.#end = 0;
  }

  add(src: Uint8Array, off: number, len: number): void {
    assert(this.n < this.start.length && this.#end + len <= this.buf.length, 'cell run capacity');
    this.buf.set(src.subarray(off, off + len), this.#end);
    this.start[this.n] = this.#end;
    this.len[this.n] = len;
    this.n++;
    this.#end += len;
  }

  /** Append cells [from, to) of the node at b[p]. */
  addCells(b: Uint8Array, p: number, pageSize: number, from: number, to: number): void {
    const leaf = isLeaf(b, p);
    for (let i = from; i < to; i++) {
      const c = cellAt(b, p, i);
      this.add(b, c, cellBytes(b, c, leaf, pageSize));
    }
  }

  /** Append an internal cell (key, child). */
  addInternal(key: Uint8Array, keyOff: number, keyLen: number, child: number): void {
    assert(this.n < this.start.length && this.#end + CELL_HEADER_BYTES + keyLen <= this.buf.length, 'cell run capacity');
    const o = this.#end;
    wr16(this.buf, o, keyLen);
    wr32(this.buf, o + 2, child);
    this.buf.set(key.subarray(keyOff, keyOff + keyLen), o + CELL_HEADER_BYTES);
    this.start[this.n] = o;
    this.len[this.n] = CELL_HEADER_BYTES + keyLen;
    this.n++;
    this.#end += CELL_HEADER_BYTES + keyLen;
  }

  /** Used bytes (cells + slots) of cells [from, to). */
  usedBytes(from: number, to: number): number {
    let s = 0;
    for (let i = from; i < to; i++) s += (this.len[i] as number) + SLOT_BYTES;
    return s;
  }

  cellOffset(i: number): number {
    return this.start[i] as number;
  }

  /**
   * Where to cut the run so both halves weigh the same in bytes: a leaf keeps [0, m) and
   * its new sibling [m, n); an internal node sends cell m up and keeps [0, m) and [m + 1, n).
   * Each half then holds more than minFillBytes: the halves differ by at most one cell
   * (two for internal nodes, less the pivot) and a cell is at most a quarter of a node.
   */
  cut(leaf: boolean, pageSize: number): number {
    const n = this.n;
    const total = this.usedBytes(0, n);
    let best = -1;
    let bestDiff = Infinity;
    let left = 0;
    for (let m = 1; m < n - (leaf ? 0 : 1); m++) {
      left += (this.len[m - 1] as number) + SLOT_BYTES;
      const right = total - left - (leaf ? 0 : (this.len[m] as number) + SLOT_BYTES);
      const diff = Math.abs(left - right);
      if (diff < bestDiff) {
        bestDiff = diff;
        best = m;
      }
    }
    assert(best > 0, 'a cut point exists');
    const usable = usableBytes(pageSize);
    assert(this.usedBytes(0, best) <= usable && this.usedBytes(leaf ? best : best + 1, n) <= usable, 'both halves fit');
    return best;
  }

  /**
   * Length of the shortest separator between the keys of cells li < ri: the shortest
   * prefix of key ri greater than key li (so key li < separator <= key ri).
   */
  separatorBytes(li: number, ri: number): number {
    const lo = (this.start[li] as number) + CELL_HEADER_BYTES;
    const ro = (this.start[ri] as number) + CELL_HEADER_BYTES;
    const lk = rd16(this.buf, lo - CELL_HEADER_BYTES);
    const rk = rd16(this.buf, ro - CELL_HEADER_BYTES);
    let common = 0;
    while (common < lk && common < rk && this.buf[lo + common] === this.buf[ro + common]) common++;
    assert(common < rk, 'the right key is greater than the left key');
    return common + 1;
  }
}

/**
 * Replace a node's cells with run cells [from, to), packed from the page end. Header
 * fields other than count, content start and fragmentation (type, level, siblings,
 * leftmost child, row count) are left as the caller set them.
 */
export function buildNode(b: Uint8Array, p: number, pageSize: number, run: CellRun, from: number, to: number): void {
  assert(run.usedBytes(from, to) <= usableBytes(pageSize), 'the cells fit the node');
  let cs = pageSize;
  for (let i = from; i < to; i++) {
    const s = run.start[i] as number;
    const len = run.len[i] as number;
    cs -= len;
    b.set(run.buf.subarray(s, s + len), p + cs);
    wr16(b, p + NODE_HEADER_END + SLOT_BYTES * (i - from), cs);
  }
  wr16(b, p + H_COUNT, to - from);
  wr16(b, p + H_CONTENT, cs);
  wr16(b, p + H_FRAG, 0);
}
