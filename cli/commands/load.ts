/**
 * `remapdb load <workload> DIR`: create a database and load a workload's initial rows
 * into it — TPC-C-like (warehouses), TPC-B-like (scale) or YCSB-like (records) — with a
 * progress bar, then run the workload's consistency checks and write image.json (what
 * was loaded, with which parameters and seed) so `remapdb check` and the benchmark know.
 * The same loader the benchmark uses, run in this process.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { parseParams } from '../../bench/harness/bench-cli.js';
import { runLoad } from '../../bench/harness/cell.js';
import { WORKLOAD_NAMES, workloadByName } from '../../bench/harness/registry.js';
import { DEFAULT_SPEC, type EngineKind } from '../../bench/workloads/stores.js';
import { CodedError, REMAPDB_CODES, STRATEGY_NAMES, type StrategyName, UsageError } from '../../src/index.js';
import { defineCommand } from '../command.js';
import { describeEngine, engineConfig } from '../engine-config.js';
import { createProgress, wantBars } from '../render/progress.js';
import { quietLog } from './bench.js';
import { checkFreshDir } from './init.js';
import { int } from '../../bench/lib/format.js';

export const loadCommand = defineCommand({
  command: 'load <workload> <dir>',
  describe: "Load a workload's tables into a new database, with its consistency checks",
  examples: [
    ['remapdb load tpcc ./tpcc-1w --warehouses 1', 'TPC-C-like, 1 warehouse (~500 K rows)'],
    ['remapdb load tpcb ./tpcb-10 --scale 10', 'TPC-B-like, 1 M accounts'],
    ['remapdb load ycsb-a ./ycsb --records 100000', 'YCSB-like usertable, 100 K records of 10 × 100 B'],
    ['remapdb load tpcb ./tpcb-peer --engine sqlite --scale 1', 'the same rows into SQLite (db.sqlite in DIR)'],
    ['REMAPDB_BUFFERPOOL_STRATEGY=pread remapdb load tpcb ./tpcb-pread --scale 1', 'settings from the environment, a profile or --config apply too'],
  ],
  builder: (y) => y
    .positional('workload', { choices: WORKLOAD_NAMES, demandOption: true, describe: 'workload' })
    .positional('dir', { type: 'string', demandOption: true, describe: 'new (or empty) directory' })
    .option('warehouses', { type: 'number', requiresArg: true, describe: 'TPC-C scale (default 1)' })
    .option('scale', { type: 'number', requiresArg: true, describe: 'TPC-B scale (default 10)' })
    .option('records', { type: 'number', requiresArg: true, describe: 'YCSB record count (default 1,000,000)' })
    .option('param', { type: 'string', array: true, default: [] as string[], requiresArg: true, describe: 'other workload parameter key=value' })
    .option('seed', { type: 'number', default: 1, requiresArg: true, describe: 'load seed (TPC-C loads are fixed by the spec)' })
    .option('engine', { choices: ['remapdb', 'sqlite', 'lmdb'] as const, default: 'remapdb' as EngineKind, requiresArg: true, describe: 'engine to load into' })
    .option('pool-pages', { type: 'number', requiresArg: true, describe: 'buffer-pool slots during the load (64..4194303)',
      defaultDescription: 'bufferpool.slots (4096)' })
    .option('strategy', { choices: STRATEGY_NAMES, requiresArg: true, describe: 'buffer-pool strategy during the load (the file is the same)',
      defaultDescription: 'bufferpool.strategy (nonlinear)' }),
  async run(args, ctx) {
    const wl = workloadByName(args.workload);
    const p = parseParams(args.param);
    if (args.warehouses !== undefined) p.warehouses = args.warehouses;
    if (args.scale !== undefined) p.scale = args.scale;
    if (args.records !== undefined) p.recordCount = args.records;
    const resolved = engineConfig(ctx, { poolPages: args.poolPages, strategy: args.strategy as StrategyName | undefined });
    const cfg = resolved.config;
    const poolPages = cfg.bufferpool.slots;
    if (!(Number.isInteger(args.seed) && args.seed >= 1 && args.seed < 2 ** 31)) throw new UsageError(`--seed ${String(args.seed)}: an integer from 1 to 2147483647`);
    let params: Record<string, unknown>;
    try {
      params = wl.params(p) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`${args.workload}: ${(err as Error).message}`);
    }
    checkFreshDir(args.dir);
    // runLoad creates the directory itself; an empty one may go.
    if (fs.existsSync(args.dir)) fs.rmdirSync(args.dir);
    const bars = createProgress(wantBars(args.json), quietLog(args.logLevel));
    if (args.engine === 'remapdb') bars.log(`remapdb: ${describeEngine(cfg)} (remapdb config shows where each setting came from)`);
    let m;
    try {
      m = await runLoad({
        phase: 'load', workload: { name: wl.name, params }, seed: args.seed, dir: args.dir,
        engine: {
          ...DEFAULT_SPEC, kind: args.engine, poolPages, strategy: cfg.bufferpool.strategy, mlock: cfg.bufferpool.mlock,
          personality: cfg.kernel.personality, arch: cfg.kernel.arch, ramBytes: cfg.kernel.ramBytes, config: cfg,
        },
      }, { progress: (e) => bars.event(e), log: (l) => bars.log(l) });
    } catch (err) {
      if (err instanceof Error && err.message.includes('consistency check')) throw new CodedError(REMAPDB_CODES.CHECK_FAILED, err.message);
      throw err;
    } finally {
      bars.stop();
    }
    if (args.json) {
      ctx.out(`${JSON.stringify({ dir: path.resolve(args.dir), ...m }, null, 2)}\n`);
      return;
    }
    ctx.out(`loaded ${wl.name} ${JSON.stringify(m.workload.params)} into ${path.resolve(args.dir)} (${m.kind}): ${int(m.rows)} rows, ` +
      `${(m.bytes / 1048576).toFixed(1)} MiB in ${m.loadSeconds.toFixed(1)} s (${int(m.rowsPerSec)} rows/s); ` +
      `${m.checks.length} consistency checks passed\n`);
  },
});
