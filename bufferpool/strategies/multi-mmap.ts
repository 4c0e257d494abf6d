/**
 * Strategy `multi-mmap` (baseline): each resident page is its own one-page MAP_SHARED
 * mapping at an address the kernel picks; eviction is munmap. Every resident page costs
 * a VMA (neighbours may merge when the kernel places file-contiguous pages adjacently),
 * so the pool meets vm.max_map_count: a pool whose slots cannot fit under it is refused
 * at open, and an ENOMEM at run time is reported with the VMA count.
 * Checkpoint: msync(MS_ASYNC) of each dirty mapping moves its PTE dirty bit to the page
 * cache (2.6's fsync does not look at PTEs), then fdatasync writes and flushes.
 */

import { KernelError, MAP_SHARED, MS_ASYNC, type Process } from '../../sim-kernel/index.js';
import { SlotPins, type Strategy, type StrategyContext } from './strategy.js';
import { BufferPoolError, POOL_ERROR_CODES } from '../types.js';

/** VMAs a process needs besides the pool's (the shadow region, a little headroom). */
const OTHER_VMAS = 8;

export class MultiMmapStrategy implements Strategy {
  readonly name = 'multi-mmap' as const;
  readonly pinsOnFix = true;
  readonly copiesPages = false;
  readonly #proc: Process;
  readonly #fd: number;
  readonly #ps: number;
  readonly #addr: Float64Array;
  readonly #pins: SlotPins;

  constructor(ctx: StrategyContext) {
    const max = ctx.proc.core.config.maxMapCount;
    const have = ctx.proc.mm.mapCount;
    if (ctx.slots + have + OTHER_VMAS > max + 1) {
      throw new BufferPoolError(POOL_ERROR_CODES.CONFIG,
        `multi-mmap pool of ${ctx.slots} slots needs up to ${ctx.slots + have + OTHER_VMAS} VMAs, but vm.max_map_count is ${max}; ` +
        'use fewer slots, raise kernel.maxMapCount, or use the nonlinear strategy (one VMA)',
        { details: { slots: ctx.slots, maxMapCount: max, vmasInUse: have } });
    }
    this.#proc = ctx.proc;
    this.#fd = ctx.fd;
    this.#ps = ctx.pageSize;
    this.#addr = new Float64Array(ctx.slots).fill(-1);
    this.#pins = new SlotPins(ctx.proc, ctx.slots);
  }

  load(slot: number, pageId: number, prot: number): void {
    try {
      this.#addr[slot] = this.#proc.mmap(0, this.#ps, prot, MAP_SHARED, this.#fd, pageId * this.#ps);
    } catch (err) {
      if (err instanceof KernelError && err.code === 'ENOMEM') {
        throw new BufferPoolError(POOL_ERROR_CODES.KERNEL,
          `multi-mmap: mmap of page ${pageId} failed with ENOMEM at ${this.#proc.mm.mapCount} VMAs ` +
          `(vm.max_map_count ${this.#proc.core.config.maxMapCount})`, { cause: err, details: { vmas: this.#proc.mm.mapCount } });
      }
      throw err;
    }
  }

  evict(slot: number, _pageId: number, _dirty: boolean): void {
    this.#proc.munmap(this.#addr[slot] as number, this.#ps);
    this.#addr[slot] = -1;
  }

  resolve(slot: number, write: boolean): number {
    return this.#pins.pin(slot, this.#addr[slot] as number, write);
  }

  resolveFixed(slot: number): number {
    return this.#pins.offset(slot);
  }

  release(slot: number): void {
    this.#pins.release(slot);
  }

  writeBack(slot: number, _pageId: number): void {
    this.#proc.msync(this.#addr[slot] as number, this.#ps, MS_ASYNC);
  }

  sync(): void {
    this.#proc.fdatasync(this.#fd);
  }

  protect(slot: number, prot: number): void {
    // The page is its own VMA: the VMA's protection changes (it may merge with a neighbour, or split from one).
    this.#proc.mprotect(this.#addr[slot] as number, this.#ps, prot);
  }

  slotAddr(slot: number): number {
    return this.#addr[slot] as number;
  }

  windowRange(): null {
    return null;
  }

  close(): void {
    for (let s = 0; s < this.#addr.length; s++) {
      if ((this.#addr[s] as number) >= 0) this.evict(s, -1, false);
    }
  }
}
