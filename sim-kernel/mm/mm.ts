/**
 * struct mm_struct: one address space — its VMAs, page tables, TLB and counters.
 *
 * Owns: the VMA tree (rbtree + list, vma-tree.ts) and its one-entry find_vma cache,
 * the page tables, the TLB, map_count, total_vm, locked_vm, rss, the top-down
 * free_area_cache (searched and moved by unmapped-area.ts); and the PTE primitives
 * (set, zap, map a page) used by faults, remap_file_pages, munmap and mprotect.
 * Invariants (checkInvariants):
 *   1. The VMA tree holds non-overlapping page-aligned VMAs inside [0, TASK_SIZE).
 *   2. Each file VMA is on exactly one of its inode's lists: iMmap, or iMmapNonlinear
 *      when VM_NONLINEAR is set.
 *   3. Every non-none PTE lies inside some VMA; a file PTE only inside a VM_NONLINEAR VMA
 *      (2.6), and a present PTE maps a used frame whose mapcount counts it.
 *   4. rssFile + rssAnon = present PTEs; mmapCache is null or in the tree.
 *   5. A valid TLB entry matches a present PTE with at least the cached permissions.
 *   6. VM_NONUNIFORM (pages of one VMA differ in protection) exists only with
 *      config.perPageProt, and only on a VM_SHARED VM_NONLINEAR VMA.
 *   7. In a uniform VMA a present PTE is writable only if the VMA is, and (perPageProt)
 *      a file PTE keeps the VMA's page protection; in a VM_NONUNIFORM VMA every present
 *      and file PTE has a protection the VMA may have (VM_MAY*).
 * Transitions: insertVma/removeVma (link/unlink, map_count), splitVma (split_vma),
 *   vmaMerge (vma_merge, the 8 cases of mm/mmap.c), zapRange (zap_page_range with or
 *   without keeping nonlinear offsets as file PTEs), mapPage (install a present PTE).
 */

import { EV, VS } from '../accounting.js';
import {
  type PageProt, PTE_ACCESSED, PTE_DIRTY, PTE_FILE, PTE_PRESENT, PTE_PROTNONE, PTE_RW, PTE_USER,
  fileHi, fileLo, filePgoff, fileProt, pfnOf, ppOfPresent, presentHi, presentLo, pteKind, swapOffset,
} from '../arch.js';
import { VM_EXEC, VM_LOCKED, VM_NONLINEAR, VM_NONUNIFORM, VM_READ, VM_SHARED, VM_WRITE } from '../constants.js';
import type { Core } from '../core.js';
import { kassert } from '../errors.js';
import { markDirty } from '../fs/pagecache.js';
import { allocFrame, freeFrame, mlockPage, munlockPage } from '../mem/page-alloc.js';
import { PG_ANON, PG_PAGECACHE, PG_SWAPCACHE } from '../mem/physmem.js';
import { deleteFromSwapCache, freeSwapAndCache } from '../mem/swapcache.js';
import { PageTables, PT_ENOMEM, PT_NONE } from './pagetable.js';
import { Tlb } from './tlb.js';
import { VmaTree } from './vma-tree.js';
import { MMAP_GAP_BYTES } from './unmapped-area.js';
import { Vma, savedPageProt, vmaMayHave, vmaPageProt } from './vma.js';

export class Mm {
  readonly id: number;
  readonly core: Core;
  readonly pt: PageTables;
  readonly tree = new VmaTree<Vma>();
  readonly tlb: Tlb;
  readonly pageSize: number;
  readonly taskSize: number;
  readonly mmapBase: number;
  mmapCache: Vma | null = null;
  freeAreaCache: number;
  totalVm = 0;
  lockedVm = 0;
  rssFile = 0;
  rssAnon = 0;
  /** CPUs this address space's threads run on (1 = no remote TLB shootdowns). */
  activeCpus = 1;
  /** MCL_FUTURE: new mappings are VM_LOCKED (mm->def_flags). */
  defFlags = 0;
  #lastTreeSteps = 0;

  constructor(id: number, core: Core) {
    this.id = id;
    this.core = core;
    this.pageSize = core.pageSize;
    this.taskSize = core.arch.taskSize;
    this.pt = new PageTables(core.mem, core.arch, core.geo, core.ptUsed, (k, z) => allocFrame(core, k, z), (f) => freeFrame(core, f));
    this.tlb = new Tlb(core.config.tlbEntries);
    this.mmapBase = Math.floor((this.taskSize - MMAP_GAP_BYTES) / this.pageSize) * this.pageSize;
    this.freeAreaCache = this.mmapBase;
    core.mms.set(id, this);
  }

  get mapCount(): number {
    return this.tree.size;
  }

  #chargeTreeSteps(): void {
    const d = this.tree.steps - this.#lastTreeSteps;
    this.#lastTreeSteps = this.tree.steps;
    if (d > 0) this.core.acct.charge(EV.treeStep, d);
  }

  /** find_vma with the one-entry mmap_cache: the first VMA whose end > addr. */
  findVma(addr: number): Vma | null {
    const c = this.mmapCache;
    if (c !== null && c.end > addr && c.start <= addr) {
      this.core.acct.count(VS.mmap_cache_hits);
      return c;
    }
    this.core.acct.count(VS.mmap_cache_misses);
    const v = this.tree.findVma(addr);
    this.#chargeTreeSteps();
    if (v !== null) this.mmapCache = v;
    return v;
  }

  // ---- VMA linking ----

  insertVma(v: Vma): void {
    v.mm = this;
    this.tree.insert(v);
    this.#chargeTreeSteps();
    if (v.inode !== null) ((v.flags & VM_NONLINEAR) !== 0 ? v.inode.iMmapNonlinear : v.inode.iMmap).add(v);
    this.core.acct.charge(EV.vmaAlloc);
  }

  removeVma(v: Vma): void {
    this.tree.remove(v);
    if (this.mmapCache === v) this.mmapCache = null;
    if (v.inode !== null) {
      v.inode.iMmap.delete(v);
      v.inode.iMmapNonlinear.delete(v);
    }
    this.core.acct.charge(EV.vmaFree);
  }

  /** Set VM_NONLINEAR and move the VMA to its file's nonlinear list (never undone). */
  makeNonlinear(v: Vma): void {
    if ((v.flags & VM_NONLINEAR) !== 0) return;
    kassert(v.inode !== null, 'nonlinear VMA without a file');
    v.flags |= VM_NONLINEAR;
    v.inode.iMmap.delete(v);
    v.inode.iMmapNonlinear.add(v);
  }

  /**
   * split_vma: cut `v` at `addr`; the new VMA takes the part below (newBelow) or above.
   * The caller has checked map_count. Returns the new VMA.
   */
  splitVma(v: Vma, addr: number, newBelow: boolean): Vma {
    kassert(addr > v.start && addr < v.end && addr % this.pageSize === 0, 'split address inside the VMA');
    const delta = (addr - v.start) / this.pageSize;
    let n: Vma;
    if (newBelow) {
      n = new Vma(v.start, addr, v.flags, v.pgoff, v.inode);
      v.start = addr;
      v.pgoff += delta;
    } else {
      n = new Vma(addr, v.end, v.flags, v.pgoff + delta, v.inode);
      v.end = addr;
    }
    n.file = v.file;
    n.clusterCursor = 0;
    this.insertVma(n);
    this.core.acct.count(VS.nr_vma_splits);
    return n;
  }

  #canMerge(v: Vma, flags: number, inode: Vma['inode']): boolean {
    return v.flags === flags && v.inode === inode;
  }

  /**
   * vma_merge: try to let [addr, end) with these attributes join `prev` and/or the VMA
   * after it. [addr, end) is either a hole (mmap) or the whole or an end of an existing
   * VMA being changed (mprotect, mlock). Returns the VMA now covering [addr, end), or null.
   */
  vmaMerge(prev: Vma | null, addr: number, end: number, flags: number, inode: Vma['inode'], pgoff: number): Vma | null {
    const pglen = (end - addr) / this.pageSize;
    let next = prev !== null ? this.tree.nextOf(prev) : this.tree.first();
    const area = next;
    if (next !== null && next.end === end) next = this.tree.nextOf(next); // cases 6, 7, 8
    const mergePrev = prev !== null && prev.end === addr && this.#canMerge(prev, flags, inode) &&
      prev.pgoff + (prev.end - prev.start) / this.pageSize === pgoff;
    const mergeNext = next !== null && end === next.start && this.#canMerge(next, flags, inode) &&
      next.pgoff === pgoff + pglen;
    if (mergePrev && prev !== null) {
      if (mergeNext && next !== null) {
        // cases 1, 6: prev absorbs everything up to next's end.
        const newEnd = next.end;
        if (area !== null && area !== next && area.start === addr) this.removeVma(area);
        this.removeVma(next);
        prev.end = newEnd;
      } else {
        // cases 2, 5, 7
        if (area !== null && area.start === addr && area.end === end) this.removeVma(area);
        else if (area !== null && area.start === addr && area.end > end) {
          area.pgoff += pglen;
          area.start = end;
        }
        prev.end = end;
      }
      this.core.acct.count(VS.nr_vma_merges);
      return prev;
    }
    if (mergeNext && next !== null) {
      if (prev !== null && addr < prev.end) {
        // case 4: the tail of prev moves to next.
        prev.end = addr;
        next.start = addr;
        next.pgoff -= pglen;
        this.core.acct.count(VS.nr_vma_merges);
        return next;
      }
      if (area !== null && area !== next && area.start === addr && area.end === end) {
        // case 8: area absorbs next.
        const nEnd = next.end;
        this.removeVma(next);
        area.end = nEnd;
        this.core.acct.count(VS.nr_vma_merges);
        return area;
      }
      // case 3: a new hole in front of next.
      next.start = addr;
      next.pgoff -= pglen;
      this.core.acct.count(VS.nr_vma_merges);
      return next;
    }
    return null;
  }

  // ---- PTE primitives ----

  pteLo(w: number): number {
    return this.core.mem.words[w] as number;
  }

  pteHi(w: number): number {
    return this.core.arch.pteBytes === 8 ? (this.core.mem.words[w + 1] as number) : 0;
  }

  /** Write a PTE, keeping the table's used count, and charge the update. */
  setPte(w: number, lo: number, hi: number): void {
    const words = this.core.mem.words;
    const wide = this.core.arch.pteBytes === 8;
    const wasNone = words[w] === 0 && (!wide || words[w + 1] === 0);
    const isNone = lo === 0 && hi === 0;
    words[w] = lo;
    if (wide) words[w + 1] = hi;
    if (wasNone !== isNone) this.pt.adjustUsed(w, isNone ? -1 : 1);
    this.core.acct.charge(EV.pteUpdate);
  }

  /** PTE word for addr's page, allocating tables (charged); PT_ENOMEM if RAM is exhausted. */
  ptePtrAlloc(vpn: number): number {
    return this.pt.ptePtr(vpn, true, () => this.core.acct.charge(EV.pageTableAlloc));
  }

  ptePtrExisting(vpn: number): number {
    return this.pt.ptePtr(vpn, false);
  }

  /** vm_page_prot as x86 encodes it: low PTE flags for a page of this VMA. */
  protBits(v: Vma, writable: boolean): number {
    if ((v.flags & (VM_READ | VM_WRITE | VM_EXEC)) === 0) return PTE_PROTNONE | PTE_ACCESSED;
    return PTE_PRESENT | PTE_USER | (writable && (v.flags & VM_WRITE) !== 0 ? PTE_RW : 0);
  }

  nx(v: Vma): boolean {
    return (v.flags & VM_EXEC) === 0;
  }

  /** Install frame f at PTE word w (which must be none) with the given low flags. */
  mapPage(w: number, f: number, v: Vma, lowFlags: number): void {
    const mem = this.core.mem;
    this.setPte(w, presentLo(f, lowFlags), presentHi(this.core.arch, f, this.nx(v)));
    if (((mem.flags[f] as number) & PG_ANON) !== 0) this.rssAnon++;
    else this.rssFile++;
    (mem.refcount[f] as number)++;
    (mem.mapcount[f] as number)++;
    if ((v.flags & VM_LOCKED) !== 0) mlockPage(this.core, f);
  }

  /**
   * Take a present PTE's page off it (the page_remove_rmap half of a zap): the dirty
   * bit moves to the page, counts drop, an anonymous page no one maps is freed.
   */
  unmapPresent(lo: number, hi: number, v: Vma): void {
    const mem = this.core.mem;
    const f = pfnOf(this.core.arch, lo, hi);
    const fl = mem.flags[f] as number;
    if ((v.flags & VM_LOCKED) !== 0) munlockPage(this.core, f);
    if ((lo & PTE_DIRTY) !== 0) markDirty(this.core, f);
    (mem.mapcount[f] as number)--;
    (mem.refcount[f] as number)--;
    if ((fl & PG_ANON) !== 0) {
      this.rssAnon--;
      // An anonymous page lives while a PTE, a pin or the swap cache references it.
      if (mem.refcount[f] === 0) freeFrame(this.core, f);
      else if ((fl & PG_SWAPCACHE) !== 0 && mem.mapcount[f] === 0 && mem.pin[f] === 0) {
        // free_page_and_swap_cache: a swap copy nobody else refers to goes with the page.
        const swap = this.core.swap;
        if (swap !== null && swap.useCount[mem.swapSlot[f] as number] === 1) deleteFromSwapCache(this.core, f);
      }
    } else {
      this.rssFile--;
    }
  }

  /** Flush one page's translation here and on the other CPUs this mm runs on. */
  flushTlbPage(vpn: number): void {
    this.tlb.flushPage(vpn);
    this.#chargeFlush();
  }

  flushTlbRange(startVpn: number, endVpn: number): void {
    if (endVpn <= startVpn) return;
    this.tlb.flushRange(startVpn, endVpn);
    this.#chargeFlush();
  }

  #chargeFlush(): void {
    const acct = this.core.acct;
    acct.charge(EV.tlbFlushLocal);
    acct.count(VS.tlb_flush_local);
    const remote = Math.min(this.activeCpus, this.core.config.cpus) - 1;
    if (remote > 0) {
      acct.charge(EV.tlbShootdown, remote);
      acct.count(VS.tlb_shootdowns, remote);
    }
  }

  /**
   * Zap one PTE (zap_pte in mm/fremap.c): present → flush its TLB entry and unmap the
   * page; a file PTE is just cleared. Leaves the PTE none.
   */
  zapOne(w: number, vpn: number, v: Vma): void {
    const lo = this.pteLo(w);
    const hi = this.pteHi(w);
    if (lo === 0 && hi === 0) return;
    const kind = pteKind(lo, hi);
    this.setPte(w, 0, 0);
    if (kind === 'present') {
      this.flushTlbPage(vpn);
      this.unmapPresent(lo, hi, v);
    } else if (kind === 'swap') {
      freeSwapAndCache(this.core, swapOffset(this.core.arch, lo, hi));
    }
  }

  /**
   * zap_page_range over [start, end) of VMA v with one batched TLB flush. With
   * keepOffsets (truncate, MADV_DONTNEED on a nonlinear VMA), a page whose offset is not
   * the linear one leaves a file PTE holding it, and existing file PTEs stay.
   * Returns the number of PTEs changed.
   */
  zapRange(v: Vma, start: number, end: number, keepOffsets: boolean, minPgoff = 0): number {
    const ps = this.pageSize;
    const arch = this.core.arch;
    const mem = this.core.mem;
    const nonlinear = (v.flags & VM_NONLINEAR) !== 0;
    let changed = 0;
    let anyPresent = false;
    this.pt.forEachPte(start / ps, end / ps, (vpn, w) => {
      const lo = this.pteLo(w);
      const hi = this.pteHi(w);
      if (lo === 0 && hi === 0) return;
      const kind = pteKind(lo, hi);
      if (kind !== 'present') {
        // With zap_details (truncate, DONTNEED on nonlinear) non-present PTEs are left alone.
        if (keepOffsets) return;
        this.setPte(w, 0, 0);
        if (kind === 'swap') freeSwapAndCache(this.core, swapOffset(arch, lo, hi));
        changed++;
        return;
      }
      const f = pfnOf(arch, lo, hi);
      const pgoff = mem.index[f] as number;
      // Truncation of a nonlinear VMA checks each page's index (zap_details.first_index).
      if (minPgoff > 0 && nonlinear && ((mem.flags[f] as number) & PG_PAGECACHE) !== 0 && pgoff < minPgoff) return;
      const linear = v.linearPgoff(vpn * ps, ps);
      const pp = savedPageProt(v.flags, lo);
      // save_nonlinear_pte: a file PTE when the offset, or (perPageProt) the protection, is not the VMA's.
      const leaveFile = keepOffsets && nonlinear && ((mem.flags[f] as number) & PG_PAGECACHE) !== 0 &&
        (pgoff !== linear || pp !== vmaPageProt(v.flags));
      if (leaveFile) {
        this.setPte(w, fileLo(arch, pgoff, pp), fileHi(arch, pgoff));
        this.core.acct.count(VS.nr_file_ptes_written);
      } else {
        this.setPte(w, 0, 0);
      }
      this.unmapPresent(lo, hi, v);
      anyPresent = true;
      changed++;
    });
    if (anyPresent) this.flushTlbRange(start / ps, end / ps);
    return changed;
  }

  /** File PTE word for a pgoff, and the page's protection pp (nonlinear populate with MAP_NONBLOCK). */
  setFilePte(w: number, vpn: number, pgoff: number, v: Vma, pp: PageProt = vmaPageProt(v.flags)): void {
    this.zapOne(w, vpn, v);
    const arch = this.core.arch;
    this.setPte(w, fileLo(arch, pgoff, pp), fileHi(arch, pgoff));
    this.core.acct.count(VS.nr_file_ptes_written);
  }

  /** pte_to_pgoff of a file PTE. */
  filePteOffset(w: number): number {
    return filePgoff(this.core.arch, this.pteLo(w), this.pteHi(w));
  }

  /** Free page tables of [start, end) no longer covered by a VMA (free_pgtables). */
  freePgtables(start: number, end: number): void {
    const ps = this.pageSize;
    const prev = this.tree.findVmaPrev(start).prev;
    const next = this.tree.findVma(start);
    const floor = prev !== null ? prev.end : 0;
    const ceil = next !== null ? next.start : Number.MAX_SAFE_INTEGER;
    this.pt.freeTables(start / ps, end / ps, Math.ceil(floor / ps), Math.floor(ceil / ps));
  }

  /** Add this address space's swap-entry PTEs to per-slot reference counts (invariant checks). */
  countSwapRefs(refs: Uint32Array): void {
    this.pt.forEachPte(0, Number.MAX_SAFE_INTEGER, (_vpn, w) => {
      const lo = this.pteLo(w);
      const hi = this.pteHi(w);
      if (pteKind(lo, hi) === 'swap') (refs[swapOffset(this.core.arch, lo, hi)] as number)++;
    });
  }

  /** File PTEs in this address space (nr_file_ptes). */
  countFilePtes(): number {
    let n = 0;
    this.pt.forEachPte(0, Number.MAX_SAFE_INTEGER, (_vpn, w) => {
      if (pteKind(this.pteLo(w), this.pteHi(w)) === 'file') n++;
    });
    return n;
  }

  /** Kernel memory this address space holds: VMA structs and page-table pages. */
  kernelBytes(): { vmaBytes: number; pageTableBytes: number } {
    return {
      vmaBytes: this.tree.size * this.core.arch.vmaStructBytes,
      pageTableBytes: this.pt.tableCount * this.pageSize,
    };
  }

  checkInvariants(): void {
    this.tree.checkInvariants();
    this.pt.checkInvariants();
    const ps = this.pageSize;
    const mem = this.core.mem;
    const arch = this.core.arch;
    let present = 0;
    let prevEnd = 0;
    for (const v of this.tree) {
      kassert(v.start % ps === 0 && v.end % ps === 0 && v.start >= prevEnd && v.end <= this.taskSize,
        () => `VMA [0x${v.start.toString(16)}, 0x${v.end.toString(16)}) misplaced`);
      prevEnd = v.end;
      if (v.inode !== null) {
        const nl = (v.flags & VM_NONLINEAR) !== 0;
        kassert(v.inode.iMmap.has(v) !== nl && v.inode.iMmapNonlinear.has(v) === nl, 'VMA on the wrong i_mmap list');
      }
      if ((v.flags & VM_NONUNIFORM) !== 0) {
        kassert(this.core.config.perPageProt && (v.flags & (VM_SHARED | VM_NONLINEAR)) === (VM_SHARED | VM_NONLINEAR),
          () => `VM_NONUNIFORM VMA at 0x${v.start.toString(16)} (flags 0x${v.flags.toString(16)}) without perPageProt, VM_SHARED or VM_NONLINEAR`);
      }
    }
    this.pt.forEachPte(0, Number.MAX_SAFE_INTEGER, (vpn, w) => {
      const lo = this.pteLo(w);
      const hi = this.pteHi(w);
      if (lo === 0 && hi === 0) return;
      const addr = vpn * ps;
      const v = this.tree.findVma(addr);
      kassert(v !== null && v.start <= addr, () => `PTE at 0x${addr.toString(16)} outside every VMA`);
      const kind = pteKind(lo, hi);
      const nonuniform = (v.flags & VM_NONUNIFORM) !== 0;
      if (kind === 'file') {
        kassert((v.flags & VM_NONLINEAR) !== 0 && (lo & PTE_FILE) !== 0, 'file PTE in a linear VMA');
        const pp = fileProt(arch, lo);
        kassert(pp === -1 || (nonuniform ? vmaMayHave(v.flags, pp) : pp === vmaPageProt(v.flags)),
          () => `file PTE at 0x${addr.toString(16)} keeps protection ${pp}, not one its VMA (flags 0x${v.flags.toString(16)}) gives`);
      }
      if (kind === 'present') {
        present++;
        const f = pfnOf(arch, lo, hi);
        kassert(f < mem.frameCount && mem.flags[f] !== 0 && (mem.mapcount[f] as number) > 0,
          () => `PTE at 0x${addr.toString(16)} maps frame ${f} that is free or unmapped`);
        kassert(nonuniform ? vmaMayHave(v.flags, ppOfPresent(lo)) : (lo & PTE_RW) === 0 || (v.flags & VM_WRITE) !== 0,
          () => `PTE at 0x${addr.toString(16)} (lo 0x${lo.toString(16)}) grants more than its VMA (flags 0x${v.flags.toString(16)})`);
      }
    });
    kassert(present === this.rssFile + this.rssAnon, () => `present PTEs ${present} != rss ${this.rssFile}+${this.rssAnon}`);
    kassert(this.mmapCache === null || this.mmapCache.inTree, 'mmap_cache points at an unlinked VMA');
    const tlb = this.tlb;
    for (let i = 0; i < tlb.size; i++) {
      const vpn = tlb.vpn[i] as number;
      if (vpn < 0) continue;
      const w = this.pt.ptePtr(vpn, false);
      kassert(w !== PT_NONE && w !== PT_ENOMEM, `TLB entry for vpn ${vpn} without a page table`);
      const lo = this.pteLo(w);
      kassert((lo & PTE_PRESENT) !== 0, () => `stale TLB entry for vpn ${vpn}: PTE lo 0x${lo.toString(16)}`);
      kassert(pfnOf(arch, lo, this.pteHi(w)) * ps === tlb.phys[i], `TLB entry for vpn ${vpn} maps another frame`);
      if (((tlb.bits[i] as number) & 1) !== 0) kassert((lo & PTE_RW) !== 0, `TLB entry for vpn ${vpn} writable, PTE not`);
      if (((tlb.bits[i] as number) & 2) !== 0) kassert((lo & PTE_DIRTY) !== 0, `TLB entry for vpn ${vpn} dirty, PTE clean`);
    }
  }
}
