/**
 * syscalls/: the memory-mapping system calls, each following its Linux function's
 * order of checks so the errno is the one Linux gives: mmap/munmap/msync (mm/mmap.c,
 * mm/msync.c), mprotect (mm/mprotect.c), remap_file_pages (mm/fremap.c) with the
 * never-merged per-page protection series (fremap-prot.ts), mlock
 * (mm/mlock.c), madvise/mincore (mm/madvise.c, mm/mincore.c), and sync_file_range
 * (fs/sync.c), the write-back hand-off beside them. Process (../process.ts)
 * exposes them by their Linux names. Owns no state: they work on an Mm and the Core.
 */

export { doRemapFilePages } from './fremap.js';
export { doMadvise, doMincore } from './madvise.js';
export { canDoMlock, checkMapLocked, doMlock, doMlockall, doMunlockall } from './mlock.js';
export {
  doMmap, doMsync, doMunmap, exitMmap, fixupFlags, makePagesPresent, mmapRegion,
  moveDirtyBits, syncInode, truncateInode, unmapVma, writeThroughCache,
} from './mmap.js';
export { doMprotect } from './mprotect.js';
export { markNonuniform, protectPages, protectsPages, remapPageProt, wantsOwnProt } from './fremap-prot.js';
export { checkSyncFileRangeArgs, doSyncFileRange } from './sync-file-range.js';
