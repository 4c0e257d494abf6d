/**
 * Guard mode and write-fault dirty tracking (bufferpool/guard.ts) on every strategy and both
 * personalities, over a kernel with per-page protection (perPageProt).
 *
 * The five planted misuses of the issue, each caught with the right page id — through the
 * handle API (offset / writeOffset / unfix: the handle record names the page) and through a
 * kept address (addr(): a load or store through the MMU faults, and diagnose() names the page):
 *   use after unfix, write through a read fix, stale handle after eviction, double unfix,
 *   write after the pool closed;
 * plus a store through an exclusive handle after its change was committed.
 *
 * Also: the protections themselves (PROT_NONE unfixed, read-only fixed shared, read-write for an
 * exclusive fix's working copy: snapshot().prot and the PTEs), the window staying one VMA on
 * linux-2.6 and costing VMAs on linux-4.0, write-fault tracking keeping a store whose unfix said
 * "not dirtied", and the configuration errors.
 */

import t, { type Test } from 'tap';

import {
  type BufferPool, BufferPoolError, type BufferPoolOptions, openBufferPool, STRATEGY_NAMES, type StrategyName,
} from '../../bufferpool/index.js';
import { type Kernel, type PersonalityName, type Process, SegvError } from '../../sim-kernel/index.js';

import { caught, machine, PERSONALITIES, poolCode, PS, TestWal } from './helpers.js';

interface Env {
  k: Kernel;
  p: Process;
  pool: BufferPool;
  wal: TestWal;
}

const PAGES = 24;

function open(t: Test, strategy: StrategyName, personality: PersonalityName, opts: Partial<BufferPoolOptions> = {},
  perPageProt = true): Env {
  const { k, p, fd } = machine(t, { personality, perPageProt, seed: 7 }, { sync: true });
  const wal = new TestWal();
  const pool = openBufferPool(k, p, fd, { strategy, policy: 'clock', slots: 8, shadowSlots: 4, wal, guard: true, ...opts }, 0);
  for (let i = 0; i < PAGES; i++) pool.allocate();
  t.teardown(() => {
    if (!caught(() => pool.checkInvariants())) k.checkInvariants();
  });
  return { k, p, pool, wal };
}

/** Commit a change of page `id` to `value` (logged and durable at once). */
function commit(env: Env, id: number, value: number): void {
  const { pool, wal } = env;
  const tok = pool.fix(id, 'exclusive');
  const off = pool.writeOffset(tok);
  pool.bytes.fill(value, off, off + PS);
  pool.unfix(tok, true);
  wal.durable++;
  pool.markLsn(id, wal.durable);
  pool.logDurable(wal.durable);
}

/** Assert `err` is guard's misuse of `kind` naming page `pageId`, with the slot's history. */
function isMisuse(t: Test, err: unknown, kind: string, pageId: number, what: string): void {
  t.equal(poolCode(err), 'REMAPDB_POOL_MISUSE', `${what}: REMAPDB_POOL_MISUSE (got ${String(err)})`);
  if (!(err instanceof BufferPoolError)) return;
  t.equal(err.details['kind'], kind, `${what}: kind ${kind}`);
  t.equal(err.details['pageId'], pageId, `${what}: names page ${pageId}`);
  t.match(err.message, new RegExp(`page ${pageId}\\b`), `${what}: the message names page ${pageId}`);
  t.ok(Array.isArray(err.details['history']) && (err.details['history'] as unknown[]).length > 0, `${what}: with the slot's fix history`);
}

/** Run fn, expecting a SIGSEGV; return the pool's diagnosis of it. */
function faultOf(t: Test, pool: BufferPool, fn: () => unknown, what: string): unknown {
  const err = caught(fn);
  t.ok(err instanceof SegvError, `${what}: the access faults (SIGSEGV), got ${String(err)}`);
  return pool.diagnose(err);
}

/** Fix and unfix pages other than `keep` until `id` is no longer resident. */
function evict(pool: BufferPool, id: number): void {
  for (let i = 0; i < PAGES && pool.snapshot().slots.some((s) => s.pageId === id); i++) {
    if (i === id) continue;
    pool.unfix(pool.fix(i, 'shared'), false);
  }
}

for (const strategy of STRATEGY_NAMES) {
  for (const personality of PERSONALITIES) {
    t.test(`${strategy} / ${personality}: the five planted misuses, through handles`, async (t) => {
      // With write-fault tracking a store marks the working copy changed at once, so a commit
      // while the page is still fixed makes it the (read-only) pending copy.
      const env = open(t, strategy, personality, { dirtyTracking: 'write-fault' });
      const { pool } = env;
      commit(env, 5, 0x55);

      const a = pool.fix(5, 'shared');
      t.equal(pool.bytes[pool.offset(a)], 0x55, 'a live read fix reads the page');
      pool.unfix(a, false);
      isMisuse(t, caught(() => pool.offset(a)), 'use-after-unfix', 5, 'use after unfix');

      const b = pool.fix(6, 'shared');
      isMisuse(t, caught(() => pool.writeOffset(b)), 'write-through-read-fix', 6, 'write through a read fix');
      pool.unfix(b, false);

      const c = pool.fix(7, 'shared');
      pool.unfix(c, false);
      evict(pool, 7);
      isMisuse(t, caught(() => pool.offset(c)), 'stale-after-eviction', 7, 'stale handle after eviction');

      // Double unfix while another fix of the page is live: the pin count alone would not notice.
      const d1 = pool.fix(8, 'shared');
      const d2 = pool.fix(8, 'shared');
      pool.unfix(d1, false);
      isMisuse(t, caught(() => pool.unfix(d1, false)), 'double-unfix', 8, 'double unfix');
      t.equal(pool.snapshot().slots.find((s) => s.pageId === 8)?.pins, 1, 'the refused unfix took no pin');
      pool.unfix(d2, false);

      // A store through an exclusive handle after its change was committed (its copy is logged).
      const x = pool.fix(9, 'exclusive');
      pool.bytes[pool.writeOffset(x)] = 1;
      env.wal.durable++;
      pool.markLsn(9, env.wal.durable);
      isMisuse(t, caught(() => pool.writeOffset(x)), 'write-after-commit', 9, 'write after commit');
      t.equal(pool.bytes[pool.offset(x)], 1, 'the handle still reads its committed change');
      pool.unfix(x, false);

      const e = pool.fix(10, 'exclusive');
      pool.bytes[pool.writeOffset(e)] = 2;
      pool.unfix(e, true);
      pool.close();
      isMisuse(t, caught(() => pool.writeOffset(e)), 'after-close', 10, 'write after the pool closed');
      t.equal(poolCode(caught(() => pool.fix(10, 'shared'))), 'REMAPDB_POOL_CLOSED', 'fix after close: REMAPDB_POOL_CLOSED');
    });

    t.test(`${strategy} / ${personality}: the five planted misuses, through kept addresses (the MMU faults)`, async (t) => {
      const env = open(t, strategy, personality);
      const { pool, p } = env;
      commit(env, 5, 0x55);

      const a = pool.fix(5, 'shared');
      const pa = pool.addr(a);
      t.equal(p.load8(pa), 0x55, 'a load through a live read fix works');
      pool.unfix(a, false);
      isMisuse(t, faultOf(t, pool, () => p.load8(pa), 'use after unfix'), 'unfixed-page', 5, 'use after unfix');

      const b = pool.fix(6, 'shared');
      const pb = pool.addr(b);
      isMisuse(t, faultOf(t, pool, () => p.store8(pb, 1), 'write through a read fix'), 'write-through-read-fix', 6,
        'write through a read fix');
      pool.unfix(b, false);

      const c = pool.fix(7, 'shared');
      const pc = pool.addr(c);
      pool.unfix(c, false);
      evict(pool, 7);
      const stale = pool.diagnose(caught(() => p.load8(pc)));
      t.equal(poolCode(stale), 'REMAPDB_POOL_MISUSE', 'stale address after eviction: caught');
      if (stale instanceof BufferPoolError) {
        // A window or frame address stays its slot's, which holds another page now (and multi-mmap
        // may have mapped another page at the freed address): the history shows the eviction.
        t.match((stale.details['history'] as string[]).join(', '), /evict page 7\b/, 'the slot history shows page 7 evicted');
      }

      const d1 = pool.fix(8, 'shared');
      const pd = pool.addr(d1);
      pool.unfix(d1, false);
      isMisuse(t, caught(() => pool.unfix(d1, false)), 'double-unfix', 8, 'double unfix');
      isMisuse(t, faultOf(t, pool, () => p.load8(pd), 'read after double unfix'), 'unfixed-page', 8, 'read after double unfix');

      const e = pool.fix(10, 'exclusive');
      const pe = pool.addr(e);
      p.store8(pe, 3);
      pool.unfix(e, true);
      pool.close();
      isMisuse(t, faultOf(t, pool, () => p.store8(pe, 4), 'write after close'), 'after-close', 10, 'write after the pool closed');
      const other = new Error('not a fault');
      t.equal(pool.diagnose(other), other, 'diagnose passes other errors through');
    });

    t.test(`${strategy} / ${personality}: protections follow the fixes`, async (t) => {
      const env = open(t, strategy, personality);
      const { pool, p } = env;
      commit(env, 3, 0x33);
      const prot = (id: number): string => pool.snapshot().slots.find((s) => s.pageId === id)?.prot ?? 'not resident';
      t.equal(prot(3), 'none', 'an unfixed page is PROT_NONE');
      const r = pool.fix(3, 'shared');
      t.equal(prot(3), 'r', 'a page fixed shared is read-only');
      t.equal(p.ptes(pool.addr(r), PS)[0]?.prot, 'r', 'its PTE says so');
      const w = pool.fix(3, 'exclusive');
      t.equal(p.ptes(pool.addr(w), PS)[0]?.prot, 'rw', 'an exclusive fix addresses a writable working copy');
      t.equal(pool.addr(r), pool.addr(w), 'the read fix now reads the working copy too (invariant 4)');
      t.equal(prot(3), 'none', 'the slot\'s own page is not addressed while a copy is current');
      pool.unfix(w, false);
      t.equal(p.ptes(pool.addr(r), PS)[0]?.prot, 'r', 'back to read-only for the remaining read fix');
      pool.unfix(r, false);
      t.equal(prot(3), 'none', 'unfixed: PROT_NONE again');
      t.ok(pool.stats().protChanges > 0, 'protection changes are counted');
    });
  }
}

t.test('nonlinear: the window stays one VMA on linux-2.6 with perPageProt; linux-4.0 and plain 2.6 pay VMAs', async (t) => {
  const vmas: Record<string, number> = {};
  for (const [name, personality, perPageProt] of [
    ['2.6+prot', 'linux-2.6', true], ['2.6', 'linux-2.6', false], ['4.0+prot', 'linux-4.0', true],
  ] as const) {
    const env = open(t, 'nonlinear', personality, {}, perPageProt);
    const { pool, p } = env;
    const win = pool.snapshot().window;
    t.ok(win !== null, `${name}: a window`);
    const inWindow = (): number => p.maps().split('\n').filter((l) => {
      const [range] = l.split(' ');
      if (range === undefined || range === '') return false;
      const [s, e] = range.split('-').map((x) => parseInt(x, 16));
      return win !== null && (s as number) < win.addr + win.pages * PS && (e as number) > win.addr;
    }).length;
    // Every other slot fixed shared: protections alternate read-only / PROT_NONE along the window.
    const toks: number[] = [];
    for (let i = 0; i < 8; i++) {
      const tok = pool.fix(i, 'shared');
      if (i % 2 === 0) toks.push(tok);
      else pool.unfix(tok, false);
    }
    vmas[name] = inWindow();
    for (const tok of toks) pool.unfix(tok, false);
  }
  t.equal(vmas['2.6+prot'], 1, 'linux-2.6 with perPageProt: one VMA for the whole window');
  t.ok((vmas['2.6'] ?? 0) >= 8, `linux-2.6 without it: mprotect splits the window (${vmas['2.6']} VMAs)`);
  t.ok((vmas['4.0+prot'] ?? 0) >= 8, `linux-4.0: a VMA per run of equal protection (${vmas['4.0+prot']} VMAs)`);
});

for (const strategy of STRATEGY_NAMES) {
  t.test(`${strategy}: write-fault tracking keeps a store whose unfix says "not dirtied"`, async (t) => {
    for (const guard of [false, true]) {
      const env = open(t, strategy, 'linux-2.6', { guard, dirtyTracking: 'write-fault' });
      const { pool, wal } = env;
      const x = pool.fix(4, 'exclusive');
      const off = pool.offset(x);
      t.equal(pool.stats().writeFaults, 0, `guard ${guard}: reading an exclusive fix takes no write fault`);
      t.equal(pool.writeOffset(x), off, `guard ${guard}: the store goes to the same copy`);
      pool.bytes[off] = 0x44;
      t.equal(pool.stats().writeFaults, 1, `guard ${guard}: the first store faulted once`);
      pool.writeOffset(x);
      t.equal(pool.stats().writeFaults, 1, `guard ${guard}: later stores do not fault`);
      pool.unfix(x, false); // the caller "forgot" to say dirtied
      wal.durable++;
      pool.markLsn(4, wal.durable);
      pool.logDurable(wal.durable);
      const r = pool.fix(4, 'shared');
      t.equal(pool.bytes[pool.offset(r)], 0x44, `guard ${guard}: the change is kept and installed`);
      pool.unfix(r, false);
      // An exclusive fix that only reads leaves nothing to install.
      const installs = pool.stats().installs;
      const y = pool.fix(5, 'exclusive');
      pool.offset(y);
      pool.unfix(y, false);
      wal.durable++;
      pool.markLsn(5, wal.durable);
      pool.logDurable(wal.durable);
      t.equal(pool.stats().installs, installs, `guard ${guard}: a read-only exclusive fix installs nothing`);
      pool.close();
    }
  });
}

t.test('bad options are refused with REMAPDB_POOL_CONFIG naming the value', async (t) => {
  const { k, p, fd } = machine(t);
  for (const [key, value] of [['guard', 'yes'], ['dirtyTracking', 'mmu']] as const) {
    const err = caught(() => openBufferPool(k, p, fd, { strategy: 'nonlinear', policy: 'clock', slots: 8, [key]: value } as never, 0));
    t.equal(poolCode(err), 'REMAPDB_POOL_CONFIG', `${key} = ${value}`);
    t.match(String(err), value, 'the message names the value');
  }
});

t.test('guard keeps working after many fixes (handle records are recycled)', async (t) => {
  const env = open(t, 'nonlinear', 'linux-2.6');
  const { pool } = env;
  let old = -1;
  for (let i = 0; i < 70_000; i++) {
    const tok = pool.fix(i % PAGES, 'shared');
    if (i === 0) old = tok;
    pool.unfix(tok, false);
  }
  const err = caught(() => pool.offset(old));
  t.equal(poolCode(err), 'REMAPDB_POOL_MISUSE', 'a handle older than the records is still refused');
  t.match(String(err), /older than the last|unfixed/, 'and says why');
});
