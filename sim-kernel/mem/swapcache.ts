/**
 * The swap cache of anonymous pages and page I/O to the swap device (mm/swap_state.c
 * add_to_swap_cache / delete_from_swap_cache / free_swap_and_cache, mm/page_io.c
 * swap_readpage / swap_writepage).
 *
 * Owns no state: the slot map and slot → frame cache live in SwapDevice (swap.ts), the
 * frame's slot in PhysMem.swapSlot; these functions keep the two sides together.
 * Invariants it keeps (checked by Core.checkInvariants; see also swap.ts):
 *   1. cache[slot] === f ⇔ swapSlot[f] === slot ⇔ f has PG_SWAPCACHE.
 *   2. A swap-cache page holds one reference on its slot and the slot one on the page
 *      (refcount = mapcount + pins + 1).
 * Transitions: addToSwapCache (reclaim's add_to_swap, or a swap-in) joins a frame and a
 *   slot; deleteFromSwapCache parts them and frees an unreferenced frame;
 *   freeSwapAndCache drops a PTE's slot reference and an unused swap-cache page with it.
 */

import { EV, VS } from '../accounting.js';
import type { Core } from '../core.js';
import { type ErrnoName, kassert } from '../errors.js';
import { freeFrame } from './page-alloc.js';
import { PG_SWAPCACHE } from './physmem.js';
import type { SwapDevice } from './swap.js';

/** Read a swap slot into frame f (real I/O, with injected faults); returns an errno or null. */
export function swapReadInto(core: Core, slot: number, f: number): ErrnoName | null {
  const swap = core.swap;
  kassert(swap !== null, 'swap-in without a swap device');
  if (core.faults.decide('swapRead', core.pageSize) !== 'ok') return 'EIO';
  try {
    swap.readSlot(slot, core.mem.bytes, f * core.pageSize);
  } catch {
    return 'EIO';
  }
  core.acct.charge(EV.swapIn);
  core.acct.count(VS.pswpin);
  return null;
}

/** Write frame f to a swap slot (real I/O, with injected faults); returns an errno or null. */
export function swapWriteFrom(core: Core, slot: number, f: number): ErrnoName | null {
  const swap = core.swap;
  kassert(swap !== null, 'swap-out without a swap device');
  const outcome = core.faults.decide('swapWrite', core.pageSize);
  if (outcome === 'EIO' || outcome === 'ENOSPC' || outcome === 'torn') return 'EIO';
  try {
    swap.writeSlot(slot, core.mem.bytes, f * core.pageSize);
  } catch {
    return 'EIO';
  }
  core.acct.charge(EV.swapOut);
  core.acct.count(VS.pswpout);
  return null;
}

/** add_to_swap_cache: the page takes a reference on the slot and the slot on the page. */
export function addToSwapCache(core: Core, f: number, slot: number): void {
  const swap = core.swap as SwapDevice;
  kassert(swap.cache[slot] === -1 && core.mem.swapSlot[f] === -1, `frame ${f} / slot ${slot} already in the swap cache`);
  swap.cache[slot] = f;
  core.mem.swapSlot[f] = slot;
  core.mem.flags[f] = (core.mem.flags[f] as number) | PG_SWAPCACHE;
  (core.mem.refcount[f] as number)++;
}

/** delete_from_swap_cache: drop both references; frees the frame if nothing else holds it. */
export function deleteFromSwapCache(core: Core, f: number): void {
  const swap = core.swap as SwapDevice;
  const slot = core.mem.swapSlot[f] as number;
  kassert(slot > 0 && swap.cache[slot] === f, `frame ${f} is not in the swap cache`);
  swap.cache[slot] = -1;
  core.mem.swapSlot[f] = -1;
  core.mem.flags[f] = (core.mem.flags[f] as number) & ~PG_SWAPCACHE;
  swap.put(slot);
  (core.mem.refcount[f] as number)--;
  if (core.mem.refcount[f] === 0) freeFrame(core, f);
}

/** free_swap_and_cache: a PTE's reference to a slot goes; an unused swap-cache page goes too. */
export function freeSwapAndCache(core: Core, slot: number): void {
  const swap = core.swap as SwapDevice;
  swap.put(slot);
  const f = swap.cache[slot] as number;
  if (f >= 0 && swap.useCount[slot] === 1 && core.mem.mapcount[f] === 0 && core.mem.pin[f] === 0) {
    deleteFromSwapCache(core, f);
  }
}
