/**
 * PageIO: how the B+tree (and anything else that lives in pages) reaches pages. The
 * storage engine's Pager implements it over the buffer pool inside a transaction; tests
 * implement it over a plain ArrayBuffer (test/storage/mem-page-io.ts).
 *
 * Contract:
 *   1. A token from fixRead/fixWrite stays valid until unfix(token); the page's bytes are
 *      bytes[offset(token), offset(token) + pageSize). Re-fetch offset() after any other
 *      fix: a write fix may move the page to a private copy (copy-on-fix).
 *   2. fixWrite is allowed only inside a write transaction; bytes may be changed only
 *      through a write fix, and unfix(token, true) says they were.
 *   3. Bytes [0, PAGE_HEADER_BYTES) belong to the pager except byte 0 (the page type),
 *      which the page's owner sets when it initializes the page. Bodies start at
 *      PAGE_HEADER_BYTES.
 *   5. fixWrite(P, true) promises that every byte range changed under that fix is
 *      declared with noteWrite(P, from, to) (offsets within the page) — the pager then
 *      logs only those ranges; a plain fixWrite(P) means the whole page may have changed.
 *   4. allocPage() returns a page no one uses, already fixed for writing is NOT implied:
 *      fix it with fixWrite; its body is zero. freePage() gives a page back (it must not
 *      be fixed); it is reused by a later allocPage() in a later transaction or this one.
 */

export interface PageIO {
  /** The memory every offset() points into (the simulated machine's RAM for the real pager). */
  readonly bytes: Uint8Array;
  readonly pageSize: number;
  fixRead(pageId: number): number;
  fixWrite(pageId: number, ranged?: boolean): number;
  /** Declare bytes [from, to) of a page fixed with fixWrite(pageId, true) as changed. */
  noteWrite(pageId: number, from: number, to: number): void;
  offset(token: number): number;
  unfix(token: number, dirtied: boolean): void;
  /** A new page with a zero body, owned by the caller. */
  allocPage(): number;
  /** Return a page to the free list (its contents become garbage). */
  freePage(pageId: number): void;
}
