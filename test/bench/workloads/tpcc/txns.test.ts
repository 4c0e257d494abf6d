/**
 * Each transaction's logic on a tiny 2-warehouse database, on every engine, against
 * results computed by hand from the rows before: New-Order's stock rule (both branches),
 * D_NEXT_O_ID, OL_AMOUNT = qty · price, remote supply, and its rollback leaving nothing;
 * Payment's YTDs, customer balance/ytd/count, BC C_DATA prefix, HISTORY row and the remote
 * customer warehouse; the ⌈n/2⌉ customer by last name; Delivery per district (with an
 * empty district); Order-Status; Stock-Level.
 */

import t from 'tap';

import { lastName } from '../../../../bench/workloads/tpcc/random.js';
import type { Customer } from '../../../../bench/workloads/tpcc/schema.js';
import {
  delivery, newOrder, orderStatus, payment, stockLevel, TpccRollback,
} from '../../../../bench/workloads/tpcc/txns.js';

import { ENGINES, loaded } from './helpers.js';

// remapdb checks at every commit that pages changed only where the B+tree declared (storage/pager.ts).
process.env.REMAPDB_CHECK_WRITES = '1';

const NOW = 1_700_000_100_000;

for (const kind of ENGINES) {
  t.test(`${kind}: New-Order`, (t) => {
    const { ops, params } = loaded(t, kind);
    const [w, d, c] = [1, 3, 5];
    // Item 10 will keep ≥ 10 (50 − 5 = 45); item 11 restocks (12 − 7 + 91 = 96); item 12 comes from warehouse 2.
    ops.tx(() => {
      for (const [sw, i, q] of [[1, 10, 50], [1, 11, 12], [2, 12, 30]] as const) {
        const s = ops.getStock(sw, i, d);
        if (s === undefined) throw new Error('no stock');
        s.quantity = q;
        ops.updateStock(s);
      }
    });
    const before = {
      next: ops.getDistrict(w, d)?.nextOId as number,
      s10: ops.getStock(1, 10, d), s11: ops.getStock(1, 11, d), s12: ops.getStock(2, 12, d),
      prices: [10, 11, 12].map((i) => ops.getItem(i)?.priceCents as number),
    };
    const res = ops.tx(() => newOrder(ops, { wId: w, dId: d, cId: c, lines: [
      { iId: 10, supplyWId: 1, quantity: 5 }, { iId: 11, supplyWId: 1, quantity: 7 }, { iId: 12, supplyWId: 2, quantity: 3 },
    ] }, NOW));
    t.equal(res.oId, before.next, 'O_ID = old D_NEXT_O_ID');
    t.equal(ops.getDistrict(w, d)?.nextOId, before.next + 1, 'D_NEXT_O_ID incremented');
    t.same(res.stockQuantities, [45, 96, 27], 'S_QUANTITY: q − qty when q ≥ qty + 10, else q − qty + 91');
    const s10 = ops.getStock(1, 10, d);
    const s12 = ops.getStock(2, 12, d);
    t.equal(s10?.quantity, 45);
    t.equal(ops.getStock(1, 11, d)?.quantity, 96);
    t.equal(s10?.ytd, (before.s10?.ytd as number) + 5, 'S_YTD += qty');
    t.equal(s10?.orderCnt, (before.s10?.orderCnt as number) + 1, 'S_ORDER_CNT += 1');
    t.equal(s10?.remoteCnt, before.s10?.remoteCnt, 'local line: S_REMOTE_CNT unchanged');
    t.equal(s12?.remoteCnt, (before.s12?.remoteCnt as number) + 1, 'remote line: S_REMOTE_CNT += 1');
    const expected = [5 * (before.prices[0] as number), 7 * (before.prices[1] as number), 3 * (before.prices[2] as number)];
    t.same(res.amountsCents, expected, 'OL_AMOUNT = qty · I_PRICE');
    const o = ops.getOrder(w, d, res.oId);
    t.match(o, { cId: c, carrierId: null, olCnt: 3, allLocal: false, entryMs: NOW });
    t.equal(ops.lastOrderOfCustomer(w, d, c)?.oId, res.oId, 'the customer index finds the new order');
    const lines = ops.orderLines(w, d, res.oId);
    t.same(lines.map((l) => [l.number, l.iId, l.supplyWId, l.quantity, l.amountCents, l.deliveryMs]),
      [[1, 10, 1, 5, expected[0], null], [2, 11, 1, 7, expected[1], null], [3, 12, 2, 3, expected[2], null]]);
    t.equal(lines[0]?.distInfo, before.s10?.distInfo, 'OL_DIST_INFO = S_DIST_03 of the supplying stock');
    t.equal(lines[2]?.distInfo, before.s12?.distInfo);
    let newOrderRow = false;
    ops.scanNewOrders((nw, nd, no) => { if (nw === w && nd === d && no === res.oId) newOrderRow = true; });
    t.ok(newOrderRow, 'NEW_ORDER row inserted');

    // The 1 % rollback: the last line's item does not exist; nothing may survive.
    const counts = ops.counts();
    const next = ops.getDistrict(w, d)?.nextOId;
    const q10 = ops.getStock(1, 10, d)?.quantity;
    t.throws(() => ops.tx(() => newOrder(ops, { wId: w, dId: d, cId: c, lines: [
      { iId: 10, supplyWId: 1, quantity: 5 }, { iId: params.items + 1, supplyWId: 1, quantity: 1 },
    ] }, NOW)), TpccRollback);
    t.same(ops.counts(), counts, 'ORDERS, NEW_ORDER, ORDER_LINE, HISTORY counts unchanged');
    t.equal(ops.getDistrict(w, d)?.nextOId, next, 'D_NEXT_O_ID unchanged');
    t.equal(ops.getStock(1, 10, d)?.quantity, q10, 'S_QUANTITY of the first line unchanged');
    t.equal(ops.getOrder(w, d, next as number), undefined, 'no ORDERS row');
    t.end();
  });

  t.test(`${kind}: Payment`, (t) => {
    const { ops } = loaded(t, kind);
    const w0 = ops.getWarehouse(1);
    const d0 = ops.getDistrict(1, 2);
    const home = ops.getCustomer(1, 2, 4);
    const remote = ops.getCustomer(2, 7, 4) as Customer;
    const hId = ops.maxHistoryId() + 1;
    const c = ops.tx(() => payment(ops, { wId: 1, dId: 2, cWId: 2, cDId: 7, customer: { cId: 4 }, amountCents: 12_345, hId }, NOW));
    t.equal(ops.getWarehouse(1)?.ytdCents, (w0?.ytdCents as number) + 12_345, 'W_YTD += h');
    t.equal(ops.getDistrict(1, 2)?.ytdCents, (d0?.ytdCents as number) + 12_345, 'D_YTD += h');
    const after = ops.getCustomer(2, 7, 4) as Customer;
    t.same([c.wId, c.dId, c.cId], [2, 7, 4], 'the customer of the remote warehouse was paid');
    t.equal(after.balanceCents, remote.balanceCents - 12_345, 'C_BALANCE −= h');
    t.equal(after.ytdPaymentCents, remote.ytdPaymentCents + 12_345, 'C_YTD_PAYMENT += h');
    t.equal(after.paymentCnt, remote.paymentCnt + 1, 'C_PAYMENT_CNT += 1');
    t.same(ops.getCustomer(1, 2, 4), home, 'the home warehouse\'s customer 4 is untouched');
    const hist: unknown[] = [];
    ops.scanHistory((h) => { if (h.hId === hId) hist.push(h); });
    t.match(hist, [{ cId: 4, cDId: 7, cWId: 2, dId: 2, wId: 1, amountCents: 12_345, dateMs: NOW, data: `${w0?.name as string}    ${d0?.name as string}` }]);

    // A BC customer gets "c_id c_d_id c_w_id d_id w_id amount|" in front of C_DATA, kept to 500.
    let bc: Customer | undefined;
    ops.scanCustomers((r) => { if (bc === undefined && r.credit === 'BC' && r.wId === 1 && r.dId === 2) bc = r; });
    if (bc === undefined) throw new Error('no BC customer in district (1, 2)');
    const old = bc.data;
    ops.tx(() => payment(ops, { wId: 1, dId: 5, cWId: 1, cDId: 2, customer: { cId: bc?.cId as number }, amountCents: 100_001, hId: hId + 1 }, NOW));
    const want = `${bc.cId} 2 1 5 1 1000.01|${old}`.slice(0, 500);
    t.equal(ops.getCustomer(1, 2, bc.cId)?.data, want, 'BC C_DATA prefixed and truncated to 500');
    t.equal(want.length, Math.min(500, old.length + `${bc.cId} 2 1 5 1 1000.01|`.length));
    let gc: Customer | undefined;
    ops.scanCustomers((r) => { if (gc === undefined && r.credit === 'GC' && r.wId === 1 && r.dId === 2) gc = r; });
    ops.tx(() => payment(ops, { wId: 1, dId: 5, cWId: 1, cDId: 2, customer: { cId: gc?.cId as number }, amountCents: 500, hId: hId + 2 }, NOW));
    t.equal(ops.getCustomer(1, 2, gc?.cId as number)?.data, gc?.data, 'GC C_DATA unchanged');
    t.end();
  });

  t.test(`${kind}: by last name takes ⌈n/2⌉ by C_FIRST; Order-Status`, (t) => {
    const { ops } = loaded(t, kind);
    const last = lastName(0); // customer 1 of every district
    const first1 = ops.getCustomer(1, 4, 1)?.first as string;
    ops.tx(() => {
      for (const [cId, first] of [[31, 'MMMMMMMM'], [32, 'AAAAAAAA'], [33, 'ZZZZZZZZ']] as const) {
        const base = ops.getCustomer(1, 4, 2) as Customer;
        ops.insertCustomer({ ...base, cId, first, last, raw: null });
      }
    });
    const matches = ops.customersByLastName(1, 4, last);
    const firsts = [first1, 'MMMMMMMM', 'AAAAAAAA', 'ZZZZZZZZ'].sort();
    t.same(matches.map((m) => m.first), firsts, 'matches ordered by C_FIRST');
    const expected = matches[1] as Customer; // n = 4 → position 2
    const p = ops.tx(() => payment(ops, { wId: 1, dId: 4, cWId: 1, cDId: 4, customer: { last }, amountCents: 100, hId: 1_000_000 }, NOW));
    t.equal(p.cId, expected.cId, `Payment by name paid C_ID ${expected.cId} (position 2 of 4)`);
    const os1 = ops.tx(() => orderStatus(ops, 1, 4, { last }));
    t.equal(os1.customer.cId, expected.cId, 'Order-Status by name finds the same customer');

    // Order-Status by id: the customer's newest order and its lines.
    const c = 7;
    let newest = 0;
    ops.scanOrders((o) => { if (o.wId === 1 && o.dId === 4 && o.cId === c && o.oId > newest) newest = o.oId; });
    const os2 = ops.tx(() => orderStatus(ops, 1, 4, { cId: c }));
    t.equal(os2.order?.oId, newest, 'newest order of the customer');
    t.equal(os2.lines.length, os2.order?.olCnt, 'all its lines');
    t.same(os2.lines.map((l) => l.number), Array.from({ length: os2.lines.length }, (_, i) => i + 1));
    const no = ops.tx(() => newOrder(ops, { wId: 1, dId: 4, cId: c, lines: [{ iId: 1, supplyWId: 1, quantity: 2 }] }, NOW));
    const os3 = ops.tx(() => orderStatus(ops, 1, 4, { cId: c }));
    t.equal(os3.order?.oId, no.oId, 'after a New-Order, that order is the newest');
    t.same(os3.lines.map((l) => [l.iId, l.quantity, l.deliveryMs]), [[1, 2, null]]);
    t.end();
  });

  t.test(`${kind}: Delivery`, (t) => {
    const { ops, params } = loaded(t, kind);
    const w = 1;
    // District 10 has no new orders left.
    ops.tx(() => {
      for (let o = 1; o <= params.ordersPerDistrict; o++) ops.deleteNewOrder(w, 10, o);
    });
    const firstNew = Math.floor(params.ordersPerDistrict * 0.7) + 1;
    const before = [];
    for (let d = 1; d <= 9; d++) {
      const o = ops.getOrder(w, d, firstNew);
      const sum = ops.orderLines(w, d, firstNew).reduce((s, l) => s + l.amountCents, 0);
      const cust = ops.getCustomer(w, d, o?.cId as number) as Customer;
      before.push({ d, cId: o?.cId as number, sum, balance: cust.balanceCents, deliveryCnt: cust.deliveryCnt });
    }
    const res = ops.tx(() => delivery(ops, w, 7, NOW));
    t.same(res, [...Array<number>(9).fill(firstNew), null], 'lowest NEW_ORDER per district; null for the empty one');
    for (const b of before) {
      t.equal(ops.oldestNewOrder(w, b.d), firstNew + 1, `district ${b.d}: NEW_ORDER ${firstNew} deleted`);
      t.equal(ops.getOrder(w, b.d, firstNew)?.carrierId, 7, 'O_CARRIER_ID set');
      t.ok(ops.orderLines(w, b.d, firstNew).every((l) => l.deliveryMs === NOW), 'OL_DELIVERY_D set on every line');
      const c = ops.getCustomer(w, b.d, b.cId) as Customer;
      t.equal(c.balanceCents, b.balance + b.sum, 'C_BALANCE += Σ OL_AMOUNT');
      t.equal(c.deliveryCnt, b.deliveryCnt + 1, 'C_DELIVERY_CNT += 1');
    }
    t.equal(ops.oldestNewOrder(w, 10), undefined);
    t.equal(ops.oldestNewOrder(2, 1), firstNew, 'the other warehouse untouched');
    t.end();
  });

  t.test(`${kind}: Stock-Level`, (t) => {
    const { ops, params } = loaded(t, kind);
    const [w, d] = [2, 6];
    const next = ops.getDistrict(w, d)?.nextOId as number;
    const items = new Set<number>();
    ops.scanOrderLines((l) => { if (l.wId === w && l.dId === d && l.oId >= next - 20 && l.oId < next) items.add(l.iId); });
    t.ok(items.size > 20, `${items.size} distinct items in the last 20 orders`);
    // Put half of them at quantity 5 (below any threshold), the rest at 50 (above).
    const low = [...items].filter((_, k) => k % 2 === 0);
    ops.tx(() => {
      for (const i of items) {
        const s = ops.getStock(w, i, d);
        if (s === undefined) throw new Error('no stock');
        s.quantity = low.includes(i) ? 5 : 50;
        ops.updateStock(s);
      }
      // The same items at warehouse 1 are irrelevant to warehouse 2's count.
      for (const i of items) {
        const s = ops.getStock(1, i, d);
        if (s === undefined) throw new Error('no stock');
        s.quantity = 5;
        ops.updateStock(s);
      }
    });
    t.equal(ops.tx(() => stockLevel(ops, w, d, 10)), low.length, 'distinct items below 10');
    t.equal(ops.tx(() => stockLevel(ops, w, d, 20)), low.length, 'threshold 20: the same');
    t.equal(ops.stockLevel(w, d, next - 20, next, 51), items.size, 'threshold 51: all of them');
    t.equal(ops.stockLevel(w, d, next - 20, next, 5), 0, 'threshold 5: none (strictly below)');
    t.ok(params.items >= 200);
    t.end();
  });
}
