/**
 * posix_fadvise(2) (mm/fadvise.c generic_fadvise, Linux 2.6): advice about a file range's
 * page cache. POSIX_FADV_DONTNEED is the one that acts here: it drops the clean cached
 * pages of the range that nothing maps, pins or locks (invalidate_mapping_pages), so their
 * frames go back to the free lists — what a database does with log it has read once
 * (PostgreSQL with its WAL). Only full pages go: a partial page at either end of the range
 * stays, as in Linux; len 0 or a range reaching EOF takes the last page too. tmpfs
 * ignores it (Linux's noop backing device: its pages are the only copy). The other
 * advice (NORMAL, RANDOM, SEQUENTIAL, WILLNEED, NOREUSE) is accepted and changes nothing.
 *
 * Order of checks as in mm/fadvise.c: the descriptor (EBADF) first, then the range and
 * the advice (EINVAL). Costs: one syscall entry (the caller's); a reclaimPage per page
 * dropped (fs/pagecache.ts invalidatePages).
 */

import { POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE, POSIX_FADV_NORMAL } from '../constants.js';
import type { Core } from '../core.js';
import { KernelError } from '../errors.js';
import { invalidatePages } from '../fs/pagecache.js';
import type { OpenFile } from '../fs/vfs.js';

export function doFadvise(core: Core, f: OpenFile, offset: number, len: number, advice: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(len) || offset < 0 || len < 0) {
    throw new KernelError('EINVAL', 'posix_fadvise', `offset ${offset} or len ${len} is negative or not an integer`);
  }
  if (!Number.isInteger(advice) || advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE) {
    throw new KernelError('EINVAL', 'posix_fadvise', `advice ${advice} is not one of POSIX_FADV_NORMAL..POSIX_FADV_NOREUSE (0..5)`);
  }
  if (advice !== POSIX_FADV_DONTNEED || f.inode.kind !== 'host') return;
  const ps = core.pageSize;
  const end = len === 0 ? Number.MAX_SAFE_INTEGER : offset + len;
  const from = Math.ceil(offset / ps);
  const to = end >= f.inode.size ? Math.ceil(f.inode.size / ps) : Math.floor(end / ps);
  if (to > from) invalidatePages(core, f.inode, from, to);
}
