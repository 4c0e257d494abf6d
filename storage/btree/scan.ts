/**
 * btree/scan: range scans of a B+tree (BTree.range). A scan copies up to a leaf of rows at a
 * time and holds no fix between next() calls; when the contents epoch moved (any BTree over
 * the same PageIO changed something) it drops its copies and re-seeks after the last key
 * it returned. Functions over the TreeCore (tree.ts) of one BTree.
 *
 * Relies on (numbers from tree.ts): 1 (keys ascend along the leaf chain: a scan that meets
 * them out of order reports the page corrupt rather than loop), 3 (it follows the sibling
 * links, checking each reaches a non-empty leaf); upholds 8 (fill holds <= 2 fixes and
 * releases them in finally). No transitions: a scan changes nothing.
 */

import { copyBytes } from '../file/bytes.js';
import { CELL_HEADER_BYTES, cellAt, cellCount, compareKeyAt, leftSibling, maxKeyBytes, rd16, rightSibling } from './node.js';
import { corruptPage, PAGE_TYPE } from '../file/format.js';
import type { TreeCore } from './tree.js';

const LEAF = PAGE_TYPE.LEAF;

/** The rows BTree.range returns: keys within lo..hi (each bound inclusive or not), at most limit. */
export function* scan(t: TreeCore, lo: Uint8Array | null, loIncl: boolean, hi: Uint8Array | null, hiIncl: boolean,
  reverse: boolean, limit: number): Generator<[Uint8Array, Uint8Array], undefined, undefined> {
  const keys: Uint8Array[] = [];
  const vals: Uint8Array[] = [];
  // Where to resume: the last key returned, in a buffer of our own (the caller owns what it got).
  const last = new Uint8Array(maxKeyBytes(t.ps));
  let lastLen = -1;
  let remaining = limit;
  while (remaining > 0 && !t.destroyed) {
    keys.length = 0;
    vals.length = 0;
    const from = lastLen >= 0 ? last.subarray(0, lastLen) : reverse ? hi : lo;
    const fromIncl = lastLen >= 0 ? false : reverse ? hiIncl : loIncl;
    const ended = fill(t, from, fromIncl, reverse, reverse ? lo : hi, reverse ? loIncl : hiIncl, remaining, keys, vals);
    const epoch = t.epoch[0];
    let i = 0;
    while (i < keys.length) {
      const key = keys[i] as Uint8Array;
      const value = vals[i] as Uint8Array;
      i++;
      remaining--;
      // Keys strictly ascend (descend) along a scan; a page that breaks the order would
      // make the re-seek after it revisit rows forever.
      if (lastLen >= 0 && (compareKeyAt(last, 0, lastLen, key) < 0) === reverse) {
        throw corruptPage(t.root, `a scan of B+tree ${t.root} met its keys out of order`);
      }
      last.set(key);
      lastLen = key.length;
      yield [key, value];
      if (t.epoch[0] !== epoch || t.destroyed) break;
    }
    if (keys.length === 0 || (ended && i === keys.length && t.epoch[0] === epoch)) return undefined;
  }
  return undefined;
}

/**
 * Copy into keys/vals up to `max` rows of one leaf, starting at the first row after (or
 * at, if fromIncl) `from` in the scan's direction and stopping at the bound `stop`.
 * Returns whether the scan is over (bound or end of tree reached). Holds <= 2 fixes.
 */
function fill(t: TreeCore, from: Uint8Array | null, fromIncl: boolean, reverse: boolean, stop: Uint8Array | null, stopIncl: boolean,
  max: number, keys: Uint8Array[], vals: Uint8Array[]): boolean {
  const io = t.io;
  const b = io.bytes;
  const r = t.descend(from, reverse);
  let tok = t.leafTok;
  let page = t.pathPage[t.leafDepth] as number;
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
      t.checkCell(b, p, c, page);
      if (stop !== null) {
        const cmp = compareKeyAt(b, c + CELL_HEADER_BYTES, k, stop);
        if (reverse ? cmp < 0 || (cmp === 0 && !stopIncl) : cmp > 0 || (cmp === 0 && !stopIncl)) return true;
      }
      keys.push(copyBytes(b, c + CELL_HEADER_BYTES, c + CELL_HEADER_BYTES + k));
      vals.push(t.readValue(b, c, page));
      p = io.offset(tok); // reading an overflow chain fixed other pages
    }
    if (keys.length >= max) return false;
    return (reverse ? leftSibling(b, p) : rightSibling(b, p)) === 0;
  } finally {
    io.unfix(tok, false);
  }
}