/**
 * remap_file_pages: the system call the nonlinear buffer pool is built on, in both
 * personalities (refs/linux-nonlinear.md §1 and §3 list the cases).
 *
 *   linux-2.6  native (mm/fremap.c sys_remap_file_pages, 2.6.11): the first remap that
 *              breaks the linear offset turns the VMA VM_NONLINEAR (Mm.makeNonlinear);
 *              pages are installed, or file PTEs written with MAP_NONBLOCK, by populate
 *              (mm/fault.ts: filemap_populate / shmem_populate).
 *   linux-4.0  emulated (mm/mmap.c remap_file_pages since 4.0, with the 2016 fix
 *              48f7df329474): an mmap(MAP_FIXED) of the same file over the range, so
 *              every call may cost a VMA.
 * Checks run in the kernel's order so the errno is the one Linux gives. With
 * KernelConfig.perPageProt and MAP_NOINHERIT, `prot` is honoured per page (fremap-prot.ts
 * gives the rules and why). Owns no state: it changes the VMA and PTEs through the Mm,
 * which keeps its invariants (mm/mm.ts).
 */

import { PP_NONE, PP_READ } from '../arch.js';
import { MAP_FIXED, MAP_LOCKED, MAP_NONBLOCK, MAP_POPULATE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE,
  VM_EXEC, VM_LOCKED, VM_MAYWRITE, VM_NONLINEAR, VM_NONUNIFORM, VM_READ, VM_SHARED, VM_WRITE } from '../constants.js';
import { kassert } from '../errors.js';
import { maybeReleaseInode } from '../fs/pagecache.js';
import { populate } from '../mm/fault.js';
import { vmaPageProt } from '../mm/vma.js';
import type { Process } from '../process.js';
import { markNonuniform, remapPageProt, wantsOwnProt } from './fremap-prot.js';
import { einval, hex, mmapRegion } from './mmap.js';

export function doRemapFilePages(proc: Process, start: number, size: number, prot: number, pgoff: number, flags: number): void {
  if (proc.core.config.personality === 'linux-4.0') remapEmulated(proc, start, size, prot, pgoff, flags);
  else remapNative(proc, start, size, prot, pgoff, flags);
}

function normaliseRange(ps: number, start: number, size: number, prot: number, pgoff: number, ownProt: boolean,
  syscall: string): { s: number; e: number } {
  if (ownProt) {
    if (!Number.isInteger(prot) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) !== 0) {
      throw einval(syscall, `prot ${prot} has bits other than PROT_READ, PROT_WRITE and PROT_EXEC (MAP_NOINHERIT: 0 means PROT_NONE)`);
    }
  } else if (prot !== 0) {
    throw einval(syscall, `prot ${prot} must be 0 (ignored since 2.5.66: a nonlinear page takes the VMA's protection)`);
  }
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(size) || start < 0 || size < 0) {
    throw einval(syscall, `start ${start} / size ${size} are not valid unsigned values`);
  }
  if (!Number.isSafeInteger(pgoff) || pgoff < 0) throw einval(syscall, `pgoff ${pgoff} is not a valid page offset`);
  const s = Math.floor(start / ps) * ps;
  const e = s + Math.floor(size / ps) * ps;
  if (e <= s) throw einval(syscall, `the range [${hex(start)}, +${size}) is empty after rounding down to pages`);
  return { s, e };
}

/** sys_remap_file_pages, mm/fremap.c 2.6.11: native nonlinear VMAs and file PTEs. */
function remapNative(proc: Process, start: number, size: number, prot: number, pgoff: number, flags: number): void {
  const mm = proc.mm;
  const ps = proc.pageSize;
  const ownProt = wantsOwnProt(proc.core.config.perPageProt, flags);
  const { s, e } = normaliseRange(ps, start, size, prot, pgoff, ownProt, 'remap_file_pages');
  const npages = (e - s) / ps;
  const arch = proc.core.arch;
  if (pgoff + npages >= arch.pteFileLimitPages) {
    throw einval('remap_file_pages', `pgoff ${pgoff} + ${npages} pages reaches 2^${arch.pteFileMaxBits}, the most a file PTE ` +
      `can hold on ${arch.name}${arch.fileProt && arch.name === 'i386' ? ' when it also keeps a protection (perPageProt)' : ''}`);
  }
  const v = mm.findVma(s);
  if (v === null || v.start > s || e > v.end) {
    throw einval('remap_file_pages', `[${hex(s)}, ${hex(e)}) does not lie inside one mapping`);
  }
  // The series checks the asked protection against VM_MAY* before anything else about the VMA.
  const pp = ownProt ? remapPageProt(v, prot, 'remap_file_pages') : vmaPageProt(v.flags);
  if ((v.flags & VM_SHARED) === 0) throw einval('remap_file_pages', 'the mapping is not MAP_SHARED of a file opened for writing');
  if (v.inode === null) throw einval('remap_file_pages', 'the mapping is anonymous and has no populate operation');
  // A page whose offset, or protection, is not the VMA's needs a nonlinear (and nonuniform) VMA.
  const otherProt = pp !== vmaPageProt(v.flags);
  if ((pgoff !== v.linearPgoff(s, ps) || otherProt) && (v.flags & VM_NONLINEAR) === 0) mm.makeNonlinear(v);
  if (otherProt && (v.flags & VM_NONUNIFORM) === 0) markNonuniform(v);
  const eofPages = Math.ceil(v.inode.size / ps);
  if (pgoff + npages > eofPages) {
    throw einval('remap_file_pages', `pages ${pgoff}..${pgoff + npages - 1} pass end of file (${eofPages} pages)`);
  }
  const nonblock = (flags & MAP_NONBLOCK) !== 0 && (v.flags & VM_LOCKED) === 0;
  populate(mm, v, s, npages, pgoff, nonblock, pp);
}

/** remap_file_pages in Linux >= 4.0: an mmap(MAP_FIXED) of the same file over the range. */
function remapEmulated(proc: Process, start: number, size: number, prot: number, pgoff: number, flags: number): void {
  const mm = proc.mm;
  const ps = proc.pageSize;
  const ownProt = wantsOwnProt(proc.core.config.perPageProt, flags);
  const { s, e } = normaliseRange(ps, start, size, prot, pgoff, ownProt, 'remap_file_pages');
  const v = mm.findVma(s);
  if (v === null || (v.flags & VM_SHARED) === 0 || s < v.start) {
    throw einval('remap_file_pages', `${hex(s)} is not inside a MAP_SHARED file mapping`);
  }
  if (e > v.end) {
    // Since 2016 (48f7df329474) the range may span contiguous VMAs of the same file and flags.
    let n = mm.tree.nextOf(v);
    let prevEnd = v.end;
    for (; n !== null; n = mm.tree.nextOf(n)) {
      if (n.start !== prevEnd || n.inode !== v.inode || n.flags !== v.flags) n = null;
      if (n === null || e <= n.end) break;
      prevEnd = n.end;
    }
    if (n === null) throw einval('remap_file_pages', `[${hex(s)}, ${hex(e)}) is not covered by contiguous mappings of one file`);
  }
  const inode = v.inode;
  kassert(inode !== null, 'VM_SHARED VMA without a file');
  let mprot = (v.flags & VM_READ ? PROT_READ : 0) | (v.flags & VM_WRITE ? PROT_WRITE : 0) | (v.flags & VM_EXEC ? PROT_EXEC : 0);
  if (ownProt) {
    // perPageProt: the asked protection (as x86 tells it apart, so both personalities give
    // a page the same one), in a VMA of its own unless it merges with a neighbour.
    const pp = remapPageProt(v, prot, 'remap_file_pages');
    mprot = pp === PP_NONE ? 0 : pp === PP_READ ? PROT_READ : PROT_READ | PROT_WRITE;
  }
  let mflags = MAP_SHARED | MAP_FIXED | MAP_POPULATE | (flags & MAP_NONBLOCK);
  if ((v.flags & VM_LOCKED) !== 0) mflags |= MAP_LOCKED;
  const src = { inode, canRead: true, canWrite: (v.flags & VM_MAYWRITE) !== 0, file: v.file };
  // get_file(vma->vm_file) … fput(): the file must outlive the unmapping of its last VMA.
  inode.openCount++;
  try {
    mmapRegion(proc, s, e - s, mprot, mflags, src, pgoff, 'remap_file_pages');
  } finally {
    inode.openCount--;
    maybeReleaseInode(proc.core, inode);
  }
}
