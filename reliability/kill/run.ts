/**
 * The rounds of one configuration on one directory, reused across rounds so each child
 * first recovers the previous kill:
 *
 *   for each round: draw a plan (plan.ts) → run the child and kill it (round.ts) →
 *   copy the directory as the kill left it → open the copy, read it and run the engine's
 *   checks (stores/) → judge it (verify.ts) → the next child recovers the original.
 *
 * Verifying a copy keeps the original exactly as the kill left it, so the next round's
 * child runs recovery itself — and may be killed during it — and both recoveries read
 * the same bytes (the child's `start` must agree with the copy's rows).
 *
 * A directory that no longer opens ends the configuration: its later rounds would test
 * nothing.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { claimOf, type KillConfig, settingOf, slugOf } from './configs.js';
import { drawPlan, type KillPlan, PhaseTimes, planPrng } from './plan.js';
import { type Phase, PHASES } from './protocol.js';
import { runRound } from './round.js';
import { engineOf } from './stores/index.js';
import { verifyRound } from './verify.js';

export interface RunOptions {
  rounds: number;
  /** Rounds of a configuration when they differ (the test: more for remapdb); default `rounds`. */
  roundsOf?: (c: KillConfig) => number;
  seed: number;
  /** Where the configuration's directory goes (<workDir>/<slug>); it must not exist. */
  workDir: string;
  /** A 'commit' plan kills after 1..maxAcks acks; other plans kill by 4 × maxAcks at the latest. */
  maxAcks: number;
  checkpointBytes: number;
  /** One line per round, for progress. */
  onRound?: (r: RoundRecord, config: KillConfig) => void;
}

export interface RoundRecord {
  round: number;
  plan: KillPlan;
  phase: Phase;
  trigger: string;
  start: number | null;
  acks: number;
  max: number;
  lost: number;
  gaps: number;
  partial: number;
  inFlightKept: boolean;
  problems: string[];
}

export interface ConfigResult {
  config: KillConfig;
  setting: string;
  claim: ReturnType<typeof claimOf>;
  rounds: number;
  acks: number;
  lost: number;
  gaps: number;
  partial: number;
  /** Rounds by the phase the child died in. */
  phases: Record<Phase, number>;
  /** Every problem, prefixed with its round. */
  problems: string[];
  /** No loss, no gap, no partial transaction, no problem: what every configuration claims against a kill. */
  ok: boolean;
  dir: string;
  records: RoundRecord[];
}

/** Bound of the non-'commit' plans, in acks: the aimed-at line normally comes well before. */
const BOUND_FACTOR = 4;

export async function runConfig(config: KillConfig, o: RunOptions): Promise<ConfigResult> {
  const slug = slugOf(config);
  const dir = path.join(o.workDir, slug);
  if (fs.existsSync(dir)) throw new Error(`${dir} exists: each run starts from an empty directory (remove it, or pick another --work-dir)`);
  fs.mkdirSync(dir, { recursive: true });
  const engine = await engineOf(config.engine);
  const storeOpts = { checkpointBytes: o.checkpointBytes };
  const prng = planPrng(o.seed, slug);
  const times = new PhaseTimes();
  const limits = { maxAcks: o.maxAcks, canCheckpoint: config.engine !== 'lmdb', predictsAuto: config.engine === 'remapdb' };
  const boundAcks = BOUND_FACTOR * o.maxAcks;
  const res: ConfigResult = {
    config, setting: settingOf(config), claim: claimOf(config), rounds: 0, acks: 0, lost: 0, gaps: 0, partial: 0,
    phases: Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>, problems: [], ok: true,
    dir, records: [],
  };
  let prevMax = 0;
  const rounds = o.roundsOf?.(config) ?? o.rounds;
  for (let round = 1; round <= rounds; round++) {
    const plan = drawPlan(prng, limits);
    const mean = plan.target === 'commit' ? 0 : times.meanMs(plan.target);
    const log = await runRound({
      job: { config, dir, checkpointBytes: o.checkpointBytes, checkpointEvery: plan.checkpointEvery, lastKey: prevMax + boundAcks + 1 },
      plan, delayMs: plan.delayFraction * mean, boundAcks,
    });
    if (log.openMs !== null) times.add('open', log.openMs);
    for (const ms of log.checkpointMs) times.add('checkpoint', ms);
    for (const ms of log.autoMs) times.add('auto-checkpoint', ms);

    const copy = `${dir}-verify`;
    fs.rmSync(copy, { recursive: true, force: true });
    fs.cpSync(dir, copy, { recursive: true });
    let record: RoundRecord;
    let unreadable = false;
    try {
      const snap = await engine.snapshot(copy, config, storeOpts);
      const v = verifyRound(snap, { prevMax, start: log.start, lastAck: log.lastAck });
      record = {
        round, plan, phase: log.phase, trigger: log.trigger, start: log.start, acks: log.acks, max: v.max, lost: v.lost, gaps: v.gaps,
        partial: v.partial, inFlightKept: v.inFlightKept, problems: [...log.problems, ...v.problems],
      };
      prevMax = v.max;
    } catch (err) {
      unreadable = true;
      const e = err as Error & { code?: unknown };
      record = {
        round, plan, phase: log.phase, trigger: log.trigger, start: log.start, acks: log.acks, max: 0, lost: Math.max(prevMax, log.lastAck ?? 0),
        gaps: 0, partial: 0, inFlightKept: false,
        problems: [...log.problems, `the directory does not open after the kill: ${typeof e.code === 'string' ? `${e.code}: ` : ''}${e.message}`],
      };
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    res.records.push(record);
    res.rounds++;
    res.acks += record.acks;
    res.lost += record.lost;
    res.gaps += record.gaps;
    res.partial += record.partial;
    res.phases[record.phase]++;
    for (const p of record.problems) res.problems.push(`round ${round}: ${p}`);
    o.onRound?.(record, config);
    if (unreadable) break;
  }
  res.ok = res.lost === 0 && res.gaps === 0 && res.partial === 0 && res.problems.length === 0;
  return res;
}

/**
 * Every configuration, `jobs` at a time (each on its own directory), results in the
 * order given. One job aims kills most precisely; two halve the wall time on two cores,
 * and a kill that lands late is still recorded where it landed.
 */
export async function runConfigs(configs: readonly KillConfig[], o: RunOptions, jobs: number): Promise<ConfigResult[]> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new RangeError(`jobs ${jobs}: an integer >= 1`);
  const results: ConfigResult[] = new Array<ConfigResult>(configs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < configs.length) {
      const i = next++;
      results[i] = await runConfig(configs[i] as KillConfig, o);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, configs.length) }, worker));
  return results;
}
