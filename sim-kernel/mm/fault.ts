/**
 * Page faults and population: handle_mm_fault and its cases, and the populate half of
 * remap_file_pages (filemap_populate / shmem_populate, install_page / install_file_pte).
 *
 * Fault cases (mm/memory.c, 2.6.11):
 *   pte none, file VMA  → do_no_page: the page at the linear offset (minor from the
 *                          page cache, major when read from disk); a write to a private
 *                          mapping copies it (COW) into an anonymous page.
 *   pte none, anonymous → do_anonymous_page: a zeroed page.
 *   file PTE            → do_file_page: the page at the PTE's offset; 2.6.11 counts it major.
 *   present, write to a read-only PTE in a writable VMA → do_wp_page: shared → make
 *                          writable; private → reuse an exclusive anonymous page or copy.
 * Before any of that, do_page_fault's checks: no VMA → SEGV_MAPERR; access the VMA
 * does not allow → SEGV_ACCERR. A file page at or past EOF → SIGBUS; a failed read → SIGBUS.
 */

import { EV, VS } from '../accounting.js';
import {
  PTE_ACCESSED, PTE_DIRTY, PTE_PRESENT, PTE_RW, pfnOf, pteKind, swapOffset,
} from '../arch.js';
import { VM_EXEC, VM_NONLINEAR, VM_RAND_READ, VM_READ, VM_SEQ_READ, VM_SHARED, VM_WRITE } from '../constants.js';
import {
  BUS_ADRERR, BUS_OBJERR, BusError, KernelError, SEGV_ACCERR, SEGV_MAPERR, SegvError, kassert,
} from '../errors.js';
import { findPage, getPage } from '../fs/pagecache.js';
import { allocFrame, freeFrame } from '../mem/page-alloc.js';
import { PG_ANON, PG_SWAPCACHE } from '../mem/physmem.js';
import { addToSwapCache, deleteFromSwapCache, swapReadInto } from '../mem/swapcache.js';
import type { Mm } from './mm.js';
import { PT_ENOMEM } from './pagetable.js';
import type { Vma } from './vma.js';

/** Resolve a fault at addr so that the access can be retried. Throws the signal or ENOMEM. */
export function handleFault(mm: Mm, addr: number, write: boolean): void {
  const acct = mm.core.acct;
  const v = mm.findVma(addr);
  if (v === null || v.start > addr) {
    acct.count(VS.nr_sigsegv);
    throw new SegvError(SEGV_MAPERR, addr, write ? 'write' : 'read', 'no mapping at this address');
  }
  if (write ? (v.flags & VM_WRITE) === 0 : (v.flags & (VM_READ | VM_EXEC)) === 0) {
    acct.count(VS.nr_sigsegv);
    throw new SegvError(SEGV_ACCERR, addr, write ? 'write' : 'read',
      `the mapping at 0x${v.start.toString(16)} does not allow ${write ? 'writes' : 'reads'}`);
  }
  acct.count(VS.pgfault);
  const vpn = Math.floor(addr / mm.pageSize);
  const w = mm.ptePtrAlloc(vpn);
  if (w === PT_ENOMEM) throw oomSignal(mm, addr, 'a page table');
  const lo = mm.pteLo(w);
  const hi = mm.pteHi(w);
  switch (pteKind(lo, hi)) {
    case 'none':
      if (v.inode !== null) doNoPage(mm, v, addr, w, write, v.linearPgoff(vpn * mm.pageSize, mm.pageSize), false);
      else doAnonymousPage(mm, v, addr, w, write);
      return;
    case 'file': {
      // do_file_page: a nonlinear VMA's PTE says which page belongs here.
      const pgoff = (v.flags & VM_NONLINEAR) !== 0 ? mm.filePteOffset(w) : v.linearPgoff(vpn * mm.pageSize, mm.pageSize);
      acct.count(VS.nr_file_pte_faults);
      doNoPage(mm, v, addr, w, write, pgoff, true);
      return;
    }
    case 'swap':
      doSwapPage(mm, v, addr, w, write, swapOffset(mm.core.arch, lo, hi));
      return;
    case 'present':
      if (write && (lo & PTE_RW) === 0) doWpPage(mm, v, addr, w, lo, hi);
      else {
        // change_protection left a PROTNONE PTE the VMA now allows, or a spurious fault.
        mm.setPte(w, (lo & ~0xfff) | mm.protBits(v, (lo & PTE_RW) !== 0 || write) | PTE_ACCESSED | (lo & PTE_DIRTY), hi);
        acct.charge(EV.minorFault);
      }
      return;
  }
}

function oomSignal(mm: Mm, addr: number, what: string): KernelError {
  return mm.core.oom('page fault', `${what} for 0x${addr.toString(16)}`);
}

/** do_no_page / do_nonlinear_fault: map page `pgoff` of the VMA's file at addr. */
function doNoPage(mm: Mm, v: Vma, addr: number, w: number, write: boolean, pgoff: number, fromFilePte: boolean): void {
  const core = mm.core;
  const acct = core.acct;
  const inode = v.inode;
  kassert(inode !== null, 'doNoPage on an anonymous VMA');
  const sizePages = Math.ceil(inode.size / mm.pageSize);
  if (pgoff >= sizePages) {
    acct.count(VS.nr_sigbus);
    throw new BusError(BUS_ADRERR, addr, `page ${pgoff} of ${inode.path} is past end of file (${inode.size} bytes)`);
  }
  const wasCached = findPage(inode, pgoff) >= 0;
  // Readahead on linear faults only (do_no_page → filemap_nopage), off with MADV_RANDOM.
  let ra = 0;
  if (!fromFilePte && (v.flags & VM_RAND_READ) === 0) {
    ra = core.config.readaheadPages * ((v.flags & VM_SEQ_READ) !== 0 ? 2 : 1);
  }
  let f: number;
  try {
    f = getPage(core, inode, pgoff, 'page fault', ra);
  } catch (err) {
    if (err instanceof KernelError && err.code === 'ENOMEM') throw err;
    acct.count(VS.nr_sigbus);
    throw new BusError(BUS_OBJERR, addr, `reading page ${pgoff} of ${inode.path} failed: ${(err as Error).message}`);
  }
  const major = fromFilePte || (!wasCached && core.lastGetPageRead);
  if (major) {
    acct.charge(EV.majorFault);
    acct.count(VS.pgmajfault);
  } else {
    acct.charge(EV.minorFault);
  }
  if (write && (v.flags & VM_SHARED) === 0) {
    copyToAnon(mm, v, addr, w, f);
    return;
  }
  mm.mapPage(w, f, v, mm.protBits(v, (v.flags & VM_SHARED) !== 0) | PTE_ACCESSED | (write ? PTE_DIRTY : 0));
}

function doAnonymousPage(mm: Mm, v: Vma, addr: number, w: number, write: boolean): void {
  const core = mm.core;
  const f = allocFrame(core, PG_ANON, true);
  if (f < 0) throw oomSignal(mm, addr, 'an anonymous page');
  core.mem.refcount[f] = 0; // mapPage takes the mapping's reference
  core.mem.owner[f] = mm.id;
  core.mem.index[f] = Math.floor(addr / mm.pageSize);
  core.acct.charge(EV.zeroFill);
  mm.mapPage(w, f, v, mm.protBits(v, true) | PTE_ACCESSED | (write ? PTE_DIRTY : 0));
}

/** Private write: a new anonymous page with the old page's bytes replaces the PTE. */
function copyToAnon(mm: Mm, v: Vma, addr: number, w: number, src: number): void {
  const core = mm.core;
  const mem = core.mem;
  const f = allocFrame(core, PG_ANON, false);
  if (f < 0) throw oomSignal(mm, addr, 'a copy-on-write page');
  mem.refcount[f] = 0;
  mem.owner[f] = mm.id;
  const vpn = Math.floor(addr / mm.pageSize);
  mem.index[f] = vpn;
  mem.bytes.copyWithin(f * mm.pageSize, src * mm.pageSize, (src + 1) * mm.pageSize);
  core.acct.charge(EV.pageCopy);
  core.acct.count(VS.nr_cow_faults);
  mm.zapOne(w, vpn, v);
  mm.mapPage(w, f, v, mm.protBits(v, true) | PTE_ACCESSED | PTE_DIRTY);
}

/** do_wp_page: a write hit a present read-only PTE of a writable VMA. */
function doWpPage(mm: Mm, v: Vma, addr: number, w: number, lo: number, hi: number): void {
  const core = mm.core;
  const mem = core.mem;
  const f = pfnOf(core.arch, lo, hi);
  core.acct.charge(EV.minorFault);
  const exclusiveAnon = ((mem.flags[f] as number) & PG_ANON) !== 0 && mem.mapcount[f] === 1 && mem.pin[f] === 0;
  if (exclusiveAnon && ((mem.flags[f] as number) & PG_SWAPCACHE) !== 0) {
    // can_share_swap_page → remove_exclusive_swap_page: the copy in swap goes stale.
    deleteFromSwapCache(core, f);
  }
  if ((v.flags & VM_SHARED) !== 0 || exclusiveAnon) {
    mm.setPte(w, (lo | PTE_RW | PTE_DIRTY | PTE_ACCESSED | PTE_PRESENT) >>> 0, hi);
    mm.flushTlbPage(Math.floor(addr / mm.pageSize));
    return;
  }
  copyToAnon(mm, v, addr, w, f);
}

/**
 * do_swap_page: an anonymous page comes back from swap (from the swap cache if it is
 * still there: a minor fault; else read from the device: a major fault). A write fault
 * takes it out of the swap cache, since the copy on the device goes stale.
 */
function doSwapPage(mm: Mm, v: Vma, addr: number, w: number, write: boolean, slot: number): void {
  const core = mm.core;
  const mem = core.mem;
  const swap = core.swap;
  kassert(swap !== null, `swap PTE at 0x${addr.toString(16)} without a swap device`);
  let f = swap.cache[slot] as number;
  if (f >= 0) {
    core.acct.charge(EV.minorFault);
  } else {
    f = allocFrame(core, PG_ANON, false);
    if (f < 0) throw oomSignal(mm, addr, 'a page to swap in');
    mem.refcount[f] = 0;
    mem.owner[f] = mm.id;
    mem.index[f] = Math.floor(addr / mm.pageSize);
    const err = swapReadInto(core, slot, f);
    if (err !== null) {
      mem.refcount[f] = 0;
      freeFrame(core, f);
      core.acct.count(VS.nr_sigbus);
      throw new BusError(BUS_OBJERR, addr, `reading swap slot ${slot} failed (${err})`);
    }
    swap.dup(slot);
    addToSwapCache(core, f, slot);
    core.acct.charge(EV.majorFault);
    core.acct.count(VS.pgmajfault);
  }
  mm.setPte(w, 0, 0);
  swap.put(slot); // the PTE's reference
  mm.mapPage(w, f, v, mm.protBits(v, false) | PTE_ACCESSED);
  if (write) doWpPage(mm, v, addr, w, mm.pteLo(w), mm.pteHi(w));
}

/**
 * Populate [start, start + npages) of VMA v with file pages pgoff.. (install_page), or
 * with file PTEs for pages not in memory when nonblock (install_file_pte). The caller
 * has checked EOF. Throws ENOMEM on a failed allocation or read, leaving what was done
 * (no rollback, as 2.6).
 */
export function populate(mm: Mm, v: Vma, start: number, npages: number, pgoff: number, nonblock: boolean): void {
  const core = mm.core;
  const ps = mm.pageSize;
  const inode = v.inode;
  kassert(inode !== null, 'populate on an anonymous VMA');
  for (let i = 0; i < npages; i++) {
    const addr = start + i * ps;
    const vpn = addr / ps;
    const p = pgoff + i;
    const w = mm.ptePtrAlloc(vpn);
    if (w === PT_ENOMEM) throw new KernelError('ENOMEM', 'remap_file_pages', `no memory for a page table at 0x${addr.toString(16)}`);
    let f = findPage(inode, p);
    if (f < 0) {
      if (nonblock) {
        // Not cached and we may not read it now: a nonlinear VMA records the offset in a
        // file PTE; in a linear one the fault path finds the page by position anyway.
        if ((v.flags & VM_NONLINEAR) !== 0) mm.setFilePte(w, vpn, p, v);
        continue;
      }
      try {
        f = getPage(core, inode, p, 'remap_file_pages');
      } catch (err) {
        throw new KernelError('ENOMEM', 'remap_file_pages', `reading page ${p} of ${inode.path} failed`, { cause: err });
      }
    }
    const lo = mm.pteLo(w);
    if ((lo & PTE_PRESENT) !== 0 && pfnOf(core.arch, lo, mm.pteHi(w)) === f) continue; // already there
    mm.zapOne(w, vpn, v);
    mm.mapPage(w, f, v, mm.protBits(v, (v.flags & VM_SHARED) !== 0));
  }
}
