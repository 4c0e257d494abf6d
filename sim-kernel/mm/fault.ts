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
 *
 * VM_NONUNIFORM VMAs (perPageProt; the 2005 series' "rfp-fault-sigsegv" patches): the
 * VMA's protection says nothing about a page, so the VMA check is skipped and the
 * protection is the PTE's — a present PTE's bits, a file PTE's saved protection
 * (pte_file_to_pgprot), or the VMA's for a none PTE. An access it does not allow is
 * SIGSEGV SEGV_ACCERR, exactly as a VMA-level refusal; pages are faulted in with their
 * exact protection. `force` (make_pages_present for mlock/MAP_LOCKED) faults a page in
 * whatever its protection, as get_user_pages does for a PROT_NONE page.
 */

import { EV, VS } from '../accounting.js';
import {
  type PageProt, PP_NONE, PTE_ACCESSED, PTE_DIRTY, PTE_PRESENT, PTE_RW, fileProt, pfnOf, ppAllows, ppOfPresent,
  ppPresentBits, pteKind, swapOffset,
} from '../arch.js';
import {
  VM_EXEC, VM_NONLINEAR, VM_NONUNIFORM, VM_RAND_READ, VM_READ, VM_SEQ_READ, VM_SHARED, VM_WRITE,
} from '../constants.js';
import {
  BUS_ADRERR, BUS_OBJERR, BusError, KernelError, SEGV_ACCERR, SEGV_MAPERR, SegvError, kassert,
} from '../errors.js';
import { findPage, getPage } from '../fs/pagecache.js';
import { allocFrame, freeFrame } from '../mem/page-alloc.js';
import { PG_ANON, PG_SWAPCACHE } from '../mem/physmem.js';
import { addToSwapCache, deleteFromSwapCache, swapReadInto } from '../mem/swapcache.js';
import type { Mm } from './mm.js';
import { PT_ENOMEM } from './pagetable.js';
import { type Vma, vmaPageProt } from './vma.js';

/** Resolve a fault at addr so that the access can be retried. Throws the signal or ENOMEM. */
export function handleFault(mm: Mm, addr: number, write: boolean, force = false): void {
  const acct = mm.core.acct;
  const v = mm.findVma(addr);
  if (v === null || v.start > addr) {
    acct.count(VS.nr_sigsegv);
    acct.charge(EV.signalDeliver);
    throw new SegvError(SEGV_MAPERR, addr, write ? 'write' : 'read', 'no mapping at this address');
  }
  const nonuniform = (v.flags & VM_NONUNIFORM) !== 0;
  if (!nonuniform && (write ? (v.flags & VM_WRITE) === 0 : (v.flags & (VM_READ | VM_EXEC)) === 0)) {
    acct.count(VS.nr_sigsegv);
    acct.charge(EV.signalDeliver);
    throw new SegvError(SEGV_ACCERR, addr, write ? 'write' : 'read',
      `the mapping at 0x${v.start.toString(16)} does not allow ${write ? 'writes' : 'reads'}`);
  }
  acct.count(VS.pgfault);
  const vpn = Math.floor(addr / mm.pageSize);
  const w = mm.ptePtrAlloc(vpn);
  if (w === PT_ENOMEM) throw oomSignal(mm, addr, 'a page table');
  const lo = mm.pteLo(w);
  const hi = mm.pteHi(w);
  const kind = pteKind(lo, hi);
  let pp: PageProt = PP_NONE;
  if (nonuniform) {
    pp = kind === 'present' ? ppOfPresent(lo) : kind === 'file' ? fileProt(mm.core.arch, lo) as PageProt : vmaPageProt(v.flags);
    if (!force && !ppAllows(pp, write)) {
      acct.count(VS.nr_sigsegv);
      acct.charge(EV.signalDeliver);
      throw new SegvError(SEGV_ACCERR, addr, write ? 'write' : 'read', `the page at 0x${(vpn * mm.pageSize).toString(16)} is ` +
        `${PP_TEXT[pp]} (a per-page protection in the nonuniform mapping at 0x${v.start.toString(16)}) and does not allow ` +
        `${write ? 'writes' : 'reads'}`);
    }
  }
  // The low PTE flags a page comes in with: its own protection in a nonuniform VMA, else vm_page_prot.
  const bits = nonuniform ? ppPresentBits(pp) : mm.protBits(v, (v.flags & VM_SHARED) !== 0);
  switch (kind) {
    case 'none':
      if (v.inode !== null) doNoPage(mm, v, addr, w, write, v.linearPgoff(vpn * mm.pageSize, mm.pageSize), false, bits);
      else doAnonymousPage(mm, v, addr, w, write);
      return;
    case 'file': {
      // do_file_page: a nonlinear VMA's PTE says which page belongs here.
      const pgoff = (v.flags & VM_NONLINEAR) !== 0 ? mm.filePteOffset(w) : v.linearPgoff(vpn * mm.pageSize, mm.pageSize);
      acct.count(VS.nr_file_pte_faults);
      doNoPage(mm, v, addr, w, write, pgoff, true, bits);
      return;
    }
    case 'swap':
      doSwapPage(mm, v, addr, w, write, swapOffset(mm.core.arch, lo, hi));
      return;
    case 'present':
      if (nonuniform) {
        // The PTE allows this access (checked above): a stale translation; keep its protection.
        mm.setPte(w, (lo | (pp === PP_NONE ? 0 : PTE_ACCESSED) | (write ? PTE_DIRTY : 0)) >>> 0, hi);
        acct.charge(EV.minorFault);
      } else if (write && (lo & PTE_RW) === 0) doWpPage(mm, v, addr, w, lo, hi);
      else {
        // change_protection left a PROTNONE PTE the VMA now allows, or a spurious fault.
        mm.setPte(w, (lo & ~0xfff) | mm.protBits(v, (lo & PTE_RW) !== 0 || write) | PTE_ACCESSED | (lo & PTE_DIRTY), hi);
        acct.charge(EV.minorFault);
      }
      return;
  }
}

/** How a SIGSEGV message names a page protection. */
const PP_TEXT: Readonly<Record<PageProt, string>> = { 0: 'PROT_NONE', 1: 'read-only', 3: 'read-write' };

/** make_pages_present's fault for one page of a nonuniform VMA: in with its own protection, whatever it is. */
export function faultInForce(mm: Mm, addr: number): void {
  const w = mm.ptePtrExisting(Math.floor(addr / mm.pageSize));
  if (w >= 0 && pteKind(mm.pteLo(w), mm.pteHi(w)) === 'present') return;
  handleFault(mm, addr, false, true);
}

function oomSignal(mm: Mm, addr: number, what: string): KernelError {
  return mm.core.oom('page fault', `${what} for 0x${addr.toString(16)}`);
}

/** do_no_page / do_nonlinear_fault: map page `pgoff` of the VMA's file at addr, with low PTE flags `bits`. */
function doNoPage(mm: Mm, v: Vma, addr: number, w: number, write: boolean, pgoff: number, fromFilePte: boolean, bits: number): void {
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
  mm.mapPage(w, f, v, bits | PTE_ACCESSED | (write ? PTE_DIRTY : 0));
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
      core.acct.charge(EV.signalDeliver);
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
 * with file PTEs for pages not in memory when nonblock (install_file_pte), each with
 * protection pp (the VMA's, or remap_file_pages' own with MAP_NOINHERIT). The caller has
 * checked EOF. Throws ENOMEM on a failed allocation or read, leaving what was done (no
 * rollback, as 2.6).
 */
export function populate(mm: Mm, v: Vma, start: number, npages: number, pgoff: number, nonblock: boolean,
  pp: PageProt = vmaPageProt(v.flags)): void {
  const core = mm.core;
  const ps = mm.pageSize;
  const inode = v.inode;
  kassert(inode !== null, 'populate on an anonymous VMA');
  const nonuniform = (v.flags & VM_NONUNIFORM) !== 0;
  kassert(nonuniform || pp === vmaPageProt(v.flags), 'a page protection other than the VMA\'s in a uniform VMA');
  const bits = nonuniform ? ppPresentBits(pp) : mm.protBits(v, (v.flags & VM_SHARED) !== 0);
  for (let i = 0; i < npages; i++) {
    const addr = start + i * ps;
    const vpn = addr / ps;
    const p = pgoff + i;
    const w = mm.ptePtrAlloc(vpn);
    if (w === PT_ENOMEM) throw new KernelError('ENOMEM', 'remap_file_pages', `no memory for a page table at 0x${addr.toString(16)}`);
    let f = findPage(inode, p);
    if (f < 0) {
      if (nonblock) {
        // Not cached and we may not read it now: a nonlinear VMA records the offset (and,
        // with perPageProt, the protection) in a file PTE; in a linear one the fault path
        // finds the page by position anyway.
        if ((v.flags & VM_NONLINEAR) !== 0) mm.setFilePte(w, vpn, p, v, pp);
        continue;
      }
      try {
        f = getPage(core, inode, p, 'remap_file_pages');
      } catch (err) {
        throw new KernelError('ENOMEM', 'remap_file_pages', `reading page ${p} of ${inode.path} failed`, { cause: err });
      }
    }
    const lo = mm.pteLo(w);
    const there = nonuniform ? pteKind(lo, mm.pteHi(w)) === 'present' : (lo & PTE_PRESENT) !== 0;
    if (there && pfnOf(core.arch, lo, mm.pteHi(w)) === f) {
      if (!nonuniform || ppOfPresent(lo) === pp) continue; // already there
      // The same page with another protection: rewrite it in place (change_pte_range), and
      // flush, as a downgrade must (the other CPUs' entries too).
      mm.setPte(w, ((lo & ~0xfff) | bits | (lo & (PTE_ACCESSED | PTE_DIRTY))) >>> 0, mm.pteHi(w));
      mm.flushTlbPage(vpn);
      continue;
    }
    mm.zapOne(w, vpn, v);
    mm.mapPage(w, f, v, bits);
  }
}
