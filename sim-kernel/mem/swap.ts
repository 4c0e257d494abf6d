/**
 * A swap device backed by a real host file (mm/swapfile.c, mm/swap_state.c).
 *
 * Owns: the slot map (swap_map: a use count per slot; slot 0 holds the header, as in
 * Linux, and is never handed out), the swap cache (slot → frame), the allocation cursor
 * (scan_swap_map's cluster cursor, simplified to next-fit), and real page I/O to the file.
 * Invariants (checked by Core.checkInvariants with the references it can see):
 *   1. useCount[slot] = PTEs holding the entry + tmpfs pages swapped to it + (1 if the
 *      slot is in the swap cache).
 *   2. cache[slot] >= 0 only for slots with useCount > 0; that frame has PG_SWAPCACHE
 *      and swapSlot[frame] === slot.
 *   3. freeCount = slots with useCount 0, slot 0 excluded.
 * The file is created lazily on first use and unlinked at once, so nothing is left
 * behind when the process dies.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { kassert } from '../errors.js';

let swapFileSeq = 0;

export class SwapDevice {
  readonly slotCount: number;
  readonly useCount: Uint16Array;
  readonly cache: Int32Array;
  readonly pageSize: number;
  readonly #path: string;
  #fd = -1;
  #cursor = 1;
  #free: number;

  constructor(swapBytes: number, pageSize: number, swapPath: string) {
    this.pageSize = pageSize;
    this.slotCount = Math.floor(swapBytes / pageSize);
    kassert(this.slotCount >= 2, 'a swap device needs a header slot and at least one data slot');
    this.useCount = new Uint16Array(this.slotCount);
    this.cache = new Int32Array(this.slotCount).fill(-1);
    this.useCount[0] = 1; // the header
    this.#free = this.slotCount - 1;
    this.#path = swapPath !== '' ? swapPath
      : path.join(os.tmpdir(), `remapdb-swap-${process.pid}-${++swapFileSeq}.img`);
  }

  get freeCount(): number {
    return this.#free;
  }

  /** Usable slots (the header excluded). */
  get totalSlots(): number {
    return this.slotCount - 1;
  }

  #open(): number {
    if (this.#fd >= 0) return this.#fd;
    const fd = fs.openSync(this.#path, 'w+', 0o600);
    fs.ftruncateSync(fd, this.slotCount * this.pageSize);
    // mkswap's header: the signature at the end of the first page.
    const sig = Buffer.from('SWAPSPACE2');
    fs.writeSync(fd, sig, 0, sig.length, this.pageSize - sig.length);
    try {
      fs.unlinkSync(this.#path);
    } catch {
      // a named swap file the caller manages may stay
    }
    this.#fd = fd;
    return fd;
  }

  /** get_swap_page: a free slot with use count 1, or -1 when swap is full. */
  alloc(): number {
    if (this.#free === 0) return -1;
    for (let i = 0; i < this.slotCount; i++) {
      const s = this.#cursor;
      this.#cursor = this.#cursor + 1 >= this.slotCount ? 1 : this.#cursor + 1;
      if (this.useCount[s] === 0) {
        this.useCount[s] = 1;
        this.#free--;
        return s;
      }
    }
    kassert(false, 'swap free count positive but no free slot found');
  }

  /** swap_duplicate: one more reference to the slot. */
  dup(slot: number): void {
    kassert(slot > 0 && (this.useCount[slot] as number) > 0, `swap_duplicate of free slot ${slot}`);
    (this.useCount[slot] as number)++;
  }

  /** swap_free: drop one reference; the slot is free at 0. */
  put(slot: number): void {
    kassert(slot > 0 && (this.useCount[slot] as number) > 0, `swap_free of free slot ${slot}`);
    (this.useCount[slot] as number)--;
    if (this.useCount[slot] === 0) {
      kassert(this.cache[slot] === -1, `slot ${slot} freed while in the swap cache`);
      this.#free++;
    }
  }

  writeSlot(slot: number, src: Uint8Array, offset: number): void {
    const fd = this.#open();
    let done = 0;
    while (done < this.pageSize) {
      done += fs.writeSync(fd, src, offset + done, this.pageSize - done, slot * this.pageSize + done);
    }
  }

  readSlot(slot: number, dst: Uint8Array, offset: number): void {
    const fd = this.#open();
    let done = 0;
    while (done < this.pageSize) {
      const n = fs.readSync(fd, dst, offset + done, this.pageSize - done, slot * this.pageSize + done);
      if (n === 0) {
        dst.fill(0, offset + done, offset + this.pageSize);
        return;
      }
      done += n;
    }
  }

  close(): void {
    if (this.#fd >= 0) fs.closeSync(this.#fd);
    this.#fd = -1;
  }
}
