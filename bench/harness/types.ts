/**
 * The harness's records: what a cell runs (CellSpec), what it measured (CellResult), and
 * a whole run of the matrix (RunResult) as it is stored in the results database and
 * exported as JSON/CSV.
 */

import type { Environment } from '../lib/env.js';
import type { EngineSpec } from '../workloads/stores.js';
import type { CheckResult } from '../workloads/types.js';
import type { LatencySummary } from './histogram.js';

/** Workload name and its parameters (validated by the workload). */
export interface WorkloadSpec {
  name: string;
  params: Record<string, unknown>;
}

/** How long a run measures, after how much warm-up, by how many terminals. */
export interface RunLimits {
  terminals: number;
  /** Seconds of warm-up whose transactions are run but not counted. */
  warmupSeconds: number;
  /** Measured seconds; 0 = stop by `transactions` instead. */
  durationSeconds: number;
  /** Measured transactions; 0 = stop by `durationSeconds`. */
  transactions: number;
  /** Seconds between progress lines on stderr (0 = none). */
  progressSeconds: number;
}

/** One cell of the matrix: an engine configuration run against the workload's image. */
export interface CellSpec {
  /** Short stable id, e.g. 'remapdb-nonlinear-16384-2.6-x86_64', 'sqlite-16384', 'lmdb'. */
  id: string;
  /** Human label for tables. */
  label: string;
  engine: EngineSpec;
}

export interface TxTypeResult {
  name: string;
  /** Share of the target mix and of the transactions actually run, in percent. */
  targetPct: number;
  achievedPct: number;
  committed: number;
  rolledBack: number;
  errors: number;
  /** Latency of every measured transaction of this type (committed, rolled back and failed). */
  latency: LatencySummary;
  /** HdrHistogram compressed base64 (ns). */
  histogram: string;
}

/** remapdb's simulated machine over the measured phase (deltas) and at its end (state). */
export interface KernelFigures {
  vmas: number;
  kernelBytes: number;
  minorFaults: number;
  majorFaults: number;
  remaps: number;
  mmaps: number;
  munmaps: number;
  tlbShootdowns: number;
  tlbFlushes: number;
  swapOuts: number;
  swapIns: number;
  poolHits: number;
  poolMisses: number;
  evictions: number;
  writebacks: number;
  checkpoints: number;
  walBytes: number;
  walSyncs: number;
  /** Simulated kernel time over the measured phase, ns, and by event. */
  kernelNs: number;
  kernelNsByEvent: Record<string, { count: number; ns: number }>;
}

/** One second's figures of the measured phase (faults and evictions over time). */
export interface Sample {
  second: number;
  committed: number;
  majorFaults: number;
  minorFaults: number;
  evictions: number;
}

export interface CellResult {
  id: string;
  label: string;
  engine: EngineSpec;
  describe: string;
  /** Why the cell failed (null: it ran); a failed check also fails the cell. */
  error: string | null;
  warmupSeconds: number;
  seconds: number;
  committed: number;
  rolledBack: number;
  errors: number;
  /** First error messages seen (at most 5). */
  errorSamples: string[];
  txPerSec: number;
  /** TPC-C: committed New-Orders per minute (from Σ D_NEXT_O_ID), null otherwise. */
  nopm: number | null;
  types: TxTypeResult[];
  countersBefore: Record<string, number>;
  countersAfter: Record<string, number>;
  checks: CheckResult[];
  kernel: KernelFigures | null;
  samples: Sample[];
  dbBytes: number;
  rssBytes: number;
  /** The cell process's peak resident set. */
  peakRssBytes: number;
  heapUsedBytes: number;
  /** Garbage collections during the measured phase: how many, and their pauses in all. */
  gc: { count: number; pauseMs: number };
  openMs: number;
}

/** The load phase's record of an image (images.ts). */
export interface ImageManifest {
  version: number;
  workload: WorkloadSpec;
  seed: number;
  kind: string;
  rows: number;
  loadSeconds: number;
  /** The load process's peak resident set (the loader's memory stays bounded: it generates a district at a time). */
  peakRssBytes: number;
  rowsPerSec: number;
  bytes: number;
  checks: CheckResult[];
  createdAt: string;
}

export interface RunResult {
  runId: number | null;
  startedAt: string;
  finishedAt: string;
  workload: WorkloadSpec;
  seed: number;
  sync: string;
  limits: RunLimits;
  baseline: string;
  environment: Environment;
  versions: Record<string, string>;
  images: Record<string, ImageManifest>;
  cells: CellResult[];
  /**
   * What the run's durability meant for each engine, its checkpoints and caches, as
   * captioned when it ran (bench/lib/peers.ts durabilityNotes). Absent in runs recorded
   * before the peers were matched (then LMDB 'normal' was noMetaSync, SQLite kept its
   * default checkpoint and a cache of the pool's bytes, remapdb's 'normal' buffered
   * commits in user space): see durabilityCaption.
   */
  durability?: string[];
}

/** A run's durability captions: as recorded, or a warning that the run predates them. */
export function durabilityCaption(run: RunResult): string[] {
  return run.durability ?? ['Durability mapping not recorded with this run (it predates bench/lib/peers.ts): then LMDB \'normal\' was ' +
    'noMetaSync (an fdatasync per commit), SQLite kept wal_autocheckpoint 1000 pages and cache_size = the pool, and remapdb \'normal\' ' +
    'and \'off\' kept commits in a user-space buffer (lost on a process crash); see each cell\'s configuration.'];
}
