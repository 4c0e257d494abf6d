/**
 * The pool's assertions (bufferpool/assert.ts) and the strategy capabilities the pool
 * asks instead of comparing names (copiesPages, windowRange). Only what can be reached
 * through the public API without reaching into private state: a WAL hook that disagrees
 * with logDurable(), and debug mode running the full invariant walk after each eviction
 * batch and flush.
 */

import t from 'tap';

import {
  BufferPoolAssertionError, BufferPoolError, openBufferPool, STRATEGY_NAMES,
} from '../../bufferpool/index.js';
import { caught, checkAll, machine, readByte, TestWal, writePage } from './helpers.js';

t.test('an assertion is a bug, not a coded error', async (t) => {
  const e = new BufferPoolAssertionError('slot 3 is both free and fixed');
  t.notOk(e instanceof BufferPoolError, 'not a BufferPoolError');
  t.equal((e as unknown as { code?: unknown }).code, undefined, 'no code to handle');
  t.match(e.message, /^bufferpool assertion failed: slot 3/);
});

for (const strategy of STRATEGY_NAMES) {
  t.test(`${strategy}: logDurable() beyond the hook's durable LSN is an assertion`, async (t) => {
    const m = machine(t);
    const wal = new TestWal();
    const pool = openBufferPool(m.k, m.p, m.fd, { strategy, policy: 'clock', slots: 8, wal }, 0);
    for (let i = 0; i < 4; i++) pool.allocate();
    writePage(pool, 1, 0x11);
    pool.markLsn(1, 5);
    const err = caught(() => pool.logDurable(5));
    t.ok(err instanceof BufferPoolAssertionError, 'the hook says 0, the caller says 5', { err: String(err) });
    t.match(String((err as Error).message), /logDurable\(5\).*up to 0/, 'the message names both LSNs');
    wal.durable = 5;
    t.equal(caught(() => pool.logDurable(5)), null, 'once the hook agrees, it installs');
    t.equal(pool.snapshot().slots.find((r) => r.pageId === 1)?.shadowed, false, 'page 1 installed');
    checkAll({ pool, k: m.k });
    pool.close();
  });

  t.test(`${strategy}: debug mode walks the invariants after each eviction batch and flush`, async (t) => {
    const m = machine(t);
    const wal = new TestWal();
    const pool = openBufferPool(m.k, m.p, m.fd, { strategy, policy: 'clock', slots: 8, wal, debug: true }, 0);
    for (let i = 0; i < 24; i++) pool.allocate();
    for (let round = 0; round < 2; round++) {
      for (let id = 0; id < 24; id++) {
        if (id % 5 === 0) {
          writePage(pool, id, id);
          pool.markLsn(id, round * 24 + id + 1);
          wal.durable = round * 24 + id + 1;
        } else {
          readByte(pool, id);
        }
      }
    }
    t.ok(pool.stats().evictions > 0, 'evictions happened (each batch checked)');
    t.equal(caught(() => pool.flush()), null, 'flush under debug');
    t.equal(readByte(pool, 20), 20, 'a change survived eviction');
    checkAll({ pool, k: m.k });
    pool.close();
  });

  t.test(`${strategy}: capabilities the pool asks for`, async (t) => {
    const m = machine(t);
    const pool = openBufferPool(m.k, m.p, m.fd, { strategy, policy: 'clock', slots: 8 }, 0);
    for (let i = 0; i < 16; i++) pool.allocate();
    for (let id = 0; id < 16; id++) readByte(pool, id);
    const st = pool.stats();
    const snap = pool.snapshot();
    if (strategy === 'pread') {
      t.equal(st.preads, st.misses, 'a copying strategy: each miss is a pread');
      t.equal(snap.window, null, 'no window');
    } else {
      t.equal(st.preads, 0, 'a mapping strategy reads no page with pread');
      t.equal(snap.window === null, strategy !== 'nonlinear', 'only nonlinear has one window');
    }
    if (snap.window !== null) t.equal(snap.window.pages, 8, 'the window spans the slots');
    pool.close();
  });
}
