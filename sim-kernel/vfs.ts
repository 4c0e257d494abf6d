/**
 * Files: inodes of real host files and of tmpfs files under /dev/shm/, and open files.
 *
 * A host file's bytes live in the real file; the kernel reads and writes them with
 * real I/O through page-cache frames (pagecache.ts). A tmpfs file's pages exist only in
 * simulated RAM (and, with part 2, in swap). Invariants:
 *   1. pages maps pgoff → frame for every cached page; the frame's owner is this inode's
 *      id and its index is the pgoff.
 *   2. dirty ⊆ keys(pages), and holds exactly the pgoffs whose frame has PG_DIRTY.
 *   3. swapped and pages have disjoint keys (a tmpfs page is in RAM or in swap).
 *   4. iMmap holds the linear VMAs mapping this file, iMmapNonlinear the VM_NONLINEAR ones.
 */

import type { Vma } from './vma.js';

export type InodeKind = 'host' | 'tmpfs';

export class Inode {
  readonly id: number;
  readonly kind: InodeKind;
  /** Absolute host path, or /dev/shm/NAME for tmpfs. */
  path: string;
  /** i_size in bytes. */
  size: number;
  /** Real file descriptor the kernel does its I/O through (-1 for tmpfs). */
  hostFd: number;
  /** Whether hostFd was opened read-write (false: the host file is read-only to us). */
  hostWritable: boolean;
  readonly dev: number;
  readonly ino: number;
  nlink = 1;
  openCount = 0;
  readonly pages = new Map<number, number>();
  readonly dirty = new Set<number>();
  /** tmpfs pages that live in swap: pgoff → swap slot (shmem's swap vector). */
  readonly swapped = new Map<number, number>();
  readonly iMmap = new Set<Vma>();
  readonly iMmapNonlinear = new Set<Vma>();
  /** A write-back error not yet reported to fsync (as errseq_t reports it once). */
  pendingError: 'EIO' | 'ENOSPC' | null = null;

  constructor(id: number, kind: InodeKind, path: string, size: number, hostFd: number, hostWritable: boolean, dev: number, ino: number) {
    this.id = id;
    this.kind = kind;
    this.path = path;
    this.size = size;
    this.hostFd = hostFd;
    this.hostWritable = hostWritable;
    this.dev = dev;
    this.ino = ino;
  }

  get mappingCount(): number {
    return this.iMmap.size + this.iMmapNonlinear.size;
  }
}

/** An open file description (struct file). */
export class OpenFile {
  readonly inode: Inode;
  /** O_ACCMODE bits: O_RDONLY, O_WRONLY or O_RDWR. */
  readonly accMode: number;
  readonly flags: number;
  constructor(inode: Inode, accMode: number, flags: number) {
    this.inode = inode;
    this.accMode = accMode;
    this.flags = flags;
  }
  get canRead(): boolean {
    return this.accMode !== 1;
  }
  get canWrite(): boolean {
    return this.accMode === 1 || this.accMode === 2;
  }
}

export interface StatResult {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  blksize: number;
  blocks: number;
}

export const TMPFS_PREFIX = '/dev/shm/';
/** Device number shown for tmpfs in maps (00:0d, an anonymous superblock as 2.6 prints it). */
export const TMPFS_DEV = 0x0d;
