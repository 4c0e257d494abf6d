/**
 * What one simulator seed runs on, drawn from the seed: the buffer-pool strategy, the
 * kernel personality, the durability mode, the pool and machine sizes (a tight machine
 * puts the working set under memory pressure, with swap), whether TPC-B-like
 * transactions join the key-value ones — and, per machine ("epoch"), which injected
 * faults that machine suffers.
 *
 * Invariants:
 *  1. Everything here is a pure function of the Rng's draws, so a seed replays exactly.
 *  2. A tight machine still holds the pool, the shadow frames and the hog's share of swap:
 *     memory pressure makes the kernel reclaim and swap, never makes the engine fail
 *     (an ENOMEM without an injected fault is reported as a failure).
 *  3. A machine gets fault rates only from chooseFaultRates(); the machines recovery is
 *     verified on get none (kernelConfig without faults).
 */

import type { FaultConfig } from '../../sim-kernel/index.js';
import { type KernelConfigInput, PERSONALITY_NAMES, type PersonalityName } from '../../sim-kernel/index.js';
import type { SyncMode } from '../../storage/index.js';
import type { Rng } from '../../bench/workloads/rng.js';
import { STRATEGIES, type StrategyName } from '../../bench/workloads/stores.js';

export const SIM_STRATEGIES: readonly StrategyName[] = STRATEGIES;
export const SIM_PERSONALITIES: readonly PersonalityName[] = PERSONALITY_NAMES;
/** 'off' is drawn too: it promises nothing after a power cut, so it gets its own check there (run.ts); a kill it must survive. */
export const SIM_SYNCS: readonly SyncMode[] = ['full', 'normal', 'off'];

const PAGE_BYTES = 4096;
const MiB = 1024 * 1024;

export interface SimConfig {
  strategy: StrategyName;
  personality: PersonalityName;
  sync: SyncMode;
  mlock: boolean;
  poolPages: number;
  shadowPages: number;
  /** 0 = automatic checkpoints off (manual ones and close only). */
  checkpointBytes: number;
  /** Simulated RAM and swap of every machine of the seed. */
  ramBytes: number;
  swapBytes: number;
  /** Pages of anonymous memory a second process sweeps to push the engine's pages out (0: none). */
  hogPages: number;
  /** Key space of the kv table: keys 0 .. keys-1. */
  keys: number;
  /** TPC-B-like tables (scale 1, this many accounts), or 0 for none. */
  tpcbAccounts: number;
}

/** Pick from a non-empty list. */
export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(0, xs.length - 1)] as T;
}

/** The seed's configuration: its first draws. */
export function chooseConfig(rng: Rng): SimConfig {
  const strategy = pick(rng, SIM_STRATEGIES);
  const personality = pick(rng, SIM_PERSONALITIES);
  const r = rng.float();
  const sync: SyncMode = r < 0.45 ? 'full' : r < 0.85 ? 'normal' : 'off';
  const mlock = rng.float() < 0.5;
  const poolPages = rng.int(16, 96);
  const shadowPages = rng.int(48, 128);
  // 16..384 KiB: several commits between checkpoints even though a page's first change
  // after one is logged whole (4..96 KiB before that made nearly every commit checkpoint).
  const checkpointBytes = rng.float() < 0.25 ? 0 : rng.int(16, 384) * 1024;
  const tight = rng.float() < 0.6;
  // Tight: the pool, its shadows, page tables and ~100-400 pages of page cache; the data
  // (a few hundred pages) and the hog's sweeps do not fit, so reclaim and swap run.
  const ramPages = tight ? poolPages + shadowPages + rng.int(100, 400) : 2048;
  const ramBytes = ramPages * PAGE_BYTES;
  const hogPages = tight && rng.float() < 0.7 ? Math.floor(ramPages * (0.5 + rng.float())) : 0;
  const swapBytes = Math.max(4 * MiB, 3 * ramBytes);
  const keys = rng.int(40, 400);
  const tpcbAccounts = rng.float() < 0.5 ? rng.int(20, 300) : 0;
  return {
    strategy, personality, sync, mlock, poolPages, shadowPages, checkpointBytes, ramBytes, swapBytes, hogPages, keys, tpcbAccounts,
  };
}

/** One line naming the configuration, printed at the start of a seed. */
export function describeConfig(c: SimConfig): string {
  return `${c.strategy} ${c.personality} sync=${c.sync} mlock=${String(c.mlock)} pool=${c.poolPages} shadow=${c.shadowPages} ` +
    `ckpt=${c.checkpointBytes === 0 ? 'manual' : `${c.checkpointBytes / 1024}K`} ram=${c.ramBytes / PAGE_BYTES}p` +
    `${c.hogPages > 0 ? ` hog=${c.hogPages}p` : ''} keys=${c.keys}${c.tpcbAccounts > 0 ? ` tpcb=${c.tpcbAccounts}` : ''}`;
}

/**
 * The fault rates of one machine: none (faults then come only from failNth/powerCutAt
 * plans armed by the steps), or a few rates high enough to hit within tens of steps and
 * low enough that work gets done first; sometimes an ENOSPC budget.
 */
export function chooseFaultRates(rng: Rng): Partial<FaultConfig> {
  if (rng.float() < 0.45) return {};
  const f: Partial<FaultConfig> = {};
  if (rng.float() < 0.4) f.readEioRate = 0.0005 + rng.float() * 0.004;
  if (rng.float() < 0.4) f.writeEioRate = 0.0005 + rng.float() * 0.004;
  if (rng.float() < 0.4) f.fsyncEioRate = 0.002 + rng.float() * 0.02;
  if (rng.float() < 0.3) f.tornWriteRate = 0.0005 + rng.float() * 0.004;
  if (rng.float() < 0.4) f.shortWriteRate = 0.01 + rng.float() * 0.1;
  if (rng.float() < 0.2) f.enospcAfterBytes = rng.int(16, 1024) * PAGE_BYTES;
  return f;
}

/** A machine of the seed's shape; `faults` only for the machines the workload runs on. */
export function kernelConfig(c: SimConfig, seed: number, faults: Partial<FaultConfig> = {}): KernelConfigInput {
  // volatileDiskCache: a power cut drops, keeps or tears every host write no fsync covered.
  return { personality: c.personality, ramBytes: c.ramBytes, swapBytes: c.swapBytes, seed: seed >>> 0, faults, volatileDiskCache: true };
}

export function hasRates(f: Partial<FaultConfig>): boolean {
  return Object.keys(f).length > 0;
}
