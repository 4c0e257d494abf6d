/**
 * The seed's scenario as a report: a 16-page nonlinear window over a 1024-page tmpfs
 * file on a machine with less RAM (256 pages) than the file. Pages swap out; on
 * linux-2.6 the window's PTEs keep their offsets as file PTEs and every page comes back
 * right on the next touch; on linux-4.0 the same happens through the emulation's VMAs.
 */

import { MAP_SHARED, PERSONALITY_NAMES, PROT_READ, PROT_WRITE, type PersonalityName } from '../../sim-kernel/index.js';
import { int } from '../lib/format.js';
import type { ReportBench, ReportOutput } from '../lib/harness.js';
import { PAGE, check, machine, pageAt, residentTmpfsFile } from './common.js';

const FILE_PAGES = 1024;
const WINDOW = 16;

interface SeedRow {
  personality: PersonalityName;
  vmas: number;
  filePtesBeforeTouch: number;
  pswpout: number;
  pswpin: number;
  majorFaults: number;
  correct: boolean;
  kernelMs: number;
}

function scenario(personality: PersonalityName): SeedRow {
  const k = machine({ personality, ramBytes: 256 * PAGE, swapBytes: 2 * FILE_PAGES * PAGE, tlbEntries: 16, readaheadPages: 4 });
  try {
    const p = k.spawn();
    const fd = residentTmpfsFile(p, 'seed', FILE_PAGES);
    const win = p.mmap(0, WINDOW * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const target = (i: number): number => (i * 61 + 7) % FILE_PAGES;
    for (let i = 0; i < WINDOW; i++) p.remap_file_pages(win + i * PAGE, PAGE, 0, target(i), 0);
    const buf = new Uint8Array(PAGE);
    for (let j = 0; j < 3 * FILE_PAGES; j++) p.pread(fd, buf, ((j * 13) % FILE_PAGES) * PAGE); // pressure
    const filePtes = p.ptes(win, WINDOW * PAGE).filter((e) => e.kind === 'file').length;
    const maj0 = k.vmstatFields().pgmajfault ?? 0;
    let correct = true;
    for (let i = 0; i < WINDOW; i++) if (pageAt(p, win + i * PAGE) !== target(i)) correct = false;
    const vs = k.vmstatFields();
    k.checkInvariants();
    check(correct, () => `${personality}: a window page came back wrong`);
    return {
      personality, vmas: p.mm.mapCount, filePtesBeforeTouch: filePtes, pswpout: vs.pswpout ?? 0, pswpin: vs.pswpin ?? 0,
      majorFaults: (vs.pgmajfault ?? 0) - maj0, correct, kernelMs: k.kernelNs / 1e6,
    };
  } finally {
    k.shutdown();
  }
}

export const seedReport: ReportBench = {
  kind: 'report',
  id: 'seed-scenario',
  title: 'the seed\'s scenario: a 16-page nonlinear window over a 1024-page tmpfs file with 256 pages of RAM',
  config: 'x86_64, 1 MiB RAM, 8 MiB swap, 16-entry TLB',
  run(log): ReportOutput {
    const rows = PERSONALITY_NAMES.map((pers) => {
      log(`  seed-scenario: ${pers}...`);
      return scenario(pers);
    });
    return {
      tables: [{
        title: 'pages swapped out under pressure, then every window page touched again',
        columns: ['personality', 'VMAs', 'window file PTEs', 'pswpout', 'pswpin', 'major faults on touch', 'data right', 'sim kernel ms'],
        rightAlign: [1, 2, 3, 4, 5, 7],
        rows: rows.map((r) => [r.personality, String(r.vmas), String(r.filePtesBeforeTouch), int(r.pswpout), int(r.pswpin),
          String(r.majorFaults), r.correct ? 'yes' : 'NO', r.kernelMs.toFixed(1)]),
        notes: ['linux-2.6 keeps the window one VMA and its offsets in file PTEs (Ingo Molnar\'s 2.5.66 patch);',
          'linux-4.0 has no file PTEs: the emulation keeps a VMA per remapped slot and refaults linearly.'],
      }],
      data: rows,
    };
  },
};
