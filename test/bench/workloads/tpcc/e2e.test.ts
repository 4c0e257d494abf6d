/**
 * End to end on every engine: a tiny load, 2 terminals × 300 steps from one seed, every
 * check holding against the committed counts; the same seed gives the same transaction
 * sequence, outcomes and counters on all three engines (same logical rows, same logic).
 * Then a longer seeded run with ≥ 2000 New-Orders shows the ~1 % rollbacks.
 */

import t from 'tap';

import { TX_NEW_ORDER, tpcc } from '../../../../bench/workloads/tpcc/index.js';
import type { BoundWorkload, Terminal } from '../../../../bench/workloads/types.js';

import { ENGINES, loaded } from './helpers.js';

// remapdb checks at every commit that pages changed only where the B+tree declared (storage/pager.ts).
process.env.REMAPDB_CHECK_WRITES = '1';

const SEED = 4242;
t.comment(`seed ${SEED}`);

interface Outcome {
  trace: string;
  committed: Record<string, number>;
  rollbacks: number;
  newOrders: number;
}

/** Round-robin over the terminals for `steps` steps (or until `newOrdersMin` New-Orders were attempted). */
function drive(terms: Terminal[], steps: number, newOrdersMin = 0): Outcome {
  const committed: Record<string, number> = Object.fromEntries(tpcc.txTypes.map((x) => [x.name, 0]));
  let trace = '';
  let rollbacks = 0;
  let newOrders = 0;
  for (let s = 0; s < steps || newOrders < newOrdersMin; s++) {
    const term = terms[s % terms.length] as Terminal;
    const type = term.step();
    if (type === TX_NEW_ORDER) newOrders++;
    if (term.rolledBack) {
      rollbacks++;
      if (type !== TX_NEW_ORDER) throw new Error(`type ${type} rolled back`);
    } else {
      const name = tpcc.txTypes[type]?.name as string;
      committed[name] = (committed[name] as number) + 1;
    }
    if (s < 600) trace += term.rolledBack ? 'r' : String(type);
  }
  return { trace, committed, rollbacks, newOrders };
}

const runs: { kind: string; out: Outcome; counters: Record<string, number> }[] = [];

for (const kind of ENGINES) {
  t.test(`${kind}: 2 terminals × 300 steps, all checks hold`, (t) => {
    const { bound } = loaded(t, kind);
    const before = bound.counters();
    const out = drive(bound.terminals(2, SEED), 600);
    const results = bound.check(out.committed);
    t.same(results.filter((r) => !r.ok), [], 'every check holds, with the committed counts');
    t.ok(results.some((r) => r.id === 'orders-vs-committed'), 'the committed-count checks ran');
    const after = bound.counters();
    t.equal((after.sumNextOId as number) - (before.sumNextOId as number), out.committed['new-order'], 'Δ Σ D_NEXT_O_ID = committed New-Orders');
    t.equal((after.history as number) - (before.history as number), out.committed['payment'], 'Δ HISTORY = committed Payments');
    t.ok(Object.values(out.committed).every((n) => n > 0), `every type ran: ${JSON.stringify(out.committed)}`);
    runs.push({ kind, out, counters: after });
    t.end();
  });
}

t.test('the same seed runs the same transactions on every engine', (t) => {
  const first = runs[0];
  if (first === undefined) throw new Error('no runs');
  for (const r of runs.slice(1)) {
    t.equal(r.out.trace, first.out.trace, `${r.kind}: same types and outcomes as ${first.kind}`);
    t.same(r.counters, first.counters, `${r.kind}: same counters as ${first.kind}`);
  }
  t.end();
});

t.test('remapdb: ~1 % of ≥ 2000 New-Orders roll back, and the checks still hold', (t) => {
  const { bound } = loaded(t, 'remapdb', { warehouses: 1, items: 200, customersPerDistrict: 30, ordersPerDistrict: 30 });
  const b: BoundWorkload = bound;
  const out = drive(b.terminals(2, SEED), 0, 2000);
  t.comment(`${out.newOrders} New-Orders, ${out.rollbacks} rolled back`);
  t.ok(out.rollbacks >= 1, 'at least one rollback');
  t.ok(out.rollbacks <= out.newOrders * 0.03, 'not more than ~3 %');
  t.equal(out.committed['new-order'], out.newOrders - out.rollbacks);
  t.same(b.check(out.committed).filter((r) => !r.ok), [], 'every check holds');
  t.end();
});
