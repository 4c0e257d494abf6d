/**
 * The page cache and write-back (mm/filemap.c, mm/readahead.c, mm/truncate.c,
 * mm/page-writeback.c, mm/shmem.c's swap-in of tmpfs pages).
 *
 * Owns no state of its own: a file's cached pages live in its Inode (pages, dirty,
 * swapped; vfs.ts), the frames in PhysMem. These functions insert and remove pages,
 * read missing ones (real I/O for host files), and write dirty ones back (real I/O).
 * Invariants it keeps (vfs.ts Inode 1–3; checked by Core.checkInvariants):
 *   1. inode.pages ⇔ frame owner/index: a cached frame has PG_PAGECACHE, owner = the
 *      inode's id, index = its pgoff.
 *   2. refcount of a cache page = 1 (the cache) + mapcount + pins.
 *   3. inode.dirty holds exactly the cached pgoffs whose frame has PG_DIRTY.
 * Transitions: getPage (find_get_page or read in: absent → cached, clean);
 *   markDirty (set_page_dirty: clean → dirty); writebackPage (dirty → clean, or stays
 *   dirty with the error recorded); removeFromCache / truncatePages / invalidatePages
 *   (cached → free).
 */

import * as fs from 'node:fs';

import { EV, VS } from '../accounting.js';
import type { Core } from '../core.js';
import { type ErrnoName, ERRNO, KernelError, hostError, kassert } from '../errors.js';
import { LRU_INACTIVE_FILE } from '../mem/lru.js';
import { allocFrame, freeFrame, moveToAnonLru } from '../mem/page-alloc.js';
import { PG_DIRTY, PG_PAGECACHE, PG_UPTODATE } from '../mem/physmem.js';
import type { SwapDevice } from '../mem/swap.js';
import { swapReadInto } from '../mem/swapcache.js';
import type { Inode } from './vfs.js';

export function findPage(inode: Inode, pgoff: number): number {
  const f = inode.pages.get(pgoff);
  return f === undefined ? -1 : f;
}

export function addToCache(core: Core, inode: Inode, pgoff: number, f: number): void {
  kassert(!inode.pages.has(pgoff), () => `page ${pgoff} of ${inode.path} already cached`);
  const mem = core.mem;
  mem.owner[f] = inode.id;
  mem.index[f] = pgoff;
  inode.pages.set(pgoff, f);
  // tmpfs pages are swap-backed: they age on the anonymous lists.
  if (inode.kind === 'tmpfs' && core.lru.list[f] === LRU_INACTIVE_FILE) moveToAnonLru(core, f);
}

export function removeFromCache(core: Core, f: number): void {
  const mem = core.mem;
  const inode = core.vfs.inodes[mem.owner[f] as number];
  kassert(inode !== undefined && inode !== null, `frame ${f} not in any inode's cache`);
  const pgoff = mem.index[f] as number;
  kassert(inode.pages.get(pgoff) === f, `frame ${f} is not page ${pgoff} of ${inode.path}`);
  kassert(mem.mapcount[f] === 0 && mem.pin[f] === 0, `removing mapped/pinned frame ${f} from the cache`);
  inode.pages.delete(pgoff);
  inode.dirty.delete(pgoff);
  kassert(mem.refcount[f] === 1, `frame ${f} leaves the cache with refcount ${mem.refcount[f]}`);
  freeFrame(core, f);
}

/**
 * find_get_page or read it in: the frame caching page `pgoff` of `inode`. Host pages
 * not cached are read with real I/O; tmpfs holes get a zeroed page, tmpfs pages in swap
 * come back from it. Throws ENOMEM (no frame) or the host's I/O error.
 * Returns the frame. A miss also sets core.lastGetPageRead to whether the page had to
 * be read from a device (host file or swap): the fault path counts a major fault by it.
 * A hit leaves lastGetPageRead as it was.
 */
export function getPage(core: Core, inode: Inode, pgoff: number, syscall: string, readaheadPages = 0): number {
  const cached = inode.pages.get(pgoff);
  if (cached !== undefined) return cached;
  const slot = inode.kind === 'tmpfs' ? inode.swapped.get(pgoff) : undefined;
  const f = allocFrame(core, PG_PAGECACHE, inode.kind === 'tmpfs' && slot === undefined);
  if (f < 0) throw core.oom(syscall, `no free frame to cache page ${pgoff} of ${inode.path}`);
  core.lastGetPageRead = false;
  if (inode.kind === 'host') {
    try {
      readHost(core, inode, pgoff, f);
    } catch (err) {
      freeFrame(core, f);
      throw hostError(err, syscall, `reading page ${pgoff} of ${inode.path}`);
    }
    core.lastGetPageRead = true;
  } else {
    if (slot !== undefined) {
      // shmem_getpage: the page comes back from swap and its slot is freed.
      const err = swapReadInto(core, slot, f);
      if (err !== null) {
        freeFrame(core, f);
        throw new KernelError(err, syscall, `reading page ${pgoff} of ${inode.path} back from swap slot ${slot}`);
      }
      inode.swapped.delete(pgoff);
      (core.swap as SwapDevice).put(slot);
      core.lastGetPageRead = true;
      core.mem.flags[f] = (core.mem.flags[f] as number) | PG_DIRTY; // no copy on disk any more
    }
  }
  core.mem.flags[f] = (core.mem.flags[f] as number) | PG_UPTODATE;
  addToCache(core, inode, pgoff, f);
  if (slot !== undefined) inode.dirty.add(pgoff);
  if (readaheadPages > 0 && inode.kind === 'host') readahead(core, inode, pgoff + 1, readaheadPages);
  return f;
}

/**
 * Read ahead up to `n` pages after a miss (page_cache_readahead): pages already cached
 * stop nothing, pages past EOF stop the window, and it is skipped when memory is low.
 * The device time is charged once for the window (one larger request), plus a copy per page.
 */
function readahead(core: Core, inode: Inode, from: number, n: number): void {
  const eofPages = Math.ceil(inode.size / core.pageSize);
  let read = 0;
  for (let p = from; p < from + n && p < eofPages; p++) {
    if (inode.pages.has(p)) continue;
    if (core.mem.freeCount <= core.config.watermarkLowPages) break;
    const f = allocFrame(core, PG_PAGECACHE, false);
    if (f < 0) break;
    try {
      readHost(core, inode, p, f, true);
    } catch {
      freeFrame(core, f);
      break;
    }
    core.mem.flags[f] = (core.mem.flags[f] as number) | PG_UPTODATE;
    addToCache(core, inode, p, f);
    read++;
  }
  if (read > 0) core.acct.count(VS.pgreadahead, read);
}

function readHost(core: Core, inode: Inode, pgoff: number, f: number, ahead = false): void {
  const ps = core.pageSize;
  if (pgoff * ps >= inode.hostDataEnd) {
    // A hole (Inode.hostDataEnd): zeroed without I/O, so no device error can strike it and
    // no pgpgin is counted; the zeroing is charged as one in-kernel page copy.
    core.mem.bytes.fill(0, f * ps, f * ps + ps);
    core.acct.charge(EV.pageCopy);
    core.acct.count(VS.nr_hole_reads);
    return;
  }
  if (core.faults.decide('read', core.pageSize) !== 'ok') {
    throw Object.assign(new Error(`injected EIO reading page ${pgoff}`), { code: 'EIO' });
  }
  const base = f * ps;
  const pos = pgoff * ps;
  let got = 0;
  if (pos < inode.size) {
    const want = Math.min(ps, inode.size - pos);
    while (got < want) {
      const n = fs.readSync(inode.hostFd, core.mem.bytes, base + got, want - got, pos + got);
      if (n === 0) break;
      got += n;
    }
  }
  core.mem.bytes.fill(0, base + got, base + ps);
  if (ahead) core.acct.charge(EV.pageCopy);
  else core.acct.charge(EV.ioRead);
  core.acct.count(VS.nr_io_reads);
  core.acct.count(VS.pgpgin);
}

export function markDirty(core: Core, f: number): void {
  const mem = core.mem;
  const fl = mem.flags[f] as number;
  if ((fl & PG_DIRTY) !== 0) return;
  mem.flags[f] = fl | PG_DIRTY;
  mem.dirtiedAtNs[f] = core.acct.nowNs;
  if ((fl & PG_PAGECACHE) !== 0) {
    const inode = core.vfs.inodes[mem.owner[f] as number];
    kassert(inode !== undefined && inode !== null, `dirty cache frame ${f} without inode`);
    inode.dirty.add(mem.index[f] as number);
  }
}

/**
 * Write one dirty page back (real I/O for host files; tmpfs pages stay in RAM and are
 * only cleaned). Returns false and records the error on the inode if the write failed;
 * the page stays dirty (as Linux 2.6 keeps it, with AS_EIO set on the mapping).
 * `submitOnly`: the caller does not wait for the device (sync_file_range without
 * WAIT_AFTER): charged the submission (ioSubmit), not the device time (ioWrite).
 * With the volatile disk cache on, the write is recorded as unsynced (disk-cache.ts).
 */
export function writebackPage(core: Core, inode: Inode, pgoff: number, f: number, submitOnly = false): boolean {
  const mem = core.mem;
  if (inode.kind === 'host') {
    const ps = core.pageSize;
    const pos = pgoff * ps;
    const len = Math.min(ps, inode.size - pos);
    if (len > 0) {
      if (!inode.hostWritable) {
        inode.recordWritebackError('EIO');
        return false;
      }
      const outcome = core.faults.decide('write', len);
      if (outcome === 'EIO' || outcome === 'ENOSPC') {
        inode.recordWritebackError(outcome);
        return false;
      }
      const rec = core.disk.beforeWrite(inode, pos, len);
      // Before the write: even a torn or failed one may have put data there.
      inode.hostDataEnd = Math.max(inode.hostDataEnd, pos + len);
      let done = 0;
      try {
        if (outcome === 'torn') {
          // The device stored only a prefix of the page, then failed.
          done = fs.writeSync(inode.hostFd, mem.bytes, f * ps, core.faults.tornLength(len), pos);
          inode.recordWritebackError('EIO');
          return false;
        }
        if (outcome === 'short') done += fs.writeSync(inode.hostFd, mem.bytes, f * ps, len >>> 1, pos);
        while (done < len) done += fs.writeSync(inode.hostFd, mem.bytes, f * ps + done, len - done, pos + done);
      } catch (err) {
        const code = (err as { code?: string }).code;
        inode.recordWritebackError(code === 'ENOSPC' || code === 'EDQUOT' ? 'ENOSPC' : 'EIO');
        return false;
      } finally {
        core.disk.afterWrite(rec, mem.bytes, f * ps, done);
      }
      core.acct.charge(submitOnly ? EV.ioSubmit : EV.ioWrite);
      core.acct.count(VS.nr_io_writes);
      core.acct.count(VS.pgpgout);
    }
  }
  mem.flags[f] = (mem.flags[f] as number) & ~PG_DIRTY;
  inode.dirty.delete(pgoff);
  return true;
}

/** filemap_fdatawrite + wait: write back every dirty page of the inode, in file order. */
export function writebackInode(core: Core, inode: Inode): boolean {
  if (inode.dirty.size === 0) return true;
  const pgoffs = [...inode.dirty].sort((a, b) => a - b);
  let ok = true;
  for (let i = 0; i < pgoffs.length;) {
    const run = runLength(core, inode, pgoffs, i);
    if (run > 1 && writeRun(core, inode, pgoffs, i, run)) {
      i += run;
      continue;
    }
    const pgoff = pgoffs[i++] as number;
    const f = inode.pages.get(pgoff);
    kassert(f !== undefined, `dirty page ${pgoff} of ${inode.path} not cached`);
    if (!writebackPage(core, inode, pgoff, f)) ok = false;
  }
  return ok;
}

/** Pages a run of contiguous dirty pages may hold: 1 MiB of 4 KiB pages, as a large bio. */
const MAX_RUN_PAGES = 256;

/**
 * How many of pgoffs[i..] form a run writeRun may write at once: consecutive page
 * offsets, all inside the file, of a writable host file with no I/O faults injected and
 * no volatile disk cache (those keep their per-page path: each page's write is its own
 * fault decision and its own pending record).
 */
function runLength(core: Core, inode: Inode, pgoffs: readonly number[], i: number): number {
  if (inode.kind !== 'host' || !inode.hostWritable || core.faults.active || core.disk.enabled) return 1;
  const ps = core.pageSize;
  let n = 1;
  while (i + n < pgoffs.length && n < MAX_RUN_PAGES && pgoffs[i + n] === (pgoffs[i + n - 1] as number) + 1 &&
    (pgoffs[i + n] as number) * ps < inode.size) n++;
  return (pgoffs[i] as number) * ps < inode.size ? n : 1;
}

/**
 * Write back `n` contiguous dirty pages from pgoffs[i] in one host write (writev of the
 * frames), as mpage_writepages merges contiguous pages into one bio: the device is still
 * charged per page (ioWrite each), the host sees one system call instead of n. Returns
 * false, with nothing cleaned, if the host refused or wrote short: the caller then writes
 * each page on its own, which records the error as writebackPage does.
 */
function writeRun(core: Core, inode: Inode, pgoffs: readonly number[], i: number, n: number): boolean {
  const ps = core.pageSize;
  const mem = core.mem;
  const pos = (pgoffs[i] as number) * ps;
  const views: Uint8Array[] = [];
  let total = 0;
  for (let k = i; k < i + n; k++) {
    const pgoff = pgoffs[k] as number;
    const f = inode.pages.get(pgoff);
    kassert(f !== undefined, `dirty page ${pgoff} of ${inode.path} not cached`);
    const len = Math.min(ps, inode.size - pgoff * ps);
    views.push(mem.bytes.subarray(f * ps, f * ps + len));
    total += len;
  }
  inode.hostDataEnd = Math.max(inode.hostDataEnd, pos + total);
  try {
    if (fs.writevSync(inode.hostFd, views, pos) !== total) return false;
  } catch {
    return false;
  }
  for (let k = i; k < i + n; k++) {
    const pgoff = pgoffs[k] as number;
    const f = inode.pages.get(pgoff) as number;
    core.faults.decide('write', Math.min(ps, inode.size - pgoff * ps)); // counted as the per-page path counts
    core.acct.charge(EV.ioWrite);
    core.acct.count(VS.nr_io_writes);
    core.acct.count(VS.pgpgout);
    mem.flags[f] = (mem.flags[f] as number) & ~PG_DIRTY;
    inode.dirty.delete(pgoff);
  }
  return true;
}

/** fdatasync the host file (after write-back). Returns the errno name on failure. */
export function syncHost(core: Core, inode: Inode, data: boolean): ErrnoName | null {
  if (inode.kind !== 'host') return null;
  if (core.faults.decide('fsync', 0) !== 'ok') return 'EIO';
  try {
    if (data) fs.fdatasyncSync(inode.hostFd);
    else fs.fsyncSync(inode.hostFd);
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code !== undefined && code in ERRNO ? (code as ErrnoName) : 'EIO';
  }
  core.disk.synced(inode);
  core.acct.charge(EV.fsync);
  core.acct.count(VS.nr_fsyncs);
  return null;
}

/**
 * Drop cached pages at or beyond `fromPgoff` (truncate_inode_pages). Mapped pages must
 * have been unmapped by the caller (unmap_mapping_range) first.
 */
export function truncatePages(core: Core, inode: Inode, fromPgoff: number): void {
  for (const [pgoff, slot] of [...inode.swapped]) {
    if (pgoff < fromPgoff) continue;
    inode.swapped.delete(pgoff);
    (core.swap as SwapDevice).put(slot);
  }
  for (const [pgoff, f] of [...inode.pages]) {
    if (pgoff < fromPgoff) continue;
    kassert(core.mem.mapcount[f] === 0, `truncating mapped page ${pgoff} of ${inode.path}`);
    if (core.mem.pin[f] !== 0) continue; // a pinned page stays until unpinned, detached from i_size
    core.mem.flags[f] = (core.mem.flags[f] as number) & ~PG_DIRTY;
    removeFromCache(core, f);
  }
}

/**
 * posix_fadvise(POSIX_FADV_DONTNEED) of pages [from, to) (mm/fadvise.c →
 * invalidate_mapping_pages): drop the cached pages that are clean and that nothing maps,
 * pins or locks. Dirty pages stay (Linux starts their write-back first and drops only
 * what is clean by then; here they stay until written). Returns the pages dropped.
 */
export function invalidatePages(core: Core, inode: Inode, from: number, to: number): number {
  const mem = core.mem;
  let dropped = 0;
  for (let pgoff = from; pgoff < to; pgoff++) {
    const f = inode.pages.get(pgoff);
    if (f === undefined) continue;
    if (((mem.flags[f] as number) & PG_DIRTY) !== 0 || mem.mapcount[f] !== 0 || mem.pin[f] !== 0 || mem.mlock[f] !== 0) continue;
    removeFromCache(core, f);
    core.acct.charge(EV.reclaimPage);
    dropped++;
  }
  return dropped;
}

/** Drop an inode nobody references any more (unlinked tmpfs file, all closed and unmapped). */
export function maybeReleaseInode(core: Core, inode: Inode): void {
  if (inode.kind !== 'tmpfs' || inode.nlink > 0 || inode.openCount > 0 || inode.mappingCount > 0) return;
  truncatePages(core, inode, 0);
  core.vfs.inodes[inode.id] = null;
}

/** Write back every dirty page of every host file and fsync them (sync(2)). */
export function syncAll(core: Core): void {
  for (const inode of core.vfs.inodes) {
    if (inode === null || inode.kind !== 'host') continue;
    writebackInode(core, inode);
    syncHost(core, inode, false);
  }
}
