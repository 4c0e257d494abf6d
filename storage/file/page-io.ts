/**
 * PageIO: how the B+tree (and anything else that lives in pages) reaches pages. The
 * storage engine's Pager implements it over the buffer pool inside a transaction; tests
 * implement it over a plain ArrayBuffer (test/storage/helpers/mem-page-io.ts).
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
 *   4. fixWrite(P, true) promises that every byte range changed under that fix is
 *      declared with noteWrite(P, from, to) (offsets within the page) — the pager then
 *      logs only those ranges; a plain fixWrite(P) means the whole page may have changed.
 *   5. allocPage() returns an unused page whose body is zero; it is not fixed: fix it with
 *      fixWrite before writing it. freePage() gives a page back (it must not be fixed);
 *      a later allocPage() may reuse it, in this transaction or a later one.
 *
 * Tree epochs (treeEpoch, invalidateTrees): every BTree over one PageIO shares a
 * modification counter, so a range iterator re-seeks when the tree moved under it and
 * two BTree objects over the same root stay coherent. The pager bumps it when pages
 * change underneath the trees (a rollback restored them). It lives here, below both
 * the pager and the trees, so the pager need not import the B+tree.
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
  /**
   * Optional: an optimistic read of a resident page — the offset of its bytes, valid
   * until the next call on this PageIO, with no fix to release; -1 when only fixRead can
   * serve it (the real pager: bufferpool's BufferPool.peek).
   */
  peek?(pageId: number): number;
  /** A new page with a zero body, owned by the caller. */
  allocPage(): number;
  /** Return a page to the free list (its contents become garbage). */
  freePage(pageId: number): void;
}

/**
 * A modification counter pair per PageIO, shared by every BTree over it ([0]: the
 * descent-path cache's epoch, [1]: iterators' epoch).
 */
const epochs = new WeakMap<PageIO, Uint32Array>();

/** The epoch counters of the trees over `io` (created on first use). */
export function treeEpoch(io: PageIO): Uint32Array {
  let e = epochs.get(io);
  if (e === undefined) {
    e = new Uint32Array(2);
    epochs.set(io, e);
  }
  return e;
}

/**
 * Every tree over `io` forgets what it knows of page contents (its cached descent path,
 * and its iterators' copied rows): pages changed underneath the trees, e.g. a rollback
 * restored them.
 */
export function invalidateTrees(io: PageIO): void {
  const e = epochs.get(io);
  if (e === undefined) return;
  e[0] = (e[0] as number) + 1;
  e[1] = (e[1] as number) + 1;
}
