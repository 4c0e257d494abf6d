/**
 * msync, fsync, truncate and durability, as Linux 2.6.11 behaves
 * (mm/msync.c sys_msync / msync_interval / filemap_sync, mm/memory.c vmtruncate /
 * unmap_mapping_range / zap_pte_range, refs/linux-nonlinear.md §1.12 and §1.18):
 *
 * - msync's errors: EINVAL for an unaligned start, MS_ASYNC|MS_SYNC, unknown flags;
 *   ENOMEM when part of the range is unmapped (after syncing the mapped parts); EBUSY
 *   for MS_INVALIDATE on a locked mapping.
 * - Dirty bits: a store through a MAP_SHARED mapping sets the PTE's dirty bit only. In
 *   2.6.11 the page itself (PG_dirty, what fsync/sync write back) learns of it only when
 *   the PTE is zapped (munmap, exit, truncate, remap) or msync()'s filemap_sync moves the
 *   bit. So fsync() alone does NOT write a page dirtied only through a mapping. (2.6.19's
 *   dirty-page tracking changed this; sim-kernel models 2.6.11.)
 * - ftruncate shrinking a mapped file: linear mappings of the cut pages go (even private
 *   COW copies), later touches SIGBUS; in a nonlinear (2.6) window the cut pages leave
 *   file PTEs holding their offsets, which SIGBUS when touched while past EOF.
 * - Durability: a Kernel dropped without sync is a power failure: only data written
 *   back (fsync, msync(MS_SYNC), sync) reaches the host file.
 *
 * Every test calls k.checkInvariants() after its steps.
 */

import * as fs from 'node:fs';

import t, { type Test } from 'tap';

import {
  Kernel, MAP_LOCKED, MAP_NONBLOCK, MAP_PRIVATE, MAP_SHARED, MAP_FIXED, MS_ASYNC, MS_INVALIDATE, MS_SYNC, O_RDWR, PROT_READ,
  type Process,
} from '../../sim-kernel/index.js';

import {
  boot, createFile, expectErrno, expectOk, expectSigbus, type FileKind, pagesFilled, PERSONALITIES, PS, RW, writeHostFile,
} from './helpers.js';

// ---------------------------------------------------------------- helpers

/** Page i of a fresh file is filled with byte (0x10 + i). */
const OLD = (i: number): number => 0x10 + i;

/** A host file of `pages` pages (page i filled with OLD(i)) written with node:fs. */
function makeHostFile(t: Test, pages: number, name = 'data'): string {
  return writeHostFile(t, name, pagesFilled(pages, OLD));
}

/** Byte `off` of page `pg` of the host file, read from disk with node:fs. */
function diskByte(file: string, pg: number, off = 0): number | undefined {
  const buf = fs.readFileSync(file);
  return pg * PS + off < buf.length ? buf[pg * PS + off] : undefined;
}

/** A host or tmpfs file 'data' of `pages` pages (page i filled with OLD(i)), open O_RDWR; tmpfs is written a page per pwrite. */
function openFile(t: Test, p: Process, kind: FileKind, pages: number): { fd: number; file: string } {
  return createFile(t, p, kind, 'data', pagesFilled(pages, OLD), { pwritePerPage: true });
}

// ---------------------------------------------------------------- msync errors

t.test('msync errors', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const file = makeHostFile(t, 8);
  const fd = p.open(file, O_RDWR);
  const base = 0x40000000;
  p.mmap(base, 2 * PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
  p.mmap(base + 3 * PS, PS, RW, MAP_SHARED | MAP_FIXED, fd, 3 * PS);

  expectErrno(t, () => p.msync(base + 1, PS, MS_SYNC), 'EINVAL', 'unaligned start');
  expectErrno(t, () => p.msync(base + PS / 2, PS, MS_ASYNC), 'EINVAL', 'start in mid-page');
  expectErrno(t, () => p.msync(base, PS, MS_ASYNC | MS_SYNC), 'EINVAL', 'MS_ASYNC|MS_SYNC');
  expectErrno(t, () => p.msync(base, PS, MS_ASYNC | MS_SYNC | MS_INVALIDATE), 'EINVAL', 'MS_ASYNC|MS_SYNC|MS_INVALIDATE');
  for (const bad of [8, 0x10, 0x100, MS_SYNC | 0x40]) {
    expectErrno(t, () => p.msync(base, PS, bad), 'EINVAL', `unknown flag bits 0x${bad.toString(16)}`);
  }
  // Unaligned start and unmapped: EINVAL comes first.
  expectErrno(t, () => p.msync(0x10000001, PS, MS_SYNC), 'EINVAL', 'unaligned and unmapped');
  expectErrno(t, () => p.msync(0x10000000, PS, MS_SYNC), 'ENOMEM', 'a range nothing maps');
  expectErrno(t, () => p.msync(base + 2 * PS, PS, MS_SYNC), 'ENOMEM', 'the hole between the two mappings');
  expectErrno(t, () => p.msync(base, 4 * PS, MS_SYNC), 'ENOMEM', 'a range spanning the hole');
  expectErrno(t, () => p.msync(base + 3 * PS, 2 * PS, MS_SYNC), 'ENOMEM', 'a range running past the last mapping');
  expectErrno(t, () => p.msync(base - PS, 2 * PS, MS_ASYNC), 'ENOMEM', 'a range starting in a hole');
  // The legal neighbours.
  expectOk(t, () => p.msync(base, 0, MS_SYNC), 'length 0 succeeds');
  expectOk(t, () => p.msync(base, 2 * PS, 0), 'flags 0 succeeds');
  expectOk(t, () => p.msync(base, 2 * PS, MS_INVALIDATE), 'MS_INVALIDATE alone');
  expectOk(t, () => p.msync(base, 1, MS_SYNC | MS_INVALIDATE), 'length 1 (rounded up)');
  k.checkInvariants();

  // MS_INVALIDATE on a VM_LOCKED mapping: EBUSY.
  const locked = p.mmap(0, PS, RW, MAP_SHARED | MAP_LOCKED, fd, 5 * PS);
  expectErrno(t, () => p.msync(locked, PS, MS_INVALIDATE), 'EBUSY', 'MS_INVALIDATE of a MAP_LOCKED mapping');
  expectOk(t, () => p.msync(locked, PS, MS_SYNC), 'MS_SYNC of it is fine');
  k.checkInvariants();
});

t.test('msync over a range with a hole syncs the mapped parts, then reports ENOMEM', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const file = makeHostFile(t, 8);
  const fd = p.open(file, O_RDWR);
  const base = 0x40000000;
  p.mmap(base, 2 * PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
  p.mmap(base + 3 * PS, PS, RW, MAP_SHARED | MAP_FIXED, fd, 3 * PS);
  p.store8(base + PS, 0xa1);
  p.store8(base + 3 * PS, 0xa3);
  expectErrno(t, () => p.msync(base, 4 * PS, MS_SYNC), 'ENOMEM', 'msync across the hole');
  t.equal(diskByte(file, 1), 0xa1, 'page 1 (before the hole) was written');
  t.equal(diskByte(file, 3), 0xa3, 'page 3 (after the hole) was written');
  k.checkInvariants();
});

// ---------------------------------------------------------------- write-back

t.test('MS_SYNC writes dirty mapped pages to the host file; nothing is on disk before', async (t) => {
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality });
      const p = k.spawn();
      const file = makeHostFile(t, 8);
      const fd = p.open(file, O_RDWR);
      const a = p.mmap(0, 8 * PS, RW, MAP_SHARED, fd, 0);
      p.write(a + 2 * PS, new Uint8Array(PS).fill(0xc2));
      p.store8(a + 5 * PS + 100, 0xc5);
      t.equal(diskByte(file, 2), OLD(2), 'page 2 not on disk before msync');
      t.equal(diskByte(file, 5, 100), OLD(5), 'page 5 not on disk before msync');
      const writesBefore = k.vmstatFields()['nr_io_writes'] ?? 0;
      // MS_SYNC of a sub-range writes what that range dirtied.
      p.msync(a + 2 * PS, PS, MS_SYNC);
      t.same(fs.readFileSync(file).subarray(2 * PS, 3 * PS), Buffer.alloc(PS, 0xc2), 'page 2 on disk after msync of page 2');
      t.equal(diskByte(file, 5, 100), OLD(5), 'page 5 (outside the msync range, dirty only in its PTE) not yet');
      p.msync(a, 8 * PS, MS_SYNC);
      t.equal(diskByte(file, 5, 100), 0xc5, 'page 5 on disk after msync of the whole mapping');
      t.equal(diskByte(file, 5, 99), OLD(5), 'its other bytes unchanged');
      t.equal((k.vmstatFields()['nr_io_writes'] ?? 0) - writesBefore, 2, 'two pages written, no more');
      t.equal(fs.statSync(file).size, 8 * PS, 'size unchanged');
      // Clean pages are not written again.
      p.msync(a, 8 * PS, MS_SYNC);
      t.equal((k.vmstatFields()['nr_io_writes'] ?? 0) - writesBefore, 2, 'a second msync writes nothing');
      k.checkInvariants();
    });
  }
});

t.test('2.6.11: fsync alone does not see dirty bits that are still only in PTEs', async (t) => {
  // In 2.6.11 a write fault on a MAP_SHARED page installs a writable, dirty PTE and does
  // not call set_page_dirty(). fsync → filemap_fdatawrite only writes PG_dirty pages, so
  // it misses the store; the dirty bit reaches the page when msync's filemap_sync moves
  // it (MS_ASYNC does that too, without I/O) or when the PTE is zapped (munmap, exit).
  const k = boot(t, { personality: 'linux-2.6' });
  const p = k.spawn();
  const file = makeHostFile(t, 4);
  const fd = p.open(file, O_RDWR);
  const a = p.mmap(0, 4 * PS, RW, MAP_SHARED, fd, 0);
  p.store8(a, 0xd0);
  p.store8(a + PS, 0xd1);
  p.store8(a + 2 * PS, 0xd2);
  t.equal(p.ptes(a, PS)[0]?.dirty, true, 'the PTE is dirty');
  t.equal(k.meminfoFields().Dirty, 0, 'meminfo Dirty: 0 kB (no page is PG_dirty)');
  p.fsync(fd);
  t.equal(diskByte(file, 0), OLD(0), 'after fsync: page 0 still old on disk');
  t.equal(diskByte(file, 1), OLD(1), 'after fsync: page 1 still old on disk');
  k.sync();
  t.equal(diskByte(file, 0), OLD(0), 'sync(2) does not see it either');
  k.checkInvariants();

  // MS_ASYNC moves the bit of page 0 to the page (no I/O); fsync then writes it.
  const ioBefore = k.vmstatFields()['nr_io_writes'] ?? 0;
  p.msync(a, PS, MS_ASYNC);
  t.equal((k.vmstatFields()['nr_io_writes'] ?? 0) - ioBefore, 0, 'MS_ASYNC wrote nothing');
  t.equal(p.ptes(a, PS)[0]?.dirty, false, 'the PTE is clean now');
  t.equal(k.meminfoFields().Dirty, 4, 'meminfo Dirty: 4 kB');
  t.equal(diskByte(file, 0), OLD(0), 'still old on disk after MS_ASYNC');
  p.fsync(fd);
  t.equal(diskByte(file, 0), 0xd0, 'page 0 on disk after MS_ASYNC + fsync');
  t.equal(diskByte(file, 1), OLD(1), 'page 1 (PTE-dirty only) still old');
  k.checkInvariants();

  // munmap zaps page 1's PTE: the dirty bit moves to the page; fsync writes it.
  p.munmap(a + PS, PS);
  t.equal(diskByte(file, 1), OLD(1), 'munmap alone writes nothing');
  p.fsync(fd);
  t.equal(diskByte(file, 1), 0xd1, 'page 1 on disk after munmap + fsync');
  // Process exit zaps the rest (page 2); sync(2) then writes it.
  p.exit();
  k.sync();
  t.equal(diskByte(file, 2), 0xd2, 'page 2 on disk after exit + sync');
  k.checkInvariants();
});

t.test('pwrite-dirtied pages are written by fsync, and not before', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const file = makeHostFile(t, 4);
  const fd = p.open(file, O_RDWR);
  p.pwrite(fd, new Uint8Array([0xe1, 0xe2]), PS + 10);
  t.equal(diskByte(file, 1, 10), OLD(1), 'not on disk after pwrite');
  t.equal(k.meminfoFields().Dirty, 4, 'one dirty page');
  p.fsync(fd);
  t.equal(diskByte(file, 1, 10), 0xe1, 'on disk after fsync');
  t.equal(diskByte(file, 1, 11), 0xe2, 'both bytes');
  t.equal(diskByte(file, 1, 12), OLD(1), 'the rest of the page unchanged');
  t.equal(k.meminfoFields().Dirty, 0, 'nothing dirty');
  k.checkInvariants();
});

// ---------------------------------------------------------------- truncate

t.test('ftruncate shrinking a file under a linear mapping: touches of the cut pages SIGBUS', async (t) => {
  for (const personality of PERSONALITIES) {
    for (const kind of ['host', 'tmpfs'] as const) {
      t.test(`${personality} ${kind}`, async (t) => {
        const k = boot(t, { personality });
        const p = k.spawn();
        const { fd, file } = openFile(t, p, kind, 8);
        const a = p.mmap(0, 8 * PS, RW, MAP_SHARED, fd, 0);
        const priv = p.mmap(0, 8 * PS, RW, MAP_PRIVATE, fd, 0);
        for (let i = 0; i < 8; i++) t.equal(p.load8(a + i * PS), OLD(i), `page ${i} mapped before`);
        p.store8(priv + 6 * PS, 0x66); // a private COW copy of page 6
        k.checkInvariants();

        // Cut to 2.5 pages: pages 3.. go; page 2 keeps its first half.
        p.ftruncate(fd, 2 * PS + PS / 2);
        if (kind === 'host') t.equal(fs.statSync(file).size, 2 * PS + PS / 2, 'host file truncated');
        t.equal(p.fstat(fd).size, 2 * PS + PS / 2, 'fstat size');
        t.equal(p.load8(a + PS), OLD(1), 'page 1 still mapped');
        t.equal(p.load8(a + 2 * PS + PS / 2 - 1), OLD(2), 'last byte before EOF kept');
        t.equal(p.load8(a + 2 * PS + PS / 2), 0, 'bytes past EOF in the last page read zero');
        for (const i of [3, 4, 7]) expectSigbus(t, () => p.load8(a + i * PS), `load of cut page ${i}`);
        expectSigbus(t, () => p.store8(a + 5 * PS, 1), 'store to cut page 5');
        t.same(p.ptes(a + 3 * PS, 5 * PS).map((e) => e.kind), ['none', 'none', 'none', 'none', 'none'], 'cut pages unmapped');
        // vmtruncate unmaps private COW copies of the cut range too (even_cows).
        expectSigbus(t, () => p.load8(priv + 6 * PS), 'the private COW copy of page 6');
        k.checkInvariants();

        // Growing the file again: the cut pages come back as zeros, not the old data.
        p.ftruncate(fd, 8 * PS);
        for (const i of [3, 7]) t.equal(p.load8(a + i * PS), 0, `page ${i} after ftruncate up reads zero`);
        t.equal(p.load8(a + 2 * PS + PS / 2), 0, 'the zeroed tail of page 2 stays zero');
        t.equal(p.load8(priv + 6 * PS), 0, 'the private mapping sees the new (zero) page 6');
        if (kind === 'host') {
          p.msync(a, 8 * PS, MS_SYNC);
          const disk = fs.readFileSync(file);
          t.equal(disk.length, 8 * PS, 'host file grown');
          t.equal(disk[3 * PS], 0, 'host page 3 is a hole of zeros');
          t.equal(disk[2 * PS + PS / 2], 0, 'host page 2 tail zero');
        }
        k.checkInvariants();
      });
    }
  }
});

t.test('ftruncate errors, and truncation seen by another process\'s mapping', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const q = k.spawn();
  const file = makeHostFile(t, 4);
  const fd = p.open(file, O_RDWR);
  const ro = p.open(file, 0);
  // do_sys_ftruncate: a file not open for writing, or a negative length → EINVAL.
  expectErrno(t, () => p.ftruncate(ro, PS), 'EINVAL', 'ftruncate of an O_RDONLY fd');
  expectErrno(t, () => p.ftruncate(fd, -1), 'EINVAL', 'negative length');
  expectErrno(t, () => p.ftruncate(99, PS), 'EBADF', 'fd not open');
  t.equal(fs.statSync(file).size, 4 * PS, 'size unchanged');
  const qa = q.mmap(0, 4 * PS, PROT_READ, MAP_SHARED, q.open(file, 0), 0);
  t.equal(q.load8(qa + 3 * PS), OLD(3), 'q maps page 3');
  p.ftruncate(fd, PS);
  expectSigbus(t, () => q.load8(qa + 3 * PS), 'q: page 3 after p truncated the file');
  t.equal(q.load8(qa), OLD(0), 'q: page 0 kept');
  k.checkInvariants();
});

t.test('ftruncate under a nonlinear window (2.6): file PTEs keep the offsets; past EOF they SIGBUS', async (t) => {
  for (const kind of ['host', 'tmpfs'] as const) {
    t.test(kind, async (t) => {
      const k = boot(t, { personality: 'linux-2.6' });
      const p = k.spawn();
      const { fd } = openFile(t, p, kind, 8);
      const win = p.mmap(0, 6 * PS, RW, MAP_SHARED, fd, 0);
      // window page:   0  1  2  3  4  5
      // file page:     7  1  5  3  0  6 (page 3 at its linear offset; 6 via MAP_NONBLOCK)
      const map = [7, 1, 5, 3, 0];
      map.forEach((pg, i) => p.remap_file_pages(win + i * PS, PS, 0, pg, 0));
      if (kind === 'host') {
        // An uncached host page with MAP_NONBLOCK: a file PTE from the start.
        p.remap_file_pages(win + 5 * PS, PS, 0, 6, MAP_NONBLOCK);
        t.equal(p.ptes(win + 5 * PS, PS)[0]?.kind, 'file', 'page 6 is a file PTE (MAP_NONBLOCK, not cached)');
      } else {
        p.remap_file_pages(win + 5 * PS, PS, 0, 6, 0);
      }
      t.same([0, 1, 2, 3, 4].map((i) => p.load8(win + i * PS)), map.map(OLD), 'window reads file pages 7 1 5 3 0');
      k.checkInvariants();

      // Truncate to 3 pages: file pages 3.. are cut.
      p.ftruncate(fd, 3 * PS);
      const after = p.ptes(win, 6 * PS).map((e) => [e.kind, e.pgoff]);
      t.same(after, [['file', 7], ['present', 1], ['file', 5], ['none', -1], ['present', 0], ['file', 6]],
        'cut pages mapped nonlinearly became file PTEs with their offsets; the one at its linear offset is none; pages below EOF stay');
      t.equal(p.load8(win + PS), OLD(1), 'window page 1 (file page 1) still readable');
      t.equal(p.load8(win + 4 * PS), OLD(0), 'window page 4 (file page 0) still readable');
      for (const i of [0, 2, 3, 5]) expectSigbus(t, () => p.load8(win + i * PS), `window page ${i} (file page ${[7, 1, 5, 3, 0, 6][i]}) past EOF`);
      expectSigbus(t, () => p.store8(win, 1), 'a store to window page 0');
      t.same(p.ptes(win, PS).map((e) => [e.kind, e.pgoff]), [['file', 7]], 'the SIGBUS left the file PTE in place');
      t.ok(p.smaps().includes('nl'), 'the VMA is still nonlinear');
      k.checkInvariants();

      // Grow the file again: the file PTEs now fault in the (zero) pages at their offsets.
      p.ftruncate(fd, 8 * PS);
      t.equal(p.load8(win), 0, 'window page 0 → file page 7, now a zero page');
      p.store8(win + 2 * PS, 0x55);
      const b = new Uint8Array(1);
      p.pread(fd, b, 5 * PS);
      t.equal(b[0], 0x55, 'a store to window page 2 lands in file page 5');
      t.same(p.ptes(win, 3 * PS).map((e) => [e.kind, e.pgoff]), [['present', 7], ['present', 1], ['present', 5]], 'faulted in at the kept offsets');
      k.checkInvariants();
    });
  }
});

t.test('ftruncate under an emulated window (4.0): linear VMAs, no file PTEs; past EOF SIGBUSes', async (t) => {
  const k = boot(t, { personality: 'linux-4.0' });
  const p = k.spawn();
  const file = makeHostFile(t, 8);
  const fd = p.open(file, O_RDWR);
  const win = p.mmap(0, 4 * PS, RW, MAP_SHARED, fd, 0);
  [7, 1, 5, 0].forEach((pg, i) => p.remap_file_pages(win + i * PS, PS, 0, pg, 0));
  p.ftruncate(fd, 3 * PS);
  t.same(p.ptes(win, 4 * PS).map((e) => e.kind), ['none', 'present', 'none', 'present'], 'cut pages unmapped, no file PTEs');
  expectSigbus(t, () => p.load8(win), 'window page 0 (file page 7)');
  expectSigbus(t, () => p.load8(win + 2 * PS), 'window page 2 (file page 5)');
  t.equal(p.load8(win + PS), OLD(1), 'window page 1 (file page 1) kept');
  k.checkInvariants();
});

// ---------------------------------------------------------------- durability

t.test('a Kernel dropped without sync loses unsynced writes; fsync\'d and msync\'d ones survive', async (t) => {
  const file = makeHostFile(t, 6);
  const k1 = new Kernel({ ramBytes: 16 * 1024 * 1024 });
  const p = k1.spawn();
  const fd = p.open(file, O_RDWR);
  const a = p.mmap(0, 6 * PS, RW, MAP_SHARED, fd, 0);
  // fsync, fdatasync and msync(MS_SYNC) write back every dirty page of the file, so the
  // synced pages come first and the unsynced ones after the last sync.
  p.pwrite(fd, new Uint8Array(PS).fill(0xa0), 0); //         page 0: pwrite + fsync
  p.fsync(fd);
  p.pwrite(fd, new Uint8Array(PS).fill(0xa5), 5 * PS); //    page 5: pwrite + fdatasync
  p.fdatasync(fd);
  p.write(a + 2 * PS, new Uint8Array(PS).fill(0xa2)); //     page 2: store + msync(MS_SYNC)
  p.msync(a + 2 * PS, PS, MS_SYNC); // (2.6.11 MS_SYNC: filemap_fdatawrite of the whole file)
  p.pwrite(fd, new Uint8Array(PS).fill(0xa1), PS); //        page 1: pwrite, no sync
  p.write(a + 3 * PS, new Uint8Array(PS).fill(0xa3)); //     page 3: store, no sync
  p.write(a + 4 * PS, new Uint8Array(PS).fill(0xa4)); //     page 4: store + MS_ASYNC (no I/O)
  p.msync(a + 4 * PS, PS, MS_ASYNC);
  t.equal(p.load8(a + PS), 0xa1, 'k1 sees its own unsynced write');
  k1.checkInvariants();
  k1.shutdown(); // no sync: a power failure

  const want = [0xa0, OLD(1), 0xa2, OLD(3), OLD(4), 0xa5];
  t.same([0, 1, 2, 3, 4, 5].map((i) => diskByte(file, i)), want, 'on disk (node:fs): only written-back pages changed');

  // A new machine over the same host file reads what survived.
  const k2 = new Kernel({ ramBytes: 16 * 1024 * 1024 });
  t.teardown(() => k2.shutdown());
  const q = k2.spawn();
  const qfd = q.open(file, O_RDWR);
  const page = new Uint8Array(PS);
  const got: number[] = [];
  for (let i = 0; i < 6; i++) {
    q.pread(qfd, page, i * PS);
    got.push(page[0] as number);
    t.ok(page.every((x) => x === page[0]), `k2 page ${i} is uniform`);
  }
  t.same(got, want, 'k2 pread sees the same');
  const qa = q.mmap(0, 6 * PS, PROT_READ, MAP_SHARED, qfd, 0);
  t.same([0, 1, 2, 3, 4, 5].map((i) => q.load8(qa + i * PS)), want, 'and so does a mapping in k2');
  k2.checkInvariants();
});

t.test('shutdown({ sync: true }) writes back dirty page-cache pages first', async (t) => {
  const file = makeHostFile(t, 2);
  const k1 = new Kernel({ ramBytes: 16 * 1024 * 1024 });
  const p = k1.spawn();
  const fd = p.open(file, O_RDWR);
  p.pwrite(fd, new Uint8Array([0xb0]), 0);
  const a = p.mmap(0, 2 * PS, RW, MAP_SHARED, fd, 0);
  p.store8(a + PS, 0xb1);
  p.msync(a + PS, PS, MS_ASYNC); // dirty bit moved to the page: sync(2) can see it
  k1.checkInvariants();
  k1.shutdown({ sync: true });
  t.equal(diskByte(file, 0), 0xb0, 'pwrite data survived');
  t.equal(diskByte(file, 1), 0xb1, 'MS_ASYNC-moved mapped data survived');
  const k2 = new Kernel({ ramBytes: 16 * 1024 * 1024 });
  t.teardown(() => k2.shutdown());
  const q = k2.spawn();
  const b = new Uint8Array(2);
  q.pread(q.open(file, O_RDWR), b, 0);
  t.equal(b[0], 0xb0, 'k2 reads it');
  k2.checkInvariants();
});
