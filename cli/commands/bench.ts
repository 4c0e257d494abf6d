/**
 * `remapdb bench <workloads>`: run the workload matrix (bench/harness) — every remapdb
 * buffer-pool strategy and both peers — print it side by side, record it in the results
 * database, optionally write JSON, CSV and the HTML report. Progress bars on a terminal;
 * `--inspect-socket PATH` lets a second terminal watch each remapdb cell live.
 *
 * Exit status: 0 when every cell ran and passed its checks; BENCH_INCONSISTENT (7) when a
 * consistency check failed; FAILURE (1) when a cell failed otherwise.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { addBenchOptions, type BenchArgs, planBench, runPlan } from '../../bench/harness/bench-cli.js';
import { renderHtmlReport } from '../../bench/harness/html-report.js';
import { WORKLOAD_NAMES } from '../../bench/harness/registry.js';
import { renderRun } from '../../bench/harness/report.js';
import { runToCsv } from '../../bench/harness/results-db.js';
import type { RunResult } from '../../bench/harness/types.js';
import { CodedError, REMAPDB_CODES } from '../../src/index.js';
import { defineCommand } from '../command.js';
import { createProgress, wantBars } from '../render/progress.js';

/** Quiet unless the log level asks for info (the run's log is info). */
export function quietLog(level: string | undefined): boolean {
  return level === 'warn' || level === 'error' || level === 'fatal' || level === 'silent';
}

/** The exit status a finished set of runs deserves, as an error to throw (or null). */
export function runsFailure(runs: readonly RunResult[]): CodedError | null {
  const failed = runs.flatMap((r) => r.cells).filter((c) => c.error !== null);
  if (failed.length === 0) return null;
  const inconsistent = failed.filter((c) => (c.error ?? '').includes('consistency check'));
  const names = failed.map((c) => `${c.label}: ${c.error ?? ''}`).slice(0, 3).join('; ');
  return inconsistent.length > 0
    ? new CodedError(REMAPDB_CODES.BENCH_INCONSISTENT, `${inconsistent.length} cell(s) failed their consistency checks: ${names}`)
    : new CodedError('REMAPDB_BENCH_FAILED', `${failed.length} cell(s) failed: ${names}`);
}

export function writeOutputs(runs: readonly RunResult[], o: { out?: string | undefined; csv?: string | undefined }): void {
  if (o.out !== undefined) fs.writeFileSync(o.out, `${JSON.stringify(runs.length === 1 ? runs[0] : runs, null, 2)}\n`);
  if (o.csv !== undefined) fs.writeFileSync(o.csv, runs.map(runToCsv).map((c, i) => (i === 0 ? c : c.slice(c.indexOf('\n') + 1))).join(''));
}

export async function writeHtml(runs: readonly RunResult[], file: string, title: string): Promise<string> {
  const html = await renderHtmlReport(runs, { title });
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, html);
  return path.resolve(file);
}

export const benchCommand = defineCommand({
  command: 'bench <workloads>',
  describe: 'Run TPC-C-like, TPC-B-like or YCSB-like workloads on each buffer-pool strategy and on SQLite and LMDB, side by side',
  examples: [
    ['remapdb bench tpcc --warehouses 1 --duration 30', 'TPC-C-like, 1 warehouse: three strategies, SQLite and LMDB'],
    ['remapdb bench tpcb --scale 10 --sync off,normal --html report.html', 'TPC-B-like, two durability modes, with the HTML report'],
    ['remapdb bench ycsb --records 100000 --strategies nonlinear', 'YCSB A–F: remapdb nonlinear and the peers'],
    ['remapdb bench tpcc --engines remapdb --inspect-socket /tmp/rdb.sock', 'then, in another terminal: remapdb inspect --live /tmp/rdb.sock --watch'],
  ],
  builder: (y) => addBenchOptions(y
    .positional('workloads', { type: 'string', demandOption: true,
      describe: `one or more of ${WORKLOAD_NAMES.join(', ')}, comma-separated ('ycsb' = all six)` }))
    .option('out', { type: 'string', requiresArg: true, describe: 'also write the run(s) as JSON to this file' })
    .option('csv', { type: 'string', requiresArg: true, describe: 'also write the run(s) as CSV to this file (one line per cell × transaction type)' })
    .option('html', { type: 'string', requiresArg: true, describe: 'also write the HTML report (charts) to this file' })
    // No defaults here: absent, they come from the configuration (kernel.personality, kernel.arch).
    // (default: undefined is needed: yargs keeps an earlier definition's default otherwise.)
    .option('personality', { type: 'string', default: undefined, requiresArg: true, describe: 'kernel personalities: linux-2.6, linux-4.0',
      defaultDescription: 'kernel.personality (linux-2.6)' })
    .option('arch', { type: 'string', default: undefined, requiresArg: true, describe: 'architectures: x86_64, i386, i386-pae',
      defaultDescription: 'kernel.arch (x86_64)' }),
  async run(args, ctx) {
    // The configuration applies beneath the matrix axes (engine-config.ts readersOf says which keys).
    const cfg = ctx.config().config;
    const a = { ...args, personality: args.personality ?? cfg.kernel.personality, arch: args.arch ?? cfg.kernel.arch } as unknown as BenchArgs;
    const plan = planBench(String(args.workloads), a);
    plan.runs = plan.runs.map((r) => ({ ...r, config: cfg }));
    const bars = createProgress(wantBars(args.json), quietLog(args.logLevel));
    bars.log(`seed ${plan.seed} (replay with --seed ${plan.seed})`);
    const live = plan.runs[0]?.inspectSocket;
    if (live !== undefined && plan.runs.some((r) => r.engines.includes('remapdb'))) {
      bars.log(`watch each remapdb cell live from another terminal: remapdb inspect --live ${live} --watch`);
    }
    let runs: RunResult[];
    try {
      runs = await runPlan(plan, {
        log: (l) => bars.log(l),
        progress: (e) => bars.event(e),
      });
    } finally {
      bars.stop();
    }
    if (!args.json) for (const run of runs) ctx.out(`${renderRun(run, { box: true })}\n\n`);
    writeOutputs(runs, { out: args.out, csv: args.csv });
    if (args.html !== undefined) {
      const where = await writeHtml(runs, args.html, `remapdb bench ${String(args.workloads)}`);
      process.stderr.write(`HTML report: ${where}\n`);
    }
    if (args.json) ctx.out(`${JSON.stringify(runs.length === 1 ? runs[0] : runs, null, 2)}\n`);
    const failure = runsFailure(runs);
    if (failure !== null) throw failure;
  },
});
