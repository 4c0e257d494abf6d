/**
 * ClockPolicy: PostgreSQL's clock sweep with usage counts (src/backend/storage/buffer/
 * freelist.c StrategyGetBuffer and ClockSweepTick; bufmgr.c PinBuffer).
 *
 * Owns, per slot: `#resident` (1 while the slot holds a page), `#usage` (0..5) and
 * `#pickedEpoch` (the pickVictims call that last chose the slot); plus the hand.
 *
 * Invariants (checkInvariants):
 *   1. usage[s] <= CLOCK_MAX_USAGE for every slot, and usage[s] == 0 when s is empty.
 *   2. residentCount == the number of slots with resident[s] == 1.
 *   3. 0 <= hand < slotCount.
 *
 * Transitions:
 *   empty    --insert-->      resident, usage 1           (PG BufferAlloc: BUF_USAGECOUNT_ONE)
 *   resident --hit-->         usage = min(usage + 1, 5)   (PG PinBuffer: BM_MAX_USAGE_COUNT)
 *   resident --pickVictims--> evictable: usage - 1 if > 0, else chosen; not evictable: untouched
 *   resident --remove-->      empty
 *
 * Why: a hot page survives up to five sweeps without a hit, so once-touched pages
 * (usage 1) go first. A non-evictable (pinned) slot is skipped without a decrement, as
 * PostgreSQL skips pinned buffers. Each call is bounded: (CLOCK_MAX_USAGE + 1) passes of
 * the hand bring any evictable slot to usage 0, and a full pass without progress (PG's
 * trycounter) means nothing is evictable, so the call returns 0 instead of spinning.
 */

import type { PolicyName, ReplacementPolicy } from './policy.js';

/** PostgreSQL's BM_MAX_USAGE_COUNT (buf_internals.h). */
export const CLOCK_MAX_USAGE = 5;

/** Assertion helper. Callers write `if (bad) fail(...)` so hot paths build no message. */
function fail(message: string): never {
  throw new Error(`ClockPolicy: ${message}`);
}

export class ClockPolicy implements ReplacementPolicy {
  readonly name: PolicyName = 'clock';
  readonly slotCount: number;
  readonly #resident: Uint8Array;
  readonly #usage: Uint8Array;
  /** A slot chosen earlier in the same pickVictims call must not be chosen twice. */
  readonly #pickedEpoch: Uint32Array;
  #epoch = 0;
  #hand = 0;
  #residentCount = 0;

  constructor(slotCount: number) {
    if (!Number.isInteger(slotCount) || slotCount < 1 || slotCount > 0x7fffffff) {
      fail(`slotCount ${slotCount} must be an integer in [1, 2^31)`);
    }
    this.slotCount = slotCount;
    this.#resident = new Uint8Array(slotCount);
    this.#usage = new Uint8Array(slotCount);
    this.#pickedEpoch = new Uint32Array(slotCount);
  }

  insert(slot: number, pageId: number): void {
    this.#assertSlot(slot, 'insert');
    if (!Number.isSafeInteger(pageId) || pageId < 0) fail(`insert: pageId ${pageId} is not a non-negative safe integer`);
    if (this.#resident[slot] !== 0) fail(`insert: slot ${slot} is already resident`);
    this.#resident[slot] = 1;
    this.#usage[slot] = 1;
    this.#residentCount++;
  }

  hit(slot: number): void {
    this.#assertResident(slot, 'hit');
    const u = this.#usage[slot] as number;
    if (u < CLOCK_MAX_USAGE) this.#usage[slot] = u + 1;
  }

  remove(slot: number): void {
    this.#assertResident(slot, 'remove');
    this.#resident[slot] = 0;
    this.#usage[slot] = 0;
    this.#residentCount--;
  }

  pickVictims(out: Int32Array, max: number, evictable: (slot: number) => boolean): number {
    if (!Number.isInteger(max) || max < 0 || max > out.length) {
      fail(`pickVictims: max ${max} must be an integer in [0, out.length = ${out.length}]`);
    }
    if (max === 0 || this.#residentCount === 0) return 0;
    const epoch = this.#nextEpoch();
    const n = this.slotCount;
    let hand = this.#hand;
    // Where the hand rests: just past the last slot decremented or taken. A final idle
    // pass would bring it back there anyway; the step bound must not leave it elsewhere.
    let rest = hand;
    let stepsLeft = (CLOCK_MAX_USAGE + 1) * n;
    let stepsWithoutProgress = 0;
    let found = 0;
    while (found < max && stepsLeft > 0 && stepsWithoutProgress < n) {
      const s = hand;
      hand = s + 1 === n ? 0 : s + 1;
      stepsLeft--;
      stepsWithoutProgress++;
      if (this.#resident[s] === 0 || this.#pickedEpoch[s] === epoch || !evictable(s)) continue;
      stepsWithoutProgress = 0;
      rest = hand;
      const u = this.#usage[s] as number;
      if (u > 0) {
        this.#usage[s] = u - 1;
      } else {
        this.#pickedEpoch[s] = epoch;
        out[found++] = s;
      }
    }
    this.#hand = rest;
    return found;
  }

  /** The usage count (0..5); 0 for an empty slot. */
  usage(slot: number): number {
    this.#assertSlot(slot, 'usage');
    return this.#usage[slot] as number;
  }

  /** The slot the next sweep examines first (tests, introspection). */
  get hand(): number {
    return this.#hand;
  }

  get residentCount(): number {
    return this.#residentCount;
  }

  checkInvariants(): void {
    let resident = 0;
    for (let s = 0; s < this.slotCount; s++) {
      const r = this.#resident[s] as number;
      const u = this.#usage[s] as number;
      if (r !== 0 && r !== 1) fail(`invariant 2: resident[${s}] = ${r}, expected 0 or 1`);
      if (u > CLOCK_MAX_USAGE) fail(`invariant 1: usage[${s}] = ${u} exceeds ${CLOCK_MAX_USAGE}`);
      if (r === 0 && u !== 0) fail(`invariant 1: empty slot ${s} has usage ${u}`);
      resident += r;
    }
    if (resident !== this.#residentCount) {
      fail(`invariant 2: residentCount is ${this.#residentCount} but ${resident} slots are resident`);
    }
    if (!Number.isInteger(this.#hand) || this.#hand < 0 || this.#hand >= this.slotCount) {
      fail(`invariant 3: hand ${this.#hand} outside [0, ${this.slotCount})`);
    }
  }

  /** Epoch 0 is never handed out, so a zeroed #pickedEpoch marks nothing as picked. */
  #nextEpoch(): number {
    if (this.#epoch === 0xffffffff) {
      this.#epoch = 0;
      this.#pickedEpoch.fill(0);
    }
    return ++this.#epoch;
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
