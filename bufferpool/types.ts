/**
 * The buffer pool's public types: options (and their defaults, resolvePoolOptions), the
 * WAL hook, statistics, the snapshot's rows and raw summary, and errors with stable codes
 * (poolKernelError maps a failed system call to REMAPDB_POOL_KERNEL). No state lives here.
 * The strategy and policy vocabularies are defined in strategies/strategy.ts and
 * policies/policy.ts; bugs are assertions (assert.ts), not codes.
 */

import { KernelError } from '../sim-kernel/index.js';
import { BufferPoolError, POOL_ERROR_CODES } from './errors.js';
import type { PolicyName } from './policies/policy.js';
import type { StrategyName } from './strategies/strategy.js';

/** Intent of a fix. A shared fix must not write the page's bytes. */
export type FixMode = 'shared' | 'exclusive';

/** BufferPoolOptions.dirtyTracking. */
export type DirtyTracking = 'explicit' | 'write-fault';
export const DIRTY_TRACKING_NAMES: readonly DirtyTracking[] = ['explicit', 'write-fault'];

/**
 * What the storage engine tells the pool about its log (the WAL rule: a page image
 * never reaches the data file before the log is durable up to the page's LSN).
 */
export interface WalHook {
  /** Highest LSN known durable in the log. */
  durableLsn(): number;
  /** Make the log durable up to at least `lsn` (fsync the WAL). */
  flushLog(lsn: number): void;
}

/** The hook of a pool without a log (tests, tools): everything counts as durable. */
export const NO_WAL_HOOK: WalHook = { durableLsn: () => Number.MAX_VALUE, flushLog: () => undefined };

export interface BufferPoolOptions {
  strategy: StrategyName;
  /** Resident pages (window slots, mappings, or frames). */
  slots: number;
  policy: PolicyName;
  /** Engine-owned frames for pages being changed (copy-on-fix). Default max(16, slots / 8). */
  shadowSlots?: number;
  /** nonlinear: mlock the window (MAP_LOCKED), as the big DBMSs did. Default true. */
  mlock?: boolean;
  /** Evict this many pages at once when the pool is full (vmcache: 64). */
  evictBatch?: number;
  /** Pages added to the file at a time when it must grow. Default 64. */
  growPages?: number;
  /** Catch misuse: stale handles, unfix of unpinned pages (each an assertion naming the page). */
  debug?: boolean;
  /**
   * Guard mode (guard.ts), the memory debugger built on per-page protection: a page no handle
   * has fixed is PROT_NONE, a page fixed for reading is read-only, and only an exclusive fix's
   * working copy is writable, so a load or store through a handle after its unfix, a stale
   * handle, or a write through a read fix faults at once (SIGSEGV); the error (REMAPDB_POOL_MISUSE)
   * names the page id, the slot and the slot's fix history. Checks every handle, as `debug` does
   * and more precisely (each fix is its own handle). Default false.
   */
  guard?: boolean;
  /**
   * How the pool learns that an exclusive fix changed its page: 'explicit' (default) trusts
   * unfix(token, dirtied); 'write-fault' maps each working copy read-only until the first store
   * through writeOffset(), whose protection fault marks the page dirty — the kernel's own way of
   * tracking dirty pages — so a missed `dirtied` flag cannot lose a write.
   */
  dirtyTracking?: DirtyTracking;
  wal?: WalHook;
  /**
   * Called after a miss brought page `pageId` in, with its bytes at bytes[offset, +pageSize):
   * the storage engine verifies the page's checksum here. A throw undoes the load.
   */
  onLoad?: (pageId: number, bytes: Uint8Array, offset: number) => void;
  /**
   * Called in flush() just before an installed change is written to the data file (and when a
   * dirty page is evicted), with
   * the page's bytes (writable) and its LSN: the storage engine seals the page (header LSN
   * and checksum) here. The change is logged, so sealing it in place is safe.
   */
  beforeWriteBack?: (pageId: number, bytes: Uint8Array, offset: number, lsn: number) => void;
}

/** The options as the pool runs with them: every default filled in. */
export type ResolvedPoolOptions = Required<Omit<BufferPoolOptions, 'wal' | 'onLoad' | 'beforeWriteBack'>>;

/** Fill in the defaults documented on BufferPoolOptions (evictBatch is also capped at slots / 8). */
export function resolvePoolOptions(opts: BufferPoolOptions): ResolvedPoolOptions {
  const slots = opts.slots;
  return {
    strategy: opts.strategy,
    slots,
    policy: opts.policy,
    shadowSlots: opts.shadowSlots ?? Math.max(16, Math.floor(slots / 8)),
    mlock: opts.mlock ?? true,
    evictBatch: Math.max(1, Math.min(opts.evictBatch ?? 64, Math.floor(slots / 8) || 1)),
    growPages: opts.growPages ?? 64,
    debug: opts.debug ?? false,
    guard: opts.guard ?? false,
    dirtyTracking: opts.dirtyTracking ?? 'explicit',
  };
}

export { BufferPoolError, POOL_ERROR_CODES } from './errors.js';

/** A failed system call as the pool reports it (REMAPDB_POOL_KERNEL, `what` said first); other errors pass through. */
export function poolKernelError(err: unknown, what: string): Error {
  if (err instanceof BufferPoolError) return err;
  if (err instanceof KernelError) return new BufferPoolError(POOL_ERROR_CODES.KERNEL, `${what}: ${err.message}`, { cause: err });
  return err as Error;
}

/** REMAPDB_POOL_EXHAUSTED: no slot can be freed (every one is fixed or holds a change not yet logged). */
export function slotsExhausted(pins: Int32Array): BufferPoolError {
  let pinned = 0;
  for (let s = 0; s < pins.length; s++) if ((pins[s] as number) > 0) pinned++;
  return new BufferPoolError(POOL_ERROR_CODES.EXHAUSTED, `all ${pins.length} slots are in use: ${pinned} fixed, ` +
    `${pins.length - pinned} holding changes not yet logged; unfix pages or commit, or open with more slots`,
  { details: { slots: pins.length, pinned } });
}

export interface BufferPoolStats {
  strategy: StrategyName;
  policy: PolicyName;
  personality: string;
  slots: number;
  resident: number;
  fixes: number;
  hits: number;
  misses: number;
  hitRate: number;
  evictions: number;
  writebacks: number;
  installs: number;
  shadowCopies: number;
  remaps: number;
  mmaps: number;
  munmaps: number;
  preads: number;
  pwrites: number;
  minorFaults: number;
  majorFaults: number;
  tlbShootdowns: number;
  tlbFlushes: number;
  swapOuts: number;
  vmaCount: number;
  kernelBytes: number;
  kernelNs: number;
  kernelNsPerMiss: number;
  logFlushesForced: number;
  /** Guard mode and write-fault tracking: mprotect calls the pool made (guard.ts). */
  protChanges: number;
  /** Write-fault tracking: first stores to a clean working copy that faulted and marked it dirty. */
  writeFaults: number;
}

export type PteState = 'present' | 'file' | 'swap' | 'none';

export interface SlotSnapshot {
  slot: number;
  pageId: number;
  pins: number;
  dirty: boolean;
  usage: number;
  /** LSN of the page's newest change (null: none since load). */
  pageLsn: number | null;
  /** A change not yet installed: the page is served from an engine-owned shadow frame. */
  shadowed: boolean;
  /** It has a working copy (changes not logged yet). */
  working: boolean;
  /** It has a pending copy (logged, waiting for the log to be durable). */
  pending: boolean;
  /** Older pending copies kept until the page's pins go (a reader may still see them). */
  retired: number;
  pte: PteState;
  frame: number;
  /** Virtual address of the slot's page (-1: none). */
  addr: number;
  /** The file page the slot's PTE maps or, as a file PTE, holds (-1: none or not a file page). */
  pgoff: number;
  /** The protection of the slot's page as its PTE gives it (guard mode changes it; '-': no PTE). */
  prot: 'none' | 'r' | 'rw' | '-';
}

/**
 * The pool's totals at snapshot time, in remapdb's names (units last). Counters are
 * since open. The inspection layer derives what it shows from these (free slots =
 * slotCount - usedSlots, average usage count = usageCountSum / usedSlots, hit rate =
 * hits / fixes) and names them as PostgreSQL and InnoDB do (storage/introspect.ts).
 */
export interface PoolSummary {
  slotCount: number;
  /** Slots holding a page. */
  usedSlots: number;
  /** Used slots whose page is newer than the file (installed, or with a shadow copy). */
  dirtySlots: number;
  /** Used slots fixed right now. */
  pinnedSlots: number;
  /** Sum over used slots of the policy's usage value. */
  usageCountSum: number;
  fixes: number;
  hits: number;
  /** Fixes that had to load the page (reads from the file or page cache). */
  misses: number;
  /** Installed changes written to the data file (flush, and dirty evictions where the strategy writes them). */
  writebacks: number;
  /** Pages appended to the file by allocate(). */
  createdPages: number;
}

export interface PoolSnapshot {
  summary: PoolSummary;
  slots: SlotSnapshot[];
  /** The nonlinear strategy's window, or null. */
  window: { addr: number; pages: number } | null;
  /**
   * The strategy copies pages into anonymous frames (Strategy.copiesPages): a slot's
   * address then maps no file page, so its PTE's offset says nothing about the slot's page.
   */
  copiesPages: boolean;
}
