/**
 * mprotect (mm/mprotect.c, 2.6.11): sys_mprotect's checks and loop over the VMAs of the
 * range, mprotect_fixup (vma_merge or split_vma, then change_protection), and with
 * KernelConfig.perPageProt the one case the never-merged protection series adds
 * (fremap-prot.ts, choice 5): part of a shared nonlinear VMA changes PTEs, not the VMA.
 * Owns no state: it changes VMAs and PTEs through the Mm (mm/mm.ts keeps the invariants).
 */

import { PTE_ACCESSED, PTE_DIRTY, pteKind } from '../arch.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE, VM_EXEC, VM_NONUNIFORM, VM_READ, VM_SHARED, VM_WRITE } from '../constants.js';
import { KernelError } from '../errors.js';
import type { Mm } from '../mm/mm.js';
import { type Vma, protToVmFlags, vmaPageProt } from '../mm/vma.js';
import { protectPages, protectsPages, rewriteFilePtes } from './fremap-prot.js';
import { einval, fixupFlags, hex } from './mmap.js';

export function doMprotect(mm: Mm, start: number, length: number, prot: number): void {
  const ps = mm.pageSize;
  if (!Number.isSafeInteger(start) || start % ps !== 0) throw einval('mprotect', `address ${start} is not page-aligned`);
  if (!Number.isSafeInteger(length) || length < 0) throw new KernelError('ENOMEM', 'mprotect', `length ${length} wraps`);
  if (length === 0) return;
  const end = start + Math.ceil(length / ps) * ps;
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) throw einval('mprotect', `prot ${hex(prot)} has unknown bits`);
  const found = mm.tree.findVmaPrev(start);
  let vma = found.vma;
  let prev = found.prev;
  if (vma === null || vma.start > start) {
    throw new KernelError('ENOMEM', 'mprotect', `${hex(start)} is not mapped`);
  }
  if (start > vma.start) prev = vma;
  const protFlags = protToVmFlags(prot);
  for (let nstart = start; ;) {
    const newFlags = protFlags | (vma.flags & ~(VM_READ | VM_WRITE | VM_EXEC));
    // Each VM_MAY* bit sits 4 bits above its VM_* bit: asking for what the file does not allow.
    if ((newFlags & ~(newFlags >> 4)) & 0xf) {
      throw new KernelError('EACCES', 'mprotect', `the mapping at ${hex(vma.start)} cannot be given prot ${hex(prot)} ` +
        '(a shared mapping of a file not opened for writing)');
    }
    const tmp = Math.min(vma.end, end);
    prev = mprotectFixup(mm, vma, prev, nstart, tmp, newFlags);
    nstart = tmp;
    if (nstart < prev.end) nstart = prev.end;
    if (nstart >= end) return;
    const next = mm.tree.nextOf(prev);
    if (next === null || next.start !== nstart) throw new KernelError('ENOMEM', 'mprotect', `${hex(nstart)} is not mapped`);
    vma = next;
  }
}

function mprotectFixup(mm: Mm, vma: Vma, prev: Vma | null, start: number, end: number, newFlags: number): Vma {
  if (protectsPages(mm, vma, start, end)) {
    protectPages(mm, vma, start, end, vmaPageProt(newFlags));
    return vma;
  }
  // The VMA's own protection changes: every page of the range takes it, so the range is uniform.
  const flags = newFlags & ~VM_NONUNIFORM;
  if (flags === vma.flags) return vma;
  const v = fixupFlags(mm, vma, prev, start, end, flags, 'mprotect');
  changeProtection(mm, v, start, end);
  rewriteFilePtes(mm, v, start, end);
  return v;
}

/** change_protection: rewrite the prot bits of present PTEs; file PTEs keep their offsets. */
function changeProtection(mm: Mm, v: Vma, start: number, end: number): void {
  const ps = mm.pageSize;
  let changed = false;
  mm.pt.forEachPte(start / ps, end / ps, (_vpn, w) => {
    const lo = mm.pteLo(w);
    const hi = mm.pteHi(w);
    if (pteKind(lo, hi) !== 'present') return;
    const keep = lo & (PTE_ACCESSED | PTE_DIRTY);
    const shared = (v.flags & VM_SHARED) !== 0;
    const nlo = ((lo & ~0xfff) | mm.protBits(v, shared) | keep) >>> 0;
    mm.setPte(w, nlo, hi);
    changed = true;
  });
  if (changed) mm.flushTlbRange(start / ps, end / ps);
}
