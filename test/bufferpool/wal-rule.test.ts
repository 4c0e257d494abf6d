/**
 * The WAL rule, seen from outside: the host data file (read with node:fs) never holds
 * a page image whose LSN the log has not made durable, and never a change that was not
 * logged at all (no-steal) — whatever the kernel does underneath: sync(2), pdflush after
 * dirty_expire (simulated time advanced past it), reclaim under memory pressure (which
 * writes dirty pages of an unlocked nonlinear window or of per-page mappings), and the
 * pool's own evictions. For every strategy (nonlinear locked and unlocked, multi-mmap,
 * pread) on both kernel personalities:
 *   - a logged change reaches the file only once durableLsn() >= its LSN;
 *   - no-steal: a change never logged never reaches the file, even after flush() and close();
 *   - a crash (the Kernel dropped without sync) after flush() keeps every flushed committed page;
 *   - redo's change in place (changeInPlace): allowed only up to the durable LSN and on a
 *     page without a shadow copy, and written back like an installed change;
 *   - shadow exhaustion: with shadowSlots 4 and four logged-but-not-durable changes, a
 *     fifth change makes the pool call flushLog and proceed; with four unlogged changes
 *     the fifth exclusive fix fails with REMAPDB_POOL_EXHAUSTED.
 */

import * as fs from 'node:fs';

import t, { type Test } from 'tap';

import { type BufferPoolOptions, openBufferPool, type StrategyName } from '../../bufferpool/index.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, type PersonalityName, PROT_READ, PROT_WRITE } from '../../sim-kernel/index.js';

import {
  caught, checkAll, machine, PERSONALITIES, type PoolEnv, poolCode, PS, readByte, TestWal, writePage,
} from './helpers.js';

const RAM = 4 * 1024 * 1024;
/** More anonymous memory than RAM: sweeping it makes kswapd and direct reclaim run. */
const HOG_PAGES = 1200;
const PAGES = 16;

/** Page i's content at each stage: the byte it is filled with. */
const BASE = (i: number): number => 0x10 + i;
const INSTALLED = (i: number): number => 0x30 + i;
const LOGGED = (i: number): number => 0x50 + i;
const UNLOGGED = (i: number): number => 0x70 + i;

interface Variant {
  label: string;
  strategy: StrategyName;
  mlock: boolean;
  /** The kernel can write installed pages on its own (reclaim of mapped dirty pages). */
  kernelWrites: boolean;
}

const VARIANTS: readonly Variant[] = [
  { label: 'nonlinear (mlock)', strategy: 'nonlinear', mlock: true, kernelWrites: false },
  { label: 'nonlinear (mlock: false)', strategy: 'nonlinear', mlock: false, kernelWrites: true },
  { label: 'multi-mmap', strategy: 'multi-mmap', mlock: true, kernelWrites: true },
  { label: 'pread', strategy: 'pread', mlock: true, kernelWrites: false },
];

interface Env extends PoolEnv {
  hog: number;
}

function boot(t: Test, v: Variant, personality: PersonalityName, opts: Partial<BufferPoolOptions> = {}): Env {
  // Shut down without sync: whatever is not on the host file by then is lost, as in a crash.
  const { k, p, fd, file } = machine(t, { personality, ramBytes: RAM, seed: 7 });
  const wal = new TestWal();
  const pool = openBufferPool(k, p, fd, { strategy: v.strategy, mlock: v.mlock, policy: 'clock', slots: 8, wal, ...opts }, 0);
  const hog = p.mmap(0, HOG_PAGES * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return { k, p, pool, wal, file, hog };
}

/** The byte page `id` of the host file is filled with, or -1 when the page is not uniform. */
function hostPage(file: string, id: number): number {
  const buf = fs.readFileSync(file);
  if (buf.length < (id + 1) * PS) return buf.length <= id * PS ? 0 : -1;
  const first = buf[id * PS] as number;
  for (let i = id * PS; i < (id + 1) * PS; i++) if (buf[i] !== first) return -1;
  return first;
}

function hex(n: number): string {
  return n < 0 ? 'mixed bytes' : `0x${n.toString(16)}`;
}

/**
 * Let the kernel write back everything it can: sync(2); the pool evicting pages (a
 * nonlinear remap moves a PTE's dirty bit to the page); memory pressure (reclaim writes
 * dirty unmapped-able pages, swaps anonymous ones); time past dirty_expire (pdflush).
 */
function kernelWritesBack(env: Env, readPages: readonly number[]): void {
  const { k, p, pool, hog } = env;
  k.sync();
  for (const id of readPages) readByte(pool, id);
  for (let round = 0; round < 2; round++) {
    for (let j = 0; j < HOG_PAGES; j++) p.store8(hog + j * PS, round + 1);
  }
  k.advance(31e9);
  k.advance(6e9);
  k.sync();
  checkAll(env);
}

/** Base content: every page filled with BASE(i), committed at LSN 1 and flushed. */
function setupBase(env: Env): void {
  const { pool, wal } = env;
  for (let i = 0; i < PAGES; i++) pool.allocate();
  for (let i = PAGES - 1; i >= 0; i--) {
    writePage(pool, i, BASE(i));
    pool.markLsn(i, 1);
  }
  wal.durable = 1;
  pool.logDurable(1);
  pool.flush();
  checkAll(env);
  wal.flushes.length = 0; // (sixteen changes over fewer shadows forced the log on the way)
}

for (const v of VARIANTS) {
  for (const personality of PERSONALITIES) {
    t.test(`${v.label} / ${personality}`, async (t) => {
      t.test('a logged change reaches the data file only once the log is durable up to its LSN', async (t) => {
        const env = boot(t, v, personality, { shadowSlots: 8 });
        const { pool, wal, file } = env;
        setupBase(env);
        for (let i = 0; i < PAGES; i++) t.equal(hostPage(file, i), BASE(i), `after flush, page ${i} is on the host file`);
        // Residency in a scrambled order, so window slots hold pages at non-linear offsets.
        for (const id of [9, 3, 12, 0, 5, 14, 7, 1]) readByte(pool, id);

        const installed = [9, 3];
        for (const id of installed) {
          writePage(pool, id, INSTALLED(id));
          pool.markLsn(id, 2);
        }
        wal.durable = 2;
        pool.logDurable(2);
        const logged: [number, number][] = [[12, 3], [0, 4], [5, 5]];
        for (const [id, lsn] of logged) {
          writePage(pool, id, LOGGED(id));
          pool.markLsn(id, lsn);
        }
        const unlogged = [14, 7];
        for (const id of unlogged) writePage(pool, id, UNLOGGED(id));
        checkAll(env);
        for (const [id] of logged) t.equal(readByte(pool, id), LOGGED(id), `a reader sees page ${id}'s logged change`);
        for (const id of unlogged) t.equal(readByte(pool, id), UNLOGGED(id), `a reader sees page ${id}'s unlogged change`);

        const others = [2, 4, 6, 8, 10, 11, 13, 15, 1];
        kernelWritesBack(env, others);
        const vm = env.k.vmstatFields();
        t.ok((vm['pgsteal'] ?? 0) > 0, 'memory pressure made the kernel reclaim pages', { pgsteal: vm['pgsteal'] });
        for (const [id, lsn] of logged) {
          t.equal(hex(hostPage(file, id)), hex(BASE(id)), `page ${id} (LSN ${lsn} > durable 2) is not on the file yet`);
        }
        for (const id of unlogged) t.equal(hex(hostPage(file, id)), hex(BASE(id)), `page ${id} (never logged) is not on the file`);
        for (const id of installed) {
          const h = hostPage(file, id);
          t.ok(h === BASE(id) || h === INSTALLED(id), `page ${id} (durable, installed) is either version on the file`, { found: hex(h) });
          if (v.kernelWrites) {
            t.equal(hex(h), hex(INSTALLED(id)), `page ${id}: the kernel wrote the installed page on its own (the rule is tested against a kernel that does write)`);
          }
        }
        t.same(wal.flushes, [], 'nothing asked for the log to be flushed');

        // The log becomes durable up to 3: page 12 may go, pages 0 and 5 may not.
        wal.durable = 3;
        pool.logDurable(3);
        kernelWritesBack(env, others);
        for (const [id, lsn] of logged) {
          const h = hostPage(file, id);
          if (lsn <= 3) t.ok(h === BASE(id) || h === LOGGED(id), `page ${id} (LSN ${lsn} <= durable 3) may be written`, { found: hex(h) });
          else t.equal(hex(h), hex(BASE(id)), `page ${id} (LSN ${lsn} > durable 3) is still not on the file`);
        }
        pool.flush(3);
        checkAll(env);
        t.equal(hex(hostPage(file, 12)), hex(LOGGED(12)), 'flush(3) wrote page 12 (LSN 3)');
        t.equal(hex(hostPage(file, 0)), hex(BASE(0)), 'flush(3) did not write page 0 (LSN 4)');
        t.equal(hex(hostPage(file, 5)), hex(BASE(5)), 'flush(3) did not write page 5 (LSN 5)');
        t.same(wal.flushes, [], 'flush(3) did not need the log flushed');
        for (const id of unlogged) t.equal(hex(hostPage(file, id)), hex(BASE(id)), `page ${id} (never logged) is not on the file`);

        // flush(): the pool makes the log durable up to LSN 5 first, then writes.
        pool.flush();
        checkAll(env);
        t.ok(wal.flushes.includes(5), 'flush() asked the log to be durable up to LSN 5 first', { flushes: wal.flushes });
        t.equal(wal.durable, 5);
        for (const [id] of logged) t.equal(hex(hostPage(file, id)), hex(LOGGED(id)), `page ${id} is on the file after flush()`);
        for (const id of installed) t.equal(hex(hostPage(file, id)), hex(INSTALLED(id)), `page ${id} is on the file after flush()`);
        for (const id of unlogged) t.equal(hex(hostPage(file, id)), hex(BASE(id)), `page ${id} (never logged) is still not on the file`);
        kernelWritesBack(env, others);
        for (const id of unlogged) t.equal(hex(hostPage(file, id)), hex(BASE(id)), `page ${id} (never logged) is not on the file after more write-back`);
      });

      t.test('no-steal: a change never logged never reaches the data file, even after flush() and close()', async (t) => {
        const env = boot(t, v, personality, { shadowSlots: 4 });
        const { pool, wal, file, k } = env;
        setupBase(env);
        const unlogged = [2, 11, 6];
        for (const id of unlogged) writePage(pool, id, UNLOGGED(id));
        // Heavy pool traffic around them: every other page in and out of the 8 slots.
        for (let round = 0; round < 3; round++) {
          for (let i = 0; i < PAGES; i++) if (!unlogged.includes(i)) readByte(pool, i);
        }
        checkAll(env);
        for (const id of unlogged) t.equal(readByte(pool, id), UNLOGGED(id), `page ${id}'s change stayed in the pool`);
        pool.flush();
        kernelWritesBack(env, [0, 1, 3, 4, 5, 7, 8, 9, 10]);
        pool.flush();
        checkAll(env);
        for (const id of unlogged) t.equal(hex(hostPage(file, id)), hex(BASE(id)), `after flush(): page ${id} is not on the file`);
        t.same(wal.flushes, [], 'flush() with nothing logged did not flush the log');
        pool.close();
        k.shutdown({ sync: true });
        for (const id of unlogged) t.equal(hex(hostPage(file, id)), hex(BASE(id)), `after close + sync: page ${id} is not on the file`);
        for (let i = 0; i < PAGES; i++) {
          if (!unlogged.includes(i)) t.equal(hex(hostPage(file, i)), hex(BASE(i)), `page ${i} keeps its committed content`);
        }
      });

      t.test('a crash after flush() keeps every flushed committed page', async (t) => {
        const env = boot(t, v, personality, { shadowSlots: 8 });
        const { pool, wal, file } = env;
        setupBase(env);
        // Commits: some durable at once, some with the log lagging; one change never logged.
        let lsn = 1;
        const committed = new Map<number, number>();
        for (const id of [4, 9, 1, 13, 7, 0, 10]) {
          writePage(pool, id, LOGGED(id));
          pool.markLsn(id, ++lsn);
          committed.set(id, LOGGED(id));
          if (id % 2 === 0) {
            wal.durable = lsn;
            pool.logDurable(lsn);
          }
          readByte(pool, (id + 5) % PAGES); // some eviction traffic
        }
        writePage(pool, 3, UNLOGGED(3));
        pool.flush();
        checkAll(env);
        // The crash: no sync, no shutdown; the host file is what reached the disk.
        for (let i = 0; i < PAGES; i++) {
          const want = committed.get(i) ?? BASE(i);
          t.equal(hex(hostPage(file, i)), hex(want), `after the crash, page ${i} holds ${committed.has(i) ? 'its flushed commit' : 'its base content'}`);
        }
      });

      t.test('shadow exhaustion with logged changes: the pool flushes the log and proceeds', async (t) => {
        const env = boot(t, v, personality, { shadowSlots: 4 });
        const { pool, wal } = env;
        for (let i = 0; i < 6; i++) pool.allocate();
        for (let i = 0; i < 4; i++) {
          writePage(pool, i, LOGGED(i));
          pool.markLsn(i, i + 1);
        }
        checkAll(env);
        t.same(wal.flushes, [], 'the log was not flushed yet');
        t.equal(pool.snapshot().slots.filter((s) => s.shadowed).length, 4, 'all four shadows hold logged changes');
        let err: unknown = null;
        err = caught(() => writePage(pool, 4, LOGGED(4)));
        t.equal(err === null ? 'ok' : String(err), 'ok', 'changing a fifth page succeeds');
        checkAll(env);
        t.ok(wal.flushes.length > 0, 'the pool called flushLog', { flushes: wal.flushes });
        t.ok(wal.flushes.every((l) => l <= 4), 'it asked for no more than the newest logged LSN', { flushes: wal.flushes });
        t.equal(wal.durable, 4, 'the log is durable up to LSN 4');
        t.equal(pool.stats().logFlushesForced, 1, 'stats count one forced log flush');
        for (let i = 0; i < 5; i++) t.equal(readByte(pool, i), LOGGED(i), `page ${i} reads its change`);
        pool.markLsn(4, 5);
        pool.flush();
        checkAll(env);
        for (let i = 0; i < 5; i++) t.equal(hex(hostPage(env.file, i)), hex(LOGGED(i)), `page ${i} reaches the file after flush()`);
      });

      t.test("redo's change in place: only what the log holds durably, only on a page without a copy, written by flush", async (t) => {
        const env = boot(t, v, personality, { shadowSlots: 4 });
        const { pool, wal, file } = env;
        setupBase(env);
        const redo = (id: number, value: number, lsn: number): void => {
          const tok = pool.fix(id, 'shared');
          try {
            const off = pool.changeInPlace(tok, lsn);
            pool.bytes.fill(value, off, off + PS);
          } finally {
            pool.unfix(tok, false);
          }
        };
        wal.durable = 7;
        const copies = pool.stats().shadowCopies;
        for (const id of [2, 6, 11]) redo(id, LOGGED(id), 7);
        checkAll(env);
        t.equal(pool.stats().shadowCopies, copies, 'no shadow copy was made');
        for (const id of [2, 6, 11]) t.equal(readByte(pool, id), LOGGED(id), `a reader sees page ${id}'s redone content`);
        t.match(caught(() => redo(3, LOGGED(3), 8)), { name: 'BufferPoolAssertionError', message: /LSN 8, the log durable only up to 7/ },
          'a change the log does not hold durably is a bug');
        writePage(pool, 4, UNLOGGED(4));
        t.match(caught(() => redo(4, LOGGED(4), 7)), { name: 'BufferPoolAssertionError', message: /page 4, which has a shadow copy/ },
          'a page with a working copy is a bug');
        pool.discard(4);
        t.equal(readByte(pool, 3), BASE(3), 'the refused change left page 3 as it was');
        checkAll(env);
        pool.flush();
        for (const id of [2, 6, 11]) t.equal(hex(hostPage(file, id)), hex(LOGGED(id)), `flush wrote page ${id}`);
        t.same(wal.flushes, [], 'the log was not asked for more');
      });

      t.test('shadow exhaustion with unlogged changes: REMAPDB_POOL_EXHAUSTED', async (t) => {
        const env = boot(t, v, personality, { shadowSlots: 4 });
        const { pool, wal } = env;
        for (let i = 0; i < 6; i++) pool.allocate();
        for (let i = 0; i < 4; i++) writePage(pool, i, UNLOGGED(i));
        checkAll(env);
        const err = caught(() => pool.fix(4, 'exclusive'));
        t.equal(poolCode(err), 'REMAPDB_POOL_EXHAUSTED', 'a fifth exclusive fix fails');
        t.match(String((err as Error | null)?.message), /shadow/, 'the message says shadow frames ran out');
        t.same(wal.flushes, [], 'flushing the log could not help, and was not asked for');
        checkAll(env);
        t.equal(pool.snapshot().slots.find((s) => s.pageId === 4)?.pins ?? 0, 0, 'the failed fix left no pin behind');
        t.equal(readByte(pool, 4), 0, 'a shared fix of the page still works');
        t.equal(readByte(pool, 0), UNLOGGED(0), 'the unlogged changes are intact');
        // Committing one frees a shadow.
        pool.markLsn(0, 1);
        wal.durable = 1;
        pool.logDurable(1);
        t.equal(String(caught(() => writePage(pool, 4, LOGGED(4)))), 'null', 'after a commit the fifth change succeeds');
        checkAll(env);
      });
    });
  }
}
