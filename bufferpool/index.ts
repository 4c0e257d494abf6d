/**
 * bufferpool: one BufferPool interface over three strategies — a nonlinear window
 * (remap_file_pages), one mmap per page, and classic pread/pwrite frames — with
 * pluggable replacement policies (CLOCK, LRU, 2Q), the WAL rule enforced through
 * engine-owned shadow frames, statistics and a per-slot snapshot.
 *
 * Offers openBufferPool() (validates the options, builds the strategy), the BufferPool
 * class, the vocabularies (STRATEGY_NAMES, POLICY_NAMES), the public types and errors
 * (BufferPoolError with POOL_ERROR_CODES; BufferPoolAssertionError for bugs). Inside:
 * pool.ts (fix/unfix/evict core), shadows.ts (WAL-rule copies), guard.ts + guarded-strategy.ts (guard mode and
 * write-fault dirty tracking on per-page protection), page-hooks.ts (onLoad / beforeWriteBack), pool-stats.ts (counters,
 * stats, snapshot), pool-invariants.ts (checkInvariants' walk), page-map.ts, file-extent.ts,
 * assert.ts, types.ts, strategies/, policies/. Other layers import this file only.
 */

import type { Kernel, Process } from '../sim-kernel/index.js';
import { POLICY_NAMES } from './policies/index.js';
import { BufferPool, MAX_SLOTS } from './pool.js';
import { createStrategy, STRATEGY_NAMES, type StrategyContext } from './strategies/index.js';
import { BufferPoolError, type BufferPoolOptions, DIRTY_TRACKING_NAMES, POOL_ERROR_CODES } from './types.js';

export { BufferPool } from './pool.js';
export { type PolicyName, POLICY_NAMES, type ReplacementPolicy } from './policies/index.js';
export { STRATEGY_NAMES, type StrategyName } from './strategies/index.js';
export { BufferPoolAssertionError } from './assert.js';
export { HANDLES, HISTORY, type MisuseKind } from './guard.js';
export {
  BufferPoolError, type BufferPoolOptions, DIRTY_TRACKING_NAMES, type DirtyTracking, type BufferPoolStats, type FixMode, POOL_ERROR_CODES, type PoolSnapshot, type PoolSummary,
  type PteState, type SlotSnapshot, type WalHook,
} from './types.js';

/** Largest pool: fix tokens address slots below MAX_SLOTS (22 bits, pool.ts). */
export const MAX_POOL_SLOTS = MAX_SLOTS - 1;

/**
 * Open a buffer pool over the open database file `fd` of process `proc`. The database
 * page size is the kernel's page size. `pageCount` is the number of pages in use (the
 * file may be longer); it defaults to the file's size in pages.
 */
export function openBufferPool(kernel: Kernel, proc: Process, fd: number, options: BufferPoolOptions, pageCount?: number): BufferPool {
  const bad = (key: string, value: unknown, allowed: string): never => {
    throw new BufferPoolError(POOL_ERROR_CODES.CONFIG, `bufferpool.${key} = ${JSON.stringify(value)} is invalid; allowed: ${allowed}`,
      { details: { key, value, allowed } });
  };
  if (!STRATEGY_NAMES.includes(options.strategy)) bad('strategy', options.strategy, STRATEGY_NAMES.join(' | '));
  if (!POLICY_NAMES.includes(options.policy)) bad('policy', options.policy, POLICY_NAMES.join(' | '));
  if (!Number.isInteger(options.slots) || options.slots < 1 || options.slots > MAX_POOL_SLOTS) {
    bad('slots', options.slots, `an integer from 1 to ${MAX_POOL_SLOTS}`);
  }
  if (options.shadowSlots !== undefined && (!Number.isInteger(options.shadowSlots) || options.shadowSlots < 1)) {
    bad('shadowSlots', options.shadowSlots, 'an integer >= 1');
  }
  if (options.evictBatch !== undefined && (!Number.isInteger(options.evictBatch) || options.evictBatch < 1)) {
    bad('evictBatch', options.evictBatch, 'an integer >= 1');
  }
  if (options.guard !== undefined && typeof options.guard !== 'boolean') bad('guard', options.guard, 'true | false');
  if (options.dirtyTracking !== undefined && !DIRTY_TRACKING_NAMES.includes(options.dirtyTracking)) {
    bad('dirtyTracking', options.dirtyTracking, DIRTY_TRACKING_NAMES.join(' | '));
  }
  const ctx: StrategyContext = { proc, fd, slots: options.slots, pageSize: proc.pageSize, mlock: options.mlock ?? true };
  const strategy = createStrategy(options.strategy, ctx);
  const pages = pageCount ?? Math.ceil(proc.fstat(fd).size / proc.pageSize);
  return new BufferPool(kernel, proc, fd, strategy, options, pages);
}
