/**
 * btree/merge: deletion from a B+tree — removing a leaf cell, then restoring the fill rule
 * up the path by merging a node with a sibling or redistributing their cells, and
 * collapsing a root left with one child. Functions over the TreeCore (tree.ts) of one BTree.
 *
 * Upholds (numbers from tree.ts): 1 (a redistribution writes the new shortest separator,
 * or the internal pivot, into the parent); 3 (a merge unlinks the right leaf from the
 * chain); 4 (a node under minFillBytes merges or shares with a sibling of the same parent;
 * a root internal node keeps >= 1 cell or collapses); 5 (collapseRoot copies the only child
 * into the root page, which stays); 7 (a merged-away node and a collapsed child are freed);
 * 8 (every fix through TreeCore.fix, released by releaseAll in finally).
 *
 * Transitions: node under minFillBytes → rebalance → rebalanceStep (merge when both fit one
 * node, else redistribute and replace the separator via split.ts insertUp); root internal
 * node with 0 cells → collapseRoot.
 */

import { assert } from '../assert.js';
import {
  buildNode, CELL_HEADER_BYTES, cellAt, cellBytes, cellCount, cellWord, childAt, isLeaf, leftmostChild, minFillBytes,
  NODE_HEADER_END, rd16, removeCell, rightSibling, rowCount, setLeftmostChild, setLeftSibling, setRightSibling, setRowCount,
  SLOT_BYTES, usableBytes, usedBytes,
} from './node.js';
import { insertUp, makeInternalCell } from './split.js';
import { PAGE_HEADER_BYTES } from '../file/format.js';
import type { TreeCore } from './tree.js';

export function removeLeafCell(t: TreeCore, leaf: number, slot: number): void {
  const b = t.io.bytes;
  try {
    const p = t.io.offset(t.fix(leaf, true, true));
    const n = cellCount(b, p);
    removeCell(b, p, slot, cellBytes(b, cellAt(b, p, slot), true, t.ps));
    // The node header and the slot array shift; the cell's bytes become a hole, unwritten.
    t.io.noteWrite(leaf, PAGE_HEADER_BYTES, NODE_HEADER_END + SLOT_BYTES * n);
  } finally {
    t.releaseAll();
  }
}


/** Restore the fill rule from path node d upwards. */
export function rebalance(t: TreeCore, d: number): void {
  for (; d > 0; d--) {
    if (!underfull(t, t.pathPage[d] as number)) return;
    if (!rebalanceStep(t, d)) return;
  }
  collapseRoot(t);
}

function underfull(t: TreeCore, page: number): boolean {
  try {
    const p = t.io.offset(t.fix(page, false));
    return usedBytes(t.io.bytes, p, t.ps) < minFillBytes(t.ps);
  } finally {
    t.releaseAll();
  }
}

/**
 * Merge path node d with its left sibling (its right one if it is the first child) when
 * both fit one node, else share their cells evenly and replace the separator. Returns
 * whether the parent may now be under-full (false: nothing above changed size, or the
 * parent split).
 */
function rebalanceStep(t: TreeCore, d: number): boolean {
  const io = t.io;
  const b = io.bytes;
  const ps = t.ps;
  const s = t.s;
  const run = s.run;
  const parent = t.pathPage[d - 1] as number;
  const j = t.pathIdx[d - 1] as number;
  const k = j > 0 ? j - 1 : 0;
  let left: number;
  let right: number;
  let sepLen: number;
  try {
    const pp = io.offset(t.fix(parent, false));
    assert(cellCount(b, pp) >= 1 && childAt(b, pp, j) === t.pathPage[d], 'the path matches the parent');
    left = childAt(b, pp, k);
    right = childAt(b, pp, k + 1);
    const c = cellAt(b, pp, k);
    sepLen = rd16(b, c);
    s.sep.set(b.subarray(c + CELL_HEADER_BYTES, c + CELL_HEADER_BYTES + sepLen), 0);
  } finally {
    t.releaseAll();
  }
  let merged: boolean;
  try {
    const ta = t.fix(left, true);
    const tb = t.fix(right, true);
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
        if (next !== 0) setLeftSibling(b, io.offset(t.fix(next, true)), left);
      }
    } else if (leaf) {
      const m = run.cut(true, ps);
      buildNode(b, pa, ps, run, 0, m);
      buildNode(b, pb, ps, run, m, n);
      makeInternalCell(t, run.buf, run.cellOffset(m) + CELL_HEADER_BYTES, run.separatorBytes(m - 1, m), right);
    } else {
      const m = run.cut(false, ps);
      const pivot = run.cellOffset(m);
      buildNode(b, pa, ps, run, 0, m);
      setLeftmostChild(b, pb, cellWord(run.buf, pivot));
      buildNode(b, pb, ps, run, m + 1, n);
      makeInternalCell(t, run.buf, pivot + CELL_HEADER_BYTES, rd16(run.buf, pivot), right);
    }
  } finally {
    t.releaseAll();
  }
  if (merged) io.freePage(right);
  try {
    const pp = io.offset(t.fix(parent, true));
    removeCell(b, pp, k, cellBytes(b, cellAt(b, pp, k), false, ps));
  } finally {
    t.releaseAll();
  }
  if (merged) return true;
  // The new separator may be longer (the parent splits) or shorter (it may underflow).
  return !insertUp(t, d - 1, k, false);
}

/** A root internal node with no cells takes over its only child's content. */
function collapseRoot(t: TreeCore): void {
  const io = t.io;
  const b = io.bytes;
  let child = 0;
  try {
    const p = io.offset(t.fix(t.root, false));
    if (!isLeaf(b, p) && cellCount(b, p) === 0) child = leftmostChild(b, p);
  } finally {
    t.releaseAll();
  }
  if (child === 0) return;
  try {
    const tr = t.fix(t.root, true);
    const tc = t.fix(child, false);
    const pr = io.offset(tr);
    const pc = io.offset(tc);
    const rows = rowCount(b, pr);
    b[pr] = b[pc] as number;
    b.copyWithin(pr + PAGE_HEADER_BYTES, pc + PAGE_HEADER_BYTES, pc + t.ps);
    setRowCount(b, pr, rows);
  } finally {
    t.releaseAll();
  }
  io.freePage(child);
}