/**
 * mem/: physical memory (Linux mm/page_alloc.c, mm/swap.c, mm/vmscan.c, mm/swapfile.c,
 * mm/swap_state.c): the frame table, frame allocation and LRU placement, the LRU lists,
 * page reclaim and pdflush, the swap device and the swap cache. Owns no state here;
 * each module states its own invariants.
 */

export {
  LRU_ACTIVE_ANON, LRU_ACTIVE_FILE, LRU_COUNT, LRU_INACTIVE_ANON, LRU_INACTIVE_FILE, LRU_NAMES, LRU_UNEVICTABLE, Lru,
} from './lru.js';
export {
  allocFrame, evictableList, freeFrame, markAccessed, mlockPage, moveToAnonLru, munlockPage,
} from './page-alloc.js';
export {
  PG_ACTIVE, PG_ANON, PG_DIRTY, PG_ERROR, PG_KIND_MASK, PG_LRU, PG_MLOCKED, PG_PAGECACHE, PG_PAGETABLE, PG_REFERENCED,
  PG_SWAPBACKED, PG_SWAPCACHE, PG_UPTODATE, PG_WRITEBACK, PhysMem,
} from './physmem.js';
export { installReclaim, pageReferenced, pdflush, shrinkZone, tryToUnmap } from './reclaim.js';
export { SwapDevice } from './swap.js';
export { addToSwapCache, deleteFromSwapCache, freeSwapAndCache, swapReadInto, swapWriteFrom } from './swapcache.js';
