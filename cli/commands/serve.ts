/**
 * `remapdb serve DIR`: open a database and serve its live inspection socket until Ctrl-C
 * — idle, or running the workload it was loaded with (`--run`; image.json says which) so
 * there is something to watch. `remapdb inspect --live SOCKET` from a second terminal
 * shows the pool as it changes. On Ctrl-C the workload stops between transactions, its
 * consistency checks run, and the database closes (storing a snapshot).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { failedChecks } from '../../bench/harness/cell.js';
import { MANIFEST_FILE, readWorkloadManifest } from '../../bench/harness/images.js';
import type { ImageManifest } from '../../bench/harness/types.js';
import { measure } from '../../bench/harness/measure.js';
import { workloadByName } from '../../bench/harness/registry.js';
import { closeStore, DEFAULT_SPEC, openStore, STRATEGIES, type StrategyName, SYNC_MODES, type SyncMode } from '../../bench/workloads/stores.js';
import { DATA_FILE } from '../../storage/index.js';
import { CodedError, REMAPDB_CODES, UsageError } from '../../src/index.js';
import { defaultSocketPath } from '../../src/inspect/index.js';
import { serveInspection } from '../../src/inspect/index.js';
import { defineCommand } from '../command.js';
import { describeEngine, engineConfig } from '../engine-config.js';

export const serveCommand = defineCommand({
  command: 'serve <dir>',
  describe: 'Open a database and serve live inspection until Ctrl-C, idle or running its workload (--run)',
  examples: [
    ['remapdb serve remapdb-results/demo-db --run', 'the demo database running TPC-C-like; then: remapdb inspect --live <socket> --watch'],
    ['remapdb serve DIR --socket /tmp/my.sock', 'hold DIR open (idle) and serve it on /tmp/my.sock'],
    ['remapdb serve DIR --run --duration 60 --pool-pages 4096', 'a 60 s run with a small pool (more misses to watch)'],
  ],
  builder: (y) => y
    .positional('dir', { type: 'string', demandOption: true, describe: 'database directory' })
    .option('socket', { type: 'string', default: defaultSocketPath('serve'), requiresArg: true, describe: 'inspection socket (created 0600)' })
    .option('run', { type: 'boolean', default: false, describe: 'run the workload the database was loaded with (its image.json)' })
    .option('terminals', { type: 'number', default: 1, requiresArg: true, describe: '--run: clients taking turns (1..1000)' })
    .option('duration', { type: 'number', default: 0, requiresArg: true, describe: 'seconds to serve (0: until Ctrl-C)' })
    .option('seed', { type: 'number', default: 1, requiresArg: true, describe: '--run: terminal seed' })
    .option('pool-pages', { type: 'number', requiresArg: true, describe: 'buffer-pool slots (64..4194303)', defaultDescription: 'bufferpool.slots (4096)' })
    .option('strategy', { choices: STRATEGIES, requiresArg: true, describe: 'buffer-pool strategy', defaultDescription: 'bufferpool.strategy (nonlinear)' })
    .option('sync', { choices: SYNC_MODES, default: 'normal' as SyncMode, requiresArg: true, describe: 'durability' }),
  async run(args, ctx) {
    if (!(Number.isInteger(args.terminals) && args.terminals >= 1 && args.terminals <= 1000)) throw new UsageError(`--terminals ${String(args.terminals)}: an integer from 1 to 1000`);
    if (!(Number.isFinite(args.duration) && args.duration >= 0)) throw new UsageError(`--duration ${String(args.duration)}: seconds >= 0 (0: until Ctrl-C)`);
    const resolved = engineConfig(ctx, { poolPages: args.poolPages, strategy: args.strategy as StrategyName | undefined });
    const cfg = resolved.config;
    const poolPages = cfg.bufferpool.slots;
    if (!fs.existsSync(path.join(args.dir, DATA_FILE))) throw new CodedError('ENOENT', `${args.dir} holds no ${DATA_FILE}: not a remapdb database`);
    let manifest: ImageManifest | null = null;
    if (fs.existsSync(path.join(args.dir, MANIFEST_FILE))) {
      try {
        manifest = readWorkloadManifest(args.dir);
      } catch (err) {
        throw new CodedError(REMAPDB_CODES.CHECK_FAILED, (err as Error).message);
      }
    }
    if (args.run && manifest === null) {
      throw new UsageError(`--run needs the workload ${args.dir} was loaded with, and it has no ${MANIFEST_FILE} (load one with remapdb load)`);
    }
    const say = (line: string): void => { process.stderr.write(`${line}\n`); };
    const store = openStore(args.dir, {
      ...DEFAULT_SPEC, kind: 'remapdb', poolPages, strategy: cfg.bufferpool.strategy, mlock: cfg.bufferpool.mlock, sync: args.sync,
      personality: cfg.kernel.personality, arch: cfg.kernel.arch, ramBytes: cfg.kernel.ramBytes, config: cfg,
    }, false);
    if (store.kind !== 'remapdb') throw new Error('unreachable');
    let stop = false;
    const onInt = (): void => { stop = true; };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onInt);
    let summary: Record<string, unknown> = {};
    try {
      await serveInspection(store.db, args.socket);
      say(`serving ${path.resolve(args.dir)} (${describeEngine(cfg)}) on ${args.socket}`);
      say(`  inspect it: remapdb inspect --live ${args.socket} --watch      (Ctrl-C here to stop)`);
      const seconds = args.duration > 0 ? args.duration : 1e9;
      if (args.run && manifest !== null) {
        const wl = workloadByName(manifest.workload.name);
        const bound = wl.bind(store, wl.params(manifest.workload.params));
        const m = await measure(bound.terminals(args.terminals, args.seed), wl.txTypes,
          { terminals: args.terminals, warmupSeconds: 0, durationSeconds: seconds, transactions: 0, progressSeconds: 5 }, `serve ${wl.name}`,
          { progress: say, stop: () => stop });
        const committed = m.run.committed.reduce((a, b) => a + b, 0);
        const checks = bound.check();
        summary = { workload: wl.name, seconds: m.run.seconds, committed, txPerSec: committed / Math.max(m.run.seconds, 1e-9), checks };
        const failed = failedChecks(checks);
        if (failed !== null) throw new CodedError(REMAPDB_CODES.CHECK_FAILED, `after serving ${wl.name}: ${failed}`);
      } else {
        const until = Date.now() + seconds * 1000;
        while (!stop && Date.now() < until) await sleep(Math.min(200, until - Date.now()));
      }
    } finally {
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onInt);
      await closeStore(store);
    }
    ctx.out(args.json ? `${JSON.stringify({ dir: path.resolve(args.dir), socket: args.socket, ...summary }, null, 2)}\n`
      : `stopped; ${summary.committed === undefined ? '' : `${String(summary.committed)} transactions committed, checks passed; `}` +
        `the database is closed and its snapshot stored (remapdb inspect ${args.dir})\n`);
  },
});
