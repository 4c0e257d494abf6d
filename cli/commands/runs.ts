/**
 * `remapdb runs` and `remapdb compare`: the benchmark runs recorded in the results
 * database (bench/harness/results-db.ts; `npm run workload` writes them) — a list, newest
 * first, and two or more runs side by side with ratios against the first.
 */

import * as fs from 'node:fs';

import Sqlite from 'better-sqlite3';

import { renderRun, compareRuns } from '../../bench/harness/report.js';
import { DEFAULT_RESULTS_DB, ResultsDb } from '../../bench/harness/results-db.js';
import { renderTable } from '../../bench/lib/format.js';
import { CodedError, REMAPDB_CODES, UsageError } from '../../src/index.js';
import { defineCommand } from '../command.js';

export function openResults(file: string): ResultsDb {
  if (!fs.existsSync(file)) {
    throw new CodedError('ENOENT', `no results database at ${file}: run a benchmark first (remapdb bench tpcb --scale 1, or remapdb demo) or pass --results FILE`);
  }
  if (fs.statSync(file).isDirectory()) throw new CodedError('EISDIR', `--results ${file} is a directory: give the results database file`);
  try {
    // Read-only first: ResultsDb would switch any SQLite file to WAL and write its schema into one without tables.
    const probe = new Sqlite(file, { readonly: true, fileMustExist: true });
    try {
      if (probe.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'runs'").get() === undefined) {
        throw new Error('it has no runs table');
      }
    } finally {
      probe.close();
    }
    return new ResultsDb(file, { create: false });
  } catch (err) {
    throw new CodedError(REMAPDB_CODES.CHECK_FAILED, `${file} is not a remapdb results database (${(err as Error).message}): pass --results FILE`,
      { cause: err });
  }
}

export const RESULTS_OPTION = { type: 'string', default: DEFAULT_RESULTS_DB, requiresArg: true, describe: 'results database (SQLite)' } as const;

export const runsCommand = defineCommand({
  command: 'runs',
  describe: 'List the benchmark runs recorded in the results database, newest first (--show ID: one run\'s tables)',
  examples: [
    ['remapdb runs', 'the last 20 runs: id, date, workload, seed, durability, cells, failures, best cell'],
    ['remapdb runs --show 3', "run 3's tables as the benchmark printed them"],
  ],
  builder: (y) => y
    .option('results', RESULTS_OPTION)
    .option('limit', { type: 'number', default: 20, requiresArg: true, describe: 'how many runs to list (1..10000)' })
    .option('show', { type: 'number', requiresArg: true, describe: 'print one run whole' }),
  run(args, ctx) {
    if (!(Number.isInteger(args.limit) && args.limit >= 1 && args.limit <= 10000)) {
      throw new UsageError(`--limit ${String(args.limit)}: an integer from 1 to 10000`);
    }
    const db = openResults(args.results);
    try {
      if (args.show !== undefined) {
        const run = getRun(db, args.show);
        ctx.out(args.json ? `${JSON.stringify(run, null, 2)}\n` : `${renderRun(run)}\n`);
        return;
      }
      const runs = db.list(args.limit);
      if (args.json) {
        ctx.out(`${JSON.stringify(runs, null, 2)}\n`);
        return;
      }
      ctx.out(`${renderTable({
        title: `${runs.length} run(s) in ${args.results}`,
        columns: ['run', 'started', 'workload', 'params', 'seed', 'sync', 'cells', 'failed', 'best'],
        rightAlign: [0, 4, 6, 7],
        rows: runs.map((r) => [String(r.runId), r.startedAt.replace('T', ' ').slice(0, 19), r.workload, r.params, String(r.seed), r.sync,
          String(r.cells), String(r.failed), r.best]),
      })}\n`);
    } finally {
      db.close();
    }
  },
});

export function getRun(db: ResultsDb, id: number): ReturnType<ResultsDb['get']> {
  if (!(Number.isInteger(id) && id >= 1)) throw new UsageError(`run id ${String(id)}: a positive integer (remapdb runs lists them)`);
  try {
    return db.get(id);
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (remapdb runs lists the runs)`);
  }
}

export const compareCommand = defineCommand({
  command: 'compare <runs..>',
  describe: 'Put two or more recorded runs side by side, each cell against the first run\'s cell of the same id',
  examples: [['remapdb compare 3 5', 'runs 3 and 5: every cell with its figure and the ratio against run 3']],
  builder: (y) => y
    .positional('runs', { type: 'number', array: true, demandOption: true, describe: 'run ids (remapdb runs lists them)' })
    .option('results', RESULTS_OPTION),
  run(args, ctx) {
    const ids = args.runs;
    if (ids.length < 2) throw new UsageError(`compare needs two or more run ids; got ${ids.length}`);
    const db = openResults(args.results);
    try {
      const runs = ids.map((id) => getRun(db, id));
      const table = compareRuns(runs);
      ctx.out(args.json ? `${JSON.stringify({ columns: table.columns, rows: table.rows }, null, 2)}\n` : `${renderTable(table)}\n`);
    } finally {
      db.close();
    }
  },
});
