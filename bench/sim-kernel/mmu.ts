/**
 * The MMU path: translate() and load32() on resident pages of a shared tmpfs mapping.
 *
 *   hit:  a loop over HOT_PAGES pages (consecutive, so each has its own TLB entry) —
 *         the TLB-hit path, no simulated time.
 *   miss: a sequential loop over MISS_PAGES pages, 4× the TLB: in a direct-mapped TLB
 *         each access evicts the entry the next lap needs, so every access misses and
 *         walks the page tables (one pageWalk of simulated time), never faults.
 */

import { MAP_SHARED, PROT_READ, PROT_WRITE, type Process } from '../../sim-kernel/index.js';
import type { Prepared, TimedBench } from '../lib/harness.js';
import { MiB, PAGE, check, describe, machine, pageAt, residentTmpfsFile, simClock } from './common.js';

const CONFIG = { ramBytes: 64 * MiB };
const HOT_PAGES = 8;
const HOT_MASK = HOT_PAGES - 1;
const TLB_ENTRIES = 1024;
const MISS_PAGES = 4 * TLB_ENTRIES;
const MISS_MASK = MISS_PAGES - 1;

interface MmuState {
  p: Process;
  /** Address of the window's first page. */
  base: number;
  /** Wrap a run loop with the kernel's clock, checks and disposal. */
  prepared: (run: (n: number) => number) => Prepared;
}

/** A window of MISS_PAGES resident pages, all faulted in, mapped shared read-write. */
function mmuSetup(): MmuState {
  const k = machine({ ...CONFIG, tlbEntries: TLB_ENTRIES });
  const p = k.spawn();
  const fd = residentTmpfsFile(p, 'mmu', MISS_PAGES);
  const base = p.mmap(0, MISS_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  for (let i = 0; i < MISS_PAGES; i++) p.translate(base + i * PAGE, true); // present, dirty PTEs
  const prepared = (run: (n: number) => number): Prepared => ({
    run,
    sim: simClock(k),
    after: () => ({ tlbHits: p.mm.tlb.hits, tlbMisses: p.mm.tlb.misses }),
    verify: () => {
      for (const i of [0, 1, HOT_MASK, MISS_PAGES >> 1, MISS_MASK]) {
        const got = pageAt(p, base + i * PAGE);
        check(got === i, () => `page ${i} of the window reads file page ${got}`);
      }
      k.checkInvariants();
    },
    dispose: () => k.shutdown(),
  });
  return { prepared, base, p };
}

export const mmuBenches: TimedBench[] = [
  {
    kind: 'timed', id: 'translate.hit', title: `translate(read), TLB hit, ${HOT_PAGES} pages`, unit: 'translate',
    target: 20e6, config: describe(CONFIG),
    setup() {
      const { prepared, base, p } = mmuSetup();
      return prepared((n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += p.translate(base + ((i & HOT_MASK) << 12) + 64, false);
        return s;
      });
    },
  },
  {
    kind: 'timed', id: 'translate.hit-write', title: `translate(write), TLB hit, ${HOT_PAGES} dirty pages`, unit: 'translate',
    config: describe(CONFIG),
    setup() {
      const { prepared, base, p } = mmuSetup();
      return prepared((n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += p.translate(base + ((i & HOT_MASK) << 12) + 64, true);
        return s;
      });
    },
  },
  {
    kind: 'timed', id: 'translate.miss', title: `translate(read), TLB miss, ${MISS_PAGES} pages > ${TLB_ENTRIES} entries`,
    unit: 'translate', config: describe(CONFIG),
    setup() {
      const { prepared, base, p } = mmuSetup();
      return prepared((n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += p.translate(base + ((i & MISS_MASK) << 12) + 64, false);
        return s;
      });
    },
  },
  {
    kind: 'timed', id: 'load32.hit', title: `load32, TLB hit, ${HOT_PAGES} pages`, unit: 'load',
    config: describe(CONFIG),
    setup() {
      const { prepared, base, p } = mmuSetup();
      return prepared((n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += p.load32(base + ((i & HOT_MASK) << 12) + 64);
        return s;
      });
    },
  },
  {
    kind: 'timed', id: 'load32.miss', title: `load32, TLB miss, ${MISS_PAGES} pages`, unit: 'load',
    config: describe(CONFIG),
    setup() {
      const { prepared, base, p } = mmuSetup();
      return prepared((n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += p.load32(base + ((i & MISS_MASK) << 12) + 64);
        return s;
      });
    },
  },
];
