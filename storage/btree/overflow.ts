/**
 * overflow: chains of OVERFLOW pages holding the values too big to stay inline in
 * a leaf cell (node.ts: a value is inline iff its whole cell fits maxCellBytes).
 * The leaf cell keeps the value's total length and the first page of its chain; each
 * page holds the next slice of the value.
 *
 * Overflow page:
 * | OFFSET | SIZE | DESCRIPTION                                                      |
 * |--------|------|------------------------------------------------------------------|
 * | 0      | 1    | page type: PAGE_TYPE.OVERFLOW (1..23: pager's)                   |
 * | 24     | 4    | next page of the chain (0 = last)                                |
 * | 28     | 4    | value bytes in this page                                         |
 * | 32     | ...  | value bytes                                                      |
 *
 * Invariants (walkChain checks them):
 *   1. A chain for a value of v bytes has ceil(v / capacity) pages; every page but the last
 *      is full (capacity bytes), the last holds the rest, and its next field is 0.
 *   2. Chains are owned by exactly one leaf cell: written by writeChain, never shared,
 *      freed whole by freeChain when the cell's value is replaced by one of another
 *      length or deleted; a value of the same length is rewritten in place
 *      (rewriteChain: same pages, only their value bytes, declared ranges).
 *
 * Fixes: every function holds at most one fix at a time and releases it on every path.
 */

import { DB_CODES, DbError } from '../errors.js';
import { corruptPage, PAGE_TYPE } from '../file/format.js';
import type { PageIO } from '../file/page-io.js';
import { assert } from '../assert.js';
import { rd32, wr32 } from './node.js';

export const OVF_NEXT = 24;
export const OVF_USED = 28;
export const OVF_DATA = 32;

/** Value bytes one overflow page holds. */
export function overflowCapacity(pageSize: number): number {
  return pageSize - OVF_DATA;
}

/** Pages a chain for a value of `valueBytes` takes. */
export function chainPages(valueBytes: number, pageSize: number): number {
  return Math.ceil(valueBytes / overflowCapacity(pageSize));
}

/**
 * Write `value` into a new chain and return its first page. Pages are written last to
 * first so each is written once with its successor known. If the PageIO throws midway
 * the pages already written are freed again before the error propagates.
 */
export function writeChain(io: PageIO, value: Uint8Array): number {
  const cap = overflowCapacity(io.pageSize);
  const pages = chainPages(value.length, io.pageSize);
  assert(pages >= 1, 'an overflow value has at least one byte');
  let next = 0;
  try {
    for (let i = pages - 1; i >= 0; i--) {
      const from = i * cap;
      const to = Math.min(value.length, from + cap);
      const id = io.allocPage();
      let tok = -1;
      try {
        tok = io.fixWrite(id);
        const b = io.bytes;
        const p = io.offset(tok);
        b[p] = PAGE_TYPE.OVERFLOW;
        wr32(b, p + OVF_NEXT, next);
        wr32(b, p + OVF_USED, to - from);
        b.set(value.subarray(from, to), p + OVF_DATA);
      } catch (err) {
        if (tok !== -1) io.unfix(tok, true);
        io.freePage(id);
        throw err;
      }
      io.unfix(tok, true);
      next = id;
    }
  } catch (err) {
    if (next !== 0) freeChain(io, next);
    throw err;
  }
  return next;
}

/**
 * Overwrite the value bytes of a chain that holds exactly value.length bytes, page by
 * page in place (ranged write fixes: only the data bytes are logged). YCSB-like records
 * (1 KB, past the inline limit of 4 KiB pages) are updated this way instead of through a
 * new chain and a freed one.
 */
export function rewriteChain(io: PageIO, first: number, value: Uint8Array): void {
  let page = first;
  let done = 0;
  const limit = chainPages(value.length, io.pageSize);
  for (let i = 0; i < limit; i++) {
    const tok = io.fixWrite(page, true);
    try {
      const b = io.bytes;
      const p = io.offset(tok);
      const used = rd32(b, p + OVF_USED);
      checkOverflowPage(b, p, page, used, done, value.length, io.pageSize);
      b.set(value.subarray(done, done + used), p + OVF_DATA);
      io.noteWrite(page, OVF_DATA, OVF_DATA + used);
      done += used;
      page = rd32(b, p + OVF_NEXT);
    } finally {
      io.unfix(tok, true);
    }
  }
  if (done !== value.length || page !== 0) throw corruptPage(first, `overflow chain holds ${done} of ${value.length} bytes, then links to ${page}`);
}

/** Copy a chain's `valueBytes` bytes into dst[dstOff..]. */
export function readChain(io: PageIO, first: number, valueBytes: number, dst: Uint8Array, dstOff: number): void {
  let page = first;
  let done = 0;
  const limit = chainPages(valueBytes, io.pageSize);
  for (let i = 0; i < limit; i++) {
    const tok = io.fixRead(page);
    try {
      const b = io.bytes;
      const p = io.offset(tok);
      const used = rd32(b, p + OVF_USED);
      checkOverflowPage(b, p, page, used, done, valueBytes, io.pageSize);
      dst.set(b.subarray(p + OVF_DATA, p + OVF_DATA + used), dstOff + done);
      done += used;
      page = rd32(b, p + OVF_NEXT);
    } finally {
      io.unfix(tok, false);
    }
  }
  if (done !== valueBytes || page !== 0) throw corruptPage(first, `overflow chain holds ${done} of ${valueBytes} bytes, then links to ${page}`);
}

/** An overflow page as read from the file, before its bytes are used: REMAPDB_CORRUPT if it cannot be one. */
function checkOverflowPage(b: Uint8Array, p: number, page: number, used: number, done: number, valueBytes: number, pageSize: number): void {
  if (b[p] !== PAGE_TYPE.OVERFLOW) throw corruptPage(page, `overflow chain reaches a page of type ${b[p]}, not OVERFLOW`);
  if (used > overflowCapacity(pageSize) || done + used > valueBytes) {
    throw corruptPage(page, `overflow page holds ${used} bytes; the chain has ${valueBytes - done} left to hold`);
  }
}

/** Give every page of a chain back to the PageIO. */
export function freeChain(io: PageIO, first: number): void {
  let page = first;
  // Bounded: no chain is longer than the largest value allows (MAX_VALUE_BYTES in tree.ts).
  for (let guard = 0; page !== 0; guard++) {
    if (guard >= (1 << 21)) throw corruptPage(first, 'overflow chain does not end (a cycle)');
    const tok = io.fixRead(page);
    let next: number;
    try {
      next = rd32(io.bytes, io.offset(tok) + OVF_NEXT);
    } finally {
      io.unfix(tok, false);
    }
    io.freePage(page);
    page = next;
  }
}

/**
 * Walk a chain, validating invariant 1, and report each page to `visit`. Throws
 * REMAPDB_CORRUPT naming `where` (the owning leaf and key) and the page that breaks the
 * rule: the walk also lists a tree's pages (pageIds, at close), so this is damage found.
 */
export function walkChain(io: PageIO, first: number, valueBytes: number, where: string, visit: (page: number) => void): void {
  const cap = overflowCapacity(io.pageSize);
  const pages = chainPages(valueBytes, io.pageSize);
  let page = first;
  for (let i = 0; i < pages; i++) {
    if (page === 0) throw chainError(page, `${where}: overflow chain ends after ${i} pages; a ${valueBytes}-byte value needs ${pages}`);
    visit(page);
    const tok = io.fixRead(page);
    let type: number;
    let used: number;
    let next: number;
    try {
      const b = io.bytes;
      const p = io.offset(tok);
      type = b[p] as number;
      used = rd32(b, p + OVF_USED);
      next = rd32(b, p + OVF_NEXT);
    } finally {
      io.unfix(tok, false);
    }
    const want = i < pages - 1 ? cap : valueBytes - cap * (pages - 1);
    if (type !== PAGE_TYPE.OVERFLOW) throw chainError(page, `${where}: overflow page ${page} has page type ${type}, not OVERFLOW`);
    if (used !== want) throw chainError(page, `${where}: overflow page ${page} (#${i}) holds ${used} bytes; expected ${want}`);
    if (i === pages - 1 && next !== 0) throw chainError(page, `${where}: overflow page ${page} is the last but links to ${next}`);
    page = next;
  }
}

function chainError(page: number, message: string): DbError {
  return new DbError(DB_CODES.CORRUPT, message, { details: { page } });
}
