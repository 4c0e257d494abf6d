/**
 * `npm run kill`: the SIGKILL durability test (issue 16, part 3) — remapdb at every
 * strategy × sync mode against SQLite (WAL) and LMDB at each of theirs. Each
 * configuration runs --rounds rounds on one directory; a round spawns a child that
 * opens the database (recovering the last kill) and commits small transactions,
 * acknowledging each on stdout, until a seeded SIGKILL lands — during open and
 * recovery, during commits, during explicit or automatic checkpoints. The copy the kill
 * left is then opened and checked: every acknowledged commit is there, the rows are
 * 1..max with no gap, no transaction is partial, the engine's own checks pass. Files:
 *   configs.ts  the configurations and their claims     plan.ts    where kills aim
 *   child.ts    the process that is killed              round.ts   one round
 *   stores/     each engine's workload and snapshot     verify.ts  the checks
 *   run.ts      a configuration's rounds                report.ts  table, JSON
 *
 * stdout: the table (or --json); stderr: progress (pino). Exit 0 when nothing was lost
 * and every check passed, 1 otherwise (with the seed and the replay command), 2 on a
 * bad flag.
 */

import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

import { fastTempRoot } from '../fault-sweep/lib.js';
import { configsOf, ENGINE_KINDS, type KillConfig, slugOf, STRATEGY_NAMES, SYNC_MODES } from './configs.js';
import { killLogger } from './log.js';
import { formatProblems, formatTable, type RunSummary, toJson } from './report.js';
import { type ConfigResult, runConfigs } from './run.js';

const KiB = 1024;
export const DEFAULT_ROUNDS = 10;
/** A 'commit' kill comes after 1..400 acks: at 2–10 commits/ms on tmpfs, 0.05–0.2 s of commits. */
export const DEFAULT_MAX_ACKS = 400;
/**
 * 256 KiB: a commit of this workload logs ~370 bytes (whole pages after a checkpoint), so
 * remapdb checkpoints automatically every ~700 commits — about every other round.
 */
export const DEFAULT_CHECKPOINT_BYTES = 256 * KiB;

const USAGE = `npm run kill -- [options]     (= npx tsx reliability/kill/main.ts)

A real SIGKILL durability test. For each configuration, --rounds times: a child process
opens the database (recovering the last kill), then commits transactions in a loop —
each inserts row i (~100 bytes) and adds i to an accumulator row, and prints "ack i" once
its commit returns — until the parent sends SIGKILL at a seeded moment: during open and
recovery, after the n-th ack, inside an explicit checkpoint, or in a commit that runs an
automatic checkpoint. The parent then opens a copy of what the kill left and checks it:

  lost            acknowledged commits (or rows an earlier round found) now missing
  gaps            keys missing below the largest present (rows must be 1..max)
  partial         the accumulator disagrees with the rows (a transaction half applied)
  engine checks   remapdb checkInvariants() and integrityReport(); SQLite integrity_check

"claims on a process kill" is what each engine documents, and every one promises no
loss at every setting: what SQLite, LMDB and remapdb write before a commit returns is in
the host kernel's page cache, which a killed process does not take with it (remapdb's
own page cache is simulated inside the process: its WAL hands each commit to the host
file — fdatasync at 'full', sync_file_range at 'normal' and 'off'). The settings differ on
power loss, which this test does not model. "killed in" counts rounds by the last line
the child wrote before it died.`;

const list = <T extends string>(allowed: readonly T[]) => (v: string | string[]): T[] => {
  const items = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  for (const s of items) if (!(allowed as readonly string[]).includes(s)) throw new Error(`"${s}" is not one of ${allowed.join(', ')}`);
  if (items.length === 0) throw new Error(`give at least one of ${allowed.join(', ')}`);
  return items as T[];
};
const integer = (min: number, max: number) => (v: number): number => {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${v}: an integer from ${min} to ${max}`);
  return v;
};

/** A bad flag or value: one line and exit 2, not a stack. */
class FlagError extends Error {}

function parse(argv: string[]) {
  return yargs(argv)
    .scriptName('npm run kill --')
    .usage(USAGE)
    .option('rounds', { type: 'number', default: DEFAULT_ROUNDS, coerce: integer(1, 100_000), describe: 'Rounds (kills) per configuration' })
    .option('engines', { type: 'string', default: ENGINE_KINDS.join(','), coerce: list(ENGINE_KINDS), describe: 'Engines, comma-separated' })
    .option('strategies', { type: 'string', default: STRATEGY_NAMES.join(','), coerce: list(STRATEGY_NAMES), describe: "remapdb's buffer-pool strategies" })
    .option('sync', {
      type: 'string', default: SYNC_MODES.join(','), coerce: list(SYNC_MODES),
      describe: 'Durability settings: remapdb sync; SQLite synchronous; LMDB full = default, normal = noMetaSync, off = noSync',
    })
    .option('seed', { type: 'number', coerce: integer(0, 0xffffffff), describe: 'Seed of the kill plans (default: a random one, printed)' })
    .option('max-acks', { type: 'number', default: DEFAULT_MAX_ACKS, coerce: integer(1, 1_000_000), describe: "A commit kill comes after 1..N acks" })
    .option('checkpoint-bytes', {
      type: 'number', default: DEFAULT_CHECKPOINT_BYTES, coerce: integer(4 * KiB, 2 ** 30),
      describe: "remapdb's checkpointBytes; SQLite's wal_autocheckpoint in pages of as many bytes",
    })
    .option('jobs', {
      type: 'number', default: 1, coerce: integer(1, 64),
      describe: 'Configurations run at once (1 aims kills most precisely; 2 halves the time on two cores)',
    })
    .option('work-dir', { type: 'string', describe: 'Where the databases go, one directory per configuration (default: a new one under /dev/shm or the OS temp dir)' })
    .option('keep', { type: 'boolean', default: false, describe: 'Keep the databases (always kept after a failure)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the whole result, every round included, as JSON' })
    .option('log-level', { type: 'string', default: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'silent'], describe: 'Progress on stderr' })
    .example('npm run kill -- --rounds 10', 'every configuration, 10 kills each')
    .example('npm run kill -- --engines remapdb --sync full --strategies pread --rounds 50', 'one configuration, harder')
    .example('npm run kill -- --seed 1234 --engines sqlite', 'replay the plans of seed 1234 for SQLite')
    .strict()
    .fail((msg, err) => {
      throw new FlagError(msg ?? err.message);
    })
    .help()
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(110, yargs().terminalWidth()))
    .parseSync();
}

type Args = ReturnType<typeof parse>;

function replayCommand(a: Args, seed: number, only?: KillConfig): string {
  const engines = only === undefined ? a.engines : [only.engine];
  const sync = only === undefined ? a.sync : [only.sync];
  const strategies = only?.strategy != null ? [only.strategy] : a.strategies;
  return `npm run kill -- --seed ${seed} --rounds ${a.rounds} --engines ${engines.join(',')} --sync ${sync.join(',')}` +
    `${engines.includes('remapdb') ? ` --strategies ${strategies.join(',')}` : ''} --max-acks ${a.maxAcks} --checkpoint-bytes ${a.checkpointBytes}`;
}

function workRoot(given: string | undefined): { root: string; owned: boolean } {
  if (given !== undefined) {
    fs.mkdirSync(given, { recursive: true });
    return { root: given, owned: false };
  }
  return { root: fastTempRoot('remapdb-kill-'), owned: true };
}

export async function main(argv: string[]): Promise<number> {
  const a = parse(argv);
  const seed = a.seed ?? randomInt(0, 0xffffffff);
  const log = killLogger(a.logLevel);
  const configs = configsOf({ engines: a.engines, strategies: a.strategies, syncs: a.sync });
  const { root, owned } = workRoot(a.workDir);
  const taken = configs.map((c) => path.join(root, slugOf(c))).filter((d) => fs.existsSync(d));
  if (taken.length > 0) {
    throw new FlagError(`--work-dir ${root} already holds ${taken.map((d) => path.basename(d)).join(', ')}: ` +
      'each configuration starts from an empty directory; remove them or give another --work-dir');
  }
  log.info({ seed, configs: configs.length, rounds: a.rounds, workDir: root }, `kill test: seed ${seed} (replay: ${replayCommand(a, seed)})`);
  const started = performance.now();
  const results = await runConfigs(configs, {
    rounds: a.rounds, seed, workDir: root, maxAcks: a.maxAcks, checkpointBytes: a.checkpointBytes,
    onRound: (r, c) => {
      log.info(`${c.engine} ${c.strategy ?? ''} ${c.sync}: round ${r.round}/${a.rounds} aimed at ${r.plan.target}, died in ${r.phase}` +
        ` after ${r.acks} acks; rows 1..${r.max}, lost ${r.lost}${r.problems.length > 0 ? `, ${r.problems.length} problems` : ''}`);
    },
  }, a.jobs);
  const summary: RunSummary = { seed, replay: replayCommand(a, seed), wallMs: performance.now() - started, results };
  process.stdout.write(a.json ? toJson(summary) : `${formatTable(summary)}\n`);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    process.stderr.write(`\n${formatProblems(summary, (r) => replayCommand(a, seed, r.config))}\n\n` +
      `FAILED: ${failed.length} of ${results.length} configurations lost acknowledged commits or failed a check; seed ${seed}\n` +
      `replay: ${summary.replay}\n`);
  } else if (owned && !a.keep) {
    fs.rmSync(root, { recursive: true, force: true });
  }
  log.info(`done in ${(summary.wallMs / 1000).toFixed(1)} s${failed.length > 0 || !owned || a.keep ? `; databases in ${root}` : ''}`);
  return failed.length > 0 ? 1 : 0;
}

try {
  process.exitCode = await main(hideBin(process.argv));
} catch (err) {
  // A bad flag: yargs (strict, coerce) reports it through fail(); anything else is a bug.
  if (err instanceof FlagError) {
    process.stderr.write(`kill: ${(err as Error).message} (npm run kill -- --help lists the options)\n`);
    process.exitCode = 2;
  } else {
    throw err;
  }
}
