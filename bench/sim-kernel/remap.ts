/**
 * remap_file_pages of one page into a window of WINDOW_SLOTS slots over a tmpfs file of
 * FILE_PAGES pages, all in RAM. Call c remaps slot c mod WINDOW_SLOTS to file page
 * (c × STRIDE) mod FILE_PAGES: an odd stride walks every page of the file, and the page
 * a slot receives always differs from the one it holds, so every call replaces a PTE.
 *
 *   linux-2.6: the native path — page-table work only, the window stays one VMA.
 *   linux-4.0: the emulation — an mmap(MAP_FIXED|MAP_POPULATE) per call; the window
 *              is cut into one VMA per slot (reported after the run).
 * The "+ touch" variants read the page through the MMU after each remap.
 */

import { MAP_SHARED, PROT_READ, PROT_WRITE, type PersonalityName } from '../../sim-kernel/index.js';
import type { TimedBench } from '../lib/harness.js';
import { MiB, PAGE, check, describe, machine, pageAt, residentTmpfsFile, simClock } from './common.js';

export const WINDOW_SLOTS = 1024;
export const FILE_PAGES = 65536;
const SLOT_MASK = WINDOW_SLOTS - 1;
const FILE_MASK = FILE_PAGES - 1;
const STRIDE = 7919;
/** The file (256 MiB) and its page tables must fit with room to spare. */
const RAM = 512 * MiB;

function remapBench(personality: PersonalityName, touch: boolean, target: number | undefined): TimedBench {
  const cfg = { personality, ramBytes: RAM };
  const b: TimedBench = {
    kind: 'timed',
    id: `remap.${personality === 'linux-2.6' ? '2.6' : '4.0'}${touch ? '.touch' : ''}`,
    title: `remap_file_pages 1 page${touch ? ' + load32' : ''}, ${personality}, ${WINDOW_SLOTS}-slot window`,
    unit: 'call',
    config: describe(cfg),
    setup() {
      const k = machine(cfg);
      const p = k.spawn();
      const fd = residentTmpfsFile(p, 'remap', FILE_PAGES);
      const win = p.mmap(0, WINDOW_SLOTS * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      /** File page each slot should now show. */
      const holds = new Int32Array(WINDOW_SLOTS);
      for (let s = 0; s < WINDOW_SLOTS; s++) holds[s] = s;
      let c = 0;
      const vmBefore = k.vmstatFields();
      return {
        run: touch
          ? (n) => {
            let sum = 0;
            for (let i = 0; i < n; i++) {
              c++;
              const slot = c & SLOT_MASK;
              const pgoff = (c * STRIDE) & FILE_MASK;
              const addr = win + slot * PAGE;
              p.remap_file_pages(addr, PAGE, 0, pgoff, 0);
              sum += p.load32(addr);
              holds[slot] = pgoff;
            }
            return sum;
          }
          : (n) => {
            for (let i = 0; i < n; i++) {
              c++;
              const slot = c & SLOT_MASK;
              const pgoff = (c * STRIDE) & FILE_MASK;
              p.remap_file_pages(win + slot * PAGE, PAGE, 0, pgoff, 0);
              holds[slot] = pgoff;
            }
            return c;
          },
        sim: simClock(k),
        after: () => {
          const vm = k.vmstatFields();
          const d = (name: string): number => (vm[name] ?? 0) - (vmBefore[name] ?? 0);
          return {
            vmas: p.mm.mapCount,
            calls: c,
            vmaSplits: d('nr_vma_splits'),
            vmaMerges: d('nr_vma_merges'),
            kernelBytes: k.kernelMemory().totalBytes,
          };
        },
        verify: () => {
          for (let s = 0; s < WINDOW_SLOTS; s += 37) {
            const want = holds[s] as number;
            const got = pageAt(p, win + s * PAGE);
            check(got === want, () => `slot ${s} shows file page ${got}, expected ${want}`);
          }
          if (personality === 'linux-2.6') check(p.mm.mapCount === 1, () => `2.6 window is ${p.mm.mapCount} VMAs, expected 1`);
          k.checkInvariants();
        },
        dispose: () => k.shutdown(),
      };
    },
  };
  if (target !== undefined) b.target = target;
  return b;
}

export const remapBenches: TimedBench[] = [
  remapBench('linux-2.6', false, 2e6),
  remapBench('linux-2.6', true, undefined),
  remapBench('linux-4.0', false, undefined),
  remapBench('linux-4.0', true, undefined),
];
