/**
 * The benchmark's command-line options, declared once for `remapdb bench` and
 * `npm run workload` (bench/workload.ts): addBenchOptions() adds them to a yargs parser,
 * planBench() checks the values and turns them into one MatrixOptions per workload ×
 * sync mode, and runPlan() runs those, recording each run in the results database.
 * Every bad value is a UsageError naming the flag, the value and what is allowed.
 */

import { randomInt } from 'node:crypto';

import type { Argv } from 'yargs';

import { UsageError } from '../../src/index.js';
import { defaultSocketPath } from '../../src/index.js';
import { ARCH_NAMES, PERSONALITY_NAMES } from '../../sim-kernel/index.js';
import { type SqliteCheckpoint, SQLITE_CHECKPOINTS } from '../lib/peers.js';
import {
  type Arch, ENGINE_KINDS, type EngineKind, type Personality, STRATEGIES, type StrategyName, SYNC_MODES, type SyncMode,
} from '../workloads/stores.js';
import { DEFAULT_WORK_DIR, expandCells, type MatrixOptions, runMatrix } from './matrix.js';
import type { ProgressEvent } from './progress.js';
import { WORKLOAD_NAMES } from './registry.js';
import { DEFAULT_RESULTS_DB, ResultsDb } from './results-db.js';
import type { RunResult } from './types.js';

/** Where a benchmark's remapdb cells serve live inspection unless told otherwise. */
export const DEFAULT_INSPECT_SOCKET = defaultSocketPath('bench');

export const YCSB_ALL = ['ycsb-a', 'ycsb-b', 'ycsb-c', 'ycsb-d', 'ycsb-e', 'ycsb-f'];

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter((x) => x !== '');

function oneOf<T extends string>(flag: string, allowed: readonly T[], s: string): T[] {
  const xs = list(s);
  for (const x of xs) if (!(allowed as readonly string[]).includes(x)) throw new UsageError(`--${flag} ${x}: not one of ${allowed.join(', ')}`);
  if (xs.length === 0) throw new UsageError(`--${flag}: name at least one of ${allowed.join(', ')}`);
  return xs as T[];
}

function ints(flag: string, s: string, min: number, max: number): number[] {
  const xs = list(s).map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag} ${x}: an integer from ${min} to ${max}`);
    return n;
  });
  if (xs.length === 0) throw new UsageError(`--${flag}: give at least one value`);
  return xs;
}

function inRange(flag: string, v: number | undefined, min: number, max: number, integer: boolean): void {
  if (v === undefined) return;
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new UsageError(`--${flag} ${String(v)}: ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
}

/** `--param key=value` flags as workload parameters: numbers and booleans typed, the rest strings. */
export function parseParams(list: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const p of list) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param ${p}: expected key=value`);
    const v = p.slice(eq + 1);
    params[p.slice(0, eq)] = v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return params;
}

export function addBenchOptions<T>(y: Argv<T>) {
  return y
    .option('engines', { type: 'string', default: ENGINE_KINDS.join(','), requiresArg: true, describe: `engines to run: ${ENGINE_KINDS.join(', ')}` })
    .option('strategies', { type: 'string', default: STRATEGIES.join(','), requiresArg: true, describe: `remapdb buffer-pool strategies: ${STRATEGIES.join(', ')}` })
    .option('pool-pages', { type: 'string', default: '16384', requiresArg: true,
      describe: 'remapdb pool slots (4 KiB pages), comma list (64..4194303); SQLite gets a cache of the pool + the page cache remapdb can use' })
    .option('sqlite-checkpoint', { type: 'string', default: SQLITE_CHECKPOINTS.join(','), requiresArg: true,
      describe: "SQLite cells: wal_autocheckpoint at its default (1000 pages) and/or matched to remapdb's checkpointBytes: default, matched" })
    .option('personality', { type: 'string', default: 'linux-2.6', requiresArg: true, describe: 'kernel personalities: linux-2.6, linux-4.0' })
    .option('arch', { type: 'string', default: 'x86_64', requiresArg: true, describe: 'architectures: x86_64, i386, i386-pae' })
    .option('mlock', { type: 'boolean', default: true, describe: "mlock remapdb's pool (--no-mlock: let it swap)" })
    .option('ram-mib', { type: 'number', default: 0, requiresArg: true, describe: 'simulated RAM for remapdb in MiB (0: sized from the pool)' })
    .option('sync', { type: 'string', default: 'off', requiresArg: true, describe: 'durability level for every engine: off, normal, full (comma list: one run each; bench/lib/peers.ts maps each level)' })
    .option('warehouses', { type: 'number', requiresArg: true, describe: 'TPC-C scale, 1..1000 (default 1)' })
    .option('scale', { type: 'number', requiresArg: true, describe: 'TPC-B scale, 1..10000 (default 10)' })
    .option('records', { type: 'number', requiresArg: true, describe: 'YCSB record count (default 1,000,000)' })
    .option('param', { type: 'string', array: true, default: [] as string[], requiresArg: true, describe: 'workload parameter key=value (e.g. items=1000)' })
    .option('terminals', { type: 'number', requiresArg: true, describe: 'clients taking turns, 1..1000 (default: warehouses for TPC-C, else 1)' })
    .option('duration', { type: 'number', default: 30, requiresArg: true, describe: 'measured seconds per cell (0: use --count)' })
    .option('count', { type: 'number', default: 0, requiresArg: true, describe: 'measured transactions per cell (instead of --duration)' })
    .option('warmup', { type: 'number', default: 5, requiresArg: true, describe: 'warm-up seconds per cell, not counted' })
    .option('seed', { type: 'number', requiresArg: true, describe: 'run seed (default: random, printed)' })
    .option('baseline', { type: 'string', default: '', requiresArg: true, describe: 'cell id or label the ratios are against (default SQLite ckpt matched)' })
    .option('work-dir', { type: 'string', default: DEFAULT_WORK_DIR, requiresArg: true, describe: 'images and cell copies' })
    .option('fresh-load', { type: 'boolean', default: false, describe: 'load the images again' })
    .option('keep', { type: 'boolean', default: false, describe: "keep each cell's database after the run (for remapdb inspect)" })
    .option('results', { type: 'string', default: DEFAULT_RESULTS_DB, requiresArg: true, describe: 'results database (SQLite); "" to skip' })
    .option('progress', { type: 'number', default: 5, requiresArg: true, describe: 'seconds between progress lines in the log (0: none)' })
    .option('inspect-socket', { type: 'string', default: DEFAULT_INSPECT_SOCKET, requiresArg: true,
      describe: 'serve each remapdb cell live on this Unix socket for remapdb inspect --live PATH ("" = off)' });
}

/** The parsed options addBenchOptions() declares. */
export interface BenchArgs {
  engines: string; strategies: string; 'pool-pages': string; 'sqlite-checkpoint': string; personality: string; arch: string; mlock: boolean; 'ram-mib': number;
  sync: string; warehouses?: number | undefined; scale?: number | undefined; records?: number | undefined; param: string[];
  terminals?: number | undefined; duration: number; count: number; warmup: number; seed?: number | undefined; baseline: string;
  'work-dir': string; 'fresh-load': boolean; keep: boolean; results: string; progress: number; 'inspect-socket'?: string | undefined;
}

export interface BenchPlan {
  seed: number;
  runs: Omit<MatrixOptions, 'log'>[];
  results: string;
}

/** Check every value and expand workloads × sync modes into matrix runs. */
export function planBench(workloadList: string, a: BenchArgs): BenchPlan {
  const workloads = list(workloadList).flatMap((w) => (w === 'ycsb' ? YCSB_ALL : [w]));
  if (workloads.length === 0) throw new UsageError(`name a workload: ${WORKLOAD_NAMES.join(', ')}, ycsb`);
  for (const w of workloads) if (!WORKLOAD_NAMES.includes(w)) throw new UsageError(`workload ${w}: not one of ${WORKLOAD_NAMES.join(', ')}, ycsb`);
  const engines = oneOf<EngineKind>('engines', ENGINE_KINDS, a.engines);
  const strategies = oneOf<StrategyName>('strategies', STRATEGIES, a.strategies);
  const personalities = oneOf<Personality>('personality', PERSONALITY_NAMES, a.personality);
  const archs = oneOf<Arch>('arch', ARCH_NAMES, a.arch);
  const syncs = oneOf<SyncMode>('sync', SYNC_MODES, a.sync);
  const sqliteCheckpoints = oneOf<SqliteCheckpoint>('sqlite-checkpoint', SQLITE_CHECKPOINTS, a['sqlite-checkpoint']);
  const poolPages = ints('pool-pages', a['pool-pages'], 64, 2 ** 22 - 1);
  inRange('ram-mib', a['ram-mib'], 0, 1 << 20, false);
  inRange('warehouses', a.warehouses, 1, 1000, true);
  inRange('scale', a.scale, 1, 10000, true);
  inRange('records', a.records, 1, 1e9, true);
  inRange('terminals', a.terminals, 1, 1000, true);
  inRange('duration', a.duration, 0, 7 * 86400, false);
  inRange('count', a.count, 0, 1e12, true);
  inRange('warmup', a.warmup, 0, 86400, false);
  inRange('seed', a.seed, 1, 2 ** 31 - 1, true);
  inRange('progress', a.progress, 0, 3600, false);
  if (a.duration === 0 && a.count === 0) throw new UsageError('--duration 0 needs --count N (measured transactions per cell)');
  const params = parseParams(a.param);
  const seed = a.seed ?? randomInt(1, 2 ** 31);
  const runs: BenchPlan['runs'] = [];
  for (const name of workloads) {
    const p: Record<string, unknown> = { ...params };
    if (name === 'tpcc' && a.warehouses !== undefined) p.warehouses = a.warehouses;
    if (name === 'tpcb' && a.scale !== undefined) p.scale = a.scale;
    if (name.startsWith('ycsb') && a.records !== undefined) p.recordCount = a.records;
    const terminals = a.terminals ?? (name === 'tpcc' ? Number(p.warehouses ?? 1) : 1);
    for (const sync of syncs) {
      runs.push({
        workload: { name, params: p }, seed, sync, engines, strategies, poolPages, personalities, archs, mlock: a.mlock, sqliteCheckpoints,
        ramBytes: Math.round(a['ram-mib'] * 1024 * 1024), baseline: a.baseline, workDir: a['work-dir'], freshLoad: a['fresh-load'], keep: a.keep,
        limits: { terminals, warmupSeconds: a.warmup, durationSeconds: a.count > 0 ? 0 : a.duration, transactions: a.count, progressSeconds: a.progress },
        ...(a['inspect-socket'] !== undefined && a['inspect-socket'] !== '' ? { inspectSocket: a['inspect-socket'] } : {}),
      });
    }
  }
  return { seed, runs, results: a.results };
}

/** Run a plan's matrices in order, recording each in the results database; `onRun` sees each as it finishes. */
export async function runPlan(plan: BenchPlan, hooks: { log: (line: string) => void; progress?: (e: ProgressEvent) => void;
  onRun?: (run: RunResult) => void; }): Promise<RunResult[]> {
  const out: RunResult[] = [];
  for (const r of plan.runs) {
    const o: MatrixOptions = { ...r, log: hooks.log, ...(hooks.progress !== undefined ? { progress: hooks.progress } : {}) };
    const run = await runMatrix(o, expandCells(o));
    if (plan.results !== '') {
      const db = new ResultsDb(plan.results);
      try {
        db.record(run);
      } finally {
        db.close();
      }
      hooks.log(`recorded as run ${String(run.runId)} in ${plan.results}`);
    }
    hooks.onRun?.(run);
    out.push(run);
  }
  return out;
}
