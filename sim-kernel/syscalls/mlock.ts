/**
 * mlock, munlock, mlockall, munlockall and MAP_LOCKED's limit (mm/mlock.c).
 *
 * A VM_LOCKED VMA has its range faulted in, and every page it maps is mlocked: its
 * PhysMem.mlock count says how many locked mappings hold it, and while that is > 0 it
 * sits on the unevictable LRU list, so reclaim never takes it (Mlocked/Unevictable in
 * meminfo). RLIMIT_MEMLOCK comes from config (memlockLimitBytes, -1 = unlimited);
 * CAP_IPC_LOCK (capIpcLock) lifts it. Errnos as Linux gives them: EPERM when the limit
 * is 0 and the process lacks the capability, ENOMEM past the limit or over a hole,
 * EINVAL for bad mlockall flags; mmap(MAP_LOCKED) past the limit is EAGAIN.
 */

import { PTE_PRESENT, PTE_PROTNONE, pfnOf } from '../arch.js';
import { MCL_CURRENT, MCL_FUTURE, VM_LOCKED } from '../constants.js';
import { KernelError } from '../errors.js';
import { mlockPage, munlockPage } from '../mem/page-alloc.js';
import type { Mm } from '../mm/mm.js';
import type { Vma } from '../mm/vma.js';
import type { Process } from '../process.js';
import { fixupFlags, makePagesPresent } from './mmap.js';

function limitPages(mm: Mm): number {
  const lim = mm.core.config.memlockLimitBytes;
  return lim < 0 ? Infinity : Math.floor(lim / mm.pageSize);
}

/** can_do_mlock: CAP_IPC_LOCK, or a non-zero RLIMIT_MEMLOCK. */
export function canDoMlock(mm: Mm): boolean {
  return mm.core.config.capIpcLock || mm.core.config.memlockLimitBytes !== 0;
}

/** The limit check of mmap(MAP_LOCKED) and MCL_FUTURE mappings. */
export function checkMapLocked(mm: Mm, pages: number, syscall: string): void {
  if (mm.core.config.capIpcLock) return;
  if (mm.lockedVm + pages > limitPages(mm)) {
    throw new KernelError('EAGAIN', syscall, `locking ${pages} more pages would pass RLIMIT_MEMLOCK ` +
      `(${mm.core.config.memlockLimitBytes} bytes; ${mm.lockedVm} pages locked already)`);
  }
}

export function doMlock(proc: Process, addr: number, length: number, on: boolean): void {
  const mm = proc.mm;
  const ps = mm.pageSize;
  const syscall = on ? 'mlock' : 'munlock';
  if (!Number.isSafeInteger(addr) || !Number.isSafeInteger(length) || addr < 0 || length < 0) {
    throw new KernelError('EINVAL', syscall, `addr ${addr} / length ${length} are not valid unsigned values`);
  }
  if (on && !canDoMlock(mm)) {
    throw new KernelError('EPERM', syscall, 'RLIMIT_MEMLOCK is 0 and the process lacks CAP_IPC_LOCK');
  }
  const start = Math.floor(addr / ps) * ps;
  const len = Math.ceil((length + (addr - start)) / ps) * ps;
  if (on && !mm.core.config.capIpcLock && len / ps + mm.lockedVm > limitPages(mm)) {
    throw new KernelError('ENOMEM', syscall, `locking ${len / ps} pages would pass RLIMIT_MEMLOCK ` +
      `(${mm.core.config.memlockLimitBytes} bytes, ${mm.lockedVm} pages locked already)`);
  }
  applyLock(proc, start, start + len, on, syscall);
}

/** Start of the first range whose fault-in stopped short (past EOF) in this call, or -1. */
let shortAt = -1;

function applyLock(proc: Process, start: number, end: number, on: boolean, syscall: string): void {
  const mm = proc.mm;
  if (end === start) return;
  shortAt = -1;
  lockRange(proc, start, end, on, syscall);
  if (shortAt >= 0 && syscall === 'mlock') {
    // Every VMA stays VM_LOCKED; mlock(2) reports the short fault-in (ENOMEM since 2.6.28).
    throw new KernelError('ENOMEM', syscall, `the range from 0x${shortAt.toString(16)} runs past the end of its mapped file`);
  }
}

function lockRange(proc: Process, start: number, end: number, on: boolean, syscall: string): void {
  const mm = proc.mm;
  const found = mm.tree.findVmaPrev(start);
  let vma = found.vma;
  let prev = found.prev;
  if (vma === null || vma.start > start) throw new KernelError('ENOMEM', syscall, `0x${start.toString(16)} is not mapped`);
  if (start > vma.start) prev = vma;
  for (let nstart = start; ;) {
    const tmp = Math.min(vma.end, end);
    prev = mlockFixup(proc, vma, prev, nstart, tmp, on, syscall);
    nstart = tmp;
    if (nstart < prev.end) nstart = prev.end;
    if (nstart >= end) return;
    const next = mm.tree.nextOf(prev);
    if (next === null || next.start !== nstart) throw new KernelError('ENOMEM', syscall, `0x${nstart.toString(16)} is not mapped`);
    vma = next;
  }
}

/** mlock_fixup: flip VM_LOCKED on [start, end), (un)lock the pages already there, fault the rest in. */
function mlockFixup(proc: Process, vma: Vma, prev: Vma | null, start: number, end: number, on: boolean, syscall: string): Vma {
  const mm = proc.mm;
  const newFlags = on ? vma.flags | VM_LOCKED : vma.flags & ~VM_LOCKED;
  if (newFlags === vma.flags) return vma;
  // 2.6's mlock_fixup turns split_vma's ENOMEM into EAGAIN (a temporary shortage).
  const v = fixupFlags(mm, vma, prev, start, end, newFlags, syscall, 'EAGAIN');
  const pages = (end - start) / mm.pageSize;
  mm.lockedVm += on ? pages : -pages;
  forEachPresentFrame(mm, start, end, (f) => (on ? mlockPage(mm.core, f) : munlockPage(mm.core, f)));
  if (on && !makePagesPresent(proc, start, end)) shortAt = shortAt < 0 ? start : shortAt;
  return v;
}

/** Each page mapped in [start, end), PROT_NONE ones included (pte_present: they hold a page too). */
function forEachPresentFrame(mm: Mm, start: number, end: number, fn: (f: number) => void): void {
  const ps = mm.pageSize;
  mm.pt.forEachPte(start / ps, end / ps, (_vpn, w) => {
    const lo = mm.pteLo(w);
    if ((lo & (PTE_PRESENT | PTE_PROTNONE)) !== 0) fn(pfnOf(mm.core.arch, lo, mm.pteHi(w)));
  });
}

export function doMlockall(proc: Process, flags: number): void {
  const mm = proc.mm;
  if (flags === 0 || (flags & ~(MCL_CURRENT | MCL_FUTURE)) !== 0) {
    throw new KernelError('EINVAL', 'mlockall', `flags ${flags} must be MCL_CURRENT, MCL_FUTURE or both`);
  }
  if (!canDoMlock(mm)) throw new KernelError('EPERM', 'mlockall', 'RLIMIT_MEMLOCK is 0 and the process lacks CAP_IPC_LOCK');
  if ((flags & MCL_CURRENT) !== 0 && !mm.core.config.capIpcLock && mm.totalVm > limitPages(mm)) {
    throw new KernelError('ENOMEM', 'mlockall', `the address space (${mm.totalVm} pages) exceeds RLIMIT_MEMLOCK ` +
      `(${mm.core.config.memlockLimitBytes} bytes)`);
  }
  lockAll(proc, flags);
}

export function doMunlockall(proc: Process): void {
  lockAll(proc, 0);
}

/** do_mlockall: set def_flags for MCL_FUTURE; lock (or unlock) every VMA for MCL_CURRENT (or 0). */
function lockAll(proc: Process, flags: number): void {
  const mm = proc.mm;
  mm.defFlags = (flags & MCL_FUTURE) !== 0 ? VM_LOCKED : 0;
  if ((flags & MCL_CURRENT) === 0 && flags !== 0) return;
  const on = (flags & MCL_CURRENT) !== 0;
  let prev: Vma | null = null;
  for (let v = mm.tree.first(); v !== null;) {
    // The VMA covering what was just fixed up may have absorbed its successor: go on from it.
    prev = mlockFixup(proc, v, prev, v.start, v.end, on, on ? 'mlockall' : 'munlockall');
    v = mm.tree.nextOf(prev);
  }
}
