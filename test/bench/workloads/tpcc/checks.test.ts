/**
 * Consistency checks: every check holds after a load on every engine; then each break of
 * the database (a W_YTD, a D_YTD, a D_NEXT_O_ID, a NEW_ORDER row, an O_OL_CNT, a C_BALANCE,
 * an OL_DELIVERY_D) makes exactly the checks that watch it fail, with a detail naming the
 * place and both values, and repairing it makes them all hold again.
 */

import t, { type Test } from 'tap';

import type { TpccOps } from '../../../../bench/workloads/tpcc/index.js';
import type { Customer, District, Order, Warehouse } from '../../../../bench/workloads/tpcc/schema.js';
import type { BoundWorkload, CheckResult } from '../../../../bench/workloads/types.js';

import { ENGINES, loaded } from './helpers.js';

// remapdb checks at every commit that pages changed only where the B+tree declared (storage/pager.ts).
process.env.REMAPDB_CHECK_WRITES = '1';

const ALL = ['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C9', 'C10', 'C12', 'orders-vs-next-o-id'];

function failed(results: CheckResult[]): string[] {
  return results.filter((r) => !r.ok).map((r) => r.id);
}

function detail(results: CheckResult[], id: string): string {
  return results.find((r) => r.id === id)?.detail ?? '';
}

/** Break with `change`, expect exactly `ids` to fail (details matching), repair with `undo`. */
function breaks(t: Test, b: BoundWorkload, what: string, change: () => void, ids: string[], details: Record<string, RegExp>,
  undo: () => void): void {
  change();
  const r = b.check();
  t.same(failed(r), ids, `${what}: ${ids.join(', ')} fail`);
  for (const [id, re] of Object.entries(details)) t.match(detail(r, id), re, `${id} detail names the values`);
  undo();
  t.same(failed(b.check()), [], `${what} repaired: all hold`);
}

for (const kind of ENGINES) {
  t.test(`${kind}: checks hold after load and catch each break`, (t) => {
    const { bound: b, ops, params } = loaded(t, kind);
    const r0 = b.check();
    t.same(r0.map((r) => r.id), ALL, 'C1–C10, C12 and the derived count (C11 skipped)');
    t.same(failed(r0), [], 'all hold after load');
    const withCommitted = b.check({ 'new-order': 0, payment: 0 });
    t.same(failed(withCommitted), [], 'committed counts of 0 match a fresh load');
    t.same(failed(b.check({ 'new-order': 1, payment: 2 })), ['orders-vs-committed', 'history-vs-committed']);
    t.match(detail(b.check({ 'new-order': 1, payment: 2 }), 'history-vs-committed'), /= 0; committed Payments = 2/);

    const tx = (fn: (o: TpccOps) => void): void => ops.tx(() => fn(ops));
    const firstNew = Math.floor(params.ordersPerDistrict * 0.7) + 1;

    const setWYtd = (delta: number): void => tx((o) => {
      const w = o.getWarehouse(2) as Warehouse;
      w.ytdCents += delta;
      o.updateWarehouse(w);
    });
    breaks(t, b, 'W_YTD + 1 cent', () => setWYtd(1), ['C1', 'C8'],
      { C1: /warehouse 2: W_YTD = 300001, Σ D_YTD = 300000/, C8: /warehouse 2: W_YTD = 300001, Σ H_AMOUNT = 300000/ },
      () => setWYtd(-1));

    const setDistrict = (f: (d: District) => void): void => tx((o) => {
      const d = o.getDistrict(1, 4) as District;
      f(d);
      o.updateDistrict(d);
    });
    breaks(t, b, 'D_YTD − 7 cents', () => setDistrict((d) => { d.ytdCents -= 7; }), ['C1', 'C9'],
      { C1: /warehouse 1: W_YTD = 300000, Σ D_YTD = 299993/, C9: /warehouse 1 district 4: D_YTD = 29993, Σ H_AMOUNT = 30000/ },
      () => setDistrict((d) => { d.ytdCents += 7; }));
    breaks(t, b, 'D_NEXT_O_ID + 1', () => setDistrict((d) => { d.nextOId += 1; }), ['C2', 'orders-vs-next-o-id'],
      { C2: /warehouse 1 district 4: D_NEXT_O_ID − 1 = 31, max\(O_ID\) = 30, max\(NO_O_ID\) = 30/,
        'orders-vs-next-o-id': /count\(ORDERS\) − initial = 600 − 600 = 0; Σ\(D_NEXT_O_ID − 1\) − initial = 1/ },
      () => setDistrict((d) => { d.nextOId -= 1; }));

    breaks(t, b, 'a NEW_ORDER row deleted', () => tx((o) => o.deleteNewOrder(1, 3, firstNew + 2)), ['C3', 'C5'],
      { C3: /warehouse 1 district 3: max\(NO_O_ID\) − min\(NO_O_ID\) \+ 1 = 9, count\(NEW_ORDER\) = 8/,
        C5: new RegExp(`warehouse 1 district 3 order ${firstNew + 2}: O_CARRIER_ID null but no NEW_ORDER row`) },
      () => tx((o) => o.insertNewOrder(1, 3, firstNew + 2)));

    let olCnt = 0;
    const setOlCnt = (delta: number): void => tx((o) => {
      const ord = o.getOrder(2, 5, 4) as Order;
      olCnt = ord.olCnt;
      ord.olCnt += delta;
      o.updateOrder(ord);
    });
    setOlCnt(0);
    const lines = ops.orderLines(2, 5, 4).length;
    t.equal(lines, olCnt);
    breaks(t, b, 'O_OL_CNT + 1', () => setOlCnt(1), ['C4', 'C6'],
      { C4: /warehouse 2 district 5: Σ O_OL_CNT = \d+, count\(ORDER_LINE\) = \d+/,
        C6: new RegExp(`warehouse 2 district 5 order 4: O_OL_CNT = ${lines + 1}, ORDER_LINE rows = ${lines}`) },
      () => setOlCnt(-1));

    const setBalance = (delta: number): void => tx((o) => {
      const c = o.getCustomer(1, 1, 7) as Customer;
      c.balanceCents += delta;
      o.updateCustomer(c);
    });
    breaks(t, b, 'C_BALANCE − 5 cents', () => setBalance(-5), ['C10', 'C12'],
      { C10: /warehouse 1 district 1 customer 7: C_BALANCE = -1005, Σ delivered OL_AMOUNT − Σ H_AMOUNT = 0 − 1000 = -1000/,
        C12: /warehouse 1 district 1 customer 7: C_BALANCE \+ C_YTD_PAYMENT = -1005 \+ 1000 = -5, Σ delivered OL_AMOUNT = 0/ },
      () => setBalance(5));

    // Last (no op sets a delivery date back to null): an undelivered order's lines get a date.
    tx((o) => o.deliverOrderLines(2, 2, firstNew, 123));
    const r = b.check();
    t.ok(failed(r).includes('C7'), 'OL_DELIVERY_D set on an undelivered order: C7 fails');
    t.match(detail(r, 'C7'), new RegExp(`warehouse 2 district 2 order ${firstNew} line 1: OL_DELIVERY_D 123 but O_CARRIER_ID null`));
    t.end();
  });
}
