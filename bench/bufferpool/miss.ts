/**
 * The miss path: fix of a page that is not resident.
 *
 * A CLOCK pool of MISS_SLOTS slots over a tmpfs file of MISS_FILE_PAGES = 4 × MISS_SLOTS
 * pages; op i fixes (shared) the next page of a cyclic walk over the whole file (odd
 * stride, every page once per lap), reads its offset and unfixes it. A page comes back
 * only after every other page of the file has been fixed, by which time the pool (a
 * quarter of the file) has evicted it: every fix misses (checked). So the rate is
 * misses/s of host time, and sim/op is the simulated kernel time per miss — the load
 * (remap_file_pages / mmap / pread) plus its share of the batched evictions (munmap for
 * multi-mmap; nothing for nonlinear; nothing for pread, the pages are clean).
 */

import type { StrategyName } from '../../bufferpool/index.js';
import type { PersonalityName } from '../../sim-kernel/index.js';
import type { TimedBench } from '../lib/harness.js';
import { MiB, PERSONALITIES, STRATEGIES, WALK_STRIDE, check, checkPage, describe, poolRig, shortPersonality, simClock } from './common.js';

export const MISS_SLOTS = 1024;
export const MISS_FILE_PAGES = 4 * MISS_SLOTS;
const FILE_MASK = MISS_FILE_PAGES - 1;

function missBench(strategy: StrategyName, personality: PersonalityName): TimedBench {
  const cfg = { personality, ramBytes: 64 * MiB };
  return {
    kind: 'timed',
    id: `miss.${strategy}.${shortPersonality(personality)}`,
    title: `fix(shared) + offset + unfix of a non-resident page, ${strategy}, ${personality}: ` +
      `cyclic walk over ${MISS_FILE_PAGES} file pages, ${MISS_SLOTS} slots`,
    unit: 'miss',
    config: `${describe(cfg)}, ${MISS_SLOTS} slots, clock, tmpfs file ${MISS_FILE_PAGES} pages`,
    setup() {
      const { k, pool } = poolRig(cfg, strategy, MISS_SLOTS, MISS_FILE_PAGES, 'miss');
      let c = 0;
      const s0 = pool.stats();
      return {
        run(n) {
          let s = 0;
          for (let i = 0; i < n; i++) {
            const tok = pool.fix((c++ * WALK_STRIDE) & FILE_MASK, 'shared');
            s += pool.offset(tok);
            pool.unfix(tok, false);
          }
          return s;
        },
        sim: simClock(k),
        after: () => {
          const st = pool.stats();
          return {
            misses: st.misses - s0.misses, hitRate: st.hitRate, evictions: st.evictions, vmas: st.vmaCount,
            kernelBytes: st.kernelBytes, 'kernelNsPerMiss(stats)': Math.round(st.kernelNsPerMiss),
          };
        },
        verify: () => {
          const st = pool.stats();
          check(st.hits === s0.hits, () => `${st.hits - s0.hits} of ${c} fixes hit; the walk should miss every time`);
          check(st.misses - s0.misses === c, () => `${st.misses - s0.misses} misses for ${c} fixes`);
          check(st.evictions > 0, () => 'nothing was evicted');
          if (strategy === 'nonlinear' && personality === 'linux-2.6') {
            check(st.vmaCount === 2, () => `nonlinear pool has ${st.vmaCount} VMAs, expected 2 (window + shadow region)`);
          }
          // Resident or not, a fix shows the right page (uses the pool's own miss path).
          for (let id = 0; id < MISS_FILE_PAGES; id += 97) checkPage(pool, id);
          pool.checkInvariants();
          pool.close();
          k.checkInvariants();
        },
        dispose: () => k.shutdown(),
      };
    },
  };
}

export const missBenches: TimedBench[] = PERSONALITIES.flatMap((pers) => STRATEGIES.map((s) => missBench(s, pers)));
