/**
 * sync_file_range(2) (fs/sync.c, Linux 2.6.17): start write-back of a file range's dirty
 * pages, optionally waiting for write-back before and after.
 *
 * What it is for here: the simulated kernel lives inside the program, so a page it holds
 * dirty dies with the program; a page it has written back is in the host file (the host
 * kernel's page cache), which a process crash does not touch. SYNC_FILE_RANGE_WRITE is
 * that hand-off, and it is the real Linux call a database makes to start write-out early
 * (PostgreSQL's checkpointer and WAL writer use it). It is not durability against a power
 * cut: it flushes no metadata and no device cache (fs/disk-cache.ts keeps such a write
 * unsynced until an fsync/fdatasync).
 *
 * Order of checks as in fs/sync.c: flags and the range (EINVAL) before the descriptor
 * (EBADF), then the file type (ESPIPE; every sim-kernel file is regular, so never).
 *
 * Costs: one syscall entry; per page written, ioSubmit without WAIT_AFTER (the caller does
 * not wait for the device) and ioWrite with it. Write-back here is synchronous (real I/O
 * on the host file), so WAIT_BEFORE has nothing to wait for.
 *
 * Errors: a page whose write-back fails in this call stays dirty, the error is recorded
 * on the inode (errseq: fsync reports it too) and the call fails with it (EIO or ENOSPC),
 * as write_cache_pages passes a writepage error up in 2.6. An earlier failure not yet
 * reported to this file is reported with WAIT_BEFORE or WAIT_AFTER
 * (filemap_fdatawait_range checks the mapping's error).
 */

import { VS } from '../accounting.js';
import { SYNC_FILE_RANGE_WAIT_AFTER, SYNC_FILE_RANGE_WAIT_BEFORE, SYNC_FILE_RANGE_WRITE } from '../constants.js';
import type { Core } from '../core.js';
import { KernelError } from '../errors.js';
import { writebackPage } from '../fs/pagecache.js';
import type { OpenFile } from '../fs/vfs.js';

const VALID_FLAGS = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;

/** Validate the arguments (EINVAL) before the descriptor is looked up (EBADF), as fs/sync.c does. */
export function checkSyncFileRangeArgs(offset: number, nbytes: number, flags: number): void {
  if (!Number.isInteger(flags) || (flags & ~VALID_FLAGS) !== 0 || flags < 0) {
    throw new KernelError('EINVAL', 'sync_file_range', `flags ${flags} has bits outside WAIT_BEFORE|WRITE|WAIT_AFTER (${VALID_FLAGS})`);
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new KernelError('EINVAL', 'sync_file_range', `offset ${offset} is negative or not an integer`);
  }
  if (!Number.isSafeInteger(nbytes) || nbytes < 0 || !Number.isSafeInteger(offset + nbytes)) {
    throw new KernelError('EINVAL', 'sync_file_range', `nbytes ${nbytes} is negative, not an integer, or offset + nbytes overflows`);
  }
}

/** The call on an open file; nbytes 0 means to the end of the file. */
export function doSyncFileRange(core: Core, file: OpenFile, offset: number, nbytes: number, flags: number): void {
  const inode = file.inode;
  core.acct.count(VS.nr_sync_file_range);
  const waits = (flags & (SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WAIT_AFTER)) !== 0;
  if ((flags & SYNC_FILE_RANGE_WRITE) !== 0 && inode.dirty.size > 0) {
    const ps = core.pageSize;
    const first = Math.floor(offset / ps);
    const last = nbytes === 0 ? Number.MAX_SAFE_INTEGER : Math.floor((offset + nbytes - 1) / ps);
    const submitOnly = (flags & SYNC_FILE_RANGE_WAIT_AFTER) === 0;
    let failed = false;
    // A WAL tail is a page or two: walk the range when it is short, the dirty set when not.
    if (last - first < inode.dirty.size) {
      for (let pg = first; pg <= last; pg++) {
        if (!inode.dirty.has(pg)) continue;
        if (!writebackPage(core, inode, pg, inode.pages.get(pg) as number, submitOnly)) failed = true;
      }
    } else {
      for (const pg of [...inode.dirty].sort((a, b) => a - b)) {
        if (pg < first || pg > last) continue;
        if (!writebackPage(core, inode, pg, inode.pages.get(pg) as number, submitOnly)) failed = true;
      }
    }
    if (failed) {
      throw new KernelError(inode.wbErr ?? 'EIO', 'sync_file_range', `write-back of ${inode.path} failed (the pages stay dirty)`);
    }
  }
  if (waits && file.errSeen !== inode.wbErrSeq && inode.wbErr !== null) {
    file.errSeen = inode.wbErrSeq;
    throw new KernelError(inode.wbErr, 'sync_file_range', `an earlier write-back of ${inode.path} failed`);
  }
}
