/**
 * Guard mode (BufferPoolOptions.guard) and write-fault dirty tracking (dirtyTracking:
 * 'write-fault'): the two uses the remap_file_pages article names for per-page protection
 * — catching bad memory accesses, and managing a database's buffers — built on the
 * never-merged protection series the simulated kernel offers as `perPageProt`
 * (sim-kernel/syscalls/fremap-prot.ts).
 *
 * ## What each copy of a page allows (guard mode)
 * A handle (fix token) addresses its page's current copy: the working copy if there is one,
 * else the pending copy, else the slot's own page (shadows.ts, invariant 4). Each copy is
 * protected by what the live handles may do with it:
 *   the current copy, no handle               PROT_NONE   any load or store faults
 *   the current copy, only shared handles      PROT_READ   a store faults (write through a read fix)
 *   the pending copy (logged), any handle      PROT_READ   a store faults (a write after commit)
 *   the working copy of a live exclusive fix   PROT_READ|PROT_WRITE
 *   every other copy (hidden, retired, free)   PROT_NONE
 * The pool's own accesses (install, copy-on-fix, sealing, pread/pwrite of a frame) open the
 * slot's page first (GuardedStrategy, guarded-strategy.ts) and settle() puts every page back after the operation.
 * With write-fault tracking alone (guard off) only a clean working copy of a live exclusive
 * fix is read-only; everything else keeps PROT_READ|PROT_WRITE.
 *
 * ## How it is protected, per strategy
 *   nonlinear   mprotect of one window page: with perPageProt on linux-2.6 its PTE changes and
 *               the window stays one VMA; a miss remaps the page in with its protection in the
 *               same call (MAP_NOINHERIT). Without perPageProt Linux splits the window around
 *               each protected page, and linux-4.0's emulation pays a VMA per run of equal
 *               protection: the cost the series removes (bench/bufferpool/guard.ts).
 *   multi-mmap  mprotect of the page's own VMA (a whole-VMA change: no split, merges undone).
 *   pread       the frames are anonymous memory: mprotect splits their VMA at each protected
 *               frame (merging back when equal). pread and pwrite need the frame readable or
 *               writable from user space, so a miss and a write-back open it first.
 *   shadows     a shared anonymous region remapped page by page (MAP_NOINHERIT) into one
 *               nonuniform VMA where the kernel has perPageProt on linux-2.6; private
 *               anonymous memory split by mprotect otherwise (shadows.ts).
 *
 * ## Handles
 * Each fix is its own handle: a sequence number (the token's generation field) indexing a
 * ring of HANDLES records (slot, page, mode, live). A token whose record is not live is a use
 * after unfix, a stale handle after eviction, or a double unfix, named as such. The record is
 * recycled after HANDLES more fixes: an older stale token is still refused, with less detail.
 * Per slot a ring of HISTORY events (load, fix, unfix, evict) is what an error reports.
 *
 * Owns typed arrays only (no allocation on fix / unfix); messages are built on the error path.
 */

import {
  PROT_NONE, PROT_READ, PROT_WRITE, type Process, SEGV_ACCERR, SegvError,
} from '../sim-kernel/index.js';
import { GuardedStrategy } from './guarded-strategy.js';
import type { Shadows } from './shadows.js';
import type { Strategy } from './strategies/index.js';
import { C_PROT_CHANGES, C_WRITE_FAULTS } from './pool-stats.js';
import { BufferPoolError, POOL_ERROR_CODES } from './types.js';

const RW = PROT_READ | PROT_WRITE;
/** Records of handles, a power of two: a token older than this many fixes loses its detail. */
export const HANDLES = 1 << 16;
/** Events kept per slot for error messages. */
export const HISTORY = 8;
/** Handle generations are the low 29 bits of the fix sequence (pool.ts token layout). */
const GEN_MASK = 2 ** 29 - 1;
/** Token layout (pool.ts): ((generation × MAX_SLOTS) + slot) × 2 + kernel-pin bit. */
export const MAX_SLOTS = 2 ** 22;

/** The generation field of a token (under guard: the fix's handle). */
export function tokenGen(token: number): number {
  return Math.floor(Math.floor(token / 2) / MAX_SLOTS);
}

/** Virtual address of the copy a handle to `slot` addresses: working, else pending, else the slot's page (invariant 4). */
export function currentCopyAddr(shadows: Shadows, strategy: Strategy, slot: number): number {
  const w = shadows.work[slot] as number;
  const c = w >= 0 ? w : (shadows.pend[slot] as number);
  return c >= 0 ? shadows.addrOf(c) : strategy.slotAddr(slot);
}

/** A slot's page whose protection is not known (not loaded, or unmapped by eviction). */
const UNKNOWN = 255;

const H_FREE = 0;
const H_LIVE = 1;
const H_UNFIXED = 2;

const EV_LOAD = 1;
const EV_FIX_SHARED = 2;
const EV_FIX_EXCLUSIVE = 3;
const EV_UNFIX = 4;
const EV_EVICT = 5;

/** What guard mode caught: details.kind of the REMAPDB_POOL_MISUSE it throws. */
export type MisuseKind =
  'use-after-unfix' | 'stale-after-eviction' | 'double-unfix' | 'write-through-read-fix' | 'write-after-commit' |
  'after-close' | 'unknown-handle' | 'unfixed-page';

/** The pool state guard mode reads (shared typed arrays, never copied). */
export interface GuardHost {
  readonly proc: Process;
  readonly strategy: Strategy;
  readonly shadows: Shadows;
  readonly pageOf: Float64Array;
  readonly pins: Int32Array;
  readonly counters: Float64Array;
  readonly guard: boolean;
  readonly writeFault: boolean;
  closed(): boolean;
}

export class PageGuard {
  readonly #h: GuardHost;
  readonly #ps: number;
  /** Current protection of each slot's page (UNKNOWN: not loaded or unmapped). */
  readonly #slotProt: Uint8Array;
  /** Live exclusive handles per slot. */
  readonly xfix: Int32Array;
  /** Shadows the slot had at its last settle (to protect the ones it let go of). */
  readonly #lastWork: Int32Array;
  readonly #lastPend: Int32Array;
  /** Slots the pool opened for its own access since the last settle, and a flag per slot. */
  readonly #opened: Int32Array;
  readonly #isOpened: Uint8Array;
  #openedTop = 0;
  /** Address of each slot's page, and of the page it last evicted with that page's id (a late access names it). */
  readonly #lastAddr: Float64Array;
  readonly #evictAddr: Float64Array;
  readonly #evictPage: Float64Array;
  // Handle records.
  #seq = 0;
  readonly #hSeq = new Float64Array(HANDLES);
  readonly #hState = new Uint8Array(HANDLES);
  readonly #hSlot = new Int32Array(HANDLES);
  readonly #hPage = new Float64Array(HANDLES);
  readonly #hExcl = new Uint8Array(HANDLES);
  // Per-slot event rings.
  readonly #evOp: Uint8Array;
  readonly #evSeq: Float64Array;
  readonly #evPage: Float64Array;
  readonly #evNext: Int32Array;

  constructor(host: GuardHost, slots: number) {
    this.#h = host;
    this.#ps = host.proc.pageSize;
    this.#slotProt = new Uint8Array(slots).fill(UNKNOWN);
    this.xfix = new Int32Array(slots);
    this.#lastWork = new Int32Array(slots).fill(-1);
    this.#lastPend = new Int32Array(slots).fill(-1);
    this.#opened = new Int32Array(slots);
    this.#isOpened = new Uint8Array(slots);
    this.#lastAddr = new Float64Array(slots).fill(-1);
    this.#evictAddr = new Float64Array(slots).fill(-1);
    this.#evictPage = new Float64Array(slots).fill(-1);
    this.#evOp = new Uint8Array(slots * HISTORY);
    this.#evSeq = new Float64Array(slots * HISTORY);
    this.#evPage = new Float64Array(slots * HISTORY);
    this.#evNext = new Int32Array(slots);
    if (host.strategy instanceof GuardedStrategy) host.strategy.attach(this);
  }

  /** Protection a freshly loaded page arrives with (the fix that loads it settles it). */
  get loadProt(): number {
    return this.#h.guard ? PROT_READ : RW;
  }

  // ------------------------------------------------------------------ handles

  /** A new handle for a fix of `slot`; returns its generation (the token's high field). */
  fixed(slot: number, pageId: number, exclusive: boolean): number {
    let seq = this.#seq;
    let idx = 0;
    for (let tries = 0; ; tries++) {
      seq++;
      idx = seq & (HANDLES - 1);
      if (this.#hState[idx] !== H_LIVE) break;
      if (tries === HANDLES) {
        throw new BufferPoolError(POOL_ERROR_CODES.MISUSE, `${HANDLES} fixes are live at once, the most guard mode tracks: ` +
          'are handles leaking (fixed and never unfixed)?', { details: { limit: HANDLES } });
      }
    }
    this.#seq = seq;
    this.#hSeq[idx] = seq;
    this.#hState[idx] = H_LIVE;
    this.#hSlot[idx] = slot;
    this.#hPage[idx] = pageId;
    this.#hExcl[idx] = exclusive ? 1 : 0;
    if (exclusive) (this.xfix[slot] as number)++;
    this.#event(slot, exclusive ? EV_FIX_EXCLUSIVE : EV_FIX_SHARED, seq, pageId);
    return seq & GEN_MASK;
  }

  /**
   * The handle a token names, checked live; returns its record index. Throws the misuse
   * (after close, double unfix, use after unfix, stale after eviction, unknown) otherwise.
   */
  check(gen: number, slot: number, op: 'access' | 'unfix'): number {
    const idx = gen & (HANDLES - 1);
    const known = this.#hState[idx] !== H_FREE && (this.#hSeq[idx] as number) % (GEN_MASK + 1) === gen &&
      this.#hSlot[idx] === slot;
    if (known && this.#hState[idx] === H_LIVE && !this.#h.closed()) return idx;
    throw this.#misuse(known ? idx : -1, gen, slot, op);
  }

  /** Whether the handle (a record index from check) was fixed exclusive. */
  exclusive(idx: number): boolean {
    return this.#hExcl[idx] === 1;
  }

  /** The handle at record idx is unfixed. */
  unfixed(idx: number): void {
    const slot = this.#hSlot[idx] as number;
    this.#hState[idx] = H_UNFIXED;
    if (this.#hExcl[idx] === 1) (this.xfix[slot] as number)--;
    this.#event(slot, EV_UNFIX, this.#hSeq[idx] as number, this.#hPage[idx] as number);
  }

  loaded(slot: number, pageId: number): void {
    this.#slotProt[slot] = this.loadProt;
    this.#lastAddr[slot] = this.#h.strategy.slotAddr(slot);
    this.#event(slot, EV_LOAD, 0, pageId);
  }

  evicted(slot: number, pageId: number): void {
    // A slot left without an address (multi-mmap unmapped its page) has no protection; a window
    // page or frame keeps the one it had (PROT_NONE: unfixed).
    if (this.#h.strategy.slotAddr(slot) < 0) this.#slotProt[slot] = UNKNOWN;
    this.#evictAddr[slot] = this.#lastAddr[slot] as number;
    this.#evictPage[slot] = pageId;
    this.#event(slot, EV_EVICT, 0, pageId);
  }

  #event(slot: number, op: number, seq: number, pageId: number): void {
    const at = slot * HISTORY + (this.#evNext[slot] as number);
    this.#evOp[at] = op;
    this.#evSeq[at] = seq;
    this.#evPage[at] = pageId;
    this.#evNext[slot] = ((this.#evNext[slot] as number) + 1) % HISTORY;
  }

  // ------------------------------------------------------------------ protection

  /** The pool is about to access the slot's page itself (for writing if `write`): make sure it may. */
  open(slot: number, write: boolean): void {
    const need = write ? RW : PROT_READ;
    const cur = this.#slotProt[slot] as number;
    if (cur !== UNKNOWN && (cur & need) === need) return;
    this.#setSlot(slot, need);
    if (this.#isOpened[slot] === 0) {
      this.#isOpened[slot] = 1;
      this.#opened[this.#openedTop++] = slot;
    }
  }

  /** After an operation on `slot` (-1: none): every page it or the pool's own accesses touched gets its protection back. */
  settle(slot: number): void {
    if (slot >= 0) this.#settleSlot(slot);
    while (this.#openedTop > 0) {
      const s = this.#opened[--this.#openedTop] as number;
      this.#isOpened[s] = 0;
      if (s !== slot) this.#settleSlot(s);
    }
  }

  #settleSlot(slot: number): void {
    const h = this.#h;
    const sh = h.shadows;
    const pinned = (h.pins[slot] as number) > 0;
    const w = sh.work[slot] as number;
    const p = sh.pend[slot] as number;
    if (h.guard && (h.pageOf[slot] as number) >= 0 && this.#slotProt[slot] !== UNKNOWN) {
      this.#setSlot(slot, pinned && w < 0 && p < 0 ? PROT_READ : PROT_NONE);
    }
    const cur = w >= 0 ? w : p;
    const lw = this.#lastWork[slot] as number;
    const lp = this.#lastPend[slot] as number;
    if (lw >= 0 && lw !== w && lw !== p) this.#letGo(slot, lw);
    if (lp >= 0 && lp !== lw && lp !== w && lp !== p) this.#letGo(slot, lp);
    if (w >= 0) sh.protect(w, this.#copyProt(slot, w === cur, true, pinned));
    if (p >= 0) sh.protect(p, this.#copyProt(slot, p === cur, false, pinned));
    this.#lastWork[slot] = w;
    this.#lastPend[slot] = p;
  }

  /** What a shadow copy of `slot` should allow (the table in the header). */
  #copyProt(slot: number, current: boolean, working: boolean, pinned: boolean): number {
    const h = this.#h;
    const x = (this.xfix[slot] as number) > 0;
    const clean = h.shadows.workDirty[slot] === 0;
    if (!h.guard) return working && x && h.writeFault && clean ? PROT_READ : RW;
    if (!current || !pinned) return PROT_NONE;
    if (!working || !x) return PROT_READ;
    return h.writeFault && clean ? PROT_READ : RW;
  }

  /** A shadow the slot no longer has: back to the idle protection, unless another slot took it already. */
  #letGo(slot: number, shadow: number): void {
    const owner = this.#h.shadows.ownerOf(shadow);
    if (owner === -1 || owner === slot) this.#h.shadows.protect(shadow, this.#h.guard ? PROT_NONE : RW);
  }

  #setSlot(slot: number, prot: number): void {
    if (this.#slotProt[slot] === prot) return;
    this.#h.strategy.protect(slot, prot);
    this.#slotProt[slot] = prot;
    (this.#h.counters[C_PROT_CHANGES] as number)++;
  }

  // ------------------------------------------------------------------ accesses

  /** offset() / writeOffset() of a token under guard: the handle checked, then a load or store through the MMU. */
  offset(token: number, write: boolean): number {
    const slot = Math.floor(token / 2) % MAX_SLOTS;
    const idx = this.check(tokenGen(token), slot, 'access');
    return this.access(idx, currentCopyAddr(this.#h.shadows, this.#h.strategy, slot), write);
  }

  /**
   * A load or store through handle `idx` at virtual address `addr`, through the MMU: returns
   * the physical offset. A protection fault is the misuse it reveals — or, with write-fault
   * tracking, the first store to a clean working copy, which marks it dirty and is retried.
   */
  access(idx: number, addr: number, write: boolean): number {
    const proc = this.#h.proc;
    try {
      return proc.translate(addr, write);
    } catch (err) {
      if (!(err instanceof SegvError)) throw err;
      const slot = this.#hSlot[idx] as number;
      const sh = this.#h.shadows;
      if (write && err.siCode === SEGV_ACCERR && this.#h.writeFault && this.#hExcl[idx] === 1 && sh.work[slot] !== -1 &&
        sh.workDirty[slot] === 0) {
        sh.workDirty[slot] = 1;
        (this.#h.counters[C_WRITE_FAULTS] as number)++;
        this.#settleSlot(slot);
        return proc.translate(addr, write);
      }
      throw this.explain(err, idx);
    }
  }

  /**
   * The memory debugger's SIGSEGV handler: a fault at an address of the pool's pages becomes
   * a REMAPDB_POOL_MISUSE naming the page, the slot and its history; any other error is
   * returned as it is. `idx`: the handle the access went through, when known.
   */
  explain(err: unknown, idx = -1): unknown {
    if (!(err instanceof SegvError)) return err;
    const h = this.#h;
    const page = err.addr - (err.addr % this.#ps);
    let slot = idx >= 0 ? (this.#hSlot[idx] as number) : this.#slotAt(page);
    let copy = 'its page';
    // An address no slot has any more: a page evicted from it (multi-mmap unmapped it). A window
    // or frame address stays its slot's, so a stale pointer there is named by the slot's history.
    let evicted = -1;
    if (idx < 0) {
      for (let s = 0; s < this.#evictAddr.length; s++) {
        if (this.#evictAddr[s] === page && (slot < 0 || s === slot) && this.#lastAddr[s] !== page) {
          slot = s;
          evicted = this.#evictPage[s] as number;
          break;
        }
      }
    }
    if (slot < 0) {
      const s = h.shadows.slotOfAddr(err.addr);
      if (s >= 0) {
        slot = s;
        copy = 'a shadow copy of its page';
      }
    }
    if (slot < 0) return err;
    const pageId = idx >= 0 ? (this.#hPage[idx] as number) : evicted >= 0 ? evicted : (h.pageOf[slot] as number);
    let kind: MisuseKind;
    if (h.closed()) kind = 'after-close';
    else if (err.access === 'write' && (h.pins[slot] as number) > 0) {
      kind = idx >= 0 && this.#hExcl[idx] === 1 ? 'write-after-commit' : 'write-through-read-fix';
    } else if (h.pageOf[slot] !== pageId) kind = 'stale-after-eviction';
    else kind = 'unfixed-page';
    const why = {
      'after-close': 'the pool is closed',
      'write-after-commit': 'the exclusive fix\'s change was committed (its copy is logged and read-only); fix the page again to change it',
      'write-through-read-fix': 'the page is fixed for reading only',
      'stale-after-eviction': `page ${pageId} was evicted and slot ${slot} now holds page ${h.pageOf[slot]}`,
      'unfixed-page': 'no handle has the page fixed (an access after unfix through a kept address)',
    } as Record<MisuseKind, string>;
    return this.#error(kind, `${err.access} of page ${pageId} (slot ${slot}, ${copy} at 0x${err.addr.toString(16)}) ` +
      `faulted: ${why[kind]}`, slot, pageId, idx, err);
  }

  #misuse(idx: number, gen: number, slot: number, op: 'access' | 'unfix'): BufferPoolError {
    const h = this.#h;
    if (idx < 0) {
      return this.#error(h.closed() ? 'after-close' : 'unknown-handle', `${op} through handle #${gen} of slot ${slot}, which no ` +
        `live fix issued (forged, or older than the last ${HANDLES} fixes)${h.closed() ? '; the pool is closed' : ''}`,
      slot, h.pageOf[slot] ?? -1, -1, undefined);
    }
    const pageId = this.#hPage[idx] as number;
    const seq = this.#hSeq[idx] as number;
    let kind: MisuseKind;
    let why: string;
    if (h.closed()) {
      kind = 'after-close';
      why = 'the pool is closed';
    } else if (op === 'unfix') {
      kind = 'double-unfix';
      why = 'the handle was unfixed already';
    } else if (h.pageOf[slot] !== pageId) {
      kind = 'stale-after-eviction';
      why = `it was unfixed, page ${pageId} was evicted and slot ${slot} now holds ${(h.pageOf[slot] as number) < 0 ? 'nothing' : `page ${h.pageOf[slot]}`}`;
    } else {
      kind = 'use-after-unfix';
      why = 'it was unfixed';
    }
    return this.#error(kind, `${op === 'unfix' ? 'unfix' : 'access'} of page ${pageId} (slot ${slot}) through handle #${seq}: ${why}`,
      slot, pageId, seq, undefined);
  }

  #error(kind: MisuseKind, what: string, slot: number, pageId: number, handle: number, cause: unknown): BufferPoolError {
    const history = this.history(slot);
    return new BufferPoolError(POOL_ERROR_CODES.MISUSE, `guard: ${what}; slot ${slot} history, oldest first: ${history.join(', ') || 'none'}`,
      { ...(cause === undefined ? {} : { cause }), details: { kind, pageId, slot, handle, history } });
  }

  /** The slot's recent events, oldest first ("fix #12 shared page 42", "unfix #12", "evict page 42"). */
  history(slot: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < HISTORY; i++) {
      const at = slot * HISTORY + (((this.#evNext[slot] as number) + i) % HISTORY);
      const op = this.#evOp[at] as number;
      const seq = this.#evSeq[at] as number;
      const page = this.#evPage[at] as number;
      if (op === EV_LOAD) out.push(`load page ${page}`);
      else if (op === EV_FIX_SHARED) out.push(`fix #${seq} shared page ${page}`);
      else if (op === EV_FIX_EXCLUSIVE) out.push(`fix #${seq} exclusive page ${page}`);
      else if (op === EV_UNFIX) out.push(`unfix #${seq}`);
      else if (op === EV_EVICT) out.push(`evict page ${page}`);
    }
    return out;
  }

  /** The slot whose page is at `page` (a page-aligned address), or -1. */
  #slotAt(page: number): number {
    const ps = this.#ps;
    const win = this.#h.strategy.windowRange();
    if (win !== null) {
      const s = Math.floor((page - win.addr) / ps);
      return s >= 0 && s < win.pages ? s : -1;
    }
    for (let s = 0; s < this.#lastAddr.length; s++) if (this.#lastAddr[s] === page) return s;
    return -1;
  }
}
