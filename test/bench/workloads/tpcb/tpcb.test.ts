/**
 * TPC-B-like workload on every engine at a tiny scale (2 branches × 50 accounts): params
 * validation, one transaction against hand-computed draws (exactly one account, teller
 * and branch change by delta, one history row), the checks after load and on broken
 * databases (one abalance changed, one history row deleted), and a short run of two
 * interleaved terminals whose checks pass with the committed count.
 *
 * Seeded: SEED below (printed); REMAPDB_SEED=<n> replays another.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import t from 'tap';

import { workerRng } from '../../../../bench/workloads/rng.js';
import { closeStore, DEFAULT_SPEC, ENGINE_KINDS, type EngineKind, openStore, type Store } from '../../../../bench/workloads/stores.js';
import type { BalanceTable } from '../../../../bench/workloads/tpcb/access.js';
import { type BoundTpcb, MTIME_EPOCH_US, tpcb, type TpcbParams } from '../../../../bench/workloads/tpcb/index.js';

// remapdb checks at every commit that pages changed only where the B+tree declared (storage/pager.ts).
process.env.REMAPDB_CHECK_WRITES = '1';

const SEED = (Number(process.env.REMAPDB_SEED ?? 0x7bcb) >>> 0);
t.comment(`seed ${SEED} (REMAPDB_SEED=${SEED} replays)`);

const PARAMS: TpcbParams = tpcb.params({ scale: 2, accountsPerBranch: 50 });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tpcb-test-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;

async function withLoaded(kind: EngineKind, fn: (w: BoundTpcb, store: Store) => void | Promise<void>): Promise<void> {
  const dir = path.join(tmp, `${kind}-${dirs++}`);
  const store = openStore(dir, { ...DEFAULT_SPEC, kind, sync: 'off', poolPages: 1024 }, true);
  try {
    const w = tpcb.bind(store, PARAMS);
    w.load(() => {});
    await fn(w, store);
  } finally {
    await closeStore(store);
  }
}

function balances(w: BoundTpcb, table: BalanceTable): Map<number, number> {
  const m = new Map<number, number>();
  w.access.forEachBalance(table, (id, b) => m.set(id, b));
  return m;
}

function failed(w: BoundTpcb, committed?: Record<string, number>): string[] {
  return w.check(committed).filter((c) => !c.ok).map((c) => c.id);
}

t.test('params: defaults and RangeErrors naming field, value and limit', async (t) => {
  t.same(tpcb.params({}), { scale: 10, accountsPerBranch: 100_000 });
  t.throws(() => tpcb.params({ scale: 0 }), /tpcb scale = 0: must be an integer from 1 to 1000/);
  t.throws(() => tpcb.params({ scale: 1001 }), RangeError);
  t.throws(() => tpcb.params({ scale: 1.5 }), RangeError);
  t.throws(() => tpcb.params({ accountsPerBranch: 0 }), /accountsPerBranch = 0/);
  t.equal(tpcb.loadRows(PARAMS), 2 * (1 + 10 + 50));
  t.same(tpcb.txTypes, [{ name: 'tpcb', weight: 100 }]);
});

for (const kind of ENGINE_KINDS) {
  t.test(`${kind}: load, checks pass, counters`, async (t) => {
    await withLoaded(kind, (w) => {
      t.same(failed(w, { tpcb: 0 }), []);
      t.equal(w.check().length, 5);
      t.same(w.counters(), { history: 0, sumAbalance: 0 });
      t.equal(w.access.rowCount('accounts'), 100);
      t.equal(w.access.rowCount('tellers'), 20);
      t.equal(w.access.rowCount('branches'), 2);
    });
  });

  t.test(`${kind}: one step changes one account, teller and branch by delta and adds one history row`, async (t) => {
    await withLoaded(kind, (w) => {
      const [term] = w.terminals(1, SEED);
      if (term === undefined) throw new Error('no terminal');
      // pgbench's \set order, from the terminal's own stream.
      const rng = workerRng(SEED, 0);
      const want = { aid: rng.int(1, 100), bid: rng.int(1, 2), tid: rng.int(1, 20), delta: rng.int(-5000, 5000) };
      const before = { a: balances(w, 'accounts'), t: balances(w, 'tellers'), b: balances(w, 'branches') };
      t.equal(term.step(), 0);
      t.equal(term.rolledBack, false);
      t.match(term.last, { ...want, mtimeUs: MTIME_EPOCH_US, abalance: want.delta });
      const after = { a: balances(w, 'accounts'), t: balances(w, 'tellers'), b: balances(w, 'branches') };
      const changed = (x: Map<number, number>, y: Map<number, number>): [number, number][] =>
        [...y].filter(([id, v]) => x.get(id) !== v).map(([id, v]) => [id, v - (x.get(id) ?? NaN)]);
      t.same(changed(before.a, after.a), [[want.aid, want.delta]]);
      t.same(changed(before.t, after.t), [[want.tid, want.delta]]);
      t.same(changed(before.b, after.b), [[want.bid, want.delta]]);
      t.equal(w.access.rowCount('history'), 1);
      t.equal(w.access.sumHistoryDelta(), want.delta);
      t.same(w.counters(), { history: 1, sumAbalance: want.delta });
      t.same(failed(w, { tpcb: 1 }), []);
      // A second step on the same account adds on: the SELECT sees the transaction's own update.
      term.step();
      t.equal(term.last.mtimeUs, MTIME_EPOCH_US + 1);
      t.equal(term.last.abalance, after.a.get(term.last.aid) as number + term.last.delta);
    });
  });

  t.test(`${kind}: checks catch a changed abalance and a deleted history row`, async (t) => {
    await withLoaded(kind, (w, store) => {
      const terms = w.terminals(1, SEED);
      for (let i = 0; i < 5; i++) terms[0]?.step();
      t.same(failed(w, { tpcb: 5 }), []);
      t.same(failed(w, { tpcb: 4 }), ['tpcb-history-count']);
      w.access.transaction(() => w.access.addAccountBalance(7, 1))();
      const bad = w.check({ tpcb: 5 }).filter((c) => !c.ok);
      t.same(bad.map((c) => c.id), ['tpcb-sum-abalance']);
      t.match(bad[0]?.detail, /Σabalance = -?\d+, Σhistory.delta = -?\d+/);
      w.access.transaction(() => w.access.addAccountBalance(7, -1))();
      t.same(failed(w, { tpcb: 5 }), []);
      deleteOneHistoryRow(store);
      t.ok(failed(w, { tpcb: 5 }).includes('tpcb-history-count'));
    });
  });

  t.test(`${kind}: two terminals × 300 steps, checks pass with the committed count`, async (t) => {
    await withLoaded(kind, (w) => {
      const terms = w.terminals(2, SEED);
      let committed = 0;
      for (let i = 0; i < 300; i++) {
        for (const term of terms) {
          term.step();
          committed++;
        }
      }
      t.same(failed(w, { tpcb: committed }), []);
      t.equal(w.counters()['history'], 600);
    });
  });
}

function deleteOneHistoryRow(store: Store): void {
  switch (store.kind) {
    case 'remapdb': {
      const h = store.db.table('pgbench_history');
      for (const row of h.range({ limit: 1 })) h.delete(row.key);
      return;
    }
    case 'sqlite':
      store.db.exec('DELETE FROM pgbench_history WHERE rowid = (SELECT min(rowid) FROM pgbench_history)');
      return;
    case 'lmdb': {
      const h = store.env.openDB<Buffer, Buffer>({ name: 'pgbench_history', encoding: 'binary', keyEncoding: 'binary' });
      for (const k of h.getKeys({ limit: 1 })) h.removeSync(k as Buffer);
      return;
    }
  }
}
