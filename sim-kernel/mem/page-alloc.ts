/**
 * Frame allocation and the LRU placement of page frames (mm/page_alloc.c __alloc_pages,
 * mm/swap.c lru_cache_add / mark_page_accessed, mm/mlock.c 2.6.28's mlock_vma_page).
 *
 * Owns no state: it works on the machine's PhysMem and Lru through `core`, and wakes
 * kswapd (core.kswapdWanted) or reclaims directly (core.reclaimHook) under pressure.
 * Invariants it keeps (checked by Core.checkInvariants):
 *   1. A page-cache or anonymous frame is on exactly one LRU list from allocFrame until
 *      freeFrame; page-table frames are on none.
 *   2. mlock[f] > 0 ⇔ PG_MLOCKED ⇔ the frame is on LRU_UNEVICTABLE.
 * Transitions: allocFrame free → used (file pages inactive, anonymous active); freeFrame
 *   used → free; mlockPage evictable → unevictable (first lock); munlockPage back (last
 *   unlock); markAccessed inactive → active on the second reference.
 */

import { VS } from '../accounting.js';
import { SWAP_CLUSTER_MAX } from '../constants.js';
import type { Core } from '../core.js';
import { kassert } from '../errors.js';
import {
  LRU_ACTIVE_ANON, LRU_ACTIVE_FILE, LRU_INACTIVE_ANON, LRU_INACTIVE_FILE, LRU_UNEVICTABLE,
} from './lru.js';
import { PG_ACTIVE, PG_ANON, PG_MLOCKED, PG_PAGECACHE, PG_REFERENCED } from './physmem.js';

/**
 * __alloc_pages: take a free frame. Below the low watermark kswapd is woken; at the
 * min watermark the allocation reclaims directly (try_to_free_pages), and fails (-1,
 * the caller reports OOM) only when reclaim frees nothing. Page-cache and anonymous
 * pages join the LRU (file pages inactive, anonymous active, as lru_cache_add[_active]).
 */
export function allocFrame(core: Core, kind: number, zero: boolean): number {
  const mem = core.mem;
  const cfg = core.config;
  if (mem.freeCount <= cfg.watermarkLowPages) core.kswapdWanted = true;
  if (mem.freeCount <= cfg.watermarkMinPages && core.reclaimHook !== null && !core.inBackground) {
    core.acct.count(VS.allocstall);
    core.reclaimHook(SWAP_CLUSTER_MAX, true);
  }
  let f = mem.alloc(kind, zero);
  if (f < 0 && core.reclaimHook !== null) {
    core.reclaimHook(SWAP_CLUSTER_MAX, true);
    f = mem.alloc(kind, zero);
  }
  if (f < 0) {
    core.acct.count(VS.nr_oom);
    return -1;
  }
  core.acct.count(VS.pgalloc);
  if ((kind & PG_PAGECACHE) !== 0) core.lru.add(f, LRU_INACTIVE_FILE);
  else if ((kind & PG_ANON) !== 0) {
    mem.flags[f] = (mem.flags[f] as number) | PG_ACTIVE;
    core.lru.add(f, LRU_ACTIVE_ANON);
  }
  return f;
}

/** A tmpfs page is swap-backed: it belongs on the anonymous lists. */
export function moveToAnonLru(core: Core, f: number): void {
  core.lru.remove(f);
  core.lru.add(f, LRU_INACTIVE_ANON);
}

export function freeFrame(core: Core, f: number): void {
  core.lru.remove(f);
  core.mem.free(f);
  core.acct.count(VS.pgfree);
}

/** A page gains a mapping from a VM_LOCKED VMA: it is mlocked and unevictable. */
export function mlockPage(core: Core, f: number): void {
  const mem = core.mem;
  if ((mem.mlock[f] as number)++ === 0) {
    mem.flags[f] = (mem.flags[f] as number) | PG_MLOCKED;
    core.lru.moveToHead(f, LRU_UNEVICTABLE);
    core.acct.count(VS.nr_mlock_pages);
  }
}

/** A mapping from a VM_LOCKED VMA goes; the last one returns the page to its LRU. */
export function munlockPage(core: Core, f: number): void {
  const mem = core.mem;
  kassert((mem.mlock[f] as number) > 0, `munlock of frame ${f} that is not mlocked`);
  if (--(mem.mlock[f] as number) === 0) {
    mem.flags[f] = (mem.flags[f] as number) & ~(PG_MLOCKED | PG_ACTIVE);
    core.lru.moveToHead(f, evictableList(core, f));
    core.acct.count(VS.nr_munlock_pages);
  }
}

export function evictableList(core: Core, f: number): number {
  const fl = core.mem.flags[f] as number;
  if ((fl & PG_ANON) !== 0) return LRU_INACTIVE_ANON;
  const inode = core.vfs.inodes[core.mem.owner[f] as number];
  return inode !== null && inode !== undefined && inode.kind === 'tmpfs' ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;
}

/** mark_page_accessed: a second access to an inactive page activates it. */
export function markAccessed(core: Core, f: number): void {
  const mem = core.mem;
  const fl = mem.flags[f] as number;
  const l = core.lru.list[f] as number;
  if ((fl & PG_REFERENCED) !== 0 && (l === LRU_INACTIVE_FILE || l === LRU_INACTIVE_ANON)) {
    mem.flags[f] = (fl & ~PG_REFERENCED) | PG_ACTIVE;
    core.lru.moveToHead(f, l === LRU_INACTIVE_FILE ? LRU_ACTIVE_FILE : LRU_ACTIVE_ANON);
    core.acct.count(VS.pgactivate);
  } else {
    mem.flags[f] = fl | PG_REFERENCED;
  }
}
