/**
 * The full fault sweep, SQLite's way: every I/O of the workload fails in turn — each
 * read, write, fsync, swap read and swap write, with each outcome that applies — for each
 * buffer-pool strategy, at sync 'full' and 'normal'. After the error the machine ends in
 * a process crash or a power cut (alternating, run.ts endingOf): after a kill every
 * acknowledged transaction survives at both levels (the one in flight absent or whole);
 * after a power cut — unsynced host writes kept, lost or torn — 'full' keeps them all
 * and 'normal' a consistent prefix, at least up to the last checkpoint. The workload and
 * the checks: workload.ts; the loop: lib.ts. test/reliability/fault-sweep.test.ts runs a
 * strided subset of it.
 *
 *   npx tsx reliability/fault-sweep/main.ts                     # everything, stride 1
 *   npx tsx reliability/fault-sweep/main.ts --sync full --strategies pread --kinds read,swapRead --stride 4
 *   REMAPDB_SEED=7 npx tsx reliability/fault-sweep/main.ts      # another workload
 *
 * Prints the summary table (one line per strategy × sync × kind × outcome) and each
 * failing run with its problems; exit 0 when every run passed, 1 otherwise.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import type { IoKind } from '../../sim-kernel/index.js';
import type { SyncMode } from '../../storage/index.js';
import { type CellTally, fastTempRoot, summaryLines, sweep, totals } from './lib.js';
import { createBase, KINDS, makeWorkload, STRATEGIES, type Strategy } from './workload.js';
import { runScript } from '../../bench/lib/script-cli.js';

const DEFAULT_SEED = 20261126;

function list<T extends string>(text: string, allowed: readonly T[], what: string): T[] {
  const out = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const s of out) {
    if (!(allowed as readonly string[]).includes(s)) throw new RangeError(`--${what} ${s}: allowed ${allowed.join(', ')}`);
  }
  return out as T[];
}

function main(): void {
  const { values } = parseArgs({
    options: {
      strategies: { type: 'string', default: STRATEGIES.join(',') },
      sync: { type: 'string', default: 'full,normal' },
      kinds: { type: 'string', default: KINDS.join(',') },
      stride: { type: 'string', default: process.env['REMAPDB_FAULT_STRIDE'] ?? '1' },
      seed: { type: 'string', default: process.env['REMAPDB_SEED'] ?? String(DEFAULT_SEED) },
      'max-failures': { type: 'string', default: '20' },
    },
  });
  const seed = Number(values.seed);
  const stride = Number(values.stride);
  const maxFailures = Number(values['max-failures']);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`--seed ${values.seed}: an integer from 0 to 2^32-1`);
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`--stride ${values.stride}: an integer >= 1`);
  if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new RangeError(`--max-failures ${values['max-failures']}: an integer >= 1`);
  const strategies = list<Strategy>(values.strategies, STRATEGIES, 'strategies');
  const syncs = list<SyncMode>(values.sync, ['full', 'normal'], 'sync');
  const kinds = list<IoKind>(values.kinds, KINDS, 'kinds');
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };

  const started = performance.now();
  log(`fault sweep: seed ${seed} (replay: REMAPDB_SEED=${seed}), stride ${stride}, strategies ${strategies.join(', ')}, ` +
    `sync ${syncs.join(', ')}, kinds ${kinds.join(', ')}`);
  const root = fastTempRoot('remapdb-fault-sweep-');
  const cells: CellTally[] = [];
  try {
    const workload = makeWorkload(seed);
    const baseDir = path.join(root, 'base');
    createBase(baseDir, workload);
    for (const sync of syncs) {
      for (const strategy of strategies) {
        const t0 = performance.now();
        const r = sweep({
          workload, baseDir, workDir: root, strategy, sync, stride: () => stride, maxFailures, kinds,
          onFailure: (name, problems) => log(`FAIL ${name}:\n  ${problems.join('\n  ')}`),
        });
        if (r.dryProblems.length > 0) {
          log(`FAIL ${strategy} sync=${sync}: the dry run:\n  ${r.dryProblems.join('\n  ')}`);
          process.exitCode = 1;
          continue;
        }
        cells.push(...r.cells);
        const t = totals(r.cells);
        const io = Object.entries(r.dry.seen).map(([k, v]) => `${k} ${v}`).join(', ');
        log(`${strategy} sync=${sync}: I/Os in the workload: ${io}; ${t.runs} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
          `${t.failures > 0 ? `, ${t.failures} FAILED` : ''}`);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  log('');
  for (const line of summaryLines(cells)) log(line);
  log(`wall time ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (totals(cells).failures > 0) process.exitCode = 1;
}

const USAGE = `
npm run fault-sweep -- [options]   (= npx tsx reliability/fault-sweep/main.ts)
SQLite-style fault sweep: run a fixed workload, then fail its 1st, 2nd, ... I/O of each kind
in turn with each outcome; every run must end in success or a coded error and recover exactly.
  --strategies LIST  nonlinear,multi-mmap,pread (default all)
  --sync LIST        full,normal (default both)
  --kinds LIST       read,write,fsync,swapRead,swapWrite (default all)
  --stride N         fail every N-th I/O (default 1, or REMAPDB_FAULT_STRIDE)
  --seed N           workload seed (default ${DEFAULT_SEED}, or REMAPDB_SEED)
  --max-failures N   stop listing failures after N (default 20)
`;

await runScript('fault-sweep', USAGE, main);
