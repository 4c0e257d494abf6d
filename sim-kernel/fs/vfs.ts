/**
 * Files: inodes of real host files and of tmpfs files under /dev/shm/, the inode table,
 * and open files (fs/inode.c iget/iput, fs/namei.c, mm/shmem.c shmem_get_inode).
 *
 * A host file's bytes live in the real file; the kernel reads and writes them with
 * real I/O through page-cache frames (pagecache.ts). A tmpfs file's pages exist only in
 * simulated RAM and, under memory pressure, in swap. Invariants:
 *   1. pages maps pgoff → frame for every cached page; the frame's owner is this inode's
 *      id and its index is the pgoff.
 *   2. dirty ⊆ keys(pages), and holds exactly the pgoffs whose frame has PG_DIRTY.
 *   3. swapped and pages have disjoint keys (a tmpfs page is in RAM or in swap).
 *   4. iMmap holds the linear VMAs mapping this file, iMmapNonlinear the VM_NONLINEAR ones.
 *   5. InodeTable.inodes[i] is null (released) or the inode whose id is i; ids are
 *      never reused.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Vma } from '../mm/vma.js';

export type InodeKind = 'host' | 'tmpfs';

/**
 * The page-cache index of one file (address_space's radix tree): pgoff → frame.
 * Lookups are on every fault and remap, so most offsets live in a dense Int32Array
 * (frame + 1, 0 = absent). The dense part grows by doubling only while it stays within
 * a few times the number of cached pages, so iterating it stays O(pages); offsets
 * beyond it (a sparse file's far pages) live in a Map until the dense part reaches them.
 */
export class PageIndex {
  #dense = new Int32Array(64);
  readonly #sparse = new Map<number, number>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(pgoff: number): number | undefined {
    if (pgoff < this.#dense.length) {
      const v = this.#dense[pgoff] as number;
      return v === 0 ? undefined : v - 1;
    }
    return this.#sparse.get(pgoff);
  }

  has(pgoff: number): boolean {
    return this.get(pgoff) !== undefined;
  }

  set(pgoff: number, frame: number): void {
    if (pgoff >= this.#dense.length && pgoff < 4 * (this.#size + 16)) this.#grow(pgoff);
    if (pgoff < this.#dense.length) {
      if (this.#dense[pgoff] === 0) this.#size++;
      this.#dense[pgoff] = frame + 1;
      return;
    }
    if (!this.#sparse.has(pgoff)) this.#size++;
    this.#sparse.set(pgoff, frame);
  }

  #grow(pgoff: number): void {
    let n = this.#dense.length;
    while (n <= pgoff) n *= 2;
    const d = new Int32Array(n);
    d.set(this.#dense);
    this.#dense = d;
    for (const [p, f] of this.#sparse) {
      if (p < n) {
        d[p] = f + 1;
        this.#sparse.delete(p);
      }
    }
  }

  delete(pgoff: number): boolean {
    if (pgoff < this.#dense.length) {
      if (this.#dense[pgoff] === 0) return false;
      this.#dense[pgoff] = 0;
      this.#size--;
      return true;
    }
    const had = this.#sparse.delete(pgoff);
    if (had) this.#size--;
    return had;
  }

  /** [pgoff, frame] pairs: the dense part in pgoff order, then the sparse ones. */
  *[Symbol.iterator](): IterableIterator<[number, number]> {
    const d = this.#dense;
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) yield [i, (d[i] as number) - 1];
    yield* this.#sparse;
  }
}

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
  readonly pages = new PageIndex();
  readonly dirty = new Set<number>();
  /** tmpfs pages that live in swap: pgoff → swap slot (shmem's swap vector). */
  readonly swapped = new Map<number, number>();
  readonly iMmap = new Set<Vma>();
  readonly iMmapNonlinear = new Set<Vma>();
  /**
   * Write-back errors as errseq_t records them (Linux 4.13+): a sequence bumped at each
   * failure and the latest error. Each open file remembers the sequence it has seen, so
   * every fd that was open when the write-back failed gets the error from fsync once.
   */
  wbErrSeq = 0;
  wbErr: 'EIO' | 'ENOSPC' | null = null;
  /**
   * Host files: how far the host file may hold data, in bytes. Past it the file is a hole
   * (ftruncate grew it, nothing was written there since), and reading a page of a hole is
   * what ext4's readpage does for an unmapped block: a zeroed page, no device I/O. Starts
   * at the file's size when first opened, grows with every write-back, shrinks with a host
   * truncate, and becomes unbounded after a power cut rewrites the file (disk-cache.ts).
   * Conservative by construction: it is never below the end of data the kernel wrote.
   * Assumes this kernel is the file's only writer (the directory lock of storage/ makes it so).
   */
  hostDataEnd: number;

  recordWritebackError(code: 'EIO' | 'ENOSPC'): void {
    this.wbErrSeq++;
    this.wbErr = code;
  }

  constructor(id: number, kind: InodeKind, path: string, size: number, hostFd: number, hostWritable: boolean, dev: number, ino: number) {
    this.id = id;
    this.kind = kind;
    this.path = path;
    this.size = size;
    this.hostDataEnd = size;
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
  /** The inode's wbErrSeq this file has reported (errseq_t's f_wb_err). */
  errSeen: number;
  constructor(inode: Inode, accMode: number, flags: number) {
    this.inode = inode;
    this.accMode = accMode;
    this.flags = flags;
    this.errSeen = inode.wbErrSeq;
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

/**
 * The machine's inode table: host files by dev:ino (one inode however many opens, as
 * iget finds the cached one), tmpfs files by path. Ids index `inodes` and are never
 * reused, so a frame's owner id stays unambiguous; a released inode leaves a null
 * (pagecache.ts maybeReleaseInode).
 */
export class InodeTable {
  readonly inodes: (Inode | null)[] = [];
  readonly #hostInodes = new Map<string, Inode>();
  readonly tmpfs = new Map<string, Inode>();
  #nextTmpfsIno = 1;

  /** The inode of a host file (opened by the caller to check access) or a tmpfs file. */
  hostInode(realPath: string, st: fs.Stats): Inode {
    const key = `${st.dev}:${st.ino}`;
    let inode = this.#hostInodes.get(key);
    if (inode !== undefined) return inode;
    let fd: number;
    let writable = true;
    try {
      fd = fs.openSync(realPath, 'r+');
    } catch {
      fd = fs.openSync(realPath, 'r');
      writable = false;
    }
    inode = new Inode(this.inodes.length, 'host', realPath, st.size, fd, writable, st.dev, st.ino);
    this.inodes.push(inode);
    this.#hostInodes.set(key, inode);
    return inode;
  }

  /** An unlinked host file's dev:ino may be reused by the host: forget the key, keep the inode. */
  forgetHostInode(st: fs.Stats): void {
    const key = `${st.dev}:${st.ino}`;
    const inode = this.#hostInodes.get(key);
    if (inode === undefined) return;
    inode.nlink = 0;
    this.#hostInodes.delete(key);
  }

  createTmpfsInode(p: string): Inode {
    const inode = new Inode(this.inodes.length, 'tmpfs', p, 0, -1, true, TMPFS_DEV, this.#nextTmpfsIno++);
    this.inodes.push(inode);
    this.tmpfs.set(p, inode);
    return inode;
  }

  static isTmpfsPath(p: string): boolean {
    return p.startsWith(TMPFS_PREFIX) && p.length > TMPFS_PREFIX.length && !p.slice(TMPFS_PREFIX.length).includes('/');
  }

  static resolveHostPath(p: string): string {
    return path.resolve(p);
  }
}
