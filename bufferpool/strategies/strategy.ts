/**
 * How a strategy makes a slot's page addressable. The pool (pool.ts) owns everything
 * else — slots, pins, dirty state, shadows, the WAL rule, eviction choice — and calls
 * these methods; each strategy file implements them with real system calls on the
 * simulated kernel.
 */

import type { Process } from '../../sim-kernel/index.js';

/** The strategies by name: the one definition of this vocabulary (index.ts exports it). */
export type StrategyName = 'nonlinear' | 'multi-mmap' | 'pread';
export const STRATEGY_NAMES: readonly StrategyName[] = ['nonlinear', 'multi-mmap', 'pread'];

export interface Strategy {
  readonly name: StrategyName;
  /** Whether a fix needs a kernel pin (get_user_pages) to keep the frame in place. */
  readonly pinsOnFix: boolean;
  /**
   * Whether pages are copied between the pool's own frames and the file (pread in, pwrite
   * out): evicting a dirty page writes it back now (the pool counts a write-back), and
   * every miss is a pread. A mapping strategy leaves an evicted dirty page to the kernel's
   * page cache instead (written by a later flush's sync or by the kernel's write-back).
   */
  readonly copiesPages: boolean;
  /**
   * Make page `pageId` the content of empty slot `slot`, mapped with protection `prot`
   * (PROT_READ | PROT_WRITE unless guard mode asks for less: guard.ts).
   */
  load(slot: number, pageId: number, prot: number): void;
  /** Slot `slot` stops holding `pageId`; its change, if any, is already installed (dirty = newer than the file). */
  evict(slot: number, pageId: number, dirty: boolean): void;
  /**
   * Physical byte offset of the slot's page in the kernel's RAM. With pinsOnFix the
   * frame is pinned (release() undoes it); `write` makes the MMU set the dirty bit.
   */
  resolve(slot: number, write: boolean): number;
  /** Physical offset of a fixed slot's page, as the fix's resolve() found it (no pin change). */
  resolveFixed(slot: number): number;
  /** Undo the pin resolve() took (pinsOnFix strategies). */
  release(slot: number): void;
  /** Start writing the slot's installed change to the data file (part of a flush). */
  writeBack(slot: number, pageId: number): void;
  /** Make everything written back durable in the data file. */
  sync(): void;
  /** mprotect the slot's page (guard mode, guard.ts): a page's protection, not its VMA's, where the kernel has perPageProt. */
  protect(slot: number, prot: number): void;
  /** Virtual address of the slot's page, or -1 when it has none (for PTE state). */
  slotAddr(slot: number): number;
  /** The one window all slots live in (nonlinear), or null when slots have no common mapping. */
  windowRange(): { addr: number; pages: number } | null;
  close(): void;
}

export interface StrategyContext {
  proc: Process;
  fd: number;
  slots: number;
  pageSize: number;
  mlock: boolean;
}

/**
 * The frame each slot's fixes pinned (get_user_pages): every pin of one slot holds the
 * same frame, since a pinned page cannot move, so one frame per slot is enough.
 */
export class SlotPins {
  readonly #proc: Process;
  readonly #ps: number;
  readonly #frame: Int32Array;

  constructor(proc: Process, slots: number) {
    this.#proc = proc;
    this.#ps = proc.pageSize;
    this.#frame = new Int32Array(slots).fill(-1);
  }

  /** Pin the page at addr for slot; returns its physical byte offset. */
  pin(slot: number, addr: number, write: boolean): number {
    const f = this.#proc.pinPage(addr, write);
    this.#frame[slot] = f;
    return f * this.#ps;
  }

  /** Physical byte offset of the slot's pinned page. */
  offset(slot: number): number {
    return (this.#frame[slot] as number) * this.#ps;
  }

  release(slot: number): void {
    this.#proc.unpinPage(this.#frame[slot] as number, false);
  }
}
