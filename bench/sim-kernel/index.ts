/**
 * The sim-kernel suite: MMU, remap_file_pages, mmap/munmap micro-benchmarks and the
 * kernel-memory comparison of a nonlinear window with one mapping per page.
 */

import type { Suite } from '../lib/harness.js';
import { kernelEnvironment } from './common.js';
import { kmemReport } from './kmem.js';
import { mmapBenches } from './mmap.js';
import { mmuBenches } from './mmu.js';
import { reclaimBenches } from './reclaim.js';
import { seedReport } from './seed.js';
import { remapBenches } from './remap.js';

export const simKernelSuite: Suite = {
  name: 'sim-kernel',
  description: 'sim-kernel micro-benchmarks: translate/load32, remap_file_pages (2.6 and 4.0), mmap+munmap, kernel memory, reclaim and swap',
  environment() {
    return kernelEnvironment({
      'per-benchmark overrides': 'ramBytes and personality/arch as listed in each benchmark\'s config column',
    });
  },
  benches: [...mmuBenches, ...remapBenches, ...mmapBenches, kmemReport, ...reclaimBenches, seedReport],
};
