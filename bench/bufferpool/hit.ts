/**
 * The hit path: fix + offset + unfix of pages already in the pool.
 *
 * A pool of HIT_SLOTS slots over a tmpfs file of HIT_SLOTS pages; HOT_PAGES of them are
 * fixed once at set-up, then op i fixes page i mod HOT_PAGES, reads the offset of its
 * bytes and unfixes it. No op misses (checked after the run).
 *
 *   fix-unfix.hit.nonlinear            shared fix; the window is mlocked, so the frame
 *                                      offset is cached per slot and no kernel call is made.
 *   fix-unfix.hit.multi-mmap / .pread  shared fix; these strategies pin the frame per fix
 *                                      (get_user_pages / put_page) — slower by design.
 *   fix-unfix.hit-exclusive.nonlinear  exclusive fix: the page is copied into a shadow
 *                                      frame (the WAL rule) and the shadow is dropped at
 *                                      unfix (not dirtied): one 4 KiB copy per op.
 */

import type { FixMode, StrategyName } from '../../bufferpool/index.js';
import type { TimedBench } from '../lib/harness.js';
import { MiB, check, checkPage, describe, poolRig, simClock, stampAt } from './common.js';

export const HIT_SLOTS = 1024;
export const HOT_PAGES = 512;
const HOT_MASK = HOT_PAGES - 1;
const CONFIG = { personality: 'linux-2.6' as const, ramBytes: 64 * MiB };

function hitBench(strategy: StrategyName, mode: FixMode, target: number | undefined): TimedBench {
  const b: TimedBench = {
    kind: 'timed',
    id: `fix-unfix.${mode === 'shared' ? 'hit' : 'hit-exclusive'}.${strategy}`,
    title: `fix(${mode}) + offset + unfix, ${strategy}, ${HOT_PAGES} resident pages cycled` +
      `${mode === 'exclusive' ? ' (shadow copy per fix)' : ''}`,
    unit: 'fix',
    config: `${describe(CONFIG)}, ${HIT_SLOTS} slots, clock`,
    setup() {
      const { k, pool } = poolRig(CONFIG, strategy, HIT_SLOTS, HIT_SLOTS, 'hit');
      for (let id = 0; id < HOT_PAGES; id++) checkPage(pool, id);
      const s0 = pool.stats();
      let c = 0;
      const run = mode === 'shared'
        ? (n: number): number => {
          let s = 0;
          for (let i = 0; i < n; i++) {
            const tok = pool.fix(c++ & HOT_MASK, 'shared');
            s += pool.offset(tok);
            pool.unfix(tok, false);
          }
          return s;
        }
        : (n: number): number => {
          let s = 0;
          for (let i = 0; i < n; i++) {
            const tok = pool.fix(c++ & HOT_MASK, 'exclusive');
            s += pool.offset(tok);
            pool.unfix(tok, false);
          }
          return s;
        };
      return {
        run,
        sim: simClock(k),
        after: () => {
          const st = pool.stats();
          return {
            fixes: st.fixes - s0.fixes, misses: st.misses - s0.misses, shadowCopies: st.shadowCopies - s0.shadowCopies,
            vmas: st.vmaCount,
          };
        },
        verify: () => {
          const st = pool.stats();
          check(st.misses === s0.misses, () => `${st.misses - s0.misses} misses on the hit path`);
          check(st.hits - s0.hits === c, () => `${st.hits - s0.hits} hits for ${c} fixes`);
          if (mode === 'exclusive') check(st.shadowCopies - s0.shadowCopies === c, () => `${st.shadowCopies - s0.shadowCopies} shadow copies for ${c} exclusive fixes`);
          for (let id = 0; id < HOT_PAGES; id += 31) {
            const tok = pool.fix(id, mode);
            const got = stampAt(pool, pool.offset(tok));
            pool.unfix(tok, false);
            check(got === id, () => `page ${id} shows file page ${got}`);
          }
          pool.checkInvariants();
          pool.close();
          k.checkInvariants();
        },
        dispose: () => k.shutdown(),
      };
    },
  };
  if (target !== undefined) b.target = target;
  return b;
}

export const hitBenches: TimedBench[] = [
  hitBench('nonlinear', 'shared', 10e6),
  hitBench('multi-mmap', 'shared', undefined),
  hitBench('pread', 'shared', undefined),
  hitBench('nonlinear', 'exclusive', undefined),
];
