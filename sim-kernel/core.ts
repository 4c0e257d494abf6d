/**
 * The machine-wide state every process shares: RAM, the LRU, swap, the inode table,
 * the clock and counters, the fault injector, and the live address spaces.
 *
 * Owns the state; the code that works on it lives beside its Linux counterpart:
 * frame allocation in mem/page-alloc.ts, the swap cache in mem/swapcache.ts, the page
 * cache and write-back in fs/pagecache.ts, the inode table in fs/vfs.ts, and page
 * reclaim in mem/reclaim.ts (plugged in through `reclaimHook` and `writebackHook`).
 * Here: background() (kswapd and pdflush at deterministic points), the OOM report,
 * and checkInvariants().
 * Invariants (checkInvariants; see also fs/vfs.ts Inode, mem/physmem.ts, mem/swap.ts):
 *   1. Both sides of the page cache agree: inode.pages ⇔ frame owner/index, and the
 *      dirty sets ⇔ PG_DIRTY.
 *   2. Refcounts: a cache page has 1 (the cache) + mapcount + pins; an anonymous page
 *      mapcount + pins + (1 if in the swap cache).
 *   3. Every page-cache or anonymous frame is on one LRU list, the unevictable one
 *      exactly when mlocked; other frames are on none.
 *   4. Each swap slot's use count equals the references to it: PTEs, tmpfs pages
 *      swapped to it, and the swap cache.
 */

import * as fs from 'node:fs';

import { Accounting } from './accounting.js';
import { type Arch, type Geometry, geometry, getArch } from './arch.js';
import type { KernelConfig } from './config.js';
import { SWAP_CLUSTER_MAX } from './constants.js';
import { KernelError, kassert } from './errors.js';
import { VolatileDiskCache } from './fs/disk-cache.js';
import { InodeTable } from './fs/vfs.js';
import { FaultInjector } from './inject/io-faults.js';
import {
  LRU_ACTIVE_ANON, LRU_ACTIVE_FILE, LRU_COUNT, LRU_INACTIVE_ANON, LRU_INACTIVE_FILE, LRU_UNEVICTABLE, Lru,
} from './mem/lru.js';
import { PG_ANON, PG_DIRTY, PG_MLOCKED, PG_PAGECACHE, PG_SWAPCACHE, PhysMem } from './mem/physmem.js';
import { SwapDevice } from './mem/swap.js';
import type { Mm } from './mm/mm.js';
import { Prng } from './prng.js';

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
  /** Host and tmpfs inodes; a frame's owner id indexes vfs.inodes. */
  readonly vfs = new InodeTable();
  readonly lru: Lru;
  readonly faults: FaultInjector;
  /** The disk's volatile write cache (fs/disk-cache.ts; recording only when config.volatileDiskCache). */
  readonly disk: VolatileDiskCache;
  /** The swap device, or null when swapBytes is 0. */
  readonly swap: SwapDevice | null;
  /** Live address spaces by id (anonymous pages name theirs in PhysMem.owner). */
  readonly mms = new Map<number, Mm>();
  /** Reclaim (mem/reclaim.ts): free at least `want` frames; returns how many it freed. */
  reclaimHook: ((want: number, direct: boolean) => number) | null = null;
  /** pdflush (mem/reclaim.ts): write back expired dirty pages. */
  writebackHook: (() => void) | null = null;
  /** Set when free memory fell below the low watermark: kswapd runs at the next step. */
  kswapdWanted = false;
  /**
   * Whether the last getPage() that missed had to read from the device (a major fault).
   * A side channel rather than a second return value, so the fault path allocates no
   * result object: set by fs/pagecache.ts getPage, read by mm/fault.ts right after it.
   */
  lastGetPageRead = false;
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
    this.disk = new VolatileDiskCache(config.volatileDiskCache);
    this.swap = config.swapBytes > 0 ? new SwapDevice(config.swapBytes, config.pageSize, config.swapPath) : null;
    this.#nextPdflushNs = config.dirtyWritebackIntervalNs;
  }

  /** True while background() runs: allocations then do not reclaim directly (page-alloc.ts). */
  get inBackground(): boolean {
    return this.#inBackground;
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
          if (this.reclaimHook(SWAP_CLUSTER_MAX, false) === 0) break;
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

  /** Close every host fd; dirty pages not written back are lost, as on power failure. */
  closeHostFiles(): void {
    this.swap?.close();
    for (const inode of this.vfs.inodes) {
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
    for (const inode of this.vfs.inodes) {
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
      for (const inode of this.vfs.inodes) {
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
