/**
 * Conformance of sim-kernel's mlock family against the Linux Test Project
 * (mlock01/02, munlock01/02, mlockall01-03) and against mm/mlock.c and mm/mmap.c of 2.6:
 *
 * - mlock(): can_do_mlock() first (EPERM when RLIMIT_MEMLOCK is 0 and the process lacks
 *   CAP_IPC_LOCK), then the limit (locked_vm + len > RLIMIT_MEMLOCK → ENOMEM unless
 *   CAP_IPC_LOCK), then do_mlock, which locks the mapped prefix of the range and gives
 *   ENOMEM at the first hole. The locked range is faulted in (make_pages_present).
 * - munlock(): no capability or limit check; ENOMEM for a hole.
 * - mlockall(): EINVAL for flags 0 or unknown bits, EPERM as mlock, ENOMEM when
 *   MCL_CURRENT is asked and total_vm exceeds the limit; MCL_FUTURE sets def_flags so
 *   later mappings are VM_LOCKED (smaps `Locked:`, VmFlags `lo`) and pass mmap's
 *   RLIMIT_MEMLOCK check (EAGAIN). munlockall() undoes both.
 * - mmap(MAP_LOCKED): EPERM without can_do_mlock, EAGAIN past RLIMIT_MEMLOCK.
 * - refs/linux-nonlinear.md §1.20: mlock faults the range in; locked pages are never
 *   reclaimed. On a 1 MiB machine with heavy memory pressure an mlocked window keeps its
 *   frames, while reclaim (pgsteal) happens elsewhere — for anonymous memory, a tmpfs
 *   mapping, and a nonlinear window remapped with remap_file_pages (2.6).
 *
 * Every test calls k.checkInvariants() after each phase.
 */

import t from 'tap';

import {
  type KernelConfigInput, MAP_ANONYMOUS, MAP_FIXED, MAP_LOCKED, MAP_PRIVATE, MAP_NONBLOCK, MAP_SHARED, MCL_CURRENT,
  MCL_FUTURE, O_CREAT, O_RDWR, PROT_READ, Prng, type Process,
} from '../../sim-kernel/index.js';

import { ANON, boot, expectErrno, expectOk, PS, RW, smapsAt, vmaCount } from './helpers.js';

/** Seed of every random choice in this file (printed with t.comment where used). */
const SEED = 0x6d6c6f63; // "mloc"

/** The tiny machine of the reclaim tests: 256 frames of RAM, 8 MiB of swap, 16 pages lockable. */
const TINY: KernelConfigInput = { ramBytes: 1 << 20, swapBytes: 8 << 20, memlockLimitBytes: 65536 };

// ---------------------------------------------------------------- helpers

function lockedKb(p: Process, addr: number): number {
  return smapsAt(p, addr)?.fields['Locked'] ?? -1;
}

function hasLo(p: Process, addr: number): boolean {
  return smapsAt(p, addr)?.flags.includes('lo') ?? false;
}

function allOnes(v: Uint8Array): boolean {
  return v.every((b) => b === 1);
}

function frames(p: Process, addr: number, pages: number): number[] {
  return p.ptes(addr, pages * PS).map((e) => e.frame);
}

/** Word stored at the start of page i of a test region tagged `tag`. */
const WORD = (tag: number, i: number): number => ((tag << 20) ^ (i * 2654435761)) >>> 0;

/**
 * Heavy memory pressure on a small machine: write, then read back, `pages` pages of
 * private anonymous memory and `pages` pages of a tmpfs file (so both anonymous swap-out
 * and shmem swap-out run). Everything is unmapped/unlinked again. Returns the number of
 * wrong values read back (must be 0).
 */
function pressure(p: Process, pages: number, tag: number): number {
  let bad = 0;
  const a = p.mmap(0, pages * PS, RW, ANON, -1, 0);
  for (let i = 0; i < pages; i++) p.store32(a + i * PS, WORD(tag, i));
  for (let i = 0; i < pages; i++) if (p.load32(a + i * PS) !== WORD(tag, i)) bad++;
  p.munmap(a, pages * PS);
  const name = `/dev/shm/pressure-${tag}`;
  const fd = p.open(name, O_RDWR | O_CREAT, 0o600);
  const buf = new Uint8Array(PS);
  const view = new DataView(buf.buffer);
  for (let i = 0; i < pages; i++) {
    view.setUint32(0, WORD(tag + 1, i), true);
    p.pwrite(fd, buf, i * PS);
  }
  for (let i = 0; i < pages; i++) {
    p.pread(fd, buf, i * PS);
    if (view.getUint32(0, true) !== WORD(tag + 1, i)) bad++;
  }
  p.close(fd);
  p.unlink(name);
  return bad;
}

// ---------------------------------------------------------------- mlock01

t.test('mlock01: mlock succeeds for various lengths and faults the range in', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const a = p.mmap(0, 64 * PS, RW, ANON, -1, 0);
  // LTP mlock01 locks lengths 1, 1024, 1024*12 (and the whole region) one after another.
  for (const len of [1, 1024, 1024 * 12, PS, 3 * PS + 1, 64 * PS]) {
    if (expectOk(t, () => p.mlock(a, len), `mlock(a, ${len})`)) {
      const pages = Math.ceil(len / PS);
      t.ok(allOnes(p.mincore(a, pages * PS)), `${len}: mincore says all ${pages} pages resident`);
      t.ok(hasLo(p, a), `${len}: VmFlags of the locked VMA has lo`);
      expectOk(t, () => p.munlock(a, len), `munlock(a, ${len})`);
    }
    k.checkInvariants();
  }
  t.equal(k.meminfoFields().Mlocked, 0, 'nothing locked at the end');
  t.equal(vmaCount(p), 1, 'lock/unlock cycles merged the VMAs back into one');
});

t.test('mlock faults the range in: mincore all 1, Mlocked grows by the range; munlock makes it evictable', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const n = 24;
  const a = p.mmap(0, 3 * n * PS, RW, ANON, -1, 0);
  const win = a + n * PS;
  t.same([...p.mincore(win, n * PS)], new Array(n).fill(0), 'untouched anonymous pages are not resident');
  const before = k.meminfoFields();
  t.equal(before.Mlocked, 0, 'Mlocked 0 before');
  p.mlock(win, n * PS);
  k.checkInvariants();
  const m = k.meminfoFields();
  t.ok(allOnes(p.mincore(win, n * PS)), 'mincore: the whole locked range is resident');
  t.same([...p.mincore(a, n * PS)], new Array(n).fill(0), 'the range below was not faulted in');
  t.same([...p.mincore(win + n * PS, n * PS)], new Array(n).fill(0), 'the range above was not faulted in');
  t.equal(m.Mlocked - before.Mlocked, (n * PS) / 1024, `Mlocked grew by ${n} pages`);
  t.equal(m.Unevictable - before.Unevictable, (n * PS) / 1024, `Unevictable grew by ${n} pages`);
  t.equal(lockedKb(p, win), (n * PS) / 1024, 'smaps Locked: of the locked VMA is its size');
  t.equal(lockedKb(p, a), 0, 'smaps Locked: of the VMA below is 0');
  t.equal(vmaCount(p), 3, 'mlock split the middle into its own VMA');
  t.equal(p.load32(win), 0, 'locked anonymous memory reads zero');

  p.munlock(win, n * PS);
  k.checkInvariants();
  const after = k.meminfoFields();
  t.equal(after.Mlocked, 0, 'Mlocked back to 0 after munlock');
  t.equal(after.Unevictable, 0, 'Unevictable back to 0 after munlock');
  t.ok(allOnes(p.mincore(win, n * PS)), 'munlock leaves the pages resident');
  t.notOk(hasLo(p, win), 'VmFlags lo gone');
  t.equal(vmaCount(p), 1, 'munlock merged the VMAs back');
  t.ok(after['Active(anon)'] + after['Inactive(anon)'] >= (n * PS) / 1024, 'the pages are back on the anonymous LRU lists');
});

t.test('munlocked pages are evictable again: pressure on a tiny machine swaps them out', async (t) => {
  const k = boot(t, TINY);
  const p = k.spawn();
  const n = 16;
  const win = p.mmap(0, n * PS, RW, ANON, -1, 0);
  for (let i = 0; i < n; i++) p.store32(win + i * PS, WORD(7, i));
  p.mlock(win, n * PS);
  p.munlock(win, n * PS);
  k.checkInvariants();
  const before = frames(p, win, n);
  t.equal(pressure(p, 768, 100), 0, 'pressure read back every value it wrote');
  k.checkInvariants();
  const kinds = p.ptes(win, n * PS).map((e) => e.kind);
  const moved = kinds.filter((kd, i) => kd !== 'present' || p.ptes(win + i * PS, PS)[0]?.frame !== before[i]).length;
  t.ok(moved > 0, `unlocked window pages were reclaimed (${moved} of ${n} left their frames)`, { kinds });
  t.ok(k.vmstatFields()['pswpout']! > 0, 'swap-out happened');
  let bad = 0;
  for (let i = 0; i < n; i++) if (p.load32(win + i * PS) !== WORD(7, i)) bad++;
  t.equal(bad, 0, 'the window reads back its data after swap-in');
  k.checkInvariants();
});

// ---------------------------------------------------------------- mlock02

t.test('mlock02: error cases', async (t) => {
  t.test('ENOMEM: the range is not mapped', async (t) => {
    const k = boot(t);
    const p = k.spawn();
    const a = p.mmap(0, 8 * PS, RW, ANON, -1, 0);
    p.munmap(a + 4 * PS, 4 * PS);
    expectErrno(t, () => p.mlock(a + 4 * PS, 4 * PS), 'ENOMEM', 'mlock of an unmapped range');
    expectErrno(t, () => p.mlock(0x10000000, PS), 'ENOMEM', 'mlock far from any mapping');
    t.equal(k.meminfoFields().Mlocked, 0, 'nothing locked');
    k.checkInvariants();
    // do_mlock locks the mapped prefix, then fails at the hole.
    expectErrno(t, () => p.mlock(a, 8 * PS), 'ENOMEM', 'mlock of a mapped range running into a hole');
    t.ok(hasLo(p, a), 'the mapped part was locked before the hole was found');
    t.equal(k.meminfoFields().Mlocked, 16, 'its 4 pages are mlocked');
    k.checkInvariants();
  });

  t.test('ENOMEM: past RLIMIT_MEMLOCK without CAP_IPC_LOCK', async (t) => {
    const k = boot(t, { memlockLimitBytes: 65536 });
    const p = k.spawn();
    const a = p.mmap(0, 32 * PS, RW, ANON, -1, 0);
    expectErrno(t, () => p.mlock(a, 17 * PS), 'ENOMEM', '17 pages past a 16-page limit');
    expectErrno(t, () => p.mlock(a, 65536 + 1), 'ENOMEM', 'limit + 1 byte (rounds up to 17 pages)');
    t.equal(k.meminfoFields().Mlocked, 0, 'nothing locked by the failures');
    expectOk(t, () => p.mlock(a, 65536), 'exactly the limit');
    expectOk(t, () => p.munlock(a, 65536), 'unlock it');
    expectOk(t, () => p.mlock(a, 10 * PS), '10 pages');
    expectErrno(t, () => p.mlock(a + 10 * PS, 7 * PS), 'ENOMEM', '7 more pages (locked_vm + len > limit)');
    expectOk(t, () => p.mlock(a + 10 * PS, 6 * PS), '6 more pages reach the limit exactly');
    expectErrno(t, () => p.mlock(a + 16 * PS, 1), 'ENOMEM', 'one more byte');
    t.equal(k.meminfoFields().Mlocked, 64, '16 pages mlocked');
    k.checkInvariants();
  });

  t.test('EPERM: RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK', async (t) => {
    const k = boot(t, { memlockLimitBytes: 0 });
    const p = k.spawn();
    const a = p.mmap(0, 4 * PS, RW, ANON, -1, 0);
    expectErrno(t, () => p.mlock(a, PS), 'EPERM', 'mlock with a zero limit');
    expectErrno(t, () => p.mlock(0x10000000, PS), 'EPERM', 'EPERM is checked before the range');
    expectErrno(t, () => p.mlockall(MCL_CURRENT), 'EPERM', 'mlockall with a zero limit');
    expectErrno(t, () => p.mmap(0, PS, RW, ANON | MAP_LOCKED, -1, 0), 'EPERM', 'mmap(MAP_LOCKED) with a zero limit');
    // munlock needs no permission.
    expectOk(t, () => p.munlock(a, 4 * PS), 'munlock needs neither the capability nor a limit');
    expectOk(t, () => p.munlockall(), 'munlockall needs neither');
    k.checkInvariants();
  });

  t.test('EAGAIN (2.6): a VMA split would pass max_map_count', async (t) => {
    // 2.6's mlock_fixup turns split_vma's ENOMEM into EAGAIN ("some or all of the range
    // could not be locked"); Linux >= 2.6.28 returns ENOMEM here. sim-kernel models 2.6.
    const k = boot(t, { maxMapCount: 3 });
    const p = k.spawn();
    const a = p.mmap(0, 8 * PS, RW, ANON, -1, 0);
    p.mmap(0x20000000, PS, PROT_READ, ANON | MAP_FIXED, -1, 0);
    p.mmap(0x30000000, PS, PROT_READ, ANON | MAP_FIXED, -1, 0);
    expectErrno(t, () => p.mlock(a + 2 * PS, 4 * PS), 'EAGAIN', 'mlock of the middle of a VMA');
    expectErrno(t, () => p.mlock(a, 4 * PS), 'EAGAIN', 'mlock of the start of a VMA');
    t.equal(vmaCount(p), 3, 'no VMA was added');
    t.equal(k.meminfoFields().Mlocked, 0, 'nothing locked');
    expectOk(t, () => p.mlock(a, 8 * PS), 'mlock of the whole VMA needs no split');
    k.checkInvariants();
  });

  t.test('CAP_IPC_LOCK: success beyond the limit (and with a zero limit)', async (t) => {
    for (const limit of [65536, 0]) {
      const k = boot(t, { memlockLimitBytes: limit, capIpcLock: true });
      const p = k.spawn();
      const a = p.mmap(0, 64 * PS, RW, ANON, -1, 0);
      if (expectOk(t, () => p.mlock(a, 64 * PS), `limit ${limit}: 64 pages with CAP_IPC_LOCK`)) {
        t.equal(k.meminfoFields().Mlocked, 256, `limit ${limit}: 64 pages mlocked`);
      }
      expectOk(t, () => p.mmap(0, 32 * PS, RW, ANON | MAP_LOCKED, -1, 0), `limit ${limit}: mmap(MAP_LOCKED) beyond the limit`);
      expectOk(t, () => p.mlockall(MCL_CURRENT | MCL_FUTURE), `limit ${limit}: mlockall beyond the limit`);
      k.checkInvariants();
    }
  });
});

t.test('mlock: rounding, length 0, and 2.6\'s limit check counting an already-locked range again', async (t) => {
  const k = boot(t, { memlockLimitBytes: 16 * PS });
  const p = k.spawn();
  const a = p.mmap(0, 32 * PS, RW, ANON, -1, 0);
  // start is rounded down and the length up to whole pages: 2 bytes across a page boundary lock 2 pages.
  expectOk(t, () => p.mlock(a + PS - 1, 2), 'mlock(a + 4095, 2)');
  t.equal(k.meminfoFields().Mlocked, 8, 'two pages mlocked');
  t.same([...p.mincore(a, 3 * PS)], [1, 1, 0], 'pages 0 and 1 faulted in, page 2 not');
  p.munlock(a, 2 * PS);
  // Length 0 is a no-op success, even where nothing is mapped.
  expectOk(t, () => p.mlock(a, 0), 'mlock(a, 0)');
  expectOk(t, () => p.mlock(0x10000000, 0), 'mlock(unmapped, 0)');
  t.equal(k.meminfoFields().Mlocked, 0, 'nothing locked by length 0');
  // sys_mlock (2.6) checks locked_vm + len: relocking a locked range counts it twice.
  expectOk(t, () => p.mlock(a, 10 * PS), '10 pages');
  expectErrno(t, () => p.mlock(a, 10 * PS), 'ENOMEM', 'the same 10 pages again (2.6: 10 + 10 > 16)');
  expectOk(t, () => p.mlock(a, 6 * PS), 'a 6-page part of them again (10 + 6 <= 16)');
  t.equal(k.meminfoFields().Mlocked, 40, 'still 10 distinct pages mlocked');
  k.checkInvariants();
});

t.test('a page locked by two mappings stays mlocked until both go; exit unlocks', async (t) => {
  const k = boot(t);
  const p1 = k.spawn();
  const p2 = k.spawn();
  const fd1 = p1.open('/dev/shm/shared-locked', O_RDWR | O_CREAT, 0o600);
  p1.pwrite(fd1, new Uint8Array(8 * PS).fill(0x33), 0);
  const fd2 = p2.open('/dev/shm/shared-locked', O_RDWR, 0o600);
  const a1 = p1.mmap(0, 8 * PS, RW, MAP_SHARED, fd1, 0);
  const a2 = p2.mmap(0, 8 * PS, RW, MAP_SHARED, fd2, 0);
  p1.mlock(a1, 8 * PS);
  p2.mlock(a2, 8 * PS);
  t.equal(k.meminfoFields().Mlocked, 32, 'the 8 shared pages are counted once');
  t.same(frames(p1, a1, 8), frames(p2, a2, 8), 'both processes map the same frames');
  p1.munlock(a1, 8 * PS);
  t.equal(k.meminfoFields().Mlocked, 32, 'still mlocked through the other process');
  k.checkInvariants();
  p2.exit();
  t.equal(k.meminfoFields().Mlocked, 0, 'the exit of the last locker unlocks them');
  t.equal(k.meminfoFields().Unevictable, 0, 'Unevictable 0');
  k.checkInvariants();
});

t.test('mlockall(MCL_CURRENT) after mlockall(MCL_FUTURE) replaces it (def_flags cleared)', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  p.mlockall(MCL_FUTURE);
  const a = p.mmap(0, 2 * PS, RW, ANON, -1, 0);
  t.ok(hasLo(p, a), 'MCL_FUTURE: new mapping locked');
  p.mlockall(MCL_CURRENT);
  const b = p.mmap(0, 2 * PS, RW, ANON, -1, 0);
  t.notOk(hasLo(p, b), 'after mlockall(MCL_CURRENT) new mappings are no longer locked');
  t.ok(hasLo(p, a), 'the current ones stay locked');
  k.checkInvariants();
});

t.test('mlock of mappings it cannot fully populate (past EOF) and of private file mappings (COW)', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const fd = p.open('/dev/shm/mlock-eof', O_RDWR | O_CREAT, 0o600);
  p.pwrite(fd, new Uint8Array(2 * PS).fill(0x44), 0);
  // mlock_fixup sets VM_LOCKED, then returns make_pages_present()'s result: the fault past
  // EOF makes get_user_pages stop short, which 2.6.11-2.6.27 returned as -1 (EPERM) and
  // 2.6.28+ ("mlock: make mlock error return Posixly Correct") as -EFAULT → ENOMEM.
  // mlockall and mmap(MAP_LOCKED) ignore it; mlock() does not.
  const f = p.mmap(0, 8 * PS, PROT_READ, MAP_SHARED, fd, 0);
  expectErrno(t, () => p.mlock(f, 8 * PS), 'ENOMEM', 'mlock of a mapping running past EOF');
  t.same([...p.mincore(f, 8 * PS)], [1, 1, 0, 0, 0, 0, 0, 0], 'the two file pages are resident');
  t.ok(hasLo(p, f), 'the whole VMA is VM_LOCKED');
  t.equal(k.meminfoFields().Mlocked, 8, 'Mlocked = the 2 file pages');
  k.checkInvariants();
  // mlockall and MAP_LOCKED ignore the short population.
  p.munlock(f, 8 * PS);
  expectOk(t, () => p.mlockall(MCL_CURRENT), 'mlockall(MCL_CURRENT) with a mapping past EOF');
  p.munlockall();
  expectOk(t, () => p.mmap(0, 8 * PS, PROT_READ, MAP_SHARED | MAP_LOCKED, fd, 0), 'mmap(MAP_LOCKED) past EOF');
  p.munlockall();
  p.munmap(f, 8 * PS);
  const g = p.mmap(0, 2 * PS, PROT_READ, MAP_SHARED, fd, 0);
  expectOk(t, () => p.mlock(g, 2 * PS), 'mlock of a mapping inside EOF');
  t.equal(k.meminfoFields().Mlocked, 8, 'Mlocked = the 2 file pages');
  // A private writable file mapping is faulted in for writing: the locked pages are COW copies.
  const priv = p.mmap(0, 2 * PS, RW, MAP_PRIVATE, fd, 0);
  p.mlock(priv, 2 * PS);
  t.same(p.ptes(priv, 2 * PS).map((e) => e.pgoff), [-1, -1], 'private writable: anonymous COW copies are mapped');
  t.equal(p.load8(priv + 100), 0x44, 'the copies hold the file data');
  t.equal(k.meminfoFields().Mlocked, 16, 'Mlocked + the 2 copies');
  // munmap of part of a locked VMA unlocks just that part.
  p.munmap(priv + PS, PS);
  t.equal(k.meminfoFields().Mlocked, 12, 'munmap of part of the locked private mapping unlocked its copy');
  k.checkInvariants();
});

t.test('linux-2.6: mlock of a nonlinear window faults file PTEs in at their offsets; munlock makes it reclaimable', async (t) => {
  const k = boot(t, { ...TINY, personality: 'linux-2.6' });
  const p = k.spawn();
  const n = 16;
  const filePages = 512;
  const fd = p.open('/dev/shm/nonlinear-mlock', O_RDWR | O_CREAT, 0o600);
  const data = new Uint8Array(filePages * PS);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < filePages; i++) dv.setUint32(i * PS, WORD(4, i), true);
  p.pwrite(fd, data, 0); // twice the RAM: most of the file is in swap now
  const win = p.mmap(0, n * PS, RW, MAP_SHARED, fd, 0);
  // Window page i ← file page 100 + 3i, with MAP_NONBLOCK: uncached pages get file PTEs.
  const offsets = Array.from({ length: n }, (_, i) => 100 + 3 * i);
  for (let i = 0; i < n; i++) p.remap_file_pages(win + i * PS, PS, 0, offsets[i] as number, MAP_NONBLOCK);
  const kinds = p.ptes(win, n * PS).map((e) => e.kind);
  t.ok(kinds.includes('file'), `MAP_NONBLOCK left file PTEs for pages in swap (${kinds.filter((x) => x === 'file').length})`);
  k.checkInvariants();
  p.mlock(win, n * PS);
  k.checkInvariants();
  const ptes = p.ptes(win, n * PS);
  t.same(ptes.map((e) => e.kind), new Array(n).fill('present'), 'mlock faulted every page in');
  t.same(ptes.map((e) => e.pgoff), offsets, 'at the offsets of the file PTEs (not the linear ones)');
  t.equal(k.meminfoFields().Mlocked, 64, 'Mlocked 64 kB');
  p.munlock(win, n * PS);
  t.equal(k.meminfoFields().Mlocked, 0, 'munlock: Mlocked 0');
  t.equal(pressure(p, 768, 50), 0, 'pressure read back correctly');
  k.checkInvariants();
  const after = p.ptes(win, n * PS);
  t.ok(after.some((e) => e.kind === 'file'), 'the unlocked window was reclaimed into file PTEs');
  t.same(after.map((e) => e.pgoff), offsets, 'every PTE (file or present) holds its offset');
  let bad = 0;
  for (let i = 0; i < n; i++) if (p.load32(win + i * PS) !== WORD(4, offsets[i] as number)) bad++;
  t.equal(bad, 0, 'the window reads right after the refaults');
  k.checkInvariants();
});

// ---------------------------------------------------------------- munlock01/02

t.test('munlock01: munlock succeeds for various lengths', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const a = p.mmap(0, 16 * PS, RW, ANON, -1, 0);
  for (const len of [1, 1024, 1024 * 12, 16 * PS]) {
    p.mlock(a, len);
    const pages = Math.ceil(len / PS);
    t.equal(k.meminfoFields().Mlocked, pages * 4, `${len}: ${pages} pages mlocked`);
    expectOk(t, () => p.munlock(a, len), `munlock(a, ${len})`);
    t.equal(k.meminfoFields().Mlocked, 0, `${len}: Mlocked 0 after munlock`);
    t.equal(lockedKb(p, a), 0, `${len}: smaps Locked: 0`);
    k.checkInvariants();
  }
  // munlock of a range never locked is fine.
  expectOk(t, () => p.munlock(a, 16 * PS), 'munlock of an unlocked range');
  k.checkInvariants();
});

t.test('munlock02: ENOMEM for an unmapped range', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const a = p.mmap(0, 8 * PS, RW, ANON, -1, 0);
  p.mlock(a, 8 * PS);
  p.munmap(a + 4 * PS, 4 * PS);
  expectErrno(t, () => p.munlock(a + 4 * PS, 4 * PS), 'ENOMEM', 'munlock of an unmapped range');
  expectErrno(t, () => p.munlock(0x10000000, PS), 'ENOMEM', 'munlock far from any mapping');
  t.equal(k.meminfoFields().Mlocked, 16, 'the still-mapped 4 pages stay locked');
  expectErrno(t, () => p.munlock(a, 8 * PS), 'ENOMEM', 'munlock running into the hole');
  t.equal(k.meminfoFields().Mlocked, 0, 'the mapped prefix was unlocked before the hole');
  k.checkInvariants();
});

// ---------------------------------------------------------------- mlockall01-03

t.test('mlockall01: MCL_CURRENT, MCL_FUTURE and both succeed', async (t) => {
  for (const [flags, name] of [[MCL_CURRENT, 'MCL_CURRENT'], [MCL_FUTURE, 'MCL_FUTURE'],
    [MCL_CURRENT | MCL_FUTURE, 'MCL_CURRENT|MCL_FUTURE']] as const) {
    const k = boot(t);
    const p = k.spawn();
    const a = p.mmap(0, 8 * PS, RW, ANON, -1, 0);
    expectOk(t, () => p.mlockall(flags), `mlockall(${name})`);
    t.equal(hasLo(p, a), (flags & MCL_CURRENT) !== 0, `${name}: existing mapping locked iff MCL_CURRENT`);
    expectOk(t, () => p.munlockall(), `${name}: munlockall`);
    t.equal(k.meminfoFields().Mlocked, 0, `${name}: nothing locked after munlockall`);
    k.checkInvariants();
  }
});

t.test('mlockall02: error cases', async (t) => {
  const k = boot(t, { memlockLimitBytes: 65536 });
  const p = k.spawn();
  for (const flags of [0, 4, 8, -1, MCL_CURRENT | 4, MCL_FUTURE | 0x100]) {
    expectErrno(t, () => p.mlockall(flags), 'EINVAL', `flags ${flags}`);
  }
  // The address space (32 pages) exceeds RLIMIT_MEMLOCK (16 pages).
  const a = p.mmap(0, 32 * PS, RW, ANON, -1, 0);
  expectErrno(t, () => p.mlockall(MCL_CURRENT), 'ENOMEM', 'MCL_CURRENT with total_vm > limit');
  expectErrno(t, () => p.mlockall(MCL_CURRENT | MCL_FUTURE), 'ENOMEM', 'MCL_CURRENT|MCL_FUTURE with total_vm > limit');
  t.notOk(hasLo(p, a), 'nothing was locked');
  // Only MCL_FUTURE does not look at total_vm.
  expectOk(t, () => p.mlockall(MCL_FUTURE), 'MCL_FUTURE alone succeeds');
  expectOk(t, () => p.munlockall(), 'munlockall');
  k.checkInvariants();
  // At the limit exactly, MCL_CURRENT succeeds.
  p.munmap(a + 16 * PS, 16 * PS);
  expectOk(t, () => p.mlockall(MCL_CURRENT), 'MCL_CURRENT with total_vm = limit');
  t.equal(k.meminfoFields().Mlocked, 64, 'the 16 mapped pages are mlocked');
  k.checkInvariants();
});

t.test('mlockall03: ENOMEM when the address space exceeds the limit; EPERM with a zero limit', async (t) => {
  for (const [limit, code] of [[PS, 'ENOMEM'], [0, 'EPERM']] as const) {
    const k = boot(t, { memlockLimitBytes: limit });
    const p = k.spawn();
    p.mmap(0, 4 * PS, RW, ANON, -1, 0);
    for (const flags of [MCL_CURRENT, MCL_CURRENT | MCL_FUTURE]) {
      expectErrno(t, () => p.mlockall(flags), code, `limit ${limit}, flags ${flags}`);
    }
    if (limit === 0) expectErrno(t, () => p.mlockall(MCL_FUTURE), 'EPERM', 'limit 0, MCL_FUTURE');
    t.equal(k.meminfoFields().Mlocked, 0, `limit ${limit}: nothing locked`);
    k.checkInvariants();
  }
});

t.test('mlockall(MCL_CURRENT) locks everything mapped: anonymous, file, shared anonymous', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const fd = p.open('/dev/shm/mlockall-file', O_RDWR | O_CREAT, 0o600);
  p.pwrite(fd, new Uint8Array(8 * PS).fill(0x5a), 0);
  const anon = p.mmap(0, 8 * PS, RW, ANON, -1, 0);
  const file = p.mmap(0, 8 * PS, PROT_READ, MAP_SHARED, fd, 0);
  const shm = p.mmap(0, 4 * PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  expectOk(t, () => p.mlockall(MCL_CURRENT), 'mlockall(MCL_CURRENT)');
  k.checkInvariants();
  for (const [addr, pages, what] of [[anon, 8, 'anonymous'], [file, 8, 'tmpfs file'], [shm, 4, 'shared anonymous']] as const) {
    t.ok(allOnes(p.mincore(addr, pages * PS)), `${what}: all pages resident`);
    t.ok(hasLo(p, addr), `${what}: VmFlags lo`);
    t.equal(lockedKb(p, addr), pages * 4, `${what}: smaps Locked: ${pages * 4} kB`);
  }
  t.equal(k.meminfoFields().Mlocked, 20 * 4, 'Mlocked = 20 pages');
  t.equal(p.load8(file + 5 * PS), 0x5a, 'the file mapping shows the file');
  // A mapping made afterwards is not locked (no MCL_FUTURE).
  const later = p.mmap(0, 4 * PS, RW, ANON, -1, 0);
  t.notOk(hasLo(p, later), 'a later mapping is not locked without MCL_FUTURE');
  expectOk(t, () => p.munlockall(), 'munlockall');
  t.equal(k.meminfoFields().Mlocked, 0, 'Mlocked 0 after munlockall');
  t.equal(k.meminfoFields().Unevictable, 0, 'Unevictable 0 after munlockall');
  for (const addr of [anon, file, shm]) t.notOk(hasLo(p, addr), `VMA at 0x${addr.toString(16)} unlocked`);
  k.checkInvariants();
});

t.test('mlockall(MCL_FUTURE): later mappings are locked and populated; munlockall stops it', async (t) => {
  const k = boot(t, { memlockLimitBytes: 16 * PS });
  const p = k.spawn();
  const old = p.mmap(0, 2 * PS, RW, ANON, -1, 0);
  expectOk(t, () => p.mlockall(MCL_FUTURE), 'mlockall(MCL_FUTURE)');
  t.notOk(hasLo(p, old), 'the existing mapping is not locked by MCL_FUTURE alone');
  const a = p.mmap(0, 6 * PS, RW, ANON, -1, 0);
  const s = smapsAt(p, a);
  t.ok(s?.flags.includes('lo'), 'a later mmap has VmFlags lo', { found: s?.flags });
  t.equal(s?.fields['Locked'], 24, 'smaps Locked: 24 kB (populated at mmap time)');
  t.equal(s?.fields['Rss'], 24, 'smaps Rss: 24 kB');
  t.ok(allOnes(p.mincore(a, 6 * PS)), 'mincore: all resident');
  t.equal(k.meminfoFields().Mlocked, 24, 'Mlocked 24 kB');
  k.checkInvariants();
  // The locked mappings count against RLIMIT_MEMLOCK in mmap: EAGAIN past it.
  expectErrno(t, () => p.mmap(0, 11 * PS, RW, ANON, -1, 0), 'EAGAIN', 'a later mmap past RLIMIT_MEMLOCK');
  expectOk(t, () => p.mmap(0, 10 * PS, RW, ANON, -1, 0), 'a later mmap up to the limit');
  t.equal(k.meminfoFields().Mlocked, 64, 'Mlocked 64 kB');
  k.checkInvariants();
  expectOk(t, () => p.munlockall(), 'munlockall');
  const b = p.mmap(0, 4 * PS, RW, ANON, -1, 0);
  t.notOk(hasLo(p, b), 'after munlockall new mappings are not locked');
  t.equal(lockedKb(p, a), 0, 'and the earlier ones are unlocked');
  t.equal(k.meminfoFields().Mlocked, 0, 'Mlocked 0');
  expectOk(t, () => p.mmap(0, 64 * PS, RW, ANON, -1, 0), 'no limit applies to unlocked mappings');
  k.checkInvariants();
});

// ---------------------------------------------------------------- mmap(MAP_LOCKED)

t.test('mmap(MAP_LOCKED): populated and locked within the limit, EAGAIN beyond it', async (t) => {
  const k = boot(t, { memlockLimitBytes: 65536 });
  const p = k.spawn();
  expectErrno(t, () => p.mmap(0, 17 * PS, RW, ANON | MAP_LOCKED, -1, 0), 'EAGAIN', '17 pages past a 16-page limit');
  t.equal(vmaCount(p), 0, 'no mapping left behind');
  let a = 0;
  expectOk(t, () => { a = p.mmap(0, 12 * PS, RW, ANON | MAP_LOCKED, -1, 0); }, '12 pages');
  t.ok(hasLo(p, a), 'VmFlags lo');
  t.ok(allOnes(p.mincore(a, 12 * PS)), 'populated');
  t.equal(k.meminfoFields().Mlocked, 48, 'Mlocked 48 kB');
  expectErrno(t, () => p.mmap(0, 5 * PS, RW, ANON | MAP_LOCKED, -1, 0), 'EAGAIN', '5 more pages (locked_vm counts)');
  expectErrno(t, () => p.mlock(p.mmap(0, 5 * PS, RW, ANON, -1, 0), 5 * PS), 'ENOMEM', 'mlock of 5 more pages');
  expectOk(t, () => p.mmap(0, 4 * PS, RW, ANON | MAP_LOCKED, -1, 0), '4 more pages reach the limit');
  k.checkInvariants();
  p.munmap(a, 12 * PS);
  expectOk(t, () => p.mmap(0, 12 * PS, RW, ANON | MAP_LOCKED, -1, 0), 'munmap returned the locked pages to the budget');
  k.checkInvariants();
});

// ---------------------------------------------------------------- locked pages under pressure

t.test('an mlocked anonymous window is never reclaimed under heavy pressure (1 MiB RAM)', async (t) => {
  const k = boot(t, TINY);
  const p = k.spawn();
  const n = 16;
  const win = p.mmap(0, n * PS, RW, ANON, -1, 0);
  for (let i = 0; i < n; i++) p.store32(win + i * PS, WORD(1, i));
  p.mlock(win, n * PS);
  k.checkInvariants();
  const before = frames(p, win, n);
  t.ok(before.every((f) => f >= 0), 'all window pages present after mlock');
  const m0 = k.meminfoFields();
  t.equal(m0.Mlocked, 64, 'Mlocked 64 kB');
  for (let round = 0; round < 3; round++) {
    t.equal(pressure(p, 768, 10 + round * 2), 0, `pressure round ${round}: every value read back correctly`);
    k.checkInvariants();
    t.same(frames(p, win, n), before, `pressure round ${round}: the window's frames are unchanged`);
  }
  const vs = k.vmstatFields();
  t.ok(vs['pgsteal']! > 0, `reclaim happened elsewhere (pgsteal ${vs['pgsteal']})`);
  t.ok(vs['pswpout']! > 0, `swap-out happened (pswpout ${vs['pswpout']})`);
  t.same(p.ptes(win, n * PS).map((e) => e.kind), new Array(n).fill('present'), 'every window PTE still present');
  const m1 = k.meminfoFields();
  t.equal(m1.Mlocked, 64, 'Mlocked still 64 kB');
  t.equal(m1.Unevictable, 64, 'Unevictable 64 kB');
  const majBefore = k.vmstatFields()['pgmajfault'];
  let bad = 0;
  for (let i = 0; i < n; i++) if (p.load32(win + i * PS) !== WORD(1, i)) bad++;
  t.equal(bad, 0, 'the window still holds its data');
  t.equal(k.vmstatFields()['pgmajfault'], majBefore, 'reading the window took no major fault');
  k.checkInvariants();
});

t.test('an mlocked tmpfs (MAP_SHARED) window is never reclaimed under heavy pressure (1 MiB RAM)', async (t) => {
  const k = boot(t, TINY);
  const p = k.spawn();
  const n = 16;
  const fd = p.open('/dev/shm/locked-window', O_RDWR | O_CREAT, 0o600);
  const data = new Uint8Array(64 * PS);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < 64; i++) dv.setUint32(i * PS, WORD(2, i), true);
  p.pwrite(fd, data, 0);
  const win = p.mmap(0, n * PS, RW, MAP_SHARED, fd, 8 * PS);
  p.mlock(win, n * PS);
  k.checkInvariants();
  const before = frames(p, win, n);
  t.same(p.ptes(win, n * PS).map((e) => e.pgoff), Array.from({ length: n }, (_, i) => 8 + i), 'window maps file pages 8..23');
  for (let round = 0; round < 3; round++) {
    t.equal(pressure(p, 768, 20 + round * 2), 0, `pressure round ${round}: every value read back correctly`);
    k.checkInvariants();
    t.same(frames(p, win, n), before, `pressure round ${round}: the window's frames are unchanged`);
  }
  t.ok(k.vmstatFields()['pgsteal']! > 0, 'reclaim happened elsewhere');
  let bad = 0;
  for (let i = 0; i < n; i++) if (p.load32(win + i * PS) !== WORD(2, 8 + i)) bad++;
  t.equal(bad, 0, 'the window still holds the file data');
  // The rest of the file was not locked: some of it went to swap.
  const buf = new Uint8Array(PS);
  let fileBad = 0;
  for (let i = 0; i < 64; i++) {
    p.pread(fd, buf, i * PS);
    if (new DataView(buf.buffer).getUint32(0, true) !== WORD(2, i)) fileBad++;
  }
  t.equal(fileBad, 0, 'the whole file reads back correctly');
  k.checkInvariants();
});

t.test('linux-2.6: an mlocked nonlinear window (remap_file_pages) is never reclaimed under pressure', async (t) => {
  const k = boot(t, { ...TINY, personality: 'linux-2.6', seed: SEED });
  t.comment(`seed 0x${SEED.toString(16)}`);
  const prng = new Prng(SEED);
  const p = k.spawn();
  const n = 16;
  const filePages = 128;
  const fd = p.open('/dev/shm/locked-nonlinear', O_RDWR | O_CREAT, 0o600);
  const data = new Uint8Array(filePages * PS);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < filePages; i++) dv.setUint32(i * PS, WORD(3, i), true);
  p.pwrite(fd, data, 0);
  const win = p.mmap(0, n * PS, RW, MAP_SHARED, fd, 0);
  p.mlock(win, n * PS);
  // Scattered, distinct, non-linear offsets (never the page's own linear offset).
  const offsets: number[] = [];
  const used = new Set<number>();
  // Push most of the file out to swap first, so that populate has to bring pages back.
  t.equal(pressure(p, 512, 40), 0, 'pre-pressure read back correctly');
  const whole = p.mmap(0, filePages * PS, PROT_READ, MAP_SHARED, fd, 0);
  const resident = p.mincore(whole, filePages * PS);
  p.munmap(whole, filePages * PS);
  const out = resident.reduce((acc, r) => acc + (r === 0 ? 1 : 0), 0);
  t.ok(out > 0, `${out} of the file's ${filePages} pages are not resident before the remaps`);
  t.same([...resident.subarray(0, n)], new Array(n).fill(1), 'the locked linear window kept file pages 0..15 resident');
  for (let i = 0; i < n; i++) {
    let off: number;
    do off = prng.int(n, filePages - 1); while (used.has(off));
    used.add(off);
    offsets.push(off);
    // With VM_LOCKED the range is always populated: MAP_NONBLOCK is ignored (mm/fremap.c).
    p.remap_file_pages(win + i * PS, PS, 0, off, i % 2 === 0 ? MAP_NONBLOCK : 0);
  }
  t.comment(`window offsets ${offsets.join(',')}`);
  k.checkInvariants();
  t.ok(smapsAt(p, win)?.flags.includes('nl'), 'the window VMA is nonlinear (VmFlags nl)');
  t.ok(hasLo(p, win), 'and locked (VmFlags lo)');
  const ptes0 = p.ptes(win, n * PS);
  t.same(ptes0.map((e) => e.kind), new Array(n).fill('present'), 'a locked window is populated by remap_file_pages, MAP_NONBLOCK or not');
  t.same(ptes0.map((e) => e.pgoff), offsets, 'PTEs map the remapped offsets');
  t.equal(k.meminfoFields().Mlocked, 64, 'Mlocked = the 16 remapped pages (the old ones were unlocked)');
  const before = frames(p, win, n);
  for (let round = 0; round < 3; round++) {
    t.equal(pressure(p, 768, 30 + round * 2), 0, `pressure round ${round}: every value read back correctly`);
    k.checkInvariants();
    t.same(frames(p, win, n), before, `pressure round ${round}: the window's frames are unchanged`);
  }
  const vs = k.vmstatFields();
  t.ok(vs['pgsteal']! > 0, `reclaim happened elsewhere (pgsteal ${vs['pgsteal']})`);
  t.equal(vs['nr_file_ptes'], 0, 'no window PTE became a file PTE');
  t.same(p.ptes(win, n * PS).map((e) => e.pgoff), offsets, 'PTEs still map the remapped offsets');
  let bad = 0;
  for (let i = 0; i < n; i++) if (p.load32(win + i * PS) !== WORD(3, offsets[i] as number)) bad++;
  t.equal(bad, 0, 'every window page shows its remapped file page');
  p.munlock(win, n * PS);
  t.equal(k.meminfoFields().Mlocked, 0, 'munlock of the nonlinear window: Mlocked 0');
  k.checkInvariants();
});
