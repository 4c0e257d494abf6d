/**
 * mmap / munmap / mprotect edge cases, each asserting the errno or signal Linux 2.6 gives
 * (mm/mmap.c do_mmap_pgoff, get_unmapped_area, do_munmap, split_vma; mm/mprotect.c
 * sys_mprotect; arch/x86 do_page_fault), the VMA layout /proc/PID/maps shows afterwards,
 * the data semantics of MAP_PRIVATE (copy-on-write) and MAP_SHARED, and the
 * max_map_count limits (refs/linux-nonlinear.md §1.22): do_mmap_pgoff refuses once
 * map_count > max_map_count, split_vma once map_count >= max_map_count.
 *
 * Every test calls k.checkInvariants() after its steps.
 */

import * as fs from 'node:fs';

import t, { type Test } from 'tap';

import {
  DEFAULT_MAX_MAP_COUNT, KernelError, MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY,
  PROT_NONE, PROT_READ, PROT_WRITE, type Process, SEGV_ACCERR, SEGV_MAPERR,
} from '../../sim-kernel/index.js';

import {
  ANON, ARCHES, boot, caught, createFile, expectErrno, expectOk, expectSegv, expectSigbus, pagesFilled, PS, RW, vmaCount,
} from './helpers.js';

/** The /proc/PID/maps line format (fs/proc/task_mmu.c show_map). */
const MAPS_LINE = /^[0-9a-f]{8,}-[0-9a-f]{8,} [r-][w-][x-][sp] [0-9a-f]{8} [0-9a-f]{2}:[0-9a-f]{2} \d+ *(.*)$/;

// ---------------------------------------------------------------- helpers

interface MapsEntry {
  start: number;
  end: number;
  perms: string;
  offset: number;
  path: string;
}

function parseMaps(p: Process): MapsEntry[] {
  return p.maps().split('\n').filter((l) => l !== '').map((l) => {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ \d+ *(.*)$/.exec(l);
    if (m === null) throw new Error(`unparsable maps line: ${l}`);
    return {
      start: parseInt(m[1] as string, 16), end: parseInt(m[2] as string, 16), perms: m[3] as string,
      offset: parseInt(m[4] as string, 16), path: m[5] as string,
    };
  });
}

/** The maps entries overlapping [addr, addr + len), as [pages from addr, pages long, perms, offset]. */
function layout(p: Process, addr: number, len: number): [number, number, string, number][] {
  return parseMaps(p).filter((e) => e.end > addr && e.start < addr + len)
    .map((e) => [(e.start - addr) / PS, (e.end - e.start) / PS, e.perms, e.offset]);
}

function fill(p: Process, addr: number, pages: number, byte: number): void {
  p.write(addr, new Uint8Array(pages * PS).fill(byte));
}

/** A host file of `pages` pages, page i filled with byte (i + 1), open O_RDWR. */
function hostFile(t: Test, p: Process, pages: number, name = 'f'): { fd: number; file: string } {
  return createFile(t, p, 'host', name, pagesFilled(pages, (i) => i + 1));
}

// ---------------------------------------------------------------- mmap argument errors

t.test('mmap: argument errors give Linux\'s errnos and create nothing', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const { fd, file } = hostFile(t, p, 4);
  const ro = p.open(file, O_RDONLY);
  const wo = p.open(file, O_WRONLY);

  // Length 0 is EINVAL since 2.6.12 (2.6.11 returned addr).
  expectErrno(t, () => p.mmap(0, 0, RW, MAP_SHARED, fd, 0), 'EINVAL', 'length 0, file');
  expectErrno(t, () => p.mmap(0, 0, RW, ANON, -1, 0), 'EINVAL', 'length 0, anonymous');
  // sys_mmap: offset & ~PAGE_MASK → EINVAL, before the fd is even looked up.
  expectErrno(t, () => p.mmap(0, PS, PROT_READ, MAP_SHARED, fd, 100), 'EINVAL', 'offset 100');
  expectErrno(t, () => p.mmap(0, PS, PROT_READ, MAP_SHARED, fd, PS - 1), 'EINVAL', 'offset 4095');
  expectErrno(t, () => p.mmap(0, PS, PROT_READ, MAP_SHARED, 999, 1), 'EINVAL', 'unaligned offset with a bad fd');
  // MAP_TYPE must be MAP_SHARED or MAP_PRIVATE (0x03 is MAP_SHARED_VALIDATE only since 4.15).
  for (const flags of [0, MAP_FIXED, MAP_SHARED | MAP_PRIVATE, 0x0f]) {
    expectErrno(t, () => p.mmap(0, PS, PROT_READ, flags, fd, 0), 'EINVAL', `file, map type 0x${flags.toString(16)}`);
    expectErrno(t, () => p.mmap(0, PS, PROT_READ, flags | MAP_ANONYMOUS, -1, 0), 'EINVAL', `anonymous, map type 0x${flags.toString(16)}`);
  }
  // fget fails: EBADF.
  expectErrno(t, () => p.mmap(0, PS, PROT_READ, MAP_SHARED, 999, 0), 'EBADF', 'fd 999 not open');
  expectErrno(t, () => p.mmap(0, PS, PROT_READ, MAP_PRIVATE, -1, 0), 'EBADF', 'fd -1 without MAP_ANONYMOUS');
  const closed = p.open(file, O_RDWR);
  p.close(closed);
  expectErrno(t, () => p.mmap(0, PS, PROT_READ, MAP_SHARED, closed, 0), 'EBADF', 'a closed fd');
  // File mode checks.
  expectErrno(t, () => p.mmap(0, PS, RW, MAP_SHARED, ro, 0), 'EACCES', 'MAP_SHARED|PROT_WRITE of an O_RDONLY fd');
  expectErrno(t, () => p.mmap(0, PS, PROT_WRITE, MAP_SHARED, ro, 0), 'EACCES', 'MAP_SHARED PROT_WRITE only, O_RDONLY fd');
  expectErrno(t, () => p.mmap(0, PS, PROT_READ, MAP_SHARED, wo, 0), 'EACCES', 'MAP_SHARED of an O_WRONLY fd');
  expectErrno(t, () => p.mmap(0, PS, RW, MAP_SHARED, wo, 0), 'EACCES', 'MAP_SHARED|PROT_WRITE of an O_WRONLY fd');
  expectErrno(t, () => p.mmap(0, PS, PROT_READ, MAP_PRIVATE, wo, 0), 'EACCES', 'MAP_PRIVATE of an O_WRONLY fd');
  // MAP_FIXED: get_unmapped_area checks addr > TASK_SIZE - len (ENOMEM) before alignment (EINVAL).
  expectErrno(t, () => p.mmap(0x40000001, PS, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0), 'EINVAL', 'MAP_FIXED unaligned');
  expectErrno(t, () => p.mmap(0x40000800, PS, RW, ANON | MAP_FIXED, -1, 0), 'EINVAL', 'MAP_FIXED anonymous unaligned');
  t.equal(vmaCount(p), 0, 'no failed call created a mapping');
  k.checkInvariants();

  // The legal neighbours of those cases work.
  expectOk(t, () => p.mmap(0, PS, RW, MAP_PRIVATE, ro, 0), 'MAP_PRIVATE|PROT_WRITE of an O_RDONLY fd (copy-on-write)');
  expectOk(t, () => p.mmap(0, PS, PROT_READ, MAP_SHARED, ro, 0), 'MAP_SHARED|PROT_READ of an O_RDONLY fd');
  expectOk(t, () => p.mmap(0, PS, PROT_READ, MAP_SHARED, fd, 8 * PS), 'an offset past EOF is not an mmap error');
  expectOk(t, () => p.mmap(0, 1, PROT_READ, MAP_SHARED, fd, 0), 'length 1 (rounded up to a page)');
  t.equal(vmaCount(p) >= 1, true, 'mappings made');
  k.checkInvariants();
});

t.test('mmap MAP_FIXED beyond TASK_SIZE is ENOMEM (checked before alignment)', async (t) => {
  for (const arch of ARCHES) {
    const k = boot(t, { arch });
    const p = k.spawn();
    const top = arch === 'x86_64' ? 2 ** 47 - PS : 3 * 2 ** 30;
    expectErrno(t, () => p.mmap(top, PS, RW, ANON | MAP_FIXED, -1, 0), 'ENOMEM', `${arch}: MAP_FIXED at TASK_SIZE`);
    expectErrno(t, () => p.mmap(top - PS, 2 * PS, RW, ANON | MAP_FIXED, -1, 0), 'ENOMEM', `${arch}: MAP_FIXED running past TASK_SIZE`);
    // 2.6.11 get_unmapped_area: `if (addr > TASK_SIZE - len) return -ENOMEM; if (addr & ~PAGE_MASK)
    // return -EINVAL;` (the same order in every later kernel).
    expectErrno(t, () => p.mmap(top + 1, PS, RW, ANON | MAP_FIXED, -1, 0), 'ENOMEM', `${arch}: unaligned and past TASK_SIZE`);
    expectOk(t, () => p.mmap(top - PS, PS, RW, ANON | MAP_FIXED, -1, 0), `${arch}: the last page below TASK_SIZE`);
    k.checkInvariants();
  }
});

// ---------------------------------------------------------------- MAP_FIXED replaces

t.test('MAP_FIXED over an existing mapping replaces it', async (t) => {
  t.test('anonymous over anonymous: old bytes gone; the pieces merge back into one VMA', async (t) => {
    const k = boot(t);
    const p = k.spawn();
    const a = p.mmap(0, 4 * PS, RW, ANON, -1, 0);
    fill(p, a, 4, 0xaa);
    const b = p.mmap(a + PS, 2 * PS, RW, ANON | MAP_FIXED, -1, 0);
    t.equal(b, a + PS, 'MAP_FIXED returns the address asked for');
    t.equal(p.load8(a + PS), 0, 'replaced page 1 reads zero');
    t.equal(p.load8(a + 3 * PS - 1), 0, 'replaced page 2 reads zero');
    t.equal(p.load8(a), 0xaa, 'page 0 kept');
    t.equal(p.load8(a + 3 * PS), 0xaa, 'page 3 kept');
    // Private anonymous VMAs with equal flags and contiguous (address-derived) pgoff merge.
    t.same(layout(p, a, 4 * PS).map((e) => e.slice(0, 3)), [[0, 4, 'rw-p']], 'one VMA, as Linux gives');
    k.checkInvariants();
  });
  t.test('another file over a shared file mapping: three VMAs; the same file back: one', async (t) => {
    const k = boot(t);
    const p = k.spawn();
    const A = hostFile(t, p, 4, 'a');
    const B = hostFile(t, p, 4, 'b');
    // B's pages hold 0x11.. instead of 1..: rewrite it.
    fs.writeFileSync(B.file, new Uint8Array(4 * PS).fill(0x42));
    const a = p.mmap(0, 4 * PS, RW, MAP_SHARED, A.fd, 0);
    t.equal(p.load8(a + PS), 2, 'A page 1 before');
    p.mmap(a + PS, 2 * PS, RW, MAP_SHARED | MAP_FIXED, B.fd, 0);
    t.equal(p.load8(a + PS), 0x42, 'page 1 now shows B');
    t.equal(p.load8(a + 2 * PS), 0x42, 'page 2 now shows B');
    t.equal(p.load8(a), 1, 'page 0 still A page 0');
    t.equal(p.load8(a + 3 * PS), 4, 'page 3 still A page 3');
    t.same(layout(p, a, 4 * PS), [[0, 1, 'rw-s', 0], [1, 2, 'rw-s', 0], [3, 1, 'rw-s', 3 * PS]], 'A | B | A');
    t.match(parseMaps(p)[1]?.path ?? '', /\/b$/, 'the middle VMA is file b');
    k.checkInvariants();
    p.mmap(a + PS, 2 * PS, RW, MAP_SHARED | MAP_FIXED, A.fd, PS);
    t.same(layout(p, a, 4 * PS), [[0, 4, 'rw-s', 0]], 'A at its linear offset merges back into one VMA');
    t.same([0, 1, 2, 3].map((i) => p.load8(a + i * PS)), [1, 2, 3, 4], 'A\'s pages again');
    k.checkInvariants();
  });
});

// ---------------------------------------------------------------- munmap

t.test('munmap in the middle of a VMA splits it into two', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const { fd } = hostFile(t, p, 5);
  const a = p.mmap(0, 5 * PS, PROT_READ, MAP_SHARED, fd, 0);
  t.equal(p.load8(a + 2 * PS), 3, 'page 2 mapped before');
  p.munmap(a + PS, 2 * PS);
  t.same(layout(p, a, 5 * PS), [[0, 1, 'r--s', 0], [3, 2, 'r--s', 3 * PS]], 'two VMAs with offsets 0 and 3 pages');
  t.equal(p.load8(a), 1, 'page 0 still maps file page 0');
  t.equal(p.load8(a + 3 * PS), 4, 'page 3 still maps file page 3');
  t.equal(p.load8(a + 4 * PS), 5, 'page 4 still maps file page 4');
  expectSegv(t, () => p.load8(a + PS), SEGV_MAPERR, 'the hole');
  expectSegv(t, () => p.load8(a + 3 * PS - 1), SEGV_MAPERR, 'the hole\'s last byte');
  k.checkInvariants();
});

t.test('munmap of unmapped ranges succeeds; bad arguments are EINVAL', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const a = p.mmap(0, 4 * PS, RW, ANON, -1, 0);
  fill(p, a, 4, 7);
  expectOk(t, () => p.munmap(0x10000000, 16 * PS), 'a range nothing maps');
  expectOk(t, () => p.munmap(a + 4 * PS, PS), 'the page just above the mapping');
  expectOk(t, () => p.munmap(a - 3 * PS, 4 * PS), 'a range from a hole into the mapping (unmaps page 0)');
  expectSegv(t, () => p.load8(a), SEGV_MAPERR, 'page 0 gone');
  t.equal(p.load8(a + PS), 7, 'page 1 kept');
  expectOk(t, () => p.munmap(a - 3 * PS, 4 * PS), 'the same range again');
  t.same(layout(p, a, 4 * PS).map((e) => e.slice(0, 2)), [[1, 3]], 'one VMA of three pages left');
  k.checkInvariants();
  // do_munmap: start & ~PAGE_MASK, start > TASK_SIZE, len > TASK_SIZE - start → EINVAL;
  // PAGE_ALIGN(len) == 0 → EINVAL.
  expectErrno(t, () => p.munmap(a + PS + 1, PS), 'EINVAL', 'unaligned start');
  expectErrno(t, () => p.munmap(a + PS, 0), 'EINVAL', 'length 0');
  expectErrno(t, () => p.munmap(a + PS, -1), 'EINVAL', 'length (size_t)-1');
  expectErrno(t, () => p.munmap(2 ** 47 - PS, 2 * PS), 'EINVAL', 'range past TASK_SIZE');
  expectOk(t, () => p.munmap(a + PS, 1), 'an unaligned length is rounded up');
  expectSegv(t, () => p.load8(a + PS), SEGV_MAPERR, 'page 1 gone after munmap(len 1)');
  t.equal(p.load8(a + 2 * PS), 7, 'page 2 kept');
  k.checkInvariants();
});

t.test('a non-MAP_FIXED hint overlapping a mapping is not honoured and clobbers nothing', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const a = p.mmap(0x30000000, 4 * PS, RW, ANON, -1, 0);
  t.equal(a, 0x30000000, 'a free hint is honoured');
  fill(p, a, 4, 0x77);
  const b = p.mmap(a + PS, 2 * PS, RW, ANON, -1, 0);
  t.not(b, a + PS, 'an overlapping hint is not');
  t.ok(b + 2 * PS <= a || b >= a + 4 * PS, 'the new mapping does not overlap the old one');
  t.same([0, 1, 2, 3].map((i) => p.load8(a + i * PS)), [0x77, 0x77, 0x77, 0x77], 'old bytes intact');
  const c = p.mmap(0x38000123, PS, RW, ANON, -1, 0);
  t.equal(c, 0x38001000, 'an unaligned free hint is rounded up (PAGE_ALIGN)');
  k.checkInvariants();
});

t.test('munmap across two VMAs trims both ends', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const { fd } = hostFile(t, p, 8);
  const base = 0x30000000;
  p.mmap(base, 4 * PS, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
  p.mmap(base + 4 * PS, 4 * PS, RW, MAP_SHARED | MAP_FIXED, fd, 4 * PS);
  t.equal(layout(p, base, 8 * PS).length, 2, 'two VMAs (different prot)');
  p.munmap(base + 2 * PS, 4 * PS);
  t.same(layout(p, base, 8 * PS), [[0, 2, 'r--s', 0], [6, 2, 'rw-s', 6 * PS]], 'the tail of one and the head of the other went');
  t.equal(p.load8(base + PS), 2, 'page 1 still file page 1');
  t.equal(p.load8(base + 6 * PS), 7, 'page 6 still file page 6');
  expectSegv(t, () => p.load8(base + 5 * PS), SEGV_MAPERR, 'page 5 unmapped');
  k.checkInvariants();
});

// ---------------------------------------------------------------- mprotect and faults

t.test('mprotect PROT_READ then a store: SIGSEGV SEGV_ACCERR; unmapped memory: SEGV_MAPERR', async (t) => {
  for (const arch of ARCHES) {
    t.test(arch, async (t) => {
      const k = boot(t, { arch });
      const p = k.spawn();
      const a = p.mmap(0, 2 * PS, RW, ANON, -1, 0);
      p.store8(a, 9); // fault in writable, fill the TLB
      p.mprotect(a, 2 * PS, PROT_READ);
      expectSegv(t, () => p.store8(a, 1), SEGV_ACCERR, 'store to a present page made read-only');
      expectSegv(t, () => p.store8(a + PS, 1), SEGV_ACCERR, 'store to a never-touched read-only page');
      t.equal(p.load8(a), 9, 'loads still work and the byte is unchanged');
      p.mprotect(a, PS, PROT_NONE);
      expectSegv(t, () => p.load8(a), SEGV_ACCERR, 'load from PROT_NONE');
      p.mprotect(a, 2 * PS, RW);
      expectOk(t, () => p.store8(a, 10), 'store after restoring PROT_WRITE');
      t.equal(p.load8(a), 10, 'stored');
      // Nothing mapped: SEGV_MAPERR, for loads, stores, above TASK_SIZE and at 0.
      p.munmap(a, 2 * PS);
      expectSegv(t, () => p.load8(a), SEGV_MAPERR, 'load from an unmapped page');
      expectSegv(t, () => p.store8(a + PS, 1), SEGV_MAPERR, 'store to an unmapped page');
      expectSegv(t, () => p.load8(0), SEGV_MAPERR, 'load from NULL');
      // At or above TASK_SIZE (x86_64: the canonical guard page 2^47 - 4096; beyond 2^47 a
      // real CPU raises #GP instead, SI_KERNEL; i386: kernel space, bad_area_nosemaphore).
      expectSegv(t, () => p.load8(arch === 'x86_64' ? 2 ** 47 - PS : 3 * 2 ** 30 + 5), SEGV_MAPERR, 'load at/above TASK_SIZE');
      k.checkInvariants();
    });
  }
});

t.test('mprotect errors: hole → ENOMEM (after changing the part before it), EACCES, EINVAL', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const base = 0x30000000;
  p.mmap(base, 2 * PS, RW, ANON | MAP_FIXED, -1, 0);
  p.mmap(base + 3 * PS, 2 * PS, RW, ANON | MAP_FIXED, -1, 0);
  expectErrno(t, () => p.mprotect(base, 5 * PS, PROT_READ), 'ENOMEM', 'range with a hole');
  // sys_mprotect fixes up each VMA in turn and finds the hole after the first one.
  t.same(layout(p, base, 5 * PS).map((e) => e.slice(0, 3)), [[0, 2, 'r--p'], [3, 2, 'rw-p']],
    'the VMA before the hole was changed, the one after was not');
  expectErrno(t, () => p.mprotect(base + 2 * PS, 2 * PS, PROT_READ), 'ENOMEM', 'range starting in the hole');
  expectErrno(t, () => p.mprotect(base + 3 * PS, 3 * PS, PROT_READ), 'ENOMEM', 'range running past the last VMA');
  expectErrno(t, () => p.mprotect(0x20000000, PS, PROT_READ), 'ENOMEM', 'nothing mapped at all');
  expectErrno(t, () => p.mprotect(base + 1, PS, PROT_READ), 'EINVAL', 'unaligned start');
  expectErrno(t, () => p.mprotect(base, PS, 0x80), 'EINVAL', 'unknown prot bit');
  expectOk(t, () => p.mprotect(base, 0, PROT_NONE), 'length 0 is a no-op');
  k.checkInvariants();

  // MAP_SHARED of an O_RDONLY fd has no VM_MAYWRITE: PROT_WRITE is EACCES; MAP_PRIVATE may.
  const { file } = hostFile(t, p, 2);
  const ro = p.open(file, O_RDONLY);
  const s = p.mmap(0, 2 * PS, PROT_READ, MAP_SHARED, ro, 0);
  expectErrno(t, () => p.mprotect(s, 2 * PS, RW), 'EACCES', 'PROT_WRITE on MAP_SHARED of an O_RDONLY fd');
  expectErrno(t, () => p.mprotect(s + PS, PS, PROT_WRITE), 'EACCES', 'PROT_WRITE alone, second page');
  expectOk(t, () => p.mprotect(s, 2 * PS, PROT_NONE), 'dropping rights is allowed');
  const q = p.mmap(0, 2 * PS, PROT_READ, MAP_PRIVATE, ro, 0);
  expectOk(t, () => p.mprotect(q, 2 * PS, RW), 'PROT_WRITE on MAP_PRIVATE of an O_RDONLY fd');
  p.store8(q, 0x55);
  t.equal(p.load8(q), 0x55, 'private copy written');
  const back = new Uint8Array(1);
  p.pread(ro, back, 0);
  t.equal(back[0], 1, 'file unchanged');
  k.checkInvariants();
});

t.test('mprotect of the middle of a VMA splits it into three; restoring merges them into one', async (t) => {
  for (const kind of ['anonymous', 'file'] as const) {
    t.test(kind, async (t) => {
      const k = boot(t);
      const p = k.spawn();
      const fd = kind === 'file' ? hostFile(t, p, 6).fd : -1;
      const a = kind === 'file' ? p.mmap(0, 6 * PS, RW, MAP_SHARED, fd, 0) : p.mmap(0, 6 * PS, RW, ANON, -1, 0);
      const sp = kind === 'file' ? 's' : 'p';
      for (let i = 0; i < 6; i++) p.store8(a + i * PS, 0x30 + i);
      p.mprotect(a + 2 * PS, 2 * PS, PROT_READ);
      const off = (pg: number): number => (kind === 'file' ? pg * PS : 0);
      t.same(layout(p, a, 6 * PS), [[0, 2, `rw-${sp}`, off(0)], [2, 2, `r--${sp}`, off(2)], [4, 2, `rw-${sp}`, off(4)]],
        'three VMAs: rw | r | rw');
      expectSegv(t, () => p.store8(a + 3 * PS, 1), SEGV_ACCERR, 'store into the read-only middle');
      p.store8(a + 4 * PS, 0x44);
      k.checkInvariants();
      p.mprotect(a + 2 * PS, 2 * PS, RW);
      t.same(layout(p, a, 6 * PS), [[0, 6, `rw-${sp}`, off(0)]], 'merged back into one VMA');
      p.store8(a + 3 * PS, 0x33);
      t.same([0, 1, 2, 3, 4, 5].map((i) => p.load8(a + i * PS)), [0x30, 0x31, 0x32, 0x33, 0x44, 0x35], 'data intact');
      // Splitting at one end only: two VMAs; restoring: one.
      p.mprotect(a, PS, PROT_READ);
      t.equal(layout(p, a, 6 * PS).length, 2, 'mprotect of the first page: two VMAs');
      p.mprotect(a, PS, RW);
      t.equal(layout(p, a, 6 * PS).length, 1, 'and back to one');
      k.checkInvariants();
    });
  }
});

t.test('adjacent anonymous mappings with equal prot merge into one VMA', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const a = p.mmap(0, 2 * PS, RW, ANON, -1, 0);
  p.store8(a, 1);
  const b = p.mmap(0, 3 * PS, RW, ANON, -1, 0);
  t.equal(b, a - 3 * PS, 'top-down allocation puts the second mapping right below the first');
  t.same(layout(p, b, 5 * PS).map((e) => e.slice(0, 3)), [[0, 5, 'rw-p']], 'one VMA');
  p.store8(b, 2);
  t.equal(p.load8(a), 1, 'first mapping\'s data kept');
  // Different prot: no merge; making the prot equal merges them (mprotect's vma_merge).
  const c = p.mmap(0, PS, PROT_READ, ANON, -1, 0);
  t.equal(c, b - PS, 'third mapping right below');
  t.equal(layout(p, c, 6 * PS).length, 2, 'PROT_READ next to PROT_READ|PROT_WRITE: two VMAs');
  p.mprotect(c, PS, RW);
  t.same(layout(p, c, 6 * PS).map((e) => e.slice(0, 3)), [[0, 6, 'rw-p']], 'after mprotect: one VMA');
  // A shared anonymous mapping (a shmem file) does not merge with private memory.
  const d = p.mmap(0, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  t.equal(d, c - PS, 'shared anonymous right below');
  t.equal(layout(p, d, 7 * PS).length, 2, 'shared and private anonymous stay apart');
  t.match(p.maps(), /rw-s 00000000 00:[0-9a-f]{2} \d+ +\/dev\/zero \(deleted\)/, 'shared anonymous shows as /dev/zero (deleted)');
  k.checkInvariants();
});

// ---------------------------------------------------------------- file data semantics

t.test('access past EOF of a file mapping: SIGBUS; the tail of the last page reads zeros', async (t) => {
  for (const shm of [false, true]) {
    for (const type of [MAP_SHARED, MAP_PRIVATE]) {
      const what = `${shm ? 'tmpfs' : 'host'} ${type === MAP_SHARED ? 'MAP_SHARED' : 'MAP_PRIVATE'}`;
      const k = boot(t);
      const p = k.spawn();
      const { fd } = createFile(t, p, shm ? 'tmpfs' : 'host', 'short', new Uint8Array(100).fill(0xee));
      const a = p.mmap(0, 3 * PS, RW, type, fd, 0);
      t.equal(p.load8(a + 99), 0xee, `${what}: last byte of the file`);
      t.equal(p.load8(a + 100), 0, `${what}: bytes past EOF in the last page read zero`);
      t.equal(p.load8(a + PS - 1), 0, `${what}: last byte of the last page`);
      expectSigbus(t, () => p.load8(a + PS), `${what}: load from the first page past EOF`);
      expectSigbus(t, () => p.store8(a + 2 * PS + 7, 1), `${what}: store to a page past EOF`);
      // Growing the file makes the page valid.
      p.ftruncate(fd, 2 * PS);
      t.equal(p.load8(a + PS), 0, `${what}: after ftruncate up the page reads zeros`);
      expectSigbus(t, () => p.load8(a + 2 * PS), `${what}: the page past the new EOF still SIGBUSes`);
      k.checkInvariants();
    }
  }
});

t.test('MAP_PRIVATE writes are copy-on-write', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const q = k.spawn();
  const { fd, file } = hostFile(t, p, 2);
  const priv = p.mmap(0, 2 * PS, RW, MAP_PRIVATE, fd, 0);
  const priv2 = p.mmap(0, 2 * PS, RW, MAP_PRIVATE, fd, 0);
  const shared = p.mmap(0, 2 * PS, RW, MAP_SHARED, fd, 0);
  const qfd = q.open(file, O_RDWR);
  const other = q.mmap(0, 2 * PS, PROT_READ, MAP_SHARED, qfd, 0);
  // Before any private write, a private page is the page-cache page: it sees file updates.
  t.equal(p.load8(priv), 1, 'private mapping reads the file');
  p.pwrite(fd, new Uint8Array([0x61]), 0);
  t.equal(p.load8(priv), 0x61, 'an unwritten private page sees a later pwrite (shares the cache page)');
  const cowBefore = k.vmstatFields()['nr_cow_faults'] ?? 0;
  p.store8(priv, 0x99);
  t.equal((k.vmstatFields()['nr_cow_faults'] ?? 0) - cowBefore, 1, 'one COW fault');
  t.equal(p.load8(priv), 0x99, 'the private mapping sees its own write');
  t.equal(p.load8(priv2), 0x61, 'another private mapping does not');
  t.equal(p.load8(shared), 0x61, 'a shared mapping does not');
  t.equal(q.load8(other), 0x61, 'another process\'s shared mapping does not');
  const b = new Uint8Array(1);
  p.pread(fd, b, 0);
  t.equal(b[0], 0x61, 'pread does not');
  // After the copy, file updates no longer show through that page; other pages still do.
  p.pwrite(fd, new Uint8Array([0x62]), 0);
  p.pwrite(fd, new Uint8Array([0x63]), PS);
  t.equal(p.load8(priv), 0x99, 'the copied page is detached from the file');
  t.equal(p.load8(priv + PS), 0x63, 'the untouched private page still follows the file');
  t.same(layout(p, priv, 2 * PS).map((e) => e[2]), ['rw-p'], 'maps shows p');
  // Nothing private reaches the disk, even after sync.
  p.munmap(priv, 2 * PS);
  k.sync();
  t.equal(fs.readFileSync(file)[0], 0x62, 'on disk: the pwrite, never the private store');
  k.checkInvariants();
});

t.test('MAP_SHARED writes are seen by a second mapping, another process and pread', async (t) => {
  for (const shm of [false, true]) {
    const k = boot(t);
    const p = k.spawn();
    const q = k.spawn();
    let fd: number;
    let qfd: number;
    if (shm) {
      fd = p.open('/dev/shm/seg', O_RDWR | O_CREAT, 0o600);
      p.ftruncate(fd, 2 * PS);
      qfd = q.open('/dev/shm/seg', O_RDWR);
    } else {
      const h = hostFile(t, p, 2);
      fd = h.fd;
      qfd = q.open(h.file, O_RDWR);
    }
    const a = p.mmap(0, 2 * PS, RW, MAP_SHARED, fd, 0);
    const b = p.mmap(0, 2 * PS, PROT_READ, MAP_SHARED, fd, 0);
    const c = q.mmap(0, 2 * PS, RW, MAP_SHARED, qfd, 0);
    p.store32(a + PS + 8, 0xcafef00d);
    const what = shm ? 'tmpfs' : 'host';
    t.equal(p.load32(b + PS + 8), 0xcafef00d, `${what}: second mapping in the same process`);
    t.equal(q.load32(c + PS + 8), 0xcafef00d, `${what}: mapping in another process`);
    const buf = new Uint8Array(4);
    p.pread(fd, buf, PS + 8);
    t.same([...buf], [0x0d, 0xf0, 0xfe, 0xca], `${what}: pread`);
    q.store8(c, 0x5a);
    t.equal(p.load8(a), 0x5a, `${what}: and the other way`);
    p.pwrite(fd, new Uint8Array([0xa5]), 1);
    t.equal(q.load8(c + 1), 0xa5, `${what}: pwrite is seen by the mappings`);
    t.same(p.ptes(a, PS)[0]?.frame, q.ptes(c, PS)[0]?.frame, `${what}: both map the same frame`);
    k.checkInvariants();
  }
});

// ---------------------------------------------------------------- /proc/PID/maps

t.test('maps() lines match the /proc/PID/maps format', async (t) => {
  for (const arch of ARCHES) {
    t.test(arch, async (t) => {
      const k = boot(t, { arch });
      const p = k.spawn();
      const { fd, file } = hostFile(t, p, 4);
      const ro = p.open(file, O_RDONLY);
      const shm = p.open('/dev/shm/maps-test', O_RDWR | O_CREAT, 0o600);
      p.ftruncate(shm, 4 * PS);
      p.mmap(0, 2 * PS, RW, ANON, -1, 0);
      p.mmap(0, PS, PROT_READ, ANON, -1, 0);
      p.mmap(0, 2 * PS, RW, MAP_SHARED, fd, 2 * PS);
      p.mmap(0, PS, PROT_READ, MAP_SHARED, ro, 0);
      p.mmap(0, PS, PROT_READ | 4, MAP_PRIVATE, ro, PS);
      p.mmap(0, 4 * PS, RW, MAP_SHARED, shm, 0);
      p.mmap(0, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      const lines = p.maps().split('\n');
      t.equal(lines.pop(), '', 'maps ends with a newline');
      t.equal(lines.length, 7, 'seven VMAs');
      for (const line of lines) t.match(line, MAPS_LINE, `format: ${line}`);
      const entries = parseMaps(p);
      const sorted = [...entries].sort((x, y) => x.start - y.start);
      t.same(entries, sorted, 'lines in address order');
      const byPath = (re: RegExp): MapsEntry[] => entries.filter((e) => re.test(e.path));
      t.same(byPath(/\/f$/).map((e) => [e.perms, e.offset]).sort(), [['r--s', 0], ['r-xp', PS], ['rw-s', 2 * PS]].sort(),
        'host file: perms and offsets');
      t.same(byPath(/^\/dev\/shm\/maps-test$/).map((e) => e.perms), ['rw-s'], 'tmpfs file path');
      t.equal(entries.filter((e) => e.path === '').length, 2, 'two anonymous private VMAs without a path');
      for (const e of entries) {
        t.equal(e.start % PS, 0, 'start page-aligned');
        t.ok(e.end > e.start, 'end > start');
      }
      k.checkInvariants();
    });
  }
});

// ---------------------------------------------------------------- max_map_count

/**
 * A process whose first mapping is a 3-page MAP_SHARED window (file pages 0-2, for split
 * tests) followed by single-page MAP_SHARED mappings of file pages 10, 12, 14, ... —
 * non-contiguous offsets, so no two can merge although top-down allocation places them
 * at adjacent addresses. Maps until `vmas` VMAs exist or mmap fails; returns the
 * 3-page window's address and the error that stopped it.
 */
function fillMaps(p: Process, fd: number, vmas: number): { win: number; stop: unknown; calls: number } {
  const win = p.mmap(0, 3 * PS, RW, MAP_SHARED, fd, 0);
  let calls = 1;
  for (let i = 0; vmaCountFast(p) < vmas; i++) {
    const err = caught(() => p.mmap(0, PS, RW, MAP_SHARED, fd, (10 + 2 * i) * PS));
    calls++;
    if (err !== null) return { win, stop: err, calls };
  }
  return { win, stop: null, calls };
}

/** map_count straight from the mm (maps() text would be O(n) per call). */
function vmaCountFast(p: Process): number {
  return p.mm.mapCount;
}

function shmFile(p: Process, pages: number): number {
  const fd = p.open('/dev/shm/many', O_RDWR | O_CREAT, 0o600);
  p.ftruncate(fd, pages * PS);
  return fd;
}

t.test('max_map_count = 1000: mmap fails once map_count > max; splits once map_count >= max', async (t) => {
  const MAX = 1000;
  t.test('mmap succeeds while map_count <= max at call time: the VMA count reaches max + 1', async (t) => {
    const k = boot(t, { maxMapCount: MAX });
    const p = k.spawn();
    const fd = shmFile(p, 2 * MAX + 100);
    const { win, stop, calls } = fillMaps(p, fd, 10 * MAX);
    t.ok(stop instanceof KernelError && stop.code === 'ENOMEM', 'stopped by ENOMEM', { found: String(stop) });
    t.equal(calls, MAX + 2, `the call number ${MAX + 2} fails (the first ${MAX + 1} succeeded)`);
    t.equal(vmaCountFast(p), MAX + 1, `map_count at failure is max + 1 = ${MAX + 1}`);
    t.equal(vmaCount(p), MAX + 1, 'maps() agrees');
    t.equal(k.vmstatFields()['nr_vmas'], MAX + 1, 'vmstat nr_vmas agrees');
    k.checkInvariants();

    // Any split now fails: map_count (1001) >= max.
    expectErrno(t, () => p.munmap(win + PS, PS), 'ENOMEM', 'munmap of the middle page of the 3-page VMA');
    expectErrno(t, () => p.munmap(win + 2 * PS, PS), 'ENOMEM', 'munmap of its last page (one split; 2.6.11 split_vma checks each split)');
    expectErrno(t, () => p.mprotect(win + PS, PS, PROT_READ), 'ENOMEM', 'mprotect of its middle page');
    t.equal(vmaCountFast(p), MAX + 1, 'nothing changed');
    p.store8(win + PS, 0x11);
    t.equal(p.load8(win + PS), 0x11, 'the window still works');
    // Unmapping a whole VMA needs no split and works; then map_count = max, and one more
    // mmap succeeds (max is not > max) before the next fails again.
    const victim = win - 5 * PS;
    t.equal(layout(p, victim, PS).length, 1, 'a single-page VMA below the window');
    expectOk(t, () => p.munmap(victim, PS), 'munmap of a whole VMA needs no split');
    t.equal(vmaCountFast(p), MAX, 'map_count = max');
    expectErrno(t, () => p.munmap(win + PS, PS), 'ENOMEM', 'still no split at map_count = max');
    expectOk(t, () => p.mmap(0, PS, RW, MAP_SHARED, fd, (2 * MAX + 50) * PS), 'mmap at map_count = max succeeds');
    expectErrno(t, () => p.mmap(0, PS, RW, MAP_SHARED, fd, (2 * MAX + 52) * PS), 'ENOMEM', 'mmap at map_count = max + 1');
    // A mapping that merges is refused all the same: the check comes before vma_merge.
    expectErrno(t, () => p.mmap(win + 3 * PS, PS, RW, MAP_SHARED | MAP_FIXED, fd, 3 * PS), 'ENOMEM', 'even one that would merge');
    k.checkInvariants();
  });

  t.test('split boundaries: map_count max - 1 and max - 2', async (t) => {
    // 2.6.11 do_munmap calls split_vma for the start and then for the end, each refusing
    // at map_count >= max: from max - 1 the first split succeeds (→ max) and the second
    // fails, leaving the first split in place (no rollback). From max - 2 both succeed.
    // (Since 3.0 do_munmap checks once, up front, and lets map_count exceed max briefly.)
    const k1 = boot(t, { maxMapCount: MAX });
    const p1 = k1.spawn();
    const r1 = fillMaps(p1, shmFile(p1, 2 * MAX + 100), MAX - 1);
    t.equal(r1.stop, null, 'filled without error');
    t.equal(vmaCountFast(p1), MAX - 1, 'map_count = max - 1');
    expectErrno(t, () => p1.munmap(r1.win + PS, PS), 'ENOMEM', 'middle munmap at max - 1');
    t.equal(vmaCountFast(p1), MAX, 'the first split stayed: map_count = max');
    t.same(layout(p1, r1.win, 3 * PS).map((e) => e.slice(0, 2)), [[0, 1], [1, 2]], 'window split after page 0');
    k1.checkInvariants();

    const k2 = boot(t, { maxMapCount: MAX });
    const p2 = k2.spawn();
    const r2 = fillMaps(p2, shmFile(p2, 2 * MAX + 100), MAX - 2);
    t.equal(vmaCountFast(p2), MAX - 2, 'map_count = max - 2');
    expectOk(t, () => p2.munmap(r2.win + PS, PS), 'middle munmap at max - 2');
    t.equal(vmaCountFast(p2), MAX - 1, 'the window is two VMAs now');
    t.same(layout(p2, r2.win, 3 * PS).map((e) => e.slice(0, 2)), [[0, 1], [2, 1]], 'pages 0 and 2 remain');
    k2.checkInvariants();
  });
});

t.test(`max_map_count at the default ${DEFAULT_MAX_MAP_COUNT}: single-page mappings until ENOMEM`, async (t) => {
  const k = boot(t);
  t.equal(k.config.maxMapCount, 65530, 'the default is 65530');
  const p = k.spawn();
  const fd = shmFile(p, 2 * 65540);
  const t0 = Date.now();
  let stop: unknown = null;
  for (let i = 0; ; i++) {
    stop = caught(() => p.mmap(0, PS, PROT_READ, MAP_SHARED, fd, 2 * i * PS));
    if (stop !== null || i > 70000) break;
  }
  const ms = Date.now() - t0;
  t.comment(`${vmaCountFast(p)} single-page mappings in ${ms} ms`);
  t.ok(stop instanceof KernelError && stop.code === 'ENOMEM', 'stopped by ENOMEM', { found: String(stop) });
  t.equal(vmaCountFast(p), 65531, 'map_count at failure = 65531 (max + 1)');
  t.equal(k.vmstatFields()['nr_vmas'], 65531, 'vmstat nr_vmas agrees');
  t.equal(k.meminfoFields().VmaSlab, Math.ceil((65531 * 176) / 1024), 'VmaSlab = 65531 × 176 B (x86_64 2.6.11)');
  k.checkInvariants();
});
