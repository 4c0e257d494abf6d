/**
 * struct vm_area_struct: one virtual memory area of an address space.
 *
 * Invariants: start < end, both page-aligned; pgoff is the file page at `start` for a
 * linear mapping (anonymous private mappings use start >> PAGE_SHIFT as Linux does);
 * VM_NONLINEAR, once set, is never cleared (mm/fremap.c); VM_NONUNIFORM (perPageProt)
 * comes only with VM_NONLINEAR and goes only when mprotect gives the whole range one
 * protection. Also here: the page protection a VMA gives (vm_page_prot), and may give.
 */

import { PP_NONE, PP_READ, PP_RW, type PageProt, ppOfPresent } from '../arch.js';
import {
  PROT_EXEC, PROT_READ, PROT_WRITE, VM_EXEC, VM_MAYEXEC, VM_MAYREAD, VM_MAYWRITE, VM_NONUNIFORM, VM_READ, VM_WRITE,
} from '../constants.js';
import type { Inode, OpenFile } from '../fs/vfs.js';
import type { Mm } from './mm.js';
import { VmaTreeNode } from './vma-tree.js';

let nextVmaId = 1;

export class Vma extends VmaTreeNode {
  readonly id = nextVmaId++;
  flags = 0;
  /** File page mapped at `start` (linear part). */
  pgoff = 0;
  /** Backing file, or null for anonymous private memory. */
  inode: Inode | null = null;
  /** The open file it was mapped through (msync reports write-back errors to it). */
  file: OpenFile | null = null;
  /** The address space this VMA belongs to (set when linked). */
  mm: Mm | null = null;
  /** Cursor of the nonlinear reclaim cluster scan (vm_private_data in 2.6's try_to_unmap_cluster). */
  clusterCursor = 0;

  constructor(start: number, end: number, flags: number, pgoff: number, inode: Inode | null) {
    super();
    this.start = start;
    this.end = end;
    this.flags = flags;
    this.pgoff = pgoff;
    this.inode = inode;
  }

  /** linear_page_index: the file page a linear mapping puts at `addr`. */
  linearPgoff(addr: number, pageSize: number): number {
    return this.pgoff + (addr - this.start) / pageSize;
  }

  pages(pageSize: number): number {
    return (this.end - this.start) / pageSize;
  }
}

/** calc_vm_prot_bits: PROT_* → VM_READ/WRITE/EXEC. */
export function protToVmFlags(prot: number): number {
  return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0);
}

/** Flags every new mapping starts with (VM_MAY* are narrowed by the fd's mode). */
export const VM_MAY_ALL = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;

/**
 * The protection a uniform VMA gives its pages (vm_page_prot, as x86 tells it apart):
 * none without VM_READ/WRITE/EXEC, read-write with VM_WRITE, read-only otherwise.
 */
export function vmaPageProt(flags: number): PageProt {
  if ((flags & (VM_READ | VM_WRITE | VM_EXEC)) === 0) return PP_NONE;
  return (flags & VM_WRITE) !== 0 ? PP_RW : PP_READ;
}

/**
 * The protection to keep when present PTE `lo` of a VMA with these flags is taken down
 * (the pgprot save_nonlinear_pte stores): the PTE's own in a VM_NONUNIFORM VMA, else the VMA's.
 */
export function savedPageProt(flags: number, lo: number): PageProt {
  return (flags & VM_NONUNIFORM) !== 0 ? ppOfPresent(lo) : vmaPageProt(flags);
}

/** Whether a VMA with these flags may give a page protection pp (its VM_MAY* bits allow it). */
export function vmaMayHave(flags: number, pp: PageProt): boolean {
  if (pp === PP_RW) return (flags & VM_MAYWRITE) !== 0;
  return pp === PP_NONE || (flags & (VM_MAYREAD | VM_MAYEXEC)) !== 0;
}

/** protection_map[calc_vm_prot_bits(prot) | VM_SHARED] on x86: PROT_* → a page protection. */
export function protToPageProt(prot: number): PageProt {
  if ((prot & PROT_WRITE) !== 0) return PP_RW;
  return (prot & (PROT_READ | PROT_EXEC)) !== 0 ? PP_READ : PP_NONE;
}
