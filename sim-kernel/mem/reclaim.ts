/**
 * Page reclaim and background write-back (mm/vmscan.c, mm/rmap.c, mm/page-writeback.c
 * as in 2.6): shrink_zone over the LRU lists by priority, shrink_list per page,
 * page_referenced (linear mappings only), try_to_unmap (anonymous, linear file, and the
 * nonlinear cluster scan), swap-out, and pdflush.
 *
 * The nonlinear case is the point (refs/linux-nonlinear.md §1.15–17): a page mapped in a
 * VM_NONLINEAR VMA cannot be found by offset, so try_to_unmap scans CLUSTER_SIZE PTEs at
 * a time from a per-VMA cursor, unmapping whatever it finds there (young PTEs are aged
 * and skipped), writing a file PTE where the offset is not the linear one, until it has
 * unmapped as many PTEs as the page had mappings. Locked VMAs are skipped; if every
 * nonlinear VMA is locked the page cannot be unmapped (SWAP_FAIL). page_referenced walks
 * only the linear tree, so nonlinear mappings never keep a page active.
 * A PROT_NONE PTE maps a page as much as any other (pte_present is PRESENT|PROTNONE), so
 * the scans unmap it too; with perPageProt the file PTE left behind keeps the page's
 * protection as well as its offset (save_nonlinear_pte / pgoff_prot_to_pte), and one is
 * written when either differs from the VMA's.
 * Work is counted (pgscan, pgsteal, pgrefill, pgscan_nonlinear_ptes) and charged.
 */

import { EV, VS } from '../accounting.js';
import { PTE_ACCESSED, PTE_PRESENT, PTE_PROTNONE, fileHi, fileLo, pfnOf, pteKind, swapHi, swapLo } from '../arch.js';
import { CLUSTER_SIZE, VM_LOCKED, VM_NONLINEAR } from '../constants.js';
import type { Core } from '../core.js';
import { kassert } from '../errors.js';
import { removeFromCache, writebackPage } from '../fs/pagecache.js';
import type { Mm } from '../mm/mm.js';
import { type Vma, savedPageProt, vmaPageProt } from '../mm/vma.js';
import {
  LRU_ACTIVE_ANON, LRU_ACTIVE_FILE, LRU_INACTIVE_ANON, LRU_INACTIVE_FILE, LRU_UNEVICTABLE,
} from './lru.js';
import { PG_ACTIVE, PG_ANON, PG_DIRTY, PG_PAGECACHE, PG_REFERENCED, PG_SWAPCACHE } from './physmem.js';
import { addToSwapCache, deleteFromSwapCache, swapWriteFrom } from './swapcache.js';

const SWAP_SUCCESS = 0;
const SWAP_AGAIN = 1;
const SWAP_FAIL = 2;
type UnmapResult = typeof SWAP_SUCCESS | typeof SWAP_AGAIN | typeof SWAP_FAIL;

/** DEF_PRIORITY: the first pass scans 1/4096 of each list, the last all of it. */
const DEF_PRIORITY = 12;

export function installReclaim(core: Core): void {
  core.reclaimHook = (want, direct) => shrinkZone(core, want, direct);
  core.writebackHook = () => pdflush(core);
}

/** try_to_free_pages / balance_pgdat: lower the priority until `want` pages are freed. */
export function shrinkZone(core: Core, want: number, direct: boolean): number {
  if (!direct) core.acct.count(VS.kswapd_runs);
  const lru = core.lru;
  let freed = 0;
  const canSwap = core.swap !== null && core.swap.freeCount > 0;
  for (let prio = DEF_PRIORITY; prio >= 0 && freed < want; prio--) {
    refill(core, LRU_ACTIVE_FILE, LRU_INACTIVE_FILE, ((lru.count[LRU_ACTIVE_FILE] as number) >> prio) + 1);
    if (canSwap) refill(core, LRU_ACTIVE_ANON, LRU_INACTIVE_ANON, ((lru.count[LRU_ACTIVE_ANON] as number) >> prio) + 1);
    freed += shrinkList(core, LRU_INACTIVE_FILE, ((lru.count[LRU_INACTIVE_FILE] as number) >> prio) + 1, want - freed);
    if (freed < want && (canSwap || core.swap !== null)) {
      freed += shrinkList(core, LRU_INACTIVE_ANON, ((lru.count[LRU_INACTIVE_ANON] as number) >> prio) + 1, want - freed);
    }
  }
  return freed;
}

/** shrink_active_list (refill_inactive_zone): age pages from the active tail. */
function refill(core: Core, active: number, inactive: number, n: number): void {
  const lru = core.lru;
  const mem = core.mem;
  for (let i = 0; i < n; i++) {
    const f = lru.tail[active] as number;
    if (f < 0) return;
    core.acct.count(VS.pgrefill);
    if ((mem.mapcount[f] as number) > 0 && pageReferenced(core, f) > 0) {
      lru.moveToHead(f, active);
      continue;
    }
    mem.flags[f] = (mem.flags[f] as number) & ~PG_ACTIVE;
    lru.moveToHead(f, inactive);
    core.acct.count(VS.pgdeactivate);
  }
}

function shrinkList(core: Core, list: number, n: number, want: number): number {
  let freed = 0;
  for (let i = 0; i < n && freed < want; i++) {
    const f = core.lru.tail[list] as number;
    if (f < 0) break;
    core.acct.count(VS.pgscan);
    if (shrinkPage(core, f, list)) {
      freed++;
      core.acct.count(VS.pgsteal);
      core.acct.charge(EV.reclaimPage);
    }
  }
  return freed;
}

function activate(core: Core, f: number, inactive: number): false {
  core.mem.flags[f] = (core.mem.flags[f] as number) | PG_ACTIVE;
  core.lru.moveToHead(f, inactive === LRU_INACTIVE_FILE ? LRU_ACTIVE_FILE : LRU_ACTIVE_ANON);
  core.acct.count(VS.pgactivate);
  return false;
}

function keep(core: Core, f: number, list: number): false {
  core.lru.moveToHead(f, list);
  core.acct.count(VS.pgrotated);
  return false;
}

/** shrink_list for one page from an inactive list's tail. Returns true when it was freed. */
function shrinkPage(core: Core, f: number, list: number): boolean {
  const mem = core.mem;
  if ((mem.mlock[f] as number) > 0) {
    core.lru.moveToHead(f, LRU_UNEVICTABLE);
    return false;
  }
  if ((mem.pin[f] as number) > 0) return keep(core, f, list);
  const fl = mem.flags[f] as number;
  const inode = (fl & PG_PAGECACHE) !== 0 ? core.vfs.inodes[mem.owner[f] as number] ?? null : null;
  let referenced = pageReferenced(core, f);
  if ((fl & PG_REFERENCED) !== 0) {
    referenced++;
    mem.flags[f] = (mem.flags[f] as number) & ~PG_REFERENCED;
  }
  const inUse = (mem.mapcount[f] as number) > 0 || (inode !== null && inode.mappingCount > 0);
  if (referenced > 0 && inUse) return activate(core, f, list);

  const anon = (fl & PG_ANON) !== 0;
  const swap = core.swap;
  if (anon && (fl & PG_SWAPCACHE) === 0) {
    if (swap === null) return activate(core, f, list);
    const slot = swap.alloc();
    if (slot < 0) {
      core.acct.count(VS.nr_swap_fail);
      return activate(core, f, list);
    }
    addToSwapCache(core, f, slot); // the slot's first reference is the swap cache's
    mem.flags[f] = (mem.flags[f] as number) | PG_DIRTY;
  }
  if ((mem.mapcount[f] as number) > 0) {
    const r = tryToUnmap(core, f);
    if (r === SWAP_FAIL) {
      core.acct.count(VS.nr_swap_fail);
      return activate(core, f, list);
    }
    if (r === SWAP_AGAIN) {
      core.acct.count(VS.nr_unmap_again);
      return keep(core, f, list);
    }
  }
  if ((mem.pin[f] as number) > 0) return keep(core, f, list);
  if (anon) {
    const slot = mem.swapSlot[f] as number;
    if (((mem.flags[f] as number) & PG_DIRTY) !== 0) {
      if (swapWriteFrom(core, slot, f) !== null) {
        core.acct.count(VS.nr_io_errors);
        return activate(core, f, list);
      }
      mem.flags[f] = (mem.flags[f] as number) & ~PG_DIRTY;
    }
    deleteFromSwapCache(core, f);
    return true;
  }
  kassert(inode !== null, `page-cache frame ${f} without an inode`);
  const pgoff = mem.index[f] as number;
  if (inode.kind === 'tmpfs') {
    // shmem_writepage: the page moves to swap behind the file.
    if (swap === null) return activate(core, f, list);
    const slot = swap.alloc();
    if (slot < 0) {
      core.acct.count(VS.nr_swap_fail);
      return activate(core, f, list);
    }
    if (swapWriteFrom(core, slot, f) !== null) {
      swap.put(slot);
      core.acct.count(VS.nr_io_errors);
      return activate(core, f, list);
    }
    mem.flags[f] = (mem.flags[f] as number) & ~PG_DIRTY;
    inode.dirty.delete(pgoff);
    removeFromCache(core, f);
    inode.swapped.set(pgoff, slot);
    return true;
  }
  if (((mem.flags[f] as number) & PG_DIRTY) !== 0 && !writebackPage(core, inode, pgoff, f)) {
    core.acct.count(VS.nr_io_errors);
    return activate(core, f, list);
  }
  removeFromCache(core, f);
  return true;
}

/** page_referenced: count and clear young bits — anonymous PTE, or linear file mappings only. */
export function pageReferenced(core: Core, f: number): number {
  const mem = core.mem;
  if ((mem.mapcount[f] as number) === 0) return 0;
  const fl = mem.flags[f] as number;
  if ((fl & PG_ANON) !== 0) {
    const mm = core.mms.get(mem.owner[f] as number);
    if (mm === undefined) return 0;
    return clearYoung(mm, mem.index[f] as number, f) ? 1 : 0;
  }
  const inode = core.vfs.inodes[mem.owner[f] as number];
  if (inode === null || inode === undefined) return 0;
  const pgoff = mem.index[f] as number;
  const ps = core.pageSize;
  let referenced = 0;
  for (const v of inode.iMmap) {
    if (v.mm === null || pgoff < v.pgoff || pgoff >= v.pgoff + (v.end - v.start) / ps) continue;
    core.acct.charge(EV.rmapScanPte);
    if (clearYoung(v.mm, (v.start + (pgoff - v.pgoff) * ps) / ps, f)) referenced++;
  }
  return referenced;
}

/** Present to the kernel (pte_present): PRESENT, or a PROT_NONE page. */
const MAPPED = PTE_PRESENT | PTE_PROTNONE;

/** ptep_clear_flush_young on the PTE at vpn if it maps frame f. */
function clearYoung(mm: Mm, vpn: number, f: number): boolean {
  const w = mm.ptePtrExisting(vpn);
  if (w < 0) return false;
  const lo = mm.pteLo(w);
  if ((lo & MAPPED) === 0 || (lo & PTE_ACCESSED) === 0) return false;
  if (pfnOf(mm.core.arch, lo, mm.pteHi(w)) !== f) return false;
  mm.setPte(w, (lo & ~PTE_ACCESSED) >>> 0, mm.pteHi(w));
  mm.flushTlbPage(vpn);
  return true;
}

/** try_to_unmap: take the page off every PTE that maps it. */
export function tryToUnmap(core: Core, f: number): UnmapResult {
  const mem = core.mem;
  if (((mem.flags[f] as number) & PG_ANON) !== 0) return unmapAnon(core, f);
  const inode = core.vfs.inodes[mem.owner[f] as number];
  kassert(inode !== null && inode !== undefined, `mapped cache frame ${f} without an inode`);
  const pgoff = mem.index[f] as number;
  const ps = core.pageSize;
  for (const v of inode.iMmap) {
    if (v.mm === null || pgoff < v.pgoff || pgoff >= v.pgoff + (v.end - v.start) / ps) continue;
    const mm = v.mm;
    const vpn = (v.start + (pgoff - v.pgoff) * ps) / ps;
    const w = mm.ptePtrExisting(vpn);
    core.acct.charge(EV.rmapScanPte);
    if (w < 0) continue;
    const lo = mm.pteLo(w);
    const hi = mm.pteHi(w);
    if ((lo & MAPPED) === 0 || pfnOf(core.arch, lo, hi) !== f) continue;
    if ((v.flags & VM_LOCKED) !== 0) return SWAP_FAIL;
    if ((lo & PTE_ACCESSED) !== 0) {
      clearYoung(mm, vpn, f);
      return SWAP_FAIL;
    }
    mm.setPte(w, 0, 0);
    mm.flushTlbPage(vpn);
    mm.unmapPresent(lo, hi, v);
    if (mem.mapcount[f] === 0) return SWAP_SUCCESS;
  }
  if (mem.mapcount[f] === 0) return SWAP_SUCCESS;
  return unmapNonlinear(core, f, inode.iMmapNonlinear);
}

function unmapAnon(core: Core, f: number): UnmapResult {
  const mem = core.mem;
  const mm = core.mms.get(mem.owner[f] as number);
  kassert(mm !== undefined, `anonymous frame ${f} of a dead address space`);
  const vpn = mem.index[f] as number;
  const w = mm.ptePtrExisting(vpn);
  kassert(w >= 0, `anonymous frame ${f} has no PTE at vpn ${vpn}`);
  const lo = mm.pteLo(w);
  const hi = mm.pteHi(w);
  // pte_present: a PROT_NONE page (mprotect) is present too, with _PAGE_PROTNONE instead of _PAGE_PRESENT.
  kassert(pteKind(lo, hi) === 'present' && pfnOf(core.arch, lo, hi) === f, `anonymous frame ${f} not at its PTE`);
  const v = mm.tree.findVma(vpn * core.pageSize);
  kassert(v !== null, `anonymous frame ${f} outside every VMA`);
  core.acct.charge(EV.rmapScanPte);
  if ((v.flags & VM_LOCKED) !== 0) return SWAP_FAIL;
  if ((lo & PTE_ACCESSED) !== 0) {
    clearYoung(mm, vpn, f);
    return SWAP_FAIL;
  }
  const slot = mem.swapSlot[f] as number;
  core.swap?.dup(slot);
  mm.setPte(w, swapLo(core.arch, 0, slot), swapHi(core.arch, 0, slot));
  mm.flushTlbPage(vpn);
  mm.unmapPresent(lo, hi, v);
  return SWAP_SUCCESS;
}

/**
 * The nonlinear half of try_to_unmap_file (2.6.11): scan clusters of CLUSTER_SIZE PTEs
 * from each unlocked nonlinear VMA's cursor, unmapping what is there, until as many PTEs
 * as the page had mappings were unmapped or every cursor went round once.
 */
function unmapNonlinear(core: Core, f: number, vmas: ReadonlySet<Vma>): UnmapResult {
  const mem = core.mem;
  const ps = core.pageSize;
  let maxNlSize = 0;
  for (const v of vmas) {
    if ((v.flags & VM_LOCKED) !== 0) continue;
    maxNlSize = Math.max(maxNlSize, (v.end - v.start) / ps);
  }
  if (maxNlSize === 0) return SWAP_FAIL; // every nonlinear mapping is locked
  let budget = mem.mapcount[f] as number;
  let maxCursor = Math.ceil(maxNlSize / CLUSTER_SIZE) * CLUSTER_SIZE;
  if (maxCursor === 0) maxCursor = CLUSTER_SIZE;
  while (maxCursor <= Math.ceil(maxNlSize / CLUSTER_SIZE) * CLUSTER_SIZE) {
    for (const v of vmas) {
      if ((v.flags & VM_LOCKED) !== 0 || v.mm === null) continue;
      const pages = (v.end - v.start) / ps;
      while (v.clusterCursor < maxCursor && v.clusterCursor < pages) {
        budget -= unmapCluster(core, v.mm, v, v.clusterCursor);
        v.clusterCursor += CLUSTER_SIZE;
        if (budget <= 0 || mem.mapcount[f] === 0) return mem.mapcount[f] === 0 ? SWAP_SUCCESS : SWAP_AGAIN;
      }
      v.clusterCursor = maxCursor;
    }
    maxCursor += CLUSTER_SIZE;
  }
  // Went round once without freeing the page (perhaps its PTEs are young): start over next time.
  for (const v of vmas) v.clusterCursor = 0;
  return mem.mapcount[f] === 0 ? SWAP_SUCCESS : SWAP_AGAIN;
}

/** try_to_unmap_cluster: unmap the old PTEs of one cluster; returns PTEs unmapped. */
function unmapCluster(core: Core, mm: Mm, v: Vma, cursorPages: number): number {
  const ps = core.pageSize;
  const mem = core.mem;
  const arch = core.arch;
  const first = v.start / ps + cursorPages;
  const end = Math.min(v.end / ps, first + CLUSTER_SIZE);
  let unmapped = 0;
  for (let vpn = first; vpn < end; vpn++) {
    const w = mm.ptePtrExisting(vpn);
    if (w < 0) {
      vpn = Math.min(end, (Math.floor(vpn / core.geo.entriesPerTable) + 1) * core.geo.entriesPerTable) - 1;
      continue;
    }
    core.acct.charge(EV.rmapScanPte);
    core.acct.count(VS.pgscan_nonlinear_ptes);
    const lo = mm.pteLo(w);
    if ((lo & MAPPED) === 0) continue;
    const hi = mm.pteHi(w);
    const g = pfnOf(arch, lo, hi);
    if ((lo & PTE_ACCESSED) !== 0) {
      clearYoung(mm, vpn, g); // aged, not unmapped
      continue;
    }
    if ((mem.pin[g] as number) > 0 || (mem.mlock[g] as number) > 0) continue;
    const pgoff = mem.index[g] as number;
    const pp = savedPageProt(v.flags, lo);
    if ((pgoff !== v.linearPgoff(vpn * ps, ps) || pp !== vmaPageProt(v.flags)) && (v.flags & VM_NONLINEAR) !== 0) {
      mm.setPte(w, fileLo(arch, pgoff, pp), fileHi(arch, pgoff));
      core.acct.count(VS.nr_file_ptes_written);
    } else {
      mm.setPte(w, 0, 0);
    }
    mm.flushTlbPage(vpn);
    mm.unmapPresent(lo, hi, v);
    unmapped++;
  }
  return unmapped;
}

/** pdflush (wb_kupdate): write back host-file pages dirty for longer than dirty_expire. */
export function pdflush(core: Core): void {
  const mem = core.mem;
  const deadline = core.acct.nowNs - core.config.dirtyExpireNs;
  for (const inode of core.vfs.inodes) {
    if (inode === null || inode.kind !== 'host' || inode.dirty.size === 0) continue;
    const old: number[] = [];
    for (const pgoff of inode.dirty) {
      const f = inode.pages.get(pgoff);
      if (f !== undefined && (mem.dirtiedAtNs[f] as number) <= deadline) old.push(pgoff);
    }
    old.sort((a, b) => a - b);
    for (const pgoff of old) {
      const f = inode.pages.get(pgoff) as number;
      if (writebackPage(core, inode, pgoff, f)) core.acct.count(VS.pdflush_pages);
      else core.acct.count(VS.nr_io_errors);
    }
  }
}
