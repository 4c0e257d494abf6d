/**
 * Architectures: page-table geometry and the PTE encodings Linux 2.6 uses on x86.
 *
 * A PTE is held as two 32-bit words, lo (bits 0–31) and hi (bits 32–63), because JS bit
 * operators are 32-bit (STYLE.md §6). i386 uses only lo.
 *
 * x86 PTE bits (include/asm-i386/pgtable.h, asm-x86_64/pgtable.h, 2.6.11):
 *   0x001 PRESENT  0x002 RW  0x004 USER  0x020 ACCESSED  0x040 DIRTY
 *   0x040 FILE     (only when not present: a nonlinear file PTE holding a pgoff)
 *   0x080 PROTNONE (not present to the MMU, but pte_present() to the kernel)
 *   bit 63 NX      (x86_64 and PAE)
 * File PTE layouts (pgoff_to_pte / pte_to_pgoff):
 *   i386:     pgoff bits 0–4 in PTE bits 1–5, bits 5–28 in PTE bits 8–31 (PTE_FILE_MAX_BITS 29)
 *   i386-pae: pgoff in the high word (32 bits; the size check is compiled out)
 *   x86_64:   pgoff << 12 (PTE_FILE_MAX_BITS 46)
 * With KernelConfig.perPageProt a file PTE also keeps its page's protection
 * (pgoff_prot_to_pte / pte_file_to_pgprot of the "remap_file_pages protection support"
 * series, in the layout of its 2006 version, RFP-V4 13/13 "uml, i386, x64 bits"):
 *   0x002 RW            the page was read-write
 *   0x100 FILE_PROTNONE the page was PROT_NONE (neither bit: read-only)
 *   i386:     bits 0 (PRESENT, clear), 1 (RW), 6 (FILE), 7 (PROTNONE, clear) and 8 are
 *             taken: pgoff bits 0–3 in PTE bits 2–5, bits 4–26 in PTE bits 9–31, so
 *             PTE_FILE_MAX_BITS 29 → 27: pgoff + npages < 2^27 pages = 512 GiB of file
 *             at 4 KiB pages (was 2^29 = 2 TiB).
 *   i386-pae: access bits in the low word, pgoff still all 32 bits of the high word (no
 *             check; pgoff < 2^32 pages = 16 TiB at 4 KiB pages).
 *   x86_64:   access bits below PAGE_SHIFT, pgoff << 12 as before (still 46 bits: 2^46
 *             pages = 256 PiB).
 * Why 27 bits and not the 28 of the 2005 posting (refs §5: "29 → 28"): 2005 kept PROT_NONE
 * as _PAGE_PROTNONE (0x080) in the file PTE, but pte_present() is PRESENT|PROTNONE, and a
 * dirty PROT_NONE page's PTE has PROTNONE|DIRTY = 0x0c0 with DIRTY = FILE = 0x040: the two
 * cannot be told apart. The 2006 version moved it to bit 8 ("RFP: Avoid using
 * _PAGE_PROTNONE") and gave up one more offset bit. Three protections need two bits; the
 * 29 free bits of a non-present i386 PTE then leave 27 for the offset (3·2^28 > 2^29).
 * Swap entries (__swp_entry): i386/x86_64 type in bits 1–5, offset from bit 8;
 *   PAE: the high word holds type (bits 0–4) | offset << 5.
 */

import type { ArchName } from './config.js';

export const PTE_PRESENT = 0x001;
export const PTE_RW = 0x002;
export const PTE_USER = 0x004;
export const PTE_ACCESSED = 0x020;
export const PTE_DIRTY = 0x040;
export const PTE_FILE = 0x040;
export const PTE_PROTNONE = 0x080;
/** In a file PTE with a protection (perPageProt): the page was PROT_NONE (_PAGE_FILE_PROTNONE, 2006). */
export const PTE_FILE_PROTNONE = 0x100;
/** NX lives in bit 63: bit 31 of the high word. */
export const PTE_HI_NX = 0x80000000;
/** Flags an upper-level entry (pgd/pud/pmd) carries: _PAGE_TABLE. */
export const PTE_TABLE = PTE_PRESENT | PTE_RW | PTE_USER | PTE_ACCESSED | PTE_DIRTY;

export interface Arch {
  readonly name: ArchName;
  readonly levels: number;
  readonly pteBytes: 4 | 8;
  /** Bits of virtual address the page tables translate (32 or 48). */
  readonly vaBits: number;
  /** TASK_SIZE: the end of user space. */
  readonly taskSize: number;
  /** PTE_FILE_MAX_BITS; Infinity where the check is compiled out (PAE). */
  readonly pteFileMaxBits: number;
  /** 2^PTE_FILE_MAX_BITS: remap_file_pages refuses pgoff + npages >= this. */
  readonly pteFileLimitPages: number;
  /** sizeof(struct vm_area_struct) in 2.6.11 (refs/linux-nonlinear.md §2). */
  readonly vmaStructBytes: number;
  /** Hex digits maps() prints per address: 8, as %08lx does (wider addresses print wider). */
  readonly mapsPadColumn: number;
  readonly hasNx: boolean;
  /** File PTEs hold the page's protection as well as its offset (KernelConfig.perPageProt). */
  readonly fileProt: boolean;
}

const GiB = 1024 ** 3;

const ARCHES: Record<ArchName, Arch> = {
  i386: {
    name: 'i386', levels: 2, pteBytes: 4, vaBits: 32, taskSize: 3 * GiB, pteFileMaxBits: 29, pteFileLimitPages: 2 ** 29,
    vmaStructBytes: 88, mapsPadColumn: 25 + 4 * 6, hasNx: false, fileProt: false,
  },
  'i386-pae': {
    name: 'i386-pae', levels: 3, pteBytes: 8, vaBits: 32, taskSize: 3 * GiB, pteFileMaxBits: Infinity, pteFileLimitPages: Infinity,
    vmaStructBytes: 92, mapsPadColumn: 25 + 4 * 6, hasNx: true, fileProt: false,
  },
  x86_64: {
    // TASK_SIZE_MAX = (1 << 47) - PAGE_SIZE
    name: 'x86_64', levels: 4, pteBytes: 8, vaBits: 48, taskSize: 2 ** 47 - 4096, pteFileMaxBits: 46, pteFileLimitPages: 2 ** 46,
    vmaStructBytes: 176, mapsPadColumn: 25 + 8 * 6, hasNx: true, fileProt: false,
  },
};

/** The same machines with protections in file PTEs (perPageProt): i386 loses two offset bits. */
const PROT_ARCHES: Record<ArchName, Arch> = {
  i386: { ...ARCHES.i386, pteFileMaxBits: 27, pteFileLimitPages: 2 ** 27, fileProt: true },
  'i386-pae': { ...ARCHES['i386-pae'], fileProt: true },
  x86_64: { ...ARCHES.x86_64, fileProt: true },
};

/** The arch `name`; with perPageProt, its variant whose file PTEs keep a protection. */
export function getArch(name: ArchName, perPageProt = false): Arch {
  return perPageProt ? PROT_ARCHES[name] : ARCHES[name];
}

/** Page-table geometry for an arch at a page size: index bits per level, top first. */
export interface Geometry {
  readonly pageShift: number;
  readonly entryBits: number;
  readonly entriesPerTable: number;
  /** Index bits of each level, [top, ..., pte]. */
  readonly levelBits: readonly number[];
  /** For each level, the number of pages one entry covers (2^(sum of lower bits)). */
  readonly levelSpanPages: readonly number[];
}

export function geometry(arch: Arch, pageSize: number): Geometry {
  const pageShift = Math.log2(pageSize);
  const entriesPerTable = pageSize / arch.pteBytes;
  const entryBits = Math.log2(entriesPerTable);
  const topBits = Math.max(1, arch.vaBits - pageShift - (arch.levels - 1) * entryBits);
  const levelBits: number[] = [topBits];
  for (let i = 1; i < arch.levels; i++) levelBits.push(entryBits);
  const levelSpanPages: number[] = [];
  for (let i = 0; i < arch.levels; i++) levelSpanPages.push(2 ** (entryBits * (arch.levels - 1 - i)));
  return { pageShift, entryBits, entriesPerTable, levelBits, levelSpanPages };
}

// ---- encodings (no allocation: each returns one word) ----

const TWO20 = 2 ** 20;
const TWO24 = 2 ** 24;

/** lo word of a present PTE for frame `pfn`. */
export function presentLo(pfn: number, flags: number): number {
  return (((pfn % TWO20) << 12) | flags) >>> 0;
}
/** hi word of a present PTE (PFN bits 32–51, NX). */
export function presentHi(arch: Arch, pfn: number, nx: boolean): number {
  if (arch.pteBytes === 4) return 0;
  return ((Math.floor(pfn / TWO20) & 0xfffff) | (nx && arch.hasNx ? PTE_HI_NX : 0)) >>> 0;
}
export function pfnOf(arch: Arch, lo: number, hi: number): number {
  const low = lo >>> 12;
  return arch.pteBytes === 4 ? low : low + (hi & 0xfffff) * TWO20;
}

// ---- page protections (perPageProt) ----

/**
 * One page's protection as an x86 PTE can tell it apart: protection_map gives PROT_EXEC
 * the read-only entry and PROT_WRITE the read-write one (x86 has no write-only pages),
 * so three values remain. The numbers are the PROT_READ / PROT_WRITE bits they allow.
 */
export const PP_NONE = 0;
export const PP_READ = 1;
export const PP_RW = 3;
export type PageProt = typeof PP_NONE | typeof PP_READ | typeof PP_RW;

/** Low flags of a present PTE with protection pp: PAGE_NONE, PAGE_READONLY, PAGE_SHARED. */
export function ppPresentBits(pp: PageProt): number {
  if (pp === PP_NONE) return PTE_PROTNONE | PTE_ACCESSED;
  return PTE_PRESENT | PTE_USER | (pp === PP_RW ? PTE_RW : 0);
}

/** The protection a present (or PROT_NONE) PTE grants (pte_to_pgprot). */
export function ppOfPresent(lo: number): PageProt {
  if ((lo & PTE_PRESENT) === 0) return PP_NONE;
  return (lo & PTE_RW) !== 0 ? PP_RW : PP_READ;
}

/** Whether pp allows a read, or a write. */
export function ppAllows(pp: PageProt, write: boolean): boolean {
  return (pp & (write ? 2 : 1)) !== 0;
}

/** pgprot_access_bits: the bits of a file PTE that say its page's protection. */
function fileAccessBits(pp: PageProt): number {
  return pp === PP_NONE ? PTE_FILE_PROTNONE : pp === PP_RW ? PTE_RW : 0;
}

// ---- file PTEs ----

/**
 * lo word of a file PTE for pgoff (pgoff_to_pte), and with arch.fileProt also for its
 * page's protection pp (pgoff_prot_to_pte); pp is ignored otherwise.
 */
export function fileLo(arch: Arch, pgoff: number, pp: PageProt = PP_READ): number {
  if (arch.fileProt) {
    const access = fileAccessBits(pp) | PTE_FILE;
    switch (arch.name) {
      case 'i386':
        return (((pgoff & 0xf) << 2) | ((Math.floor(pgoff / 16) & 0x7fffff) << 9) | access) >>> 0;
      case 'i386-pae':
        return access;
      case 'x86_64':
        return (((pgoff % TWO20) << 12) | access) >>> 0;
    }
  }
  switch (arch.name) {
    case 'i386':
      return ((((pgoff & 0x1f) << 1) | ((Math.floor(pgoff / 32) & 0xffffff) << 8)) | PTE_FILE) >>> 0;
    case 'i386-pae':
      return PTE_FILE;
    case 'x86_64':
      return (((pgoff % TWO20) << 12) | PTE_FILE) >>> 0;
  }
}
export function fileHi(arch: Arch, pgoff: number): number {
  switch (arch.name) {
    case 'i386':
      return 0;
    case 'i386-pae':
      return pgoff >>> 0;
    case 'x86_64':
      return Math.floor(pgoff / TWO20) >>> 0;
  }
}
/** pte_to_pgoff of a file PTE. */
export function filePgoff(arch: Arch, lo: number, hi: number): number {
  switch (arch.name) {
    case 'i386':
      return arch.fileProt ? ((lo >>> 2) & 0xf) + (lo >>> 9) * 16 : ((lo >>> 1) & 0x1f) + (lo >>> 8) * 32;
    case 'i386-pae':
      return hi >>> 0;
    case 'x86_64':
      return (lo >>> 12) + (hi & 0x3ffffff) * TWO20;
  }
}
/** pte_file_to_pgprot: the protection a file PTE keeps, or -1 where file PTEs keep none. */
export function fileProt(arch: Arch, lo: number): PageProt | -1 {
  if (!arch.fileProt) return -1;
  return (lo & PTE_FILE_PROTNONE) !== 0 ? PP_NONE : (lo & PTE_RW) !== 0 ? PP_RW : PP_READ;
}

export function swapLo(arch: Arch, type: number, offset: number): number {
  if (arch.name === 'i386-pae') return 0;
  return (((type & 0x1f) << 1) | ((offset % TWO24) << 8)) >>> 0;
}
export function swapHi(arch: Arch, type: number, offset: number): number {
  switch (arch.name) {
    case 'i386':
      return 0;
    case 'i386-pae':
      return ((type & 0x1f) | (offset << 5)) >>> 0;
    case 'x86_64':
      return Math.floor(offset / TWO24) >>> 0;
  }
}
export function swapType(arch: Arch, lo: number, hi: number): number {
  return arch.name === 'i386-pae' ? hi & 0x1f : (lo >>> 1) & 0x1f;
}
export function swapOffset(arch: Arch, lo: number, hi: number): number {
  switch (arch.name) {
    case 'i386':
      return lo >>> 8;
    case 'i386-pae':
      return hi >>> 5;
    case 'x86_64':
      return (lo >>> 8) + hi * TWO24;
  }
}

/** Largest swap offset the encoding holds. */
export function maxSwapOffset(arch: Arch): number {
  return arch.name === 'i386' ? 2 ** 24 - 1 : arch.name === 'i386-pae' ? 2 ** 27 - 1 : 2 ** 50;
}

export type PteKind = 'none' | 'present' | 'file' | 'swap';

/** Classify a PTE as the kernel does: pte_none, pte_present, pte_file, else a swap entry. */
export function pteKind(lo: number, hi: number): PteKind {
  if (lo === 0 && hi === 0) return 'none';
  if ((lo & (PTE_PRESENT | PTE_PROTNONE)) !== 0) return 'present';
  if ((lo & PTE_FILE) !== 0) return 'file';
  return 'swap';
}
