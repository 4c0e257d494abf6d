/**
 * Where each round's SIGKILL is aimed, drawn from a seeded PRNG (sim-kernel's Prng): one
 * seed replays every configuration's plans, and a configuration's plans do not depend on
 * which other configurations run (its generator is seeded from the seed and its name).
 *
 * A plan aims at one of:
 *   open             during open and recovery of the last kill: `opening` + a fraction of
 *                    the configuration's mean open time so far
 *   commit           right after the n-th acknowledgement (the child is in commit n + 1
 *                    or between commits when the signal lands)
 *   checkpoint       the child checkpoints every k commits; the n-th `ckpt` + a fraction
 *                    of the mean checkpoint time (engines with a checkpoint)
 *   auto-checkpoint  the first commit predicted to run an automatic checkpoint + a
 *                    fraction of the mean such commit (remapdb, which can predict it)
 * What the seed replays is the plan; where the signal lands also depends on timing, so
 * each round records the phase the child was in by the last line it wrote (protocol.ts).
 */

import { simKernel } from '../../src/index.js';

type Prng = InstanceType<typeof simKernel.Prng>;

export type KillTarget = 'open' | 'commit' | 'checkpoint' | 'auto-checkpoint';

export interface KillPlan {
  target: KillTarget;
  /** commit: kill after this many acks; checkpoint: at the n-th `ckpt` line. */
  nth: number;
  /** open, checkpoint, auto-checkpoint: the delay after the line, as a fraction of the phase's mean duration. */
  delayFraction: number;
  /** The child checkpoints explicitly every this many commits (0: never). */
  checkpointEvery: number;
}

export interface PlanLimits {
  /** Most acks a 'commit' plan waits for. */
  maxAcks: number;
  /** The engine has an explicit checkpoint. */
  canCheckpoint: boolean;
  /** The engine predicts its automatic checkpoints. */
  predictsAuto: boolean;
}

/** Share of rounds aimed at each target (the rest: commit); a missing capability's share goes to commit. */
const SHARE = { open: 0.2, checkpoint: 0.2, 'auto-checkpoint': 0.2 } as const;
/** Explicit checkpoints come every 8 to 64 commits: often enough that one falls in most rounds. */
const CHECKPOINT_EVERY_MIN = 8;
const CHECKPOINT_EVERY_MAX = 64;
/** Aim at the 1st to 3rd explicit checkpoint of a round. */
const CHECKPOINT_NTH_MAX = 3;

/** FNV-1a, 32 bits: a configuration's name as a seed. */
function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The generator of a configuration's plans. */
export function planPrng(seed: number, slug: string): Prng {
  return new simKernel.Prng((seed ^ fnv1a32(slug)) >>> 0);
}

export function drawPlan(prng: Prng, limits: PlanLimits): KillPlan {
  if (!Number.isInteger(limits.maxAcks) || limits.maxAcks < 1) throw new RangeError(`maxAcks ${limits.maxAcks}: an integer >= 1`);
  // Every draw is made whatever the target, so one plan's target does not shift the next plan's draws.
  const u = prng.next();
  const nthAck = prng.int(1, limits.maxAcks);
  const nthCheckpoint = prng.int(1, CHECKPOINT_NTH_MAX);
  const delayFraction = prng.next();
  const every = prng.int(CHECKPOINT_EVERY_MIN, CHECKPOINT_EVERY_MAX);
  const sometimes = prng.next() < 0.5;
  let target: KillTarget = 'commit';
  if (u < SHARE.open) target = 'open';
  else if (u < SHARE.open + SHARE.checkpoint) target = limits.canCheckpoint ? 'checkpoint' : 'commit';
  else if (u < SHARE.open + SHARE.checkpoint + SHARE['auto-checkpoint']) target = limits.predictsAuto ? 'auto-checkpoint' : 'commit';
  // Explicit checkpoints in half the other rounds too; never when aiming at an automatic
  // one, which they would pre-empt by emptying the WAL first.
  const checkpointEvery = !limits.canCheckpoint || target === 'auto-checkpoint' ? 0
    : target === 'checkpoint' || sometimes ? every : 0;
  return { target, nth: target === 'checkpoint' ? nthCheckpoint : target === 'commit' ? nthAck : 1, delayFraction, checkpointEvery };
}

/** Mean durations (ms) of the phases a plan aims into, learnt per configuration as rounds run. */
export class PhaseTimes {
  #sum = { open: 0, checkpoint: 0, 'auto-checkpoint': 0 };
  #n = { open: 0, checkpoint: 0, 'auto-checkpoint': 0 };
  /** Before the first measurement: a guess of the right order (open ~100 ms with recovery, a checkpoint ~5 ms). */
  static readonly GUESS_MS = { open: 100, checkpoint: 5, 'auto-checkpoint': 5 } as const;

  add(phase: keyof typeof PhaseTimes.GUESS_MS, ms: number): void {
    this.#sum[phase] += ms;
    this.#n[phase]++;
  }

  meanMs(phase: keyof typeof PhaseTimes.GUESS_MS): number {
    return this.#n[phase] === 0 ? PhaseTimes.GUESS_MS[phase] : this.#sum[phase] / this.#n[phase];
  }
}
