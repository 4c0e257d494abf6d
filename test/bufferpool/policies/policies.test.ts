/**
 * Replacement policies (bufferpool/policy-*.ts):
 *
 * - a conformance suite run against every policy: the ReplacementPolicy contract
 *   (pickVictims honours `evictable` and `max`, returns distinct resident slots, returns 0
 *   without hanging when nothing is evictable; misuse is an assertion);
 * - eviction order per policy: clock (usage counts protect hot slots, the hand order),
 *   LRU (exact recency order), 2Q (scan resistance, ghosts promote to Am, Kin/Kout);
 * - a seeded model test per policy against a plain-array reference, checking
 *   checkInvariants() after every step.
 *
 * Replay a model failure: REMAPDB_SEED=<seed> npx tap test/bufferpool/policies/policies.test.ts
 */

import t, { type Test } from 'tap';

import {
  CLOCK_MAX_USAGE, ClockPolicy, createPolicy, LruPolicy, POLICY_NAMES, type PolicyName, type ReplacementPolicy, TwoQPolicy,
} from '../../../bufferpool/policies/index.js';

import { mulberry32, seedFromEnv } from '../helpers.js';

const DEFAULT_SEED = 0x32715eed;
const MODEL_RUNS = 24;
const MODEL_STEPS = 600;

const ALL = (): boolean => true;
const NONE = (): boolean => false;

/** pickVictims as an array (tests only). */
function victims(p: ReplacementPolicy, max: number, evictable: (slot: number) => boolean = ALL): number[] {
  const out = new Int32Array(Math.max(max, 1));
  const n = p.pickVictims(out, max, evictable);
  return Array.from(out.subarray(0, n));
}

/** Inserts page 100 + s into each listed slot. */
function fill(p: ReplacementPolicy, slots: Iterable<number>): void {
  for (const s of slots) p.insert(s, 100 + s);
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

// ---------------------------------------------------------------------------------------
// Conformance: every policy
// ---------------------------------------------------------------------------------------

for (const name of POLICY_NAMES) {
  t.test(`${name}: conformance`, async (t) => {
    t.test('createPolicy builds the named policy', async (t) => {
      const p = createPolicy(name, 8);
      t.equal(p.name, name);
      p.checkInvariants();
      t.same(victims(p, 4), [], 'an empty policy has no victims');
    });

    t.test('misuse is an assertion', async (t) => {
      t.throws(() => createPolicy(name, 0), /slotCount 0/);
      t.throws(() => createPolicy(name, 2.5), /slotCount 2.5/);
      const p = createPolicy(name, 4);
      t.throws(() => p.insert(4, 1), /slot 4 outside \[0, 4\)/);
      t.throws(() => p.insert(-1, 1), /slot -1/);
      t.throws(() => p.insert(0, -1), /pageId -1/);
      p.insert(0, 7);
      t.throws(() => p.insert(0, 8), /slot 0 is already resident/);
      t.throws(() => p.hit(1), /hit: slot 1 is not resident/);
      t.throws(() => p.remove(1), /remove: slot 1 is not resident/);
      t.throws(() => p.pickVictims(new Int32Array(2), 3, ALL), /max 3/);
      t.throws(() => p.pickVictims(new Int32Array(2), -1, ALL), /max -1/);
      p.checkInvariants();
    });

    t.test('pickVictims respects max and never repeats a slot', async (t) => {
      const p = createPolicy(name, 8);
      fill(p, range(8));
      t.same(victims(p, 0), [], 'max 0 → none');
      const three = victims(p, 3);
      t.equal(three.length, 3);
      t.equal(new Set(three).size, 3, 'distinct');
      const all = victims(p, 20);
      t.equal(all.length, 8, 'max beyond the resident count → every resident slot once');
      t.same([...all].sort((a, b) => a - b), range(8));
      p.checkInvariants();
    });

    t.test('pickVictims returns only resident slots', async (t) => {
      const p = createPolicy(name, 8);
      fill(p, [1, 3, 5]);
      t.same(victims(p, 8).sort((a, b) => a - b), [1, 3, 5]);
      p.remove(3);
      t.same(victims(p, 8).sort((a, b) => a - b), [1, 5]);
      p.checkInvariants();
    });

    t.test('pickVictims respects evictable', async (t) => {
      const p = createPolicy(name, 8);
      fill(p, range(8));
      const even = (s: number): boolean => s % 2 === 0;
      const got = victims(p, 8, even);
      t.same([...got].sort((a, b) => a - b), [0, 2, 4, 6]);
      t.same(victims(p, 1, (s) => s === 5), [5], 'a lone evictable slot is found');
      p.checkInvariants();
    });

    t.test('nothing evictable → 0, in bounded work', async (t) => {
      const p = createPolicy(name, 64);
      fill(p, range(64));
      for (let i = 0; i < 10; i++) for (const s of range(64)) p.hit(s);
      let calls = 0;
      const n = p.pickVictims(new Int32Array(8), 8, () => {
        calls++;
        return false;
      });
      t.equal(n, 0);
      t.ok(calls <= 64 * (CLOCK_MAX_USAGE + 1), `evictable called ${calls} times`);
      t.same(victims(p, 8, NONE), [], 'again');
      p.checkInvariants();
    });
  });
}

// ---------------------------------------------------------------------------------------
// Clock
// ---------------------------------------------------------------------------------------

t.test('clock: usage counts', async (t) => {
  const p = new ClockPolicy(4);
  p.insert(2, 9);
  t.equal(p.usage(2), 1, 'usage starts at 1 (PG BufferAlloc)');
  for (let i = 0; i < 10; i++) p.hit(2);
  t.equal(p.usage(2), CLOCK_MAX_USAGE, 'capped at BM_MAX_USAGE_COUNT');
  t.equal(p.usage(0), 0, 'an empty slot reads 0');
  p.remove(2);
  t.equal(p.usage(2), 0);
  p.checkInvariants();
});

t.test('clock: the hand sweeps in slot order and rests past its victim', async (t) => {
  const p = new ClockPolicy(4);
  fill(p, range(4));
  t.same(victims(p, 1), [0], 'first pass decrements 0..3 to 0, the second takes 0');
  t.equal(p.hand, 1);
  t.same([0, 1, 2, 3].map((s) => p.usage(s)), [0, 0, 0, 0]);
  p.remove(0);
  p.insert(0, 50);
  t.same(victims(p, 1), [1], 'the hand goes on from 1, not back to the refilled slot 0');
  t.same(victims(p, 2), [2, 3]);
  t.equal(p.hand, 0);
  t.same(victims(p, 1), [1], 'slot 0 (usage 1) is passed and decremented; slot 1 is taken');
  t.equal(p.usage(0), 0);
  p.checkInvariants();
});

t.test('clock: usage counts protect hot slots', async (t) => {
  const p = new ClockPolicy(8);
  fill(p, range(8));
  for (let i = 0; i < 4; i++) {
    p.hit(2);
    p.hit(5);
  }
  t.same(victims(p, 6), [0, 1, 3, 4, 6, 7], 'cold slots go first');
  t.equal(p.usage(2), 3, 'hot slot 2 lost one count per pass');
  t.equal(p.usage(5), 3);
  p.checkInvariants();
});

t.test('clock: a non-evictable (pinned) slot is skipped without a decrement', async (t) => {
  const p = new ClockPolicy(4);
  fill(p, range(4));
  p.hit(1);
  p.hit(1);
  t.same(victims(p, 3, (s) => s !== 1), [0, 2, 3]);
  t.equal(p.usage(1), 3, 'pinned slot keeps its usage count');
  t.same(victims(p, 4, NONE), []);
  t.equal(p.usage(1), 3);
  p.checkInvariants();
});

// ---------------------------------------------------------------------------------------
// LRU
// ---------------------------------------------------------------------------------------

t.test('lru: exact least-recently-used order', async (t) => {
  const p = new LruPolicy(5);
  fill(p, range(5));
  p.hit(2);
  p.hit(0);
  t.same(victims(p, 5), [1, 3, 4, 2, 0]);
  t.same(victims(p, 2), [1, 3], 'pickVictims does not reorder');
  p.remove(3);
  p.insert(3, 33);
  t.same(victims(p, 5), [1, 4, 2, 0, 3], 'a refilled slot is most recent');
  p.hit(1);
  t.same(victims(p, 5, (s) => s !== 4), [2, 0, 3, 1], 'non-evictable slots are skipped, not moved');
  t.equal(p.usage(1), 1);
  p.remove(1);
  t.equal(p.usage(1), 0);
  p.checkInvariants();
});

// ---------------------------------------------------------------------------------------
// 2Q
// ---------------------------------------------------------------------------------------

/** A minimal pool: a page table and a free list over one policy (tests only). */
class MiniPool {
  readonly slotOf = new Map<number, number>();
  readonly pageOf: number[];
  readonly free: number[];
  readonly #out = new Int32Array(1);

  constructor(readonly policy: ReplacementPolicy, slotCount: number) {
    this.pageOf = new Array<number>(slotCount).fill(-1);
    this.free = range(slotCount).reverse();
  }

  /** Fixes pageId; returns true on a hit. */
  access(pageId: number): boolean {
    const resident = this.slotOf.get(pageId);
    if (resident !== undefined) {
      this.policy.hit(resident);
      return true;
    }
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.policy.pickVictims(this.#out, 1, ALL) !== 1) throw new Error('no victim');
      slot = this.#out[0] as number;
      this.policy.remove(slot);
      this.slotOf.delete(this.pageOf[slot] as number);
    }
    this.policy.insert(slot, pageId);
    this.slotOf.set(pageId, slot);
    this.pageOf[slot] = pageId;
    return false;
  }
}

/** Warms a hot set up (each hot page returns after a short absence), then scans. */
function hotSetThenScan(policy: ReplacementPolicy, slotCount: number): { hot: number[]; pool: MiniPool } {
  const pool = new MiniPool(policy, slotCount);
  const hot = [1000, 1001, 1002, 1003, 1004, 1005];
  let next = 0;
  for (let round = 0; round < 4; round++) {
    for (const h of hot) pool.access(h);
    for (let i = 0; i < 8; i++) pool.access(next++);
  }
  for (let i = 0; i < 1000; i++) pool.access(next++); // one sequential scan, each page once
  policy.checkInvariants();
  return { hot, pool };
}

t.test('2q: Kin and Kout follow the paper (25% and 50%)', async (t) => {
  const p = new TwoQPolicy(16);
  t.equal(p.kin, 4);
  t.equal(p.kout, 8);
  const one = new TwoQPolicy(1);
  t.equal(one.kin, 0);
  t.equal(one.kout, 1, 'at least one ghost cell');
});

t.test('2q: a sequential scan does not evict the re-referenced hot set', async (t) => {
  const q = hotSetThenScan(new TwoQPolicy(16), 16);
  for (const h of q.hot) {
    const slot = q.pool.slotOf.get(h);
    t.not(slot, undefined, `hot page ${h} survived the scan`);
    if (slot !== undefined) t.equal(q.pool.policy.usage(slot), 1, `hot page ${h} is on Am`);
  }
  const lru = hotSetThenScan(new LruPolicy(16), 16);
  t.equal(lru.hot.filter((h) => lru.pool.slotOf.has(h)).length, 0, 'contrast: LRU lost the whole hot set');
});

t.test('2q: a ghost promotes a returning page to Am', async (t) => {
  const p = new TwoQPolicy(4); // kin 1, kout 2
  p.insert(0, 100);
  p.insert(1, 101);
  t.equal(p.usage(0), 0, 'a new page enters A1in');
  p.hit(0);
  t.equal(p.usage(0), 0, 'a hit on A1in is correlated: no promotion');
  t.same(victims(p, 1), [0], 'and no reordering: A1in is a FIFO');
  p.remove(0);
  t.ok(p.isGhost(100), 'the page evicted from A1in is remembered on A1out');
  t.equal(p.ghostCount, 1);
  p.insert(2, 100);
  t.equal(p.usage(2), 1, 'its return goes straight to Am');
  t.notOk(p.isGhost(100), 'and leaves A1out');
  t.equal(p.amCount, 1);
  t.equal(p.a1inCount, 1);
  p.remove(2);
  t.notOk(p.isGhost(100), 'a page removed from Am leaves no ghost');
  p.checkInvariants();
});

t.test('2q: A1out is a FIFO of at most Kout page ids', async (t) => {
  const p = new TwoQPolicy(4); // kout 2
  for (const page of [7, 8, 9]) {
    p.insert(0, page);
    p.remove(0);
    p.checkInvariants();
  }
  t.equal(p.ghostCount, 2);
  t.notOk(p.isGhost(7), 'the oldest ghost was dropped');
  t.ok(p.isGhost(8));
  t.ok(p.isGhost(9));
  p.insert(0, 8); // promote from the middle of the ring
  p.insert(1, 10);
  p.remove(1);
  t.ok(p.isGhost(9), 'promotion freed a cell: 9 is kept');
  t.ok(p.isGhost(10));
  t.ok(p.isGhost(2 ** 40 + 10) === false, 'a large page id is hashed without collisions of meaning');
  p.insert(1, 2 ** 40 + 10);
  p.remove(1);
  t.ok(p.isGhost(2 ** 40 + 10));
  t.notOk(p.isGhost(9), 'FIFO order kept after a middle removal');
  p.checkInvariants();
});

t.test('2q: victim choice between A1in and Am, with fallback', async (t) => {
  const p = new TwoQPolicy(8); // kin 2
  // Am: slots 0..3 (pages 10..13 via ghosts); A1in: slots 4..6.
  for (let s = 0; s < 4; s++) {
    p.insert(s, 10 + s);
    p.remove(s);
  }
  for (let s = 0; s < 4; s++) p.insert(s, 10 + s);
  t.equal(p.amCount, 4);
  fill(p, [4, 5, 6]);
  p.hit(0); // Am LRU order now 1, 2, 3, 0
  t.same(victims(p, 3), [4, 1, 2], '|A1in| = 3 > Kin → A1in\'s oldest, then |A1in| = Kin → Am\'s LRU end');
  t.same(victims(p, 2, (s) => s >= 4 || s === 0), [4, 0], 'Am skips non-evictable slots');
  t.same(victims(p, 2, (s) => s !== 4 && s !== 5 && s !== 6), [1, 2], 'A1in has nothing evictable → Am');
  p.remove(4);
  t.equal(p.a1inCount, 2);
  t.same(victims(p, 2, (s) => s >= 4), [5, 6], '|A1in| <= Kin but Am has nothing evictable → A1in');
  p.checkInvariants();
});

// ---------------------------------------------------------------------------------------
// Seeded model tests
// ---------------------------------------------------------------------------------------

/** A reference policy over plain arrays: state after each op, and the victims it expects. */
interface Reference {
  insert(slot: number, pageId: number): void;
  hit(slot: number): void;
  remove(slot: number): void;
  pick(max: number, evictable: (slot: number) => boolean): number[];
  usage(slot: number): number;
}

const without = (xs: number[], x: number): number[] => xs.filter((y) => y !== x);

class ClockReference implements Reference {
  readonly usages: number[];
  readonly resident: boolean[];
  hand = 0;
  constructor(readonly n: number) {
    this.usages = new Array<number>(n).fill(0);
    this.resident = new Array<boolean>(n).fill(false);
  }
  insert(slot: number): void {
    this.resident[slot] = true;
    this.usages[slot] = 1;
  }
  hit(slot: number): void {
    this.usages[slot] = Math.min(CLOCK_MAX_USAGE, (this.usages[slot] as number) + 1);
  }
  remove(slot: number): void {
    this.resident[slot] = false;
    this.usages[slot] = 0;
  }
  pick(max: number, evictable: (slot: number) => boolean): number[] {
    const picked: number[] = [];
    const candidate = (s: number): boolean => this.resident[s] === true && !picked.includes(s) && evictable(s);
    // Sweep until enough victims or no candidate remains (the hand rests past the last one).
    while (picked.length < max && range(this.n).some(candidate)) {
      const s = this.hand;
      this.hand = (s + 1) % this.n;
      if (!candidate(s)) continue;
      if ((this.usages[s] as number) > 0) this.usages[s] = (this.usages[s] as number) - 1;
      else picked.push(s);
    }
    return picked;
  }
  usage(slot: number): number {
    return this.usages[slot] as number;
  }
}

class LruReference implements Reference {
  order: number[] = []; // least recent first
  insert(slot: number): void {
    this.order.push(slot);
  }
  hit(slot: number): void {
    this.order = [...without(this.order, slot), slot];
  }
  remove(slot: number): void {
    this.order = without(this.order, slot);
  }
  pick(max: number, evictable: (slot: number) => boolean): number[] {
    return this.order.filter(evictable).slice(0, max);
  }
  usage(slot: number): number {
    return this.order.includes(slot) ? 1 : 0;
  }
}

class TwoQReference implements Reference {
  a1in: number[] = []; // oldest first
  am: number[] = []; // least recent first
  a1out: number[] = []; // page ids, oldest first
  readonly page = new Map<number, number>();
  constructor(readonly kin: number, readonly kout: number) {}
  insert(slot: number, pageId: number): void {
    this.page.set(slot, pageId);
    if (this.a1out.includes(pageId)) {
      this.a1out = without(this.a1out, pageId);
      this.am.push(slot);
    } else {
      this.a1in.push(slot);
    }
  }
  hit(slot: number): void {
    if (this.am.includes(slot)) this.am = [...without(this.am, slot), slot];
  }
  remove(slot: number): void {
    if (this.a1in.includes(slot)) {
      this.a1in = without(this.a1in, slot);
      this.a1out.push(this.page.get(slot) as number);
      if (this.a1out.length > this.kout) this.a1out.shift();
    } else {
      this.am = without(this.am, slot);
    }
    this.page.delete(slot);
  }
  pick(max: number, evictable: (slot: number) => boolean): number[] {
    const ins = this.a1in.filter(evictable);
    const ams = this.am.filter(evictable);
    const picked: number[] = [];
    let inLeft = this.a1in.length;
    while (picked.length < max && ins.length + ams.length > 0) {
      const fromIn = inLeft > this.kin ? ins.length > 0 : ams.length === 0;
      if (fromIn) inLeft--;
      picked.push((fromIn ? ins : ams).shift() as number);
    }
    return picked;
  }
  usage(slot: number): number {
    return this.am.includes(slot) ? 1 : 0;
  }
}

function makeReference(name: PolicyName, p: ReplacementPolicy, n: number): Reference {
  if (name === 'clock') return new ClockReference(n);
  if (name === 'lru') return new LruReference();
  const q = p as TwoQPolicy;
  return new TwoQReference(q.kin, q.kout);
}

/** One seeded run: random insert/hit/remove/pickVictims, checked against the reference. */
function modelRun(t: Test, name: PolicyName, seed: number, label: string): void {
  const rnd = mulberry32(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const n = rnd() < 0.25 ? 9 + int(40) : 1 + int(8); // small pools hit edge cases, larger ones the ghost hash
  const p = createPolicy(name, n);
  const ref = makeReference(name, p, n);
  const pageOf: number[] = new Array<number>(n).fill(-1);
  const out = new Int32Array(n + 2);
  const where = (step: number, op: string): string => `${label} step ${step} (${op}), ${n} slots`;
  for (let step = 0; step < MODEL_STEPS; step++) {
    const residents = range(n).filter((s) => pageOf[s] !== -1);
    const empties = range(n).filter((s) => pageOf[s] === -1);
    const r = rnd();
    let op: string;
    if (empties.length > 0 && (r < 0.35 || residents.length === 0)) {
      const slot = empties[int(empties.length)] as number;
      let pageId = int(3 * n + 2);
      while (pageOf.includes(pageId)) pageId = (pageId + 1) % (3 * n + 2); // the pool maps a page once
      op = `insert ${slot} ${pageId}`;
      p.insert(slot, pageId);
      ref.insert(slot, pageId);
      pageOf[slot] = pageId;
    } else if (r < 0.6) {
      const slot = residents[int(residents.length)] as number;
      op = `hit ${slot}`;
      p.hit(slot);
      ref.hit(slot);
    } else if (r < 0.7) {
      const slot = residents[int(residents.length)] as number;
      op = `remove ${slot}`;
      p.remove(slot);
      ref.remove(slot);
      pageOf[slot] = -1;
    } else {
      const max = int(n + 2);
      const pinned = new Set(residents.filter(() => rnd() < (r < 0.75 ? 1 : 0.3)));
      const evictable = (s: number): boolean => !pinned.has(s);
      op = `pickVictims max ${max} pinned [${[...pinned].join(',')}]`;
      const got = Array.from(out.subarray(0, p.pickVictims(out, max, evictable)));
      const want = ref.pick(max, evictable);
      if (got.length > max) t.fail(`${where(step, op)}: ${got.length} victims > max`);
      if (new Set(got).size !== got.length) t.fail(`${where(step, op)}: duplicate victims ${got.join(',')}`);
      for (const s of got) {
        if (pageOf[s] === -1 || pinned.has(s)) t.fail(`${where(step, op)}: victim ${s} not resident and evictable`);
      }
      const expectedCount = Math.min(max, residents.length - pinned.size);
      if (got.length !== expectedCount) t.fail(`${where(step, op)}: ${got.length} victims, expected ${expectedCount}`);
      if (got.join(',') !== want.join(',')) {
        t.fail(`${where(step, op)}: victims [${got.join(',')}], reference [${want.join(',')}]`);
        return;
      }
      // Like the pool, evict some of the victims.
      for (const s of got) {
        if (rnd() < 0.5) {
          p.remove(s);
          ref.remove(s);
          pageOf[s] = -1;
        }
      }
    }
    p.checkInvariants();
    for (let s = 0; s < n; s++) {
      if (p.usage(s) !== ref.usage(s)) {
        t.fail(`${where(step, op)}: usage(${s}) = ${p.usage(s)}, reference ${ref.usage(s)}`);
        return;
      }
    }
    if (p instanceof ClockPolicy && ref instanceof ClockReference && p.hand !== ref.hand) {
      t.fail(`${where(step, op)}: hand ${p.hand}, reference ${ref.hand}`);
      return;
    }
    if (p instanceof TwoQPolicy && ref instanceof TwoQReference) {
      if (p.ghostCount !== ref.a1out.length || !ref.a1out.every((g) => p.isGhost(g))) {
        t.fail(`${where(step, op)}: ghosts differ from reference [${ref.a1out.join(',')}]`);
        return;
      }
    }
  }
}

for (const name of POLICY_NAMES) {
  t.test(`${name}: seeded model test`, async (t) => {
    const seed = seedFromEnv(DEFAULT_SEED);
    t.comment(`seed ${seed} (override with REMAPDB_SEED=${seed})`);
    const rnd = mulberry32(seed ^ name.charCodeAt(0));
    for (let run = 0; run < MODEL_RUNS; run++) modelRun(t, name, Math.floor(rnd() * 2 ** 32), `seed ${seed} run ${run}`);
    t.pass(`${MODEL_RUNS} runs × ${MODEL_STEPS} steps`);
  });
}
