/**
 * The benchmark suites `bench/run.ts` knows, in the order a full run executes them.
 * Adding a suite (bufferpool, storage, workloads) is one import and one entry here.
 */

import type { Suite } from './lib/harness.js';
import { bufferpoolSuite } from './bufferpool/index.js';
import { simKernelSuite } from './sim-kernel/index.js';
import { perfSuite } from './perf/index.js';
import { storageSuite } from './storage/index.js';

export const SUITES: readonly Suite[] = [
  simKernelSuite,
  bufferpoolSuite,
  storageSuite,
  perfSuite,
];
