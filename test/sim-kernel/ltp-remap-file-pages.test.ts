/**
 * Conformance of sim-kernel's remap_file_pages() against the Linux Test Project.
 *
 * - remap_file_pages01 (Ingo Molnar's original test): a 16-page window over a 1024-page
 *   file, every page of the file filled with a pattern derived from its index; the
 *   window is remapped in reversed pairs at a series of positions and every byte of
 *   every window page is checked. LTP runs it once on /dev/shm and once on a disk
 *   file; here it runs for both personalities × (host file, tmpfs file) × all three
 *   archs, and also checks the VMA picture each personality must give: one nonlinear
 *   VMA on 2.6 (VmFlags 'nl'), a VMA per remap on the 4.0 emulation.
 * - remap_file_pages02: EINVAL for a MAP_PRIVATE mapping, a start outside the mapping,
 *   a size past the mapping and prot = -1; plus every other error case listed in
 *   /work/shared/refs/linux-nonlinear.md §3 (2.6.11 mm/fremap.c), and the remaining
 *   behaviours of §1: rounding of start/size, the PTE_FILE_MAX_BITS limit per arch,
 *   MAP_NONBLOCK file PTEs and their major faults, write-back through the window, and
 *   flags other than MAP_NONBLOCK being ignored.
 *
 * Where the two personalities differ, each test says which Linux function it follows.
 * Every test calls k.checkInvariants() after its steps.
 */

import * as fs from 'node:fs';

import t, { type Test } from 'tap';

import {
  type Kernel, KernelError, MAP_ANONYMOUS, MAP_FIXED, MAP_LOCKED, MAP_NONBLOCK, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED,
  MS_SYNC, O_CREAT, O_RDONLY, O_RDWR, PROT_READ, PROT_WRITE, type Process,
} from '../../sim-kernel/index.js';

import {
  ARCHES, bootWith, caught, createFile, expectErrno, expectOk, expectSigbus, type FileKind, patternByte, patternFile, patternPage,
  PERSONALITIES, PS, sameBytes, vmaCount, vmFlagsAt,
} from './helpers.js';

/** LTP's geometry: a 1024-page "cache" file and a 16-page window over it. */
const CACHE_PAGES = 1024;
const WINDOW_PAGES = 16;
/** LTP maps the window MAP_FIXED at WINDOW_START = 0x48000000 (below 3 GiB on every arch). */
const WINDOW_START = 0x48000000;

// ---------------------------------------------------------------- helpers

/** A kernel with 32 MiB of RAM, shut down (without sync) at the end of the test. */
const boot = bootWith({ ramBytes: 32 * 1024 * 1024 });

/**
 * A process with a file of `pages` pages filled with the pattern, open O_RDWR: a host
 * file written with node:fs (so its pages start uncached and are read from disk), or a
 * /dev/shm file written with pwrite (tmpfs pages live only in simulated RAM).
 */
function setupFile(t: Test, k: Kernel, kind: FileKind, pages: number, name = 'cache'): { p: Process; fd: number; file: string } {
  const p = k.spawn();
  const data = patternFile(pages);
  const { fd, file, written } = createFile(t, p, kind, name, data, {
    shmPath: `/dev/shm/${name}-${t.name.replace(/[^a-z0-9]/gi, '')}`,
  });
  if (kind === 'tmpfs') t.equal(written, data.length, 'pattern written to the tmpfs file');
  return { p, fd, file };
}

// ---------------------------------------------------------------- remap_file_pages01

t.test('remap_file_pages01 (Ingo Molnar): 16-page window over a 1024-page file, reversed pairs', async (t) => {
  for (const personality of PERSONALITIES) {
    for (const kind of ['host', 'tmpfs'] as const) {
      for (const arch of ARCHES) {
        t.test(`${personality} ${arch} ${kind} file`, async (t) => {
          const k = boot(t, { arch, personality });
          const { p, fd } = setupFile(t, k, kind, CACHE_PAGES);
          const win = p.mmap(WINDOW_START, WINDOW_PAGES * PS, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED, fd, 0);
          t.equal(win, WINDOW_START, 'window mapped MAP_FIXED at LTP\'s WINDOW_START');
          k.checkInvariants();

          /** Read the whole window through the MMU and compare it with file pages `pgoffs`. */
          const check = (pgoffs: readonly number[], what: string): void => {
            const want = new Uint8Array(WINDOW_PAGES * PS);
            pgoffs.forEach((pg, i) => want.set(patternPage(pg), i * PS));
            sameBytes(t, p.read(win, WINDOW_PAGES * PS), want, `${what}: every byte of every window page`);
            // The PTEs agree: window page i maps the page-cache page of file page pgoffs[i].
            t.same(p.ptes(win, WINDOW_PAGES * PS).map((e) => e.pgoff), pgoffs, `${what}: PTEs map the right file pages`);
            k.checkInvariants();
          };

          // Before any remap the window is linear: page i is file page i.
          check(Array.from({ length: WINDOW_PAGES }, (_, i) => i), 'linear window');

          // Ingo's original loop, twice (LTP's `repeat = 2`): two-page remaps placing file
          // pages W-i-2, W-i-1 at window pages i, i+1 (the window reversed pair by pair).
          for (let repeat = 0; repeat < 2; repeat++) {
            for (let i = 0; i < WINDOW_PAGES; i += 2) p.remap_file_pages(win + i * PS, 2 * PS, 0, WINDOW_PAGES - i - 2, 0);
            check(Array.from({ length: WINDOW_PAGES }, (_, i) => (i & 1 ? WINDOW_PAGES - i : WINDOW_PAGES - i - 2)),
              `Ingo's loop, pass ${repeat + 1}`);
          }

          // A series of window positions, each remapped in reversed pairs with single-page
          // calls: window page 2m ← file page pos+2m+1, window page 2m+1 ← file page pos+2m.
          for (const pos of [0, 2, 17, 100, 511, 512, 777, CACHE_PAGES - WINDOW_PAGES]) {
            const want: number[] = [];
            for (let m = 0; m < WINDOW_PAGES; m += 2) {
              p.remap_file_pages(win + m * PS, PS, 0, pos + m + 1, 0);
              p.remap_file_pages(win + (m + 1) * PS, PS, 0, pos + m, 0);
              want.push(pos + m + 1, pos + m);
            }
            check(want, `window at file page ${pos}`);
          }

          // Spot checks through the word-sized accessors too (first word = page index).
          t.equal(p.load32(win), CACHE_PAGES - WINDOW_PAGES + 1, 'load32 of window page 0');
          t.equal(p.load32(win + PS), CACHE_PAGES - WINDOW_PAGES, 'load32 of window page 1');

          const maps = p.maps();
          if (personality === 'linux-2.6') {
            // Native nonlinear: the remaps changed PTEs only; the one VMA stays, its offset
            // is still 0, and it is marked VM_NONLINEAR.
            t.equal(vmaCount(p), 1, 'linux-2.6: exactly one VMA');
            t.match(maps, /^[0-9a-f]+-[0-9a-f]+ rw-s 00000000 /, 'linux-2.6: the VMA keeps offset 0');
            t.ok(vmFlagsAt(p, win).includes('nl'), 'linux-2.6: smaps VmFlags has nl', { found: vmFlagsAt(p, win) });
            t.ok(k.vmstatFields()['nr_vmas'] === 1, 'vmstat nr_vmas = 1');
          } else {
            // The 4.0 emulation is mmap(MAP_FIXED) per call: reversed pairs cannot merge.
            t.ok(vmaCount(p) > 1, `linux-4.0: more than one VMA (${vmaCount(p)})`);
            t.equal(vmaCount(p), WINDOW_PAGES, 'linux-4.0: one VMA per window page after single-page reversed remaps');
            t.notOk(vmFlagsAt(p, win).includes('nl'), 'linux-4.0: no VM_NONLINEAR');
          }

          // Nothing was written: the file still holds the pattern.
          const back = new Uint8Array(CACHE_PAGES * PS);
          t.equal(p.pread(fd, back, 0), back.length, 'pread of the whole file');
          sameBytes(t, back, patternFile(CACHE_PAGES), 'file content unchanged');
          p.munmap(win, WINDOW_PAGES * PS);
          t.equal(vmaCount(p), 0, 'munmap removes the window (all its VMAs)');
          k.checkInvariants();
        });
      }
    }
  }
});

// ---------------------------------------------------------------- remap_file_pages02

t.test('remap_file_pages02: EINVAL cases', async (t) => {
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality });
      const { p, fd } = setupFile(t, k, 'host', 32);
      const len = 8 * PS;
      const shared = p.mmap(0, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

      // 1. "start is not valid MAP_SHARED mmap": a MAP_PRIVATE mapping of the same file.
      const priv = p.mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      expectErrno(t, () => p.remap_file_pages(priv, PS, 0, 3, 0), 'EINVAL', 'MAP_PRIVATE mapping');
      k.checkInvariants();

      // 2. "start is invalid": an address no mapping covers (below both, and 0).
      const lowest = Math.min(shared, priv);
      expectErrno(t, () => p.remap_file_pages(lowest - 16 * PS, PS, 0, 3, 0), 'EINVAL', 'start outside any mapping');
      expectErrno(t, () => p.remap_file_pages(0, PS, 0, 3, 0), 'EINVAL', 'start = 0');
      k.checkInvariants();

      // 3. "size is invalid": the range runs past the end of the mapping.
      const top = p.mmap(0x50000000, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
      expectErrno(t, () => p.remap_file_pages(top, len + PS, 0, 0, 0), 'EINVAL', 'size past the end of the mapping');
      expectErrno(t, () => p.remap_file_pages(top + len - PS, 2 * PS, 0, 0, 0), 'EINVAL', 'last page plus one past the end');
      k.checkInvariants();

      // 4. "prot is invalid": prot = -1, and since 2.5.66 any nonzero prot (4.0 keeps the check).
      for (const prot of [-1, PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE]) {
        expectErrno(t, () => p.remap_file_pages(shared, PS, prot, 3, 0), 'EINVAL', `prot = ${prot}`);
      }
      // None of the failures changed the mappings.
      t.equal(p.load32(shared), 0, 'shared window page 0 still file page 0');
      t.equal(p.load32(priv), 0, 'private mapping page 0 still file page 0');
      k.checkInvariants();
    });
  }
});

t.test('refs §3: empty or wrapping ranges after rounding are EINVAL', async (t) => {
  for (const personality of PERSONALITIES) {
    for (const arch of ['x86_64', 'i386'] as const) {
      t.test(`${personality} ${arch}`, async (t) => {
        const k = boot(t, { personality, arch });
        const { p, fd } = setupFile(t, k, 'host', 16);
        const a = p.mmap(0, 8 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        expectErrno(t, () => p.remap_file_pages(a, 0, 0, 3, 0), 'EINVAL', 'size 0');
        expectErrno(t, () => p.remap_file_pages(a, PS - 1, 0, 3, 0), 'EINVAL', 'size 4095 rounds down to 0');
        expectErrno(t, () => p.remap_file_pages(a + 100, PS - 1, 0, 3, 0), 'EINVAL', 'unaligned start, size < a page');
        // (unsigned long)-1: rounds to ~0 & PAGE_MASK, so start + size wraps.
        expectErrno(t, () => p.remap_file_pages(a, -1, 0, 3, 0), 'EINVAL', 'size (unsigned long)-1 wraps');
        if (arch === 'i386') {
          // On a 32-bit kernel start + size wraps past 2^32 back below start.
          expectErrno(t, () => p.remap_file_pages(0xfffff000, 0x2000, 0, 0, 0), 'EINVAL', 'i386: 0xfffff000 + 0x2000 wraps');
          expectErrno(t, () => p.remap_file_pages(a, 2 ** 32 - a + PS, 0, 0, 0), 'EINVAL', 'i386: size reaching past 2^32 wraps');
        }
        t.equal(p.load32(a + 3 * PS), 3, 'mapping unchanged');
        k.checkInvariants();
      });
    }
  }
});

t.test('refs §3: a MAP_SHARED mapping of an O_RDONLY fd is not VM_SHARED: EINVAL', async (t) => {
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality });
      const { p, file } = setupFile(t, k, 'host', 16);
      const ro = p.open(file, O_RDONLY);
      const a = p.mmap(0, 8 * PS, PROT_READ, MAP_SHARED, ro, 0);
      t.match(p.maps(), /r--s/, 'maps still shows it as shared (VM_MAYSHARE)');
      expectErrno(t, () => p.remap_file_pages(a, PS, 0, 5, 0), 'EINVAL', 'MAP_SHARED of an O_RDONLY fd');
      t.equal(p.load32(a), 0, 'mapping unchanged');
      k.checkInvariants();
    });
  }
});

t.test('refs §3: anonymous mappings', async (t) => {
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality });
      const p = k.spawn();
      // Private anonymous memory has no file and no populate operation: EINVAL.
      for (const prot of [PROT_READ, PROT_READ | PROT_WRITE]) {
        const a = p.mmap(0, 4 * PS, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        expectErrno(t, () => p.remap_file_pages(a, PS, 0, 1, 0), 'EINVAL', `MAP_PRIVATE|MAP_ANONYMOUS prot ${prot}`);
        expectErrno(t, () => p.remap_file_pages(a, PS, 0, a / PS, 0), 'EINVAL', 'even at its own linear offset');
      }
      k.checkInvariants();
      // Shared anonymous memory is a shmem file ("/dev/zero (deleted)") whose vm_ops have
      // shmem_populate: Linux 2.6 accepts it (and so does the 4.0 emulation: it is a
      // VM_SHARED VMA with a file).
      const s = p.mmap(0, 4 * PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      for (let i = 0; i < 4; i++) p.store32(s + i * PS, 0xa0 + i);
      if (expectOk(t, () => p.remap_file_pages(s, PS, 0, 3, 0), 'MAP_SHARED|MAP_ANONYMOUS (shmem) is accepted')) {
        t.equal(p.load32(s), 0xa3, 'window page 0 now shows shmem page 3');
      }
      k.checkInvariants();
    });
  }
});

t.test('refs §3: pgoff + npages past end of file', async (t) => {
  t.test('linux-2.6: EINVAL from filemap_populate / shmem_populate', async (t) => {
    for (const kind of ['host', 'tmpfs'] as const) {
      const k = boot(t, { personality: 'linux-2.6' });
      const { p, fd } = setupFile(t, k, kind, 16, `eof-${kind}`);
      const a = p.mmap(0, 8 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      expectErrno(t, () => p.remap_file_pages(a, PS, 0, 16, 0), 'EINVAL', `${kind}: pgoff = EOF page`);
      expectErrno(t, () => p.remap_file_pages(a, 2 * PS, 0, 15, 0), 'EINVAL', `${kind}: last page + one past EOF`);
      expectErrno(t, () => p.remap_file_pages(a, PS, 0, 1000, 0), 'EINVAL', `${kind}: far past EOF`);
      expectErrno(t, () => p.remap_file_pages(a, PS, 0, 16, MAP_NONBLOCK), 'EINVAL', `${kind}: past EOF with MAP_NONBLOCK`);
      // VM_NONLINEAR is set before populate runs, and never cleared: the failed call
      // leaves the VMA nonlinear (no rollback, mm/fremap.c).
      t.ok(vmFlagsAt(p, a).includes('nl'), `${kind}: VMA left nonlinear by the failed call`);
      // The last whole page, and a partial last page, are inside EOF.
      expectOk(t, () => p.remap_file_pages(a, 2 * PS, 0, 14, 0), `${kind}: pages 14-15 end exactly at EOF`);
      t.equal(p.load32(a + PS), 15, `${kind}: window page 1 shows file page 15`);
      p.ftruncate(fd, 16 * PS + 1);
      expectOk(t, () => p.remap_file_pages(a, PS, 0, 16, 0), `${kind}: a partial last page (i_size rounded up) is inside EOF`);
      t.equal(p.load8(a), 0, `${kind}: the partial page reads zeros past the old end`);
      k.checkInvariants();
    }
  });
  t.test('linux-4.0: mmap(MAP_FIXED) does not check i_size; the touch SIGBUSes', async (t) => {
    const k = boot(t, { personality: 'linux-4.0' });
    const { p, fd } = setupFile(t, k, 'host', 16);
    const a = p.mmap(0, 8 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    expectOk(t, () => p.remap_file_pages(a, PS, 0, 16, 0), 'pgoff = EOF page is accepted');
    expectSigbus(t, () => p.load8(a), 'touching the page past EOF');
    k.checkInvariants();
  });
});

t.test('refs §3: PTE_FILE_MAX_BITS limits pgoff (i386 29 bits; x86_64 46; i386-pae none)', async (t) => {
  const LIMIT_I386 = 2 ** 29;
  for (const personality of PERSONALITIES) {
    for (const arch of ARCHES) {
      t.test(`${personality} ${arch}`, async (t) => {
        const k = boot(t, { personality, arch });
        const p = k.spawn();
        // A tmpfs file of 2^29 + 16 pages (2 TiB): pages are allocated only when touched.
        const fd = p.open('/dev/shm/huge', O_RDWR | O_CREAT, 0o600);
        p.ftruncate(fd, (LIMIT_I386 + WINDOW_PAGES) * PS);
        const marker = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
        p.pwrite(fd, marker, (LIMIT_I386 - 17) * PS);
        p.pwrite(fd, marker.slice().reverse(), LIMIT_I386 * PS);
        const a = p.mmap(0, WINDOW_PAGES * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        const i386Native = arch === 'i386' && personality === 'linux-2.6';

        // pgoff + npages < 2^29: fine everywhere.
        expectOk(t, () => p.remap_file_pages(a, WINDOW_PAGES * PS, 0, LIMIT_I386 - 17, 0), 'pgoff 2^29-17, 16 pages (sum 2^29-1)');
        t.equal(p.load32(a), 0xefbeadde, 'window page 0 shows the marker of page 2^29-17');
        if (personality === 'linux-2.6') t.equal(p.ptes(a, PS)[0]?.pgoff, LIMIT_I386 - 17, 'PTE maps page 2^29-17');
        k.checkInvariants();

        // pgoff + npages >= 2^29: EINVAL on i386 (2.6), accepted on x86_64, PAE, and by the
        // 4.0 emulation (no file PTEs, so no limit).
        const cases: [number, number][] = [[LIMIT_I386 - 16, WINDOW_PAGES], [LIMIT_I386 - 1, 1], [LIMIT_I386, WINDOW_PAGES]];
        for (const [pgoff, n] of cases) {
          const what = `pgoff ${pgoff}, ${n} pages (sum ${pgoff + n})`;
          if (i386Native) expectErrno(t, () => p.remap_file_pages(a, n * PS, 0, pgoff, 0), 'EINVAL', `i386: ${what}`);
          else expectOk(t, () => p.remap_file_pages(a, n * PS, 0, pgoff, 0), `${arch}: ${what} accepted`);
        }
        if (!i386Native) {
          t.equal(p.load32(a), 0xdeadbeef, 'window page 0 shows the marker of page 2^29');
          p.store32(a + 4, 0x12345678);
          const back = new Uint8Array(8);
          p.pread(fd, back, LIMIT_I386 * PS);
          t.same([...back], [0xef, 0xbe, 0xad, 0xde, 0x78, 0x56, 0x34, 0x12], 'a store through the window reaches page 2^29');
        }
        if (personality === 'linux-2.6') {
          // 2.6: the x86_64 limit (2^46 pages) is checked before i_size; 2^46 pages = 2^58
          // bytes is beyond any file we can make, so on PAE (no limit) the EOF check gives
          // the same EINVAL. (4.0 checks neither: mmap does not look at i_size.)
          expectErrno(t, () => p.remap_file_pages(a, PS, 0, 2 ** 46 - 1, 0), 'EINVAL', 'pgoff 2^46-1');
        }
        k.checkInvariants();
      });
    }
  }
});

t.test('§1.11: MAP_NONBLOCK on uncached pages leaves file PTEs that fault in on first touch', async (t) => {
  for (const arch of ARCHES) {
    t.test(`linux-2.6 ${arch}`, async (t) => {
      const k = boot(t, { arch, personality: 'linux-2.6' });
      const { p, fd } = setupFile(t, k, 'host', 64);
      // Page 40 goes into the page cache through pread (with readahead after it, so the
      // uncached pages are taken below 40: 37, 10 and 11 stay on disk only).
      p.pread(fd, new Uint8Array(4), 40 * PS);
      const a = p.mmap(0, 4 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      const readsBefore = k.vmstatFields()['nr_io_reads'] ?? 0;
      p.remap_file_pages(a, PS, 0, 37, MAP_NONBLOCK);
      p.remap_file_pages(a + PS, PS, 0, 40, MAP_NONBLOCK);
      p.remap_file_pages(a + 2 * PS, 2 * PS, 0, 10, MAP_NONBLOCK);
      const ptes = p.ptes(a, 4 * PS);
      t.same(ptes.map((e) => [e.kind, e.pgoff]), [['file', 37], ['present', 40], ['file', 10], ['file', 11]],
        'uncached pages: file PTEs holding their pgoff; a cached page: installed');
      t.equal((k.vmstatFields()['nr_io_reads'] ?? 0) - readsBefore, 0, 'MAP_NONBLOCK read nothing');
      k.checkInvariants();

      // First touch: do_file_page faults in the page at pte_to_pgoff(), counted major.
      const before = k.vmstatFields();
      sameBytes(t, p.read(a, PS), patternPage(37), 'window page 0 reads file page 37');
      const after = k.vmstatFields();
      t.equal((after['pgmajfault'] ?? 0) - (before['pgmajfault'] ?? 0), 1, 'one major fault');
      t.equal((after['nr_file_pte_faults'] ?? 0) - (before['nr_file_pte_faults'] ?? 0), 1, 'through the file PTE');
      t.same(p.ptes(a, PS).map((e) => [e.kind, e.pgoff]), [['present', 37]], 'now present');
      // A write fault on a file PTE works too.
      p.store8(a + 3 * PS + 5, 0x77);
      t.equal(p.load8(a + 3 * PS + 5), 0x77, 'write through a file PTE');
      t.equal(p.load8(a + 3 * PS + 4), patternByte(11, 4), 'the rest of page 11 intact');
      t.equal(vmaCount(p), 1, 'still one VMA');
      k.checkInvariants();
    });
  }
  t.test('linux-4.0: MAP_NONBLOCK means no populate; the first touch is an ordinary fault', async (t) => {
    const k = boot(t, { personality: 'linux-4.0' });
    const { p, fd } = setupFile(t, k, 'host', 64);
    const a = p.mmap(0, 4 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    p.remap_file_pages(a, PS, 0, 37, MAP_NONBLOCK);
    t.same(p.ptes(a, PS).map((e) => e.kind), ['none'], 'no PTE: 4.0 has no file PTEs');
    const before = k.vmstatFields()['pgmajfault'] ?? 0;
    sameBytes(t, p.read(a, PS), patternPage(37), 'window page 0 reads file page 37');
    t.equal((k.vmstatFields()['pgmajfault'] ?? 0) - before, 1, 'read from disk: a major fault');
    k.checkInvariants();
  });
});

t.test('§1.3: start and size are rounded down to pages, not rejected', async (t) => {
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality });
      const { p, fd } = setupFile(t, k, 'tmpfs', 32);
      const a = p.mmap(0, 8 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      // [a+PS+100, +PS+50) rounds to [a+PS, a+2PS): one page.
      expectOk(t, () => p.remap_file_pages(a + PS + 100, PS + 50, 0, 20, 0), 'unaligned start and size');
      t.equal(p.load32(a + PS), 20, 'the rounded-down page shows file page 20');
      t.equal(p.load32(a + 2 * PS), 2, 'the next page is untouched (size rounded down, not up)');
      t.equal(p.load32(a), 0, 'the page before is untouched');
      // A start in the last byte of the mapping with a page-sized size still fits.
      expectOk(t, () => p.remap_file_pages(a + 8 * PS - 1, PS, 0, 21, 0), 'start at the mapping\'s last byte');
      t.equal(p.load32(a + 7 * PS), 21, 'last page shows file page 21');
      k.checkInvariants();
    });
  }
});

t.test('writes through the window reach the host file after msync(MS_SYNC)', async (t) => {
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality });
      const { p, fd, file } = setupFile(t, k, 'host', 64);
      const a = p.mmap(0, 4 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      const targets = [33, 5, 60, 6];
      targets.forEach((pg, i) => p.remap_file_pages(a + i * PS, PS, 0, pg, 0));
      const stamp = (pg: number): Uint8Array => {
        const b = new Uint8Array(PS);
        for (let i = 0; i < PS; i++) b[i] = (pg * 3 + i * 11 + 1) & 0xff;
        return b;
      };
      targets.forEach((pg, i) => p.write(a + i * PS, stamp(pg)));
      k.checkInvariants();
      const disk = (): Buffer => fs.readFileSync(file);
      for (const pg of targets) sameBytes(t, disk().subarray(pg * PS, (pg + 1) * PS), patternPage(pg), `page ${pg}: not on disk before msync`);
      p.msync(a, 4 * PS, MS_SYNC);
      const after = disk();
      for (const pg of targets) sameBytes(t, after.subarray(pg * PS, (pg + 1) * PS), stamp(pg), `page ${pg}: on disk after msync(MS_SYNC)`);
      sameBytes(t, after.subarray(0, PS), patternPage(0), 'unmapped page 0 unchanged');
      sameBytes(t, after.subarray(34 * PS, 35 * PS), patternPage(34), 'page 34 unchanged');
      t.equal(after.length, 64 * PS, 'file size unchanged');
      k.checkInvariants();
    });
  }
});

t.test('§3: flags other than MAP_NONBLOCK are ignored', async (t) => {
  const junk = [MAP_PRIVATE, MAP_FIXED | MAP_LOCKED, MAP_POPULATE | MAP_ANONYMOUS, 0x40000000, 0x7fff0000 & ~MAP_NONBLOCK];
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality });
      const { p, fd } = setupFile(t, k, 'host', 32);
      const a = p.mmap(0, junk.length * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      junk.forEach((flags, i) => {
        if (expectOk(t, () => p.remap_file_pages(a + i * PS, PS, 0, 10 + i, flags), `flags 0x${flags.toString(16)} accepted`)) {
          t.equal(p.load32(a + i * PS), 10 + i, `page ${i} shows file page ${10 + i}`);
        }
      });
      // MAP_LOCKED in the flags did not lock anything; MAP_PRIVATE did not make it private.
      t.notOk(vmFlagsAt(p, a).includes('lo'), 'not VM_LOCKED');
      t.match(p.maps(), /rw-s/, 'still shared');
      k.checkInvariants();
    });
  }
});

t.test('§1.9: remapping to the linear offset', async (t) => {
  t.test('linux-2.6 (2.6.11): just populates; the VMA stays linear', async (t) => {
    const k = boot(t, { personality: 'linux-2.6' });
    const { p, fd } = setupFile(t, k, 'host', 16);
    const a = p.mmap(0, 8 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    p.remap_file_pages(a + 2 * PS, 2 * PS, 0, 2, 0);
    t.same(p.ptes(a + 2 * PS, 2 * PS).map((e) => [e.kind, e.pgoff]), [['present', 2], ['present', 3]], 'populated');
    t.notOk(vmFlagsAt(p, a).includes('nl'), 'not VM_NONLINEAR');
    t.equal(vmaCount(p), 1, 'one VMA');
    k.checkInvariants();
  });
  // Linux >= 4.0 mm/mmap.c remap_file_pages() has no linear-offset shortcut: it always
  // do_mmap()s MAP_SHARED|MAP_FIXED|MAP_POPULATE over the range. The new VMA has the
  // same file, flags and contiguous pgoff, so vma_merge folds it back into one VMA.
  t.test('linux-4.0: the emulation re-mmaps and populates; merging leaves one VMA', async (t) => {
    const k = boot(t, { personality: 'linux-4.0' });
    const { p, fd } = setupFile(t, k, 'host', 16);
    const a = p.mmap(0, 8 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    p.remap_file_pages(a + 2 * PS, 2 * PS, 0, 2, 0);
    t.equal(vmaCount(p), 1, 'one VMA');
    t.same(p.ptes(a + 2 * PS, 2 * PS).map((e) => [e.kind, e.pgoff]), [['present', 2], ['present', 3]], 'MAP_POPULATE faulted them in');
    k.checkInvariants();
  });
});

t.test('4.0 emulation (48f7df329474): the range may span contiguous VMAs of one file; 2.6 needs one VMA', async (t) => {
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality });
      const { p, fd } = setupFile(t, k, 'host', 32);
      const other = setupFile(t, k, 'host', 32, 'other');
      const base = 0x50000000;
      // Two adjacent MAP_SHARED VMAs of the same file that cannot merge (offsets 0 and 10).
      p.mmap(base, 2 * PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
      p.mmap(base + 2 * PS, 2 * PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 10 * PS);
      // And one of another file right after them.
      const ofd = p.open(other.file, O_RDWR);
      p.mmap(base + 4 * PS, 2 * PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, ofd, 0);
      t.equal(vmaCount(p), 3, 'three VMAs');
      expectErrno(t, () => p.remap_file_pages(base + 3 * PS, 2 * PS, 0, 20, 0), 'EINVAL', 'spanning into another file\'s VMA');
      if (personality === 'linux-2.6') {
        expectErrno(t, () => p.remap_file_pages(base + PS, 2 * PS, 0, 20, 0), 'EINVAL', '2.6: spanning two VMAs of one file');
      } else {
        expectOk(t, () => p.remap_file_pages(base + PS, 2 * PS, 0, 20, 0), '4.0: spanning two VMAs of one file');
        t.equal(p.load32(base + PS), 20, 'page 1 shows file page 20');
        t.equal(p.load32(base + 2 * PS), 21, 'page 2 shows file page 21');
      }
      k.checkInvariants();
    });
  }
});

t.test('§1.11/§1.13: file PTEs round-trip large offsets in every arch\'s encoding', async (t) => {
  // shmem_populate with MAP_NONBLOCK writes a file PTE for a hole (SGP_QUICK finds no
  // page); pgoff_to_pte / pte_to_pgoff must give the offset back bit for bit: i386 splits
  // it over PTE bits 1-5 and 8-31, PAE keeps it in the high word, x86_64 shifts it by 12.
  const pgoffs = [1, 31, 32, 33, 0x3ff, 0x1fffff, 0x0aaaaaaa, 0x15555555, 2 ** 29 - 100];
  for (const arch of ARCHES) {
    t.test(arch, async (t) => {
      const k = boot(t, { arch, personality: 'linux-2.6' });
      const p = k.spawn();
      const fd = p.open('/dev/shm/sparse', O_RDWR | O_CREAT, 0o600);
      p.ftruncate(fd, 2 ** 29 * PS);
      const a = p.mmap(0, pgoffs.length * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      pgoffs.forEach((pg, i) => p.remap_file_pages(a + i * PS, PS, 0, pg, MAP_NONBLOCK));
      t.same(p.ptes(a, pgoffs.length * PS).map((e) => [e.kind, e.pgoff]), pgoffs.map((pg) => ['file', pg]),
        'every window page holds a file PTE with its offset');
      k.checkInvariants();
      // Touch each: a zero page appears at the right offset; a store lands there.
      pgoffs.forEach((pg, i) => {
        t.equal(p.load8(a + i * PS), 0, `page ${pg} reads zero`);
        p.store8(a + i * PS + 1, (i + 1) * 7);
      });
      const b = new Uint8Array(2);
      pgoffs.forEach((pg, i) => {
        p.pread(fd, b, pg * PS);
        t.equal(b[1], (i + 1) * 7, `the store reached file page ${pg}`);
      });
      k.checkInvariants();
    });
  }
});

t.test('§1.11: with VM_LOCKED the range is always populated, MAP_NONBLOCK or not', async (t) => {
  const k = boot(t, { personality: 'linux-2.6' });
  const { p, fd } = setupFile(t, k, 'host', 32);
  const a = p.mmap(0, 4 * PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
  t.ok(vmFlagsAt(p, a).includes('lo'), 'VM_LOCKED');
  p.remap_file_pages(a, 2 * PS, 0, 20, MAP_NONBLOCK);
  t.same(p.ptes(a, 2 * PS).map((e) => [e.kind, e.pgoff]), [['present', 20], ['present', 21]],
    'uncached pages read in and installed, no file PTEs');
  sameBytes(t, p.read(a, PS), patternPage(20), 'window page 0 reads file page 20');
  k.checkInvariants();
});

t.test('§1.22/§1.25: max_map_count — native remaps add no VMAs; the 4.0 emulation hits ENOMEM', async (t) => {
  const MAX = 20;
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality, maxMapCount: MAX });
      const { p, fd } = setupFile(t, k, 'tmpfs', 256);
      const pages = 64;
      const a = p.mmap(0, pages * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      let stop: unknown = null;
      let done = 0;
      // Reverse the window page by page: window page i ← file page 100 + (pages - 1 - i).
      for (let i = 0; i < pages && stop === null; i++) {
        stop = caught(() => p.remap_file_pages(a + i * PS, PS, 0, 100 + pages - 1 - i, 0));
        if (stop === null) done++;
      }
      if (personality === 'linux-2.6') {
        t.equal(stop, null, `all ${pages} remaps succeed`);
        t.equal(vmaCount(p), 1, 'one VMA');
      } else {
        t.ok(stop instanceof KernelError && stop.code === 'ENOMEM', `ENOMEM after ${done} remaps`, { found: String(stop) });
        t.ok(done < pages && done >= MAX - 2, 'failed once the VMAs ran out, not before');
        t.ok(vmaCount(p) <= MAX + 1, `VMA count ${vmaCount(p)} <= max_map_count + 1`);
        // The remaps that succeeded are in place.
        t.equal(p.load32(a), 100 + pages - 1, 'window page 0 remapped');
      }
      k.checkInvariants();
    });
  }
});

t.test('§1.21: a nonlinear VMA never merges with a linear one (vm_flags differ by VM_NONLINEAR)', async (t) => {
  const k = boot(t, { personality: 'linux-2.6' });
  const { p, fd } = setupFile(t, k, 'host', 32);
  const base = 0x50000000;
  p.mmap(base, 4 * PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
  // Control: a linear neighbour with the contiguous offset merges.
  p.mmap(base + 4 * PS, 4 * PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 4 * PS);
  t.equal(vmaCount(p), 1, 'linear + contiguous linear: one VMA');
  p.munmap(base + 4 * PS, 4 * PS);
  // Make the first one nonlinear, then map the same neighbour again.
  p.remap_file_pages(base, PS, 0, 9, 0);
  p.mmap(base + 4 * PS, 4 * PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 4 * PS);
  t.equal(vmaCount(p), 2, 'nonlinear + contiguous linear: two VMAs');
  t.ok(vmFlagsAt(p, base).includes('nl'), 'the first is nonlinear');
  t.notOk(vmFlagsAt(p, base + 4 * PS).includes('nl'), 'the second is linear');
  t.equal(p.load32(base), 9, 'window page 0 still file page 9');
  t.equal(p.load32(base + 4 * PS), 4, 'the linear neighbour maps file page 4');
  // munmap of the nonlinear VMA's middle: both halves stay nonlinear and keep their pages.
  p.remap_file_pages(base + 3 * PS, PS, 0, 12, 0);
  p.munmap(base + PS, 2 * PS);
  t.ok(vmFlagsAt(p, base).includes('nl') && vmFlagsAt(p, base + 3 * PS).includes('nl'), 'both pieces nonlinear');
  t.equal(p.load32(base + 3 * PS), 12, 'the upper piece keeps its remapped page');
  k.checkInvariants();
});
