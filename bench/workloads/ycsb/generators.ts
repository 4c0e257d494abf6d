/**
 * YCSB's key choosers over a key space that grows with inserts, built on
 * bench/storage/zipfian.ts's ZipfianGenerator (Gray et al., YCSB's constants):
 *
 *  - zipfian (ScrambledZipfianGenerator): a zipfian draw v over [0, 10^10) with YCSB's
 *    precomputed zeta, mapped to fnv64(v) mod itemCount. With a fixed item count this
 *    is exactly zipfian.ts's ScrambledZipfianGenerator (same draws, tested); here the
 *    item count is read at each draw, so inserted records become reachable (YCSB instead
 *    sizes the space for the expected inserts and redraws keys not yet inserted; this
 *    run length is set by time, so the expected insert count is unknown).
 *  - latest (SkewedLatestGenerator): max = the last inserted keynum; key = max −
 *    zipfian(max) over max items (so in (0, max], keynum 0 never, as YCSB). zeta(max) is
 *    extended one term per insert (ZipfianGenerator's incremental zeta).
 *  - uniform: uniform over the records that exist.
 *
 * Invariants:
 *  1. next() returns a keynum in [0, counter.next): only records that exist (terminals
 *     run one op at a time, so every counted insert has committed or failed loudly).
 *  2. Draws come from the Prng the terminal derived from its own Rng.
 */

import type { Prng } from '../../../sim-kernel/index.js';
import { SCRAMBLED_ITEMS, SCRAMBLED_ZETAN, ZIPFIAN_THETA, ZipfianGenerator } from '../../storage/zipfian.js';
import { fnv64Mod } from './keys.js';
import type { KeyDistribution } from './params.js';


/** The insert key sequence a bound workload's terminals share: keynums [0, next) exist. */
export interface InsertCounter {
  next: number;
}

export interface KeyChooser {
  next(): number;
}

export class ScrambledZipfianChooser implements KeyChooser {
  readonly #counter: InsertCounter;
  readonly #gen: ZipfianGenerator;

  constructor(counter: InsertCounter, prng: Prng) {
    this.#counter = counter;
    this.#gen = new ZipfianGenerator(SCRAMBLED_ITEMS, ZIPFIAN_THETA, prng, SCRAMBLED_ZETAN);
  }

  next(): number {
    return fnv64Mod(this.#gen.next(), this.#counter.next);
  }
}

/** zeta(n, θ) = Σ_{i=1..n} 1/i^θ, extended from a known zeta(from). */
function zetaFrom(from: number, zetaAtFrom: number, n: number, theta: number): number {
  let s = zetaAtFrom;
  for (let i = from + 1; i <= n; i++) s += 1 / i ** theta;
  return s;
}

export class SkewedLatestChooser implements KeyChooser {
  readonly #counter: InsertCounter;
  readonly #prng: Prng;
  /** The item count (= last keynum) the current generator was built for, and zeta of it. */
  #items = 0;
  #zetan = 0;
  #gen: ZipfianGenerator | null = null;

  constructor(counter: InsertCounter, prng: Prng) {
    this.#counter = counter;
    this.#prng = prng;
  }

  next(): number {
    const max = this.#counter.next - 1;
    if (max !== this.#items || this.#gen === null) {
      // Inserts only grow the space; a smaller max (a fresh counter) recomputes from 0.
      this.#zetan = max > this.#items ? zetaFrom(this.#items, this.#zetan, max, ZIPFIAN_THETA) : zetaFrom(0, 0, max, ZIPFIAN_THETA);
      this.#items = max;
      this.#gen = new ZipfianGenerator(max, ZIPFIAN_THETA, this.#prng, this.#zetan);
    }
    return max - this.#gen.next();
  }
}

export class UniformChooser implements KeyChooser {
  readonly #counter: InsertCounter;
  readonly #prng: Prng;

  constructor(counter: InsertCounter, prng: Prng) {
    this.#counter = counter;
    this.#prng = prng;
  }

  next(): number {
    return Math.floor(this.#prng.next() * this.#counter.next);
  }
}

export function keyChooser(dist: KeyDistribution, counter: InsertCounter, prng: Prng): KeyChooser {
  switch (dist) {
    case 'zipfian': return new ScrambledZipfianChooser(counter, prng);
    case 'latest': return new SkewedLatestChooser(counter, prng);
    case 'uniform': return new UniformChooser(counter, prng);
  }
}
