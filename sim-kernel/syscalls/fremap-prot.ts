/**
 * Per-page protection inside one nonlinear VMA (KernelConfig.perPageProt): the 2005 series
 * "remap_file_pages protection support" (Ingo Molnar's code, reworked and posted by Paolo
 * 'Blaisorblade' Giarrusso, Aug 2005 – Apr 2007; never merged; refs/linux-nonlinear.md §6).
 * What it owns: the argument rules of remap_file_pages' `prot`, the VM_NONUNIFORM mark,
 * and mprotect of a page range inside a nonlinear VMA. The PTE side lives with the PTEs
 * (arch.ts pgoff_prot_to_pte, mm/fault.ts, mm/mm.ts zapRange, mem/reclaim.ts).
 *
 * Choices, and why:
 *   1. MAP_NOINHERIT (0x20000) is required, as in the series (patch 05/18: `if (prot &&
 *      !(flags & MAP_NOINHERIT)) goto out;`): the kernel option alone does not change the
 *      meaning of prot. Every existing caller passes prot 0 meaning "the VMA's protection"
 *      (LTP remap_file_pages01/02, the buffer pool), so prot 0 cannot also mean PROT_NONE
 *      unless the caller says so; with the flag, prot 0 is PROT_NONE. Without the flag a
 *      non-zero prot stays EINVAL and the page takes its VMA's protection.
 *   2. A protection the VMA may not have is EPERM — neither EACCES nor EINVAL: every
 *      version of the series tests `calc_vm_prot_bits(prot) & ~(vma->vm_flags >> 4)`
 *      (VM_MAY* shifted onto VM_*) and returns -EPERM (05/18 in 2005; "rfp: move prot
 *      checking before any change", Apr 2007). The check comes right after the range is
 *      found inside one VMA and before the VM_SHARED test (which 06/18 moved to the
 *      point of going nonlinear), so PROT_WRITE over an O_RDONLY MAP_SHARED mapping is
 *      EPERM here while prot 0 there is still EINVAL (the 4.0 emulation tests VM_SHARED
 *      first, as its remap_file_pages does: EINVAL). mprotect keeps its own EACCES.
 *      Unknown prot bits are EINVAL (the series let calc_vm_prot_bits drop them; a typo
 *      must not pass silently, and mprotect refuses them the same way).
 *   3. VM_NONUNIFORM (0x01000000, the series' first name; VM_MANYPROTS from 2006) shows in
 *      smaps VmFlags as "nu": the flag never reached fs/proc/task_mmu.c, so Linux has no
 *      mnemonic for it; "nu" is free in every kernel's table and reads as NonUniform,
 *      while "mp" (MANYPROTS) is taken by VM_MPX since 3.19. Set with VM_NONLINEAR (the
 *      series assumes it: patch 02/18) and only on VM_SHARED VMAs.
 *   4. The offset limit: file PTEs keep the protection, so i386 gives up offset bits —
 *      PTE_FILE_MAX_BITS 29 → 27 (arch.ts says why not the 2005 posting's 28); x86_64
 *      (46) and PAE (no check) keep theirs. An offset beyond it is EINVAL, the errno of
 *      the merged check (the series switched to EOVERFLOW in 05/18; a program written for
 *      Linux sees EINVAL, so the simulator keeps that).
 *   5. mprotect of part of a nonlinear VM_SHARED VMA changes the PTEs of that part (none
 *      PTEs become file PTEs holding their linear offset) and marks the VMA nonuniform: no
 *      split, one maps() line. mprotect of a whole VMA is the usual VMA change, and then
 *      every PTE takes the new protection and the VMA is uniform again (Hugh Dickins'
 *      review of 03/18: "a reasonable person, doing a successful, prohibitive mprotect on
 *      a range, would expect those prohibitions then to be enforced across the range").
 *   6. linux-4.0 personality: no nonlinear VMAs; remap_file_pages with MAP_NOINHERIT maps
 *      the range with the asked protection (mmap MAP_FIXED), so each run of pages with one
 *      protection and contiguous offsets costs a VMA (vma_merge joins the rest).
 * Invariants (Mm.checkInvariants 6–7): VM_NONUNIFORM only with perPageProt on VM_SHARED
 * VM_NONLINEAR VMAs; in a uniform VMA every file PTE keeps the VMA's protection, so a
 * VMA can turn nonuniform without reinterpreting old file PTEs.
 */

import { type PageProt, ppOfPresent, ppPresentBits, PTE_ACCESSED, PTE_DIRTY, fileHi, fileLo, filePgoff, pteKind } from '../arch.js';
import {
  MAP_NOINHERIT, PROT_EXEC, PROT_READ, PROT_WRITE, VM_NONLINEAR, VM_NONUNIFORM, VM_SHARED,
} from '../constants.js';
import { KernelError, kassert } from '../errors.js';
import type { Mm } from '../mm/mm.js';
import { PT_ENOMEM } from '../mm/pagetable.js';
import { type Vma, protToPageProt, vmaPageProt } from '../mm/vma.js';

/** Whether this call asks for its own protection (perPageProt and MAP_NOINHERIT). */
export function wantsOwnProt(perPageProt: boolean, flags: number): boolean {
  return perPageProt && (flags & MAP_NOINHERIT) !== 0;
}

const PROT_NAMES: readonly string[] = ['PROT_NONE', 'PROT_READ', 'PROT_WRITE', 'PROT_READ|PROT_WRITE', 'PROT_EXEC',
  'PROT_READ|PROT_EXEC', 'PROT_WRITE|PROT_EXEC', 'PROT_READ|PROT_WRITE|PROT_EXEC'];

/**
 * The page protection remap_file_pages(MAP_NOINHERIT) gives, after the series' check
 * against the VMA's VM_MAY* bits: EPERM naming what was asked and what the mapping allows.
 */
export function remapPageProt(v: Vma, prot: number, syscall: string): PageProt {
  // VM_MAY* sit 4 bits above VM_*, which equal PROT_*: the series' `vma->vm_flags >> 4`.
  const may = (v.flags >> 4) & (PROT_READ | PROT_WRITE | PROT_EXEC);
  const refused = prot & ~may & (PROT_READ | PROT_WRITE | PROT_EXEC);
  if (refused !== 0) {
    const why = (refused & PROT_WRITE) !== 0 ? ' (the file is not open for writing)' : '';
    throw new KernelError('EPERM', syscall, `prot ${PROT_NAMES[prot & 7]} asks for ${PROT_NAMES[refused]}, which the mapping ` +
      `at 0x${v.start.toString(16)} may not have${why}: it allows at most ${PROT_NAMES[may]}`, { details: { prot, allowed: may } });
  }
  return protToPageProt(prot);
}

/** Mark v nonuniform (VM_NONUNIFORM): from now on a page's protection is its PTE's. */
export function markNonuniform(v: Vma): void {
  kassert((v.flags & (VM_SHARED | VM_NONLINEAR)) === (VM_SHARED | VM_NONLINEAR), 'VM_NONUNIFORM on a linear or private VMA');
  v.flags |= VM_NONUNIFORM;
}

/**
 * Whether mprotect of [start, end) inside v changes PTEs rather than the VMA: part of a
 * VM_SHARED nonlinear VMA (choice 5), whose none PTEs can hold their linear offsets in
 * file PTEs (on i386 the VMA's offsets must fit the 27-bit limit; else the VMA splits).
 */
export function protectsPages(mm: Mm, v: Vma, start: number, end: number): boolean {
  if (!mm.core.config.perPageProt || (v.flags & (VM_SHARED | VM_NONLINEAR)) !== (VM_SHARED | VM_NONLINEAR)) return false;
  if (start === v.start && end === v.end) return false;
  return v.pgoff + v.pages(mm.pageSize) < mm.core.arch.pteFileLimitPages;
}

/**
 * change_protection for per-page protections: give every page of [start, end) of the
 * nonlinear VMA v protection pp — present PTEs are rewritten (TLB flushed once for the
 * range, shootdowns included), file PTEs keep their offsets, none PTEs become file PTEs
 * at their linear offset. Marks v nonuniform when pp is not the VMA's.
 */
export function protectPages(mm: Mm, v: Vma, start: number, end: number, pp: PageProt): void {
  const ps = mm.pageSize;
  const arch = mm.core.arch;
  if (pp === vmaPageProt(v.flags) && (v.flags & VM_NONUNIFORM) === 0) return; // already every page's
  if ((v.flags & VM_NONUNIFORM) === 0) markNonuniform(v);
  const bits = ppPresentBits(pp);
  let flush = false;
  for (let vpn = start / ps; vpn < end / ps; vpn++) {
    const w = mm.ptePtrAlloc(vpn);
    if (w === PT_ENOMEM) throw new KernelError('ENOMEM', 'mprotect', `no memory for a page table at 0x${(vpn * ps).toString(16)}`);
    const lo = mm.pteLo(w);
    const hi = mm.pteHi(w);
    switch (pteKind(lo, hi)) {
      case 'present':
        if (ppOfPresent(lo) === pp) break;
        mm.setPte(w, ((lo & ~0xfff) | bits | (lo & (PTE_ACCESSED | PTE_DIRTY))) >>> 0, hi);
        flush = true;
        break;
      case 'file': {
        const pgoff = filePgoff(arch, lo, hi);
        mm.setPte(w, fileLo(arch, pgoff, pp), fileHi(arch, pgoff));
        break;
      }
      case 'none':
        // A none PTE means the VMA's protection; any other must be kept in a file PTE.
        if (pp !== vmaPageProt(v.flags)) mm.setFilePte(w, vpn, v.linearPgoff(vpn * ps, ps), v, pp);
        break;
      case 'swap':
        kassert(false, `swap PTE at vpn ${vpn} in the shared file mapping at 0x${v.start.toString(16)}`);
    }
  }
  if (flush) mm.flushTlbRange(start / ps, end / ps);
}

/**
 * After a VMA-level protection change of [start, end) of v (perPageProt): file PTEs there
 * take the VMA's new protection, as change_protection gives it to the present ones, so a
 * uniform VMA's file PTEs keep its protection (invariant 7).
 */
export function rewriteFilePtes(mm: Mm, v: Vma, start: number, end: number): void {
  const arch = mm.core.arch;
  if (!arch.fileProt || (v.flags & VM_NONLINEAR) === 0) return;
  kassert((v.flags & VM_NONUNIFORM) === 0, 'rewriteFilePtes on a VMA still marked nonuniform');
  const pp = vmaPageProt(v.flags);
  mm.pt.forEachPte(start / mm.pageSize, end / mm.pageSize, (_vpn, w) => {
    const lo = mm.pteLo(w);
    const hi = mm.pteHi(w);
    if (pteKind(lo, hi) !== 'file') return;
    const pgoff = filePgoff(arch, lo, hi);
    mm.setPte(w, fileLo(arch, pgoff, pp), fileHi(arch, pgoff));
  });
}
