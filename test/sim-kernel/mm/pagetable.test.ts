/**
 * Unit tests of Page tables: allocation on demand and freeing per architecture (mm/pagetable.ts).
 */

import t from 'tap';

import { PTE_PRESENT, geometry, getArch, presentLo } from '../../../sim-kernel/arch.js';
import type { ArchName } from '../../../sim-kernel/config.js';
import { PhysMem } from '../../../sim-kernel/mem/physmem.js';
import { PT_NONE, PageTables } from '../../../sim-kernel/mm/pagetable.js';

const ARCHES: ArchName[] = ['x86_64', 'i386', 'i386-pae'];

t.test('page tables allocate on demand and free what no VMA covers', async (t) => {
  for (const name of ARCHES) {
    const arch = getArch(name);
    const mem = new PhysMem(64 * 4096, 4096);
    const used = new Int32Array(mem.frameCount);
    const pt = new PageTables(mem, arch, geometry(arch, 4096), used);
    t.equal(pt.tableCount, 1, `${name}: just the pgd`);
    t.equal(pt.ptePtr(12345, false), PT_NONE, `${name}: no table yet`);
    let allocs = 0;
    const w = pt.ptePtr(12345, true, () => allocs++);
    t.ok(w >= 0, `${name}: PTE word`);
    t.equal(allocs, arch.levels - 1, `${name}: one table per lower level`);
    t.equal(pt.ptePtr(12346, false), w + arch.pteBytes / 4, `${name}: neighbour in the same table`);
    mem.words[w] = presentLo(3, PTE_PRESENT);
    pt.adjustUsed(w, 1);
    pt.checkInvariants();
    mem.words[w] = 0;
    pt.adjustUsed(w, -1);
    const freed = pt.freeTables(12345, 12346, 0, Number.MAX_SAFE_INTEGER);
    t.equal(freed, arch.levels - 1, `${name}: tables freed again`);
    t.equal(pt.ptePtr(12345, false), PT_NONE, `${name}: and gone (the leaf cache forgot them)`);
    pt.checkInvariants();
    pt.destroy();
    mem.checkInvariants();
    t.equal(mem.freeCount, mem.frameCount, `${name}: every frame back`);
  }
});
