/**
 * Kernel memory of a nonlinear window against one mapping per page, per architecture.
 *
 * The same N = 65,530 file pages of a resident tmpfs file end up mapped at N consecutive
 * virtual pages, in reverse file order (virtual page i shows file page N-1-i), three ways:
 *   nonlinear:  linux-2.6, one mmap of N pages, then N remap_file_pages calls
 *               (every page moves to a non-linear offset; the window stays one VMA).
 *   per-page:   linux-2.6, N mmap(MAP_SHARED|MAP_POPULATE) calls of one page each with
 *               the kernel choosing addresses. Top-down allocation puts each below the
 *               previous, and page k sits below page k-1, so neighbours are never file-
 *               contiguous and cannot merge: N VMAs (max_map_count 65530 allows 65531).
 *               MAP_POPULATE installs the PTEs, so both layouts end with N present PTEs.
 *   emulated:   linux-4.0, the nonlinear recipe on the emulation (a VMA per remap).
 * Reported: VMAs, VMA bytes (VMAs × sizeof(vm_area_struct) of the arch), page-table bytes,
 * their total, and the simulated kernel time of the set-up (the file is filled first,
 * outside the measurement). Host time is shown for information.
 */

import {
  ARCH_NAMES, type ArchName, MAP_POPULATE, MAP_SHARED, PROT_READ, PROT_WRITE, type PersonalityName, getArch,
} from '../../sim-kernel/index.js';
import { bytes, duration, int, ratio } from '../lib/format.js';
import type { ReportBench, ReportOutput, TableSpec } from '../lib/harness.js';
import { MiB, PAGE, check, machine, pageAt, residentTmpfsFile } from './common.js';

export const KMEM_PAGES = 65530;
const RAM = 512 * MiB;
const ARCHES: readonly ArchName[] = ARCH_NAMES;
const RW = PROT_READ | PROT_WRITE;

type Layout = 'nonlinear' | 'per-page' | 'emulated';

const LAYOUT_LABEL: Record<Layout, string> = {
  nonlinear: 'nonlinear window (2.6)',
  'per-page': `${int(KMEM_PAGES)} single-page mmaps (2.6)`,
  emulated: 'window on the 4.0 emulation',
};

export interface KmemRow {
  arch: ArchName;
  layout: Layout;
  personality: PersonalityName;
  pages: number;
  vmas: number;
  vmaBytes: number;
  pageTableBytes: number;
  totalBytes: number;
  presentPtes: number;
  simSetupNs: number;
  hostSetupMs: number;
  meminfoKernelTotalKb: number;
}

function setUp(arch: ArchName, layout: Layout): KmemRow {
  const n = KMEM_PAGES;
  const personality: PersonalityName = layout === 'emulated' ? 'linux-4.0' : 'linux-2.6';
  const k = machine({ arch, personality, ramBytes: RAM });
  try {
    const p = k.spawn();
    const fd = residentTmpfsFile(p, 'kmem', n);
    const sim0 = k.kernelNs;
    const host0 = process.hrtime.bigint();
    let base: number;
    if (layout === 'per-page') {
      base = -1;
      for (let pg = 0; pg < n; pg++) base = p.mmap(0, PAGE, RW, MAP_SHARED | MAP_POPULATE, fd, pg * PAGE);
    } else {
      base = p.mmap(0, n * PAGE, RW, MAP_SHARED, fd, 0);
      for (let i = 0; i < n; i++) p.remap_file_pages(base + i * PAGE, PAGE, 0, n - 1 - i, 0);
    }
    const hostSetupMs = Number(process.hrtime.bigint() - host0) / 1e6;
    const simSetupNs = k.kernelNs - sim0;
    const km = k.kernelMemory();
    const row: KmemRow = {
      arch, layout, personality, pages: n, vmas: p.mm.mapCount, vmaBytes: km.vmaBytes, pageTableBytes: km.pageTableBytes,
      totalBytes: km.totalBytes, presentPtes: p.mm.rssFile + p.mm.rssAnon, simSetupNs, hostSetupMs,
      meminfoKernelTotalKb: k.meminfoFields().KernelTotal,
    };
    // The three layouts must be the same mapping: virtual page i shows file page n-1-i.
    for (const i of [0, 1, 2, n >> 1, n - 2, n - 1]) {
      const got = pageAt(p, base + i * PAGE);
      check(got === n - 1 - i, () => `${arch} ${layout}: virtual page ${i} shows file page ${got}, expected ${n - 1 - i}`);
    }
    check(row.presentPtes === n, () => `${arch} ${layout}: ${row.presentPtes} present PTEs, expected ${n}`);
    if (layout === 'nonlinear') check(row.vmas === 1, () => `${arch} nonlinear window is ${row.vmas} VMAs`);
    if (layout === 'per-page') check(row.vmas === n, () => `${arch} per-page layout is ${row.vmas} VMAs, expected ${n} (merged?)`);
    return row;
  } finally {
    k.shutdown();
  }
}

function archTable(arch: ArchName, rows: KmemRow[]): TableSpec {
  const a = getArch(arch);
  const byLayout = (l: Layout): KmemRow => rows.find((r) => r.layout === l) as KmemRow;
  const nl = byLayout('nonlinear');
  const line = (r: KmemRow): string[] => [
    LAYOUT_LABEL[r.layout], int(r.vmas), int(r.vmaBytes), int(r.pageTableBytes), int(r.totalBytes), bytes(r.totalBytes),
    duration(r.simSetupNs), `${(r.simSetupNs / r.pages).toFixed(0)} ns`, `${r.hostSetupMs.toFixed(0)} ms`,
  ];
  const ratioLine = (r: KmemRow, label: string): string[] => [
    label, ratio(r.vmas, nl.vmas), ratio(r.vmaBytes, nl.vmaBytes), ratio(r.pageTableBytes, nl.pageTableBytes),
    ratio(r.totalBytes, nl.totalBytes), '', ratio(r.simSetupNs, nl.simSetupNs), '', '',
  ];
  const pp = byLayout('per-page');
  const em = byLayout('emulated');
  return {
    title: `${arch}: ${int(KMEM_PAGES)} pages (${bytes(KMEM_PAGES * PAGE)}) mapped in reverse file order — ` +
      `sizeof(vm_area_struct) ${a.vmaStructBytes} B, ${a.levels}-level page tables, ${a.pteBytes}-byte PTEs`,
    columns: ['layout', 'VMAs', 'VMA bytes', 'page-table bytes', 'kernel bytes', '(total)', 'sim setup', 'sim/page', 'host'],
    rightAlign: [1, 2, 3, 4, 5, 6, 7, 8],
    rows: [line(nl), line(pp), line(em), ratioLine(pp, 'ratio per-page / nonlinear'), ratioLine(em, 'ratio emulated / nonlinear')],
  };
}

export const kmemReport: ReportBench = {
  kind: 'report',
  id: 'kmem',
  title: `kernel memory: one ${int(KMEM_PAGES)}-page nonlinear window vs ${int(KMEM_PAGES)} single-page mappings`,
  config: `${RAM / MiB} MiB RAM, defaults otherwise; arch ${ARCHES.join(' | ')}; nonlinear and per-page on linux-2.6, ` +
    'emulated on linux-4.0',
  run(log): ReportOutput {
    const all: KmemRow[] = [];
    const tables: TableSpec[] = [];
    for (const arch of ARCHES) {
      const rows: KmemRow[] = [];
      for (const layout of ['nonlinear', 'per-page', 'emulated'] as const) {
        log(`  kmem: ${arch} ${layout}...`);
        rows.push(setUp(arch, layout));
      }
      all.push(...rows);
      tables.push(archTable(arch, rows));
    }
    const last = tables[tables.length - 1];
    if (last !== undefined) {
      last.notes = [
        'kernel bytes = VMA bytes + page-table bytes (Kernel.kernelMemory()); every layout ends with all pages present.',
        'sim setup = simulated kernel time of the mmap/remap calls only (the tmpfs file is filled beforehand).',
        'Each layout verified: virtual page i shows file page N-1-i; per-page has N VMAs, nonlinear 1.',
      ];
    }
    return { tables, data: all };
  },
};
