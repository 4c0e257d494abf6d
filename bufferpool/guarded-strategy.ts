/**
 * GuardedStrategy: the strategy as guard mode (guard.ts) hands it to the pool. Owns no state
 * but the PageGuard it reports to.
 */

import type { PageGuard } from './guard.js';
import type { Strategy, StrategyName } from './strategies/index.js';

/**
 * The strategy under guard mode: every access the pool makes to a slot's
 * page itself (resolve, a pread into a frame, a pwrite out of it) opens the page first, and
 * loads bring pages in with the guard's protection. Everything else is the strategy's.
 */
export class GuardedStrategy implements Strategy {
  readonly name: StrategyName;
  readonly pinsOnFix: boolean;
  readonly copiesPages: boolean;
  readonly inner: Strategy;
  #guard: PageGuard | null = null;

  constructor(inner: Strategy) {
    this.inner = inner;
    this.name = inner.name;
    this.pinsOnFix = inner.pinsOnFix;
    this.copiesPages = inner.copiesPages;
  }

  attach(guard: PageGuard): void {
    this.#guard = guard;
  }

  get #g(): PageGuard {
    return this.#guard as PageGuard;
  }

  load(slot: number, pageId: number, prot: number): void {
    // pread copies into the frame from user space: it must be writable while it does.
    if (this.copiesPages) this.#g.open(slot, true);
    this.inner.load(slot, pageId, prot);
  }

  evict(slot: number, pageId: number, dirty: boolean): void {
    if (dirty && this.copiesPages) this.#g.open(slot, false);
    this.inner.evict(slot, pageId, dirty);
  }

  resolve(slot: number, write: boolean): number {
    this.#g.open(slot, write);
    return this.inner.resolve(slot, write);
  }

  resolveFixed(slot: number): number {
    return this.inner.resolveFixed(slot);
  }

  release(slot: number): void {
    this.inner.release(slot);
  }

  writeBack(slot: number, pageId: number): void {
    if (this.copiesPages) this.#g.open(slot, false);
    this.inner.writeBack(slot, pageId);
  }

  sync(): void {
    this.inner.sync();
  }

  protect(slot: number, prot: number): void {
    this.inner.protect(slot, prot);
  }

  slotAddr(slot: number): number {
    return this.inner.slotAddr(slot);
  }

  windowRange(): { addr: number; pages: number } | null {
    return this.inner.windowRange();
  }

  close(): void {
    this.inner.close();
  }
}
