/**
 * Run a workload matrix from the command line:
 *   npx tsx bench/workload.ts tpcc --warehouses 1 --duration 30
 *   npx tsx bench/workload.ts tpcb --scale 10 --sync off,normal --strategies nonlinear
 *   npx tsx bench/workload.ts ycsb-a,ycsb-b --records 100000 --engines remapdb,sqlite
 * Each workload × sync mode is one run: its matrix is printed side by side and recorded
 * in the results database (--results), and written as JSON/CSV when asked.
 */

import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

import { expandCells, DEFAULT_WORK_DIR, runMatrix } from './harness/matrix.js';
import { WORKLOAD_NAMES } from './harness/registry.js';
import { renderRun } from './harness/report.js';
import { DEFAULT_RESULTS_DB, ResultsDb, runToCsv } from './harness/results-db.js';
import type { RunResult } from './harness/types.js';
import { type Arch, ENGINE_KINDS, type EngineKind, type Personality, STRATEGIES, type StrategyName, SYNC_MODES, type SyncMode } from './workloads/stores.js';

/** A bad value on the command line: one line on stderr, exit status 2 (as yargs' own failures). */
class UsageError extends Error {}

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter((x) => x !== '');

function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (s: string): T[] => {
    const xs = list(s);
    for (const x of xs) if (!(allowed as readonly string[]).includes(x)) throw new UsageError(`--${flag} ${x}: not one of ${allowed.join(', ')}`);
    if (xs.length === 0) throw new UsageError(`--${flag}: name at least one of ${allowed.join(', ')}`);
    return xs as T[];
  };
}

function positiveInts(flag: string, min: number) {
  return (s: string): number[] => list(s).map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} ${x}: an integer >= ${min}`);
    return n;
  });
}

const argv = await yargs(hideBin(process.argv))
  .scriptName('bench/workload.ts')
  .usage('$0 <workloads> [options]\n\nRun TPC-C-like, TPC-B-like or YCSB-like workloads on remapdb (each buffer-pool strategy) and its peers.')
  .command('$0 <workloads>', 'run the matrix for each workload (comma-separated)', (y) => y.positional('workloads', {
    type: 'string', describe: `one or more of ${WORKLOAD_NAMES.join(', ')}, comma-separated ('ycsb' = all six)`,
  }))
  .option('engines', { type: 'string', default: ENGINE_KINDS.join(','), describe: 'engines to run' })
  .option('strategies', { type: 'string', default: STRATEGIES.join(','), describe: "remapdb buffer-pool strategies" })
  .option('pool-pages', { type: 'string', default: '16384', describe: 'remapdb pool slots (4 KiB pages), comma list; SQLite gets a cache of the same bytes' })
  .option('personality', { type: 'string', default: 'linux-2.6', describe: 'kernel personalities: linux-2.6, linux-4.0' })
  .option('arch', { type: 'string', default: 'x86_64', describe: 'architectures: x86_64, i386, i386-pae' })
  .option('mlock', { type: 'boolean', default: true, describe: "mlock remapdb's pool" })
  .option('ram-mib', { type: 'number', default: 0, describe: 'simulated RAM for remapdb in MiB (0: sized from the pool)' })
  .option('sync', { type: 'string', default: 'off', describe: 'durability for every engine: off, normal, full (comma list: one run each)' })
  .option('warehouses', { type: 'number', describe: 'TPC-C scale (default 1)' })
  .option('scale', { type: 'number', describe: 'TPC-B scale (default 10)' })
  .option('records', { type: 'number', describe: 'YCSB record count (default 1,000,000)' })
  .option('param', { type: 'string', array: true, default: [] as string[], describe: 'workload parameter key=value (e.g. items=1000)' })
  .option('terminals', { type: 'number', describe: 'clients taking turns (default: warehouses for TPC-C, else 1)' })
  .option('duration', { type: 'number', default: 30, describe: 'measured seconds per cell (0: use --count)' })
  .option('count', { type: 'number', default: 0, describe: 'measured transactions per cell (instead of --duration)' })
  .option('warmup', { type: 'number', default: 5, describe: 'warm-up seconds per cell, not counted' })
  .option('seed', { type: 'number', describe: 'run seed (default: random, printed)' })
  .option('baseline', { type: 'string', default: '', describe: 'cell id or label the ratios are against (default SQLite)' })
  .option('work-dir', { type: 'string', default: DEFAULT_WORK_DIR, describe: 'images and cell copies' })
  .option('fresh-load', { type: 'boolean', default: false, describe: 'load the images again' })
  .option('keep', { type: 'boolean', default: false, describe: "keep each cell's database after the run" })
  .option('results', { type: 'string', default: DEFAULT_RESULTS_DB, describe: 'results database (SQLite); "" to skip' })
  .option('json', { type: 'string', describe: 'also write the run(s) as JSON to this file ("-" = stdout, no tables)' })
  .option('csv', { type: 'string', describe: 'also write the run(s) as CSV to this file' })
  .option('progress', { type: 'number', default: 5, describe: 'seconds between progress lines on stderr (0: none)' })
  .example('$0 tpcc --warehouses 1 --duration 60', 'TPC-C-like, 1 warehouse: three strategies, SQLite and LMDB')
  .example('$0 tpcb --scale 10 --sync off,normal', 'TPC-B-like at scale 10, two durability modes')
  .example('$0 ycsb --records 100000 --strategies nonlinear', 'YCSB A–F, remapdb nonlinear and the peers')
  .example('$0 tpcc --pool-pages 4096,16384 --personality linux-2.6,linux-4.0 --engines remapdb', 'the strategy matrix alone')
  .strict()
  .fail((msg, err) => {
    process.stderr.write(`bench/workload.ts: ${err?.message ?? msg}\n`);
    process.exit(2);
  })
  .help()
  .parseAsync();

async function main(): Promise<void> {
  const workloads = list(String(argv.workloads)).flatMap((w) => (w === 'ycsb' ? ['ycsb-a', 'ycsb-b', 'ycsb-c', 'ycsb-d', 'ycsb-e', 'ycsb-f'] : [w]));
  for (const w of workloads) if (!WORKLOAD_NAMES.includes(w)) throw new UsageError(`workload ${w}: not one of ${WORKLOAD_NAMES.join(', ')}, ycsb`);
  const engines = oneOf<EngineKind>('engines', ENGINE_KINDS)(argv.engines);
  const strategies = oneOf<StrategyName>('strategies', STRATEGIES)(argv.strategies);
  const personalities = oneOf<Personality>('personality', ['linux-2.6', 'linux-4.0'])(argv.personality);
  const archs = oneOf<Arch>('arch', ['x86_64', 'i386', 'i386-pae'])(argv.arch);
  const syncs = oneOf<SyncMode>('sync', SYNC_MODES)(argv.sync);
  const poolPages = positiveInts('pool-pages', 64)(argv['pool-pages']);
  const seed = argv.seed ?? randomInt(1, 2 ** 31);
  const params: Record<string, unknown> = {};
  for (const p of argv.param) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param ${p}: expected key=value`);
    const v = p.slice(eq + 1);
    params[p.slice(0, eq)] = v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v;
  }

  const runs: RunResult[] = [];
  const json = argv.json;
  const log = (line: string): void => { process.stderr.write(`${line}\n`); };
  log(`seed ${seed} (replay with --seed ${seed})`);
  for (const name of workloads) {
    const p: Record<string, unknown> = { ...params };
    if (name === 'tpcc' && argv.warehouses !== undefined) p.warehouses = argv.warehouses;
    if (name === 'tpcb' && argv.scale !== undefined) p.scale = argv.scale;
    if (name.startsWith('ycsb') && argv.records !== undefined) p.recordCount = argv.records;
    const terminals = argv.terminals ?? (name === 'tpcc' ? Number(p.warehouses ?? 1) : 1);
    for (const sync of syncs) {
      const o = {
        workload: { name, params: p }, seed, sync, engines, strategies, poolPages, personalities, archs, mlock: argv.mlock,
        ramBytes: Math.round(argv['ram-mib'] * 1024 * 1024), baseline: argv.baseline, workDir: argv['work-dir'], freshLoad: argv['fresh-load'],
        keep: argv.keep, log,
        limits: { terminals, warmupSeconds: argv.warmup, durationSeconds: argv.count > 0 ? 0 : argv.duration, transactions: argv.count, progressSeconds: argv.progress },
      };
      const run = await runMatrix(o, expandCells(o));
      if (argv.results !== '') {
        const db = new ResultsDb(argv.results);
        db.record(run);
        db.close();
        log(`recorded as run ${String(run.runId)} in ${argv.results}`);
      }
      if (json !== '-') process.stdout.write(`${renderRun(run)}\n\n`);
      runs.push(run);
    }
  }
  if (json !== undefined) {
    const text = `${JSON.stringify(runs.length === 1 ? runs[0] : runs, null, 2)}\n`;
    if (json === '-') process.stdout.write(text);
    else fs.writeFileSync(json, text);
  }
  if (argv.csv !== undefined) fs.writeFileSync(argv.csv, runs.map(runToCsv).map((c, i) => (i === 0 ? c : c.slice(c.indexOf('\n') + 1))).join(''));
  const failed = runs.flatMap((r) => r.cells).filter((c) => c.error !== null);
  if (failed.length > 0) {
    log(`${failed.length} cell(s) failed: ${failed.map((c) => c.label).join(', ')}`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (err) {
  if (!(err instanceof UsageError || err instanceof RangeError)) throw err;
  process.stderr.write(`bench/workload.ts: ${err.message}\n`);
  process.exitCode = 2;
}
