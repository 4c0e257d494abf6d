/**
 * Shadows: the engine-owned frames through which every change reaches a page, so the
 * WAL rule holds on MAP_SHARED mappings the kernel may write back at any time.
 *
 * Why: a dirty page must never reach the data file before the log is durable up to its
 * LSN. The pread strategy controls every write (pwrite), but the nonlinear and multi-mmap
 * strategies map the file MAP_SHARED: once bytes are stored into a window page, the
 * kernel may write that page back whenever it likes — pdflush after dirty_expire, reclaim
 * of an unlocked window page, a remap that moves the PTE's dirty bit to the page — and a
 * shared mapping cannot veto it. So no change is ever made in place. The same path serves
 * all three strategies, so they obey the rule identically; the pread strategy
 * additionally writes back only installed (hence logged) pages.
 *
 * How: the pool (pool.ts) owns the slots; this module owns the copies:
 *   - an exclusive fix copies the page into a *working* shadow frame owned by the
 *     engine, and the caller (and every later fix) works on it; the change is unlogged
 *     and stays there (no-steal);
 *   - the storage engine records the change's LSN with markLsn() once it is logged: the
 *     working copy becomes the page's *pending* copy, waiting for the log (a newer
 *     pending copy replaces an older one — it contains its changes);
 *   - the pending copy is *installed* — copied into the window / mapping / frame — only
 *     when the WAL hook says the log is durable up to its LSN and no one has the page
 *     fixed; from then on the kernel may write the page whenever it wants: the log covers
 *     it. A later transaction's working copy does not hold an earlier pending one back;
 *   - if shadows run out, the pool installs what it may, then asks the hook to flush the
 *     log and installs again; if every shadow holds an unlogged change, the fix fails
 *     with REMAPDB_POOL_EXHAUSTED (a transaction larger than shadowSlots);
 *   - discard() drops the working copy (rollback); an earlier logged change survives.
 *
 * Owns (typed arrays sized at open):
 *   - the shadow frames: one anonymous region of shadowSlots pages, each page pinned for
 *     the pool's life (`#off`: its byte offset in RAM, `#frame`), its owning slot
 *     (`#owner`, -1 when free) and the free-shadow stack (`#free`, `#top`);
 *   - per slot: `work` (working copy: changes not logged yet) and `workDirty` (it was
 *     changed), `pend` and `pendLsn` (pending copy: logged at pendLsn, waiting for the log),
 *     `retired` (older pending copies a reader may still see, freed when the pins go).
 *
 * Invariants (checkSlot, checkInvariants; numbers continue pool.ts's):
 *   3. work[slot] = s or pend[slot] = s ⇔ owner[s] = slot (or s is one of slot's retired
 *      copies); free shadows are on their stack once; used + free = shadowSlots.
 *   3a. work[slot] ≠ pend[slot] unless both are -1.
 *   3b. retired[slot] > 0 only while the slot is fixed.
 *   4. A page is read from its working copy, else its pending copy, else its slot.
 *
 * Transitions of one slot's copies, and the function behind each:
 *   none            --exclusive fix-->       working            makeWork (copy of pending, else of the slot)
 *   working (clean) --last unfix-->          none               unpinned (nothing changed: freed)
 *   working (dirty) --commit-->              pending @ lsn      markLsn (an older pending copy is freed, or retired if fixed)
 *   working         --rollback-->            none / pending     discard
 *   pending         --log durable, unfixed-->installed          maybeInstall (copied into the slot; slot dirty, lsn set)
 *   retired         --last unfix-->          freed              unpinned → #freeRetired
 *   none (fixed)    --redo's change-->       none, slot dirty   changeInPlace (the log holds it durably already)
 * Out of shadows: takeShadow installs what the log covers (installAll), then forces the
 * log (forceLogAndInstall), then fails with REMAPDB_POOL_EXHAUSTED.
 */

import {
  MAP_ANONYMOUS, MAP_NOINHERIT, MAP_PRIVATE, MAP_SHARED, PROT_NONE, PROT_READ, PROT_WRITE, type Process,
} from '../sim-kernel/index.js';
import { assert, assertionFailed } from './assert.js';
import { C_INSTALLS, C_LOG_FLUSHES, C_PROT_CHANGES, C_SHADOW_COPIES } from './pool-stats.js';
import type { Strategy } from './strategies/index.js';
import { BufferPoolError, POOL_ERROR_CODES, type WalHook } from './types.js';

/** The pool's slot state the shadows read and, on install, write (shared typed arrays). */
export interface ShadowHost {
  readonly bytes: Uint8Array;
  readonly pageSize: number;
  readonly strategy: Strategy;
  readonly wal: WalHook;
  /** Per slot: page id (-1: empty), fix count, installed-change-newer-than-file flag, its LSN. */
  readonly pageOf: Float64Array;
  readonly pins: Int32Array;
  readonly dirty: Uint8Array;
  readonly lsn: Float64Array;
  readonly counters: Float64Array;
  /** The pool's sticky error (a failed write): nothing is installed after it. */
  failed(): boolean;
  /** A kernel error as the pool reports it (REMAPDB_POOL_KERNEL). */
  kernelError(err: unknown, what: string): Error;
}

export class Shadows {
  /** Working shadow per slot (changes not logged yet), or -1; workDirty: it was changed. */
  readonly work: Int32Array;
  readonly workDirty: Uint8Array;
  /** Pending shadow per slot (logged, waiting for the log to be durable) and its LSN, or -1. */
  readonly pend: Int32Array;
  readonly pendLsn: Float64Array;
  /** Older pending copies replaced while the page was fixed; freed when its pins reach 0. */
  readonly retired: Int32Array;
  readonly count: number;
  readonly #host: ShadowHost;
  readonly #proc: Process;
  readonly #base: number;
  /** Each shadow page's protection (guard.ts changes it). */
  readonly #prot: Uint8Array;
  readonly #off: Float64Array;
  readonly #frame: Int32Array;
  readonly #owner: Int32Array;
  readonly #free: Int32Array;
  #top: number;

  /**
   * `protect`: guard mode or write-fault tracking protects shadow pages (guard.ts), each
   * starting at `idle` (PROT_NONE under guard); null: never protected.
   */
  constructor(proc: Process, host: ShadowHost, slotCount: number, shadowCount: number, protect: { idle: number } | null = null) {
    this.#proc = proc;
    this.#host = host;
    this.count = shadowCount;
    this.work = new Int32Array(slotCount).fill(-1);
    this.workDirty = new Uint8Array(slotCount);
    this.pend = new Int32Array(slotCount).fill(-1);
    this.pendLsn = new Float64Array(slotCount).fill(-1);
    this.retired = new Int32Array(slotCount);
    // Shadow frames: anonymous memory the engine owns, pinned for the pool's life. Protected
    // per page (guard.ts), it is shared anonymous memory (shmem): a private page made read-only
    // by mprotect is copied on the next write while pinned (2.6's do_wp_page reuses a page only
    // at page_count 1), which would leave the pin on a stale copy. With per-page protection
    // (linux-2.6) the region is remapped into one nonuniform VMA; otherwise mprotect splits it.
    const ns = shadowCount;
    const ps = host.pageSize;
    const cfg = proc.core.config;
    const nonuniform = protect !== null && cfg.perPageProt && cfg.personality === 'linux-2.6';
    this.#base = proc.mmap(0, ns * ps, PROT_READ | PROT_WRITE, (protect !== null ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    this.#prot = new Uint8Array(ns).fill(PROT_READ | PROT_WRITE);
    this.#off = new Float64Array(ns);
    this.#frame = new Int32Array(ns);
    this.#owner = new Int32Array(ns).fill(-1);
    this.#free = new Int32Array(ns);
    for (let i = 0; i < ns; i++) {
      const f = proc.pinPage(this.#base + i * ps, true);
      this.#frame[i] = f;
      this.#off[i] = f * ps;
      this.#free[i] = ns - 1 - i;
    }
    this.#top = ns;
    if (protect !== null) {
      if (nonuniform) for (let i = 0; i < ns; i++) proc.remap_file_pages(this.#base + i * ps, ps, PROT_NONE, i, MAP_NOINHERIT);
      proc.mprotect(this.#base, ns * ps, protect.idle);
      this.#prot.fill(protect.idle);
    }
  }

  /** Virtual address of shadow `sh` (a handle to a shadowed page addresses it there). */
  addrOf(sh: number): number {
    return this.#base + sh * this.#host.pageSize;
  }

  /** The slot that owns shadow `sh`, or -1 when it is free. */
  ownerOf(sh: number): number {
    return this.#owner[sh] as number;
  }

  /** The slot whose copy lives at addr (guard's fault diagnosis), or -1. */
  slotOfAddr(addr: number): number {
    const sh = Math.floor((addr - this.#base) / this.#host.pageSize);
    return sh >= 0 && sh < this.count ? (this.#owner[sh] as number) : -1;
  }

  /** Give shadow `sh` protection `prot` (guard.ts); counted as a protection change. */
  protect(sh: number, prot: number): void {
    if (this.#prot[sh] === prot) return;
    this.#proc.mprotect(this.addrOf(sh), this.#host.pageSize, prot);
    this.#prot[sh] = prot;
    (this.#host.counters[C_PROT_CHANGES] as number)++;
  }

  /** Whether the slot has a working or a pending copy (it cannot be evicted, nor its frame pinned). */
  has(slot: number): boolean {
    return this.work[slot] !== -1 || this.pend[slot] !== -1;
  }

  /** Byte offset of the copy a fix of `slot` reads (working, else pending), or -1 for the slot itself (invariant 4). */
  offsetOf(slot: number): number {
    const w = this.work[slot] as number;
    if (w >= 0) return this.#off[w] as number;
    const pd = this.pend[slot] as number;
    if (pd >= 0) return this.#off[pd] as number;
    return -1;
  }

  /** A page was loaded into the empty slot: it has no copies. */
  loaded(slot: number): void {
    if (this.work[slot] !== -1 || this.pend[slot] !== -1 || this.retired[slot] !== 0) assertionFailed(`slot ${slot} loaded with shadow copies`);
    this.pendLsn[slot] = -1;
  }

  /** A working copy of the page: from its pending copy if it has one, else from the slot. */
  makeWork(slot: number): void {
    const h = this.#host;
    const sh = this.#takeShadow();
    const ps = h.pageSize;
    const pd = this.pend[slot] as number;
    if (pd >= 0) {
      const from = this.#off[pd] as number;
      h.bytes.copyWithin(this.#off[sh] as number, from, from + ps);
    } else {
      let src: number;
      try {
        src = h.strategy.resolve(slot, false);
      } catch (err) {
        // Nothing owns the shadow yet: give it back (a read error paging the slot in, SIGBUS,
        // leaked one per failure until the pool ran out; found by the fault sweep).
        this.#free[this.#top++] = sh;
        throw err;
      }
      h.bytes.copyWithin(this.#off[sh] as number, src, src + ps);
      if (h.strategy.pinsOnFix) h.strategy.release(slot);
    }
    this.work[slot] = sh;
    this.workDirty[slot] = 0;
    this.#owner[sh] = slot;
    (h.counters[C_SHADOW_COPIES] as number)++;
  }

  /** The slot's last pin went: drop a working copy that changed nothing, free retired copies, install. */
  unpinned(slot: number): void {
    // An exclusive fix that changed nothing leaves nothing to keep.
    if (this.work[slot] !== -1 && this.workDirty[slot] === 0) this.#freeShadow(slot, this.work);
    if (this.retired[slot] !== 0) this.#freeRetired(slot);
    if (this.pend[slot] !== -1) this.maybeInstall(slot);
  }

  /** The slot's working copy is logged at `lsn`: it becomes the pending copy (see the transitions). */
  markLsn(slot: number, lsn: number): void {
    const w = this.work[slot] as number;
    if (w === -1 || this.workDirty[slot] === 0) return;
    const pins = this.#host.pins;
    // The working copy becomes the pending copy; an older pending one is contained in it.
    // While the page is fixed a reader may still hold the older copy's bytes: retire it
    // (freed when the last pin goes) instead of freeing it now.
    if (this.pend[slot] !== -1) {
      if (pins[slot] !== 0) {
        this.pend[slot] = -1;
        (this.retired[slot] as number)++;
      } else {
        this.#freeShadow(slot, this.pend);
      }
    }
    this.pend[slot] = w;
    this.pendLsn[slot] = lsn;
    this.work[slot] = -1;
    this.workDirty[slot] = 0;
    if (pins[slot] === 0) this.maybeInstall(slot);
  }

  /** Drop the slot's working copy (rollback); the caller checked the page is not fixed. */
  discard(slot: number): void {
    if (this.work[slot] === -1) return;
    this.#freeShadow(slot, this.work);
    this.workDirty[slot] = 0;
  }

  /** Copy the pending copy into the page if the log covers it and nobody has the page fixed. */
  maybeInstall(slot: number): boolean {
    const h = this.#host;
    const pd = this.pend[slot] as number;
    if (pd < 0 || h.pins[slot] !== 0 || h.failed()) return false;
    const lsn = this.pendLsn[slot] as number;
    if (lsn > h.wal.durableLsn()) return false;
    const ps = h.pageSize;
    let dst: number;
    try {
      dst = h.strategy.resolve(slot, true);
    } catch (err) {
      throw h.kernelError(err, `installing page ${h.pageOf[slot]}`);
    }
    const src = this.#off[pd] as number;
    h.bytes.copyWithin(dst, src, src + ps);
    if (h.strategy.pinsOnFix) h.strategy.release(slot);
    this.#freeShadow(slot, this.pend);
    h.lsn[slot] = lsn;
    h.dirty[slot] = 1;
    (h.counters[C_INSTALLS] as number)++;
    return true;
  }

  /**
   * Redo (storage/redo.ts): the fixed slot's page is about to be changed in place, without
   * a copy, to a content the log holds durably up to `lsn` — a change the WAL rule allows
   * in place, as an install does. The page must have no copy (its copies would hide the
   * change, invariant 4). Returns the page's byte offset; the slot is dirty at lsn.
   */
  changeInPlace(slot: number, lsn: number): number {
    const h = this.#host;
    if (this.has(slot)) assertionFailed(`change in place of page ${h.pageOf[slot]}, which has a shadow copy`);
    const durable = h.wal.durableLsn();
    assert(lsn <= durable, () => `change in place of page ${h.pageOf[slot]} at LSN ${lsn}, the log durable only up to ${durable}`);
    // A pinning strategy's shared fix holds a read pin. A write pin taken beside it may
    // break COW and move the page (a pinned page is copied on write, as get_user_pages
    // does), leaving the fix's pin on the old frame and the change in an unpinned one
    // (found by the fault sweep: pread write #35 EIO, then redo). So the read pin goes
    // first and the write pin stays as the fix's pin, released by its unfix.
    const pins = h.strategy.pinsOnFix;
    if (pins) h.strategy.release(slot);
    let dst: number;
    try {
      dst = h.strategy.resolve(slot, true);
    } catch (err) {
      if (pins) h.strategy.resolve(slot, false); // the fix's pin back, for its unfix
      throw h.kernelError(err, `changing page ${h.pageOf[slot]}`);
    }
    h.dirty[slot] = 1;
    if (lsn > (h.lsn[slot] as number)) h.lsn[slot] = lsn;
    return dst;
  }

  installAll(): number {
    let n = 0;
    for (let sh = 0; sh < this.count; sh++) {
      const slot = this.#owner[sh] as number;
      if (slot >= 0 && this.pend[slot] === sh && this.maybeInstall(slot)) n++;
    }
    return n;
  }

  /** Shadows are short: make the log durable up to the newest pending change, then install. */
  forceLogAndInstall(): void {
    if (this.#flushLogUpTo(Number.POSITIVE_INFINITY)) this.installAll();
  }

  /** Make the log durable up to the newest pending change with LSN ≤ uptoLsn (part of a flush). */
  flushLogFor(uptoLsn: number): void {
    this.#flushLogUpTo(uptoLsn);
  }

  /** Whether the log had to be flushed. */
  #flushLogUpTo(uptoLsn: number): boolean {
    const h = this.#host;
    let need = -1;
    for (let s = 0; s < this.pend.length; s++) {
      const l = this.pendLsn[s] as number;
      if (this.pend[s] !== -1 && l <= uptoLsn && l > need) need = l;
    }
    if (need < 0 || need <= h.wal.durableLsn()) return false;
    h.wal.flushLog(need);
    (h.counters[C_LOG_FLUSHES] as number)++;
    return true;
  }

  #takeShadow(): number {
    if (this.#top === 0) this.installAll();
    if (this.#top === 0) this.forceLogAndInstall();
    if (this.#top === 0) {
      let pending = 0;
      for (let s = 0; s < this.pend.length; s++) if (this.pend[s] !== -1) pending++;
      throw new BufferPoolError(POOL_ERROR_CODES.EXHAUSTED, `all ${this.count} shadow frames are in use ` +
        `(${this.count - pending} hold changes not yet logged, ${pending} logged changes on fixed pages): ` +
        'a transaction may change at most shadowSlots pages; commit sooner or open with more shadowSlots',
      { details: { shadowSlots: this.count, pending } });
    }
    return this.#free[--this.#top] as number;
  }

  #freeRetired(slot: number): void {
    for (let sh = 0; sh < this.count; sh++) {
      if (this.#owner[sh] === slot && this.work[slot] !== sh && this.pend[slot] !== sh) {
        this.#owner[sh] = -1;
        this.#free[this.#top++] = sh;
      }
    }
    this.retired[slot] = 0;
  }

  #freeShadow(slot: number, which: Int32Array): void {
    const sh = which[slot] as number;
    if (!(sh >= 0 && this.#owner[sh] === slot)) assertionFailed(`slot ${slot} frees shadow ${sh} owned by ${this.#owner[sh]}`);
    which[slot] = -1;
    this.#owner[sh] = -1;
    this.#free[this.#top++] = sh;
  }

  /** Unpin and unmap the shadow frames (the pool is closing). */
  close(): void {
    for (let i = 0; i < this.count; i++) this.#proc.unpinPage(this.#frame[i] as number, false);
    this.#proc.munmap(this.#base, this.count * this.#host.pageSize);
  }

  /** Invariants 3, 3a, 3b for one occupied slot. */
  checkSlot(slot: number): void {
    for (const sh of [this.work[slot] as number, this.pend[slot] as number]) {
      assert(sh < 0 || this.#owner[sh] === slot, () => `BufferPool invariant: slot ${slot} shadow ${sh} points back at ${this.#owner[sh]}`);
    }
    assert(this.work[slot] === -1 || this.work[slot] !== this.pend[slot], () => `BufferPool invariant: slot ${slot}: working and pending copy are one frame`);
    assert(this.retired[slot] === 0 || this.#host.pins[slot] !== 0, () => `BufferPool invariant: slot ${slot}: retired copies outlive the pins`);
  }

  /** Invariant 3 over all shadows: the free stack and the owners agree. */
  checkInvariants(): void {
    let used = 0;
    for (let sh = 0; sh < this.count; sh++) if ((this.#owner[sh] as number) >= 0) used++;
    assert(used + this.#top === this.count, 'BufferPool invariant: shadow free stack and owners disagree');
  }
}
