/**
 * remapdb's whole-system deterministic simulator, in the spirit of TigerBeetle's VOPR:
 * one seed drives a random mix of key-value transactions checked against an exact model
 * (puts with values that overflow a page, inserts, updates, deletes, multi-operation
 * transactions, savepoints and explicit rollbacks), TPC-B-like transactions whose
 * balances must add up, manual and automatic checkpoints, memory pressure (RAM smaller
 * than the working set, swap, a second process sweeping memory, time passing for
 * pdflush), injected faults (EIO on read/write/fsync, short and torn writes, ENOSPC) and
 * power cuts at random instants — on the buffer-pool strategy, kernel personality and
 * durability mode the seed draws. After every crash, and after every fault that leaves the
 * database failed, the directory is reopened on a new fault-free machine and verified
 * (verify.ts); the run then continues on it. Files:
 *   config.ts  what a seed and each of its machines run on
 *   model.ts   the exact model and the states each durability mode allows
 *   ops.ts     the workload's operations, checked as they run
 *   faults.ts  arming faults and power cuts; memory pressure (a hog process, time)
 *   verify.ts  opening and post-recovery verification
 *   report.ts  a seed's report and replay command
 *   run.ts     one seed: epochs, steps, error judgement
 *
 * Usage (each seed prints its configuration; a failure prints its replay command):
 *   npx tsx reliability/sim/main.ts [--seeds N=200] [--from SEED=1] [--seed S] [--steps N=150] [--json]
 *   REMAPDB_SIM_SEED=123 npx tsx reliability/sim/main.ts      replays seed 123
 * Environment: REMAPDB_SIM_TRACE=1 prints every step (operation, commit, outcome,
 * verification); REMAPDB_SIM_KEEP_CRASH=1 keeps the directory as each crash left it in
 * <dir>.crash (a failing seed's directories are kept and printed); REMAPDB_SIM_DIR is where
 * seeds put their directories (default /dev/shm, else the OS temporary directory).
 * Exits 1 at the first failing seed, 2 on bad flags.
 */

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEFAULT_STEPS, runSeed, type SeedReport, type SimOptions } from './run.js';

export { configOf, DEFAULT_STEPS, replayCommand, runSeed, type SeedReport, type SimOptions } from './run.js';

/** The per-seed counts a summary adds up. */
const COUNT_KEYS = [
  'steps', 'commits', 'rollbacks', 'txnTooLarge', 'checkpoints', 'crashes', 'kills', 'failures', 'cleanReopens', 'failedOpens', 'machines',
  'inFlightPresent', 'lostCommits', 'offLost',
] as const;

export interface SimSummary extends Pick<SeedReport, (typeof COUNT_KEYS)[number] | 'armed' | 'errorCodes' | 'redone' | 'wallMs'> {
  diskCut: Record<string, number>;
  seeds: number;
  failed: number;
  injected: Record<string, number>;
  io: Record<string, number>;
  byConfig: Record<string, number>;
  reopen: { count: number; meanMs: number; maxMs: number };
}

function add(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Totals over seed reports. */
export function summarize(reports: readonly SeedReport[], wallMs: number): SimSummary {
  const s: SimSummary = {
    seeds: reports.length, failed: 0, steps: 0, commits: 0, rollbacks: 0, txnTooLarge: 0, checkpoints: 0, crashes: 0, kills: 0, failures: 0,
    cleanReopens: 0, failedOpens: 0, machines: 0, inFlightPresent: 0, lostCommits: 0, offLost: 0, diskCut: {}, injected: {}, armed: {}, io: {},
    errorCodes: {}, byConfig: {}, reopen: { count: 0, meanMs: 0, maxMs: 0 }, redone: 0, wallMs,
  };
  let reopenMs = 0;
  for (const r of reports) {
    if (!r.ok) s.failed++;
    for (const k of COUNT_KEYS) s[k] += r[k];
    add(s.injected, r.injected);
    add(s.diskCut, r.diskCut);
    add(s.armed, r.armed);
    add(s.io, r.io);
    add(s.errorCodes, r.errorCodes);
    const c = r.config;
    add(s.byConfig, { [`${c.strategy} ${c.personality} ${c.sync}`]: 1 });
    s.reopen.count += r.reopen.count;
    reopenMs += r.reopen.totalMs;
    s.reopen.maxMs = Math.max(s.reopen.maxMs, r.reopen.maxMs);
    s.redone += r.redone;
  }
  s.reopen.meanMs = s.reopen.count === 0 ? 0 : reopenMs / s.reopen.count;
  return s;
}

function pairs(r: Readonly<Record<string, number>>): string {
  const e = Object.entries(r).sort(([a], [b]) => a.localeCompare(b));
  return e.length === 0 ? '-' : e.map(([k, v]) => `${k} ${v}`).join(', ');
}

/** The summary table printed at the end of a run. */
export function formatSummary(s: SimSummary): string {
  const rows: [string, string][] = [
    ['seeds', `${s.seeds} (${s.failed} failed)`],
    ['steps', String(s.steps)],
    ['commits acknowledged', `${s.commits} (${s.lostCommits} legitimately lost by 'normal'/'off' crashes, ` +
      `${s.inFlightPresent} in-flight found committed)`],
    ['rollbacks', `${s.rollbacks} explicit/savepoint, ${s.txnTooLarge} REMAPDB_TXN_TOO_LARGE`],
    ['checkpoints', `${s.checkpoints} (manual + automatic, seen succeed)`],
    ['recoveries verified', `${s.crashes + s.kills + s.failures + s.cleanReopens + s.failedOpens}: ${s.crashes} power cuts, ` +
      `${s.kills} process crashes (every acknowledged commit kept at every sync level), ` +
      `${s.failures} REMAPDB_FAILED, ${s.cleanReopens} clean closes, ${s.failedOpens} opens failed under faults`],
    ["sync 'off' lost", `${s.offLost} databases left in no allowed state by a crash or failure (allowed: 'off' promises nothing then)`],
    ['unsynced host writes at power cuts', pairs(s.diskCut)],
    ['machines', String(s.machines)],
    ['faults injected', pairs(s.injected)],
    ['plans armed', pairs(s.armed)],
    ['I/O seen', pairs(s.io)],
    ['error codes under faults', pairs(s.errorCodes)],
    ['reopen (recovery)', `${s.reopen.count}, mean ${s.reopen.meanMs.toFixed(1)} ms, max ${s.reopen.maxMs.toFixed(1)} ms, ` +
      `${s.redone} WAL transactions redone`],
    ['configurations', pairs(s.byConfig)],
    ['wall time', `${(s.wallMs / 1000).toFixed(1)} s (${(s.seeds / (s.wallMs / 1000)).toFixed(2)} seeds/s)`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

interface Flags {
  seeds: number;
  from: number;
  seed: number | null;
  steps: number;
  json: boolean;
}

function parseFlags(argv: readonly string[]): Flags {
  const f: Flags = { seeds: 200, from: 1, seed: null, steps: DEFAULT_STEPS, json: false };
  const env = process.env['REMAPDB_SIM_SEED'];
  if (env !== undefined && env !== '') f.seed = Number(env);
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > 0xffffffff) {
      throw new RangeError(`--${name} ${String(v)}: must be an integer from ${min} to ${0xffffffff}`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const [name, inline] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (name) {
      case '--seeds': f.seeds = int('seeds', value(), 1); break;
      case '--from': f.from = int('from', value(), 0); break;
      case '--seed': f.seed = int('seed', value(), 0); break;
      case '--steps': f.steps = int('steps', value(), 1); break;
      case '--json': f.json = true; break;
      default: throw new RangeError(`unknown flag ${a}; flags: --seeds N, --from SEED, --seed S, --steps N, --json`);
    }
  }
  if (f.seed !== null) int('seed', String(f.seed), 0);
  return f;
}

export function main(argv: readonly string[]): number {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const seeds = flags.seed === null ? Array.from({ length: flags.seeds }, (_, i) => flags.from + i) : [flags.seed];
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const t0 = performance.now();
  const reports: SeedReport[] = [];
  let failure: SeedReport | null = null;
  const opts: SimOptions = { steps: flags.steps, log, keepCrashImage: process.env['REMAPDB_SIM_KEEP_CRASH'] === '1' };
  if (process.env['REMAPDB_SIM_TRACE'] === '1') opts.trace = log;
  for (const seed of seeds) {
    const r = runSeed(seed, opts);
    reports.push(r);
    if (!r.ok) {
      failure = r;
      break;
    }
  }
  const summary = summarize(reports, performance.now() - t0);
  if (flags.json) process.stdout.write(`${JSON.stringify({ summary, failure: failure?.failure ?? null }, null, 2)}\n`);
  else process.stdout.write(`\n${formatSummary(summary)}\n`);
  if (failure !== null && failure.failure !== null) {
    process.stderr.write(`\nFAILED: seed ${failure.seed} at step ${failure.failure.step}: ${failure.failure.message}\n` +
      `replay: ${failure.failure.replay}\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
