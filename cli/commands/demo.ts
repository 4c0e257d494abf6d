/**
 * `remapdb demo` — the main job (`npm start`): the project's point in two to three minutes on
 * 2 cores (measured: 122 s from a fresh clone, loads included, on a quiet machine; 173 s
 * with the images reused while other jobs shared the cores, 2026-12-07).
 *
 *  1. Loads a small TPC-C-like (1 warehouse) and TPC-B-like (scale 1) database into
 *     remapdb, SQLite and LMDB (images are kept in the work directory and reused next time).
 *  2. Runs both on remapdb's three buffer-pool strategies — the nonlinear window
 *     (remap_file_pages), one mmap per page, pread/pwrite — and on both peers (SQLite at
 *     its default checkpoint interval and at remapdb's), at the same durability level
 *     (bench/lib/peers.ts says what each engine promises at it), with a pool smaller than
 *     the TPC-C data so pages come and go.
 *  3. Prints the side-by-side table with the kernel figures (VMAs, kernel memory, faults,
 *     remaps, simulated kernel time), records both runs in remapdb-results/runs.sqlite,
 *     writes the HTML report, and leaves the nonlinear TPC-C database in
 *     remapdb-results/demo-db for `remapdb inspect`, `remapdb kernel` and `remapdb check`.
 *  While a remapdb cell runs, its engine serves live inspection on --inspect-socket.
 *
 * `--window` runs the older, database-free scenario instead (demo-window.ts).
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import { expandCells, type MatrixOptions, runMatrix } from '../../bench/harness/matrix.js';
import { headline, renderRun } from '../../bench/harness/report.js';
import { DEFAULT_RESULTS_DB, ResultsDb } from '../../bench/harness/results-db.js';
import { type CellResult, durabilityCaption, type RunResult } from '../../bench/harness/types.js';
import { bytes, duration, int, ratio, renderTable, si } from '../../bench/lib/format.js';
import { SQLITE_CHECKPOINTS } from '../../bench/lib/peers.js';
import { ENGINE_KINDS, STRATEGIES, SYNC_MODES, type SyncMode } from '../../bench/workloads/stores.js';
import { UsageError } from '../../src/index.js';
import { defaultSocketPath } from '../../src/inspect/index.js';
import { defineCommand } from '../command.js';
import { createProgress, wantBars } from '../render/progress.js';
import { quietLog, runsFailure, writeHtml } from './bench.js';
import { windowDemo } from './demo-window.js';

export const DEMO_RESULTS_DIR = 'remapdb-results';
export const DEMO_DB = 'demo-db';
export const DEMO_REPORT = 'demo-report.html';
export const DEMO_SOCKET = defaultSocketPath('demo');
/** The demo's pool: 64 MiB, smaller than TPC-C's warehouse (~75 MiB), so misses and evictions happen. */
export const DEMO_POOL_PAGES = 16384;

/** One row per engine/strategy across the demo's runs: throughput of each, kernel figures of TPC-C. */
export function demoTable(runs: readonly RunResult[]): ReturnType<typeof renderTable> {
  const labels = [...new Set(runs.flatMap((r) => r.cells.map((c) => c.label)))];
  const cellOf = (r: RunResult, label: string): CellResult | undefined => r.cells.find((c) => c.label === label);
  const base = (r: RunResult): CellResult | undefined => r.cells.find((c) => c.id === r.baseline);
  const tpcc = runs.find((r) => r.workload.name === 'tpcc');
  const rows = labels.map((label) => {
    const perRun = runs.flatMap((r) => {
      const c = cellOf(r, label);
      const b = base(r);
      if (c === undefined) return ['', ''];
      if (c.error !== null) return ['FAILED', ''];
      return [si(headline(c)), b === undefined ? '' : ratio(headline(c), headline(b))];
    });
    const k = tpcc === undefined ? undefined : cellOf(tpcc, label);
    const kf = k?.kernel ?? null;
    const tx = k === undefined ? 0 : Math.max(1, k.committed + k.rolledBack);
    return [label, ...perRun,
      kf === null ? '' : int(kf.vmas), kf === null ? '' : bytes(kf.kernelBytes), kf === null ? '' : (kf.majorFaults / tx).toFixed(2),
      kf === null ? '' : (kf.remaps / tx).toFixed(2), kf === null ? '' : duration(kf.kernelNs / tx)];
  });
  const runCols = runs.flatMap((r) => {
    const unit = r.workload.name === 'tpcc' ? 'NOPM' : 'tx/s';
    return [`${r.workload.name} ${unit}`, `vs ${base(r)?.label ?? 'baseline'}`];
  });
  const syncs = [...new Set(runs.map((r) => r.sync))];
  const captions = [...new Set(runs.flatMap((r) => durabilityCaption(r)))];
  return renderTable({
    title: `remapdb demo — side by side at sync ${syncs.join(', ')} (kernel figures: TPC-C-like, per transaction, simulated kernel)`,
    columns: ['engine', ...runCols, 'VMAs', 'kernel memory', 'major faults/tx', 'remaps/tx', 'kernel time/tx'],
    rightAlign: [...runCols.map((_, i) => i + 1), runCols.length + 1, runCols.length + 2, runCols.length + 3, runCols.length + 4, runCols.length + 5],
    rows,
    notes: [
      'One process per cell, the same durability level for every engine (what each promises at it below), same seed, every cell ' +
        'passed its consistency checks unless marked FAILED. Host wall-clock rates of short cells: they vary from run to run.',
      ...captions,
      'VMAs and kernel memory: the process at the end of the run; the nonlinear window is one VMA however many pages it remaps.',
    ],
  }, { box: true });
}

export const demoCommand = defineCommand({
  command: 'demo',
  describe: 'The main job (npm start): load small TPC-C-like and TPC-B-like databases, run three strategies and both peers, report',
  examples: [
    ['remapdb demo', 'two to three minutes on 2 cores: tables here, HTML report and a database to inspect in remapdb-results/'],
    ['remapdb demo --duration 20 --sync full', 'longer cells, every commit durable'],
    ['remapdb demo --window', 'the one-second scenario: a 16-page window remapped over a file, under 2.6 and 4.0'],
  ],
  builder: (y) => y
    .option('duration', { type: 'number', default: 6, requiresArg: true, describe: 'measured seconds per cell (1..3600)' })
    .option('warmup', { type: 'number', default: 2, requiresArg: true, describe: 'warm-up seconds per cell (0..600)' })
    .option('sync', { choices: SYNC_MODES, default: 'normal' as SyncMode, requiresArg: true,
      describe: 'durability level for every engine (the table says what each promises at it)' })
    .option('seed', { type: 'number', default: 20261126, requiresArg: true, describe: 'run seed' })
    .option('out-dir', { type: 'string', default: DEMO_RESULTS_DIR, requiresArg: true, describe: 'results, report and demo database go here' })
    .option('work-dir', { type: 'string', default: path.join(os.tmpdir(), 'remapdb-demo'), requiresArg: true, describe: 'loaded images (reused) and cell copies' })
    .option('inspect-socket', { type: 'string', default: DEMO_SOCKET, requiresArg: true, describe: 'serve each remapdb cell live here ("" = off)' })
    .option('window', { type: 'boolean', default: false, describe: 'run the database-free window scenario instead' }),
  async run(args, ctx) {
    if (args.window) {
      windowDemo(args, ctx);
      return;
    }
    if (!(Number.isFinite(args.duration) && args.duration >= 1 && args.duration <= 3600)) throw new UsageError(`--duration ${String(args.duration)}: seconds from 1 to 3600`);
    if (!(Number.isFinite(args.warmup) && args.warmup >= 0 && args.warmup <= 600)) throw new UsageError(`--warmup ${String(args.warmup)}: seconds from 0 to 600`);
    if (!(Number.isInteger(args.seed) && args.seed >= 1 && args.seed < 2 ** 31)) throw new UsageError(`--seed ${String(args.seed)}: an integer from 1 to 2147483647`);
    const t0 = performance.now();
    const outDir = args.outDir;
    fs.mkdirSync(outDir, { recursive: true });
    const bars = createProgress(wantBars(args.json), quietLog(args.logLevel));
    const say = (line: string): void => bars.log(line);
    const socket = args.inspectSocket === '' ? undefined : args.inspectSocket;
    say(`remapdb demo: TPC-C-like (1 warehouse) and TPC-B-like (scale 1), sync ${args.sync}, ${args.warmup} s warm-up + ${args.duration} s per cell, seed ${args.seed}`);
    if (socket !== undefined) say(`watch a remapdb cell live from another terminal: npm run remapdb -- inspect --live ${socket} --watch`);
    // The configuration applies beneath the demo's fixed matrix (all strategies, a 16384-slot pool, RAM sized from it).
    const cfg = ctx.config().config;
    const runs: RunResult[] = [];
    const workloads = [{ name: 'tpcc', params: { warehouses: 1 } }, { name: 'tpcb', params: { scale: 1 } }];
    try {
      for (const workload of workloads) {
        const o: MatrixOptions = {
          workload, seed: args.seed, sync: args.sync, engines: ENGINE_KINDS, strategies: STRATEGIES, poolPages: [DEMO_POOL_PAGES],
          personalities: [cfg.kernel.personality], archs: [cfg.kernel.arch], mlock: true, ramBytes: 0, config: cfg, sqliteCheckpoints: SQLITE_CHECKPOINTS, baseline: '',
          workDir: args.workDir, freshLoad: false,
          keep: workload.name === 'tpcc', log: say, progress: (e) => bars.event(e),
          limits: { terminals: 1, warmupSeconds: args.warmup, durationSeconds: args.duration, transactions: 0, progressSeconds: 0 },
          ...(socket !== undefined ? { inspectSocket: socket } : {}),
        };
        const cells = expandCells(o);
        const run = await runMatrix(o, cells);
        const results = new ResultsDb(path.join(outDir, path.basename(DEFAULT_RESULTS_DB)));
        try {
          results.record(run);
        } finally {
          results.close();
        }
        if (workload.name === 'tpcc') keepDemoDb(args.workDir, cells.find((c) => c.engine.kind === 'remapdb' && c.engine.strategy === 'nonlinear')?.id,
          path.join(outDir, DEMO_DB));
        runs.push(run);
      }
    } finally {
      bars.stop();
    }
    const report = await writeHtml(runs, path.join(outDir, DEMO_REPORT), 'remapdb demo — TPC-C-like and TPC-B-like, three strategies and two peers');
    const demoDb = path.resolve(outDir, DEMO_DB);
    const seconds = (performance.now() - t0) / 1000;
    if (args.json) {
      ctx.out(`${JSON.stringify({ seconds, report, database: demoDb, runs: runs.map((r) => r.runId), results: runs }, null, 2)}\n`);
    } else {
      for (const r of runs) ctx.out(`${renderRun(r, { box: true })}\n\n`);
      ctx.out(`${demoTable(runs)}\n\n`);
      ctx.out([
        `Done in ${seconds.toFixed(0)} s. Runs ${runs.map((r) => r.runId).join(' and ')} are recorded in ${path.resolve(outDir, path.basename(DEFAULT_RESULTS_DB))}.`,
        `HTML report: ${report}`,
        `A database to look into: ${demoDb} (remapdb on the nonlinear window, after its TPC-C-like run)`,
        `  npm run remapdb -- inspect ${path.join(outDir, DEMO_DB)}                 buffer-pool summary from its last snapshot`,
        `  npm run remapdb -- inspect ${path.join(outDir, DEMO_DB)} --view slots    resident pages, owners, PTEs`,
        `  npm run remapdb -- kernel maps ${path.join(outDir, DEMO_DB)}             its process's VMAs`,
        `  npm run remapdb -- check ${path.join(outDir, DEMO_DB)}                   checksums, B+trees, catalog, TPC-C consistency`,
        `  npm run remapdb -- serve ${path.join(outDir, DEMO_DB)} --run              run TPC-C-like on it and serve it live; then,`,
        `  npm run remapdb -- inspect --live ${defaultSocketPath('serve')} --watch   in a second terminal: the pool live`,
        '',
      ].join('\n'));
    }
    const failure = runsFailure(runs);
    if (failure !== null) throw failure;
  },
});

/** Move the kept cell copy of `cellId` to `dest` and drop the other kept copies. */
function keepDemoDb(workDir: string, cellId: string | undefined, dest: string): void {
  const cellsDir = path.join(workDir, 'cells');
  if (cellId !== undefined && fs.existsSync(path.join(cellsDir, cellId))) {
    fs.rmSync(dest, { recursive: true, force: true });
    fs.cpSync(path.join(cellsDir, cellId), dest, { recursive: true });
  }
  fs.rmSync(cellsDir, { recursive: true, force: true });
}
