/**
 * Pager: pages for one write transaction at a time, over the buffer pool and the WAL.
 *
 * Owns: the superblock's mutable fields (page count, free-list head and count) as the
 * current transaction sees them; the transaction's page set (which pages it changed, and
 * for each a before-image to diff against at commit); which pages changed since the last
 * checkpoint (their file copy may be unsealed); savepoints.
 *
 * ## How a change becomes durable
 *   fixWrite(P)   the pool copies P into a working shadow (copy-on-fix); on P's first
 *                 write fix in the transaction the pager keeps a before-image of it.
 *   commit()      superblock fields are written into page 0; each page in the set is
 *                 logged whole at its first change after a checkpoint, later as a delta
 *                 against its before-image (wal.ts) — over the whole page, or only over the byte
 *                 ranges its writers declared (fixWrite(P, true) + noteWrite: the
 *                 B+tree's hot paths; a full 4 KiB compare per page was a third of a
 *                 TPC-B transaction); the WAL
 *                 appends the commit record (and syncs per mode); each page's working
 *                 copy becomes its pending copy at the commit LSN (pool.markLsn) — the
 *                 pool installs it once the log is durable there (the WAL rule).
 *   rollback()    every working copy is dropped (pool.discard) and the superblock fields
 *                 restored: nothing uncommitted ever reached the log or the file (no-steal).
 *
 * ## Invariants (checkInvariants)
 *   1. Outside a transaction the page set is empty and txnIndex is -1 everywhere.
 *   2. In a transaction, txnIndex[txnPages[i]] = i for i < txnCount, and only those.
 *   3. The free list has freeCount pages, each < pageCount, of type FREE, without a cycle.
 *   4. pageCount = the pool's page count.
 *   5. A page written only through ranged fixes differs from its before-image only
 *      inside its declared ranges (at most MAX_RANGES, sorted, more than RANGE_GAP_BYTES
 *      apart); any plain fixWrite makes the page whole-page for the rest of the
 *      transaction. Checked at every commit when opened with checkDeclaredWrites.
 * Savepoints: savepoint() pushes a level; the first write fix of a page inside a level
 * saves its current image; rollbackTo() restores them (and drops pages first changed
 * inside the level); release() hands the level's saved images to the level below.
 *
 * The free list's page format and its walks live in freelist.ts; the pager keeps its
 * head and count in the superblock state and checks invariant 3 through it.
 */

import type { BufferPool } from '../bufferpool/index.js';
import { assert } from './assert.js';
import { DB_CODES, dbError } from './errors.js';
import { putSuperField, SB, sealSuperblock } from './file/format.js';
import { invalidateTrees, type PageIO } from './file/page-io.js';
import { popFreePage, pushFreePage, walkFreeList } from './freelist.js';
import type { Wal } from './wal/wal.js';

/** The superblock's mutable fields. */
export interface SuperState {
  pageCount: number;
  freeHead: number;
  freeCount: number;
}

interface Savepoint {
  txnCount: number;
  undoStart: number;
  sb: SuperState;
}

/** Declared ranges kept per page before it falls back to a whole-page diff. */
export const MAX_RANGES = 4;
/** Ranges closer than this merge (more than DELTA_MERGE_GAP_BYTES apart, as encodeRanges needs). */
const RANGE_GAP_BYTES = 16;
/** rangeCount of a page diffed whole. */
const WHOLE = -1;

export class Pager implements PageIO {
  readonly pool: BufferPool;
  readonly bytes: Uint8Array;
  readonly pageSize: number;
  readonly maxTxnPages: number;
  readonly #wal: Wal;
  readonly #dv: DataView;
  // superblock fields as the current transaction sees them, and as last committed
  #sb: SuperState;
  #committed: SuperState;
  // the transaction's page set
  #inTxn = false;
  #txnId = 0;
  readonly #txnPages: Int32Array;
  readonly #before: Uint8Array;
  #txnCount = 0;
  #txnIndex: Int32Array;
  /** Per transaction page: declared ranges (WHOLE: diff the whole page) and the ranges, [from, to) pairs. */
  readonly #rangeCount: Int32Array;
  readonly #ranges: Int32Array;
  readonly #checkDeclared: boolean;
  /** 1: the page changed since the last checkpoint (its file copy may be unsealed). */
  #changed: Uint8Array;
  // savepoints: saved images of pages changed inside a level (stack, by level)
  readonly #savepoints: Savepoint[] = [];
  readonly #undoTxnIdx: Int32Array;
  readonly #undo: Uint8Array;
  #undoCount = 0;
  /** Page count of the file as of the last checkpoint: pages from here on were never sealed. */
  #sealedPageCount: number;

  constructor(pool: BufferPool, wal: Wal, sb: SuperState, maxTxnPages: number, checkDeclaredWrites = false) {
    this.pool = pool;
    this.bytes = pool.bytes;
    this.pageSize = pool.pageSize;
    this.#wal = wal;
    this.#dv = new DataView(pool.bytes.buffer, pool.bytes.byteOffset, pool.bytes.byteLength);
    this.#sb = { ...sb };
    this.#committed = { ...sb };
    this.maxTxnPages = maxTxnPages;
    this.#txnPages = new Int32Array(maxTxnPages);
    this.#rangeCount = new Int32Array(maxTxnPages);
    this.#ranges = new Int32Array(maxTxnPages * 2 * MAX_RANGES);
    this.#checkDeclared = checkDeclaredWrites;
    this.#before = new Uint8Array(maxTxnPages * this.pageSize);
    this.#undoTxnIdx = new Int32Array(maxTxnPages);
    this.#undo = new Uint8Array(maxTxnPages * this.pageSize);
    const cap = Math.max(1024, sb.pageCount * 2);
    this.#txnIndex = new Int32Array(cap).fill(-1);
    this.#changed = new Uint8Array(cap);
    this.#sealedPageCount = sb.pageCount;
  }

  get inTransaction(): boolean {
    return this.#inTxn;
  }

  get pageCount(): number {
    return this.#sb.pageCount;
  }

  get freeCount(): number {
    return this.#sb.freeCount;
  }

  get freeHead(): number {
    return this.#sb.freeHead;
  }

  /** Pages the current transaction has changed so far. */
  get txnPageCount(): number {
    return this.#txnCount;
  }

  get savepointDepth(): number {
    return this.#savepoints.length;
  }

  // ------------------------------------------------------------------ PageIO

  fixRead(pageId: number): number {
    return this.pool.fix(pageId, 'shared');
  }

  /**
   * Fix a page for writing. `ranged`: the caller declares every byte range it changes
   * with noteWrite (invariant 5); otherwise the page is diffed whole at commit.
   */
  fixWrite(pageId: number, ranged = false): number {
    if (!this.#inTxn) assert(false, `page ${pageId} written outside a transaction`); // no message built on the hot path
    let i = pageId < this.#txnIndex.length ? (this.#txnIndex[pageId] as number) : -1;
    if (i < 0 && this.#txnCount >= this.maxTxnPages) {
      throw dbError(DB_CODES.TXN_TOO_LARGE, `the transaction changes more than ${this.maxTxnPages} pages (the limit is the ` +
        'buffer pool\'s shadow frames): commit in smaller transactions, or open with a larger shadowPages',
      { pages: this.#txnCount + 1, limit: this.maxTxnPages });
    }
    const token = this.pool.fix(pageId, 'exclusive');
    // A store-intent access (guard mode: through the MMU, so a committed copy faults; write-fault
    // tracking: marks the page changed). The engine's later stores go to this copy's bytes.
    const off = this.pool.writeOffset(token);
    const ps = this.pageSize;
    if (i < 0) {
      this.#ensureCapacity(pageId);
      i = this.#txnCount++;
      this.#txnPages[i] = pageId;
      this.#txnIndex[pageId] = i;
      this.#rangeCount[i] = ranged ? 0 : WHOLE;
      this.#before.set(this.bytes.subarray(off, off + ps), i * ps);
      // A page first changed inside a savepoint is dropped whole by rollbackTo: nothing to save.
    } else {
      if (!ranged) this.#rangeCount[i] = WHOLE;
      if (this.#savepoints.length > 0) this.#saveForSavepoint(i, off);
    }
    return token;
  }

  /**
   * Declare that bytes [from, to) of a page fixed with fixWrite(pageId, true) in this
   * transaction changed (offsets within the page). Overlapping and near ranges merge; past
   * MAX_RANGES the page is diffed whole.
   */
  noteWrite(pageId: number, from: number, to: number): void {
    const i = pageId < this.#txnIndex.length ? (this.#txnIndex[pageId] as number) : -1;
    if (!(i >= 0 && from >= 0 && from < to && to <= this.pageSize)) {
      assert(false, `noteWrite(${pageId}, ${from}, ${to}): not a range of a page this transaction wrote`);
    }
    let n = this.#rangeCount[i] as number;
    if (n === WHOLE) return;
    const r = this.#ranges;
    const base = i * 2 * MAX_RANGES;
    // Absorb every range within RANGE_GAP_BYTES of [from, to), then insert in order.
    let lo = from;
    let hi = to;
    let k = 0;
    while (k < n) {
      const a = r[base + 2 * k] as number;
      const b = r[base + 2 * k + 1] as number;
      if (a - RANGE_GAP_BYTES <= hi && lo <= b + RANGE_GAP_BYTES) {
        if (a < lo) lo = a;
        if (b > hi) hi = b;
        r.copyWithin(base + 2 * k, base + 2 * k + 2, base + 2 * n);
        n--;
      } else {
        k++;
      }
    }
    if (n === MAX_RANGES) {
      this.#rangeCount[i] = WHOLE;
      return;
    }
    let at = 0;
    while (at < n && (r[base + 2 * at] as number) < lo) at++;
    r.copyWithin(base + 2 * at + 2, base + 2 * at, base + 2 * n);
    r[base + 2 * at] = lo;
    r[base + 2 * at + 1] = hi;
    this.#rangeCount[i] = n + 1;
  }

  /** Invariant 5 for transaction page i whose working copy is at off: nothing changed outside its ranges. */
  #checkRanges(i: number, off: number): void {
    const ps = this.pageSize;
    const r = this.#ranges;
    const base = i * 2 * MAX_RANGES;
    const n = this.#rangeCount[i] as number;
    let pos = 0;
    for (let k = 0; k <= n; k++) {
      const end = k < n ? (r[base + 2 * k] as number) : ps;
      for (let j = pos; j < end; j++) {
        if (this.#before[i * ps + j] !== this.bytes[off + j]) {
          assert(false, `page ${this.#txnPages[i] as number} changed at byte ${j}, outside its declared ranges ` +
            `${Array.from(r.subarray(base, base + 2 * n)).join(',')} (a write without noteWrite)`);
        }
      }
      if (k < n) pos = r[base + 2 * k + 1] as number;
    }
  }

  offset(token: number): number {
    return this.pool.offset(token);
  }

  peek(pageId: number): number {
    return this.pool.peek(pageId);
  }

  unfix(token: number, dirtied: boolean): void {
    this.pool.unfix(token, dirtied);
  }

  allocPage(): number {
    const sb = this.#sb;
    if (sb.freeHead !== 0) return popFreePage(this, this.#dv, sb);
    assert(this.#inTxn, 'page allocated outside a transaction');
    const pageId = this.pool.allocate();
    sb.pageCount = this.pool.pageCount;
    return pageId;
  }

  freePage(pageId: number): void {
    pushFreePage(this, this.#dv, this.#sb, pageId);
  }

  // ------------------------------------------------------------------ transactions

  begin(txnId: number): void {
    if (this.#inTxn) throw dbError(DB_CODES.TXN_STATE, 'a transaction is already open');
    this.#inTxn = true;
    this.#txnId = txnId;
    this.#txnCount = 0;
  }

  /** Log the transaction's pages, commit in the WAL, hand the pages to the pool. Returns the commit LSN (-1: nothing changed). */
  commit(): number {
    if (!this.#inTxn) throw dbError(DB_CODES.TXN_STATE, 'commit without a transaction');
    assert(this.#savepoints.length === 0, 'commit with savepoints still open');
    const sb = this.#sb;
    const c = this.#committed;
    const ps = this.pageSize;
    const wal = this.#wal;
    let lsn: number;
    try {
      // Inside the try: fixing page 0 may fail (a read error), and must then roll back.
      if (sb.pageCount !== c.pageCount || sb.freeHead !== c.freeHead || sb.freeCount !== c.freeCount) this.#writeSuperFields();
      if (this.#txnCount === 0) {
        this.#inTxn = false;
        return -1;
      }
      for (let i = 0; i < this.#txnCount; i++) {
        const pageId = this.#txnPages[i] as number;
        const t = this.pool.fix(pageId, 'shared');
        const off = this.pool.offset(t);
        try {
          // A page's first change after a checkpoint is logged whole (so is a page the file
          // gained in this transaction: it has no earlier image): redo then never needs the
          // file's copy of a page it changes — a torn or damaged copy is replaced, not
          // patched — and every copy it does read must pass its checksum (redo.ts).
          const rc = this.#rangeCount[i] as number;
          // Checked whatever the record: a page logged whole now is diffed by its ranges later.
          if (this.#checkDeclared && rc !== WHOLE && pageId < this.#committed.pageCount) this.#checkRanges(i, off);
          if (pageId >= this.#committed.pageCount || this.#changed[pageId] !== 1) wal.addFullPage(pageId, this.bytes, off);
          else if (rc === WHOLE) wal.addPageDelta(pageId, this.#before, i * ps, this.bytes, off, 0);
          else wal.addPageDelta(pageId, this.#before, i * ps, this.bytes, off, 0, this.#ranges, i * 2 * MAX_RANGES, rc);
        } finally {
          this.pool.unfix(t, false);
        }
      }
      lsn = wal.commit(this.#txnId);
    } catch (err) {
      wal.abort();
      this.rollback();
      throw err;
    }
    // The transaction is in the log: leave it before the pool installs its pages. An install
    // can fail (paging a slot back in hits a read error: SIGBUS), and the database then
    // fails; the pager must not be left inside the transaction, or the next one would run
    // as a savepoint of it and be acknowledged without a commit.
    const n = this.#txnCount;
    for (let i = 0; i < n; i++) {
      const pageId = this.#txnPages[i] as number;
      this.#changed[pageId] = 1;
      this.#txnIndex[pageId] = -1;
    }
    this.#txnCount = 0;
    this.#committed = { ...sb };
    this.#inTxn = false;
    for (let i = 0; i < n; i++) this.pool.markLsn(this.#txnPages[i] as number, lsn);
    return lsn;
  }

  rollback(): void {
    if (!this.#inTxn) return;
    this.#savepoints.length = 0;
    this.#undoCount = 0;
    for (let i = 0; i < this.#txnCount; i++) {
      const pageId = this.#txnPages[i] as number;
      this.#txnIndex[pageId] = -1;
      this.pool.discard(pageId);
    }
    this.#txnCount = 0;
    this.#sb = { ...this.#committed };
    this.pool.setPageCount(this.#sb.pageCount);
    this.#inTxn = false;
    invalidateTrees(this);
  }

  savepoint(): void {
    if (!this.#inTxn) throw dbError(DB_CODES.TXN_STATE, 'savepoint outside a transaction');
    this.#savepoints.push({ txnCount: this.#txnCount, undoStart: this.#undoCount, sb: { ...this.#sb } });
  }

  /** Undo everything since the innermost savepoint, and drop it. */
  rollbackTo(): void {
    const sp = this.#savepoints.pop();
    if (sp === undefined) throw dbError(DB_CODES.TXN_STATE, 'no savepoint to roll back to');
    const ps = this.pageSize;
    for (let u = this.#undoCount - 1; u >= sp.undoStart; u--) {
      const i = this.#undoTxnIdx[u] as number;
      const pageId = this.#txnPages[i] as number;
      const t = this.pool.fix(pageId, 'exclusive');
      const off = this.pool.offset(t);
      this.bytes.set(this.#undo.subarray(u * ps, u * ps + ps), off);
      this.pool.unfix(t, true);
    }
    this.#undoCount = sp.undoStart;
    for (let i = sp.txnCount; i < this.#txnCount; i++) {
      const pageId = this.#txnPages[i] as number;
      this.#txnIndex[pageId] = -1;
      this.pool.discard(pageId);
    }
    this.#txnCount = sp.txnCount;
    this.#sb = { ...sp.sb };
    this.pool.setPageCount(this.#sb.pageCount);
    invalidateTrees(this);
  }

  /** Keep everything since the innermost savepoint, and drop it (its saved images pass to the level below). */
  release(): void {
    const sp = this.#savepoints.pop();
    if (sp === undefined) throw dbError(DB_CODES.TXN_STATE, 'no savepoint to release');
    const below = this.#savepoints[this.#savepoints.length - 1];
    if (below === undefined) {
      this.#undoCount = 0;
      return;
    }
    // A page the level below already saved keeps that (older) image; others move down.
    const ps = this.pageSize;
    let w = sp.undoStart;
    for (let u = sp.undoStart; u < this.#undoCount; u++) {
      const i = this.#undoTxnIdx[u] as number;
      if (i >= below.txnCount || this.#savedAt(i, below.undoStart, sp.undoStart)) continue;
      if (w !== u) {
        this.#undoTxnIdx[w] = i;
        this.#undo.copyWithin(w * ps, u * ps, u * ps + ps);
      }
      w++;
    }
    this.#undoCount = w;
  }

  #savedAt(txnIdx: number, from: number, to: number): boolean {
    for (let u = from; u < to; u++) if (this.#undoTxnIdx[u] === txnIdx) return true;
    return false;
  }

  #saveForSavepoint(i: number, off: number): void {
    const sp = this.#savepoints[this.#savepoints.length - 1] as Savepoint;
    if (i >= sp.txnCount || this.#savedAt(i, sp.undoStart, this.#undoCount)) return;
    if (this.#undoCount >= this.maxTxnPages) {
      throw dbError(DB_CODES.TXN_TOO_LARGE, `savepoints hold more than ${this.maxTxnPages} saved pages`, { limit: this.maxTxnPages });
    }
    const ps = this.pageSize;
    const u = this.#undoCount++;
    this.#undoTxnIdx[u] = i;
    this.#undo.set(this.bytes.subarray(off, off + ps), u * ps);
  }

  #writeSuperFields(): void {
    const t = this.fixWrite(0);
    const off = this.pool.offset(t);
    putSuperField(this.#dv, off, this.pageSize, SB.PAGE_COUNT, this.#sb.pageCount);
    putSuperField(this.#dv, off, this.pageSize, SB.FREE_HEAD, this.#sb.freeHead);
    putSuperField(this.#dv, off, this.pageSize, SB.FREE_COUNT, this.#sb.freeCount);
    // Sealed now, not only when the pool writes it back: once installed, a page mapped
    // MAP_SHARED (multi-mmap, nonlinear without mlock) may be written by reclaim at any
    // time, and page 0 is checksum-verified at open, before redo could repair it (found
    // by the fault sweep: test/storage/fault-sweep.test.ts).
    sealSuperblock(this.bytes, off, this.pageSize);
    this.pool.unfix(t, true);
  }

  #ensureCapacity(pageId: number): void {
    if (pageId < this.#txnIndex.length) return;
    let cap = this.#txnIndex.length;
    while (cap <= pageId) cap *= 2;
    const ti = new Int32Array(cap).fill(-1);
    ti.set(this.#txnIndex);
    this.#txnIndex = ti;
    const f = new Uint8Array(cap);
    f.set(this.#changed);
    this.#changed = f;
  }

  // ------------------------------------------------------------------ checkpoints and checksums

  /** Whether a page read from the file must carry a valid checksum (it was sealed by a checkpoint). */
  mustBeSealed(pageId: number): boolean {
    return pageId < this.#sealedPageCount && !(pageId < this.#changed.length && this.#changed[pageId] === 1);
  }

  /** A checkpoint wrote (and sealed) every changed page. */
  checkpointed(): void {
    this.#changed.fill(0);
    this.#sealedPageCount = this.#sb.pageCount;
  }

  // ------------------------------------------------------------------ invariants

  checkInvariants(): { freePages: number } {
    const fail = (msg: string): never => {
      throw new Error(`Pager invariant: ${msg}`);
    };
    if (!this.#inTxn && this.#txnCount !== 0) fail(`${this.#txnCount} pages in the set outside a transaction`);
    let inSet = 0;
    for (let p = 0; p < this.#txnIndex.length; p++) {
      const i = this.#txnIndex[p] as number;
      if (i < 0) continue;
      inSet++;
      if (!(i < this.#txnCount) || this.#txnPages[i] !== p) fail(`page ${p} has txn index ${i} but the set disagrees`);
    }
    if (inSet !== this.#txnCount) fail(`${inSet} pages indexed, ${this.#txnCount} in the set`);
    if (this.pool.pageCount !== this.#sb.pageCount) fail(`pool has ${this.pool.pageCount} pages, superblock ${this.#sb.pageCount}`);
    const n = walkFreeList(this, this.#dv, this.#sb, fail);
    return { freePages: n };
  }
}
