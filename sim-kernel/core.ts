/**
 * The machine-wide state every process shares: RAM, the page cache, inodes, the clock.
 *
 * Owns: PhysMem, Accounting, the inode table (host files by dev:ino, tmpfs by path),
 * page-cache insertion and removal, reads of missing pages (real I/O for host files),
 * write-back (real I/O), and frame allocation with last-resort reclaim of unmapped
 * page-cache pages (the full LRU reclaim of part 2 plugs in through `reclaimHook`).
 * Invariants: see vfs.ts (Inode) and physmem.ts; checkInvariants() checks both sides
 * of the page cache (inode.pages ⇔ frame owner/index) and refcounts of cache pages:
 *   refcount = 1 (the cache) + mapcount + pins.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { Accounting, EV, VS } from './accounting.js';
import { type Arch, type Geometry, geometry, getArch } from './arch.js';
import type { KernelConfig } from './config.js';
import { type ErrnoName, ERRNO, KernelError, kassert } from './errors.js';
import {
  PG_ANON, PG_DIRTY, PG_PAGECACHE, PG_UPTODATE, PhysMem,
} from './physmem.js';
import { Prng } from './prng.js';
import { Inode, TMPFS_DEV, TMPFS_PREFIX } from './vfs.js';

/** Convert a host fs error into the errno the simulated syscall reports. */
export function hostError(err: unknown, syscall: string, what: string): KernelError {
  const code = (err as { code?: string }).code;
  const name: ErrnoName = code !== undefined && code in ERRNO ? (code as ErrnoName) : 'EIO';
  return new KernelError(name, syscall, `${what}: ${(err as Error).message}`, { cause: err });
}

export class Core {
  readonly config: KernelConfig;
  readonly arch: Arch;
  readonly geo: Geometry;
  readonly mem: PhysMem;
  readonly acct: Accounting;
  readonly prng: Prng;
  readonly pageSize: number;
  /** Used-entry counts of page-table frames, shared by every address space. */
  readonly ptUsed: Int32Array;
  readonly inodes: (Inode | null)[] = [];
  readonly #hostInodes = new Map<string, Inode>();
  readonly tmpfs = new Map<string, Inode>();
  #nextTmpfsIno = 1;
  /** Part 2's reclaim: free at least `want` frames; returns how many it freed. */
  reclaimHook: ((want: number) => number) | null = null;
  /** Clock hand of the last-resort page-cache shrinker. */
  #shrinkHand = 0;

  constructor(config: KernelConfig) {
    this.config = config;
    this.arch = getArch(config.arch);
    this.geo = geometry(this.arch, config.pageSize);
    this.pageSize = config.pageSize;
    this.mem = new PhysMem(config.ramBytes, config.pageSize);
    this.acct = new Accounting(config.costs);
    this.prng = new Prng(config.seed);
    this.ptUsed = new Int32Array(this.mem.frameCount);
  }

  // ---- frames ----

  /** Allocate a frame, reclaiming if RAM is short; -1 if nothing can be freed (OOM). */
  allocFrame(kind: number, zero: boolean): number {
    const mem = this.mem;
    if (mem.freeCount <= this.config.minFreePages) this.#reclaim(32);
    let f = mem.freeCount > 0 ? mem.alloc(kind, zero) : -1;
    if (f < 0) {
      this.#reclaim(32);
      f = mem.alloc(kind, zero);
    }
    if (f >= 0) this.acct.count(VS.pgalloc);
    else this.acct.count(VS.nr_oom);
    return f;
  }

  freeFrame(f: number): void {
    this.mem.free(f);
    this.acct.count(VS.pgfree);
  }

  #reclaim(want: number): void {
    let freed = this.reclaimHook !== null ? this.reclaimHook(want) : 0;
    if (freed < want) freed += this.#shrinkUnmappedCache(want - freed);
  }

  /**
   * Last resort (and part 1's only reclaim): drop page-cache pages no PTE maps and no
   * one pins, writing dirty ones back first — the clean-page half of shrink_list.
   */
  #shrinkUnmappedCache(want: number): number {
    const mem = this.mem;
    let freed = 0;
    for (let scanned = 0; scanned < mem.frameCount && freed < want; scanned++) {
      const f = this.#shrinkHand;
      this.#shrinkHand = (this.#shrinkHand + 1) % mem.frameCount;
      const fl = mem.flags[f] as number;
      if ((fl & PG_PAGECACHE) === 0 || mem.mapcount[f] !== 0 || mem.pin[f] !== 0) continue;
      const inode = this.inodes[mem.owner[f] as number];
      kassert(inode !== undefined && inode !== null, `cache frame ${f} has no inode`);
      if (inode.kind === 'tmpfs') continue; // tmpfs pages can only go to swap (part 2)
      if ((fl & PG_DIRTY) !== 0 && !this.writebackPage(inode, mem.index[f] as number, f)) continue;
      this.acct.charge(EV.reclaimPage);
      this.acct.count(VS.pgsteal);
      this.removeFromCache(f);
      freed++;
    }
    return freed;
  }

  // ---- inodes ----

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

  /** Drop an inode nobody references any more (unlinked tmpfs file, all closed and unmapped). */
  maybeReleaseInode(inode: Inode): void {
    if (inode.kind !== 'tmpfs' || inode.nlink > 0 || inode.openCount > 0 || inode.mappingCount > 0) return;
    this.truncatePages(inode, 0);
    this.inodes[inode.id] = null;
  }

  // ---- page cache ----

  findPage(inode: Inode, pgoff: number): number {
    const f = inode.pages.get(pgoff);
    return f === undefined ? -1 : f;
  }

  addToCache(inode: Inode, pgoff: number, f: number): void {
    kassert(!inode.pages.has(pgoff), () => `page ${pgoff} of ${inode.path} already cached`);
    const mem = this.mem;
    mem.owner[f] = inode.id;
    mem.index[f] = pgoff;
    inode.pages.set(pgoff, f);
  }

  removeFromCache(f: number): void {
    const mem = this.mem;
    const inode = this.inodes[mem.owner[f] as number];
    kassert(inode !== undefined && inode !== null, `frame ${f} not in any inode's cache`);
    const pgoff = mem.index[f] as number;
    kassert(inode.pages.get(pgoff) === f, `frame ${f} is not page ${pgoff} of ${inode.path}`);
    kassert(mem.mapcount[f] === 0 && mem.pin[f] === 0, `removing mapped/pinned frame ${f} from the cache`);
    inode.pages.delete(pgoff);
    inode.dirty.delete(pgoff);
    kassert(mem.refcount[f] === 1, `frame ${f} leaves the cache with refcount ${mem.refcount[f]}`);
    this.freeFrame(f);
  }

  /**
   * find_get_page or read it in: the frame caching page `pgoff` of `inode`. Host pages
   * not cached are read with real I/O (`major` is set on the result via acct); tmpfs
   * holes get a zeroed page. Throws ENOMEM (no frame) or the host's I/O error.
   * Returns the frame and whether a read was needed.
   */
  getPage(inode: Inode, pgoff: number, syscall: string): number {
    const cached = inode.pages.get(pgoff);
    if (cached !== undefined) return cached;
    const f = this.allocFrame(PG_PAGECACHE, inode.kind === 'tmpfs');
    if (f < 0) throw this.oom(syscall, `no free frame to cache page ${pgoff} of ${inode.path}`);
    if (inode.kind === 'host') {
      try {
        this.#readHost(inode, pgoff, f);
      } catch (err) {
        this.mem.free(f);
        throw hostError(err, syscall, `reading page ${pgoff} of ${inode.path}`);
      }
      this.lastGetPageRead = true;
    } else {
      this.lastGetPageRead = false;
    }
    this.mem.flags[f] = (this.mem.flags[f] as number) | PG_UPTODATE;
    this.addToCache(inode, pgoff, f);
    return f;
  }

  /** Whether the last getPage() that missed had to read from the device (a major fault). */
  lastGetPageRead = false;

  #readHost(inode: Inode, pgoff: number, f: number): void {
    const ps = this.pageSize;
    const base = f * ps;
    const pos = pgoff * ps;
    let got = 0;
    if (pos < inode.size) {
      const want = Math.min(ps, inode.size - pos);
      while (got < want) {
        const n = fs.readSync(inode.hostFd, this.mem.bytes, base + got, want - got, pos + got);
        if (n === 0) break;
        got += n;
      }
    }
    this.mem.bytes.fill(0, base + got, base + ps);
    this.acct.charge(EV.ioRead);
    this.acct.count(VS.nr_io_reads);
    this.acct.count(VS.pgpgin);
  }

  markDirty(f: number): void {
    const mem = this.mem;
    const fl = mem.flags[f] as number;
    if ((fl & PG_DIRTY) !== 0) return;
    mem.flags[f] = fl | PG_DIRTY;
    mem.dirtiedAtNs[f] = this.acct.nowNs;
    if ((fl & PG_PAGECACHE) !== 0) {
      const inode = this.inodes[mem.owner[f] as number];
      kassert(inode !== undefined && inode !== null, `dirty cache frame ${f} without inode`);
      inode.dirty.add(mem.index[f] as number);
    }
  }

  /**
   * Write one dirty page back (real I/O for host files; tmpfs pages stay in RAM and are
   * only cleaned). Returns false and records the error on the inode if the write failed;
   * the page stays dirty (as Linux 2.6 keeps it, with AS_EIO set on the mapping).
   */
  writebackPage(inode: Inode, pgoff: number, f: number): boolean {
    const mem = this.mem;
    if (inode.kind === 'host') {
      const ps = this.pageSize;
      const pos = pgoff * ps;
      const len = Math.min(ps, inode.size - pos);
      if (len > 0) {
        if (!inode.hostWritable) {
          inode.pendingError = 'EIO';
          return false;
        }
        try {
          let done = 0;
          while (done < len) done += fs.writeSync(inode.hostFd, mem.bytes, f * ps + done, len - done, pos + done);
        } catch (err) {
          const code = (err as { code?: string }).code;
          inode.pendingError = code === 'ENOSPC' || code === 'EDQUOT' ? 'ENOSPC' : 'EIO';
          return false;
        }
        this.acct.charge(EV.ioWrite);
        this.acct.count(VS.nr_io_writes);
        this.acct.count(VS.pgpgout);
      }
    }
    mem.flags[f] = (mem.flags[f] as number) & ~PG_DIRTY;
    inode.dirty.delete(pgoff);
    return true;
  }

  /** filemap_fdatawrite + wait: write back every dirty page of the inode, in file order. */
  writebackInode(inode: Inode): boolean {
    if (inode.dirty.size === 0) return true;
    const pgoffs = [...inode.dirty].sort((a, b) => a - b);
    let ok = true;
    for (const pgoff of pgoffs) {
      const f = inode.pages.get(pgoff);
      kassert(f !== undefined, `dirty page ${pgoff} of ${inode.path} not cached`);
      if (!this.writebackPage(inode, pgoff, f)) ok = false;
    }
    return ok;
  }

  /** fdatasync the host file (after write-back). Returns the errno name on failure. */
  syncHost(inode: Inode, data: boolean): ErrnoName | null {
    if (inode.kind !== 'host') return null;
    try {
      if (data) fs.fdatasyncSync(inode.hostFd);
      else fs.fsyncSync(inode.hostFd);
    } catch (err) {
      const code = (err as { code?: string }).code;
      return code !== undefined && code in ERRNO ? (code as ErrnoName) : 'EIO';
    }
    this.acct.charge(EV.fsync);
    this.acct.count(VS.nr_fsyncs);
    return null;
  }

  /**
   * Drop cached pages at or beyond `fromPgoff` (truncate_inode_pages). Mapped pages must
   * have been unmapped by the caller (unmap_mapping_range) first.
   */
  truncatePages(inode: Inode, fromPgoff: number): void {
    for (const [pgoff, f] of [...inode.pages]) {
      if (pgoff < fromPgoff) continue;
      kassert(this.mem.mapcount[f] === 0, `truncating mapped page ${pgoff} of ${inode.path}`);
      if (this.mem.pin[f] !== 0) continue; // a pinned page stays until unpinned, detached from i_size
      this.mem.flags[f] = (this.mem.flags[f] as number) & ~PG_DIRTY;
      this.removeFromCache(f);
    }
  }

  oom(syscall: string, what: string): KernelError {
    return new KernelError('ENOMEM', syscall, `out of memory: ${what} (RAM ${this.config.ramBytes} bytes, ` +
      `${this.mem.frameCount} frames, ${this.mem.freeCount} free, none reclaimable)`);
  }

  /** Write back every dirty page of every host file and fsync them (sync(2)). */
  syncAll(): void {
    for (const inode of this.inodes) {
      if (inode === null || inode.kind !== 'host') continue;
      this.writebackInode(inode);
      this.syncHost(inode, false);
    }
  }

  /** Close every host fd; dirty pages not written back are lost, as on power failure. */
  closeHostFiles(): void {
    for (const inode of this.inodes) {
      if (inode !== null && inode.kind === 'host' && inode.hostFd >= 0) {
        fs.closeSync(inode.hostFd);
        inode.hostFd = -1;
      }
    }
  }

  checkInvariants(): void {
    const mem = this.mem;
    mem.checkInvariants();
    let cached = 0;
    for (const inode of this.inodes) {
      if (inode === null) continue;
      for (const [pgoff, f] of inode.pages) {
        cached++;
        kassert(((mem.flags[f] as number) & PG_PAGECACHE) !== 0, `cached frame ${f} lacks PG_PAGECACHE`);
        kassert(mem.owner[f] === inode.id && mem.index[f] === pgoff, `frame ${f} owner/index mismatch`);
        kassert(mem.refcount[f] === 1 + (mem.mapcount[f] as number) + (mem.pin[f] as number),
          () => `cache frame ${f}: refcount ${mem.refcount[f]} != 1 + mapcount ${mem.mapcount[f]} + pins ${mem.pin[f]}`);
        kassert(inode.dirty.has(pgoff) === (((mem.flags[f] as number) & PG_DIRTY) !== 0), `dirty set mismatch at frame ${f}`);
      }
      for (const pgoff of inode.dirty) kassert(inode.pages.has(pgoff), `dirty pgoff ${pgoff} not cached`);
    }
    kassert(cached === mem.countWhere(PG_PAGECACHE, PG_PAGECACHE), 'page-cache frames not all owned by an inode');
    for (let f = 0; f < mem.frameCount; f++) {
      if (((mem.flags[f] as number) & PG_ANON) !== 0) {
        kassert(mem.refcount[f] === (mem.mapcount[f] as number) + (mem.pin[f] as number),
          () => `anon frame ${f}: refcount ${mem.refcount[f]} != mapcount ${mem.mapcount[f]} + pins ${mem.pin[f]}`);
      }
    }
  }
}
