/**
 * Run a workload matrix from the command line (the same options as `remapdb bench`,
 * declared once in harness/bench-cli.ts):
 *   npx tsx bench/workload.ts tpcc --warehouses 1 --duration 30
 *   npx tsx bench/workload.ts tpcb --scale 10 --sync off,normal --strategies nonlinear
 *   npx tsx bench/workload.ts ycsb-a,ycsb-b --records 100000 --engines remapdb,sqlite
 * Each workload × sync mode is one run: its matrix is printed side by side and recorded
 * in the results database (--results), and written as JSON/CSV when asked.
 */

import * as fs from 'node:fs';

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

import { UsageError } from '../src/index.js';
import { addBenchOptions, type BenchArgs, planBench, runPlan } from './harness/bench-cli.js';
import { WORKLOAD_NAMES } from './harness/registry.js';
import { renderRun } from './harness/report.js';
import { runToCsv } from './harness/results-db.js';

const argv = await addBenchOptions(yargs(hideBin(process.argv))
  .scriptName('bench/workload.ts')
  .usage('$0 <workloads> [options]\n\nRun TPC-C-like, TPC-B-like or YCSB-like workloads on remapdb (each buffer-pool strategy) and its peers.')
  .command('$0 <workloads>', 'run the matrix for each workload (comma-separated)', (y) => y.positional('workloads', {
    type: 'string', describe: `one or more of ${WORKLOAD_NAMES.join(', ')}, comma-separated ('ycsb' = all six)`,
  })))
  .option('json', { type: 'string', describe: 'also write the run(s) as JSON to this file ("-" = stdout, no tables)' })
  .option('csv', { type: 'string', describe: 'also write the run(s) as CSV to this file' })
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
  const plan = planBench(String(argv.workloads), argv as unknown as BenchArgs);
  const json = argv.json;
  const log = (line: string): void => { process.stderr.write(`${line}\n`); };
  log(`seed ${plan.seed} (replay with --seed ${plan.seed})`);
  const runs = await runPlan(plan, {
    log,
    onRun: (run) => {
      if (json !== '-') process.stdout.write(`${renderRun(run)}\n\n`);
    },
  });
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
