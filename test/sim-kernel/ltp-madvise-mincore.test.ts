/**
 * Conformance of sim-kernel's madvise, mincore and msync against the Linux Test Project
 * (madvise01-03, mincore01/02) and mm/madvise.c, mm/mincore.c, mm/msync.c of 2.6:
 *
 * - madvise: EINVAL for an unaligned start or an unknown advice; ENOMEM when part of the
 *   range is unmapped — after advising the mapped part; EINVAL for MADV_DONTNEED on a
 *   VM_LOCKED VMA; EBADF for MADV_WILLNEED on memory without a file.
 * - MADV_DONTNEED zaps: private anonymous memory reads zero afterwards; a shared file
 *   mapping refaults the (dirty) page from the page cache; a private file mapping loses
 *   its COW copy; a nonlinear window (2.6) keeps each page's offset as a file PTE
 *   (zap_details.nonlinear_vma, refs/linux-nonlinear.md §1.18).
 * - MADV_WILLNEED reads the range into the page cache; MADV_RANDOM / MADV_SEQUENTIAL /
 *   MADV_NORMAL are VMA flags (readahead off / larger / normal) that split and merge VMAs.
 * - mincore: EINVAL for an unaligned start, ENOMEM for unmapped memory; one byte per
 *   page, 1 when the page is resident (page cache for file pages, present or swap-cached
 *   for anonymous ones).
 * - msync: MS_ASYNC only moves dirty bits from the PTEs to the pages (2.6.11
 *   filemap_sync): nothing reaches the host file until MS_SYNC or fsync; MS_INVALIDATE
 *   on a locked mapping is EBUSY.
 *
 * Every test calls k.checkInvariants() after each phase.
 */

import * as fs from 'node:fs';

import t, { type Test } from 'tap';

import {
  MADV_DONTNEED, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MAP_ANONYMOUS, MAP_FIXED, MAP_LOCKED,
  MAP_PRIVATE, MAP_SHARED, MS_ASYNC, MS_INVALIDATE, MS_SYNC, O_CREAT, O_RDWR, PROT_READ, Prng, type Process,
} from '../../sim-kernel/index.js';

import {
  ANON, boot, createFile, expectErrno, expectOk, type FileKind, PS, RW, vmaCount, vmFlagsAt,
} from './helpers.js';

/** Seed of every random choice in this file (printed with t.comment where used). */
const SEED = 0x6d616476; // "madv"

// ---------------------------------------------------------------- helpers

/** First word of file page i: its index mixed with a tag. */
const WORD = (tag: number, i: number): number => ((tag << 24) ^ (i * 0x9e3779b1)) >>> 0;

function patternData(tag: number, pages: number): Uint8Array {
  const data = new Uint8Array(pages * PS);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < pages; i++) {
    dv.setUint32(i * PS, WORD(tag, i), true);
    data.fill(i & 0xff, i * PS + 4, (i + 1) * PS);
  }
  return data;
}

/** A file of `pages` pattern pages, open O_RDWR. Host files are written with node:fs (uncached). */
function makeFile(t: Test, p: Process, kind: FileKind, pages: number, tag: number, name: string): { fd: number; file: string } {
  return createFile(t, p, kind, name, patternData(tag, pages));
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

function ones(n: number): number[] {
  return new Array<number>(n).fill(1);
}

// ---------------------------------------------------------------- madvise01

t.test('madvise01: every advice succeeds on file and anonymous mappings', async (t) => {
  for (const kind of ['host', 'tmpfs'] as const) {
    const k = boot(t);
    const p = k.spawn();
    const { fd } = makeFile(t, p, kind, 64, 1, `madvise01-${kind}`);
    const a = p.mmap(0, 64 * PS, RW, MAP_SHARED, fd, 0);
    for (const [advice, name] of [[MADV_NORMAL, 'MADV_NORMAL'], [MADV_RANDOM, 'MADV_RANDOM'],
      [MADV_SEQUENTIAL, 'MADV_SEQUENTIAL'], [MADV_WILLNEED, 'MADV_WILLNEED'], [MADV_DONTNEED, 'MADV_DONTNEED']] as const) {
      expectOk(t, () => p.madvise(a, 64 * PS, advice), `${kind}: ${name} over the whole mapping`);
      expectOk(t, () => p.madvise(a + 8 * PS, 5 * PS + 1, advice), `${kind}: ${name} over a part (length rounded up)`);
      expectOk(t, () => p.madvise(a, 0, advice), `${kind}: ${name} with length 0`);
      k.checkInvariants();
    }
    t.equal(p.load32(a + 63 * PS), WORD(1, 63), `${kind}: the mapping still reads the file`);
    const anon = p.mmap(0, 16 * PS, RW, ANON, -1, 0);
    for (const advice of [MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_DONTNEED]) {
      expectOk(t, () => p.madvise(anon, 16 * PS, advice), `${kind} kernel: anonymous advice ${advice}`);
    }
    p.madvise(a, 64 * PS, MADV_NORMAL);
    p.madvise(anon, 16 * PS, MADV_NORMAL);
    t.equal(vmaCount(p), 2, `${kind}: MADV_NORMAL over everything leaves the two original VMAs`);
    k.checkInvariants();
  }
});

// ---------------------------------------------------------------- madvise02

t.test('madvise02: error cases', async (t) => {
  t.test('EINVAL: unaligned start, unknown advice', async (t) => {
    const k = boot(t);
    const p = k.spawn();
    const a = p.mmap(0, 8 * PS, RW, ANON, -1, 0);
    for (const advice of [MADV_NORMAL, MADV_WILLNEED, MADV_DONTNEED]) {
      expectErrno(t, () => p.madvise(a + 1, PS, advice), 'EINVAL', `start + 1, advice ${advice}`);
      expectErrno(t, () => p.madvise(a + PS / 2, PS, advice), 'EINVAL', `start + 2048, advice ${advice}`);
    }
    for (const advice of [5, 7, 1212, -1]) expectErrno(t, () => p.madvise(a, PS, advice), 'EINVAL', `advice ${advice}`);
    k.checkInvariants();
  });

  t.test('ENOMEM: unmapped ranges, with the mapped part still advised', async (t) => {
    const k = boot(t);
    const p = k.spawn();
    const a = p.mmap(0, 8 * PS, RW, ANON, -1, 0);
    for (let i = 0; i < 8; i++) p.store32(a + i * PS, 0x1000 + i);
    p.munmap(a + 4 * PS, 2 * PS); // pages 4, 5 become a hole
    expectErrno(t, () => p.madvise(a + 4 * PS, 2 * PS, MADV_NORMAL), 'ENOMEM', 'entirely unmapped range');
    expectErrno(t, () => p.madvise(0x10000000, PS, MADV_NORMAL), 'ENOMEM', 'far from any mapping');
    // DONTNEED across the hole: pages 2, 3 and 6 are zapped, then ENOMEM.
    expectErrno(t, () => p.madvise(a + 2 * PS, 5 * PS, MADV_DONTNEED), 'ENOMEM', 'DONTNEED across a hole');
    t.same([0, 1, 2, 3, 6, 7].map((i) => p.load32(a + i * PS)), [0x1000, 0x1001, 0, 0, 0, 0x1007],
      'the mapped pages on both sides of the hole were zapped; the rest kept');
    k.checkInvariants();
    // A range starting in a hole: the mapped part after it is advised, then ENOMEM.
    const before = vmaCount(p);
    expectErrno(t, () => p.madvise(a + 4 * PS, 3 * PS, MADV_RANDOM), 'ENOMEM', 'MADV_RANDOM starting in the hole');
    t.equal(vmaCount(p), before + 1, 'page 6 was split off with the random-read hint');
    t.ok(vmFlagsAt(p, a + 6 * PS).includes('rr'), 'smaps VmFlags of page 6 has rr (VM_RAND_READ)', { found: vmFlagsAt(p, a + 6 * PS),
    });
    k.checkInvariants();
  });

  t.test('EINVAL: MADV_DONTNEED on a locked range', async (t) => {
    const k = boot(t);
    const p = k.spawn();
    const a = p.mmap(0, 8 * PS, RW, ANON, -1, 0);
    for (let i = 0; i < 8; i++) p.store32(a + i * PS, 0x2000 + i);
    p.mlock(a + 4 * PS, 4 * PS);
    expectErrno(t, () => p.madvise(a + 4 * PS, 4 * PS, MADV_DONTNEED), 'EINVAL', 'DONTNEED on the mlocked part');
    const l = p.mmap(0, 4 * PS, RW, ANON | MAP_LOCKED, -1, 0);
    p.store32(l, 0x77);
    expectErrno(t, () => p.madvise(l, 4 * PS, MADV_DONTNEED), 'EINVAL', 'DONTNEED on a MAP_LOCKED mapping');
    t.equal(p.load32(l), 0x77, 'the MAP_LOCKED data survived');
    t.same([4, 5, 6, 7].map((i) => p.load32(a + i * PS)), [0x2004, 0x2005, 0x2006, 0x2007], 'the mlocked data survived');
    expectOk(t, () => p.madvise(a, 4 * PS, MADV_DONTNEED), 'DONTNEED on the unlocked part is fine');
    t.equal(p.load32(a), 0, 'and zeroed it');
    // Other advice is allowed on a locked range.
    expectOk(t, () => p.madvise(a + 4 * PS, 4 * PS, MADV_SEQUENTIAL), 'MADV_SEQUENTIAL on the locked part');
    t.equal(k.meminfoFields().Mlocked, 32, 'still 8 pages mlocked');
    k.checkInvariants();
  });

  t.test('EAGAIN: a VMA split would pass max_map_count', async (t) => {
    // madvise_behavior turns split_vma's ENOMEM into EAGAIN ("a kernel resource was
    // temporarily unavailable"), in 2.6 as today.
    const k = boot(t, { maxMapCount: 3 });
    const p = k.spawn();
    const a = p.mmap(0, 8 * PS, RW, ANON, -1, 0);
    p.mmap(0x20000000, PS, PROT_READ, ANON | MAP_FIXED, -1, 0);
    p.mmap(0x30000000, PS, PROT_READ, ANON | MAP_FIXED, -1, 0);
    t.equal(vmaCount(p), 3, 'map_count = max_map_count = 3');
    expectErrno(t, () => p.madvise(a + 2 * PS, 4 * PS, MADV_RANDOM), 'EAGAIN', 'MADV_RANDOM needing a split');
    expectErrno(t, () => p.madvise(a, 4 * PS, MADV_SEQUENTIAL), 'EAGAIN', 'MADV_SEQUENTIAL needing a split');
    t.equal(vmaCount(p), 3, 'no VMA was added');
    expectOk(t, () => p.madvise(a, 8 * PS, MADV_RANDOM), 'advice over the whole VMA needs no split');
    expectOk(t, () => p.madvise(a + 2 * PS, 4 * PS, MADV_DONTNEED), 'MADV_DONTNEED never splits');
    k.checkInvariants();
  });

  t.test('EBADF: MADV_WILLNEED on anonymous memory', async (t) => {
    const k = boot(t);
    const p = k.spawn();
    const a = p.mmap(0, 8 * PS, RW, ANON, -1, 0);
    expectErrno(t, () => p.madvise(a, 8 * PS, MADV_WILLNEED), 'EBADF', 'WILLNEED on private anonymous memory');
    // Shared anonymous memory is a shmem file: it has one.
    const s = p.mmap(0, 8 * PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    expectOk(t, () => p.madvise(s, 8 * PS, MADV_WILLNEED), 'WILLNEED on shared anonymous memory (shmem)');
    k.checkInvariants();
  });
});

// ---------------------------------------------------------------- MADV_DONTNEED

t.test('MADV_DONTNEED on private anonymous memory: the next read is 0 and the memory is freed', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const a = p.mmap(0, 16 * PS, RW, ANON, -1, 0);
  for (let i = 0; i < 16; i++) p.store32(a + i * PS + 8, 0xdead0000 + i);
  const anonBefore = k.meminfoFields().AnonPages;
  p.madvise(a, 16 * PS, MADV_DONTNEED);
  k.checkInvariants();
  t.same(p.ptes(a, 16 * PS).map((e) => e.kind), new Array(16).fill('none'), 'every PTE is none');
  t.same([...p.mincore(a, 16 * PS)], zeros(16), 'mincore: nothing resident');
  t.equal(anonBefore - k.meminfoFields().AnonPages, 64, 'AnonPages dropped by 16 pages');
  let nonzero = 0;
  for (let i = 0; i < 16; i++) if (p.load32(a + i * PS + 8) !== 0) nonzero++;
  t.equal(nonzero, 0, 'every page reads 0 afterwards');
  k.checkInvariants();
});

t.test('MADV_DONTNEED on swapped-out anonymous memory frees the swap slots', async (t) => {
  const k = boot(t, { ramBytes: 1 << 20, swapBytes: 8 << 20 });
  const p = k.spawn();
  const n = 512; // twice the RAM
  const a = p.mmap(0, n * PS, RW, ANON, -1, 0);
  for (let i = 0; i < n; i++) p.store32(a + i * PS, WORD(2, i));
  k.checkInvariants();
  const swapped = p.ptes(a, n * PS).filter((e) => e.kind === 'swap').length;
  t.ok(swapped > 0, `${swapped} pages are swap entries`);
  const free0 = k.meminfoFields().SwapFree;
  p.madvise(a, n * PS, MADV_DONTNEED);
  k.checkInvariants();
  t.equal(k.meminfoFields().SwapFree, k.meminfoFields().SwapTotal, 'every swap slot is free again');
  t.ok(k.meminfoFields().SwapFree > free0, 'SwapFree grew');
  t.same(p.ptes(a, n * PS).filter((e) => e.kind !== 'none').length, 0, 'no PTE left');
  t.equal(p.load32(a + 3 * PS), 0, 'a formerly swapped page reads 0');
  k.checkInvariants();
  // Again, but read everything back first: swapped-in pages keep their swap-cache copy
  // while mapped; zapping them must drop it (free_page_and_swap_cache).
  for (let i = 0; i < n; i++) p.store32(a + i * PS, WORD(2, i));
  let bad = 0;
  for (let i = 0; i < n; i++) if (p.load32(a + i * PS) !== WORD(2, i)) bad++;
  t.equal(bad, 0, 'read back after swap-in');
  t.ok(k.meminfoFields().SwapCached > 0, 'some pages sit in the swap cache');
  p.madvise(a, n * PS, MADV_DONTNEED);
  k.checkInvariants();
  const m = k.meminfoFields();
  t.equal(m.SwapFree, m.SwapTotal, 'every swap slot is free again');
  t.equal(m.SwapCached, 0, 'nothing left in the swap cache');
  t.equal(m.AnonPages, 0, 'no anonymous page left');
  k.checkInvariants();
});

t.test('MADV_DONTNEED on a shared file mapping keeps the data (refaulted from the page cache)', async (t) => {
  for (const kind of ['host', 'tmpfs'] as const) {
    t.test(kind, async (t) => {
      const k = boot(t);
      const p = k.spawn();
      const { fd, file } = makeFile(t, p, kind, 16, 3, `dontneed-shared-${kind}`);
      const a = p.mmap(0, 16 * PS, RW, MAP_SHARED, fd, 0);
      for (let i = 0; i < 16; i += 2) p.store32(a + i * PS + 4, 0xfeed0000 + i);
      p.madvise(a, 16 * PS, MADV_DONTNEED);
      k.checkInvariants();
      t.same(p.ptes(a, 16 * PS).map((e) => e.kind), new Array(16).fill('none'), 'every PTE zapped');
      t.same([...p.mincore(a, 16 * PS)], ones(16), 'mincore: the pages are still in the page cache');
      t.ok(k.meminfoFields().Dirty >= 8 * 4, 'the dirty bits moved to the pages (meminfo Dirty)');
      const faults = k.vmstatFields()['pgmajfault'];
      let bad = 0;
      for (let i = 0; i < 16; i++) {
        const want = i % 2 === 0 ? 0xfeed0000 + i : (i & 0xff) * 0x01010101;
        if (p.load32(a + i * PS) !== WORD(3, i) || p.load32(a + i * PS + 4) !== want) bad++;
      }
      t.equal(bad, 0, 'every page reads back what was there before');
      t.equal(k.vmstatFields()['pgmajfault'], faults, 'the refaults were minor (page cache)');
      if (kind === 'host') {
        p.fsync(fd);
        const disk = fs.readFileSync(file);
        t.equal(disk.readUInt32LE(2 * PS + 4), 0xfeed0002, 'fsync wrote the page dirtied before DONTNEED');
      }
      k.checkInvariants();
    });
  }
});

t.test('MADV_DONTNEED on a private file mapping drops the COW copies: the file shows again', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const { fd } = makeFile(t, p, 'host', 8, 4, 'dontneed-private');
  const a = p.mmap(0, 8 * PS, RW, MAP_PRIVATE, fd, 0);
  for (let i = 0; i < 8; i++) p.store32(a + i * PS, 0xc0c0 + i);
  t.equal(p.load32(a + 5 * PS), 0xc0c5, 'the private copy holds the write');
  p.madvise(a, 8 * PS, MADV_DONTNEED);
  k.checkInvariants();
  let bad = 0;
  for (let i = 0; i < 8; i++) if (p.load32(a + i * PS) !== WORD(4, i)) bad++;
  t.equal(bad, 0, 'every page reads the file again');
  k.checkInvariants();
});

t.test('linux-2.6: MADV_DONTNEED on a nonlinear window leaves file PTEs holding the offsets', async (t) => {
  for (const kind of ['host', 'tmpfs'] as const) {
    t.test(kind, async (t) => {
      const k = boot(t, { personality: 'linux-2.6', seed: SEED });
      t.comment(`seed 0x${SEED.toString(16)}`);
      const prng = new Prng(SEED);
      const p = k.spawn();
      const filePages = 256;
      const n = 16;
      const { fd } = makeFile(t, p, kind, filePages, 5, `dontneed-nonlinear-${kind}`);
      const win = p.mmap(0, n * PS, RW, MAP_SHARED, fd, 0);
      // Window page i shows file page off[i]; pages 3 and 9 stay at their linear offsets.
      const off: number[] = [];
      for (let i = 0; i < n; i++) {
        const o = i === 3 || i === 9 ? i : prng.int(n, filePages - 1);
        off.push(o);
        p.remap_file_pages(win + i * PS, PS, 0, o, 0);
      }
      t.comment(`offsets ${off.join(',')}`);
      p.store32(win + 5 * PS + 8, 0xabcdef01); // dirty one page through the window
      t.same(p.ptes(win, n * PS).map((e) => e.pgoff), off, 'window PTEs map the remapped offsets');
      k.checkInvariants();
      p.madvise(win, n * PS, MADV_DONTNEED);
      k.checkInvariants();
      const after = p.ptes(win, n * PS);
      t.same(after.map((e) => e.kind), off.map((o, i) => (o === i ? 'none' : 'file')),
        'non-linear pages became file PTEs; pages at their linear offset became none');
      t.same(after.filter((e) => e.kind === 'file').map((e) => e.pgoff), off.filter((o, i) => o !== i),
        'each file PTE holds its page\'s offset');
      t.equal(k.vmstatFields()['nr_file_ptes'], off.filter((o, i) => o !== i).length, 'vmstat nr_file_ptes counts them');
      const filePteFaults = k.vmstatFields()['nr_file_pte_faults'] as number;
      let bad = 0;
      for (let i = 0; i < n; i++) if (p.load32(win + i * PS) !== WORD(5, off[i] as number)) bad++;
      t.equal(bad, 0, 'the next touch of every window page brings the right file page back');
      t.equal(p.load32(win + 5 * PS + 8), 0xabcdef01, 'the write made before DONTNEED is still there');
      t.equal((k.vmstatFields()['nr_file_pte_faults'] as number) - filePteFaults, off.filter((o, i) => o !== i).length,
        'each file PTE was resolved by a file-PTE fault');
      t.same(p.ptes(win, n * PS).map((e) => e.pgoff), off, 'the window maps the same offsets again');
      k.checkInvariants();
    });
  }
});

// ---------------------------------------------------------------- MADV_WILLNEED, RANDOM, SEQUENTIAL

t.test('MADV_WILLNEED reads file pages into the page cache', async (t) => {
  const k = boot(t, { readaheadPages: 0 });
  const p = k.spawn();
  const { fd } = makeFile(t, p, 'host', 64, 6, 'willneed');
  const a = p.mmap(0, 32 * PS, PROT_READ, MAP_SHARED, fd, 16 * PS); // file pages 16..47
  t.same([...p.mincore(a, 32 * PS)], zeros(32), 'nothing cached before');
  const reads = k.vmstatFields()['nr_io_reads'] as number;
  p.madvise(a + 8 * PS, 8 * PS, MADV_WILLNEED); // file pages 24..31
  k.checkInvariants();
  t.equal((k.vmstatFields()['nr_io_reads'] as number) - reads, 8, '8 pages read from disk');
  t.same([...p.mincore(a, 32 * PS)], [...zeros(8), ...ones(8), ...zeros(16)], 'mincore: exactly the advised pages are resident');
  t.same(p.ptes(a, 32 * PS).filter((e) => e.kind !== 'none').length, 0, 'WILLNEED maps nothing');
  // Another mapping of those pages sees them resident, and touching them is a minor fault.
  const b = p.mmap(0, 64 * PS, PROT_READ, MAP_SHARED, fd, 0);
  t.same([...p.mincore(b + 24 * PS, 8 * PS)], ones(8), 'a second mapping of pages 24..31: resident');
  t.same([...p.mincore(b, 24 * PS)], zeros(24), 'a second mapping of pages 0..23: not resident');
  const maj = k.vmstatFields()['pgmajfault'];
  t.equal(p.load32(b + 27 * PS), WORD(6, 27), 'page 27 reads right');
  t.equal(k.vmstatFields()['pgmajfault'], maj, 'and took no major fault');
  // WILLNEED up to and past the mapping's end stays inside the VMA and the file.
  expectOk(t, () => p.madvise(b + 60 * PS, 4 * PS, MADV_WILLNEED), 'WILLNEED on the last 4 pages');
  t.same([...p.mincore(b + 60 * PS, 4 * PS)], ones(4), 'the last 4 pages are resident');
  k.checkInvariants();
});

t.test('MADV_RANDOM turns fault readahead off, MADV_SEQUENTIAL keeps it, MADV_NORMAL restores it', async (t) => {
  const k = boot(t, { readaheadPages: 8 });
  const p = k.spawn();
  const { fd } = makeFile(t, p, 'host', 256, 7, 'readahead');
  const cachedAfterFault = (advice: number, at: number): number => {
    const a = p.mmap(0, 64 * PS, PROT_READ, MAP_SHARED, fd, at * PS);
    p.madvise(a, 64 * PS, advice);
    t.equal(p.load32(a), WORD(7, at), `advice ${advice}: the faulted page reads right`);
    const n = p.mincore(a, 64 * PS).reduce((s, b) => s + b, 0);
    p.munmap(a, 64 * PS);
    return n;
  };
  const random = cachedAfterFault(MADV_RANDOM, 0);
  const normal = cachedAfterFault(MADV_NORMAL, 64);
  const sequential = cachedAfterFault(MADV_SEQUENTIAL, 128);
  t.equal(random, 1, 'MADV_RANDOM: only the faulted page was read');
  t.equal(normal, 9, 'MADV_NORMAL: the page plus 8 pages of readahead');
  t.ok(sequential >= normal, `MADV_SEQUENTIAL: at least the normal window (${sequential})`);
  k.checkInvariants();
});

t.test('MADV_RANDOM / MADV_SEQUENTIAL split a VMA\'s middle off; MADV_NORMAL merges it back', async (t) => {
  for (const kind of ['anonymous', 'file'] as const) {
    const k = boot(t);
    const p = k.spawn();
    let a: number;
    if (kind === 'file') {
      const { fd } = makeFile(t, p, 'tmpfs', 16, 8, 'split-merge');
      a = p.mmap(0, 16 * PS, RW, MAP_SHARED, fd, 0);
    } else {
      a = p.mmap(0, 16 * PS, RW, ANON, -1, 0);
    }
    for (let i = 0; i < 16; i++) p.store32(a + i * PS + 12, 0x5150 + i);
    t.equal(vmaCount(p), 1, `${kind}: one VMA`);
    for (const [advice, flag] of [[MADV_RANDOM, 'rr'], [MADV_SEQUENTIAL, 'sr']] as const) {
      p.madvise(a + 4 * PS, 8 * PS, advice);
      k.checkInvariants();
      t.equal(vmaCount(p), 3, `${kind}: advice ${advice} split the middle into its own VMA`);
      const lines = p.maps().trim().split('\n');
      t.match(lines[1] ?? '', new RegExp(`^${(a + 4 * PS).toString(16).padStart(8, '0')}-${(a + 12 * PS).toString(16).padStart(8, '0')} `),
        `${kind}: the middle VMA is [a+4p, a+12p)`);
      t.ok(vmFlagsAt(p, a + 4 * PS).includes(flag), `${kind}: its VmFlags has ${flag}`, { found: vmFlagsAt(p, a + 4 * PS),
      });
    }
    // RANDOM over part of the SEQUENTIAL middle and one edge page: more VMAs.
    p.madvise(a + 2 * PS, 4 * PS, MADV_RANDOM);
    t.ok(vmaCount(p) > 3, `${kind}: overlapping advice splits further (${vmaCount(p)} VMAs)`);
    p.madvise(a, 16 * PS, MADV_NORMAL);
    k.checkInvariants();
    t.equal(vmaCount(p), 1, `${kind}: MADV_NORMAL over everything merges back into one VMA`);
    let bad = 0;
    for (let i = 0; i < 16; i++) if (p.load32(a + i * PS + 12) !== 0x5150 + i) bad++;
    t.equal(bad, 0, `${kind}: splits and merges kept the data`);
    k.checkInvariants();
  }
});

// ---------------------------------------------------------------- mincore01/02

t.test('mincore01: error cases', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const a = p.mmap(0, 8 * PS, RW, ANON, -1, 0);
  expectErrno(t, () => p.mincore(a + 1, PS), 'EINVAL', 'start + 1');
  expectErrno(t, () => p.mincore(a + 100, PS), 'EINVAL', 'start + 100');
  p.munmap(a + 4 * PS, 4 * PS);
  expectErrno(t, () => p.mincore(a + 4 * PS, 4 * PS), 'ENOMEM', 'an unmapped range');
  expectErrno(t, () => p.mincore(a, 8 * PS), 'ENOMEM', 'a range running into unmapped memory');
  expectErrno(t, () => p.mincore(0x10000000, PS), 'ENOMEM', 'far from any mapping');
  expectOk(t, () => p.mincore(a, 4 * PS), 'the mapped part alone is fine');
  t.equal(p.mincore(a, 0).length, 0, 'length 0: an empty vector');
  t.equal(p.mincore(a, PS + 1).length, 2, 'length rounded up to whole pages');
  k.checkInvariants();
});

t.test('mincore02: resident and non-resident pages of file and anonymous mappings', async (t) => {
  const k = boot(t, { readaheadPages: 0, seed: SEED });
  t.comment(`seed 0x${SEED.toString(16)}`);
  const prng = new Prng(SEED ^ 2);
  const p = k.spawn();
  // File: only the pages read with pread are cached.
  const { fd } = makeFile(t, p, 'host', 32, 9, 'mincore02');
  const want = zeros(32);
  const buf = new Uint8Array(PS);
  for (let j = 0; j < 10; j++) {
    const i = prng.int(0, 31);
    p.pread(fd, buf, i * PS);
    want[i] = 1;
  }
  t.comment(`cached pages ${want.flatMap((w, i) => (w === 1 ? [i] : [])).join(',')}`);
  const f = p.mmap(0, 32 * PS, PROT_READ, MAP_SHARED, fd, 0);
  t.same([...p.mincore(f, 32 * PS)], want, 'file mapping: exactly the cached pages are resident, mapped or not');
  // Extending the mapping past EOF: those pages are never resident.
  const g = p.mmap(0, 40 * PS, PROT_READ, MAP_SHARED, fd, 0);
  t.same([...p.mincore(g + 32 * PS, 8 * PS)], zeros(8), 'pages past EOF are not resident');
  // Anonymous: touched pages are resident, untouched ones are not.
  const a = p.mmap(0, 16 * PS, RW, ANON, -1, 0);
  t.same([...p.mincore(a, 16 * PS)], zeros(16), 'untouched anonymous memory is not resident');
  const awant = zeros(16);
  for (const i of [0, 3, 4, 15]) {
    p.store8(a + i * PS, 1);
    awant[i] = 1;
  }
  p.load8(a + 7 * PS); // a read fault maps a zero page too
  awant[7] = 1;
  t.same([...p.mincore(a, 16 * PS)], awant, 'anonymous: the touched pages are resident');
  // A locked file mapping is entirely resident (LTP mincore02 locks it first).
  const l = p.mmap(0, 32 * PS, PROT_READ, MAP_SHARED, fd, 0);
  p.mlock(l, 32 * PS);
  t.same([...p.mincore(l, 32 * PS)], ones(32), 'mlocked file mapping: all resident');
  k.checkInvariants();
});

t.test('mincore: swapped-out anonymous and tmpfs pages are not resident; swapped-in ones are', async (t) => {
  const k = boot(t, { ramBytes: 1 << 20, swapBytes: 8 << 20 });
  const p = k.spawn();
  const n = 512;
  const a = p.mmap(0, n * PS, RW, ANON, -1, 0);
  for (let i = 0; i < n; i++) p.store32(a + i * PS, WORD(10, i));
  const ptes = p.ptes(a, n * PS);
  const vec = p.mincore(a, n * PS);
  const present = ptes.filter((e) => e.kind === 'present').length;
  const swapped = ptes.filter((e) => e.kind === 'swap').length;
  t.equal(present + swapped, n, `every page is present (${present}) or in swap (${swapped})`);
  t.equal(ptes.filter((e, i) => e.kind === 'present' && vec[i] !== 1).length, 0, 'every present page is resident');
  t.ok(ptes.some((e, i) => e.kind === 'swap' && vec[i] === 0), 'swapped-out pages are reported non-resident');
  t.equal(vec.reduce((s, b) => s + b, 0), present + ptes.filter((e, i) => e.kind === 'swap' && vec[i] === 1).length,
    'resident = present + swap-cached');
  // Read page 0 back in: resident again.
  t.equal(p.load32(a), WORD(10, 0), 'page 0 reads right after swap-in');
  t.equal(p.mincore(a, PS)[0], 1, 'page 0 resident after the fault');
  // tmpfs file larger than RAM: mincore of a mapping agrees with where pages are.
  const fd = p.open('/dev/shm/mincore-swap', O_RDWR | O_CREAT, 0o600);
  p.pwrite(fd, patternData(11, n), 0);
  const f = p.mmap(0, n * PS, PROT_READ, MAP_SHARED, fd, 0);
  const fv = p.mincore(f, n * PS);
  const resident = fv.reduce((s, b) => s + b, 0);
  t.ok(resident > 0 && resident < n, `tmpfs: ${resident} of ${n} pages resident`);
  const i = fv.indexOf(0);
  t.equal(p.load32(f + i * PS), WORD(11, i), `tmpfs page ${i} (not resident) reads right`);
  t.equal(p.mincore(f + i * PS, PS)[0], 1, `tmpfs page ${i} resident after the fault`);
  k.checkInvariants();
});

// ---------------------------------------------------------------- msync

t.test('msync(MS_ASYNC) moves dirty bits without writing; MS_SYNC / fsync write', async (t) => {
  for (const how of ['MS_SYNC', 'fsync'] as const) {
    t.test(how, async (t) => {
      const k = boot(t);
      const p = k.spawn();
      const { fd, file } = makeFile(t, p, 'host', 8, 12, `msync-async-${how}`);
      const a = p.mmap(0, 8 * PS, RW, MAP_SHARED, fd, 0);
      p.store32(a + 2 * PS + 16, 0x600dcafe);
      p.store32(a + 6 * PS + 16, 0x0badf00d);
      t.ok(p.ptes(a + 2 * PS, PS)[0]?.dirty, 'the store set the PTE dirty bit');
      const dirty0 = k.meminfoFields().Dirty;
      const writes0 = k.vmstatFields()['nr_io_writes'];
      expectOk(t, () => p.msync(a, 8 * PS, MS_ASYNC), 'msync(MS_ASYNC)');
      k.checkInvariants();
      t.notOk(p.ptes(a + 2 * PS, PS)[0]?.dirty, 'MS_ASYNC cleared the PTE dirty bit');
      t.equal(k.meminfoFields().Dirty - dirty0, 8, 'the two pages are now dirty in the page cache');
      t.equal(k.vmstatFields()['nr_io_writes'], writes0, 'MS_ASYNC wrote nothing');
      const disk0 = fs.readFileSync(file);
      t.equal(disk0.readUInt32LE(2 * PS + 16), (2 * 0x01010101) >>> 0, 'the host file is unchanged on disk (page 2)');
      t.equal(disk0.readUInt32LE(6 * PS + 16), (6 * 0x01010101) >>> 0, 'the host file is unchanged on disk (page 6)');
      if (how === 'MS_SYNC') p.msync(a, 8 * PS, MS_SYNC);
      else p.fsync(fd);
      k.checkInvariants();
      const disk1 = fs.readFileSync(file);
      t.equal(disk1.readUInt32LE(2 * PS + 16), 0x600dcafe, `${how} wrote page 2`);
      t.equal(disk1.readUInt32LE(6 * PS + 16), 0x0badf00d, `${how} wrote page 6`);
      t.equal(k.meminfoFields().Dirty, 0, 'nothing dirty afterwards');
      t.equal(disk1.readUInt32LE(0), WORD(12, 0), 'the rest of the file is intact');
    });
  }
});

t.test('msync(MS_INVALIDATE) on a locked mapping is EBUSY', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const { fd } = makeFile(t, p, 'host', 8, 13, 'msync-invalidate');
  const a = p.mmap(0, 8 * PS, RW, MAP_SHARED, fd, 0);
  expectOk(t, () => p.msync(a, 8 * PS, MS_INVALIDATE), 'MS_INVALIDATE on an unlocked mapping');
  p.mlock(a + 4 * PS, 4 * PS);
  expectErrno(t, () => p.msync(a, 8 * PS, MS_INVALIDATE), 'EBUSY', 'MS_INVALIDATE over a locked part');
  expectErrno(t, () => p.msync(a + 4 * PS, PS, MS_SYNC | MS_INVALIDATE), 'EBUSY', 'MS_SYNC|MS_INVALIDATE on the locked part');
  expectOk(t, () => p.msync(a + 4 * PS, 4 * PS, MS_SYNC), 'MS_SYNC without MS_INVALIDATE on the locked part');
  const l = p.mmap(0, 4 * PS, RW, MAP_SHARED | MAP_LOCKED, fd, 0);
  expectErrno(t, () => p.msync(l, 4 * PS, MS_ASYNC | MS_INVALIDATE), 'EBUSY', 'MS_ASYNC|MS_INVALIDATE on a MAP_LOCKED mapping');
  p.munlockall();
  expectOk(t, () => p.msync(a, 8 * PS, MS_INVALIDATE), 'after munlockall MS_INVALIDATE works again');
  k.checkInvariants();
});
