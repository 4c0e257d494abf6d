/**
 * Measure crash recovery (replay.ts): build a WAL, cut the power, time the reopen.
 *
 *   npx tsx bench/storage/replay-main.ts --workload tpcb --scale 10 --wal-mib 256
 *   npx tsx bench/storage/replay-main.ts --workload tpcc --warehouses 1 --wal-mib 0   # the defaults' worst case
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/storage/replay-main.ts --wal-mib 256
 *
 * The loaded image is kept in --work-dir for later runs (delete it after a change of
 * the loader or the page format).
 */

import * as fs from 'node:fs';
import { parseArgs } from 'node:util';

import { renderTable } from '../lib/format.js';
import { runScript } from '../lib/script-cli.js';
import { measureReplay, type ReplayResult, type ReplaySpec, replayTable } from './replay.js';

const USAGE = `
npx tsx bench/storage/replay-main.ts [options]
Build a WAL with a workload, cut the power, and time the reopen that replays it.
  --workload tpcb|tpcc  (default tpcb)
  --scale N             TPC-B scale (default 10)
  --warehouses N        TPC-C warehouses (default 1)
  --wal-mib LIST        WAL sizes to build with checkpoints off, MiB, comma list; 0 = the default
                        checkpoint options, crash one transaction short of their trigger (default 256)
  --pool-pages N        buffer-pool pages (default 60000)
  --replay-budget-ms N  open with this replayBudgetMs (default: the engine's default)
  --runs N              repeat each size (default 1)
  --seed N              terminal seed (default 20261126)
  --work-dir DIR        image and run directory (default /tmp/remapdb-replay)
  --json FILE           also write the results as JSON
`;

function int(name: string, text: string, min: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`--${name} ${text}: an integer >= ${min}`);
  return v;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      workload: { type: 'string', default: 'tpcb' },
      scale: { type: 'string', default: '10' },
      warehouses: { type: 'string', default: '1' },
      'wal-mib': { type: 'string', default: '256' },
      'pool-pages': { type: 'string', default: '60000' },
      'replay-budget-ms': { type: 'string' },
      runs: { type: 'string', default: '1' },
      seed: { type: 'string', default: '20261126' },
      'work-dir': { type: 'string', default: '/tmp/remapdb-replay' },
      json: { type: 'string' },
    },
  });
  const workload = values.workload;
  if (workload !== 'tpcb' && workload !== 'tpcc') throw new RangeError(`--workload ${workload}: tpcb or tpcc`);
  const params = workload === 'tpcb' ? { scale: int('scale', values.scale, 1) } : { warehouses: int('warehouses', values.warehouses, 1) };
  const sizes = values['wal-mib'].split(',').map((s) => int('wal-mib', s, 0));
  const runs = int('runs', values.runs, 1);
  const budget = values['replay-budget-ms'];
  const log = (line: string): void => { process.stderr.write(`${line}\n`); };
  const results: ReplayResult[] = [];
  for (const walMiB of sizes) {
    for (let i = 0; i < runs; i++) {
      const spec: ReplaySpec = {
        workload, params, walMiB, poolPages: int('pool-pages', values['pool-pages'], 64), seed: int('seed', values.seed, 0),
        workDir: values['work-dir'], ...(budget === undefined ? {} : { options: { replayBudgetMs: int('replay-budget-ms', budget, 0) } }),
      };
      const r = measureReplay(spec, log);
      log(`replay: reopen ${r.reopenMs.toFixed(0)} ms (clean open ${r.cleanOpenMs.toFixed(0)} ms), replay ${r.walMBPerSec.toFixed(1)} MB/s, ${(r.recordsPerSec / 1e3).toFixed(0)} K records/s`);
      results.push(r);
    }
  }
  process.stdout.write(`${renderTable(replayTable(results))}\n`);
  if (values.json !== undefined) fs.writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
  if (results.some((r) => r.checks.some((c) => !c.ok))) process.exitCode = 1;
}

await runScript('bench/storage/replay-main.ts', USAGE, main);
