/**
 * The `engines` report: remapdb, SQLite (at its default checkpoint interval and at
 * remapdb's) and LMDB side by side on one workload (issue 5's benchmark section), each
 * engine in its own processes (cell.ts, cell-main.ts).
 *   1. load `rows` rows (8-byte big-endian keys, 100-byte values) in ascending key
 *      order, `batchRows` per transaction, sync full — rows/s and seconds;
 *   2. point lookups on the loaded table: uniform keys, and scrambled zipfian(0.99)
 *      keys — lookups/s;
 *   3. single-row update transactions (read a uniform random row, rewrite its value)
 *      with sync off, normal and full — tx/s.
 * Order: each engine's load cell, then per sync mode each engine's update cell (engines
 * interleaved, so a drift of the machine's speed does not fall on one engine). The data
 * directories live under os.tmpdir() and are removed afterwards.
 */

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { int, renderTable } from '../lib/format.js';
import { benchScript } from '../lib/package-files.js';
import type { ReportBench, ReportOutput } from '../lib/harness.js';
import { type CellResult, type CellSpec, failedCell } from './cell.js';
import { MiB, SEED, workload, type Workload } from './common.js';
import { ENGINES, type EngineName, SYNC_MODES } from './engine.js';
import { detailTable, figuresTable, keyTable, simTable, type Figures } from './tables.js';

/** A cell that takes longer than this is killed and reported as failed. */
const CELL_TIMEOUT_MS = 10 * 60 * 1000;

/** Run `specs` (one engine) in a fresh Node process with this process's loader flags. */
export function runChild(specs: CellSpec[]): CellResult[] {
  const script = benchScript('storage/cell-main');
  const child = spawnSync(process.execPath, [...process.execArgv, script, JSON.stringify(specs)],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * MiB, timeout: CELL_TIMEOUT_MS });
  const last = (child.stdout ?? '').trim().split('\n').pop() ?? '';
  const done = child.status === 0 && last.startsWith('[') ? (JSON.parse(last) as CellResult[]) : [];
  const why = child.error?.message ?? `child exited with status ${child.status ?? `signal ${child.signal ?? '?'}`}`;
  // Cells the child did not report (it died, or stopped after a failed load) fail here.
  return specs.map((s, i) => done[i] ?? failedCell(s, done.some((d) => d.error !== null) ? 'skipped: an earlier cell of this engine failed' : why));
}

/** Engines with a load cell: those compared, and the supplementary remapdb with key ['int'] (no update cells). */
const LOAD_ENGINES: readonly EngineName[] = [...ENGINES, 'remapdb-int'];

/** The cells, grouped by the process each group runs in. */
function plan(root: string, w: Workload): CellSpec[][] {
  const dir = (e: EngineName): string => path.join(root, e);
  const loads = LOAD_ENGINES.map((engine): CellSpec => ({ engine, phase: 'load', sync: 'full', dir: dir(engine), workload: w }));
  const updates = SYNC_MODES.flatMap((sync) => ENGINES.map((engine): CellSpec => ({ engine, phase: 'update', sync, dir: dir(engine), workload: w })));
  if (w.quick) return LOAD_ENGINES.map((e) => [...loads, ...updates].filter((s) => s.engine === e));
  return [...loads.map((s) => [s]), ...updates.map((s) => [s])];
}

function summary(c: CellResult): string {
  if (c.error !== null) return `FAILED: ${c.error}`;
  const si = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(3)} M` : `${(n / 1e3).toFixed(1)} K`);
  if (c.phase === 'load' && c.load !== null) {
    return `load ${si(c.load.rowsPerSec)} rows/s (${c.load.seconds.toFixed(2)} s); ` +
      `${c.lookups.map((l) => `${l.distribution} ${si(l.timed.median)} lookups/s`).join(', ')}`;
  }
  return c.update === null ? '' : `${si(c.update.timed.sustained)} tx/s sustained (median of chunks ${si(c.update.timed.median)})`;
}

/** Run every cell (in child processes) with data under a fresh directory in os.tmpdir(), removed afterwards. */
export function runEngines(log: (line: string) => void, w: Workload = workload()): CellResult[] {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-bench-storage-'));
  log(`  storage: seed ${SEED}, ${int(w.rows)} rows${w.quick ? ' (--quick)' : ''}, data under ${root}`);
  const cells: CellResult[] = [];
  try {
    for (const group of plan(root, w)) {
      const failedLoad = cells.some((c) => c.engine === group[0]?.engine && c.phase === 'load' && c.error !== null);
      const results = failedLoad ? group.map((s) => failedCell(s, 'skipped: the load cell failed')) : runChild(group);
      for (const c of results) {
        log(`  storage: ${c.engine} ${c.phase}${c.phase === 'update' ? ` sync=${c.sync}` : ''}: ${summary(c)} (${(c.hostMs / 1000).toFixed(1)} s)`);
        cells.push(c);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return cells;
}

export const enginesReport: ReportBench = {
  kind: 'report',
  id: 'engines',
  title: 'remapdb vs SQLite vs LMDB: load 1M rows, point lookups (uniform, zipfian), single-row update tx/s per sync mode',
  config: '8-byte big-endian keys, 100-byte values; load in 10K-row transactions (sync full); remapdb nonlinear, 65,536-page pool, ' +
    '1 GiB simulated RAM; SQLite WAL, WITHOUT ROWID, 960 MiB cache, wal_autocheckpoint default and matched to remapdb\'s 512 MiB; ' +
    'LMDB binary, overlappingSync off; durability per bench/lib/peers.ts; one process per engine and phase; ' +
    'supplementary: remapdb with key [\'int\']',
  run(log): ReportOutput {
    const w = workload();
    const cells = runEngines(log, w);
    const figures: Figures = { workload: w, seed: SEED, cells };
    const tables = [figuresTable(figures), keyTable(figures), simTable(figures), detailTable(figures)];
    const failed = cells.filter((c) => c.error !== null);
    if (failed.length > 0) {
      // A report that throws prints nothing: put what was measured on stderr first.
      for (const t of tables) log(renderTable(t));
      throw new Error(`storage engines: ${failed.length} cell(s) failed: ` +
        `${failed.map((c) => `${c.engine} ${c.phase}${c.phase === 'update' ? ` ${c.sync}` : ''}: ${c.error ?? ''}`).join('; ')}`);
    }
    return { tables, data: figures };
  },
};
