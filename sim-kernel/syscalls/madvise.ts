/**
 * madvise (mm/madvise.c) and mincore (mm/mincore.c).
 *
 * MADV_DONTNEED zaps the range (EINVAL on a locked VMA); on a nonlinear VMA it keeps
 * each page's offset as a file PTE (zap_details.nonlinear_vma). MADV_WILLNEED reads the
 * file range into the page cache (EBADF on anonymous memory, as 2.6). MADV_RANDOM turns
 * fault readahead off, MADV_SEQUENTIAL doubles it, MADV_NORMAL restores it — each a VMA
 * flag, so it may split or merge VMAs. A range with holes is applied where mapped and
 * then reported as ENOMEM.
 */

import { filePgoff, pteKind, swapOffset } from '../arch.js';
import {
  MADV_DONTNEED, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, VM_HUGETLB, VM_LOCKED, VM_NONLINEAR,
  VM_RAND_READ, VM_SEQ_READ,
} from '../constants.js';
import { KernelError } from '../errors.js';
import { findPage, getPage } from '../fs/pagecache.js';
import type { Mm } from '../mm/mm.js';
import type { Vma } from '../mm/vma.js';
import { fixupFlags } from './mmap.js';

const VM_READHINTMASK = VM_SEQ_READ | VM_RAND_READ;

export function doMadvise(mm: Mm, addr: number, length: number, advice: number): void {
  const ps = mm.pageSize;
  if (!Number.isSafeInteger(addr) || addr < 0 || addr % ps !== 0) throw new KernelError('EINVAL', 'madvise', `address ${addr} is not page-aligned`);
  if (![MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED].includes(advice)) {
    throw new KernelError('EINVAL', 'madvise', `advice ${advice} is not one of MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED`);
  }
  if (!Number.isSafeInteger(length) || length < 0) throw new KernelError('EINVAL', 'madvise', `length ${length} is invalid`);
  const end = addr + Math.ceil(length / ps) * ps;
  if (end === addr) return;
  const found = mm.tree.findVmaPrev(addr);
  let vma = found.vma;
  let prev = found.prev;
  if (vma !== null && addr > vma.start) prev = vma;
  let start = addr;
  let unmapped = false;
  for (;;) {
    if (vma === null) throw new KernelError('ENOMEM', 'madvise', `0x${start.toString(16)} is not mapped`);
    if (start < vma.start) {
      unmapped = true;
      start = vma.start;
      if (start >= end) break;
    }
    const tmp = Math.min(vma.end, end);
    prev = madviseVma(mm, vma, prev, start, tmp, advice);
    start = tmp;
    if (prev !== null && start < prev.end) start = prev.end;
    if (start >= end) break;
    vma = prev !== null ? mm.tree.nextOf(prev) : mm.tree.findVma(start);
  }
  if (unmapped) throw new KernelError('ENOMEM', 'madvise', `part of [0x${addr.toString(16)}, 0x${end.toString(16)}) is not mapped`);
}

function madviseVma(mm: Mm, v: Vma, prev: Vma | null, start: number, end: number, advice: number): Vma {
  const core = mm.core;
  const ps = mm.pageSize;
  switch (advice) {
    case MADV_DONTNEED:
      if ((v.flags & (VM_LOCKED | VM_HUGETLB)) !== 0) {
        throw new KernelError('EINVAL', 'madvise', `MADV_DONTNEED on the locked mapping at 0x${v.start.toString(16)}`);
      }
      mm.zapRange(v, start, end, (v.flags & VM_NONLINEAR) !== 0);
      return v;
    case MADV_WILLNEED: {
      if (v.inode === null) throw new KernelError('EBADF', 'madvise', 'MADV_WILLNEED on anonymous memory (no file to read ahead)');
      const inode = v.inode;
      const eof = Math.ceil(inode.size / ps);
      const first = v.linearPgoff(start, ps);
      const last = Math.min(eof, v.linearPgoff(end, ps));
      for (let p = first; p < last; p++) {
        if (findPage(inode, p) >= 0) continue;
        if (core.mem.freeCount <= core.config.watermarkLowPages) break;
        try {
          getPage(core, inode, p, 'madvise');
        } catch {
          break; // readahead is advisory: stop quietly
        }
      }
      return v;
    }
    default: {
      const hint = advice === MADV_RANDOM ? VM_RAND_READ : advice === MADV_SEQUENTIAL ? VM_SEQ_READ : 0;
      // madvise_behavior: "EAGAIN if kernel resources, such as slab, are temporarily unavailable".
      return fixupFlags(mm, v, prev, start, end, (v.flags & ~VM_READHINTMASK) | hint, 'madvise', 'EAGAIN');
    }
  }
}

/** mincore: one byte per page, bit 0 set when the page is resident in memory. */
export function doMincore(mm: Mm, addr: number, length: number): Uint8Array {
  const core = mm.core;
  const ps = mm.pageSize;
  if (!Number.isSafeInteger(addr) || addr < 0 || addr % ps !== 0) throw new KernelError('EINVAL', 'mincore', `address ${addr} is not page-aligned`);
  if (!Number.isSafeInteger(length) || length < 0) throw new KernelError('EINVAL', 'mincore', `length ${length} is invalid`);
  const pages = Math.ceil(length / ps);
  const vec = new Uint8Array(pages);
  for (let i = 0; i < pages; i++) {
    const a = addr + i * ps;
    const v = mm.tree.findVma(a);
    if (v === null || v.start > a) throw new KernelError('ENOMEM', 'mincore', `0x${a.toString(16)} is not mapped`);
    const w = mm.ptePtrExisting(a / ps);
    const lo = w >= 0 ? mm.pteLo(w) : 0;
    const hi = w >= 0 ? mm.pteHi(w) : 0;
    switch (pteKind(lo, hi)) {
      case 'present':
        vec[i] = 1;
        break;
      case 'file':
        vec[i] = v.inode !== null && findPage(v.inode, filePgoff(core.arch, lo, hi)) >= 0 ? 1 : 0;
        break;
      case 'swap':
        vec[i] = core.swap !== null && (core.swap.cache[swapOffset(core.arch, lo, hi)] as number) >= 0 ? 1 : 0;
        break;
      case 'none':
        vec[i] = v.inode !== null && findPage(v.inode, v.linearPgoff(a, ps)) >= 0 ? 1 : 0;
        break;
    }
  }
  return vec;
}
