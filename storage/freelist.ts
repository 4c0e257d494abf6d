/**
 * The free list: pages freed by the B+trees, chained through their own bytes, reused by
 * allocPage before the file grows.
 *
 * Owns: the format of a free page and the three walks over the chain. The head and the
 * count live in the superblock (SB.FREE_HEAD, SB.FREE_COUNT) and, during a transaction,
 * in the pager's SuperState, which these functions update in place.
 *
 *   OFFSET               SIZE  DESCRIPTION
 *   0                    1     page type = PAGE_TYPE.FREE
 *   PAGE_HEADER_BYTES    8     next free page id (0 ends the list)
 *   rest                       zero when the page is reused (popFreePage)
 *
 * Invariants (Pager invariant 3, checked by walkFreeList):
 *   1. The list has freeCount pages, each in 2..pageCount-1, of type FREE, without a cycle.
 *   2. Pages 0 (superblock) and 1 are never on it (pushFreePage refuses them).
 *
 * Split from pager.ts (which owns the transaction page set, commit logging and
 * savepoints) so that each file holds one concept. Every change goes through the
 * pager's fixWrite, so a pop or push is part of the transaction like any page write.
 */

import { DB_CODES, dbError } from './errors.js';
import { get64, PAGE_HEADER_BYTES, PAGE_TYPE, put64 } from './file/format.js';
import type { PageIO } from './file/page-io.js';
import type { SuperState } from './pager.js';

/** Take the head of the list (sb.freeHead ≠ 0) for reuse, zeroed; returns its page id. */
export function popFreePage(io: PageIO, dv: DataView, sb: SuperState): number {
  const pageId = sb.freeHead;
  const t = io.fixWrite(pageId);
  try {
    const off = io.offset(t);
    if (io.bytes[off] !== PAGE_TYPE.FREE) {
      throw dbError(DB_CODES.FAILED, `page ${pageId} is on the free list but has type ${io.bytes[off]}: the free list is corrupt`,
        { page: pageId });
    }
    const next = get64(dv, off + PAGE_HEADER_BYTES);
    if (!(next >= 0 && next < sb.pageCount)) {
      throw dbError(DB_CODES.FAILED, `free page ${pageId} links to page ${next}, outside the file (${sb.pageCount} pages)`, { page: pageId });
    }
    io.bytes[off] = 0;
    io.bytes.fill(0, off + PAGE_HEADER_BYTES, off + io.pageSize);
    sb.freeHead = next;
    sb.freeCount--;
  } finally {
    io.unfix(t, true);
  }
  return pageId;
}

/** Put a data page at the head of the list. */
export function pushFreePage(io: PageIO, dv: DataView, sb: SuperState, pageId: number): void {
  if (!(pageId > 1 && pageId < sb.pageCount)) {
    throw dbError(DB_CODES.FAILED, `free of page ${pageId}, which is not a data page (2..${sb.pageCount - 1})`, { page: pageId });
  }
  const t = io.fixWrite(pageId);
  const off = io.offset(t);
  io.bytes[off] = PAGE_TYPE.FREE;
  put64(dv, off + PAGE_HEADER_BYTES, sb.freeHead);
  io.unfix(t, true);
  sb.freeHead = pageId;
  sb.freeCount++;
}

/** Walk the list checking invariant 1; `fail` throws. Returns the number of pages on it. */
export function walkFreeList(io: PageIO, dv: DataView, sb: SuperState, fail: (msg: string) => never): number {
  let n = 0;
  let p = sb.freeHead;
  while (p !== 0) {
    if (!(p > 1 && p < sb.pageCount)) fail(`free list reaches page ${p}, outside 2..${sb.pageCount - 1}`);
    if (++n > sb.freeCount) fail(`free list longer than its count ${sb.freeCount} (a cycle?)`);
    const t = io.fixRead(p);
    const off = io.offset(t);
    const type = io.bytes[off];
    const next = get64(dv, off + PAGE_HEADER_BYTES);
    io.unfix(t, false);
    if (type !== PAGE_TYPE.FREE) fail(`free-list page ${p} has type ${type}`);
    p = next;
  }
  if (n !== sb.freeCount) fail(`free list has ${n} pages, count says ${sb.freeCount}`);
  return n;
}
