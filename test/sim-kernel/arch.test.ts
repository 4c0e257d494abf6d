/**
 * Unit tests of PTE encodings and page-table geometry per architecture (arch.ts).
 */

import t from 'tap';

import {
  PTE_ACCESSED, PTE_DIRTY, PTE_FILE, PTE_PRESENT, PTE_PROTNONE, PTE_RW, PTE_USER, fileHi, fileLo, filePgoff, geometry,
  getArch, maxSwapOffset, pfnOf, presentHi, presentLo, pteKind, swapHi, swapLo, swapOffset, swapType,
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
