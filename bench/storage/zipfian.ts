/**
 * Key-index sequences for the lookup and update figures: uniform, and YCSB's scrambled
 * zipfian. Both are drawn from a seeded Prng (sim-kernel/prng.ts), so one seed gives
 * every engine the same sequence; the benchmark precomputes a sequence before timing
 * and cycles through it, so generating keys costs nothing in the timed loop.
 *
 * ZipfianGenerator follows YCSB's core/generator/ZipfianGenerator.java (Gray et al.,
 * "Quickly Generating Billion-Record Synthetic Databases", SIGMOD 1994): for items
 * 0..n-1 and constant theta,
 *   zeta(n) = sum_{i=1..n} 1/i^theta, alpha = 1/(1-theta),
 *   eta = (1 - (2/n)^(1-theta)) / (1 - zeta(2)/zeta(n)),
 *   next: u uniform in [0,1); uz = u·zeta(n);
 *         uz < 1 → 0; uz < 1 + 0.5^theta → 1; else floor(n · (eta·u − eta + 1)^alpha).
 * Item 0 is the most popular, item 1 the next, and so on.
 *
 * ScrambledZipfianGenerator (YCSB's default for requestdistribution=zipfian) draws from a
 * zipfian over 10^10 items with YCSB's precomputed zeta (26.46902820178302 for theta
 * 0.99) and maps each draw to fnvhash64(draw) mod n, so the popular keys are spread over
 * the key space (and over the table's pages) instead of being keys 0, 1, 2, …
 */

import { Prng } from '../../sim-kernel/index.js';
import { fnv64Mod, fnvhash64 } from '../lib/fnv.js';

export { fnvhash64 } from '../lib/fnv.js';

/** YCSB's ZipfianGenerator.ZIPFIAN_CONSTANT. */
export const ZIPFIAN_THETA = 0.99;
/** ScrambledZipfianGenerator.ITEM_COUNT and ZETAN (zeta(10^10, 0.99), precomputed by YCSB). */
export const SCRAMBLED_ITEMS = 10_000_000_000;
export const SCRAMBLED_ZETAN = 26.46902820178302;

function zeta(n: number, theta: number): number {
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += 1 / i ** theta;
  return sum;
}

export class ZipfianGenerator {
  readonly items: number;
  readonly theta: number;
  readonly #zetan: number;
  readonly #alpha: number;
  readonly #eta: number;
  readonly #half: number;
  readonly #prng: Prng;

  /** `zetan`: zeta(items, theta) if known (computing it is O(items)). */
  constructor(items: number, theta: number, prng: Prng, zetan?: number) {
    if (!(Number.isSafeInteger(items) && items >= 2)) throw new RangeError(`zipfian items ${items}: an integer >= 2`);
    if (!(theta > 0 && theta < 1)) throw new RangeError(`zipfian theta ${theta}: in (0, 1)`);
    this.items = items;
    this.theta = theta;
    this.#prng = prng;
    this.#zetan = zetan ?? zeta(items, theta);
    this.#alpha = 1 / (1 - theta);
    this.#eta = (1 - (2 / items) ** (1 - theta)) / (1 - zeta(2, theta) / this.#zetan);
    this.#half = 1 + 0.5 ** theta;
  }

  /** An item in [0, items): 0 is the most popular. */
  next(): number {
    const u = this.#prng.next();
    const uz = u * this.#zetan;
    if (uz < 1) return 0;
    if (uz < this.#half) return 1;
    return Math.floor(this.items * (this.#eta * u - this.#eta + 1) ** this.#alpha);
  }
}

/** Largest item count fnv64Mod handles exactly (n² < 2^53). */
export const SCRAMBLE_MAX_ITEMS = 2 ** 26;

export class ScrambledZipfianGenerator {
  readonly items: number;
  readonly #gen: ZipfianGenerator;

  constructor(items: number, prng: Prng) {
    if (!(Number.isSafeInteger(items) && items >= 2 && items <= SCRAMBLE_MAX_ITEMS)) {
      throw new RangeError(`scrambled zipfian items ${items}: an integer from 2 to ${SCRAMBLE_MAX_ITEMS}`);
    }
    this.items = items;
    this.#gen = new ZipfianGenerator(SCRAMBLED_ITEMS, ZIPFIAN_THETA, prng, SCRAMBLED_ZETAN);
    for (let i = 0; i < 64; i++) {
      const v = Math.floor(SCRAMBLED_ITEMS / 64 * i) + i;
      const want = Number(fnvhash64(v) % BigInt(items));
      if (fnv64Mod(v, items) !== want) throw new Error(`fnv64Mod(${v}, ${items}) = ${fnv64Mod(v, items)}, fnvhash64 says ${want}`);
    }
  }

  next(): number {
    return fnv64Mod(this.#gen.next(), this.items);
  }
}

export type Distribution = 'uniform' | 'zipfian';

/** `length` key indexes in [0, items) from the distribution, seeded. */
export function keySequence(dist: Distribution, items: number, length: number, seed: number): Uint32Array {
  if (!(items >= 2 && items <= 2 ** 32)) throw new RangeError(`key sequence items ${items}: from 2 to 2^32`);
  const prng = new Prng(seed);
  const out = new Uint32Array(length);
  if (dist === 'uniform') {
    for (let i = 0; i < length; i++) out[i] = prng.int(0, items - 1);
    return out;
  }
  const z = new ScrambledZipfianGenerator(items, prng);
  for (let i = 0; i < length; i++) out[i] = z.next();
  return out;
}

/** How skewed a sequence is: distinct keys, and the share of draws that hit the most popular 1% of keys. */
export function skew(seq: Uint32Array, items: number): { distinct: number; top1PercentShare: number } {
  const counts = new Map<number, number>();
  for (const k of seq) counts.set(k, (counts.get(k) ?? 0) + 1);
  const sorted = [...counts.values()].sort((a, b) => b - a);
  const top = Math.max(1, Math.floor(items / 100));
  let hits = 0;
  for (let i = 0; i < Math.min(top, sorted.length); i++) hits += sorted[i] as number;
  return { distinct: counts.size, top1PercentShare: hits / seq.length };
}
