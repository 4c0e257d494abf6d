/**
 * The bufferpool suite: the pool's hit path (fix + offset + unfix of resident pages) per
 * strategy, its miss path (simulated kernel time and host rate per miss) per strategy and
 * personality, the side-by-side comparison of the strategies from 1K to 64K slots, and the
 * cost of per-page protection (guard mode, write-fault dirty tracking: guard.ts).
 */

import type { Suite } from '../lib/harness.js';
import { kernelEnvironment } from '../sim-kernel/common.js';
import { guardReport } from './guard.js';
import { hitBenches } from './hit.js';
import { missBenches } from './miss.js';
import { strategiesReport } from './strategies.js';

export const bufferpoolSuite: Suite = {
  name: 'bufferpool',
  description: 'buffer pool: fix/unfix hit path, miss path per strategy and personality, strategies side by side (VMAs, kernel bytes, sim µs/miss), guard mode and write-fault tracking',
  environment() {
    return kernelEnvironment({
      'pool': 'policy clock, default options (shadowSlots max(16, slots/8), evictBatch min(64, slots/8), nonlinear window mlocked)',
      'database file': 'a tmpfs file (/dev/shm) written in full first, so every page is in the page cache: no disk I/O on a miss',
      'per-benchmark overrides': 'ramBytes, personality and pool size as listed in each benchmark\'s config column',
    });
  },
  benches: [...hitBenches, ...missBenches, strategiesReport, guardReport],
};
