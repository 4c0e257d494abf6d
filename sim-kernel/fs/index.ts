/**
 * fs/: files and the page cache (Linux fs/inode.c, mm/filemap.c, mm/truncate.c,
 * mm/page-writeback.c, mm/shmem.c): inodes of host and tmpfs files, the inode table,
 * open files, and the page cache with its reads and write-back. Owns no state here;
 * vfs.ts states the inode invariants the page cache keeps.
 */

export {
  addToCache, findPage, getPage, markDirty, maybeReleaseInode, removeFromCache, syncAll, syncHost, truncatePages,
  writebackInode, writebackPage,
} from './pagecache.js';
export {
  Inode, type InodeKind, InodeTable, OpenFile, PageIndex, type StatResult, TMPFS_DEV, TMPFS_PREFIX,
} from './vfs.js';
