/**
 * syscalls/: the memory-mapping system calls, each following its Linux function's
 * order of checks so the errno is the one Linux gives: mmap/munmap/mprotect/msync
 * (mm/mmap.c, mm/mprotect.c, mm/msync.c), remap_file_pages (mm/fremap.c), mlock
 * (mm/mlock.c), madvise/mincore (mm/madvise.c, mm/mincore.c), and sync_file_range
 * (fs/sync.c), the write-back hand-off beside them. Process (../process.ts)
 * exposes them by their Linux names. Owns no state: they work on an Mm and the Core.
 */

export { doRemapFilePages } from './fremap.js';
export { doMadvise, doMincore } from './madvise.js';
export { canDoMlock, checkMapLocked, doMlock, doMlockall, doMunlockall } from './mlock.js';
export {
  doMmap, doMprotect, doMsync, doMunmap, exitMmap, fixupFlags, makePagesPresent, mmapRegion,
  moveDirtyBits, syncInode, truncateInode, unmapVma, writeThroughCache,
} from './mmap.js';
export { checkSyncFileRangeArgs, doSyncFileRange } from './sync-file-range.js';
