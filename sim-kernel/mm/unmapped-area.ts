/**
 * Address-space allocation: where a new mapping goes when the caller gives no fixed
 * address (mm/mmap.c arch_get_unmapped_area_topdown and arch_unmap_area_topdown, as
 * x86 uses since 2.6.9: top-down from mmap_base, below the stack gap).
 *
 * State: Mm.freeAreaCache (free_area_cache), the address below which the last search
 * left off. Invariant: MMAP_MIN_ADDR <= freeAreaCache <= mmapBase while set by these
 * functions (the Mm starts it at mmapBase). A hole opened above it moves it back up
 * (noteUnmapped), so the search finds the highest hole first.
 */

import type { Mm } from './mm.js';

/** mmap_base's gap below TASK_SIZE (MIN_GAP, 128 MiB: RLIMIT_STACK 8 MiB is smaller). */
export const MMAP_GAP_BYTES = 128 * 1024 * 1024;
/** Lowest address handed out (mmap_min_addr). */
export const MMAP_MIN_ADDR = 0x10000;

/** arch_get_unmapped_area_topdown with its free_area_cache; -1 when no hole fits. */
export function getUnmappedArea(mm: Mm, hint: number, len: number): number {
  const ps = mm.pageSize;
  if (len > mm.taskSize) return -1;
  if (hint !== 0) {
    const a = Math.ceil(hint / ps) * ps;
    const v = mm.findVma(a);
    if (a >= MMAP_MIN_ADDR && mm.taskSize - len >= a && (v === null || a + len <= v.start)) return a;
  }
  let addr = mm.freeAreaCache;
  if (addr >= len + MMAP_MIN_ADDR) {
    const v = mm.findVma(addr - len);
    if (v === null || addr <= v.start) {
      mm.freeAreaCache = addr - len;
      return addr - len;
    }
  }
  addr = mm.mmapBase - len;
  while (addr >= MMAP_MIN_ADDR) {
    const v = mm.findVma(addr);
    if (v === null || addr + len <= v.start) {
      mm.freeAreaCache = addr;
      return addr;
    }
    addr = v.start - len;
  }
  // Bottom-up fallback from TASK_UNMAPPED_BASE (TASK_SIZE / 3), as the kernel does.
  addr = Math.ceil(mm.taskSize / 3 / ps) * ps;
  for (;;) {
    if (addr + len > mm.taskSize) return -1;
    const v = mm.findVma(addr);
    if (v === null || addr + len <= v.start) return addr;
    addr = v.end;
  }
}

/** arch_unmap_area_topdown: a hole opened at the top moves the cache up. */
export function noteUnmapped(mm: Mm, end: number): void {
  if (end > mm.freeAreaCache) mm.freeAreaCache = end;
  if (mm.freeAreaCache > mm.mmapBase) mm.freeAreaCache = mm.mmapBase;
}
