/**
 * mm/: one address space and the memory management unit (Linux mm/mmap.c, mm/memory.c,
 * mm/rmap.c's VMA side, arch page tables): the Mm (mm_struct) with its VMA tree and
 * VMAs, where new mappings go (unmapped-area.ts), the page tables, the TLB, and
 * page-fault handling with the populate half of remap_file_pages. Owns no state here;
 * each module states its own invariants.
 */

export { faultInForce, handleFault, populate } from './fault.js';
export { Mm } from './mm.js';
export { PT_ENOMEM, PT_NONE, PageTables } from './pagetable.js';
export { FLUSH_CEILING_PAGES, TLB_DIRTY, TLB_WRITABLE, Tlb } from './tlb.js';
export { MMAP_GAP_BYTES, MMAP_MIN_ADDR, getUnmappedArea, noteUnmapped } from './unmapped-area.js';
export {
  VM_MAY_ALL, Vma, protToPageProt, protToVmFlags, savedPageProt, vmaMayHave, vmaPageProt,
} from './vma.js';
export { VmaTree, VmaTreeNode, type VmaPrevResult } from './vma-tree.js';
