/**
 * btree/split: insertion into a B+tree — the append fast path, putting a cell into a node,
 * splitting a full node up the path, deepening the root — and the pending-cell builders
 * merge.ts shares. Functions over the TreeCore (tree.ts) of one BTree.
 *
 * Upholds (numbers from tree.ts): 1 (a split's separator is the shortest separator of a
 * leaf pair, or the internal pivot itself); 2 and 3 (a new right sibling takes the level
 * and the leaf links of the node it splits from); 4 (split at the byte midpoint, or at the
 * insertion point for the append split that may leave a level's rightmost node short);
 * 5 (deepen moves the root's content down, the root page stays); 6 (addRows in tree.ts
 * after each insert); 8 (every fix through TreeCore.fix, released by releaseAll in finally).
 *
 * Transitions: insert that fits → insertUp → tryInsert; node overflows → insertUp →
 * splitNode; root overflows → insertUp → deepen, then splitNode of the new child;
 * ascending insert into the known rightmost leaf → tryAppend (no descent).
 */

import { assert } from '../assert.js';
import {
  allocCell, buildNode, CELL_HEADER_BYTES, CellRun, cellAt, cellCount, cellWord, compareKeyAt, freeBytes, H_CONTENT, H_COUNT,
  isLeaf, lastAllocDefragmented, NODE_HEADER_END, nodeInit, nodeLevel, OVERFLOW_REF_BYTES, rd16, rightSibling, rowCount,
  setLeftmostChild, setLeftSibling, setRightSibling, setRowCount, SLOT_BYTES, valueInline, wr16, wr32,
} from './node.js';
import { writeChain } from './overflow.js';
import { PAGE_HEADER_BYTES, PAGE_TYPE } from '../file/format.js';
import type { TreeCore } from './tree.js';

const LEAF = PAGE_TYPE.LEAF;
const INTERNAL = PAGE_TYPE.INTERNAL;

/** Working buffers of splits and merges, one set per page size (JS runs one at a time). */
export interface Scratch {
  run: CellRun;
  /** A page image for defragment. */
  page: Uint8Array;
  /** The cell being inserted: a new leaf cell, or a separator cell on its way up. */
  pending: Uint8Array;
  /** A separator key copied out of a parent. */
  sep: Uint8Array;
}

const scratchByPageSize = new Map<number, Scratch>();

export function scratchFor(pageSize: number): Scratch {
  let s = scratchByPageSize.get(pageSize);
  if (s === undefined) {
    s = { run: new CellRun(pageSize), page: new Uint8Array(pageSize), pending: new Uint8Array(pageSize), sep: new Uint8Array(pageSize) };
    scratchByPageSize.set(pageSize, s);
  }
  return s;
}

/** Build the leaf cell for (key, value) in the pending buffer, writing an overflow chain if needed. */
export function makeLeafCell(t: TreeCore, key: Uint8Array, value: Uint8Array): void {
  const pend = t.s.pending;
  wr16(pend, 0, key.length);
  wr32(pend, 2, value.length);
  pend.set(key, CELL_HEADER_BYTES);
  if (valueInline(key.length, value.length, t.ps)) {
    pend.set(value, CELL_HEADER_BYTES + key.length);
    t.pendingLen = CELL_HEADER_BYTES + key.length + value.length;
  } else {
    wr32(pend, CELL_HEADER_BYTES + key.length, writeChain(t.io, value));
    t.pendingLen = CELL_HEADER_BYTES + key.length + OVERFLOW_REF_BYTES;
  }
}

/** Build the internal cell (key bytes src[off, off + len), child) in the pending buffer. */
export function makeInternalCell(t: TreeCore, src: Uint8Array, off: number, len: number, child: number): void {
  const pend = t.s.pending;
  wr16(pend, 0, len);
  wr32(pend, 2, child);
  pend.set(src.subarray(off, off + len), CELL_HEADER_BYTES);
  t.pendingLen = CELL_HEADER_BYTES + len;
}

/** Declare what allocCell changed in `page` (at p) for the cell of `len` bytes it put in slot `index`, at absolute offset c. */
function noteAlloc(t: TreeCore, page: number, p: number, index: number, c: number, len: number): void {
  const io = t.io;
  if (lastAllocDefragmented()) {
    io.noteWrite(page, PAGE_HEADER_BYTES, t.ps);
    return;
  }
  // The count and content-start fields, the slots from the new one's index on (they
  // shifted right), and the cell.
  io.noteWrite(page, H_COUNT, H_CONTENT + 2);
  io.noteWrite(page, NODE_HEADER_END + SLOT_BYTES * index, NODE_HEADER_END + SLOT_BYTES * cellCount(io.bytes, p));
  io.noteWrite(page, c - p, c - p + len);
}

/**
 * Insert the pending cell at slot idx of path node d, splitting up the path as needed.
 * Returns whether node d split (false: it took the cell). `append` allows the append split.
 */
export function insertUp(t: TreeCore, d: number, idx: number, append: boolean): boolean {
  let split = false;
  for (;;) {
    if (tryInsert(t, d, idx, append)) return split;
    split = true;
    const atEnd = t.splitAppend;
    if (d === 0) {
      splitNode(t, deepen(t), atEnd);
      assert(tryInsert(t, 0, 0, false), 'the deepened root takes the separator');
      return true;
    }
    splitNode(t, t.pathPage[d] as number, atEnd);
    idx = t.pathIdx[d - 1] as number;
    d--;
  }
}

/** Put the pending cell into path node d at idx if it fits; else gather the node's cells and it into the run. */
function tryInsert(t: TreeCore, d: number, idx: number, append: boolean): boolean {
  const io = t.io;
  const b = io.bytes;
  const s = t.s;
  const len = t.pendingLen;
  try {
    const page = t.pathPage[d] as number;
    const p = io.offset(t.fix(page, true, true));
    if (freeBytes(b, p) >= len + SLOT_BYTES) {
      const c = allocCell(b, p, t.ps, idx, len, s.page);
      b.set(s.pending.subarray(0, len), c);
      noteAlloc(t, page, p, idx, c, len);
      return true;
    }
    const n = cellCount(b, p);
    t.splitAppend = append && idx === n && (isLeaf(b, p) ? rightSibling(b, p) === 0 : t.pathRight[d] === 1);
    s.run.reset();
    s.run.addCells(b, p, t.ps, 0, idx);
    s.run.add(s.pending, 0, len);
    s.run.addCells(b, p, t.ps, idx, n);
    return false;
  } finally {
    t.releaseAll();
  }
}

/**
 * Split `page` whose cells (with the new one) are in the run: it keeps the left part, a
 * new right sibling takes the rest, and the pending buffer receives the separator cell
 * for the parent. `atEnd`: split at the insertion point (it was at the end).
 */
function splitNode(t: TreeCore, page: number, atEnd: boolean): void {
  const io = t.io;
  const b = io.bytes;
  const ps = t.ps;
  const run = t.s.run;
  const n = run.n;
  const right = io.allocPage();
  try {
    const tx = t.fix(page, true);
    const tr = t.fix(right, true);
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
      makeInternalCell(t, run.buf, run.cellOffset(m) + CELL_HEADER_BYTES, run.separatorBytes(m - 1, m), right);
      if (oldRight !== 0) setLeftSibling(b, io.offset(t.fix(oldRight, true)), right);
    } else {
      assert(n >= 3, 'an overflowing internal node has >= 3 cells');
      const m = atEnd ? n - 2 : run.cut(false, ps);
      const pivot = run.cellOffset(m);
      nodeInit(b, pr, ps, INTERNAL, nodeLevel(b, px));
      setLeftmostChild(b, pr, cellWord(run.buf, pivot));
      buildNode(b, px, ps, run, 0, m);
      buildNode(b, pr, ps, run, m + 1, n);
      makeInternalCell(t, run.buf, pivot + CELL_HEADER_BYTES, rd16(run.buf, pivot), right);
    }
  } finally {
    t.releaseAll();
  }
}

/** Move the root's content into a new child and make the root an internal node over it. */
function deepen(t: TreeCore): number {
  const io = t.io;
  const b = io.bytes;
  const child = io.allocPage();
  try {
    const tr = t.fix(t.root, true);
    const tc = t.fix(child, true);
    const pr = io.offset(tr);
    const pc = io.offset(tc);
    const rows = rowCount(b, pr);
    const level = nodeLevel(b, pr);
    assert(level + 2 < t.pathPage.length, 'tree depth within MAX_DEPTH'); // the path arrays hold MAX_DEPTH levels
    b[pc] = b[pr] as number;
    b.copyWithin(pc + PAGE_HEADER_BYTES, pr + PAGE_HEADER_BYTES, pr + t.ps);
    setRowCount(b, pc, 0);
    nodeInit(b, pr, t.ps, INTERNAL, level + 1);
    setLeftmostChild(b, pr, child);
    setRowCount(b, pr, rows);
  } finally {
    t.releaseAll();
  }
  return child;
}

/** Insert (key, value) at the end of the known rightmost leaf if it belongs and fits there. */
export function tryAppend(t: TreeCore, key: Uint8Array, value: Uint8Array): boolean {
  if (t.appendEpoch !== t.epoch[1] || !valueInline(key.length, value.length, t.ps)) return false;
  const io = t.io;
  const b = io.bytes;
  const leaf = t.appendLeaf;
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
  makeLeafCell(t, key, value);
  tok = io.fixWrite(leaf, true);
  try {
    const p = io.offset(tok);
    const c = allocCell(b, p, t.ps, cellCount(b, p), len, t.s.page);
    b.set(t.s.pending.subarray(0, len), c);
    noteAlloc(t, leaf, p, cellCount(b, p) - 1, c, len);
  } finally {
    io.unfix(tok, true);
  }
  t.addRows(1);
  t.bumpEpoch();
  t.appendEpoch = t.epoch[1] as number;
  return true;
}

/** Remember the rightmost leaf (after an insert into it, which may have split it). */
export function noteRightmostLeaf(t: TreeCore): void {
  t.descend(null, true);
  t.io.unfix(t.leafTok, false);
  t.appendLeaf = t.pathPage[t.leafDepth] as number;
  t.appendEpoch = t.epoch[1] as number;
}