/**
 * mmap + munmap of one page, on an otherwise empty address space (plus, for the file
 * variants, a resident tmpfs file of FILE_PAGES pages; call i maps page i mod FILE_PAGES).
 *
 *   untouched: the VMA is created and destroyed; no PTE, no page table.
 *   + touch:   one access in between — an anonymous zero-fill fault (a frame allocated
 *              and freed each time) or a minor fault on a cached file page.
 */

import {
  MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE,
} from '../../sim-kernel/index.js';
import type { TimedBench } from '../lib/harness.js';
import { MiB, PAGE, check, describe, machine, pageAt, residentTmpfsFile, simClock } from './common.js';

const CONFIG = { ramBytes: 64 * MiB };
const FILE_PAGES = 1024;
const FILE_MASK = FILE_PAGES - 1;
const RW = PROT_READ | PROT_WRITE;

type Kind = 'anon' | 'file';

function mmapBench(kind: Kind, touch: boolean, target: number | undefined): TimedBench {
  const b: TimedBench = {
    kind: 'timed',
    id: `mmap-munmap.${kind}${touch ? '.touch' : ''}`,
    title: `mmap + ${touch ? (kind === 'anon' ? 'store32 + ' : 'load32 + ') : ''}munmap 1 page, ${kind === 'anon'
      ? 'anonymous private' : 'tmpfs shared'}${touch ? '' : ', untouched'}`,
    unit: 'pair',
    config: describe(CONFIG),
    setup() {
      const k = machine(CONFIG);
      const p = k.spawn();
      const fd = kind === 'file' ? residentTmpfsFile(p, 'mmap', FILE_PAGES) : -1;
      const flags = kind === 'anon' ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED;
      let c = 0;
      let run: (n: number) => number;
      if (kind === 'anon' && !touch) {
        run = (n) => {
          let s = 0;
          for (let i = 0; i < n; i++) {
            const a = p.mmap(0, PAGE, RW, flags, -1, 0);
            p.munmap(a, PAGE);
            s += a;
          }
          return s;
        };
      } else if (kind === 'anon') {
        run = (n) => {
          let s = 0;
          for (let i = 0; i < n; i++) {
            const a = p.mmap(0, PAGE, RW, flags, -1, 0);
            p.store32(a, i);
            p.munmap(a, PAGE);
            s += a;
          }
          return s;
        };
      } else if (!touch) {
        run = (n) => {
          let s = 0;
          for (let i = 0; i < n; i++) {
            const a = p.mmap(0, PAGE, RW, flags, fd, (c++ & FILE_MASK) * PAGE);
            p.munmap(a, PAGE);
            s += a;
          }
          return s;
        };
      } else {
        run = (n) => {
          let s = 0;
          for (let i = 0; i < n; i++) {
            const a = p.mmap(0, PAGE, RW, flags, fd, (c++ & FILE_MASK) * PAGE);
            s += p.load32(a);
            p.munmap(a, PAGE);
          }
          return s;
        };
      }
      return {
        run,
        sim: simClock(k),
        after: () => ({ vmas: p.mm.mapCount, pageTables: p.mm.pt.tableCount }),
        verify: () => {
          check(p.mm.mapCount === 0, () => `${p.mm.mapCount} VMAs left after mmap/munmap pairs`);
          if (kind === 'file') {
            const a = p.mmap(0, PAGE, RW, flags, fd, 77 * PAGE);
            check(pageAt(p, a) === 77, () => 'a mapping of file page 77 reads another page');
            p.munmap(a, PAGE);
          }
          check(p.mm.rssAnon === 0 && p.mm.rssFile === 0, () => `rss ${p.mm.rssAnon}+${p.mm.rssFile} after unmapping everything`);
          k.checkInvariants();
        },
        dispose: () => k.shutdown(),
      };
    },
  };
  if (target !== undefined) b.target = target;
  return b;
}

export const mmapBenches: TimedBench[] = [
  mmapBench('anon', false, 500e3),
  mmapBench('file', false, 500e3),
  mmapBench('anon', true, undefined),
  mmapBench('file', true, undefined),
];
