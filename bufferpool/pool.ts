/**
 * BufferPool: fixed slots of database pages, one replacement policy, one strategy — the
 * vmcache-like core: fix / unfix, the page map, eviction in batches, flush and close.
 *
 * Owns (typed arrays sized at open): the page-id → slot map (page-map.ts); per slot the
 * page id, pins, kernel pins, dirty flag (installed change newer than the file), page LSN
 * and handle generation; the free-slot stack; the sticky failure. Delegates: shadow copies
 * to shadows.ts, counters and snapshot to pool-stats.ts, the page count to file-extent.ts,
 * addressing pages to the strategy (strategies/), choosing victims to the policy (policies/).
 *
 * Over 500 lines: fix, peek and unfix read and keep the slot arrays (pins, kernel pins,
 * generations, the map) whose consistency is invariants 1–2; split apart, those arrays
 * would have to be shared across modules that each assume they own them.
 *
 * ## The WAL rule: no change is made in place
 * A dirty page must never reach the data file before the log is durable up to its LSN;
 * on MAP_SHARED mappings the kernel may write a page back at any time, so every change
 * goes through engine-owned shadow copies, installed only once logged (shadows.ts: why, how).
 * The one exception is redo at open (changeInPlace): it writes only what the log already
 * holds durably, the state an install leaves, so it may skip the copy.
 *
 * ## Invariants (checkInvariants)
 *   1. map(pageId) = slot ⇔ pageOf[slot] = pageId ≥ 0; free slots hold -1 and are on the free stack once.
 *   2. pins ≥ kernelPins ≥ 0; a slot with pins > 0 or a shadow is never evicted.
 *   3. work[slot] = s or pend[slot] = s ⇔ shadowSlot[s] = slot; free shadows are on their stack once (shadows.ts).
 *   4. A page is read from its working copy, else its pending copy, else its slot.
 *   5. The policy's own invariants hold, and its resident set is the occupied slots.
 *
 * ## Slot states and the function behind each transition
 *   empty    --fix (miss)-->        resident   #takeSlot (free stack, else #evictBatch) → strategy.load → policy.insert
 *   resident --fix-->               fixed      pins++ (exclusive: Shadows.makeWork; else a kernel pin if pinsOnFix)
 *   fixed    --unfix (last pin)-->  resident   pins-- → Shadows.unpinned (drop a clean copy, free retired, install)
 *   resident --markLsn / logDurable / flush--> dirty      Shadows.maybeInstall (pending copy → page, dirty = 1)
 *   fixed    --changeInPlace (redo)-->           dirty      Shadows.changeInPlace (no copy; the log is durable past it)
 *   dirty    --flush-->             resident   sealForWrite → strategy.writeBack → strategy.sync
 *   resident --evict-->             empty      #evict (unpinned, no shadow; a dirty page is sealed and handed to strategy.evict)
 * A failed write-back or sync makes the pool refuse further changes (sticky error, #fail).
 *
 * ## Assertions (assert.ts): caller misuse stays a coded REMAPDB_POOL_MISUSE; what cannot
 * happen unless pool or engine is wrong is asserted — invariants 1 and 2 for the slot at hand
 * at fix / unfix / evict, always; checkInvariants() after eviction batches and flush under `debug`.
 */

import { type Kernel, type Process, PROT_NONE, PROT_READ, PROT_WRITE } from '../sim-kernel/index.js';
import { assert, assertionFailed } from './assert.js';
import { FileExtent } from './file-extent.js';
import { PageMap } from './page-map.js';
import { checkPoolInvariants } from './pool-invariants.js';
import { createPolicy, type ReplacementPolicy } from './policies/index.js';
import { C_CREATED, C_EVICTIONS, C_FIXES, C_HITS, C_MISSES, C_WRITEBACKS, newCounters, PoolStats } from './pool-stats.js';
import { currentCopyAddr, MAX_SLOTS, PageGuard, tokenGen } from './guard.js';
import { GuardedStrategy } from './guarded-strategy.js';
import { sealForWrite, verifyLoaded } from './page-hooks.js';
import { Shadows } from './shadows.js';
import type { Strategy } from './strategies/index.js';
import {
  BufferPoolError, type BufferPoolOptions, type BufferPoolStats, type FixMode, POOL_ERROR_CODES, type PoolSnapshot,
  NO_WAL_HOOK, poolKernelError, slotsExhausted, type ResolvedPoolOptions, resolvePoolOptions, type WalHook,
} from './types.js';

/** Tokens: ((generation × MAX_SLOTS) + slot) × 2 + (kernel pin taken ? 1 : 0); MAX_SLOTS is defined in guard.ts. */
export { MAX_SLOTS };
/** Generations wrap below 2^29 so a token stays an exact integer (< 2^53); they only catch stale handles. */
const GEN_MASK = 2 ** 29 - 1;

/**
 * A miss evicts a batch ahead of need once the free slots fall to slotCount / 20 (5 %).
 * A heuristic, not set by a benchmark: a small reserve of free slots lets most misses take
 * one without a sweep, while at most 5 % of the pool (plus one batch) is held idle.
 */
const FREE_RESERVE_DIVISOR = 20;

export class BufferPool {
  readonly kernel: Kernel;
  readonly proc: Process;
  readonly fd: number;
  readonly pageSize: number;
  readonly slotCount: number;
  readonly options: ResolvedPoolOptions;
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
  readonly #gen: Int32Array;
  readonly #free: Int32Array;
  #freeTop: number;
  readonly #freeReserve: number;
  readonly #victims: Int32Array;
  readonly #evictable: (slot: number) => boolean;
  readonly #shadows: Shadows;
  readonly #counters: Float64Array;
  readonly #stats: PoolStats;
  readonly #file: FileExtent;
  /** Guard mode / write-fault tracking (guard.ts), or null. */
  readonly #guard: PageGuard | null;
  #failed: Error | null = null;
  #closed = false;

  constructor(kernel: Kernel, proc: Process, fd: number, strategy: Strategy, opts: BufferPoolOptions, pageCount: number) {
    this.kernel = kernel;
    this.proc = proc;
    this.fd = fd;
    this.pageSize = proc.pageSize;
    const slots = opts.slots;
    this.slotCount = slots;
    this.options = resolvePoolOptions(opts);
    this.bytes = proc.physBytes;
    const guarded = this.options.guard || this.options.dirtyTracking === 'write-fault' ? new GuardedStrategy(strategy) : null;
    this.#strategy = guarded ?? strategy;
    this.#policy = createPolicy(opts.policy, slots);
    this.#wal = opts.wal ?? NO_WAL_HOOK;
    this.#onLoad = opts.onLoad;
    this.#beforeWriteBack = opts.beforeWriteBack;
    this.#map = new PageMap(slots);
    this.#pageOf = new Float64Array(slots).fill(-1);
    this.#pins = new Int32Array(slots);
    this.#kernelPins = new Int32Array(slots);
    this.#dirty = new Uint8Array(slots);
    this.#lsn = new Float64Array(slots).fill(-1);
    this.#gen = new Int32Array(slots);
    this.#free = new Int32Array(slots);
    for (let i = 0; i < slots; i++) this.#free[i] = slots - 1 - i;
    this.#freeTop = slots;
    this.#freeReserve = Math.floor(slots / FREE_RESERVE_DIVISOR);
    this.#victims = new Int32Array(this.options.evictBatch);
    this.#counters = newCounters();
    const sh = new Shadows(proc, {
      bytes: this.bytes, pageSize: this.pageSize, strategy: this.#strategy, wal: this.#wal, pageOf: this.#pageOf, pins: this.#pins,
      dirty: this.#dirty, lsn: this.#lsn, counters: this.#counters,
      failed: () => this.#failed !== null,
      kernelError: (err, what) => this.#kernelError(err, what),
    }, slots, this.options.shadowSlots, guarded === null ? null : { idle: this.options.guard ? PROT_NONE : PROT_READ | PROT_WRITE });
    this.#shadows = sh;
    this.#guard = guarded === null ? null : new PageGuard({
      proc, strategy: guarded, shadows: sh, pageOf: this.#pageOf, pins: this.#pins, counters: this.#counters,
      guard: this.options.guard, writeFault: this.options.dirtyTracking === 'write-fault', closed: () => this.#closed,
    }, slots);
    this.#evictable = (s) => this.#pins[s] === 0 && sh.work[s] === -1 && sh.pend[s] === -1 && sh.retired[s] === 0;
    this.#file = new FileExtent(proc, fd, this.pageSize, this.options.growPages, pageCount);
    this.#stats = new PoolStats({
      kernel, proc, pageSize: this.pageSize, strategy, policy: this.#policy, shadows: sh, pageOf: this.#pageOf, pins: this.#pins,
      dirty: this.#dirty, lsn: this.#lsn,
    }, this.#counters);
  }

  get strategyName(): string {
    return this.#strategy.name;
  }

  /** Pages in the database file the pool serves (allocate() adds one). */
  get pageCount(): number {
    return this.#file.pageCount;
  }

  // ------------------------------------------------------------------ fix / unfix

  /**
   * Fix page `pageId`: it stays resident and its bytes stay at offset(token) until
   * unfix(token). Exclusive intent gives a private copy (see the header); re-entrant.
   * A hit allocates nothing.
   */
  fix(pageId: number, mode: FixMode): number {
    this.#check(mode === 'exclusive');
    if (!(pageId >= 0 && pageId < this.#file.pageCount && Number.isInteger(pageId))) {
      throw new BufferPoolError(POOL_ERROR_CODES.RANGE, `page ${pageId} is outside the file (pages 0..${this.#file.pageCount - 1})`);
    }
    const c = this.#counters;
    const sh = this.#shadows;
    const g = this.#guard;
    (c[C_FIXES] as number)++;
    let slot = this.#hit(pageId);
    if (slot < 0) {
      (c[C_MISSES] as number)++;
      slot = this.#takeSlot();
      if (this.#pageOf[slot] !== -1 || this.#pins[slot] !== 0 || this.#dirty[slot] !== 0) {
        assertionFailed(`free slot ${slot} holds page ${this.#pageOf[slot]} (pins ${this.#pins[slot]}, dirty ${this.#dirty[slot]})`);
      }
      let loaded = false;
      try {
        this.#strategy.load(slot, pageId, g === null ? PROT_READ | PROT_WRITE : g.loadProt);
        g?.loaded(slot, pageId); // before onLoad reads it: the guard knows the protection it came in with
        loaded = true;
        // The storage engine verifies the page; if it throws, the slot is given back empty.
        if (this.#onLoad !== undefined) verifyLoaded(this.#strategy, this.#onLoad, this.bytes, slot, pageId);
      } catch (err) {
        try {
          if (loaded) this.#strategy.evict(slot, pageId, false);
        } finally {
          this.#free[this.#freeTop++] = slot;
        }
        throw this.#kernelError(err, `loading page ${pageId}`);
      }
      this.#pageOf[slot] = pageId;
      this.#lsn[slot] = -1;
      sh.loaded(slot);
      this.#map.set(pageId, slot);
      this.#policy.insert(slot, pageId);
    }
    // The working copy is made before the pin, so this page's own pending copy can still be
    // installed to free a shadow if the pool is short of them.
    if (mode === 'exclusive' && sh.work[slot] === -1) sh.makeWork(slot);
    const gen = g === null ? (this.#gen[slot] as number) : g.fixed(slot, pageId, mode === 'exclusive');
    (this.#pins[slot] as number)++;
    let pinBit = 0;
    if (!sh.has(slot) && this.#strategy.pinsOnFix) {
      try {
        this.#strategy.resolve(slot, false);
      } catch (err) {
        // No token is returned, so nobody would unfix: give the pin back (a read error paging
        // the slot in, SIGBUS, leaked it and close() then refused; found by the fault sweep).
        (this.#pins[slot] as number)--;
        g?.unfixed(g.check(gen, slot, 'unfix'));
        throw err;
      }
      (this.#kernelPins[slot] as number)++;
      pinBit = 1;
    }
    g?.settle(slot);
    return (gen * MAX_SLOTS + slot) * 2 + pinBit;
  }

  /** offset() to change the page (exclusive fixes); under guard / write-fault tracking a store through the MMU (guard.ts). */
  writeOffset(token: number): number {
    return this.#guard === null ? this.offset(token) : this.#guard.offset(token, true);
  }

  /** Virtual address of the bytes a token fixes (its page's current copy): a program's pointer to the page. */
  addr(token: number): number {
    if (this.#guard !== null) this.#guard.offset(token, false);
    return currentCopyAddr(this.#shadows, this.#strategy, this.#slotOf(token));
  }

  /** Guard mode's SIGSEGV handler: a SegvError at one of the pool's pages as the REMAPDB_POOL_MISUSE it reveals (guard.ts). */
  diagnose(err: unknown): unknown {
    return this.#guard === null ? err : this.#guard.explain(err);
  }


  /** Byte offset in `bytes` of the page a token fixes. */
  offset(token: number): number {
    if (this.#guard !== null) return this.#guard.offset(token, false);
    const slot = this.#slotOf(token);
    const off = this.#shadows.offsetOf(slot);
    return off >= 0 ? off : this.#strategy.resolveFixed(slot);
  }

  /**
   * An optimistic read of page `pageId` (vmcache's optimistic latching, without the
   * version check a single-threaded engine does not need): the byte offset of the copy a
   * shared fix would read (invariant 4), valid until the next call into the pool — no pin,
   * no token, no unfix. -1 when only a fix can serve it: a miss (the fix loads and
   * verifies the page), or guard mode and write-fault tracking (a read goes through a
   * handle and the simulated MMU). Counted as a fix
   * and a hit, and the policy sees the reference, as for a fix; a strategy that pins on
   * fix takes and drops its kernel pin, so the simulated kernel work is a fix's.
   */
  peek(pageId: number): number {
    if (this.#guard !== null) return -1;
    this.#check(false);
    const slot = this.#hit(pageId);
    if (slot < 0) return -1;
    (this.#counters[C_FIXES] as number)++;
    const off = this.#shadows.offsetOf(slot);
    if (off >= 0) return off;
    if (!this.#strategy.pinsOnFix) return this.#strategy.resolveFixed(slot);
    const at = this.#strategy.resolve(slot, false);
    this.#strategy.release(slot);
    return at;
  }

  /** The slot of resident page `pageId`, its access counted as a hit and told to the policy; -1 when not resident (nothing counted). */
  #hit(pageId: number): number {
    const slot = this.#map.get(pageId);
    if (slot < 0) return -1;
    if (this.#pageOf[slot] !== pageId) assertionFailed(`page ${pageId} maps to slot ${slot}, which holds page ${this.#pageOf[slot]}`);
    (this.#counters[C_HITS] as number)++;
    this.#policy.hit(slot);
    return slot;
  }

  /** Redo at open only: the fixed page is changed in place to what the log holds durably at `lsn` (Shadows.changeInPlace); its offset. */
  changeInPlace(token: number, lsn: number): number {
    this.#check(true);
    return this.#shadows.changeInPlace(this.#slotOf(token), lsn);
  }

  /** Release a fix; `dirtied` says the caller changed the bytes (exclusive fixes only). */
  unfix(token: number, dirtied: boolean): void {
    const slot = this.#slotOf(token);
    const sh = this.#shadows;
    const g = this.#guard;
    const handle = g === null ? -1 : g.check(tokenGen(token), slot, 'unfix');
    if (!((this.#pins[slot] as number) > 0)) {
      throw new BufferPoolError(POOL_ERROR_CODES.MISUSE, `unfix of page ${this.#pageOf[slot]} (slot ${slot}) that is not fixed`);
    }
    const pageId = this.#pageOf[slot] as number; // the map probe would double a hit's cost: under debug only
    if (pageId < 0 || (this.options.debug && this.#map.get(pageId) !== slot)) {
      assertionFailed(`unfix of slot ${slot}: its page ${pageId} maps to slot ${this.#map.get(pageId)}`);
    }
    if (dirtied) {
      if (sh.work[slot] === -1) {
        throw new BufferPoolError(POOL_ERROR_CODES.MISUSE, `page ${this.#pageOf[slot]} unfixed as dirtied but was never fixed exclusive`);
      }
      sh.workDirty[slot] = 1;
    }
    if (token % 2 === 1) {
      if (!((this.#kernelPins[slot] as number) > 0)) assertionFailed(`unfix of slot ${slot}: the token holds a kernel pin the slot has not`);
      this.#strategy.release(slot);
      (this.#kernelPins[slot] as number)--;
    }
    (this.#pins[slot] as number)--;
    if ((this.#pins[slot] as number) < (this.#kernelPins[slot] as number)) {
      assertionFailed(`unfix of slot ${slot}: pins ${this.#pins[slot]} below kernel pins ${this.#kernelPins[slot]}`);
    }
    if (g !== null) g.unfixed(handle);
    if (this.#pins[slot] === 0) {
      if (this.options.debug) this.#gen[slot] = ((this.#gen[slot] as number) + 1) & GEN_MASK;
      sh.unpinned(slot);
    }
    g?.settle(slot);
  }

  #slotOf(token: number): number {
    const half = Math.floor(token / 2);
    const slot = half % MAX_SLOTS;
    if (this.options.debug && this.#guard === null) {
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
    this.#shadows.markLsn(slot, lsn);
    this.#guard?.settle(slot);
  }

  /**
   * The log became durable up to `lsn`: install every shadow it now covers. The WAL hook
   * is what install consults, so it must already say so: a hook lagging behind the caller
   * would leave covered changes uninstalled without a word (an engine bug: assertion).
   */
  logDurable(lsn: number): void {
    const durable = this.#wal.durableLsn();
    assert(lsn <= durable, () => `logDurable(${lsn}) but the WAL hook reports the log durable only up to ${durable}`);
    this.#shadows.installAll();
    this.#guard?.settle(-1);
  }

  /** Drop page `pageId`'s uninstalled change (rollback): the page reverts to its last installed version. */
  discard(pageId: number): void {
    const slot = this.#map.get(pageId);
    if (slot < 0) return;
    if (this.#shadows.work[slot] === -1) return;
    if (this.#pins[slot] !== 0) {
      throw new BufferPoolError(POOL_ERROR_CODES.MISUSE, `discard of page ${pageId} while it is fixed (${this.#pins[slot]} pins)`);
    }
    this.#shadows.discard(slot);
    this.#guard?.settle(slot);
  }

  // ------------------------------------------------------------------ allocation

  /** Append a page to the file (zero-filled); returns its page id. Grows the file in chunks. */
  allocate(): number {
    this.#check(true);
    let pageId: number;
    try {
      pageId = this.#file.allocate();
    } catch (err) {
      throw this.#kernelError(err, `growing the file to ${this.#file.growTarget} pages`);
    }
    (this.#counters[C_CREATED] as number)++;
    return pageId;
  }

  /** Tell the pool the logical page count (e.g. after recovery shrank or grew the file). */
  setPageCount(n: number): void {
    this.#file.setPageCount(n);
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
    return poolKernelError(err, `${this.#strategy.name}: ${what}`);
  }

  /** A free slot, evicting a batch when the pool is (nearly) full. */
  #takeSlot(): number {
    if (this.#freeTop <= this.#freeReserve) this.#evictBatch();
    if (this.#freeTop === 0) {
      this.#shadows.installAll();
      this.#evictBatch();
    }
    if (this.#freeTop === 0) {
      this.#shadows.forceLogAndInstall();
      this.#evictBatch();
    }
    if (this.#freeTop === 0) throw slotsExhausted(this.#pins);
    return this.#free[--this.#freeTop] as number;
  }

  #evictBatch(): void {
    const n = this.#policy.pickVictims(this.#victims, this.#victims.length, this.#evictable);
    for (let i = 0; i < n; i++) this.#evict(this.#victims[i] as number);
    if (this.options.debug) this.checkInvariants();
  }

  #evict(slot: number): void {
    const pageId = this.#pageOf[slot] as number;
    const dirty = this.#dirty[slot] === 1;
    if (pageId < 0 || !this.#evictable(slot) || this.#kernelPins[slot] !== 0) { // invariant 2: the policy honours #evictable
      assertionFailed(`evicting slot ${slot} (page ${pageId}, pins ${this.#pins[slot]}, kernel pins ${this.#kernelPins[slot]}, ` +
        `shadowed ${this.#shadows.has(slot)}, retired ${this.#shadows.retired[slot]})`);
    }
    try {
      // A dirty page leaving the pool reaches the file without another flush() seeing it
      // (pread writes it now; a mapped page stays dirty in the page cache): seal it first.
      if (dirty) sealForWrite(this.#strategy, this.#beforeWriteBack, this.bytes, slot, pageId, this.#lsn[slot] as number);
      this.#strategy.evict(slot, pageId, dirty);
    } catch (err) {
      throw this.#fail(err, `evicting page ${pageId}`);
    }
    if (dirty && this.#strategy.copiesPages) (this.#counters[C_WRITEBACKS] as number)++;
    this.#dirty[slot] = 0;
    this.#guard?.evicted(slot, pageId);
    this.#map.delete(pageId);
    this.#policy.remove(slot);
    this.#pageOf[slot] = -1;
    this.#gen[slot] = ((this.#gen[slot] as number) + 1) & GEN_MASK;
    this.#free[this.#freeTop++] = slot;
    (this.#counters[C_EVICTIONS] as number)++;
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
    this.#shadows.flushLogFor(uptoLsn);
    this.#shadows.installAll();
    try {
      for (let s = 0; s < this.slotCount; s++) {
        if (this.#dirty[s] !== 1) continue;
        const l = this.#lsn[s] as number;
        if (l > uptoLsn) continue;
        sealForWrite(this.#strategy, this.#beforeWriteBack, this.bytes, s, this.#pageOf[s] as number, l);
        this.#strategy.writeBack(s, this.#pageOf[s] as number);
        this.#dirty[s] = 0;
        (this.#counters[C_WRITEBACKS] as number)++;
      }
      this.#strategy.sync();
    } catch (err) {
      throw this.#fail(err, 'flushing to the data file');
    }
    this.#guard?.settle(-1);
    if (this.options.debug) this.checkInvariants();
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
    this.#shadows.close();
    this.#strategy.close();
    this.#closed = true;
  }

  get failed(): Error | null {
    return this.#failed;
  }

  // ------------------------------------------------------------------ introspection (pool-stats.ts)

  stats(): BufferPoolStats {
    return this.#stats.stats(this.slotCount - this.#freeTop);
  }

  snapshot(): PoolSnapshot {
    return this.#stats.snapshot();
  }

  /** Invariants 1–5 of the header, walking every slot and shadow (tests call it after each step; `debug` after each eviction batch and flush). */
  checkInvariants(): void {
    checkPoolInvariants({
      slotCount: this.slotCount, map: this.#map, policy: this.#policy, shadows: this.#shadows, free: this.#free, freeTop: this.#freeTop,
      pageOf: this.#pageOf, pins: this.#pins, kernelPins: this.#kernelPins, dirty: this.#dirty,
    });
  }
}
