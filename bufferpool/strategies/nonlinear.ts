/**
 * Strategy `nonlinear`: one MAP_SHARED window of N slots over the database file; page
 * P comes into slot S with one remap_file_pages(window + S·page, page, 0, P, 0). A
 * replacement is just another remap: no munmap, no new VMA (on linux-2.6; on linux-4.0
 * the same call is the emulation, which pays a VMA per remap unless it merges).
 *
 * With mlock (default) the window is MAP_LOCKED: every page remapped in is populated
 * and mlocked, so its frame cannot move while it is in the window and a fix needs no
 * kernel pin. Without it, reclaim may take window pages (leaving file PTEs); a fix then
 * pins the page with get_user_pages and the next touch refaults the right page.
 * Checkpoint: msync(MS_SYNC) of the window moves PTE dirty bits to the page cache,
 * writes every dirty page of the file and fdatasyncs it.
 */

import { MAP_LOCKED, MAP_NOINHERIT, MAP_SHARED, MS_SYNC, PROT_READ, PROT_WRITE, type Process } from '../../sim-kernel/index.js';
import { SlotPins, type Strategy, type StrategyContext } from './strategy.js';

export class NonlinearStrategy implements Strategy {
  readonly name = 'nonlinear' as const;
  readonly pinsOnFix: boolean;
  readonly copiesPages = false;
  readonly #proc: Process;
  readonly #ps: number;
  readonly #window: number;
  readonly #slots: number;
  readonly #mlock: boolean;
  readonly #perPageProt: boolean;
  /** Physical offset of each slot's page while mlocked (frames cannot move), else -1. */
  readonly #frameOff: Float64Array;
  readonly #pins: SlotPins;

  constructor(ctx: StrategyContext) {
    this.#proc = ctx.proc;
    this.#ps = ctx.pageSize;
    this.#slots = ctx.slots;
    this.#mlock = ctx.mlock;
    this.#perPageProt = ctx.proc.core.config.perPageProt;
    this.pinsOnFix = !ctx.mlock;
    this.#window = ctx.proc.mmap(0, ctx.slots * ctx.pageSize, PROT_READ | PROT_WRITE,
      MAP_SHARED | (ctx.mlock ? MAP_LOCKED : 0), ctx.fd, 0);
    this.#frameOff = new Float64Array(ctx.slots).fill(-1);
    this.#pins = new SlotPins(ctx.proc, ctx.slots);
  }

  get window(): number {
    return this.#window;
  }

  load(slot: number, pageId: number, prot: number): void {
    const addr = this.#window + slot * this.#ps;
    const rw = PROT_READ | PROT_WRITE;
    // With the unmerged series (perPageProt) the page comes in with its own protection in
    // the same call; without it prot must be 0 (the VMA's), and guard mode mprotects after.
    if (prot !== rw && this.#perPageProt) this.#proc.remap_file_pages(addr, this.#ps, prot, pageId, MAP_NOINHERIT);
    else this.#proc.remap_file_pages(addr, this.#ps, 0, pageId, 0);
    if (this.#mlock) this.#frameOff[slot] = this.#proc.translate(addr, false);
    if (prot !== rw && !this.#perPageProt) this.protect(slot, prot);
  }

  /**
   * mprotect of one window page: with perPageProt its PTE changes and the window stays one
   * VMA (fremap-prot.ts, choice 5); without it Linux splits the window around the page.
   */
  protect(slot: number, prot: number): void {
    this.#proc.mprotect(this.#window + slot * this.#ps, this.#ps, prot);
  }

  evict(_slot: number, _pageId: number, _dirty: boolean): void {
    // Nothing to do: the next load remaps over the slot; a dirty PTE's bit moves to the
    // page cache then, and the kernel (or the checkpoint's msync) writes it.
  }

  resolve(slot: number, write: boolean): number {
    const addr = this.#window + slot * this.#ps;
    if (this.#mlock) {
      if (!write) return this.#frameOff[slot] as number;
      const off = this.#proc.translate(addr, true); // the MMU sets the PTE's dirty bit
      this.#frameOff[slot] = off;
      return off;
    }
    return this.#pins.pin(slot, addr, write);
  }

  resolveFixed(slot: number): number {
    return this.#mlock ? (this.#frameOff[slot] as number) : this.#pins.offset(slot);
  }

  release(slot: number): void {
    this.#pins.release(slot);
  }

  writeBack(_slot: number, _pageId: number): void {
    // The window's msync in sync() covers every slot at once.
  }

  sync(): void {
    this.#proc.msync(this.#window, this.#slots * this.#ps, MS_SYNC);
  }

  slotAddr(slot: number): number {
    return this.#window + slot * this.#ps;
  }

  windowRange(): { addr: number; pages: number } {
    return { addr: this.#window, pages: this.#slots };
  }

  close(): void {
    this.#proc.munmap(this.#window, this.#slots * this.#ps);
  }
}
