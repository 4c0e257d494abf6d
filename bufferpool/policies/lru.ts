/**
 * LruPolicy: exact least-recently-used replacement (the SQLite pcache1 and "OS LRU"
 * baseline of refs/bufferpool-anchors.md).
 *
 * Owns one doubly linked list of the resident slots in recency order, kept in
 * `#prev`/`#next` Int32Arrays of slotCount + 1 entries: index slotCount is a sentinel,
 * so next[sentinel] is the least recently used slot and prev[sentinel] the most recently
 * used one; linking needs no null checks. `#resident` flags list membership.
 *
 * Invariants (checkInvariants):
 *   1. Walking next from the sentinel visits every resident slot exactly once and
 *      returns to the sentinel; prev[next[x]] == x along the way.
 *   2. An empty slot has prev == next == -1 and resident == 0.
 *   3. count == the number of resident slots == the list length.
 *
 * Transitions:
 *   empty    --insert-->      resident, at the MRU end
 *   resident --hit-->         moved to the MRU end
 *   resident --pickVictims--> unchanged (the first `max` evictable slots from the LRU end are returned)
 *   resident --remove-->      empty (unlinked)
 *
 * Why: the reference against which clock and 2Q are judged; a linked list over typed
 * arrays makes every operation O(1) (pickVictims O(slots skipped)) with no allocation.
 * usage(slot) is 1 for a resident slot and 0 for an empty one: a list position class
 * would cost a walk, and recency order is already visible through pickVictims.
 */

import type { PolicyName, ReplacementPolicy } from './policy.js';

/** Assertion helper. Callers write `if (bad) fail(...)` so hot paths build no message. */
function fail(message: string): never {
  throw new Error(`LruPolicy: ${message}`);
}

export class LruPolicy implements ReplacementPolicy {
  readonly name: PolicyName = 'lru';
  readonly slotCount: number;
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  readonly #resident: Uint8Array;
  /** Index of the sentinel node (== slotCount). */
  readonly #head: number;
  #count = 0;

  constructor(slotCount: number) {
    if (!Number.isInteger(slotCount) || slotCount < 1 || slotCount >= 0x7fffffff) {
      fail(`slotCount ${slotCount} must be an integer in [1, 2^31 - 1)`);
    }
    this.slotCount = slotCount;
    this.#head = slotCount;
    this.#prev = new Int32Array(slotCount + 1).fill(-1);
    this.#next = new Int32Array(slotCount + 1).fill(-1);
    this.#prev[slotCount] = slotCount;
    this.#next[slotCount] = slotCount;
    this.#resident = new Uint8Array(slotCount);
  }

  insert(slot: number, pageId: number): void {
    this.#assertSlot(slot, 'insert');
    if (!Number.isSafeInteger(pageId) || pageId < 0) fail(`insert: pageId ${pageId} is not a non-negative safe integer`);
    if (this.#resident[slot] !== 0) fail(`insert: slot ${slot} is already resident`);
    this.#resident[slot] = 1;
    this.#linkMru(slot);
    this.#count++;
  }

  hit(slot: number): void {
    this.#assertResident(slot, 'hit');
    if (this.#prev[this.#head] === slot) return; // already most recent
    this.#unlink(slot);
    this.#linkMru(slot);
  }

  remove(slot: number): void {
    this.#assertResident(slot, 'remove');
    this.#unlink(slot);
    this.#resident[slot] = 0;
    this.#count--;
  }

  pickVictims(out: Int32Array, max: number, evictable: (slot: number) => boolean): number {
    if (!Number.isInteger(max) || max < 0 || max > out.length) {
      fail(`pickVictims: max ${max} must be an integer in [0, out.length = ${out.length}]`);
    }
    let found = 0;
    // The list is acyclic (invariant 1), so this walk ends after at most `count` steps.
    for (let s = this.#next[this.#head] as number; s !== this.#head && found < max; s = this.#next[s] as number) {
      if (evictable(s)) out[found++] = s;
    }
    return found;
  }

  /** 1 for a resident slot, 0 for an empty one (see the header). */
  usage(slot: number): number {
    this.#assertSlot(slot, 'usage');
    return this.#resident[slot] as number;
  }

  get residentCount(): number {
    return this.#count;
  }

  checkInvariants(): void {
    const head = this.#head;
    let seen = 0;
    let closed = false;
    // A list of at most slotCount slots returns to the sentinel within slotCount + 1 steps.
    for (let x = head, steps = 0; steps <= this.slotCount; steps++) {
      const nx = this.#next[x] as number;
      if (nx < 0 || nx > head) fail(`invariant 1: next[${x}] = ${nx} outside [0, ${head}]`);
      if (this.#prev[nx] !== x) fail(`invariant 1: prev[${nx}] = ${this.#prev[nx]}, expected ${x}`);
      closed = nx === head;
      if (closed) break;
      if (this.#resident[nx] !== 1) fail(`invariant 1: listed slot ${nx} is not resident`);
      seen++;
      x = nx;
    }
    if (!closed) fail('invariant 1: the list does not return to the sentinel (cycle)');
    if (seen !== this.#count) fail(`invariant 3: count is ${this.#count} but the list holds ${seen} slots`);
    let resident = 0;
    for (let s = 0; s < this.slotCount; s++) {
      const r = this.#resident[s] as number;
      if (r === 1) resident++;
      else if (r !== 0 || this.#prev[s] !== -1 || this.#next[s] !== -1) {
        fail(`invariant 2: empty slot ${s} has resident ${r}, prev ${this.#prev[s]}, next ${this.#next[s]}`);
      }
    }
    if (resident !== this.#count) fail(`invariant 3: count is ${this.#count} but ${resident} slots are resident`);
  }

  #linkMru(slot: number): void {
    const head = this.#head;
    const last = this.#prev[head] as number;
    this.#prev[slot] = last;
    this.#next[slot] = head;
    this.#next[last] = slot;
    this.#prev[head] = slot;
  }

  #unlink(slot: number): void {
    const p = this.#prev[slot] as number;
    const nx = this.#next[slot] as number;
    this.#next[p] = nx;
    this.#prev[nx] = p;
    this.#prev[slot] = -1;
    this.#next[slot] = -1;
  }

  #assertSlot(slot: number, op: string): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slotCount) {
      fail(`${op}: slot ${slot} outside [0, ${this.slotCount})`);
    }
  }

  #assertResident(slot: number, op: string): void {
    this.#assertSlot(slot, op);
    if (this.#resident[slot] !== 1) fail(`${op}: slot ${slot} is not resident`);
  }
}
