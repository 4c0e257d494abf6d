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
  PG_ACTIVE, PG_ANON, PG_DIRTY, PG_MLOCKED, PG_PAGECACHE, PG_REFERENCED, PG_SWAPCACHE, PG_UPTODATE, PhysMem,
} from './mem/physmem.js';
import { FaultInjector } from './inject/io-faults.js';
import {
  LRU_ACTIVE_ANON, LRU_ACTIVE_FILE, LRU_COUNT, LRU_INACTIVE_ANON, LRU_INACTIVE_FILE, LRU_UNEVICTABLE, Lru,
} from './mem/lru.js';
import type { Mm } from './mm/mm.js';
import { Prng } from './prng.js';
import { SwapDevice } from './mem/swap.js';
import { Inode, TMPFS_DEV, TMPFS_PREFIX } from './fs/vfs.js';

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
  readonly lru: Lru;
  readonly faults: FaultInjector;
  /** The swap device, or null when swapBytes is 0. */
  readonly swap: SwapDevice | null;
  /** Live address spaces by id (anonymous pages name theirs in PhysMem.owner). */
  readonly mms = new Map<number, Mm>();
  /** Reclaim (reclaim.ts): free at least `want` frames; returns how many it freed. */
  reclaimHook: ((want: number, direct: boolean) => number) | null = null;
  /** pdflush (reclaim.ts): write back expired dirty pages. */
  writebackHook: (() => void) | null = null;
  /** Set when free memory fell below the low watermark: kswapd runs at the next step. */
  kswapdWanted = false;
  #nextPdflushNs: number;
  #inBackground = false;

  constructor(config: KernelConfig) {
    this.config = config;
    this.arch = getArch(config.arch);
    this.geo = geometry(this.arch, config.pageSize);
    this.pageSize = config.pageSize;
    this.mem = new PhysMem(config.ramBytes, config.pageSize);
    this.acct = new Accounting(config.costs);
    this.prng = new Prng(config.seed);
    this.ptUsed = new Int32Array(this.mem.frameCount);
    this.lru = new Lru(this.mem.frameCount);
    this.faults = new FaultInjector(config.faults, this.prng.fork(0xfa17));
    this.swap = config.swapBytes > 0 ? new SwapDevice(config.swapBytes, config.pageSize, config.swapPath) : null;
    this.#nextPdflushNs = config.dirtyWritebackIntervalNs;
  }

  // ---- frames ----

  /**
   * __alloc_pages: take a free frame. Below the low watermark kswapd is woken; at the
   * min watermark the allocation reclaims directly (try_to_free_pages), and fails (-1,
   * the caller reports OOM) only when reclaim frees nothing. Page-cache and anonymous
   * pages join the LRU (file pages inactive, anonymous active, as lru_cache_add[_active]).
   */
  allocFrame(kind: number, zero: boolean): number {
    const mem = this.mem;
    const cfg = this.config;
    if (mem.freeCount <= cfg.watermarkLowPages) this.kswapdWanted = true;
    if (mem.freeCount <= cfg.watermarkMinPages && this.reclaimHook !== null && !this.#inBackground) {
      this.acct.count(VS.allocstall);
      this.reclaimHook(32, true);
    }
    let f = mem.alloc(kind, zero);
    if (f < 0 && this.reclaimHook !== null) {
      this.reclaimHook(32, true);
      f = mem.alloc(kind, zero);
    }
    if (f < 0) {
      this.acct.count(VS.nr_oom);
      return -1;
    }
    this.acct.count(VS.pgalloc);
    if ((kind & PG_PAGECACHE) !== 0) this.lru.add(f, LRU_INACTIVE_FILE);
    else if ((kind & PG_ANON) !== 0) {
      mem.flags[f] = (mem.flags[f] as number) | PG_ACTIVE;
      this.lru.add(f, LRU_ACTIVE_ANON);
    }
    return f;
  }

  /** A tmpfs page is swap-backed: it belongs on the anonymous lists. */
  moveToAnonLru(f: number): void {
    this.lru.remove(f);
    this.lru.add(f, LRU_INACTIVE_ANON);
  }

  freeFrame(f: number): void {
    this.lru.remove(f);
    this.mem.free(f);
    this.acct.count(VS.pgfree);
  }

  /** A page gains a mapping from a VM_LOCKED VMA: it is mlocked and unevictable. */
  mlockPage(f: number): void {
    const mem = this.mem;
    if ((mem.mlock[f] as number)++ === 0) {
      mem.flags[f] = (mem.flags[f] as number) | PG_MLOCKED;
      this.lru.moveToHead(f, LRU_UNEVICTABLE);
      this.acct.count(VS.nr_mlock_pages);
    }
  }

  /** A mapping from a VM_LOCKED VMA goes; the last one returns the page to its LRU. */
  munlockPage(f: number): void {
    const mem = this.mem;
    kassert((mem.mlock[f] as number) > 0, `munlock of frame ${f} that is not mlocked`);
    if (--(mem.mlock[f] as number) === 0) {
      mem.flags[f] = (mem.flags[f] as number) & ~(PG_MLOCKED | PG_ACTIVE);
      this.lru.moveToHead(f, this.evictableList(f));
      this.acct.count(VS.nr_munlock_pages);
    }
  }

  evictableList(f: number): number {
    const fl = this.mem.flags[f] as number;
    if ((fl & PG_ANON) !== 0) return LRU_INACTIVE_ANON;
    const inode = this.inodes[this.mem.owner[f] as number];
    return inode !== null && inode !== undefined && inode.kind === 'tmpfs' ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;
  }

  /** mark_page_accessed: a second access to an inactive page activates it. */
  markAccessed(f: number): void {
    const mem = this.mem;
    const fl = mem.flags[f] as number;
    const l = this.lru.list[f] as number;
    if ((fl & PG_REFERENCED) !== 0 && (l === LRU_INACTIVE_FILE || l === LRU_INACTIVE_ANON)) {
      mem.flags[f] = (fl & ~PG_REFERENCED) | PG_ACTIVE;
      this.lru.moveToHead(f, l === LRU_INACTIVE_FILE ? LRU_ACTIVE_FILE : LRU_ACTIVE_ANON);
      this.acct.count(VS.pgactivate);
    } else {
      mem.flags[f] = fl | PG_REFERENCED;
    }
  }

  /**
   * Background work at a deterministic point (each system call and fault): kswapd when
   * woken, and pdflush every dirtyWritebackIntervalNs of simulated time.
   */
  background(): void {
    if (this.#inBackground) return;
    this.#inBackground = true;
    try {
      if (this.kswapdWanted && this.reclaimHook !== null) {
        this.kswapdWanted = false;
        let rounds = 0;
        while (this.mem.freeCount < this.config.watermarkHighPages && rounds++ < 64) {
          if (this.reclaimHook(32, false) === 0) break;
        }
      }
      if (this.acct.nowNs >= this.#nextPdflushNs && this.writebackHook !== null) {
        this.#nextPdflushNs = this.acct.nowNs + this.config.dirtyWritebackIntervalNs;
        this.writebackHook();
      }
    } finally {
      this.#inBackground = false;
    }
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
    // tmpfs pages are swap-backed: they age on the anonymous lists.
    if (inode.kind === 'tmpfs' && this.lru.list[f] === LRU_INACTIVE_FILE) this.moveToAnonLru(f);
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
  getPage(inode: Inode, pgoff: number, syscall: string, readaheadPages = 0): number {
    const cached = inode.pages.get(pgoff);
    if (cached !== undefined) return cached;
    const slot = inode.kind === 'tmpfs' ? inode.swapped.get(pgoff) : undefined;
    const f = this.allocFrame(PG_PAGECACHE, inode.kind === 'tmpfs' && slot === undefined);
    if (f < 0) throw this.oom(syscall, `no free frame to cache page ${pgoff} of ${inode.path}`);
    this.lastGetPageRead = false;
    if (inode.kind === 'host') {
      try {
        this.#readHost(inode, pgoff, f);
      } catch (err) {
        this.freeFrame(f);
        throw hostError(err, syscall, `reading page ${pgoff} of ${inode.path}`);
      }
      this.lastGetPageRead = true;
    } else {
      if (slot !== undefined) {
        // shmem_getpage: the page comes back from swap and its slot is freed.
        const err = this.swapReadInto(slot, f);
        if (err !== null) {
          this.freeFrame(f);
          throw new KernelError(err, syscall, `reading page ${pgoff} of ${inode.path} back from swap slot ${slot}`);
        }
        inode.swapped.delete(pgoff);
        (this.swap as SwapDevice).put(slot);
        this.lastGetPageRead = true;
        this.mem.flags[f] = (this.mem.flags[f] as number) | PG_DIRTY; // no copy on disk any more
      }
    }
    this.mem.flags[f] = (this.mem.flags[f] as number) | PG_UPTODATE;
    this.addToCache(inode, pgoff, f);
    if (slot !== undefined) inode.dirty.add(pgoff);
    if (readaheadPages > 0 && inode.kind === 'host') this.#readahead(inode, pgoff + 1, readaheadPages);
    return f;
  }

  /**
   * Read ahead up to `n` pages after a miss (page_cache_readahead): pages already cached
   * stop nothing, pages past EOF stop the window, and it is skipped when memory is low.
   * The device time is charged once for the window (one larger request), plus a copy per page.
   */
  #readahead(inode: Inode, from: number, n: number): void {
    const eofPages = Math.ceil(inode.size / this.pageSize);
    let read = 0;
    for (let p = from; p < from + n && p < eofPages; p++) {
      if (inode.pages.has(p)) continue;
      if (this.mem.freeCount <= this.config.watermarkLowPages) break;
      const f = this.allocFrame(PG_PAGECACHE, false);
      if (f < 0) break;
      try {
        this.#readHost(inode, p, f, true);
      } catch {
        this.freeFrame(f);
        break;
      }
      this.mem.flags[f] = (this.mem.flags[f] as number) | PG_UPTODATE;
      this.addToCache(inode, p, f);
      read++;
    }
    if (read > 0) this.acct.count(VS.pgreadahead, read);
  }

  /** Read a swap slot into frame f (real I/O, with injected faults); returns an errno or null. */
  swapReadInto(slot: number, f: number): ErrnoName | null {
    const swap = this.swap;
    kassert(swap !== null, 'swap-in without a swap device');
    if (this.faults.decide('swapRead', this.pageSize) !== 'ok') return 'EIO';
    try {
      swap.readSlot(slot, this.mem.bytes, f * this.pageSize);
    } catch {
      return 'EIO';
    }
    this.acct.charge(EV.swapIn);
    this.acct.count(VS.pswpin);
    return null;
  }

  /** Write frame f to a swap slot (real I/O, with injected faults); returns an errno or null. */
  swapWriteFrom(slot: number, f: number): ErrnoName | null {
    const swap = this.swap;
    kassert(swap !== null, 'swap-out without a swap device');
    const outcome = this.faults.decide('swapWrite', this.pageSize);
    if (outcome === 'EIO' || outcome === 'ENOSPC' || outcome === 'torn') return 'EIO';
    try {
      swap.writeSlot(slot, this.mem.bytes, f * this.pageSize);
    } catch {
      return 'EIO';
    }
    this.acct.charge(EV.swapOut);
    this.acct.count(VS.pswpout);
    return null;
  }

  // ---- the swap cache (anonymous pages) ----

  /** add_to_swap_cache: the page takes a reference on the slot and the slot on the page. */
  addToSwapCache(f: number, slot: number): void {
    const swap = this.swap as SwapDevice;
    kassert(swap.cache[slot] === -1 && this.mem.swapSlot[f] === -1, `frame ${f} / slot ${slot} already in the swap cache`);
    swap.cache[slot] = f;
    this.mem.swapSlot[f] = slot;
    this.mem.flags[f] = (this.mem.flags[f] as number) | PG_SWAPCACHE;
    (this.mem.refcount[f] as number)++;
  }

  /** delete_from_swap_cache: drop both references; frees the frame if nothing else holds it. */
  deleteFromSwapCache(f: number): void {
    const swap = this.swap as SwapDevice;
    const slot = this.mem.swapSlot[f] as number;
    kassert(slot > 0 && swap.cache[slot] === f, `frame ${f} is not in the swap cache`);
    swap.cache[slot] = -1;
    this.mem.swapSlot[f] = -1;
    this.mem.flags[f] = (this.mem.flags[f] as number) & ~PG_SWAPCACHE;
    swap.put(slot);
    (this.mem.refcount[f] as number)--;
    if (this.mem.refcount[f] === 0) this.freeFrame(f);
  }

  /** free_swap_and_cache: a PTE's reference to a slot goes; an unused swap-cache page goes too. */
  freeSwapAndCache(slot: number): void {
    const swap = this.swap as SwapDevice;
    swap.put(slot);
    const f = swap.cache[slot] as number;
    if (f >= 0 && swap.useCount[slot] === 1 && this.mem.mapcount[f] === 0 && this.mem.pin[f] === 0) {
      this.deleteFromSwapCache(f);
    }
  }

  /** Whether the last getPage() that missed had to read from the device (a major fault). */
  lastGetPageRead = false;

  #readHost(inode: Inode, pgoff: number, f: number, ahead = false): void {
    if (this.faults.decide('read', this.pageSize) !== 'ok') {
      throw Object.assign(new Error(`injected EIO reading page ${pgoff}`), { code: 'EIO' });
    }
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
    if (ahead) this.acct.charge(EV.pageCopy);
    else this.acct.charge(EV.ioRead);
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
          inode.recordWritebackError('EIO');
          return false;
        }
        const outcome = this.faults.decide('write', len);
        if (outcome === 'EIO' || outcome === 'ENOSPC') {
          inode.recordWritebackError(outcome);
          return false;
        }
        try {
          if (outcome === 'torn') {
            // The device stored only a prefix of the page, then failed.
            fs.writeSync(inode.hostFd, mem.bytes, f * ps, this.faults.tornLength(len), pos);
            inode.recordWritebackError('EIO');
            return false;
          }
          let done = 0;
          if (outcome === 'short') done += fs.writeSync(inode.hostFd, mem.bytes, f * ps, len >>> 1, pos);
          while (done < len) done += fs.writeSync(inode.hostFd, mem.bytes, f * ps + done, len - done, pos + done);
        } catch (err) {
          const code = (err as { code?: string }).code;
          inode.recordWritebackError(code === 'ENOSPC' || code === 'EDQUOT' ? 'ENOSPC' : 'EIO');
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
    if (this.faults.decide('fsync', 0) !== 'ok') return 'EIO';
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
    for (const [pgoff, slot] of [...inode.swapped]) {
      if (pgoff < fromPgoff) continue;
      inode.swapped.delete(pgoff);
      (this.swap as SwapDevice).put(slot);
    }
    for (const [pgoff, f] of [...inode.pages]) {
      if (pgoff < fromPgoff) continue;
      kassert(this.mem.mapcount[f] === 0, `truncating mapped page ${pgoff} of ${inode.path}`);
      if (this.mem.pin[f] !== 0) continue; // a pinned page stays until unpinned, detached from i_size
      this.mem.flags[f] = (this.mem.flags[f] as number) & ~PG_DIRTY;
      this.removeFromCache(f);
    }
  }

  /** The OOM error: says what is exhausted (RAM, swap, or pages that cannot move). */
  oom(syscall: string, what: string): KernelError {
    const mem = this.mem;
    const lru = this.lru;
    const swapText = this.swap === null ? 'no swap device (swapBytes 0)'
      : `swap ${this.swap.totalSlots - this.swap.freeCount}/${this.swap.totalSlots} slots used`;
    let pinned = 0;
    let mlocked = 0;
    for (let f = 0; f < mem.frameCount; f++) {
      if ((mem.pin[f] as number) > 0) pinned++;
      if ((mem.mlock[f] as number) > 0) mlocked++;
    }
    const anon = (lru.count[LRU_ACTIVE_ANON] as number) + (lru.count[LRU_INACTIVE_ANON] as number);
    const file = (lru.count[LRU_ACTIVE_FILE] as number) + (lru.count[LRU_INACTIVE_FILE] as number);
    return new KernelError('ENOMEM', syscall, `out of memory: ${what}: all ${mem.frameCount} frames ` +
      `(${this.config.ramBytes} bytes of RAM) in use and reclaim freed none — ${mlocked} mlocked, ${pinned} pinned, ` +
      `${anon} anonymous/tmpfs (${swapText}), ${file} file pages, ${mem.frameCount - mem.freeCount - anon - file} kernel`,
    { details: { frames: mem.frameCount, free: mem.freeCount, mlocked, pinned, anon, file,
      swapFree: this.swap?.freeCount ?? 0 } });
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
    this.swap?.close();
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
    this.lru.checkInvariants();
    const swap = this.swap;
    const slotRefs = swap !== null ? new Uint32Array(swap.slotCount) : null;
    for (let f = 0; f < mem.frameCount; f++) {
      const fl = mem.flags[f] as number;
      if ((fl & PG_ANON) !== 0) {
        const inCache = (fl & PG_SWAPCACHE) !== 0 ? 1 : 0;
        kassert(mem.refcount[f] === (mem.mapcount[f] as number) + (mem.pin[f] as number) + inCache,
          () => `anon frame ${f}: refcount ${mem.refcount[f]} != mapcount ${mem.mapcount[f]} + pins ${mem.pin[f]} + swapcache ${inCache}`);
      }
      if ((fl & (PG_ANON | PG_PAGECACHE)) !== 0) {
        const l = this.lru.list[f] as number;
        kassert(l >= 0 && l < LRU_COUNT, `page frame ${f} is on no LRU list`);
        kassert(((mem.mlock[f] as number) > 0) === (l === LRU_UNEVICTABLE), () =>
          `frame ${f}: mlock count ${mem.mlock[f]} but on LRU list ${l}`);
        kassert(((fl & PG_MLOCKED) !== 0) === ((mem.mlock[f] as number) > 0), `frame ${f}: PG_MLOCKED disagrees with its count`);
      } else {
        kassert(this.lru.list[f] === -1, `frame ${f} (flags 0x${fl.toString(16)}) is on an LRU list`);
      }
      if ((fl & PG_SWAPCACHE) !== 0 && slotRefs !== null && swap !== null) {
        const slot = mem.swapSlot[f] as number;
        kassert(swap.cache[slot] === f, `frame ${f} claims swap slot ${slot}`);
        (slotRefs[slot] as number)++;
      }
    }
    if (swap !== null && slotRefs !== null) {
      for (const inode of this.inodes) {
        if (inode === null) continue;
        for (const [pgoff, slot] of inode.swapped) {
          kassert(!inode.pages.has(pgoff), `tmpfs page ${pgoff} of ${inode.path} both in RAM and in swap`);
          (slotRefs[slot] as number)++;
        }
      }
      for (const mm of this.mms.values()) mm.countSwapRefs(slotRefs);
      let free = 0;
      for (let s = 1; s < swap.slotCount; s++) {
        kassert(swap.useCount[s] === slotRefs[s], () => `swap slot ${s}: use count ${swap.useCount[s]}, references ${slotRefs[s]}`);
        if (swap.useCount[s] === 0) free++;
      }
      kassert(free === swap.freeCount, `swap free count ${swap.freeCount} != ${free}`);
    }
  }
}
