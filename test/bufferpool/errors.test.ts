/**
 * Buffer pool errors, misuse and introspection:
 *   - exhaustion: every slot fixed (or holding an unlogged change) → REMAPDB_POOL_EXHAUSTED at once, no hang;
 *   - multi-mmap refused at open when its slots cannot fit under vm.max_map_count
 *     (REMAPDB_POOL_CONFIG), and running within it when they fit;
 *   - page range (REMAPDB_POOL_PAGE_RANGE), bad options (REMAPDB_POOL_CONFIG naming the key),
 *     use after close (REMAPDB_POOL_CLOSED);
 *   - sticky errors: an injected fsync / write-back failure makes flush() throw, sets
 *     pool.failed, and from then on exclusive fixes, allocate and flush fail with
 *     REMAPDB_POOL_FAILED while reads still work;
 *   - debug mode: stale handles, double unfix, unfix of a page not fixed → REMAPDB_POOL_MISUSE naming the page;
 *   - eviction order per policy at pool level (clock, LRU, 2Q);
 *   - snapshot() and stats() fields.
 */

import * as fs from 'node:fs';

import t, { type Test } from 'tap';

import {
  type BufferPool, BufferPoolError, type BufferPoolOptions, openBufferPool, type PolicyName, type StrategyName,
  STRATEGY_NAMES,
} from '../../bufferpool/index.js';
import type { KernelConfigInput } from '../../sim-kernel/index.js';

import { caught, checkAll, machine, type PoolEnv, poolCode, PS, readByte, TestWal, writePage } from './helpers.js';

const MAX_SLOTS = 2 ** 22;

interface Env extends PoolEnv {
  fd: number;
}

function boot(t: Test, opts: Partial<BufferPoolOptions> = {}, cfg: KernelConfigInput = {}, pages = 0): Env {
  const m = machine(t, cfg);
  const wal = new TestWal();
  const pool = openBufferPool(m.k, m.p, m.fd, { strategy: 'nonlinear', policy: 'clock', slots: 8, wal, ...opts }, 0);
  for (let i = 0; i < pages; i++) pool.allocate();
  return { ...m, pool, wal };
}

function expectCode(t: Test, fn: () => unknown, code: string, msg: string, message?: RegExp): BufferPoolError | null {
  const err = caught(fn);
  t.equal(poolCode(err), code, msg);
  if (message !== undefined) t.match(String((err as Error | null)?.message), message, `${msg}: message`);
  return err instanceof BufferPoolError ? err : null;
}

function touch(pool: BufferPool, id: number): void {
  pool.unfix(pool.fix(id, 'shared'), false);
}

function commit(env: Env, ids: readonly number[], lsn: number): void {
  for (const id of ids) env.pool.markLsn(id, lsn);
  env.wal.durable = Math.max(env.wal.durable, lsn);
  env.pool.logDurable(lsn);
}

function residentPages(pool: BufferPool): number[] {
  return pool.snapshot().slots.filter((s) => s.pageId >= 0).map((s) => s.pageId).sort((a, b) => a - b);
}

const STRATEGIES: readonly { label: string; strategy: StrategyName; mlock: boolean }[] = [
  { label: 'nonlinear', strategy: 'nonlinear', mlock: true },
  { label: 'nonlinear (mlock: false)', strategy: 'nonlinear', mlock: false },
  { label: 'multi-mmap', strategy: 'multi-mmap', mlock: true },
  { label: 'pread', strategy: 'pread', mlock: true },
];

// ---------------------------------------------------------------------------------------
// Exhaustion
// ---------------------------------------------------------------------------------------

for (const s of STRATEGIES) {
  t.test(`${s.label}: pool exhaustion`, async (t) => {
    t.test('every slot fixed: REMAPDB_POOL_EXHAUSTED at once, and the pool recovers', async (t) => {
      const env = boot(t, { strategy: s.strategy, mlock: s.mlock, slots: 4 }, {}, 8);
      const { pool } = env;
      const toks = [0, 1, 2, 3].map((id) => pool.fix(id, 'shared'));
      checkAll(env);
      const started = Date.now();
      const err = expectCode(t, () => pool.fix(4, 'shared'), 'REMAPDB_POOL_EXHAUSTED', 'a fifth page cannot come in', /4 slots/);
      t.ok(Date.now() - started < 2000, 'it fails at once');
      t.equal(err?.details['pinned'], 4, 'details say four slots are fixed');
      expectCode(t, () => pool.fix(5, 'exclusive'), 'REMAPDB_POOL_EXHAUSTED', 'an exclusive fix cannot either');
      checkAll(env);
      t.same(residentPages(pool), [0, 1, 2, 3], 'the resident set is unchanged');
      t.equal(readByte(pool, 2), 0, 'a fixed page can still be fixed again (a hit)');
      pool.unfix(toks[1] as number, false);
      t.equal(String(caught(() => touch(pool, 4))), 'null', 'after one unfix, the fifth page comes in');
      t.same(residentPages(pool), [0, 2, 3, 4], 'in place of the unfixed page');
      for (const tok of [toks[0], toks[2], toks[3]]) pool.unfix(tok as number, false);
      checkAll(env);
    });

    t.test('every slot holding an unlogged change: REMAPDB_POOL_EXHAUSTED without asking for the log', async (t) => {
      const env = boot(t, { strategy: s.strategy, mlock: s.mlock, slots: 4, shadowSlots: 8 }, {}, 8);
      const { pool, wal } = env;
      for (let id = 0; id < 4; id++) writePage(pool, id, 0x40 + id);
      expectCode(t, () => touch(pool, 4), 'REMAPDB_POOL_EXHAUSTED', 'no slot can be freed', /not yet logged/);
      t.same(wal.flushes, [], 'flushLog was not called (nothing logged)');
      checkAll(env);
      commit(env, [2], 1);
      t.equal(String(caught(() => touch(pool, 4))), 'null', 'once one change is committed, its slot can be reused');
      t.equal(readByte(pool, 0), 0x40, 'the other changes are intact');
      checkAll(env);
    });

    t.test('every slot holding a logged change: the pool flushes the log, installs and evicts', async (t) => {
      const env = boot(t, { strategy: s.strategy, mlock: s.mlock, slots: 4, shadowSlots: 8 }, {}, 8);
      const { pool, wal } = env;
      for (let id = 0; id < 4; id++) {
        writePage(pool, id, 0x40 + id);
        pool.markLsn(id, id + 1);
      }
      t.equal(String(caught(() => touch(pool, 4))), 'null', 'a fifth page comes in');
      t.same(wal.flushes, [4], 'after flushLog(4)');
      for (let id = 0; id < 4; id++) t.equal(readByte(pool, id), 0x40 + id, `page ${id} keeps its change`);
      checkAll(env);
    });
  });
}

// ---------------------------------------------------------------------------------------
// multi-mmap and vm.max_map_count
// ---------------------------------------------------------------------------------------

t.test('multi-mmap: vm.max_map_count', async (t) => {
  t.test('refused at open when the slots cannot fit', async (t) => {
    const m = machine(t, { maxMapCount: 64 });
    const err = expectCode(t, () => openBufferPool(m.k, m.p, m.fd, { strategy: 'multi-mmap', policy: 'clock', slots: 100 }),
      'REMAPDB_POOL_CONFIG', 'slots 100 over maxMapCount 64', /max_map_count is 64/);
    t.equal(err?.details['maxMapCount'], 64, 'details name the limit');
    t.equal(err?.details['slots'], 100, 'details name the slots');
    t.equal(m.p.mm.mapCount, 0, 'no mapping was left behind');
    m.k.checkInvariants();
  });

  t.test('runs within the limit when the slots fit', async (t) => {
    const m = machine(t, { maxMapCount: 64 });
    const wal = new TestWal();
    const pool = openBufferPool(m.k, m.p, m.fd, { strategy: 'multi-mmap', policy: 'lru', slots: 48, wal }, 0);
    const env: Env = { ...m, pool, wal };
    for (let i = 0; i < 160; i++) pool.allocate();
    let maxVmas = 0;
    // Every other page, then the rest backwards: neighbours rarely adjacent, many evictions.
    const order = [...Array.from({ length: 80 }, (_, i) => i * 2), ...Array.from({ length: 80 }, (_, i) => 159 - i * 2)];
    for (let round = 0; round < 2; round++) {
      for (const id of order) {
        if (id % 7 === 0) {
          writePage(pool, id, (id & 0x7f) + 1);
          commit(env, [id], round * 200 + id + 1);
        } else {
          touch(pool, id);
        }
        maxVmas = Math.max(maxVmas, m.p.mm.mapCount);
      }
    }
    checkAll(env);
    t.ok(maxVmas <= 64, `at most 64 VMAs at any time (max seen ${maxVmas})`);
    const st = pool.stats();
    t.ok(st.evictions > 0 && st.mmaps > 0 && st.munmaps > 0, 'pages were mapped and unmapped', { st });
    pool.flush();
    t.equal(readByte(pool, 14), 15, 'a committed change reads back');
    pool.close();
    t.equal(m.p.mm.mapCount, 0, 'close unmapped everything');
  });
});

// ---------------------------------------------------------------------------------------
// Page range, bad options, use after close
// ---------------------------------------------------------------------------------------

for (const strategy of STRATEGY_NAMES) {
  t.test(`${strategy}: page range`, async (t) => {
    const env = boot(t, { strategy }, {}, 3);
    const { pool } = env;
    expectCode(t, () => pool.fix(3, 'shared'), 'REMAPDB_POOL_PAGE_RANGE', 'page == pageCount', /page 3 is outside/);
    expectCode(t, () => pool.fix(1000, 'exclusive'), 'REMAPDB_POOL_PAGE_RANGE', 'page far past the end', /page 1000/);
    expectCode(t, () => pool.fix(-1, 'shared'), 'REMAPDB_POOL_PAGE_RANGE', 'negative page', /page -1/);
    expectCode(t, () => pool.fix(1.5, 'shared'), 'REMAPDB_POOL_PAGE_RANGE', 'fractional page', /page 1.5/);
    expectCode(t, () => pool.fix(Number.NaN, 'shared'), 'REMAPDB_POOL_PAGE_RANGE', 'NaN page');
    t.equal(pool.stats().fixes, 0, 'rejected fixes are not counted');
    pool.allocate();
    t.equal(readByte(pool, 3), 0, 'after allocate(), page 3 is in range');
    checkAll(env);
  });
}

t.test('bad options: REMAPDB_POOL_CONFIG naming the key', async (t) => {
  const m = machine(t);
  const cases: [string, Partial<BufferPoolOptions> & Record<string, unknown>][] = [
    ['slots', { slots: 0 }],
    ['slots', { slots: -3 }],
    ['slots', { slots: 2.5 }],
    ['slots', { slots: MAX_SLOTS }],
    ['strategy', { strategy: 'mmap' as StrategyName }],
    ['policy', { policy: 'arc' as PolicyName }],
    ['shadowSlots', { shadowSlots: 0 }],
    ['evictBatch', { evictBatch: 0 }],
  ];
  for (const [key, bad] of cases) {
    const opts = { strategy: 'nonlinear', policy: 'clock', slots: 8, ...bad } as BufferPoolOptions;
    const err = expectCode(t, () => openBufferPool(m.k, m.p, m.fd, opts), 'REMAPDB_POOL_CONFIG', `${JSON.stringify(bad)}`,
      new RegExp(`bufferpool\\.${key}\\b`));
    t.equal(err?.details['key'], key, `details.key is ${key}`);
  }
  t.equal(m.p.mm.mapCount, 0, 'no refused open left a mapping behind');
  m.k.checkInvariants();
});

for (const strategy of STRATEGY_NAMES) {
  t.test(`${strategy}: use after close`, async (t) => {
    const env = boot(t, { strategy }, {}, 4);
    const { pool } = env;
    writePage(env.pool, 1, 0x11);
    commit(env, [1], 1);
    pool.close();
    expectCode(t, () => pool.fix(0, 'shared'), 'REMAPDB_POOL_CLOSED', 'fix shared', /closed/);
    expectCode(t, () => pool.fix(0, 'exclusive'), 'REMAPDB_POOL_CLOSED', 'fix exclusive');
    expectCode(t, () => pool.allocate(), 'REMAPDB_POOL_CLOSED', 'allocate');
    expectCode(t, () => pool.flush(), 'REMAPDB_POOL_CLOSED', 'flush');
    t.equal(String(caught(() => pool.close())), 'null', 'a second close is a no-op');
    env.k.checkInvariants();
    env.k.shutdown({ sync: true });
    t.equal(fs.readFileSync(env.file)[PS], 0x11, 'close flushed the committed change');
  });
}

// ---------------------------------------------------------------------------------------
// Sticky errors
// ---------------------------------------------------------------------------------------

for (const s of STRATEGIES) {
  for (const kind of ['fsync', 'write'] as const) {
    t.test(`${s.label}: a failed ${kind} makes the pool refuse changes (sticky), reads still work`, async (t) => {
      const env = boot(t, { strategy: s.strategy, mlock: s.mlock, slots: 4, shadowSlots: 4 }, {}, 8);
      const { pool, k } = env;
      writePage(pool, 0, 0x10);
      writePage(pool, 1, 0x11);
      commit(env, [0, 1], 1);
      pool.flush();
      writePage(pool, 2, 0x12);
      commit(env, [2], 2);
      writePage(pool, 3, 0x13);
      pool.markLsn(3, 3); // logged, the log not durable yet
      k.core.faults.failNth(kind, 1);
      t.equal(pool.failed, null, 'not failed before');
      // flush(2): LSN 3 is not asked for, so page 3's change stays in its shadow.
      const err = expectCode(t, () => pool.flush(2), 'REMAPDB_POOL_FAILED', 'flush() throws', /flushing/);
      t.ok(err?.cause instanceof Error, 'the error carries its cause', { cause: String(err?.cause) });
      t.ok(pool.failed instanceof Error, 'pool.failed is set', { failed: String(pool.failed) });
      checkAll(env);
      expectCode(t, () => pool.fix(0, 'exclusive'), 'REMAPDB_POOL_FAILED', 'an exclusive fix of a resident page', /refuses changes/);
      expectCode(t, () => pool.fix(6, 'exclusive'), 'REMAPDB_POOL_FAILED', 'an exclusive fix of a page not resident');
      expectCode(t, () => pool.allocate(), 'REMAPDB_POOL_FAILED', 'allocate');
      expectCode(t, () => pool.flush(), 'REMAPDB_POOL_FAILED', 'flush again');
      const fixed = caught(() => {
        for (let id = 0; id < 8; id++) readByte(pool, id);
      });
      t.equal(String(fixed), 'null', 'shared fixes of every page (with misses and evictions) still work');
      t.equal(readByte(pool, 1), 0x11, 'a committed page reads its content');
      t.equal(readByte(pool, 2), 0x12, 'so does the page whose write-back failed');
      t.equal(readByte(pool, 3), 0x13, 'and the logged page');
      checkAll(env);
      // The log writer makes LSN 3 durable in the background; a reader of page 3 then
      // releases the page: a read must not fail because the pool refuses the install.
      env.wal.durable = 3;
      const tok = pool.fix(3, 'shared');
      t.equal(pool.bytes[pool.offset(tok)], 0x13, 'a reader fixes page 3 after the log became durable');
      const unfixErr = caught(() => pool.unfix(tok, false));
      t.equal(poolCode(unfixErr), 'no error', 'and unfixes it without error', {
      });
      checkAll(env);
      expectCode(t, () => pool.fix(3, 'exclusive'), 'REMAPDB_POOL_FAILED', 'changes stay refused');
    });
  }
}

// ---------------------------------------------------------------------------------------
// Debug mode
// ---------------------------------------------------------------------------------------

for (const strategy of STRATEGY_NAMES) {
  t.test(`${strategy}: debug mode catches misuse, naming the page`, async (t) => {
    const env = boot(t, { strategy, debug: true, slots: 4 }, {}, 10);
    const { pool } = env;
    const tok = pool.fix(7, 'shared');
    t.equal(pool.bytes[pool.offset(tok)], 0, 'a live handle works');
    pool.unfix(tok, false);
    expectCode(t, () => pool.offset(tok), 'REMAPDB_POOL_MISUSE', 'offset() through a handle after its unfix', /page 7\b/);
    expectCode(t, () => pool.unfix(tok, false), 'REMAPDB_POOL_MISUSE', 'double unfix', /page 7\b/);
    checkAll(env);

    // Re-fixing does not revive the old handle.
    const tok2 = pool.fix(7, 'shared');
    expectCode(t, () => pool.offset(tok), 'REMAPDB_POOL_MISUSE', 'an old handle after the page was fixed again', /page 7\b/);
    t.equal(caught(() => pool.offset(tok2)), null, 'the new handle works');
    pool.unfix(tok2, false);

    // Unfix of a page nobody fixed: a handle forged for page 7's slot at its current generation.
    const slot = pool.snapshot().slots.find((r) => r.pageId === 7)?.slot ?? -1;
    t.ok(slot >= 0, 'page 7 is resident');
    const gen = Math.floor(Math.floor(tok2 / 2) / MAX_SLOTS) + 1; // tok2's generation, bumped by its unfix
    const forged = (gen * MAX_SLOTS + slot) * 2;
    expectCode(t, () => pool.unfix(forged, false), 'REMAPDB_POOL_MISUSE', 'unfix of page 7 while nobody has it fixed', /page 7\b/);
    expectCode(t, () => pool.offset(forged), 'REMAPDB_POOL_MISUSE', 'offset() of page 7 while nobody has it fixed', /page 7\b/);
    // An empty slot: never fixed at all.
    const empty = pool.snapshot().slots.find((r) => r.pageId < 0)?.slot ?? -1;
    t.ok(empty >= 0, 'an empty slot exists');
    expectCode(t, () => pool.unfix(empty * 2, false), 'REMAPDB_POOL_MISUSE', 'unfix of a handle to an empty slot', /slot/);

    // A handle whose page was evicted and whose slot now holds another page.
    const old = pool.fix(1, 'shared');
    pool.unfix(old, false);
    for (const id of [2, 3, 4, 5, 6, 8, 9]) touch(pool, id);
    const now = pool.fix(9, 'shared');
    expectCode(t, () => pool.offset(old), 'REMAPDB_POOL_MISUSE', 'a handle to an evicted page', /stale/);
    pool.unfix(now, false);

    // Misuse without debug mode is still caught where it is cheap.
    const x = pool.fix(2, 'shared');
    expectCode(t, () => pool.unfix(x, true), 'REMAPDB_POOL_MISUSE', 'unfix of a shared fix as dirtied', /page 2\b.*exclusive/);
    t.equal(pool.snapshot().slots.find((r) => r.pageId === 2)?.pins, 1, 'the misuse left the pin alone');
    pool.unfix(x, false);
    const d = pool.fix(2, 'exclusive');
    expectCode(t, () => pool.discard(2), 'REMAPDB_POOL_MISUSE', 'discard of a fixed page', /page 2\b/);
    pool.unfix(d, false);
    checkAll(env);
    pool.close();
  });
}

t.test('without debug mode, double unfix and unfix of a page never fixed are still misuse naming the page', async (t) => {
  const env = boot(t, { slots: 4 }, {}, 4);
  const tok = env.pool.fix(2, 'shared');
  env.pool.unfix(tok, false);
  expectCode(t, () => env.pool.unfix(tok, false), 'REMAPDB_POOL_MISUSE', 'double unfix', /page 2\b.*not fixed/);
  // A handle made up for the slot page 2 occupies (never returned by fix()).
  const slot = env.pool.snapshot().slots.find((r) => r.pageId === 2)?.slot ?? -1;
  expectCode(t, () => env.pool.unfix(slot * 2 + 1, false), 'REMAPDB_POOL_MISUSE', 'unfix of a page never fixed through this handle',
    /page 2\b.*not fixed/);
  t.equal(env.pool.snapshot().slots.find((r) => r.pageId === 2)?.pins, 0, 'no pin went negative');
  checkAll(env);
});

// ---------------------------------------------------------------------------------------
// Eviction order per policy, at pool level
// ---------------------------------------------------------------------------------------

/** A 4-slot pool over 8 pages; pages 0..3 loaded in order (slots 0..3). */
function fourSlots(t: Test, policy: PolicyName, strategy: StrategyName): Env {
  const env = boot(t, { strategy, policy, slots: 4 }, {}, 8);
  for (let id = 0; id < 4; id++) touch(env.pool, id);
  t.same(residentPages(env.pool), [0, 1, 2, 3], 'pages 0..3 fill the pool');
  return env;
}

/** Load `id` and return the page that left. */
function loadAndSeeWhoLeft(pool: BufferPool, id: number): number[] {
  const before = residentPages(pool);
  touch(pool, id);
  const after = residentPages(pool);
  return before.filter((p) => !after.includes(p));
}

for (const strategy of STRATEGY_NAMES) {
  t.test(`${strategy}: eviction order per policy`, async (t) => {
    t.test('lru: the least recently used page leaves', async (t) => {
      const env = fourSlots(t, 'lru', strategy);
      const { pool } = env;
      for (const id of [0, 2, 1]) touch(pool, id); // recency: 3, 0, 2, 1
      t.same(loadAndSeeWhoLeft(pool, 4), [3], 'page 3 (untouched since loading) leaves first');
      t.same(loadAndSeeWhoLeft(pool, 5), [0], 'then page 0');
      touch(pool, 2);
      t.same(loadAndSeeWhoLeft(pool, 6), [1], 'then page 1 (page 2 was touched again)');
      t.same(residentPages(pool), [2, 4, 5, 6]);
      checkAll(env);
    });

    t.test('clock: usage counts protect touched pages; the hand sweeps in slot order', async (t) => {
      const env = fourSlots(t, 'clock', strategy);
      const { pool } = env;
      for (const id of [0, 0, 1, 3]) touch(pool, id); // usage: 0→3, 1→2, 2→1, 3→2
      t.same(pool.snapshot().slots.map((r) => r.usage), [3, 2, 1, 2], 'usage counts after the touches');
      t.same(loadAndSeeWhoLeft(pool, 4), [2], 'page 2 (least used) leaves first');
      t.same(pool.snapshot().slots.map((r) => r.usage), [1, 0, 1, 1], 'the sweep decremented the others; page 4 starts at 1');
      t.same(loadAndSeeWhoLeft(pool, 5), [1], 'then page 1 (its count reached 0 first from the hand)');
      checkAll(env);
    });

    t.test('2q: a page seen twice (via the ghost queue) outlives pages seen once', async (t) => {
      const env = fourSlots(t, '2q', strategy);
      const { pool } = env;
      t.same(loadAndSeeWhoLeft(pool, 4), [0], 'FIFO among once-seen pages: page 0 leaves first');
      t.same(loadAndSeeWhoLeft(pool, 0), [1], 'page 0 comes back (a ghost hit, so it is hot); page 1 leaves');
      for (const id of [5, 6, 7]) touch(pool, id);
      t.ok(residentPages(pool).includes(0), 'page 0 survives a scan of three new pages', { resident: residentPages(pool) });
      checkAll(env);
    });
  });
}

// ---------------------------------------------------------------------------------------
// snapshot() and stats()
// ---------------------------------------------------------------------------------------

t.test('snapshot(): per-slot rows and the summary', async (t) => {
  const env = boot(t, { strategy: 'nonlinear', policy: 'clock', slots: 8 }, {}, 6);
  const { pool } = env;
  let snap = pool.snapshot();
  t.equal(snap.slots.length, 8, 'one row per slot');
  t.same(snap.summary.usedSlots, 0);
  t.same(snap.summary.slotCount - snap.summary.usedSlots, 8);
  t.same(snap.summary.fixes + snap.summary.hits, 0, 'no fixes yet: no hits');
  t.ok(snap.slots.every((r) => r.pageId === -1 && r.pte === 'none' && !r.dirty && r.pins === 0), 'empty slots');

  for (const id of [0, 1, 2]) touch(pool, id);
  touch(pool, 0);
  const held = pool.fix(1, 'shared');
  writePage(pool, 2, 0x22); // a shadowed change, not logged
  writePage(pool, 0, 0x20);
  commit(env, [0], 1); // installed, not yet written
  snap = pool.snapshot();
  const row = (id: number) => snap.slots.find((r) => r.pageId === id);
  t.equal(row(1)?.pins, 1, 'page 1: pinned once');
  t.equal(row(0)?.pins, 0);
  t.equal(row(2)?.shadowed, true, 'page 2: served from a shadow');
  t.equal(row(2)?.dirty, true, 'page 2: dirty (uncommitted change)');
  t.equal(row(2)?.pageLsn, null, 'page 2: no LSN (not logged)');
  t.equal(row(0)?.shadowed, false, 'page 0: installed');
  t.equal(row(0)?.dirty, true, 'page 0: dirty (installed, not written)');
  t.equal(row(0)?.pageLsn, 1, 'page 0: LSN 1');
  t.equal(row(1)?.dirty, false, 'page 1: clean');
  t.ok((row(0)?.usage ?? 0) >= 2, 'page 0 touched more: usage >= 2', { usage: row(0)?.usage });
  for (const id of [0, 1, 2]) {
    t.equal(row(id)?.pte, 'present', `page ${id}: its window slot's PTE is present (mlocked window)`);
    t.ok((row(id)?.frame ?? -1) >= 0, `page ${id}: has a frame`);
  }
  t.equal(snap.summary.usedSlots, 3);
  t.equal(snap.summary.slotCount - snap.summary.usedSlots, 5);
  t.equal(snap.summary.dirtySlots, 2, 'two dirty slots');
  t.equal(snap.summary.pinnedSlots, 1);
  t.equal(snap.summary.slotCount, 8);
  t.equal(snap.slots.filter((r) => r.pageId >= 0).length, snap.summary.usedSlots, 'usedSlots = occupied rows');
  t.equal(snap.summary.createdPages, 6);
  const st = pool.stats();
  t.equal(snap.summary.hits, st.hits, 'hits as stats() counts them');
  t.equal(snap.summary.fixes, st.fixes);
  t.equal(snap.summary.misses, st.misses);
  pool.unfix(held, false);
  pool.flush();
  snap = pool.snapshot();
  t.equal(snap.slots.find((r) => r.pageId === 0)?.dirty, false, 'after flush page 0 is clean');
  t.equal(snap.summary.dirtySlots, 1, 'only the uncommitted change stays dirty');
  t.ok(snap.summary.usageCountSum > 0, 'usageCountSum');
  checkAll(env);
});

t.test('stats(): counters', async (t) => {
  t.test('hits, misses, evictions', async (t) => {
    const env = boot(t, { strategy: 'pread', policy: 'lru', slots: 4 }, {}, 10);
    const { pool } = env;
    for (const id of [0, 1, 2, 3]) touch(pool, id); // 4 misses
    for (const id of [0, 1]) touch(pool, id); // 2 hits
    for (const id of [4, 5, 6]) touch(pool, id); // 3 misses, 3 evictions
    touch(pool, 6); // hit
    const st = pool.stats();
    t.equal(st.fixes, 10);
    t.equal(st.misses, 7);
    t.equal(st.hits, 3);
    t.equal(st.evictions, 3);
    t.equal(st.hitRate, 0.3);
    t.equal(st.resident, 4);
    t.equal(st.preads, 7, 'pread: one pread per miss');
    t.equal(st.strategy, 'pread');
    t.equal(st.policy, 'lru');
    t.equal(st.personality, 'linux-2.6');
    t.equal(st.slots, 4);
    checkAll(env);
  });

  for (const personality of ['linux-2.6', 'linux-4.0'] as const) {
    t.test(`nonlinear on ${personality}: remaps`, async (t) => {
      const env = boot(t, { strategy: 'nonlinear', slots: 8 }, { personality }, 24);
      for (let round = 0; round < 2; round++) for (let id = 0; id < 24; id++) touch(env.pool, id);
      const st = env.pool.stats();
      t.ok(st.remaps >= st.misses && st.misses > 0, 'one remap per miss', { remaps: st.remaps, misses: st.misses });
      t.equal(st.mmaps, 0, 'no mmap calls after open');
      t.ok(st.evictions > 0);
      checkAll(env);
    });
  }

  t.test('multi-mmap: mmaps and munmaps', async (t) => {
    const env = boot(t, { strategy: 'multi-mmap', slots: 8 }, {}, 24);
    for (let round = 0; round < 2; round++) for (let id = 0; id < 24; id++) touch(env.pool, id);
    const st = env.pool.stats();
    t.ok(st.mmaps > 0, 'mmaps > 0', { mmaps: st.mmaps });
    t.ok(st.munmaps > 0, 'munmaps > 0', { munmaps: st.munmaps });
    t.equal(st.mmaps, st.misses, 'one mmap per miss');
    t.equal(st.munmaps, st.evictions, 'one munmap per eviction');
    t.equal(st.remaps, 0);
    checkAll(env);
  });

  for (const slots of [8, 64, 512]) {
    t.test(`nonlinear on linux-2.6 with ${slots} slots: 1-2 VMAs`, async (t) => {
      const pages = slots * 2 + 16;
      const env = boot(t, { strategy: 'nonlinear', slots, evictBatch: 4 }, { ramBytes: 16 * 1024 * 1024 }, pages);
      // Scrambled order: slots hold pages at non-linear offsets.
      for (let i = 0; i < pages; i++) touch(env.pool, (i * 7919) % pages);
      for (let i = 0; i < 16; i++) {
        writePage(env.pool, (i * 31) % pages, i + 1);
        commit(env, [(i * 31) % pages], i + 1);
      }
      const st = env.pool.stats();
      t.ok(st.vmaCount >= 1 && st.vmaCount <= 2, `vmaCount ${st.vmaCount} is 1 or 2`);
      t.ok(st.evictions > 0 && st.remaps > 0);
      t.ok(st.kernelBytes > 0, 'kernelBytes');
      checkAll(env);
    });
  }
});
