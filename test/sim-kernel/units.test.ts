/**
 * Unit tests of sim-kernel's small modules: PTE encodings per architecture, page-table
 * geometry and allocation/freeing, the frame table, the page-cache index, the LRU
 * lists, the swap slot map, the PRNG and the accounting.
 */

import t from 'tap';

import { Accounting, EV, VS } from '../../sim-kernel/accounting.js';
import {
  PTE_ACCESSED, PTE_DIRTY, PTE_FILE, PTE_PRESENT, PTE_PROTNONE, PTE_RW, PTE_USER, fileHi, fileLo, filePgoff, geometry,
  getArch, maxSwapOffset, pfnOf, presentHi, presentLo, pteKind, swapHi, swapLo, swapOffset, swapType,
} from '../../sim-kernel/arch.js';
import { DEFAULT_COSTS_NS, type ArchName } from '../../sim-kernel/config.js';
import { LRU_ACTIVE_FILE, LRU_INACTIVE_FILE, Lru } from '../../sim-kernel/mem/lru.js';
import { PT_NONE, PageTables } from '../../sim-kernel/mm/pagetable.js';
import { PG_ANON, PG_PAGECACHE, PhysMem } from '../../sim-kernel/mem/physmem.js';
import { Prng } from '../../sim-kernel/prng.js';
import { SwapDevice } from '../../sim-kernel/mem/swap.js';
import { PageIndex } from '../../sim-kernel/fs/vfs.js';

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

t.test('frame table: alloc, free, invariants', async (t) => {
  const mem = new PhysMem(8 * 4096, 4096);
  const a = mem.alloc(PG_ANON, true);
  const b = mem.alloc(PG_PAGECACHE, false);
  t.not(a, b);
  t.equal(mem.freeCount, 6);
  mem.checkInvariants();
  mem.free(a);
  t.throws(() => mem.free(a), /double free/);
  mem.mapcount[b] = 1;
  t.throws(() => mem.free(b), /still mapped/);
  mem.mapcount[b] = 0;
  mem.free(b);
  for (let i = 0; i < 8; i++) mem.alloc(PG_ANON, false);
  t.equal(mem.alloc(PG_ANON, false), -1, 'out of frames');
});

t.test('page-cache index: dense and sparse offsets', async (t) => {
  const idx = new PageIndex();
  const offs = [0, 5, 63, 64, 4095, 2 ** 22 - 1, 2 ** 22, 2 ** 40];
  offs.forEach((o, i) => idx.set(o, i));
  t.equal(idx.size, offs.length);
  offs.forEach((o, i) => t.equal(idx.get(o), i, `get ${o}`));
  t.equal(idx.get(6), undefined);
  t.ok(idx.delete(64));
  t.notOk(idx.delete(64));
  t.notOk(idx.has(64));
  t.same([...idx].map(([o]) => o), offs.filter((o) => o !== 64), 'iterates every entry');
});

t.test('LRU lists keep links and counts', async (t) => {
  const lru = new Lru(8);
  lru.add(1, LRU_INACTIVE_FILE);
  lru.add(2, LRU_INACTIVE_FILE);
  lru.add(3, LRU_ACTIVE_FILE);
  t.equal(lru.tail[LRU_INACTIVE_FILE], 1, 'oldest at the tail');
  lru.moveToHead(1, LRU_INACTIVE_FILE);
  t.equal(lru.tail[LRU_INACTIVE_FILE], 2);
  lru.moveToHead(2, LRU_ACTIVE_FILE);
  t.equal(lru.count[LRU_ACTIVE_FILE], 2);
  lru.remove(3);
  lru.checkInvariants();
  t.throws(() => lru.add(2, LRU_INACTIVE_FILE), /already on LRU/);
});

t.test('swap slot map: allocate, share, free', async (t) => {
  const sw = new SwapDevice(4 * 4096, 4096, '');
  t.equal(sw.totalSlots, 3, 'slot 0 is the header');
  const a = sw.alloc();
  const b = sw.alloc();
  const c = sw.alloc();
  t.same([a, b, c].sort(), [1, 2, 3]);
  t.equal(sw.alloc(), -1, 'full');
  sw.dup(a);
  sw.put(a);
  t.equal(sw.freeCount, 0);
  sw.put(a);
  t.equal(sw.freeCount, 1);
  const data = new Uint8Array(4096).fill(7);
  sw.writeSlot(b, data, 0);
  const back = new Uint8Array(4096);
  sw.readSlot(b, back, 0);
  t.same(back, data, 'slot I/O through the real swap file');
  sw.close();
});

t.test('PRNG is deterministic per seed', async (t) => {
  const a = new Prng(42);
  const b = new Prng(42);
  const c = new Prng(43);
  const xs = Array.from({ length: 8 }, () => a.nextU32());
  t.same(Array.from({ length: 8 }, () => b.nextU32()), xs);
  t.not(c.nextU32(), xs[0]);
  for (let i = 0; i < 1000; i++) {
    const v = a.int(3, 9);
    if (v < 3 || v > 9 || !Number.isInteger(v)) t.fail(`int out of range: ${v}`);
  }
});

t.test('accounting charges the cost model and keeps the clock monotonic', async (t) => {
  const acct = new Accounting(DEFAULT_COSTS_NS);
  acct.charge(EV.minorFault, 2);
  acct.charge(EV.syscallEntry);
  acct.count(VS.pgfault);
  t.equal(acct.kernelNs, 2 * DEFAULT_COSTS_NS.minorFault + DEFAULT_COSTS_NS.syscallEntry);
  t.equal(acct.timeByEvent().minorFault?.count, 2);
  t.equal(acct.vmstat().pgfault, 1);
  acct.advance(1000);
  t.equal(acct.nowNs, acct.kernelNs + 1000);
  t.throws(() => acct.advance(-1));
});
