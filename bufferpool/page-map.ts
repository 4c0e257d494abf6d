/**
 * PageMap: page id → slot, an open-addressing hash table in typed arrays (linear
 * probing, backward-shift deletion, so there are no tombstones and lookups stay short).
 *
 * Invariants (checkInvariants):
 *   1. Capacity is a power of two at least twice the slot count (load factor <= 1/2).
 *   2. Every key sits in the probe run starting at its home bucket, with no empty bucket
 *      between home and its position.
 *   3. size equals the number of occupied buckets.
 * No method allocates.
 */

import { assert } from './assert.js';

const EMPTY = -1;

export class PageMap {
  readonly #keys: Float64Array;
  readonly #vals: Int32Array;
  readonly #mask: number;
  #size = 0;

  constructor(maxEntries: number) {
    let cap = 16;
    while (cap < maxEntries * 2) cap *= 2;
    this.#keys = new Float64Array(cap).fill(EMPTY);
    this.#vals = new Int32Array(cap);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  #home(key: number): number {
    // Fibonacci hashing of the low 32 bits (page ids are < 2^32 here).
    return (Math.imul(key | 0, 0x9e3779b1) >>> 0) & this.#mask;
  }

  /** The slot of pageId, or -1. */
  get(key: number): number {
    const keys = this.#keys;
    const mask = this.#mask;
    for (let i = this.#home(key); ; i = (i + 1) & mask) {
      const k = keys[i] as number;
      if (k === key) return this.#vals[i] as number;
      if (k === EMPTY) return -1;
    }
  }

  set(key: number, val: number): void {
    const keys = this.#keys;
    const mask = this.#mask;
    for (let i = this.#home(key); ; i = (i + 1) & mask) {
      const k = keys[i] as number;
      if (k === key) {
        this.#vals[i] = val;
        return;
      }
      if (k === EMPTY) {
        assert(this.#size < (mask + 1) >> 1, 'PageMap: table over half full');
        keys[i] = key;
        this.#vals[i] = val;
        this.#size++;
        return;
      }
    }
  }

  delete(key: number): boolean {
    const keys = this.#keys;
    const vals = this.#vals;
    const mask = this.#mask;
    let i = this.#home(key);
    for (; ; i = (i + 1) & mask) {
      const k = keys[i] as number;
      if (k === key) break;
      if (k === EMPTY) return false;
    }
    // Backward-shift: pull later members of the run into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = keys[j] as number;
      if (k === EMPTY) break;
      const h = this.#home(k);
      // Move k into the hole if its home is not in (hole, j] cyclically.
      const inRange = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (!inRange) {
        keys[hole] = k;
        vals[hole] = vals[j] as number;
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    this.#size--;
    return true;
  }

  checkInvariants(): void {
    const keys = this.#keys;
    const mask = this.#mask;
    let n = 0;
    for (let i = 0; i <= mask; i++) {
      const k = keys[i] as number;
      if (k === EMPTY) continue;
      n++;
      for (let j = this.#home(k); j !== i; j = (j + 1) & mask) {
        assert(keys[j] !== EMPTY, () => `PageMap: key ${k} at ${i} unreachable from its home`);
      }
    }
    assert(n === this.#size, () => `PageMap: size ${this.#size} but ${n} keys`);
  }
}
