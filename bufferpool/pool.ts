/**
 * BufferPool: fixed slots of database pages, one replacement policy, one strategy.
 *
 * Owns (all in typed arrays, sized at open): the page-id → slot map, per slot the page
 * id, pin count, kernel pins taken, dirty flag (installed change newer than the file),
 * page LSN and shadow frame; the shadow frames (engine-owned, pinned anonymous memory);
 * the free-slot stack; statistics.
 *
 * ## The WAL rule on shared file mappings (why shadows)
 * A dirty page must never reach the data file before the log is durable up to its LSN.
 * The pread strategy controls every write (pwrite), but the nonlinear and multi-mmap
 * strategies map the file MAP_SHARED: once bytes are stored into a window page, the
 * kernel may write that page back whenever it likes — pdflush after dirty_expire, reclaim
 * of an unlocked window page, a remap that moves the PTE's dirty bit to the page — and a
 * shared mapping cannot veto it. So no change is ever made in place:
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
 * The same path serves all three strategies, so they obey the rule identically; the
 * pread strategy additionally writes back only installed (hence logged) pages.
 *
 * ## Invariants (checkInvariants)
 *   1. map(pageId) = slot ⇔ pageOf[slot] = pageId ≥ 0; free slots hold -1 and are on the free stack once.
 *   2. pins ≥ kernelPins ≥ 0; a slot with pins > 0 or a shadow is never evicted.
 *   3. work[slot] = s or pend[slot] = s ⇔ shadowSlot[s] = slot; free shadows are on their stack once.
 *   4. A page is read from its working copy, else its pending copy, else its slot.
 *   5. The policy's own invariants hold, and its resident set is the occupied slots.
 * Transitions: fix (miss: take a free slot or evict a batch → strategy.load), unfix,
 * markLsn, install (shadow → page, dirty), flush (install, write back, sync), discard.
 * A failed write-back or sync makes the pool refuse further changes (sticky error).
 */

import {
  KernelError, type Kernel, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, type Process,
} from '../sim-kernel/index.js';
import { PageMap } from './page-map.js';
import { createPolicy, type ReplacementPolicy } from './policies/index.js';
import type { Strategy } from './strategies/index.js';
import {
  BufferPoolError, type BufferPoolOptions, type BufferPoolStats, type FixMode, POOL_ERROR_CODES,
  type PoolSnapshot, type SlotSnapshot, type WalHook,
} from './types.js';

const NO_WAL: WalHook = { durableLsn: () => Number.MAX_VALUE, flushLog: () => undefined };

/** Tokens: ((generation × MAX_SLOTS) + slot) × 2 + (kernel pin taken ? 1 : 0). */
const MAX_SLOTS = 2 ** 22;
/** Generations wrap below 2^29 so a token stays an exact integer (< 2^53); they only catch stale handles. */
const GEN_MASK = 2 ** 29 - 1;

const C_FIXES = 0;
const C_HITS = 1;
const C_MISSES = 2;
const C_EVICTIONS = 3;
const C_WRITEBACKS = 4;
const C_INSTALLS = 5;
const C_SHADOW_COPIES = 6;
const C_CREATED = 7;
const C_LOG_FLUSHES = 8;
const C_COUNT = 9;

export class BufferPool {
  readonly kernel: Kernel;
  readonly proc: Process;
  readonly fd: number;
  readonly pageSize: number;
  readonly slotCount: number;
  readonly options: Required<Omit<BufferPoolOptions, 'wal' | 'onLoad' | 'beforeWriteBack'>>;
  readonly #onLoad: BufferPoolOptions['onLoad'];
  readonly #beforeWriteBack: BufferPoolOptions['beforeWriteBack'];
  /** All of simulated RAM: a fixed page's bytes are at offset(token) .. + pageSize. */
  readonly bytes: Uint8Array;
  readonly #strategy: Strategy;
  readonly #policy: ReplacementPolicy;
  readonly #wal: WalHook;
  readonly #map: PageMap;
  readonly #pageOf: Float64Array;
  readonly #pins: Int32Array;
  readonly #kernelPins: Int32Array;
  readonly #dirty: Uint8Array;
  /** LSN of the newest installed change (-1: none since load). */
  readonly #lsn: Float64Array;
  /** Working shadow (changes not logged yet), or -1; workDirty: it was changed. */
  readonly #work: Int32Array;
  readonly #workDirty: Uint8Array;
  /** Pending shadow (logged, waiting for the log to be durable) and its LSN, or -1. */
  readonly #pend: Int32Array;
  readonly #pendLsn: Float64Array;
  /** Older pending copies replaced while the page was fixed; freed when its pins reach 0. */
  readonly #retired: Int32Array;
  readonly #gen: Int32Array;
  readonly #free: Int32Array;
  #freeTop: number;
  readonly #victims: Int32Array;
  readonly #evictable: (slot: number) => boolean;
  // shadows
  readonly #shadowBase: number;
  readonly #shadowOff: Float64Array;
  readonly #shadowFrame: Int32Array;
  readonly #shadowSlot: Int32Array;
  readonly #shadowFree: Int32Array;
  #shadowTop: number;
  // file
  #pageCount: number;
  #filePages: number;
  readonly #counters = new Float64Array(C_COUNT);
  readonly #vm0: Record<string, number>;
  readonly #kernelNs0: number;
  #failed: Error | null = null;
  #closed = false;

  constructor(kernel: Kernel, proc: Process, fd: number, strategy: Strategy, opts: BufferPoolOptions, pageCount: number) {
    this.kernel = kernel;
    this.proc = proc;
    this.fd = fd;
    this.pageSize = proc.pageSize;
    const slots = opts.slots;
    this.slotCount = slots;
    this.options = {
      strategy: opts.strategy,
      slots,
      policy: opts.policy,
      shadowSlots: opts.shadowSlots ?? Math.max(16, Math.floor(slots / 8)),
      mlock: opts.mlock ?? true,
      evictBatch: Math.max(1, Math.min(opts.evictBatch ?? 64, Math.floor(slots / 8) || 1)),
      growPages: opts.growPages ?? 64,
      debug: opts.debug ?? false,
    };
    this.bytes = proc.physBytes;
    this.#strategy = strategy;
    this.#policy = createPolicy(opts.policy, slots);
    this.#wal = opts.wal ?? NO_WAL;
    this.#onLoad = opts.onLoad;
    this.#beforeWriteBack = opts.beforeWriteBack;
    this.#map = new PageMap(slots);
    this.#pageOf = new Float64Array(slots).fill(-1);
    this.#pins = new Int32Array(slots);
    this.#kernelPins = new Int32Array(slots);
    this.#dirty = new Uint8Array(slots);
    this.#lsn = new Float64Array(slots).fill(-1);
    this.#work = new Int32Array(slots).fill(-1);
    this.#workDirty = new Uint8Array(slots);
    this.#pend = new Int32Array(slots).fill(-1);
    this.#pendLsn = new Float64Array(slots).fill(-1);
    this.#retired = new Int32Array(slots);
    this.#gen = new Int32Array(slots);
    this.#free = new Int32Array(slots);
    for (let i = 0; i < slots; i++) this.#free[i] = slots - 1 - i;
    this.#freeTop = slots;
    this.#victims = new Int32Array(this.options.evictBatch);
    this.#evictable = (s) => this.#pins[s] === 0 && this.#work[s] === -1 && this.#pend[s] === -1 && this.#retired[s] === 0;
    // Shadow frames: anonymous memory the engine owns, pinned for the pool's life.
    const ns = this.options.shadowSlots;
    const ps = this.pageSize;
    this.#shadowBase = proc.mmap(0, ns * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    this.#shadowOff = new Float64Array(ns);
    this.#shadowFrame = new Int32Array(ns);
    this.#shadowSlot = new Int32Array(ns).fill(-1);
    this.#shadowFree = new Int32Array(ns);
    for (let i = 0; i < ns; i++) {
      const f = proc.pinPage(this.#shadowBase + i * ps, true);
      this.#shadowFrame[i] = f;
      this.#shadowOff[i] = f * ps;
      this.#shadowFree[i] = ns - 1 - i;
    }
    this.#shadowTop = ns;
    this.#pageCount = pageCount;
    this.#filePages = Math.ceil(proc.fstat(fd).size / ps);
    this.#vm0 = kernel.vmstatFields();
    this.#kernelNs0 = kernel.kernelNs;
  }

  get strategyName(): string {
    return this.#strategy.name;
  }

  /** Pages in the database file the pool serves (allocate() adds one). */
  get pageCount(): number {
    return this.#pageCount;
  }

  // ------------------------------------------------------------------ fix / unfix

  /**
   * Fix page `pageId`: it stays resident and its bytes stay at offset(token) until
   * unfix(token). Exclusive intent gives a private copy (see the header); re-entrant.
   * A hit allocates nothing.
   */
  fix(pageId: number, mode: FixMode): number {
    this.#check(mode === 'exclusive');
    if (!(pageId >= 0 && pageId < this.#pageCount && Number.isInteger(pageId))) {
      throw new BufferPoolError(POOL_ERROR_CODES.RANGE, `page ${pageId} is outside the file (pages 0..${this.#pageCount - 1})`);
    }
    const c = this.#counters;
    (c[C_FIXES] as number)++;
    let slot = this.#map.get(pageId);
    if (slot >= 0) {
      (c[C_HITS] as number)++;
      this.#policy.hit(slot);
    } else {
      (c[C_MISSES] as number)++;
      slot = this.#takeSlot();
      try {
        this.#strategy.load(slot, pageId);
      } catch (err) {
        this.#free[this.#freeTop++] = slot;
        throw this.#kernelError(err, `loading page ${pageId}`);
      }
      if (this.#onLoad !== undefined) this.#verifyLoaded(slot, pageId, this.#onLoad);
      this.#pageOf[slot] = pageId;
      this.#lsn[slot] = -1;
      this.#pendLsn[slot] = -1;
      this.#map.set(pageId, slot);
      this.#policy.insert(slot, pageId);
    }
    // The working copy is made before the pin, so this page's own pending copy can still be
    // installed to free a shadow if the pool is short of them.
    if (mode === 'exclusive' && this.#work[slot] === -1) this.#makeWork(slot);
    (this.#pins[slot] as number)++;
    let pinBit = 0;
    if (this.#work[slot] === -1 && this.#pend[slot] === -1 && this.#strategy.pinsOnFix) {
      try {
        this.#strategy.resolve(slot, false);
      } catch (err) {
        // No token is returned, so nobody would unfix: give the pin back (a read error paging
        // the slot in, SIGBUS, leaked it and close() then refused; found by the fault sweep).
        (this.#pins[slot] as number)--;
        throw err;
      }
      (this.#kernelPins[slot] as number)++;
      pinBit = 1;
    }
    return ((this.#gen[slot] as number) * MAX_SLOTS + slot) * 2 + pinBit;
  }

  /** Byte offset in `bytes` of the page a token fixes. */
  offset(token: number): number {
    const slot = this.#slotOf(token);
    const w = this.#work[slot] as number;
    if (w >= 0) return this.#shadowOff[w] as number;
    const pd = this.#pend[slot] as number;
    if (pd >= 0) return this.#shadowOff[pd] as number;
    return this.#strategy.resolveFixed(slot);
  }

  /** Release a fix; `dirtied` says the caller changed the bytes (exclusive fixes only). */
  unfix(token: number, dirtied: boolean): void {
    const slot = this.#slotOf(token);
    if (!((this.#pins[slot] as number) > 0)) {
      throw new BufferPoolError(POOL_ERROR_CODES.MISUSE, `unfix of page ${this.#pageOf[slot]} (slot ${slot}) that is not fixed`);
    }
    if (dirtied) {
      if (this.#work[slot] === -1) {
        throw new BufferPoolError(POOL_ERROR_CODES.MISUSE, `page ${this.#pageOf[slot]} unfixed as dirtied but was never fixed exclusive`);
      }
      this.#workDirty[slot] = 1;
    }
    if (token % 2 === 1) {
      this.#strategy.release(slot);
      (this.#kernelPins[slot] as number)--;
    }
    (this.#pins[slot] as number)--;
    if (this.options.debug && this.#pins[slot] === 0) this.#gen[slot] = ((this.#gen[slot] as number) + 1) & GEN_MASK;
    if (this.#pins[slot] === 0) {
      // An exclusive fix that changed nothing leaves nothing to keep.
      if (this.#work[slot] !== -1 && this.#workDirty[slot] === 0) this.#freeShadow(slot, this.#work);
      if (this.#retired[slot] !== 0) this.#freeRetired(slot);
      if (this.#pend[slot] !== -1) this.#maybeInstall(slot);
    }
  }

  #slotOf(token: number): number {
    const half = Math.floor(token / 2);
    const slot = half % MAX_SLOTS;
    if (this.options.debug) {
      const gen = Math.floor(half / MAX_SLOTS);
      if (!(slot < this.slotCount) || gen !== this.#gen[slot] || this.#pins[slot] === 0) {
        throw new BufferPoolError(POOL_ERROR_CODES.MISUSE, `stale page handle ${token}: page ${this.#pageOf[slot] ?? '?'} ` +
          `(slot ${slot}) was unfixed (handle generation ${gen}, now ${this.#gen[slot]})`);
      }
    }
    return slot;
  }

  /**
   * Record that page `pageId`'s latest change is logged at `lsn` (storage calls this at
   * commit). It is installed once the log is durable up to lsn and the page is unfixed.
   */
  markLsn(pageId: number, lsn: number): void {
    const slot = this.#map.get(pageId);
    if (slot < 0) return;
    const w = this.#work[slot] as number;
    if (w === -1 || this.#workDirty[slot] === 0) return;
    // The working copy becomes the pending copy; an older pending one is contained in it.
    // While the page is fixed a reader may still hold the older copy's bytes: retire it
    // (freed when the last pin goes) instead of freeing it now.
    if (this.#pend[slot] !== -1) {
      if (this.#pins[slot] !== 0) {
        this.#pend[slot] = -1;
        (this.#retired[slot] as number)++;
      } else {
        this.#freeShadow(slot, this.#pend);
      }
    }
    this.#pend[slot] = w;
    this.#pendLsn[slot] = lsn;
    this.#work[slot] = -1;
    this.#workDirty[slot] = 0;
    if (this.#pins[slot] === 0) this.#maybeInstall(slot);
  }

  /** The log became durable up to `lsn`: install every shadow it now covers. */
  logDurable(_lsn: number): void {
    this.#installAll();
  }

  /** Drop page `pageId`'s uninstalled change (rollback): the page reverts to its last installed version. */
  discard(pageId: number): void {
    const slot = this.#map.get(pageId);
    if (slot < 0) return;
    if (this.#work[slot] === -1) return;
    if (this.#pins[slot] !== 0) {
      throw new BufferPoolError(POOL_ERROR_CODES.MISUSE, `discard of page ${pageId} while it is fixed (${this.#pins[slot]} pins)`);
    }
    this.#freeShadow(slot, this.#work);
    this.#workDirty[slot] = 0;
  }

  // ------------------------------------------------------------------ allocation

  /** Append a page to the file (zero-filled); returns its page id. Grows the file in chunks. */
  allocate(): number {
    this.#check(true);
    const pageId = this.#pageCount;
    if (pageId >= this.#filePages) {
      const grow = Math.max(this.options.growPages, 1);
      try {
        this.proc.ftruncate(this.fd, (pageId + grow) * this.pageSize);
      } catch (err) {
        throw this.#kernelError(err, `growing the file to ${pageId + grow} pages`);
      }
      this.#filePages = pageId + grow;
    }
    this.#pageCount++;
    (this.#counters[C_CREATED] as number)++;
    return pageId;
  }

  /** Tell the pool the logical page count (e.g. after recovery shrank or grew the file). */
  setPageCount(n: number): void {
    this.#pageCount = n;
    this.#filePages = Math.max(this.#filePages, Math.ceil(this.proc.fstat(this.fd).size / this.pageSize));
  }

  // ------------------------------------------------------------------ internals

  #check(writing: boolean): void {
    if (this.#closed) throw new BufferPoolError(POOL_ERROR_CODES.CLOSED, 'the buffer pool is closed');
    if (writing && this.#failed !== null) {
      throw new BufferPoolError(POOL_ERROR_CODES.FAILED, `the buffer pool refuses changes after a failed write: ${this.#failed.message}; ` +
        'reopen the database', { cause: this.#failed });
    }
  }

  #kernelError(err: unknown, what: string): Error {
    if (err instanceof BufferPoolError) return err;
    if (err instanceof KernelError) {
      return new BufferPoolError(POOL_ERROR_CODES.KERNEL, `${this.#strategy.name}: ${what}: ${err.message}`, { cause: err });
    }
    return err as Error;
  }

  /** A free slot, evicting a batch when the pool is (nearly) full. */
  #takeSlot(): number {
    if (this.#freeTop <= Math.floor(this.slotCount / 20)) this.#evictBatch();
    if (this.#freeTop === 0) {
      this.#installAll();
      this.#evictBatch();
    }
    if (this.#freeTop === 0) {
      this.#forceLogAndInstall();
      this.#evictBatch();
    }
    if (this.#freeTop === 0) {
      let pinned = 0;
      for (let s = 0; s < this.slotCount; s++) if ((this.#pins[s] as number) > 0) pinned++;
      throw new BufferPoolError(POOL_ERROR_CODES.EXHAUSTED, `all ${this.slotCount} slots are in use: ${pinned} fixed, ` +
        `${this.slotCount - pinned} holding changes not yet logged; unfix pages or commit, or open with more slots`,
      { details: { slots: this.slotCount, pinned } });
    }
    return this.#free[--this.#freeTop] as number;
  }

  #evictBatch(): void {
    const n = this.#policy.pickVictims(this.#victims, this.#victims.length, this.#evictable);
    for (let i = 0; i < n; i++) this.#evict(this.#victims[i] as number);
  }

  #evict(slot: number): void {
    const pageId = this.#pageOf[slot] as number;
    const dirty = this.#dirty[slot] === 1;
    try {
      // A dirty page leaving the pool reaches the file without another flush() seeing it
      // (pread writes it now; a mapped page stays dirty in the page cache): seal it first.
      if (dirty) this.#sealForWrite(slot);
      this.#strategy.evict(slot, pageId, dirty);
    } catch (err) {
      throw this.#fail(err, `evicting page ${pageId}`);
    }
    if (dirty && this.#strategy.name === 'pread') (this.#counters[C_WRITEBACKS] as number)++;
    this.#dirty[slot] = 0;
    this.#map.delete(pageId);
    this.#policy.remove(slot);
    this.#pageOf[slot] = -1;
    this.#gen[slot] = ((this.#gen[slot] as number) + 1) & GEN_MASK;
    this.#free[this.#freeTop++] = slot;
    (this.#counters[C_EVICTIONS] as number)++;
  }

  /** Run the beforeWriteBack hook on a slot's installed page (it is about to be written). */
  #sealForWrite(slot: number): void {
    const hook = this.#beforeWriteBack;
    if (hook === undefined) return;
    const off = this.#strategy.resolve(slot, true);
    try {
      hook(this.#pageOf[slot] as number, this.bytes, off, this.#lsn[slot] as number);
    } finally {
      if (this.#strategy.pinsOnFix) this.#strategy.release(slot);
    }
  }

  /** Run the onLoad hook on a freshly loaded slot; if it throws, the slot is given back empty. */
  #verifyLoaded(slot: number, pageId: number, hook: (pageId: number, bytes: Uint8Array, offset: number) => void): void {
    let pinned = false;
    try {
      const off = this.#strategy.resolve(slot, false);
      pinned = this.#strategy.pinsOnFix;
      hook(pageId, this.bytes, off);
    } catch (err) {
      if (pinned) this.#strategy.release(slot);
      pinned = false;
      try {
        this.#strategy.evict(slot, pageId, false);
      } finally {
        this.#free[this.#freeTop++] = slot;
      }
      throw this.#kernelError(err, `loading page ${pageId}`);
    }
    if (pinned) this.#strategy.release(slot);
  }

  /** A working copy of the page: from its pending copy if it has one, else from the slot. */
  #makeWork(slot: number): void {
    const sh = this.#takeShadow();
    const ps = this.pageSize;
    const pd = this.#pend[slot] as number;
    if (pd >= 0) {
      const from = this.#shadowOff[pd] as number;
      this.bytes.copyWithin(this.#shadowOff[sh] as number, from, from + ps);
    } else {
      let src: number;
      try {
        src = this.#strategy.resolve(slot, false);
      } catch (err) {
        // Nothing owns the shadow yet: give it back (a read error paging the slot in, SIGBUS,
        // leaked one per failure until the pool ran out; found by the fault sweep).
        this.#shadowFree[this.#shadowTop++] = sh;
        throw err;
      }
      this.bytes.copyWithin(this.#shadowOff[sh] as number, src, src + ps);
      if (this.#strategy.pinsOnFix) this.#strategy.release(slot);
    }
    this.#work[slot] = sh;
    this.#workDirty[slot] = 0;
    this.#shadowSlot[sh] = slot;
    (this.#counters[C_SHADOW_COPIES] as number)++;
  }

  #takeShadow(): number {
    if (this.#shadowTop === 0) this.#installAll();
    if (this.#shadowTop === 0) this.#forceLogAndInstall();
    if (this.#shadowTop === 0) {
      let pending = 0;
      for (let s = 0; s < this.slotCount; s++) if (this.#pend[s] !== -1) pending++;
      throw new BufferPoolError(POOL_ERROR_CODES.EXHAUSTED, `all ${this.options.shadowSlots} shadow frames are in use ` +
        `(${this.options.shadowSlots - pending} hold changes not yet logged, ${pending} logged changes on fixed pages): ` +
        'a transaction may change at most shadowSlots pages; commit sooner or open with more shadowSlots',
      { details: { shadowSlots: this.options.shadowSlots, pending } });
    }
    return this.#shadowFree[--this.#shadowTop] as number;
  }

  #freeRetired(slot: number): void {
    for (let sh = 0; sh < this.#shadowSlot.length; sh++) {
      if (this.#shadowSlot[sh] === slot && this.#work[slot] !== sh && this.#pend[slot] !== sh) {
        this.#shadowSlot[sh] = -1;
        this.#shadowFree[this.#shadowTop++] = sh;
      }
    }
    this.#retired[slot] = 0;
  }

  #freeShadow(slot: number, which: Int32Array): void {
    const sh = which[slot] as number;
    which[slot] = -1;
    this.#shadowSlot[sh] = -1;
    this.#shadowFree[this.#shadowTop++] = sh;
  }

  /** Copy the pending copy into the page if the log covers it and nobody has the page fixed. */
  #maybeInstall(slot: number): boolean {
    const pd = this.#pend[slot] as number;
    if (pd < 0 || this.#pins[slot] !== 0 || this.#failed !== null) return false;
    const lsn = this.#pendLsn[slot] as number;
    if (lsn > this.#wal.durableLsn()) return false;
    const ps = this.pageSize;
    let dst: number;
    try {
      dst = this.#strategy.resolve(slot, true);
    } catch (err) {
      throw this.#kernelError(err, `installing page ${this.#pageOf[slot]}`);
    }
    const src = this.#shadowOff[pd] as number;
    this.bytes.copyWithin(dst, src, src + ps);
    if (this.#strategy.pinsOnFix) this.#strategy.release(slot);
    this.#freeShadow(slot, this.#pend);
    this.#lsn[slot] = lsn;
    this.#dirty[slot] = 1;
    (this.#counters[C_INSTALLS] as number)++;
    return true;
  }

  #installAll(): number {
    let n = 0;
    for (let sh = 0; sh < this.#shadowSlot.length; sh++) {
      const slot = this.#shadowSlot[sh] as number;
      if (slot >= 0 && this.#pend[slot] === sh && this.#maybeInstall(slot)) n++;
    }
    return n;
  }

  /** Shadows are short: make the log durable up to the newest pending change, then install. */
  #forceLogAndInstall(): void {
    let max = -1;
    for (let s = 0; s < this.slotCount; s++) {
      if (this.#pend[s] !== -1 && (this.#pendLsn[s] as number) > max) max = this.#pendLsn[s] as number;
    }
    if (max < 0 || max <= this.#wal.durableLsn()) return;
    this.#wal.flushLog(max);
    (this.#counters[C_LOG_FLUSHES] as number)++;
    this.#installAll();
  }

  #fail(err: unknown, what: string): Error {
    const e = this.#kernelError(err, what);
    if (this.#failed === null) this.#failed = e;
    return new BufferPoolError(POOL_ERROR_CODES.FAILED, `${what} failed; the pool refuses further changes until reopened: ` +
      `${e.message}`, { cause: e });
  }

  // ------------------------------------------------------------------ flush / close

  /**
   * Make every installed change with LSN ≤ uptoLsn durable in the data file: install
   * what the log covers (flushing the log first if needed), write back, then sync.
   */
  flush(uptoLsn = Number.POSITIVE_INFINITY): void {
    this.#check(true);
    let need = -1;
    for (let s = 0; s < this.slotCount; s++) {
      const l = this.#pendLsn[s] as number;
      if (this.#pend[s] !== -1 && l <= uptoLsn && l > need) need = l;
    }
    if (need > this.#wal.durableLsn()) {
      this.#wal.flushLog(need);
      (this.#counters[C_LOG_FLUSHES] as number)++;
    }
    this.#installAll();
    try {
      for (let s = 0; s < this.slotCount; s++) {
        if (this.#dirty[s] !== 1) continue;
        const l = this.#lsn[s] as number;
        if (l > uptoLsn) continue;
        this.#sealForWrite(s);
        this.#strategy.writeBack(s, this.#pageOf[s] as number);
        this.#dirty[s] = 0;
        (this.#counters[C_WRITEBACKS] as number)++;
      }
      this.#strategy.sync();
    } catch (err) {
      throw this.#fail(err, 'flushing to the data file');
    }
  }

  /** Flush everything and release the pool's mappings. Changes not logged are dropped. */
  close(): void {
    if (this.#closed) return;
    for (let s = 0; s < this.slotCount; s++) {
      if ((this.#pins[s] as number) > 0) {
        throw new BufferPoolError(POOL_ERROR_CODES.MISUSE, `close with page ${this.#pageOf[s]} still fixed (${this.#pins[s]} pins)`);
      }
    }
    if (this.#failed === null) this.flush();
    for (let i = 0; i < this.#shadowFrame.length; i++) this.proc.unpinPage(this.#shadowFrame[i] as number, false);
    this.proc.munmap(this.#shadowBase, this.#shadowFrame.length * this.pageSize);
    this.#strategy.close();
    this.#closed = true;
  }

  get failed(): Error | null {
    return this.#failed;
  }

  // ------------------------------------------------------------------ introspection

  stats(): BufferPoolStats {
    const c = this.#counters;
    const vm = this.kernel.vmstatFields();
    const d = (k: string): number => (vm[k] ?? 0) - (this.#vm0[k] ?? 0);
    const km = this.kernel.kernelMemory();
    const kernelNs = this.kernel.kernelNs - this.#kernelNs0;
    const misses = c[C_MISSES] as number;
    const fixes = c[C_FIXES] as number;
    return {
      strategy: this.#strategy.name,
      policy: this.#policy.name,
      personality: this.kernel.config.personality,
      slots: this.slotCount,
      resident: this.slotCount - this.#freeTop,
      fixes,
      hits: c[C_HITS] as number,
      misses,
      hitRate: fixes === 0 ? 0 : (c[C_HITS] as number) / fixes,
      evictions: c[C_EVICTIONS] as number,
      writebacks: c[C_WRITEBACKS] as number,
      installs: c[C_INSTALLS] as number,
      shadowCopies: c[C_SHADOW_COPIES] as number,
      remaps: d('nr_remaps'),
      mmaps: d('nr_mmap_calls'),
      munmaps: d('nr_munmap_calls'),
      preads: this.#strategy.name === 'pread' ? misses : 0,
      pwrites: this.#strategy.name === 'pread' ? (c[C_WRITEBACKS] as number) : 0,
      minorFaults: d('pgfault') - d('pgmajfault'),
      majorFaults: d('pgmajfault'),
      tlbShootdowns: d('tlb_shootdowns'),
      tlbFlushes: d('tlb_flush_local'),
      swapOuts: d('pswpout'),
      vmaCount: this.proc.mm.mapCount,
      kernelBytes: km.totalBytes,
      kernelNs,
      kernelNsPerMiss: misses === 0 ? 0 : kernelNs / misses,
      logFlushesForced: c[C_LOG_FLUSHES] as number,
    };
  }

  snapshot(): PoolSnapshot {
    const slots: SlotSnapshot[] = [];
    let used = 0;
    let dirty = 0;
    let pinned = 0;
    let usageSum = 0;
    for (let s = 0; s < this.slotCount; s++) {
      const pageId = this.#pageOf[s] as number;
      const addr = pageId >= 0 ? this.#strategy.slotAddr(s) : -1;
      const pte = addr >= 0 ? this.proc.ptes(addr, this.pageSize)[0] : undefined;
      const shadowed = this.#work[s] !== -1 || this.#pend[s] !== -1;
      const isDirty = this.#dirty[s] === 1 || shadowed;
      const usage = pageId >= 0 ? this.#policy.usage(s) : 0;
      if (pageId >= 0) {
        used++;
        usageSum += usage;
        if (isDirty) dirty++;
        if ((this.#pins[s] as number) > 0) pinned++;
      }
      const lsn = this.#pend[s] !== -1 ? (this.#pendLsn[s] as number) : (this.#lsn[s] as number);
      slots.push({
        slot: s, pageId, pins: this.#pins[s] as number, dirty: isDirty, usage,
        pageLsn: lsn < 0 ? null : lsn, shadowed, working: this.#work[s] !== -1, pending: this.#pend[s] !== -1,
        retired: this.#retired[s] as number,
        pte: pte?.kind ?? 'none', frame: pte?.frame ?? -1, addr, pgoff: pte?.pgoff ?? -1,
      });
    }
    const c = this.#counters;
    const fixes = c[C_FIXES] as number;
    return {
      summary: {
        buffers_used: used,
        buffers_unused: this.slotCount - used,
        buffers_dirty: dirty,
        buffers_pinned: pinned,
        usagecount_avg: used === 0 ? 0 : usageSum / used,
        POOL_SIZE: this.slotCount,
        FREE_BUFFERS: this.slotCount - used,
        DATABASE_PAGES: used,
        MODIFIED_DATABASE_PAGES: dirty,
        NUMBER_PAGES_READ: c[C_MISSES] as number,
        NUMBER_PAGES_CREATED: c[C_CREATED] as number,
        NUMBER_PAGES_WRITTEN: c[C_WRITEBACKS] as number,
        NUMBER_PAGES_GET: fixes,
        HIT_RATE: fixes === 0 ? 0 : (c[C_HITS] as number) / fixes,
      },
      slots,
      window: this.#strategy.name === 'nonlinear' ? { addr: this.#strategy.slotAddr(0), pages: this.slotCount } : null,
    };
  }

  checkInvariants(): void {
    const fail = (msg: string): never => {
      throw new Error(`BufferPool invariant: ${msg}`);
    };
    this.#map.checkInvariants();
    this.#policy.checkInvariants();
    const onFree = new Uint8Array(this.slotCount);
    for (let i = 0; i < this.#freeTop; i++) {
      const s = this.#free[i] as number;
      if (onFree[s] === 1) fail(`slot ${s} twice on the free stack`);
      onFree[s] = 1;
    }
    let resident = 0;
    for (let s = 0; s < this.slotCount; s++) {
      const p = this.#pageOf[s] as number;
      if (p < 0) {
        if (onFree[s] !== 1) fail(`empty slot ${s} not on the free stack`);
        if (this.#pins[s] !== 0 || this.#work[s] !== -1 || this.#pend[s] !== -1 || this.#dirty[s] !== 0) fail(`empty slot ${s} has state`);
        continue;
      }
      resident++;
      if (onFree[s] === 1) fail(`slot ${s} holding page ${p} is on the free stack`);
      if (this.#map.get(p) !== s) fail(`page ${p} maps to slot ${this.#map.get(p)}, not ${s}`);
      if (!((this.#pins[s] as number) >= (this.#kernelPins[s] as number) && (this.#kernelPins[s] as number) >= 0)) {
        fail(`slot ${s}: pins ${this.#pins[s]} kernel pins ${this.#kernelPins[s]}`);
      }
      for (const sh of [this.#work[s] as number, this.#pend[s] as number]) {
        if (sh >= 0 && this.#shadowSlot[sh] !== s) fail(`slot ${s} shadow ${sh} points back at ${this.#shadowSlot[sh]}`);
      }
      if (this.#work[s] !== -1 && this.#work[s] === this.#pend[s]) fail(`slot ${s}: working and pending copy are one frame`);
      if (this.#retired[s] !== 0 && this.#pins[s] === 0) fail(`slot ${s}: retired copies outlive the pins`);
    }
    if (resident !== this.#map.size) fail(`${resident} resident slots, map holds ${this.#map.size}`);
    let shadowsUsed = 0;
    for (let sh = 0; sh < this.#shadowSlot.length; sh++) if ((this.#shadowSlot[sh] as number) >= 0) shadowsUsed++;
    if (shadowsUsed + this.#shadowTop !== this.#shadowSlot.length) fail('shadow free stack and owners disagree');
  }
}
