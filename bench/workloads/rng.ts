/**
 * The workloads' random numbers: one printed run seed, from which every worker's
 * generator derives (workerRng), so a run replays exactly from its seed. The load phase
 * uses the stream for worker LOAD_STREAM; each terminal its own.
 *
 * Draws follow TPC-C clause 2.1.5/4.3.2: random(x, y) is uniform over [x, y] inclusive;
 * a-strings are random alphanumerics, n-strings random digits.
 */

import { Prng } from '../../sim-kernel/index.js';

/** Stream number of the load phase (terminals use 0, 1, 2, …). */
export const LOAD_STREAM = 0x7fff_fff0;
/** Stream that draws run-time constants (TPC-C's C_run), separate from the terminals'. */
export const CONSTANTS_STREAM = 0x7fff_fff1;

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export class Rng {
  readonly #p: Prng;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#p = new Prng(this.seed);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.#p.next();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    return this.#p.nextU32();
  }

  /** Uniform integer in [lo, hi], inclusive (spans up to 2^32). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.#p.next() * (hi - lo + 1));
  }

  /**
   * TPC-C NURand(A, x, y) = (((random(0, A) | random(x, y)) + C) % (y − x + 1)) + x
   * (clause 2.1.6); C is the run's (or the load's) constant for this A.
   */
  nurand(a: number, x: number, y: number, c: number): number {
    return ((((this.int(0, a) | this.int(x, y)) + c) % (y - x + 1)) + x);
  }

  /** A random a-string of length in [lo, hi] (clause 4.3.2.2). */
  astring(lo: number, hi: number): string {
    const n = this.int(lo, hi);
    let s = '';
    for (let i = 0; i < n; i++) s += ALNUM.charAt(this.int(0, ALNUM.length - 1));
    return s;
  }

  /** A random n-string (digits) of length in [lo, hi]. */
  nstring(lo: number, hi: number): string {
    const n = this.int(lo, hi);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(48 + this.int(0, 9));
    return s;
  }

  /** Shuffle `xs` in place (Fisher–Yates). */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const t = xs[i] as T;
      xs[i] = xs[j] as T;
      xs[j] = t;
    }
    return xs;
  }
}

/**
 * Worker `stream`'s generator for the run seeded `seed`: a splitmix-style mix of both,
 * so neighbouring streams are unrelated and the same (seed, stream) always gives the
 * same sequence.
 */
export function workerRng(seed: number, stream: number): Rng {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((stream + 1) >>> 0, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  return new Rng((z ^ (z >>> 16)) >>> 0);
}
