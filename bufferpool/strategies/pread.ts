/**
 * Strategy `pread` (baseline, the PostgreSQL / InnoDB design): frames in one anonymous
 * private mapping; a miss copies the page in with pread, write-back copies it out with
 * pwrite. Every page is cached twice — in the frame and in the kernel's page cache —
 * and the frames are ordinary anonymous memory that may swap under pressure, so each
 * fix pins its frame (get_user_pages) while the caller works on it.
 */

import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, type Process } from '../../sim-kernel/index.js';
import { SlotPins, type Strategy, type StrategyContext } from './strategy.js';

export class PreadStrategy implements Strategy {
  readonly name = 'pread' as const;
  readonly pinsOnFix = true;
  readonly copiesPages = true;
  readonly #proc: Process;
  readonly #fd: number;
  readonly #ps: number;
  readonly #frames: number;
  readonly #slots: number;
  readonly #pins: SlotPins;

  constructor(ctx: StrategyContext) {
    this.#proc = ctx.proc;
    this.#fd = ctx.fd;
    this.#ps = ctx.pageSize;
    this.#slots = ctx.slots;
    this.#frames = ctx.proc.mmap(0, ctx.slots * ctx.pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    this.#pins = new SlotPins(ctx.proc, ctx.slots);
  }

  #view(frame: number): Uint8Array {
    return this.#proc.physBytes.subarray(frame * this.#ps, (frame + 1) * this.#ps);
  }

  load(slot: number, pageId: number, prot: number): void {
    // Pin the frame across the copy: pread allocates page-cache pages and may reclaim.
    const f = this.#proc.pinPage(this.#frames + slot * this.#ps, true);
    try {
      const dst = this.#view(f);
      const n = this.#proc.pread(this.#fd, dst, pageId * this.#ps);
      if (n < this.#ps) dst.fill(0, n);
    } finally {
      this.#proc.unpinPage(f, false);
    }
    if (prot !== (PROT_READ | PROT_WRITE)) this.protect(slot, prot);
  }

  evict(slot: number, pageId: number, dirty: boolean): void {
    if (dirty) this.writeBack(slot, pageId);
  }

  resolve(slot: number, write: boolean): number {
    return this.#pins.pin(slot, this.#frames + slot * this.#ps, write);
  }

  resolveFixed(slot: number): number {
    return this.#pins.offset(slot);
  }

  release(slot: number): void {
    this.#pins.release(slot);
  }

  writeBack(slot: number, pageId: number): void {
    const f = this.#proc.pinPage(this.#frames + slot * this.#ps, false);
    try {
      this.#proc.pwrite(this.#fd, this.#view(f), pageId * this.#ps);
    } finally {
      this.#proc.unpinPage(f, false);
    }
  }

  sync(): void {
    this.#proc.fdatasync(this.#fd);
  }

  /**
   * The frames are one anonymous private VMA: mprotect of one frame splits it where the
   * protection changes (neighbours with equal protection merge back), as Linux does.
   */
  protect(slot: number, prot: number): void {
    this.#proc.mprotect(this.#frames + slot * this.#ps, this.#ps, prot);
  }

  slotAddr(slot: number): number {
    return this.#frames + slot * this.#ps;
  }

  windowRange(): null {
    return null;
  }

  close(): void {
    this.#proc.munmap(this.#frames, this.#slots * this.#ps);
  }
}
