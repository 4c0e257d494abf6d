/**
 * Observability: /proc/PID/maps and smaps, a PTE dump, /proc/meminfo and /proc/vmstat,
 * in Linux's text formats (fs/proc/task_mmu.c, fs/proc/meminfo.c), plus structured
 * forms for programs. The PTE dump shows each PTE's protection, a file PTE's too when it
 * keeps one (perPageProt); smaps VmFlags adds "nu" for VM_NONUNIFORM.
 */

import { VMSTAT_NAMES } from './accounting.js';
import {
  PP_NONE, PP_RW, PTE_ACCESSED, PTE_DIRTY, PTE_PROTNONE, PTE_RW, pfnOf, filePgoff, fileProt, pteKind, swapOffset, swapType, type PteKind,
} from './arch.js';
import {
  VM_EXEC, VM_LOCKED, VM_MAYEXEC, VM_MAYREAD, VM_MAYSHARE, VM_MAYWRITE, VM_NONLINEAR, VM_NONUNIFORM, VM_RAND_READ, VM_READ,
  VM_SEQ_READ, VM_SHARED, VM_WRITE,
} from './constants.js';
import type { Core } from './core.js';
import { LRU_ACTIVE_ANON, LRU_ACTIVE_FILE, LRU_INACTIVE_ANON, LRU_INACTIVE_FILE, LRU_UNEVICTABLE } from './mem/lru.js';
import { PG_ANON, PG_DIRTY, PG_PAGECACHE, PG_PAGETABLE, PG_SWAPCACHE } from './mem/physmem.js';
import type { Mm } from './mm/mm.js';
import type { Vma } from './mm/vma.js';
import type { Process } from './process.js';

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** new_decode_dev: major and minor of a dev_t. */
function devParts(dev: number): [number, number] {
  return [Math.floor(dev / 256) & 0xfff, (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00)];
}

function vmaPath(v: Vma): string {
  if (v.inode === null) return '';
  return v.inode.nlink === 0 ? `${v.inode.path} (deleted)` : v.inode.path;
}

/** One maps line: "start-end perms offset dev inode" then the path padded to the arch's column. */
export function mapsLine(v: Vma, pageSize: number, padColumn: number): string {
  const perms = (v.flags & VM_READ ? 'r' : '-') + (v.flags & VM_WRITE ? 'w' : '-') + (v.flags & VM_EXEC ? 'x' : '-') +
    (v.flags & VM_MAYSHARE ? 's' : 'p');
  const offset = v.inode !== null ? v.pgoff * pageSize : 0;
  const [maj, min] = v.inode !== null ? devParts(v.inode.dev) : [0, 0];
  const ino = v.inode !== null ? v.inode.ino : 0;
  const head = `${hex8(v.start)}-${hex8(v.end)} ${perms} ${hex8(offset)} ${hex2(maj)}:${hex2(min)} ${ino} `;
  const path = vmaPath(v);
  if (path === '') return head;
  return head + ' '.repeat(Math.max(1, padColumn - head.length)) + path;
}

export function maps(proc: Process): string {
  const out: string[] = [];
  for (const v of proc.mm.tree) out.push(mapsLine(v, proc.pageSize, proc.core.arch.mapsPadColumn));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

function kbLine(label: string, kb: number): string {
  return `${`${label}:`.padEnd(16)}${String(kb).padStart(8)} kB`;
}

export interface VmaUsage {
  rssPages: number;
  sharedClean: number;
  sharedDirty: number;
  privateClean: number;
  privateDirty: number;
  referenced: number;
  anonymous: number;
  /** Pages mapped at an offset other than the linear one, plus file PTEs. */
  nonlinear: number;
  filePtes: number;
  swapPtes: number;
}

export function vmaUsage(mm: Mm, v: Vma): VmaUsage {
  const core = mm.core;
  const mem = core.mem;
  const ps = mm.pageSize;
  const u: VmaUsage = {
    rssPages: 0, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: 0, referenced: 0, anonymous: 0,
    nonlinear: 0, filePtes: 0, swapPtes: 0,
  };
  mm.pt.forEachPte(v.start / ps, v.end / ps, (vpn, w) => {
    const lo = mm.pteLo(w);
    const hi = mm.pteHi(w);
    const kind = pteKind(lo, hi);
    if (kind === 'none') return;
    if (kind === 'file') {
      u.filePtes++;
      u.nonlinear++;
      return;
    }
    if (kind === 'swap') {
      u.swapPtes++;
      return;
    }
    const f = pfnOf(core.arch, lo, hi);
    const fl = mem.flags[f] as number;
    u.rssPages++;
    const dirty = (lo & PTE_DIRTY) !== 0 || (fl & PG_DIRTY) !== 0;
    const shared = (mem.mapcount[f] as number) >= 2;
    if (shared) dirty ? u.sharedDirty++ : u.sharedClean++;
    else dirty ? u.privateDirty++ : u.privateClean++;
    if ((lo & PTE_ACCESSED) !== 0) u.referenced++;
    if ((fl & PG_ANON) !== 0) u.anonymous++;
    if ((fl & PG_PAGECACHE) !== 0 && (v.flags & VM_NONLINEAR) !== 0 && mem.index[f] !== v.linearPgoff(vpn * ps, ps)) u.nonlinear++;
  });
  return u;
}

function vmFlagsText(flags: number): string {
  const names: [number, string][] = [
    [VM_READ, 'rd'], [VM_WRITE, 'wr'], [VM_EXEC, 'ex'], [VM_SHARED, 'sh'], [VM_MAYREAD, 'mr'], [VM_MAYWRITE, 'mw'],
    [VM_MAYEXEC, 'me'], [VM_MAYSHARE, 'ms'], [VM_SEQ_READ, 'sr'], [VM_RAND_READ, 'rr'], [VM_LOCKED, 'lo'],
    // 'nu': VM_NONUNIFORM of the never-merged protection series, which had no mnemonic
    // (syscalls/fremap-prot.ts, choice 3).
    [VM_NONLINEAR, 'nl'], [VM_NONUNIFORM, 'nu'],
  ];
  return names.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n).join(' ');
}

export function smaps(proc: Process): string {
  const mm = proc.mm;
  const ps = proc.pageSize;
  const kb = ps / 1024;
  const out: string[] = [];
  for (const v of mm.tree) {
    const u = vmaUsage(mm, v);
    out.push(mapsLine(v, ps, proc.core.arch.mapsPadColumn));
    out.push(kbLine('Size', ((v.end - v.start) / ps) * kb));
    out.push(kbLine('KernelPageSize', kb));
    out.push(kbLine('Rss', u.rssPages * kb));
    out.push(kbLine('Shared_Clean', u.sharedClean * kb));
    out.push(kbLine('Shared_Dirty', u.sharedDirty * kb));
    out.push(kbLine('Private_Clean', u.privateClean * kb));
    out.push(kbLine('Private_Dirty', u.privateDirty * kb));
    out.push(kbLine('Referenced', u.referenced * kb));
    out.push(kbLine('Anonymous', u.anonymous * kb));
    out.push(kbLine('Swap', u.swapPtes * kb));
    out.push(kbLine('Locked', (v.flags & VM_LOCKED) !== 0 ? u.rssPages * kb : 0));
    out.push(kbLine('Nonlinear', u.nonlinear * kb));
    out.push(`VmFlags: ${vmFlagsText(v.flags)} `);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

export interface PteInfo {
  addr: number;
  kind: PteKind;
  /** Frame of a present PTE, else -1. */
  frame: number;
  /** File page: of the mapped page (present), or held in a file PTE; -1 otherwise. */
  pgoff: number;
  /** Swap type and offset of a swap PTE, else -1. */
  swapType: number;
  swapOffset: number;
  /**
   * What the page allows: a present PTE's bits, or the protection a file PTE keeps
   * (perPageProt); '-' for none and swap PTEs, and file PTEs that keep none.
   */
  prot: 'none' | 'r' | 'rw' | '-';
  dirty: boolean;
  young: boolean;
}

export function ptes(proc: Process, addr: number, length: number): PteInfo[] {
  const mm = proc.mm;
  const core = proc.core;
  const ps = proc.pageSize;
  const out: PteInfo[] = [];
  const first = Math.floor(addr / ps);
  const last = Math.ceil((addr + length) / ps);
  for (let vpn = first; vpn < last; vpn++) {
    const w = mm.ptePtrExisting(vpn);
    const lo = w >= 0 ? mm.pteLo(w) : 0;
    const hi = w >= 0 ? mm.pteHi(w) : 0;
    const kind = pteKind(lo, hi);
    const info: PteInfo = {
      addr: vpn * ps, kind, frame: -1, pgoff: -1, swapType: -1, swapOffset: -1, prot: '-', dirty: false, young: false,
    };
    if (kind === 'present') {
      const f = pfnOf(core.arch, lo, hi);
      info.frame = f;
      info.pgoff = ((core.mem.flags[f] as number) & PG_PAGECACHE) !== 0 ? (core.mem.index[f] as number) : -1;
      info.prot = (lo & PTE_PROTNONE) !== 0 && (lo & 1) === 0 ? 'none' : (lo & PTE_RW) !== 0 ? 'rw' : 'r';
      info.dirty = (lo & PTE_DIRTY) !== 0;
      info.young = (lo & PTE_ACCESSED) !== 0;
    } else if (kind === 'file') {
      info.pgoff = filePgoff(core.arch, lo, hi);
      const pp = fileProt(core.arch, lo);
      info.prot = pp === -1 ? '-' : pp === PP_NONE ? 'none' : pp === PP_RW ? 'rw' : 'r';
    } else if (kind === 'swap') {
      info.swapType = swapType(core.arch, lo, hi);
      info.swapOffset = swapOffset(core.arch, lo, hi);
    }
    out.push(info);
  }
  return out;
}

/** Render a PTE dump as text, one line per page. */
export function formatPtes(list: readonly PteInfo[]): string {
  return list.map((p) => {
    const a = hex8(p.addr);
    switch (p.kind) {
      case 'none':
        return `${a} none`;
      case 'present':
        return `${a} present frame=${p.frame} pgoff=${p.pgoff} prot=${p.prot}${p.dirty ? ' dirty' : ''}${p.young ? ' young' : ''}`;
      case 'file':
        return `${a} file pgoff=${p.pgoff}${p.prot !== '-' ? ` prot=${p.prot}` : ''}`;
      case 'swap':
        return `${a} swap type=${p.swapType} offset=${p.swapOffset}`;
    }
  }).join('\n');
}

export interface MeminfoFields {
  MemTotal: number;
  MemFree: number;
  Cached: number;
  SwapCached: number;
  Active: number;
  Inactive: number;
  'Active(anon)': number;
  'Inactive(anon)': number;
  'Active(file)': number;
  'Inactive(file)': number;
  Unevictable: number;
  Mlocked: number;
  SwapTotal: number;
  SwapFree: number;
  Dirty: number;
  Writeback: number;
  AnonPages: number;
  Mapped: number;
  Shmem: number;
  PageTables: number;
  VmaSlab: number;
  KernelTotal: number;
}

/** /proc/meminfo, in kB. VmaSlab is the vm_area_struct slab (VMAs × sizeof). */
export function meminfoFields(core: Core, mms: readonly Mm[]): MeminfoFields {
  const mem = core.mem;
  const kb = core.pageSize / 1024;
  let cached = 0;
  let dirty = 0;
  let mapped = 0;
  let anon = 0;
  let shmem = 0;
  let pt = 0;
  for (let f = 0; f < mem.frameCount; f++) {
    const fl = mem.flags[f] as number;
    if (fl === 0) continue;
    if ((fl & PG_PAGETABLE) !== 0) pt++;
    else if ((fl & PG_PAGECACHE) !== 0) {
      cached++;
      if ((fl & PG_DIRTY) !== 0) dirty++;
      if ((mem.mapcount[f] as number) > 0) mapped++;
      const inode = core.vfs.inodes[mem.owner[f] as number];
      if (inode !== null && inode !== undefined && inode.kind === 'tmpfs') shmem++;
    } else if ((fl & PG_ANON) !== 0) anon++;
  }
  let vmas = 0;
  for (const mm of mms) vmas += mm.mapCount;
  const vmaSlabKb = Math.ceil((vmas * core.arch.vmaStructBytes) / 1024);
  const lru = core.lru.count;
  const n = (i: number): number => (lru[i] as number) * kb;
  let swapCached = 0;
  let mlocked = 0;
  for (let f = 0; f < mem.frameCount; f++) {
    const fl = mem.flags[f] as number;
    if ((fl & PG_SWAPCACHE) !== 0) swapCached++;
    if ((mem.mlock[f] as number) > 0) mlocked++;
  }
  const swap = core.swap;
  return {
    MemTotal: mem.frameCount * kb,
    MemFree: mem.freeCount * kb,
    Cached: cached * kb,
    SwapCached: swapCached * kb,
    Active: n(LRU_ACTIVE_ANON) + n(LRU_ACTIVE_FILE),
    Inactive: n(LRU_INACTIVE_ANON) + n(LRU_INACTIVE_FILE),
    'Active(anon)': n(LRU_ACTIVE_ANON),
    'Inactive(anon)': n(LRU_INACTIVE_ANON),
    'Active(file)': n(LRU_ACTIVE_FILE),
    'Inactive(file)': n(LRU_INACTIVE_FILE),
    Unevictable: n(LRU_UNEVICTABLE),
    Mlocked: mlocked * kb,
    SwapTotal: swap !== null ? swap.totalSlots * kb : 0,
    SwapFree: swap !== null ? swap.freeCount * kb : 0,
    Dirty: dirty * kb,
    Writeback: 0, // write-back completes synchronously in this model
    AnonPages: anon * kb,
    Mapped: mapped * kb,
    Shmem: shmem * kb,
    PageTables: pt * kb,
    VmaSlab: vmaSlabKb,
    KernelTotal: pt * kb + vmaSlabKb,
  };
}

export function meminfoText(f: MeminfoFields): string {
  return `${Object.entries(f).map(([k, v]) => kbLine(k, v)).join('\n')}\n`;
}

export function vmstatFields(core: Core, mms: readonly Mm[]): Record<string, number> {
  const mem = core.mem;
  let vmas = 0;
  for (const mm of mms) vmas += mm.mapCount;
  const out: Record<string, number> = {
    nr_free_pages: mem.freeCount,
    nr_file_pages: mem.countWhere(PG_PAGECACHE, PG_PAGECACHE),
    nr_anon_pages: mem.countWhere(PG_ANON, PG_ANON),
    nr_dirty: mem.countWhere(PG_DIRTY, PG_DIRTY),
    nr_page_table_pages: mem.countWhere(PG_PAGETABLE, PG_PAGETABLE),
    nr_vmas: vmas,
    nr_file_ptes: mms.reduce((a, mm) => a + mm.countFilePtes(), 0),
    nr_swap_pages_free: core.swap?.freeCount ?? 0,
    nr_unevictable: core.lru.count[LRU_UNEVICTABLE] as number,
    nr_faults_injected: Object.values(core.faults.injected).reduce((a, b) => a + b, 0),
  };
  const counters = core.acct.vmstat();
  for (const name of VMSTAT_NAMES) out[name] = counters[name];
  let hits = 0;
  let misses = 0;
  for (const mm of mms) {
    hits += mm.tlb.hits;
    misses += mm.tlb.misses;
  }
  out.tlb_hits = hits;
  out.tlb_misses = misses;
  return out;
}

export function vmstatText(fields: Record<string, number>): string {
  return `${Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('\n')}\n`;
}
