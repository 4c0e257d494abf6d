/**
 * posix_fadvise(2) (mm/fadvise.c generic_fadvise): POSIX_FADV_DONTNEED drops the clean,
 * unmapped, unpinned cached pages wholly inside the range (invalidate_mapping_pages),
 * keeping partial pages at either end, dirty pages and mapped ones; len 0 reaches the end
 * of the file; tmpfs ignores it; the other advice changes nothing. Bad arguments are
 * EINVAL, a bad descriptor EBADF. Every test checks the kernel's invariants after.
 */

import t from 'tap';

import {
  MAP_SHARED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE, POSIX_FADV_SEQUENTIAL, POSIX_FADV_WILLNEED, PROT_READ, type Process,
} from '../../../sim-kernel/index.js';

import { boot, createFile, expectErrno, type FileKind, pagesFilled, PS } from '../helpers.js';

const PAGES = 10;
const OLD = (i: number): number => 0x10 + i;

/** Pages 0..PAGES-1 of the file read into the page cache (no readahead: each read is one page). */
function cachedFile(t: Parameters<typeof boot>[0], kind: FileKind): { p: Process; fd: number; cached: () => number[]; k: ReturnType<typeof boot> } {
  const k = boot(t, { readaheadPages: 0 });
  const p = k.spawn();
  const { fd } = createFile(t, p, kind, 'data', pagesFilled(PAGES, OLD), { pwritePerPage: true });
  const buf = new Uint8Array(PS);
  for (let i = 0; i < PAGES; i++) p.pread(fd, buf, i * PS);
  const inode = p.file(fd, 'test').inode;
  const cached = (): number[] => {
    const out: number[] = [];
    for (let i = 0; i < PAGES; i++) if (inode.pages.has(i)) out.push(i);
    return out;
  };
  return { p, fd, cached, k };
}

const ALL = [...Array(PAGES).keys()];

t.test('DONTNEED drops the full pages of the range, keeps partial ones at either end', async (t) => {
  const { p, fd, cached, k } = cachedFile(t, 'host');
  t.same(cached(), ALL, 'every page is cached after the reads');
  p.posix_fadvise(fd, 2 * PS + 1, 3 * PS, POSIX_FADV_DONTNEED); // page 2 and page 5 partial: pages 3, 4 go
  t.same(cached(), ALL.filter((i) => i !== 3 && i !== 4), 'pages 3 and 4 dropped');
  p.posix_fadvise(fd, 7 * PS, 0, POSIX_FADV_DONTNEED);
  t.same(cached(), [0, 1, 2, 5, 6], 'len 0: to the end of the file');
  const buf = new Uint8Array(PS);
  p.pread(fd, buf, 3 * PS);
  t.equal(buf[0], OLD(3), 'a dropped page reads its content again from the file');
  t.same(cached(), [0, 1, 2, 3, 5, 6]);
  k.checkInvariants();
});

t.test('DONTNEED keeps dirty and mapped pages', async (t) => {
  const { p, fd, cached, k } = cachedFile(t, 'host');
  p.pwrite(fd, new Uint8Array(PS).fill(0x99), 4 * PS);
  const addr = p.mmap(0, PS, PROT_READ, MAP_SHARED, fd, 6 * PS);
  t.equal(p.load8(addr), OLD(6), 'page 6 mapped and touched');
  p.posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  t.same(cached(), [4, 6], 'the dirty page 4 and the mapped page 6 stay');
  p.fsync(fd);
  p.posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  t.same(cached(), [6], 'once written back, page 4 goes too');
  const buf = new Uint8Array(PS);
  p.pread(fd, buf, 4 * PS);
  t.equal(buf[0], 0x99, 'the write reached the file before the page was dropped');
  p.munmap(addr, PS);
  k.checkInvariants();
});

t.test('tmpfs ignores DONTNEED (its pages are the only copy), and other advice changes nothing', async (t) => {
  const tmp = cachedFile(t, 'tmpfs');
  tmp.p.posix_fadvise(tmp.fd, 0, 0, POSIX_FADV_DONTNEED);
  t.same(tmp.cached(), ALL, 'tmpfs: every page stays');
  const host = cachedFile(t, 'host');
  for (const advice of [POSIX_FADV_SEQUENTIAL, POSIX_FADV_WILLNEED, POSIX_FADV_NOREUSE]) host.p.posix_fadvise(host.fd, 0, 0, advice);
  t.same(host.cached(), ALL, 'host: other advice drops nothing');
  tmp.k.checkInvariants();
  host.k.checkInvariants();
});

t.test('errors: EINVAL for a negative or fractional range or unknown advice, EBADF for a closed descriptor', async (t) => {
  const { p, fd, k } = cachedFile(t, 'host');
  expectErrno(t, () => p.posix_fadvise(fd, -1, 0, POSIX_FADV_DONTNEED), 'EINVAL', 'negative offset');
  expectErrno(t, () => p.posix_fadvise(fd, 0, -PS, POSIX_FADV_DONTNEED), 'EINVAL', 'negative len');
  expectErrno(t, () => p.posix_fadvise(fd, 0.5, 0, POSIX_FADV_DONTNEED), 'EINVAL', 'fractional offset');
  expectErrno(t, () => p.posix_fadvise(fd, 0, 0, 6), 'EINVAL', 'unknown advice');
  expectErrno(t, () => p.posix_fadvise(99, 0, 0, POSIX_FADV_DONTNEED), 'EBADF', 'a descriptor that is not open');
  k.checkInvariants();
});
