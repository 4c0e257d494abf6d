/**
 * Shared set-up for the bufferpool benchmarks: a machine with a resident tmpfs database
 * file (reusing the sim-kernel suite's helpers), a pool over it, and checks that a fixed
 * page shows the right file page.
 *
 * The database file is /dev/shm/<name>, written page by page first, so every page is in
 * the page cache (tmpfs lives in RAM): a miss costs the strategy's mapping or copy work,
 * never disk I/O. Page i's first word holds i ^ STAMP (sim-kernel/common.ts).
 */

import { type BufferPool, type StrategyName, openBufferPool, STRATEGY_NAMES } from '../../bufferpool/index.js';
import { type Kernel, type KernelConfigInput, PERSONALITY_NAMES, type PersonalityName, type Process } from '../../sim-kernel/index.js';
import { STAMP, check, machine, residentTmpfsFile } from '../sim-kernel/common.js';

export { MiB, PAGE, check, describe, simClock } from '../sim-kernel/common.js';

export const STRATEGIES: readonly StrategyName[] = STRATEGY_NAMES;
export const PERSONALITIES: readonly PersonalityName[] = PERSONALITY_NAMES;

/** "2.6" / "4.0" for benchmark ids. */
export function shortPersonality(p: PersonalityName): string {
  return p === 'linux-2.6' ? '2.6' : '4.0';
}

export interface PoolRig {
  k: Kernel;
  p: Process;
  fd: number;
  pool: BufferPool;
  filePages: number;
}

/**
 * A machine with a `filePages`-page resident tmpfs file and a CLOCK pool of `slots`
 * slots over it. Throws what openBufferPool throws (e.g. REMAPDB_POOL_CONFIG); the
 * machine is shut down then.
 */
export function poolRig(cfg: KernelConfigInput, strategy: StrategyName, slots: number, filePages: number, name = 'db'): PoolRig {
  const k = machine(cfg);
  try {
    const p = k.spawn();
    const fd = residentTmpfsFile(p, name, filePages);
    const pool = openBufferPool(k, p, fd, { strategy, slots, policy: 'clock' }, filePages);
    return { k, p, fd, pool, filePages };
  } catch (err) {
    k.shutdown();
    throw err;
  }
}

/** The file page whose bytes start at `off` in the pool's `bytes` (by its stamp). */
export function stampAt(pool: BufferPool, off: number): number {
  const b = pool.bytes;
  const w = (b[off] as number) | ((b[off + 1] as number) << 8) | ((b[off + 2] as number) << 16) | ((b[off + 3] as number) << 24);
  return (w ^ STAMP) >>> 0;
}

/** Fix `pageId` shared, check its bytes are that page's, unfix. */
export function checkPage(pool: BufferPool, pageId: number): void {
  const tok = pool.fix(pageId, 'shared');
  const got = stampAt(pool, pool.offset(tok));
  pool.unfix(tok, false);
  check(got === pageId, () => `${pool.strategyName}: a fix of page ${pageId} shows file page ${got}`);
}

/**
 * The i-th page of a cyclic walk over `pages` pages (a power of two) with an odd
 * stride: every page once per lap, neighbours in time never file-neighbours, so
 * multi-mmap's one-page mappings do not merge by accident of a sequential scan.
 */
export const WALK_STRIDE = 7919;
