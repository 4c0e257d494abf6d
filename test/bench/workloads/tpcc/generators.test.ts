/**
 * TPC-C's draws: NURand ranges and skew for A = 255 / 1023 / 8191, the C_LAST run-constant
 * rule over 1000 seeds, last-name syllables, the ⌈n/2⌉ by-name position, the mix over 100K
 * picks, params validation and the terminal homes.
 */

import t from 'tap';

import { CONSTANTS_STREAM, Rng, workerRng } from '../../../../bench/workloads/rng.js';
import { TPCC_TX_TYPES, tpcc } from '../../../../bench/workloads/tpcc/index.js';
import {
  A_C_ID, A_C_LAST, A_OL_I_ID, byNameIndex, cLastDeltaOk, cumulativeWeights, lastName, loadConstants, pickByWeight, runConstants,
} from '../../../../bench/workloads/tpcc/random.js';

// remapdb checks at every commit that pages changed only where the B+tree declared (storage/pager.ts).
process.env.REMAPDB_CHECK_WRITES = '1';

const SEED = 20260101;
t.comment(`seed ${SEED}`);

t.test('NURand stays in [x, y] and is non-uniform', (t) => {
  const rng = new Rng(SEED);
  for (const [a, x, y] of [[A_C_LAST, 0, 999], [A_C_ID, 1, 3000], [A_OL_I_ID, 1, 100_000]] as const) {
    const c = rng.int(0, a);
    const counts = new Map<number, number>();
    const draws = 200_000;
    let outside = 0;
    for (let i = 0; i < draws; i++) {
      const v = rng.nurand(a, x, y, c);
      if (!(Number.isInteger(v) && v >= x && v <= y)) outside++;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    t.equal(outside, 0, `A=${a}: every value in [${x}, ${y}]`);
    // Uniform over y−x+1 values would give each ~draws/(y−x+1); NURand's OR skews it: the
    // most frequent value is drawn several times more often than the mean.
    const mean = draws / (y - x + 1);
    const max = Math.max(...counts.values());
    t.ok(max > 3 * mean, `A=${a}: skewed (max ${max} vs mean ${mean.toFixed(1)})`);
  }
  t.end();
});

t.test('C_LAST run constant: |C_run − C_load| in [65, 119], never 96 or 112 (1000 seeds)', (t) => {
  let bad = 0;
  const deltas = new Set<number>();
  for (let s = 1; s <= 1000; s++) {
    const load = loadConstants(new Rng(s));
    const run = runConstants(workerRng(s, CONSTANTS_STREAM), load.cLast);
    const delta = Math.abs(run.cLast - load.cLast);
    deltas.add(delta);
    if (delta < 65 || delta > 119 || delta === 96 || delta === 112) bad++;
    if (run.cId < 0 || run.cId > A_C_ID || run.olIId < 0 || run.olIId > A_OL_I_ID) bad++;
  }
  t.equal(bad, 0, 'every seed satisfies the rule');
  t.ok(deltas.size > 30, `deltas vary (${deltas.size} distinct)`);
  t.notOk(cLastDeltaOk(100, 4), 'delta 96 refused');
  t.notOk(cLastDeltaOk(0, 112), 'delta 112 refused');
  t.ok(cLastDeltaOk(0, 65) && cLastDeltaOk(200, 81), 'delta 65 and 119 allowed');
  t.notOk(cLastDeltaOk(0, 64) || cLastDeltaOk(0, 120), 'deltas 64 and 120 refused');
  t.end();
});

t.test('last names from syllables', (t) => {
  t.equal(lastName(0), 'BARBARBAR');
  t.equal(lastName(371), 'PRICALLYOUGHT');
  t.equal(lastName(999), 'EINGEINGEING');
  t.equal(lastName(40), 'BARPRESBAR');
  t.throws(() => lastName(1000), RangeError);
  t.end();
});

t.test('by last name: position ⌈n/2⌉ of the matches', (t) => {
  // n → 1-based position: 1→1, 2→1, 3→2, 4→2, 5→3, 6→3.
  t.same([1, 2, 3, 4, 5, 6].map((n) => byNameIndex(n) + 1), [1, 1, 2, 2, 3, 3]);
  t.throws(() => byNameIndex(0), RangeError);
  t.end();
});

t.test('mix: 45/43/4/4/4 over 100K picks', (t) => {
  const rng = new Rng(SEED);
  const cum = cumulativeWeights(TPCC_TX_TYPES.map((x) => x.weight));
  t.same(cum, [45, 88, 92, 96, 100]);
  const n = 100_000;
  const counts = [0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const k = pickByWeight(cum, rng.int(1, 100));
    counts[k] = (counts[k] as number) + 1;
  }
  TPCC_TX_TYPES.forEach((tx, i) => {
    const share = ((counts[i] as number) / n) * 100;
    t.ok(Math.abs(share - tx.weight) < 0.6, `${tx.name}: ${share.toFixed(2)} % vs ${tx.weight} %`);
  });
  t.end();
});

t.test('params: defaults and RangeErrors naming field, value and limit', (t) => {
  t.same(tpcc.params({}), { warehouses: 1, items: 100_000, customersPerDistrict: 3000, ordersPerDistrict: 3000 });
  t.throws(() => tpcc.params({ warehouses: 0 }), { name: 'RangeError', message: /warehouses = 0 .*1\.\.100/ });
  t.throws(() => tpcc.params({ warehouses: 101 }), { message: /warehouses = 101/ });
  t.throws(() => tpcc.params({ items: 1.5 }), { message: /items = 1.5 .*1\.\.100000/ });
  t.throws(() => tpcc.params({ customersPerDistrict: 3001 }), { message: /customersPerDistrict = 3001/ });
  t.throws(() => tpcc.params({ ordersPerDistrict: -1 }), { message: /ordersPerDistrict = -1/ });
  // 1 warehouse: 100000 items + 100000 stock + 1 + 10 districts · (1 + 6000 + 3000 orders · 11 + 900 new orders).
  t.equal(tpcc.loadRows(tpcc.params({})), 100_000 + 100_001 + 10 * (1 + 6000 + 33_000 + 900));
  t.end();
});
