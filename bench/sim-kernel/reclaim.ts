/**
 * Memory-pressure benchmarks (sim-kernel part 2):
 *   reclaim.file-stream   pread streaming over a host file twice the size of RAM: every
 *                         read past the first RAM-full reclaims a clean page-cache page.
 *   swap.anon-cycle       stores cycling over anonymous memory 1.5× RAM: each touch of a
 *                         swapped-out page is a swap-in, and makes room by a swap-out.
 *   rmap-cost (report)    simulated kernel time to reclaim a page mapped linearly against
 *                         one mapped in nonlinear windows, as the number of VMAs mapping
 *                         it grows: the linear rmap walks V PTEs; the nonlinear cluster
 *                         scan walks CLUSTER_SIZE-PTE clusters of every window
 *                         (refs/linux-nonlinear.md §1.15).
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  type Kernel, MAP_ANONYMOUS, MAP_LOCKED, MAP_PRIVATE, MAP_SHARED, O_RDONLY, PROT_READ, PROT_WRITE, type Process,
} from '../../sim-kernel/index.js';
import { int } from '../lib/format.js';
import type { ReportBench, ReportOutput, TimedBench } from '../lib/harness.js';
import { MiB, PAGE, check, describe, machine, residentTmpfsFile, simClock } from './common.js';

const RW = PROT_READ | PROT_WRITE;

const STREAM_CFG = { ramBytes: 16 * MiB, readaheadPages: 0 };

const fileStream: TimedBench = {
  kind: 'timed',
  id: 'reclaim.file-stream',
  title: 'pread 1 page of a host file 2× RAM, reclaiming clean page-cache pages',
  unit: 'page',
  config: `${describe(STREAM_CFG)}, readahead off`,
  setup() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-bench-'));
    const file = path.join(dir, 'stream.dat');
    const pages = (2 * STREAM_CFG.ramBytes) / PAGE;
    fs.writeFileSync(file, Buffer.alloc(pages * PAGE, 0x5a));
    const k = machine(STREAM_CFG);
    const p = k.spawn();
    const fd = p.open(file, O_RDONLY);
    const buf = new Uint8Array(PAGE);
    let next = 0;
    const steal0 = (): number => k.vmstatFields().pgsteal ?? 0;
    let stealStart = 0;
    return {
      run(n) {
        if (stealStart === 0) stealStart = steal0() + 1;
        let sink = 0;
        for (let i = 0; i < n; i++) {
          p.pread(fd, buf, next * PAGE);
          sink += buf[0] as number;
          next = next + 1 === pages ? 0 : next + 1;
        }
        return sink;
      },
      sim: simClock(k),
      after: () => {
        const v = k.vmstatFields();
        return { pgscan: int(v.pgscan ?? 0), pgsteal: int(v.pgsteal ?? 0), kswapd_runs: int(v.kswapd_runs ?? 0) };
      },
      verify() {
        check((k.vmstatFields().pgsteal ?? 0) > 0, () => 'no page was reclaimed');
        k.checkInvariants();
      },
      dispose() {
        k.shutdown();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const SWAP_CFG = { ramBytes: 16 * MiB, swapBytes: 64 * MiB };

const anonCycle: TimedBench = {
  kind: 'timed',
  id: 'swap.anon-cycle',
  title: 'store to anonymous memory 1.5× RAM in a cycle: swap-in + swap-out per touch',
  unit: 'touch',
  config: `${describe(SWAP_CFG)}, swap ${SWAP_CFG.swapBytes / MiB} MiB`,
  setup() {
    const k = machine(SWAP_CFG);
    const p = k.spawn();
    const pages = ((SWAP_CFG.ramBytes / PAGE) * 3) / 2;
    const a = p.mmap(0, pages * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (let i = 0; i < pages; i++) p.store32(a + i * PAGE, i);
    let next = 0;
    return {
      run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) {
          sink += p.load32(a + next * PAGE);
          p.store32(a + next * PAGE, next);
          next = next + 1 === pages ? 0 : next + 1;
        }
        return sink;
      },
      sim: simClock(k),
      after: () => {
        const v = k.vmstatFields();
        return { pswpout: int(v.pswpout ?? 0), pswpin: int(v.pswpin ?? 0), pgmajfault: int(v.pgmajfault ?? 0) };
      },
      verify() {
        for (let i = 0; i < pages; i += 97) check(p.load32(a + i * PAGE) === i, () => `anonymous page ${i} lost its value`);
        check((k.vmstatFields().pswpin ?? 0) > 0, () => 'nothing was swapped in');
        k.checkInvariants();
      },
      dispose() {
        k.shutdown();
      },
    };
  },
};

// ---------------------------------------------------------------- rmap cost report

const FILE_PAGES = 256;
const RMAP_RAM = 4 * MiB;

interface RmapRow {
  layout: 'linear' | 'nonlinear';
  vmas: number;
  reclaimed: number;
  rmapPtesPerPage: number;
  rmapNsPerPage: number;
  reclaimNsPerPage: number;
  fileFaults: number;
  majorFaultsRetouch: number;
  retouchNs: number;
}

/** Map a 256-page tmpfs file V times (linear mappings, or nonlinear windows in reversed order) and touch it all. */
function mapTimes(p: Process, fd: number, layout: RmapRow['layout'], v: number): number[] {
  const bases: number[] = [];
  for (let i = 0; i < v; i++) {
    const a = p.mmap(0, FILE_PAGES * PAGE, RW, MAP_SHARED, fd, 0);
    if (layout === 'nonlinear') {
      for (let s = 0; s < FILE_PAGES; s++) p.remap_file_pages(a + s * PAGE, PAGE, 0, FILE_PAGES - 1 - s, 0);
    }
    for (let s = 0; s < FILE_PAGES; s++) p.load32(a + s * PAGE);
    bases.push(a);
  }
  return bases;
}

function rmapRun(layout: RmapRow['layout'], v: number): RmapRow {
  const k: Kernel = machine({ ramBytes: RMAP_RAM, swapBytes: 32 * MiB, readaheadPages: 0 });
  try {
    const p = k.spawn();
    const fd = residentTmpfsFile(p, 'rmap', FILE_PAGES);
    const bases = mapTimes(p, fd, layout, v);
    const before = k.kernelTime();
    const vs0 = k.vmstatFields();
    // Pressure that only the mapped tmpfs pages can answer: mlocked anonymous memory
    // (unevictable) grows in 16-page steps until three quarters of the file is out.
    const step = 16;
    for (let done = 0; (k.vmstatFields().pswpout ?? 0) - (vs0.pswpout ?? 0) < (FILE_PAGES * 3) / 4 && done < 4096; done += step) {
      p.mmap(0, step * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    }
    const after = k.kernelTime();
    const vs1 = k.vmstatFields();
    const delta = (ev: string): { count: number; ns: number } => ({
      count: (after[ev]?.count ?? 0) - (before[ev]?.count ?? 0),
      ns: (after[ev]?.ns ?? 0) - (before[ev]?.ns ?? 0),
    });
    const reclaimed = (vs1.pgsteal ?? 0) - (vs0.pgsteal ?? 0);
    const rmap = delta('rmapScanPte');
    const reclaimNs = rmap.ns + delta('reclaimPage').ns + delta('tlbFlushLocal').ns + delta('pteUpdate').ns;
    // Touch every window page again: what the unmapping cost the application.
    const t0 = k.kernelNs;
    const maj0 = vs1.pgmajfault ?? 0;
    for (const a of bases) for (let s = 0; s < FILE_PAGES; s++) p.load32(a + s * PAGE);
    const vs2 = k.vmstatFields();
    k.checkInvariants();
    const per = Math.max(1, reclaimed);
    return {
      layout, vmas: v, reclaimed,
      rmapPtesPerPage: rmap.count / per, rmapNsPerPage: rmap.ns / per, reclaimNsPerPage: reclaimNs / per,
      fileFaults: (vs2.nr_file_pte_faults ?? 0) - (vs1.nr_file_pte_faults ?? 0),
      majorFaultsRetouch: (vs2.pgmajfault ?? 0) - maj0, retouchNs: k.kernelNs - t0,
    };
  } finally {
    k.shutdown();
  }
}

const rmapCost: ReportBench = {
  kind: 'report',
  id: 'rmap-cost',
  title: 'simulated kernel time to reclaim a page: mapped linearly vs in nonlinear windows, by VMA count',
  config: `${RMAP_RAM / MiB} MiB RAM, a ${FILE_PAGES}-page tmpfs file mapped V times, mlocked anonymous pressure`,
  run(log): ReportOutput {
    const rows: RmapRow[] = [];
    for (const v of [1, 2, 4, 8, 16]) {
      for (const layout of ['linear', 'nonlinear'] as const) {
        log(`  rmap-cost: ${layout} × ${v}...`);
        rows.push(rmapRun(layout, v));
      }
    }
    return {
      tables: [{
        title: 'reclaim work per reclaimed page (all pages reclaimed in the pressure phase)',
        columns: ['layout', 'VMAs', 'pages reclaimed', 'rmap PTEs/page', 'rmap ns/page', 'reclaim ns/page',
          'file-PTE faults', 'major faults on re-touch', 're-touch sim ms'],
        rightAlign: [1, 2, 3, 4, 5, 6, 7, 8],
        rows: rows.map((r) => [r.layout, String(r.vmas), int(r.reclaimed), r.rmapPtesPerPage.toFixed(1),
          r.rmapNsPerPage.toFixed(0), r.reclaimNsPerPage.toFixed(0), int(r.fileFaults), int(r.majorFaultsRetouch),
          (r.retouchNs / 1e6).toFixed(2)]),
        notes: ['Pressure: mlocked anonymous memory grows until 3/4 of the mapped tmpfs file is swapped out, so only mapped pages are reclaimed.',
          'rmap PTEs: PTEs visited by page_referenced and try_to_unmap, including the nonlinear cluster scan (CLUSTER_SIZE 32).',
          'reclaim ns: rmapScanPte + reclaimPage + the PTE updates and TLB flushes done while reclaiming.',
          're-touch: loading every window page again afterwards (nonlinear windows refault through file PTEs, counted major in 2.6.11).'],
      }],
      data: rows,
    };
  },
};

export const reclaimBenches = [fileStream, anonCycle, rmapCost];
