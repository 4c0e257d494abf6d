/**
 * A run of the matrix in one invocation: remapdb's buffer-pool strategies × pool sizes ×
 * kernel personalities × architectures, plus the peers (SQLite beside each pool size, at
 * its default checkpoint interval and at remapdb's — two cells; LMDB once, it has no
 * cache of its own), all at one durability (bench/lib/peers.ts), each cell in its own
 * process from the same loaded image.
 *
 * Order: the loads first (one per engine kind, reused from earlier runs when the same
 * workload, params and seed were loaded before), then the cells in matrix order. The
 * result goes to the results database (results-db.ts) and, as asked, to JSON and CSV.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { environment, packageVersions } from '../lib/env.js';
import { durabilityNotes, sqliteCheckpointLabel } from '../lib/peers.js';
import {
  type Arch, DEFAULT_SPEC, type EngineKind, type EngineSpec, type Personality, type SqliteCheckpoint, type StrategyName, type SyncMode,
} from '../workloads/stores.js';
import { emptyResult, type LoadJob, type RunJob } from './cell.js';
import { JOB_GRACE_MS, runJob } from './child.js';
import type { ProgressEvent } from './progress.js';
import { existingImage, imageDir } from './images.js';
import { workloadByName } from './registry.js';
import type { CellResult, CellSpec, ImageManifest, RunLimits, RunResult, WorkloadSpec } from './types.js';

export interface MatrixOptions {
  workload: WorkloadSpec;
  seed: number;
  sync: SyncMode;
  engines: readonly EngineKind[];
  strategies: readonly StrategyName[];
  poolPages: readonly number[];
  personalities: readonly Personality[];
  archs: readonly Arch[];
  mlock: boolean;
  /** Simulated RAM for remapdb (0: sized from the pool, stores.ts ramFor). */
  ramBytes: number;
  /** SQLite's checkpoint settings, one cell each (peers.ts): 'default' (1000 pages) and/or 'matched' (remapdb's bytes). */
  sqliteCheckpoints: readonly SqliteCheckpoint[];
  limits: RunLimits;
  /** Cell id or label prefix the others are compared with ('' = SQLite if run, else the first cell). */
  baseline: string;
  /** Where images and the cells' working copies live. */
  workDir: string;
  /** Load images again even if complete ones exist. */
  freshLoad: boolean;
  /** Keep the cells' working copies (for `inspect`). */
  keep: boolean;
  log: (line: string) => void;
  /** Progress events of the loads and cells (progress bars). */
  progress?: (e: ProgressEvent) => void;
  /** Serve each remapdb cell's inspection views on this Unix socket while it runs. */
  inspectSocket?: string;
  /**
   * remapdb cells: a loaded configuration open() applies beneath the matrix axes (strategy,
   * pool, personality, arch, mlock, RAM win): kernel costs, faults, seed, policy, guard, ...
   */
  config?: EngineSpec['config'];
}

export const DEFAULT_WORK_DIR = path.join(os.tmpdir(), 'remapdb-bench');

const shortPersonality = (p: Personality): string => p.replace('linux-', '');

/** The cells of the matrix, in run order. */
export function expandCells(o: Pick<MatrixOptions, 'engines' | 'strategies' | 'poolPages' | 'personalities' | 'archs' | 'mlock' | 'ramBytes' | 'sync' |
  'sqliteCheckpoints' | 'config'>): CellSpec[] {
  const cells: CellSpec[] = [];
  const base: EngineSpec = { ...DEFAULT_SPEC, sync: o.sync, mlock: o.mlock, ramBytes: o.ramBytes };
  const remapdbBase: EngineSpec = o.config === undefined ? base : { ...base, config: o.config };
  const multiArch = o.archs.length > 1;
  const multiPers = o.personalities.length > 1;
  for (const pool of o.poolPages) {
    if (o.engines.includes('remapdb')) {
      for (const personality of o.personalities) {
        for (const arch of o.archs) {
          for (const strategy of o.strategies) {
            const label = `remapdb ${strategy}${o.poolPages.length > 1 ? ` ${pool}p` : ''}${multiPers ? ` ${shortPersonality(personality)}` : ''}` +
              `${multiArch ? ` ${arch}` : ''}`;
            cells.push({
              id: `remapdb-${strategy}-${pool}-${shortPersonality(personality)}-${arch}`, label,
              engine: { ...remapdbBase, kind: 'remapdb', strategy, poolPages: pool, personality, arch },
            });
          }
        }
      }
    }
    if (o.engines.includes('sqlite')) {
      for (const ckpt of o.sqliteCheckpoints) {
        // 'sqlite-<pool>' stays the default setting's id, as in runs recorded before the matched cell existed.
        cells.push({
          id: ckpt === 'default' ? `sqlite-${pool}` : `sqlite-${ckpt}-${pool}`, label: `${sqliteCheckpointLabel(ckpt)}${o.poolPages.length > 1 ? ` ${pool}p` : ''}`,
          engine: { ...base, kind: 'sqlite', poolPages: pool, sqliteCheckpoint: ckpt },
        });
      }
    }
  }
  if (o.engines.includes('lmdb')) {
    cells.push({ id: 'lmdb', label: 'LMDB', engine: { ...base, kind: 'lmdb', poolPages: Math.max(...o.poolPages) } });
  }
  return cells;
}

/**
 * The baseline cell: the one named (id or label, exact or prefix), else SQLite with the
 * matched checkpoint interval (the peer at remapdb's durability and checkpointing), else
 * any SQLite, else the first.
 */
export function pickBaseline(cells: readonly CellSpec[], name: string): CellSpec {
  if (cells.length === 0) throw new RangeError('the matrix has no cells: name at least one engine');
  if (name !== '') {
    const n = name.toLowerCase();
    const hit = cells.find((c) => c.id === n || c.label.toLowerCase() === n) ??
      cells.find((c) => c.id.startsWith(n) || c.label.toLowerCase().startsWith(n));
    if (hit === undefined) throw new RangeError(`baseline "${name}" is not a cell of this run; cells: ${cells.map((c) => c.id).join(', ')}`);
    return hit;
  }
  return cells.find((c) => c.engine.kind === 'sqlite' && c.engine.sqliteCheckpoint === 'matched') ??
    cells.find((c) => c.engine.kind === 'sqlite') ?? (cells[0] as CellSpec);
}

/** Load (or reuse) the image of every engine kind the cells use. */
async function ensureImages(o: MatrixOptions, cells: readonly CellSpec[]): Promise<Record<string, ImageManifest>> {
  const images: Record<string, ImageManifest> = {};
  const kinds = [...new Set(cells.map((c) => c.engine.kind))];
  for (const kind of kinds) {
    const dir = imageDir(path.join(o.workDir, 'images'), o.workload, kind);
    if (o.freshLoad) fs.rmSync(dir, { recursive: true, force: true });
    const have = existingImage(dir);
    if (have !== null) {
      o.log(`image ${kind}: reusing ${dir} (${have.rows} rows, loaded in ${have.loadSeconds.toFixed(1)} s)`);
      images[kind] = have;
      continue;
    }
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    // The load runs with the largest pool of the run (remapdb's file does not depend on it).
    const pool = Math.max(...cells.filter((c) => c.engine.kind === kind).map((c) => c.engine.poolPages));
    const engine: EngineSpec = { ...DEFAULT_SPEC, kind, sync: 'off', poolPages: pool, mlock: o.mlock, ramBytes: o.ramBytes };
    const job: LoadJob = { phase: 'load', workload: o.workload, seed: o.seed, dir, engine };
    o.log(`image ${kind}: loading ${o.workload.name} into ${dir}`);
    const m = await runJob<ImageManifest>(job, JOB_GRACE_MS * 4, o.log, o.progress);
    o.log(`image ${kind}: ${m.rows} rows, ${(m.bytes / 1048576).toFixed(1)} MiB in ${m.loadSeconds.toFixed(1)} s (${Math.round(m.rowsPerSec)} rows/s), ` +
      `loader peak RSS ${(m.peakRssBytes / 1048576).toFixed(0)} MiB; ${m.checks.length} checks passed`);
    images[kind] = m;
  }
  return images;
}

/** Run the whole matrix; cells that fail are in the result with their error. */
export async function runMatrix(o: MatrixOptions, cells: readonly CellSpec[] = expandCells(o)): Promise<RunResult> {
  const wl = workloadByName(o.workload.name);
  const workload: WorkloadSpec = { name: wl.name, params: wl.params(o.workload.params) as Record<string, unknown> };
  const opts = { ...o, workload };
  const baseline = pickBaseline(cells, o.baseline);
  const startedAt = new Date().toISOString();
  o.log(`run ${workload.name} ${JSON.stringify(workload.params)} seed ${o.seed}, sync ${o.sync}, ${cells.length} cells, ` +
    `${o.limits.terminals} terminal(s), warm-up ${o.limits.warmupSeconds} s, ` +
    `${o.limits.durationSeconds > 0 ? `${o.limits.durationSeconds} s` : `${o.limits.transactions} transactions`} each`);
  const images = await ensureImages(opts, cells);
  const results: CellResult[] = [];
  const limitMs = (o.limits.warmupSeconds + o.limits.durationSeconds) * 1000 + JOB_GRACE_MS;
  for (const cell of cells) {
    const kindImage = imageDir(path.join(o.workDir, 'images'), workload, cell.engine.kind);
    const job: RunJob = {
      phase: 'run', workload, seed: o.seed, imageDir: kindImage, dir: path.join(o.workDir, 'cells', cell.id), keep: o.keep, cell, limits: o.limits,
      ...(o.inspectSocket !== undefined && cell.engine.kind === 'remapdb' ? { inspectSocket: o.inspectSocket } : {}),
    };
    o.log(`cell ${cell.label}: start`);
    let r: CellResult;
    try {
      r = await runJob<CellResult>(job, limitMs, o.log, o.progress);
    } catch (err) {
      r = emptyResult(cell, err instanceof Error ? err.message : String(err));
    }
    o.log(`cell ${cell.label}: ${r.error !== null ? `FAILED: ${r.error}` : `${Math.round(r.txPerSec)} tx/s` +
      `${r.nopm !== null ? `, NOPM ${Math.round(r.nopm)}` : ''}, ${r.rolledBack} rolled back, ${r.errors} errors, ${r.checks.length} checks passed`}`);
    results.push(r);
  }
  const kinds = [...new Set(cells.map((c) => c.engine.kind))];
  return {
    runId: null, startedAt, finishedAt: new Date().toISOString(), workload, seed: o.seed, sync: o.sync, limits: o.limits, baseline: baseline.id,
    environment: environment(), versions: packageVersions(), images, cells: results,
    durability: durabilityNotes([o.sync], kinds, cells.map((c) => c.engine.poolPages)),
  };
}
