/**
 * The memory-mapping system calls: mmap, munmap, msync; and the file-size paths that
 * must reach into mappings (truncate) or the page cache (write, sync). remap_file_pages
 * lives in fremap.ts and maps through mmapRegion here; mprotect in mprotect.ts, which
 * shares fixupFlags (here) with mlock and madvise.
 *
 * Each function follows its Linux function's order of checks so the errno is the one
 * Linux gives (mm/mmap.c do_mmap_pgoff / do_munmap, mm/mprotect.c sys_mprotect,
 * mm/msync.c 2.6.11). refs/linux-nonlinear.md §1 and §3 list the cases.
 * Owns no state: it changes an Mm's VMAs and PTEs through the Mm's primitives, which
 * keep the Mm invariants (mm/mm.ts).
 */

import * as fs from 'node:fs';

import { EV } from '../accounting.js';
import { PTE_DIRTY, PTE_PRESENT, PTE_PROTNONE, pfnOf } from '../arch.js';
import {
  MAP_ANONYMOUS, MAP_FIXED, MAP_LOCKED, MAP_NONBLOCK, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, MAP_TYPE,
  MS_ASYNC, MS_INVALIDATE, MS_SYNC, PROT_EXEC, PROT_READ, PROT_WRITE, VM_LOCKED, VM_MAYSHARE,
  VM_MAYWRITE, VM_NONUNIFORM, VM_READ, VM_SHARED, VM_WRITE, VM_EXEC,
} from '../constants.js';
import type { Core } from '../core.js';
import { KernelError, hostError } from '../errors.js';
import {
  addToCache, findPage, getPage, markDirty, maybeReleaseInode, syncHost, truncatePages, writebackInode,
} from '../fs/pagecache.js';
import type { Inode, OpenFile } from '../fs/vfs.js';
import { allocFrame } from '../mem/page-alloc.js';
import { PG_PAGECACHE } from '../mem/physmem.js';
import { faultInForce, populate } from '../mm/fault.js';
import type { Mm } from '../mm/mm.js';
import { getUnmappedArea, noteUnmapped } from '../mm/unmapped-area.js';
import { Vma, VM_MAY_ALL, protToVmFlags } from '../mm/vma.js';
import type { Process } from '../process.js';
import { canDoMlock, checkMapLocked } from './mlock.js';

export interface MapSource {
  inode: Inode;
  canRead: boolean;
  canWrite: boolean;
  /** The open file mapped through (null for the 4.0 emulation's re-mmap, which reuses the VMA's). */
  file: OpenFile | null;
}

export function einval(syscall: string, msg: string): KernelError {
  return new KernelError('EINVAL', syscall, msg);
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

// ------------------------------------------------------------------ mmap

export function doMmap(proc: Process, addr: number, length: number, prot: number, flags: number, fd: number, offset: number): number {
  const ps = proc.pageSize;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % ps !== 0) {
    throw einval('mmap', `offset ${offset} is not a multiple of the page size ${ps}`);
  }
  let src: MapSource | null = null;
  if ((flags & MAP_ANONYMOUS) === 0) {
    const f = proc.file(fd, 'mmap');
    src = { inode: f.inode, canRead: f.canRead, canWrite: f.canWrite, file: f };
  }
  return mmapRegion(proc, addr, length, prot, flags, src, offset / ps, 'mmap');
}

/** do_mmap_pgoff: map [addr, addr + length) of src at page pgoff (or anonymous memory). */
export function mmapRegion(proc: Process, addr: number, length: number, prot: number, flags: number,
  src: MapSource | null, pgoff: number, syscall: string): number {
  const mm = proc.mm;
  const core = proc.core;
  const ps = proc.pageSize;
  if (!Number.isSafeInteger(length) || length === 0) throw einval(syscall, `length ${length} must be a positive integer`);
  if (length < 0 || length > mm.taskSize) {
    throw new KernelError('ENOMEM', syscall, `length ${length} exceeds the user address space (${mm.taskSize} bytes)`);
  }
  const len = Math.ceil(length / ps) * ps;
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE) {
    throw einval(syscall, `flags ${hex(flags)} must include exactly one of MAP_SHARED or MAP_PRIVATE`);
  }
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) throw einval(syscall, `prot ${hex(prot)} has unknown bits`);
  if (mm.mapCount > core.config.maxMapCount) {
    throw new KernelError('ENOMEM', syscall, `map_count ${mm.mapCount} exceeds max_map_count ${core.config.maxMapCount}; ` +
      'raise maxMapCount (vm.max_map_count) or map fewer regions', { details: { mapCount: mm.mapCount, maxMapCount: core.config.maxMapCount } });
  }
  let start: number;
  if ((flags & MAP_FIXED) !== 0) {
    // get_unmapped_area checks the range against TASK_SIZE before the alignment.
    if (!Number.isSafeInteger(addr) || addr < 0 || addr > mm.taskSize - len) {
      throw new KernelError('ENOMEM', syscall, `[${hex(addr)}, ${hex(addr + len)}) is outside user space (TASK_SIZE ${hex(mm.taskSize)})`);
    }
    if (addr % ps !== 0) throw einval(syscall, `MAP_FIXED address ${addr} is not page-aligned`);
    start = addr;
  } else {
    start = getUnmappedArea(mm, Number.isSafeInteger(addr) && addr > 0 ? addr : 0, len);
    if (start < 0) throw new KernelError('ENOMEM', syscall, `no free range of ${len} bytes in the address space`);
  }
  let vmFlags = protToVmFlags(prot) | VM_MAY_ALL | mm.defFlags;
  if ((flags & MAP_LOCKED) !== 0) {
    if (!canDoMlock(mm)) throw new KernelError('EPERM', syscall, 'MAP_LOCKED: RLIMIT_MEMLOCK is 0 and the process lacks CAP_IPC_LOCK');
    vmFlags |= VM_LOCKED;
  }
  if ((vmFlags & VM_LOCKED) !== 0) checkMapLocked(mm, len / ps, syscall);
  let inode: Inode | null = null;
  if (src !== null) {
    if (type === MAP_SHARED) {
      if ((prot & PROT_WRITE) !== 0 && !src.canWrite) {
        throw new KernelError('EACCES', syscall, 'MAP_SHARED with PROT_WRITE needs a file opened for writing (O_RDWR)');
      }
      vmFlags |= VM_SHARED | VM_MAYSHARE;
      if (!src.canWrite) vmFlags &= ~(VM_MAYWRITE | VM_SHARED);
    }
    if (!src.canRead) throw new KernelError('EACCES', syscall, 'the file is not open for reading');
    inode = src.inode;
  } else if (type === MAP_SHARED) {
    // Shared anonymous memory is a shmem file nobody can name ("/dev/zero (deleted)").
    vmFlags |= VM_SHARED | VM_MAYSHARE;
    inode = core.vfs.createTmpfsInode('/dev/zero');
    core.vfs.tmpfs.delete('/dev/zero');
    inode.nlink = 0;
    inode.size = len;
    pgoff = 0;
  } else {
    pgoff = start / ps;
  }
  // Anything already mapped there goes first (MAP_FIXED, or a hint that overlapped).
  const over = mm.findVma(start);
  if (over !== null && over.start < start + len) doMunmap(mm, start, len, syscall);
  const prev = mm.tree.findVmaPrev(start).prev;
  let v = mm.vmaMerge(prev, start, start + len, vmFlags, inode, pgoff);
  if (v === null) {
    v = new Vma(start, start + len, vmFlags, pgoff, inode);
    v.mm = mm;
    mm.insertVma(v);
  }
  if (v.file === null && src !== null) v.file = src.file;
  mm.totalVm += len / ps;
  if ((vmFlags & VM_LOCKED) !== 0) {
    mm.lockedVm += len / ps;
    makePagesPresent(proc, start, start + len);
  } else if ((flags & MAP_POPULATE) !== 0 && (flags & MAP_NONBLOCK) === 0) {
    populateRange(proc, v, start, start + len, flags);
  } else if ((flags & MAP_POPULATE) !== 0 && core.config.personality === 'linux-2.6' && inode !== null && (vmFlags & VM_SHARED) !== 0) {
    populateRange(proc, v, start, start + len, flags);
  }
  return start;
}

/**
 * MAP_POPULATE: on 2.6 a shared file mapping is populated as remap_file_pages does
 * (install_page, or file PTEs with MAP_NONBLOCK); otherwise pages are faulted in.
 * Errors are ignored, as mmap ignores them; pages past EOF are left alone.
 */
function populateRange(proc: Process, v: Vma, start: number, end: number, flags: number): void {
  const ps = proc.pageSize;
  const inode = v.inode;
  if (proc.core.config.personality === 'linux-2.6' && inode !== null && (v.flags & VM_SHARED) !== 0) {
    const eofPages = Math.ceil(inode.size / ps);
    const first = v.linearPgoff(start, ps);
    const n = Math.max(0, Math.min((end - start) / ps, eofPages - first));
    try {
      populate(proc.mm, v, start, n, first, (flags & MAP_NONBLOCK) !== 0);
    } catch (err) {
      if (!(err instanceof KernelError)) throw err;
    }
    return;
  }
  makePagesPresent(proc, start, end);
}

/**
 * make_pages_present: fault [start, end) in, for writing where the mapping is private and
 * writable; false when it stopped short (a page past EOF). In a VM_NONUNIFORM VMA each
 * page comes in with its own protection, PROT_NONE included, as get_user_pages finds it.
 */
export function makePagesPresent(proc: Process, start: number, end: number): boolean {
  const ps = proc.pageSize;
  for (let a = start; a < end; a += ps) {
    const v = proc.mm.findVma(a);
    if (v === null || v.start > a) continue;
    const nonuniform = (v.flags & VM_NONUNIFORM) !== 0;
    if (!nonuniform && (v.flags & (VM_READ | VM_WRITE | VM_EXEC)) === 0) continue;
    const write = (v.flags & (VM_WRITE | VM_SHARED)) === VM_WRITE;
    try {
      if (nonuniform) faultInForce(proc.mm, a);
      else proc.translate(a, write);
    } catch (err) {
      if ((err as { code?: string }).code === 'SIGBUS') return false; // past EOF: stop, as get_user_pages does
      throw err;
    }
  }
  return true;
}

// ------------------------------------------------------------------ munmap

export function doMunmap(mm: Mm, start: number, length: number, syscall: string): void {
  const ps = mm.pageSize;
  const max = mm.core.config.maxMapCount;
  if (!Number.isSafeInteger(start) || start % ps !== 0 || start < 0 || start > mm.taskSize) {
    throw einval(syscall, `address ${start} is not a page-aligned user address`);
  }
  if (!Number.isSafeInteger(length) || length < 0 || length > mm.taskSize - start) {
    throw einval(syscall, `length ${length} runs past the end of user space`);
  }
  const len = Math.ceil(length / ps) * ps;
  if (len === 0) throw einval(syscall, 'length 0');
  const end = start + len;
  const found = mm.tree.findVmaPrev(start);
  let vma = found.vma;
  let prev = found.prev;
  if (vma === null || vma.start >= end) return;
  if (start > vma.start) {
    if (mm.mapCount >= max) throw splitLimit(syscall, mm);
    mm.splitVma(vma, start, false);
    prev = vma;
  }
  const last = mm.findVma(end);
  if (last !== null && end > last.start) {
    if (mm.mapCount >= max) throw splitLimit(syscall, mm);
    mm.splitVma(last, end, true);
  }
  vma = prev !== null ? mm.tree.nextOf(prev) : mm.tree.first();
  while (vma !== null && vma.start < end) {
    const next = mm.tree.nextOf(vma);
    unmapVma(mm, vma);
    vma = next;
  }
  mm.freePgtables(start, end);
  noteUnmapped(mm, end);
}

function splitLimit(syscall: string, mm: Mm, errno: 'ENOMEM' | 'EAGAIN' = 'ENOMEM'): KernelError {
  return new KernelError(errno, syscall, `splitting a VMA would exceed max_map_count ${mm.core.config.maxMapCount} ` +
    `(map_count ${mm.mapCount})`, { details: { mapCount: mm.mapCount, maxMapCount: mm.core.config.maxMapCount } });
}

/** Zap a whole VMA's PTEs and unlink it. */
export function unmapVma(mm: Mm, v: Vma): void {
  const ps = mm.pageSize;
  mm.zapRange(v, v.start, v.end, false);
  mm.totalVm -= (v.end - v.start) / ps;
  if ((v.flags & VM_LOCKED) !== 0) mm.lockedVm -= (v.end - v.start) / ps;
  mm.removeVma(v);
  if (v.inode !== null) maybeReleaseInode(mm.core, v.inode);
}

export function exitMmap(mm: Mm): void {
  for (let v = mm.tree.first(); v !== null;) {
    const next = mm.tree.nextOf(v);
    unmapVma(mm, v);
    v = next;
  }
  mm.pt.destroy();
  mm.core.mms.delete(mm.id);
}

// ------------------------------------------------------------------ shared by mprotect, mlock, madvise

/**
 * The shared half of mprotect_fixup, mlock_fixup and madvise_behavior: give [start, end)
 * of `vma` new flags, merging with a neighbour (vma_merge) or splitting off the rest.
 * Returns the VMA that now covers [start, end).
 */
export function fixupFlags(mm: Mm, vma: Vma, prev: Vma | null, start: number, end: number, newFlags: number,
  syscall: string, splitErrno: 'ENOMEM' | 'EAGAIN' = 'ENOMEM'): Vma {
  if (newFlags === vma.flags) return vma;
  const ps = mm.pageSize;
  const max = mm.core.config.maxMapCount;
  const pgoff = vma.pgoff + (start - vma.start) / ps;
  let v = mm.vmaMerge(prev, start, end, newFlags, vma.inode, pgoff);
  if (v === null) {
    v = vma;
    if (start !== v.start) {
      if (mm.mapCount >= max) throw splitLimit(syscall, mm, splitErrno);
      mm.splitVma(v, start, true);
    }
    if (end !== v.end) {
      if (mm.mapCount >= max) throw splitLimit(syscall, mm, splitErrno);
      mm.splitVma(v, end, false);
    }
  }
  v.flags = newFlags;
  return v;
}

// ------------------------------------------------------------------ msync

export function doMsync(mm: Mm, start: number, length: number, flags: number): void {
  const ps = mm.pageSize;
  if (!Number.isSafeInteger(start) || start % ps !== 0) throw einval('msync', `address ${start} is not page-aligned`);
  if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) throw einval('msync', `flags ${hex(flags)} has unknown bits`);
  if ((flags & MS_ASYNC) !== 0 && (flags & MS_SYNC) !== 0) throw einval('msync', 'MS_ASYNC and MS_SYNC together');
  if (!Number.isSafeInteger(length) || length < 0) throw new KernelError('ENOMEM', 'msync', `length ${length} wraps`);
  const end = start + Math.ceil(length / ps) * ps;
  if (end === start) return;
  let s = start;
  let vma = mm.findVma(s);
  let unmapped = false;
  for (;;) {
    if (vma === null) throw new KernelError('ENOMEM', 'msync', `${hex(s)} is not mapped`);
    if (s < vma.start) {
      unmapped = true;
      s = vma.start;
    }
    if (end <= vma.end) {
      if (s < end) msyncInterval(mm, vma, s, end, flags);
      break;
    }
    msyncInterval(mm, vma, s, vma.end, flags);
    s = vma.end;
    vma = mm.tree.nextOf(vma);
  }
  if (unmapped) throw new KernelError('ENOMEM', 'msync', `part of [${hex(start)}, ${hex(end)}) is not mapped`);
}

function msyncInterval(mm: Mm, v: Vma, start: number, end: number, flags: number): void {
  if ((flags & MS_INVALIDATE) !== 0 && (v.flags & VM_LOCKED) !== 0) {
    throw new KernelError('EBUSY', 'msync', `MS_INVALIDATE on the locked mapping at ${hex(v.start)}`);
  }
  if (v.inode === null || (v.flags & VM_SHARED) === 0) return;
  moveDirtyBits(mm, v, start, end);
  if ((flags & MS_SYNC) !== 0) syncInode(mm.core, v.inode, true, 'msync', v.file);
}

/**
 * filemap_sync (2.6.11): move dirty bits from PTEs to their pages, flushing the TLB. A
 * PROT_NONE PTE counts (pte_present): a page written and then protected is still dirty.
 */
export function moveDirtyBits(mm: Mm, v: Vma, start: number, end: number): void {
  const ps = mm.pageSize;
  let any = false;
  mm.pt.forEachPte(start / ps, end / ps, (_vpn, w) => {
    const lo = mm.pteLo(w);
    if ((lo & (PTE_PRESENT | PTE_PROTNONE)) === 0 || (lo & PTE_DIRTY) === 0) return;
    const hi = mm.pteHi(w);
    mm.setPte(w, (lo & ~PTE_DIRTY) >>> 0, hi);
    markDirty(mm.core, pfnOf(mm.core.arch, lo, hi));
    any = true;
  });
  if (any) mm.flushTlbRange(start / ps, end / ps);
}

// ------------------------------------------------------------------ file size and data

/**
 * Write-back, then the host's fdatasync/fsync. A write-back error recorded since `file`
 * last reported one is reported now, once per open file (errseq_t).
 */
export function syncInode(core: Core, inode: Inode, data: boolean, syscall: string, file: OpenFile | null): void {
  writebackInode(core, inode);
  const err = inode.kind === 'host' ? syncHost(core, inode, data) : null;
  if (err !== null) inode.recordWritebackError(err === 'ENOSPC' ? 'ENOSPC' : 'EIO');
  if (file !== null && file.errSeen !== inode.wbErrSeq && inode.wbErr !== null) {
    file.errSeen = inode.wbErrSeq;
    throw new KernelError(inode.wbErr, syscall, `write-back of ${inode.path} failed (the page stays dirty; the data may not be on disk)`);
  }
}

/** generic_file_write into the page cache: pages become dirty; i_size grows. */
export function writeThroughCache(core: Core, inode: Inode, buf: Uint8Array, offset: number, syscall: string): number {
  const ps = core.pageSize;
  const mem = core.mem;
  let pos = offset;
  const end = offset + buf.length;
  while (pos < end) {
    const pgoff = Math.floor(pos / ps);
    const inPage = pos - pgoff * ps;
    const n = Math.min(ps - inPage, end - pos);
    let f = findPage(inode, pgoff);
    if (f < 0) {
      const whole = inPage === 0 && n === ps;
      if ((inode.kind === 'host' && !whole && pgoff * ps < inode.size) || inode.swapped.has(pgoff)) {
        // prepare_write reads a partly written page first; a tmpfs page in swap comes back
        // (shmem_getpage), so the file never has the page both in RAM and in swap.
        f = getPage(core, inode, pgoff, syscall);
      } else {
        f = allocFrame(core, PG_PAGECACHE, !whole);
        if (f < 0) throw core.oom(syscall, `no free frame for page ${pgoff} of ${inode.path}`);
        addToCache(core, inode, pgoff, f);
      }
    }
    mem.bytes.set(buf.subarray(pos - offset, pos - offset + n), f * ps + inPage);
    markDirty(core, f);
    core.acct.charge(EV.pageCopy, n / ps);
    pos += n;
    // i_size grows page by page (generic_write_end), not after the loop: the next page's
    // allocation may reclaim, and write-back skips what lies past i_size — it would mark
    // this page clean unwritten and drop it (found by reliability/sim/main.ts, seed 51).
    if (pos > inode.size) inode.size = pos;
  }
  return buf.length;
}

/** Truncate (or extend) a file: mappings of the cut pages go, nonlinear ones keep offsets. */
export function truncateInode(core: Core, inode: Inode, length: number, doHost: boolean): void {
  const ps = core.pageSize;
  if (doHost && inode.kind === 'host') {
    if (core.faults.dead) throw new KernelError('EIO', 'ftruncate', `${inode.path}: the device is gone (power cut)`);
    try {
      core.disk.beforeTruncate(inode, length);
      fs.ftruncateSync(inode.hostFd, length);
      inode.hostDataEnd = Math.min(inode.hostDataEnd, length);
    } catch (err) {
      throw hostError(err, 'ftruncate', inode.path);
    }
  }
  const old = inode.size;
  inode.size = length;
  if (length >= old) return;
  const firstPg = Math.ceil(length / ps);
  for (const v of [...inode.iMmap]) {
    const vEnd = v.pgoff + (v.end - v.start) / ps;
    if (vEnd <= firstPg || v.mm === null) continue;
    const from = v.start + Math.max(0, firstPg - v.pgoff) * ps;
    v.mm.zapRange(v, from, v.end, false);
  }
  for (const v of [...inode.iMmapNonlinear]) {
    if (v.mm !== null) v.mm.zapRange(v, v.start, v.end, true, firstPg);
  }
  truncatePages(core, inode, firstPg);
  // truncate_partial_page: bytes past the new EOF in the last page read as zero.
  const tail = length % ps;
  if (tail !== 0) {
    const f = findPage(inode, firstPg - 1);
    if (f >= 0) mem(core).fill(0, f * ps + tail, (f + 1) * ps);
  }
}

function mem(core: Core): Uint8Array {
  return core.mem.bytes;
}
