/**
 * TwoQPolicy: the full 2Q of Johnson & Shasha, "2Q: A Low Overhead High Performance
 * Buffer Management Replacement Algorithm", VLDB 1994 (section 2.2, "full version").
 *
 * Owns three queues, all in typed arrays allocated by the constructor:
 *   - A1in: FIFO of slots holding pages referenced once since they came in;
 *   - Am:   LRU of slots holding pages re-referenced after leaving A1in;
 *   - A1out: ghost FIFO of page ids recently evicted from A1in (no slot, no data).
 * A1in and Am share `#prev`/`#next` (a slot is on at most one), with sentinels at
 * slotCount (A1in) and slotCount + 1 (Am); next[sentinel] is the oldest / least recent
 * end. A1out is a ring of `kout` cells: a circular doubly linked list through sentinel
 * cell `kout` (removal from the middle, when a ghost returns, is O(1)), a stack of free
 * cells, and an open-addressing hash (linear probing, backward-shift deletion, load
 * <= 1/2) from page id to cell, so membership is O(1) without allocation.
 *
 * Invariants (checkInvariants):
 *   1. Each list is well linked (prev[next[x]] == x) and returns to its sentinel;
 *      every slot on A1in has where == IN, every slot on Am has where == AM.
 *   2. a1inCount and amCount equal the list lengths; an empty slot (where == NONE) has
 *      prev == next == -1 and page == -1.
 *   3. ghostCount == A1out's length <= kout; free cells == kout - ghostCount.
 *   4. The hash holds exactly the ghost cells: ghostCount entries, each found by a probe
 *      from its page id's home bucket.
 *   5. No resident page is a ghost.
 *
 * Transitions (the paper's "on access to X" and "reclaimfor"):
 *   insert(pageId in A1out)  -> Am, MRU end; the ghost is dropped      (X in A1out)
 *   insert(other pageId)     -> A1in, newest end                       (X in no queue)
 *   hit(slot on Am)          -> Am, MRU end                            (X in Am)
 *   hit(slot on A1in)        -> nothing: a correlated reference        (X in A1in)
 *   pickVictims              -> A1in's oldest while |A1in| > kin, else Am's LRU end;
 *                               the other list when the preferred one has nothing evictable
 *   remove(slot on A1in)     -> empty; its page id becomes the newest ghost (evicting the
 *                               oldest ghost when A1out holds kout)
 *   remove(slot on Am)       -> empty
 * The ghost is recorded in remove(), not pickVictims(): the pool calls remove for each
 * victim it actually evicts, and pickVictims must not change membership. A remove for a
 * slot dropped for another reason also records a ghost if the slot was on A1in — harmless,
 * it only means a later reload goes straight to Am.
 *
 * Why: a sequential scan touches each page once, so it cycles through A1in (kin = 25% of
 * the slots, the paper's recommendation) and never displaces the re-referenced pages on
 * Am; A1out (kout = 50% of slotCount, also the paper's) remembers pages that did come back
 * after a short absence, which is what marks them hot.
 */

import type { PolicyName, ReplacementPolicy } from './policy.js';

/** Values of `#where`. */
const NONE = 0;
const IN = 1;
const AM = 2;

/** Assertion helper. Callers write `if (bad) fail(...)` so hot paths build no message. */
function fail(message: string): never {
  throw new Error(`TwoQPolicy: ${message}`);
}

/** Links `node` just before `at` in a circular list (at == sentinel: the newest end). */
function linkBefore(prev: Int32Array, next: Int32Array, node: number, at: number): void {
  const p = prev[at] as number;
  prev[node] = p;
  next[node] = at;
  next[p] = node;
  prev[at] = node;
}

function unlink(prev: Int32Array, next: Int32Array, node: number): void {
  const p = prev[node] as number;
  const nx = next[node] as number;
  next[p] = nx;
  prev[nx] = p;
  prev[node] = -1;
  next[node] = -1;
}

/** Length of a circular list, asserting links on the way (checkInvariants only). */
function checkedLength(prev: Int32Array, next: Int32Array, sentinel: number, limit: number,
  what: string, visit: (node: number) => void): number {
  let length = 0;
  for (let x = sentinel; ;) {
    const nx = next[x] as number;
    if (nx < 0 || nx >= next.length) fail(`invariant 1: ${what}: next[${x}] = ${nx} out of range`);
    if (prev[nx] !== x) fail(`invariant 1: ${what}: prev[${nx}] = ${prev[nx]}, expected ${x}`);
    if (nx === sentinel) return length;
    if (++length > limit) fail(`invariant 1: ${what}: longer than ${limit} (a cycle?)`);
    visit(nx);
    x = nx;
  }
}

/** murmur3's fmix32 over both 32-bit halves of a safe-integer page id. */
function hashPageId(pageId: number): number {
  const lo = pageId >>> 0;
  const hi = Math.floor(pageId / 4294967296) >>> 0;
  let h = lo ^ Math.imul(hi, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class TwoQPolicy implements ReplacementPolicy {
  readonly name: PolicyName = '2q';
  readonly slotCount: number;
  /** A1in is preferred for eviction while it holds more than kin slots. */
  readonly kin: number;
  /** A1out remembers at most kout page ids. */
  readonly kout: number;

  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  readonly #where: Uint8Array;
  readonly #page: Float64Array;
  readonly #inHead: number;
  readonly #amHead: number;
  #a1inCount = 0;
  #amCount = 0;

  readonly #ghostPage: Float64Array;
  readonly #ghostPrev: Int32Array;
  readonly #ghostNext: Int32Array;
  readonly #ghostHead: number;
  readonly #freeCells: Int32Array;
  #freeTop = 0;
  #ghostCount = 0;
  /** cell + 1 per bucket; 0 = empty. */
  readonly #table: Int32Array;
  readonly #mask: number;

  constructor(slotCount: number) {
    if (!Number.isInteger(slotCount) || slotCount < 1 || slotCount > 0x3fffffff) {
      fail(`slotCount ${slotCount} must be an integer in [1, 2^30)`);
    }
    this.slotCount = slotCount;
    this.kin = Math.floor(slotCount / 4);
    this.kout = Math.max(1, Math.floor(slotCount / 2));
    this.#inHead = slotCount;
    this.#amHead = slotCount + 1;
    this.#prev = new Int32Array(slotCount + 2).fill(-1);
    this.#next = new Int32Array(slotCount + 2).fill(-1);
    for (const h of [this.#inHead, this.#amHead]) {
      this.#prev[h] = h;
      this.#next[h] = h;
    }
    this.#where = new Uint8Array(slotCount);
    this.#page = new Float64Array(slotCount).fill(-1);

    const kout = this.kout;
    this.#ghostHead = kout;
    this.#ghostPage = new Float64Array(kout).fill(-1);
    this.#ghostPrev = new Int32Array(kout + 1).fill(-1);
    this.#ghostNext = new Int32Array(kout + 1).fill(-1);
    this.#ghostPrev[kout] = kout;
    this.#ghostNext[kout] = kout;
    this.#freeCells = new Int32Array(kout);
    for (let c = kout - 1; c >= 0; c--) this.#freeCells[this.#freeTop++] = c;
    let buckets = 2;
    while (buckets < 2 * kout) buckets *= 2;
    this.#table = new Int32Array(buckets);
    this.#mask = buckets - 1;
  }

  insert(slot: number, pageId: number): void {
    this.#assertSlot(slot, 'insert');
    if (!Number.isSafeInteger(pageId) || pageId < 0) fail(`insert: pageId ${pageId} is not a non-negative safe integer`);
    if (this.#where[slot] !== NONE) fail(`insert: slot ${slot} is already resident`);
    this.#page[slot] = pageId;
    if (this.#ghostTake(pageId)) {
      this.#where[slot] = AM;
      linkBefore(this.#prev, this.#next, slot, this.#amHead);
      this.#amCount++;
    } else {
      this.#where[slot] = IN;
      linkBefore(this.#prev, this.#next, slot, this.#inHead);
      this.#a1inCount++;
    }
  }

  hit(slot: number): void {
    this.#assertSlot(slot, 'hit');
    const w = this.#where[slot];
    if (w === NONE) fail(`hit: slot ${slot} is not resident`);
    // A hit on A1in is a correlated reference (paper §2.2): it must not promote.
    if (w !== AM || this.#prev[this.#amHead] === slot) return;
    unlink(this.#prev, this.#next, slot);
    linkBefore(this.#prev, this.#next, slot, this.#amHead);
  }

  remove(slot: number): void {
    this.#assertSlot(slot, 'remove');
    const w = this.#where[slot];
    if (w === NONE) fail(`remove: slot ${slot} is not resident`);
    unlink(this.#prev, this.#next, slot);
    if (w === IN) {
      this.#a1inCount--;
      this.#ghostAdd(this.#page[slot] as number);
    } else {
      this.#amCount--;
    }
    this.#where[slot] = NONE;
    this.#page[slot] = -1;
  }

  pickVictims(out: Int32Array, max: number, evictable: (slot: number) => boolean): number {
    if (!Number.isInteger(max) || max < 0 || max > out.length) {
      fail(`pickVictims: max ${max} must be an integer in [0, out.length = ${out.length}]`);
    }
    const next = this.#next;
    const inHead = this.#inHead;
    const amHead = this.#amHead;
    // Cursors only move forward, so each slot is offered to `evictable` at most once and
    // no slot is returned twice; the work is bounded by |A1in| + |Am|.
    let inCur = next[inHead] as number;
    let amCur = next[amHead] as number;
    let inLeft = this.#a1inCount; // |A1in| once this call's A1in victims are gone
    let found = 0;
    while (found < max) {
      let fromIn: boolean;
      if (inLeft > this.kin) {
        inCur = this.#seek(inCur, inHead, evictable);
        fromIn = inCur !== inHead;
        if (!fromIn) amCur = this.#seek(amCur, amHead, evictable); // fall back to Am
      } else {
        amCur = this.#seek(amCur, amHead, evictable);
        fromIn = amCur === amHead;
        if (fromIn) inCur = this.#seek(inCur, inHead, evictable); // fall back to A1in
      }
      const s = fromIn ? inCur : amCur;
      if (s === inHead || s === amHead) break; // nothing evictable on either list
      out[found++] = s;
      if (fromIn) {
        inCur = next[s] as number;
        inLeft--;
      } else {
        amCur = next[s] as number;
      }
    }
    return found;
  }

  /** 0 for a slot on A1in (or empty), 1 for a slot on Am. */
  usage(slot: number): number {
    this.#assertSlot(slot, 'usage');
    return this.#where[slot] === AM ? 1 : 0;
  }

  get a1inCount(): number {
    return this.#a1inCount;
  }

  get amCount(): number {
    return this.#amCount;
  }

  get ghostCount(): number {
    return this.#ghostCount;
  }

  /** True when pageId is on A1out (O(1), allocation-free). */
  isGhost(pageId: number): boolean {
    return this.#findBucket(pageId) >= 0;
  }

  checkInvariants(): void {
    const n = this.slotCount;
    const inLen = checkedLength(this.#prev, this.#next, this.#inHead, n, 'A1in', (s) => {
      if (this.#where[s] !== IN) fail(`invariant 1: slot ${s} on A1in has where = ${this.#where[s]}`);
    });
    const amLen = checkedLength(this.#prev, this.#next, this.#amHead, n, 'Am', (s) => {
      if (this.#where[s] !== AM) fail(`invariant 1: slot ${s} on Am has where = ${this.#where[s]}`);
    });
    if (inLen !== this.#a1inCount) fail(`invariant 2: a1inCount ${this.#a1inCount}, list length ${inLen}`);
    if (amLen !== this.#amCount) fail(`invariant 2: amCount ${this.#amCount}, list length ${amLen}`);
    let resident = 0;
    for (let s = 0; s < n; s++) {
      const w = this.#where[s] as number;
      if (w === NONE) {
        if (this.#prev[s] !== -1 || this.#next[s] !== -1 || this.#page[s] !== -1) {
          fail(`invariant 2: empty slot ${s} has prev ${this.#prev[s]}, next ${this.#next[s]}, page ${this.#page[s]}`);
        }
        continue;
      }
      if (w !== IN && w !== AM) fail(`invariant 1: where[${s}] = ${w}`);
      resident++;
      if (this.isGhost(this.#page[s] as number)) fail(`invariant 5: resident page ${this.#page[s]} (slot ${s}) is a ghost`);
    }
    if (resident !== inLen + amLen) fail(`invariant 2: ${resident} resident slots, ${inLen + amLen} listed`);
    this.#checkGhosts();
  }

  #checkGhosts(): void {
    const kout = this.kout;
    const ghosts = checkedLength(this.#ghostPrev, this.#ghostNext, this.#ghostHead, kout, 'A1out', (c) => {
      const page = this.#ghostPage[c] as number;
      const bucket = this.#findBucket(page);
      if (bucket < 0 || this.#table[bucket] !== c + 1) fail(`invariant 4: ghost page ${page} (cell ${c}) not found in the hash`);
    });
    if (ghosts !== this.#ghostCount) fail(`invariant 3: ghostCount ${this.#ghostCount}, A1out length ${ghosts}`);
    if (this.#freeTop !== kout - ghosts) fail(`invariant 3: ${this.#freeTop} free cells, expected ${kout - ghosts}`);
    for (let i = 0; i < this.#freeTop; i++) {
      const c = this.#freeCells[i] as number;
      if (this.#ghostPrev[c] !== -1 || this.#ghostPage[c] !== -1) fail(`invariant 3: free cell ${c} is in use`);
    }
    let entries = 0;
    for (let b = 0; b <= this.#mask; b++) if (this.#table[b] !== 0) entries++;
    if (entries !== ghosts) fail(`invariant 4: ${entries} hash entries for ${ghosts} ghosts`);
  }

  /** First slot from `from` (inclusive) up to `sentinel` that is evictable, else sentinel. */
  #seek(from: number, sentinel: number, evictable: (slot: number) => boolean): number {
    let s = from;
    while (s !== sentinel && !evictable(s)) s = this.#next[s] as number;
    return s;
  }

  /** Records pageId as the newest ghost, dropping the oldest when A1out is full. */
  #ghostAdd(pageId: number): void {
    this.#ghostTake(pageId); // a page is on A1out at most once
    if (this.#ghostCount === this.kout) {
      const oldest = this.#ghostNext[this.#ghostHead] as number;
      this.#ghostTake(this.#ghostPage[oldest] as number);
    }
    const cell = this.#freeCells[--this.#freeTop] as number;
    this.#ghostPage[cell] = pageId;
    linkBefore(this.#ghostPrev, this.#ghostNext, cell, this.#ghostHead);
    let b = hashPageId(pageId) & this.#mask;
    while (this.#table[b] !== 0) b = (b + 1) & this.#mask;
    this.#table[b] = cell + 1;
    this.#ghostCount++;
  }

  /** Removes pageId from A1out if it is there; returns whether it was. */
  #ghostTake(pageId: number): boolean {
    const b = this.#findBucket(pageId);
    if (b < 0) return false;
    const cell = (this.#table[b] as number) - 1;
    this.#deleteBucket(b);
    unlink(this.#ghostPrev, this.#ghostNext, cell);
    this.#ghostPage[cell] = -1;
    this.#freeCells[this.#freeTop++] = cell;
    this.#ghostCount--;
    return true;
  }

  /** Bucket holding pageId, or -1. Load <= 1/2 keeps an empty bucket to stop the probe. */
  #findBucket(pageId: number): number {
    let b = hashPageId(pageId) & this.#mask;
    for (let probes = 0; probes <= this.#mask; probes++) {
      const e = this.#table[b] as number;
      if (e === 0) return -1;
      if (this.#ghostPage[e - 1] === pageId) return b;
      b = (b + 1) & this.#mask;
    }
    return -1;
  }

  /**
   * Empties bucket `hole` and shifts later entries of its probe run back (Knuth vol. 3,
   * 6.4 Algorithm R), so lookups need no tombstones.
   */
  #deleteBucket(hole: number): void {
    const mask = this.#mask;
    this.#table[hole] = 0;
    for (let j = (hole + 1) & mask; this.#table[j] !== 0; j = (j + 1) & mask) {
      const e = this.#table[j] as number;
      const home = hashPageId(this.#ghostPage[e - 1] as number) & mask;
      // The entry may stay iff its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      this.#table[hole] = e;
      this.#table[j] = 0;
      hole = j;
    }
  }

  #assertSlot(slot: number, op: string): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slotCount) {
      fail(`${op}: slot ${slot} outside [0, ${this.slotCount})`);
    }
  }
}
