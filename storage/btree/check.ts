/**
 * check: walks a B+tree through PageIO to verify its invariants (BTree.checkInvariants)
 * and to list its pages (BTree.pageIds). Not on any hot path: it copies each page out
 * (holding one fix at a time, overflow walks included) and compares keys with
 * Buffer.compare, which orders exactly as compareBytes (memcmp, then the shorter first).
 *
 * What checkTree verifies, each failure an Error naming the tree's root, the page and the
 * rule (the numbers are BTree's invariants in tree.ts and node.ts's):
 *   - node layout (node.ts 1, 3): slots end before the content start; every cell lies in
 *     the cell area, within maxCellBytes, overlapping no other; cells + fragmented bytes
 *     fill the cell area exactly; keys within maxKeyBytes;
 *   - order (1): keys strictly ascend within a node and along the leaves, and every key of
 *     a subtree lies in [the separator on its left, the separator on its right);
 *   - depth (2): levels count down by one to 0 at the leaves, all at one depth;
 *   - links (3): leaf left/right links follow the in-order leaf sequence; internal nodes
 *     have none, leaves no child;
 *   - fill (4): non-root nodes have >= 1 cell and, unless rightmost on their level,
 *     >= minFillBytes used; a root internal node has >= 1 cell;
 *   - count (6): the root's row count equals the rows; non-root nodes keep 0 there;
 *   - pages (7): no page is reachable twice; overflow chains are well formed and as long
 *     as their values (overflow.ts 1).
 */

import { corruptPage, PAGE_TYPE } from '../file/format.js';
import type { PageIO } from '../file/page-io.js';
import {
  CELL_HEADER_BYTES, H_CONTENT, H_FRAG, H_LEFT, H_LEFTMOST, H_LEVEL, H_RIGHT, NODE_HEADER_END, SLOT_BYTES, cellAt, cellBytes,
  cellCount, childAt, isLeaf, maxCellBytes, maxKeyBytes, minFillBytes, rd16, rd32, rowCount, usableBytes, valueInline,
} from './node.js';
import { walkChain } from './overflow.js';

export interface BTreeStats {
  pages: number;
  leaves: number;
  internals: number;
  overflowPages: number;
  /** Levels, the leaves' included: 1 for a tree that is a single leaf. */
  depth: number;
  rows: number;
}

interface Walk {
  io: PageIO;
  root: number;
  seen: Set<number>;
  leafIds: number[];
  /** Left and right link of each leaf in leafIds, in pairs. */
  leafLinks: number[];
  lastKey: Uint8Array | null;
  rows: number;
  internals: number;
  overflowPages: number;
}

/** Verify every invariant of the tree rooted at `root`; returns its shape. */
export function checkTree(io: PageIO, root: number): BTreeStats {
  const w: Walk = { io, root, seen: new Set(), leafIds: [], leafLinks: [], lastKey: null, rows: 0, internals: 0, overflowPages: 0 };
  const rootImage = pageImage(io, root);
  const rootLevel = rootImage[H_LEVEL] as number;
  checkNode(w, root, rootLevel, null, null, true);
  for (let i = 0; i < w.leafIds.length; i++) {
    const wantLeft = i === 0 ? 0 : (w.leafIds[i - 1] as number);
    const wantRight = i === w.leafIds.length - 1 ? 0 : (w.leafIds[i + 1] as number);
    const left = w.leafLinks[2 * i] as number;
    const right = w.leafLinks[2 * i + 1] as number;
    if (left !== wantLeft || right !== wantRight) {
      throw new Error(`B+tree ${root}: leaf ${w.leafIds[i]} links left ${left} / right ${right}; the leaf order says ` +
        `${wantLeft} / ${wantRight}`);
    }
  }
  const counted = rowCount(rootImage, 0);
  if (counted !== w.rows) throw new Error(`B+tree ${root}: the root's row count is ${counted} but the leaves hold ${w.rows} rows`);
  return {
    pages: w.seen.size, leaves: w.leafIds.length, internals: w.internals, overflowPages: w.overflowPages, depth: rootLevel + 1,
    rows: w.rows,
  };
}

/** Every page of the tree rooted at `root`: nodes (parents before children) and overflow pages. */
export function treePageIds(io: PageIO, root: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const add = (id: number): void => {
    // Not an invariant check but a walk callers rely on (pageIds at close, drop): damage is REMAPDB_CORRUPT.
    if (seen.has(id)) throw corruptPage(id, `B+tree ${root} reaches it twice`);
    seen.add(id);
    out.push(id);
  };
  const stack = [root];
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
          if (!valueInline(k, v, io.pageSize)) chains.push(rd32(b, c + CELL_HEADER_BYTES + k), v);
        }
      } else {
        for (let j = n; j >= 0; j--) stack.push(childAt(b, p, j));
      }
    } finally {
      io.unfix(tok, false);
    }
    for (let i = 0; i < chains.length; i += 2) {
      walkChain(io, chains[i] as number, chains[i + 1] as number, `B+tree ${root}: leaf ${page}`, add);
    }
    chains.length = 0;
  }
  return out;
}

/**
 * The tree's nodes, internal and leaf, without reading a leaf: only internal nodes are
 * fixed (they are few and usually resident), so `remapdb inspect` can name the owner of a
 * resident page without dragging the tree's leaves through the pool. Overflow pages are
 * not listed (they hang off leaves).
 */
export function treeNodeIds(io: PageIO, root: number): number[] {
  const out = [root];
  const stack = [root];
  while (stack.length > 0) {
    const page = stack.pop() as number;
    const tok = io.fixRead(page);
    try {
      const b = io.bytes;
      const p = io.offset(tok);
      if (isLeaf(b, p)) continue;
      const childrenAreLeaves = b[p + H_LEVEL] === 1;
      const n = cellCount(b, p);
      for (let j = 0; j <= n; j++) {
        const c = childAt(b, p, j);
        out.push(c);
        if (!childrenAreLeaves) stack.push(c);
      }
    } finally {
      io.unfix(tok, false);
    }
  }
  return out;
}

/** A private copy of a page, so the walk holds no fix while it recurses. */
function pageImage(io: PageIO, page: number): Uint8Array {
  const tok = io.fixRead(page);
  try {
    const p = io.offset(tok);
    return io.bytes.slice(p, p + io.pageSize);
  } finally {
    io.unfix(tok, false);
  }
}

function checkNode(w: Walk, page: number, level: number, lo: Uint8Array | null, hi: Uint8Array | null, rightmost: boolean): void {
  const fail = (rule: string): never => {
    throw new Error(`B+tree ${w.root}: page ${page}: ${rule}`);
  };
  if (page === 0) fail('a child pointer is 0');
  if (w.seen.has(page)) fail('is reachable twice');
  w.seen.add(page);
  const img = pageImage(w.io, page);
  const type = img[0] as number;
  if (type !== PAGE_TYPE.LEAF && type !== PAGE_TYPE.INTERNAL) fail(`page type ${type} is not LEAF or INTERNAL`);
  const leaf = type === PAGE_TYPE.LEAF;
  const kind = leaf ? 'leaf' : 'internal node';
  if ((img[H_LEVEL] as number) !== level || leaf !== (level === 0)) {
    fail(`${kind} has level ${img[H_LEVEL]}; its place in the tree says ${level} (leaves are level 0, all at one depth)`);
  }
  const keys = checkLayout(img, w.io.pageSize, fail);
  const n = keys.length;
  const isRoot = page === w.root;
  if (isRoot && !leaf && n === 0) fail('the root internal node has no cells (it should have collapsed)');
  if (!isRoot) checkFill(img, w.io.pageSize, rightmost, kind, fail);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as Uint8Array;
    if (i > 0 && Buffer.compare(keys[i - 1] as Uint8Array, key) >= 0) fail(`key ${i} is not above key ${i - 1}`);
    if (lo !== null && Buffer.compare(key, lo) < 0) fail(`key ${i} is below the separator bounding the node on the left`);
    if (hi !== null && Buffer.compare(key, hi) >= 0) fail(`key ${i} is not below the separator bounding the node on the right`);
  }
  if (leaf) {
    checkLeafRows(w, page, img, keys, fail);
    return;
  }
  w.internals++;
  if (rd32(img, H_LEFT) !== 0 || rd32(img, H_RIGHT) !== 0) fail('an internal node has sibling links');
  for (let j = 0; j <= n; j++) {
    checkNode(w, childAt(img, 0, j), level - 1, j === 0 ? lo : (keys[j - 1] as Uint8Array), j === n ? hi : (keys[j] as Uint8Array),
      rightmost && j === n);
  }
}

/** Slots, cells and space accounting of one node image; returns its keys (views into img). */
function checkLayout(img: Uint8Array, ps: number, fail: (rule: string) => never): Uint8Array[] {
  const leaf = isLeaf(img, 0);
  const n = cellCount(img, 0);
  const content = rd16(img, H_CONTENT);
  const frag = rd16(img, H_FRAG);
  if (NODE_HEADER_END + SLOT_BYTES * n > content || content > ps) {
    fail(`${n} slots end at ${NODE_HEADER_END + SLOT_BYTES * n}, past the content start ${content} (page size ${ps})`);
  }
  const spans: [number, number, number][] = [];
  const keys: Uint8Array[] = [];
  let cellSum = 0;
  for (let i = 0; i < n; i++) {
    const c = cellAt(img, 0, i);
    if (c < content || c + CELL_HEADER_BYTES > ps) fail(`slot ${i} points at ${c}, outside the cell area [${content}, ${ps})`);
    const len = cellBytes(img, c, leaf, ps);
    if (c + len > ps) fail(`cell ${i} at ${c} (${len} bytes) runs past the page end`);
    if (len > maxCellBytes(ps)) fail(`cell ${i} is ${len} bytes, over maxCellBytes ${maxCellBytes(ps)}`);
    const k = rd16(img, c);
    if (k > maxKeyBytes(ps)) fail(`key ${i} is ${k} bytes, over maxKeyBytes ${maxKeyBytes(ps)}`);
    spans.push([c, len, i]);
    keys.push(img.subarray(c + CELL_HEADER_BYTES, c + CELL_HEADER_BYTES + k));
    cellSum += len;
  }
  spans.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < n; i++) {
    const [a, alen, ai] = spans[i - 1] as [number, number, number];
    const [z, , zi] = spans[i] as [number, number, number];
    if (a + alen > z) fail(`cells ${ai} and ${zi} overlap`);
  }
  if (cellSum + frag !== ps - content) {
    fail(`cells (${cellSum} bytes) + fragmented bytes (${frag}) != the cell area's ${ps - content}: space accounting is off`);
  }
  return keys;
}

function checkFill(img: Uint8Array, ps: number, rightmost: boolean, kind: string, fail: (rule: string) => never): void {
  const n = cellCount(img, 0);
  if (rowCount(img, 0) !== 0) fail(`a non-root ${kind} has a row count`);
  if (n === 0) fail(`a non-root ${kind} has no cells`);
  const used = usableBytes(ps) - (rd16(img, H_CONTENT) - NODE_HEADER_END - SLOT_BYTES * n + rd16(img, H_FRAG));
  if (!rightmost && used < minFillBytes(ps)) {
    fail(`${kind} uses ${used} bytes, under the fill minimum ${minFillBytes(ps)} (a quarter of ${usableBytes(ps)}); ` +
      'only the root and the rightmost node of a level may');
  }
}

function checkLeafRows(w: Walk, page: number, img: Uint8Array, keys: Uint8Array[], fail: (rule: string) => never): void {
  if (rd32(img, H_LEFTMOST) !== 0) fail('a leaf has a child pointer');
  w.leafIds.push(page);
  w.leafLinks.push(rd32(img, H_LEFT), rd32(img, H_RIGHT));
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as Uint8Array;
    if (w.lastKey !== null && Buffer.compare(w.lastKey, key) >= 0) fail(`key ${i} is not above the last key of the previous leaf`);
    w.lastKey = key;
    const c = cellAt(img, 0, i);
    const v = rd32(img, c + 2);
    if (!valueInline(key.length, v, w.io.pageSize)) {
      walkChain(w.io, rd32(img, c + CELL_HEADER_BYTES + key.length), v, `B+tree ${w.root}: leaf ${page} row ${i}`, (id) => {
        if (w.seen.has(id)) fail(`overflow page ${id} of row ${i} is reachable twice`);
        w.seen.add(id);
        w.overflowPages++;
      });
    }
  }
  w.rows += keys.length;
}
