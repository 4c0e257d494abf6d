/**
 * Unit tests of PTE encodings and page-table geometry per architecture (arch.ts), with
 * and without protections in file PTEs (perPageProt: pgoff_prot_to_pte).
 */

import t from 'tap';

import {
  PP_NONE, PP_READ, PP_RW, PTE_ACCESSED, PTE_DIRTY, PTE_FILE, PTE_FILE_PROTNONE, PTE_PRESENT, PTE_PROTNONE, PTE_RW, PTE_USER,
  fileHi, fileLo, filePgoff, fileProt, geometry, getArch, maxSwapOffset, pfnOf, ppOfPresent, ppPresentBits, presentHi,
  presentLo, pteKind, swapHi, swapLo, swapOffset, swapType,
} from '../../sim-kernel/arch.js';
import type { ArchName } from '../../sim-kernel/config.js';

const ARCHES: ArchName[] = ['x86_64', 'i386', 'i386-pae'];

t.test('PTE encodings round-trip and classify as the kernel does', async (t) => {
  for (const name of ARCHES) {
    const arch = getArch(name);
    for (const pfn of [0, 1, 0xfffff, arch.pteBytes === 8 ? 0x123456 : 0xabcde]) {
      const lo = presentLo(pfn, PTE_PRESENT | PTE_RW | PTE_USER | PTE_ACCESSED | PTE_DIRTY);
      const hi = presentHi(arch, pfn, true);
      t.equal(pfnOf(arch, lo, hi), pfn, `${name}: pfn ${pfn} round-trips`);
      t.equal(pteKind(lo, hi), 'present', `${name}: present`);
    }
    t.equal(pteKind(PTE_PROTNONE | PTE_ACCESSED, 0), 'present', `${name}: PROTNONE counts as present to the kernel`);
    const maxPg = Number.isFinite(arch.pteFileMaxBits) ? 2 ** arch.pteFileMaxBits - 1 : 2 ** 32 - 1;
    for (const pgoff of [0, 1, 31, 32, 12345, 2 ** 20 + 7, maxPg]) {
      const lo = fileLo(arch, pgoff);
      const hi = fileHi(arch, pgoff);
      t.equal(pteKind(lo, hi), 'file', `${name}: file PTE for ${pgoff}`);
      t.equal(lo & PTE_PRESENT, 0, `${name}: a file PTE is not present`);
      t.ok((lo & PTE_FILE) !== 0, `${name}: _PAGE_FILE set`);
      t.equal(filePgoff(arch, lo, hi), pgoff, `${name}: pgoff ${pgoff} round-trips`);
    }
    for (const [type, off] of [[0, 1], [3, 1000], [31, maxSwapOffset(arch)]] as const) {
      const lo = swapLo(arch, type, off);
      const hi = swapHi(arch, type, off);
      t.equal(pteKind(lo, hi), 'swap', `${name}: swap entry`);
      t.equal(swapType(arch, lo, hi), type, `${name}: swap type`);
      t.equal(swapOffset(arch, lo, hi), off, `${name}: swap offset ${off}`);
    }
  }
  // i386's 29-bit file offsets: bits 0-4 in PTE bits 1-5, the rest from bit 8.
  t.equal(fileLo(getArch('i386'), 0x3f), ((0x1f << 1) | (1 << 8) | PTE_FILE) >>> 0, 'i386 file PTE layout');
});

t.test('page-table geometry per architecture', async (t) => {
  t.same(geometry(getArch('x86_64'), 4096).levelBits, [9, 9, 9, 9]);
  t.same(geometry(getArch('i386'), 4096).levelBits, [10, 10]);
  t.same(geometry(getArch('i386-pae'), 4096).levelBits, [2, 9, 9]);
});

t.test('file PTEs with a protection (perPageProt): round-trip, never present, and the reduced i386 limit', async (t) => {
  const LIMIT_BITS: Record<ArchName, number> = { i386: 27, 'i386-pae': Infinity, x86_64: 46 };
  for (const name of ARCHES) {
    const arch = getArch(name, true);
    t.ok(arch.fileProt, `${name}: file PTEs keep a protection`);
    t.equal(arch.pteFileMaxBits, LIMIT_BITS[name], `${name}: PTE_FILE_MAX_BITS ${LIMIT_BITS[name]}`);
    t.equal(arch.pteFileLimitPages, 2 ** LIMIT_BITS[name], `${name}: limit 2^${LIMIT_BITS[name]} pages`);
    t.equal(fileProt(getArch(name), fileLo(getArch(name), 5)), -1, `${name}: without perPageProt a file PTE keeps none`);
    const maxPg = Number.isFinite(arch.pteFileMaxBits) ? 2 ** arch.pteFileMaxBits - 1 : 2 ** 32 - 1;
    for (const pgoff of [0, 1, 15, 16, 17, 31, 32, 12345, 2 ** 20 + 7, 2 ** 23 - 1, maxPg]) {
      for (const pp of [PP_NONE, PP_READ, PP_RW] as const) {
        const lo = fileLo(arch, pgoff, pp);
        const hi = fileHi(arch, pgoff);
        // pte_present() is PRESENT|PROTNONE: a PROT_NONE file PTE must not look like a mapped page.
        t.equal(lo & (PTE_PRESENT | PTE_PROTNONE), 0, `${name} ${pgoff}/${pp}: neither PRESENT nor PROTNONE`);
        t.equal(pteKind(lo, hi), 'file', `${name} ${pgoff}/${pp}: a file PTE`);
        t.equal(filePgoff(arch, lo, hi), pgoff, `${name} ${pgoff}/${pp}: pgoff round-trips`);
        t.equal(fileProt(arch, lo), pp, `${name} ${pgoff}/${pp}: protection round-trips`);
      }
    }
  }
  // i386, 27 bits: pgoff bits 0-3 in PTE bits 2-5, bits 4-26 in PTE bits 9-31; RW in bit 1,
  // FILE in 6, FILE_PROTNONE in 8 (RFP-V4 13/13).
  const i386 = getArch('i386', true);
  t.equal(fileLo(i386, 0x1f, PP_READ), ((0xf << 2) | (1 << 9) | PTE_FILE) >>> 0, 'i386 protected layout, read-only');
  t.equal(fileLo(i386, 0, PP_RW), (PTE_RW | PTE_FILE) >>> 0, 'read-write: bit 1');
  t.equal(fileLo(i386, 0, PP_NONE), (PTE_FILE_PROTNONE | PTE_FILE) >>> 0, 'PROT_NONE: bit 8, not PROTNONE (bit 7)');
  t.equal(fileLo(i386, 2 ** 27 - 1, PP_RW), 0xfffffe7e, 'the largest offset fills bits 2-5 and 9-31');
  // Present PTEs: PAGE_NONE, PAGE_READONLY, PAGE_SHARED and back.
  for (const pp of [PP_NONE, PP_READ, PP_RW] as const) {
    const lo = presentLo(77, ppPresentBits(pp));
    t.equal(pteKind(lo, 0), 'present', `present PTE with protection ${pp}`);
    t.equal(ppOfPresent(lo), pp, `present protection ${pp} round-trips`);
  }
});
