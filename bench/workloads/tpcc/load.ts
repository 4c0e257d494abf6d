/**
 * The TPC-C-like initial load (clause 4.3.3.1), written through TpccOps so every engine
 * gets the same rows: the same Rng (workerRng(seed, LOAD_STREAM)) drawn in the same order.
 *
 * Invariants:
 *  1. Memory is bounded by one district: rows are generated per district (customers and
 *     their history, then orders in chunks) and written at once; nothing holds a
 *     warehouse's rows.
 *  2. Every transaction is bounded (ITEM/STOCK in batches of BATCH_ROWS rows, one per
 *     district's customers, orders in chunks of ORDER_CHUNK), so remapdb's shadow pages
 *     (a transaction's changed pages) never run out.
 *  3. progress() is called after every batch: at most ~7000 rows apart.
 *  4. The load constants (C_LAST, C_ID, OL_I_ID) are drawn first and stored in the meta
 *     record (the run draws C_run against them).
 */

import { LOAD_STREAM, type Rng, workerRng } from '../rng.js';
import type { LoadProgress } from '../types.js';
import type { TpccOps } from './ops.js';
import { A_C_LAST, lastName, loadConstants } from './random.js';
import {
  C_DATA_MAX_CHARS, DISTRICTS_PER_WAREHOUSE, LOAD_TIME_MS, NEW_ORDER_FRACTION, type OrderLine, type TpccParams,
} from './schema.js';

const BATCH_ROWS = 5000;
const ORDER_CHUNK = 500;
/** An order's lines are at most 15 (clause 2.4.1.3). */
const MAX_LINES = 15;

/** The first O_ID that is a new order at load: 2101 of 3000. */
export function firstNewOrderId(ordersPerDistrict: number): number {
  return Math.floor(ordersPerDistrict * (1 - NEW_ORDER_FRACTION)) + 1;
}

/** Rows the loader writes, ORDER_LINE counted at its expected 10 per order (5..15 uniform). */
export function loadRowCount(p: TpccParams): number {
  const d = p.warehouses * DISTRICTS_PER_WAREHOUSE;
  const newOrders = p.ordersPerDistrict - firstNewOrderId(p.ordersPerDistrict) + 1;
  return p.items + p.warehouses * (1 + p.items) + d * (1 + 2 * p.customersPerDistrict + p.ordersPerDistrict * 11 + newOrders);
}

/** "ORIGINAL" at a random place in 10 % of I_DATA / S_DATA (clause 4.3.3.1). */
function dataWithOriginal(rng: Rng, lo: number, hi: number): string {
  const s = rng.astring(lo, hi);
  if (rng.int(1, 10) !== 1) return s;
  const at = rng.int(0, s.length - 8);
  return s.slice(0, at) + 'ORIGINAL' + s.slice(at + 8);
}

/** H_AMOUNT of each loaded HISTORY row: 10.00. */
const LOAD_H_AMOUNT_CENTS = 1000;

/**
 * D_YTD at load: 30000.00 for 3000 customers, i.e. their 10.00 of HISTORY each, so C9
 * (D_YTD = Σ H_AMOUNT) holds after a scaled-down load too; W_YTD is ten of these.
 */
export function districtYtdCents(p: TpccParams): number {
  return p.customersPerDistrict * LOAD_H_AMOUNT_CENTS;
}

function zip(rng: Rng): string {
  return rng.nstring(4, 4) + '11111';
}

export function loadTpcc(ops: TpccOps, p: TpccParams, seed: number, progress: LoadProgress): void {
  const rng = workerRng(seed, LOAD_STREAM);
  const total = loadRowCount(p);
  let done = 0;
  const tick = (rows: number): void => {
    done += rows;
    progress(done, Math.max(done, total));
  };
  ops.createSchema();
  const k = loadConstants(rng);
  ops.tx(() => ops.writeMeta({ params: { ...p }, cLast: k.cLast, cId: k.cId, olIId: k.olIId, loadTimeMs: LOAD_TIME_MS }));

  for (let from = 1; from <= p.items; from += BATCH_ROWS) {
    const to = Math.min(p.items, from + BATCH_ROWS - 1);
    ops.tx(() => {
      for (let i = from; i <= to; i++) {
        ops.insertItem({ iId: i, imId: rng.int(1, 10000), name: rng.astring(14, 24), priceCents: rng.int(100, 10000),
          data: dataWithOriginal(rng, 26, 50) });
      }
    });
    tick(to - from + 1);
  }

  for (let w = 1; w <= p.warehouses; w++) {
    ops.tx(() => ops.insertWarehouse({
      wId: w, name: rng.astring(6, 10), street1: rng.astring(10, 20), street2: rng.astring(10, 20), city: rng.astring(10, 20),
      state: rng.astring(2, 2), zip: zip(rng), taxBp4: rng.int(0, 2000), ytdCents: DISTRICTS_PER_WAREHOUSE * districtYtdCents(p), raw: null,
    }));
    tick(1);
    loadStock(ops, rng, p, w, tick);
    for (let d = 1; d <= DISTRICTS_PER_WAREHOUSE; d++) {
      loadDistrict(ops, rng, p, w, d, k.cLast, tick);
    }
  }
}

function loadStock(ops: TpccOps, rng: Rng, p: TpccParams, w: number, tick: (rows: number) => void): void {
  for (let from = 1; from <= p.items; from += BATCH_ROWS) {
    const to = Math.min(p.items, from + BATCH_ROWS - 1);
    ops.tx(() => {
      for (let i = from; i <= to; i++) {
        const dists: string[] = [];
        for (let d = 0; d < DISTRICTS_PER_WAREHOUSE; d++) dists.push(rng.astring(24, 24));
        ops.insertStock({ wId: w, iId: i, quantity: rng.int(10, 100), dists, ytd: 0, orderCnt: 0, remoteCnt: 0,
          data: dataWithOriginal(rng, 26, 50) });
      }
    });
    tick(to - from + 1);
  }
}

function loadDistrict(ops: TpccOps, rng: Rng, p: TpccParams, w: number, d: number, cLast: number, tick: (rows: number) => void): void {
  const cpd = p.customersPerDistrict;
  ops.tx(() => {
    ops.insertDistrict({
      wId: w, dId: d, name: rng.astring(6, 10), street1: rng.astring(10, 20), street2: rng.astring(10, 20), city: rng.astring(10, 20),
      state: rng.astring(2, 2), zip: zip(rng), taxBp4: rng.int(0, 2000), ytdCents: districtYtdCents(p), nextOId: p.ordersPerDistrict + 1, raw: null,
    });
    for (let c = 1; c <= cpd; c++) {
      // Customers 1..1000 take the names 0..999 in turn; the rest NURand(255, 0, 999) with the load constant.
      const nameNo = c <= 1000 ? c - 1 : rng.nurand(A_C_LAST, 0, 999, cLast);
      ops.insertCustomer({
        wId: w, dId: d, cId: c, first: rng.astring(8, 16), middle: 'OE', last: lastName(nameNo), street1: rng.astring(10, 20),
        street2: rng.astring(10, 20), city: rng.astring(10, 20), state: rng.astring(2, 2), zip: zip(rng), phone: rng.nstring(16, 16),
        sinceMs: LOAD_TIME_MS, credit: rng.int(1, 10) === 1 ? 'BC' : 'GC', creditLimCents: 5_000_000, discountBp4: rng.int(0, 5000),
        balanceCents: -1000, ytdPaymentCents: 1000, paymentCnt: 1, deliveryCnt: 0, data: rng.astring(300, C_DATA_MAX_CHARS), raw: null,
      });
      ops.insertHistory({
        hId: ((w - 1) * DISTRICTS_PER_WAREHOUSE + (d - 1)) * cpd + c, cId: c, cDId: d, cWId: w, dId: d, wId: w, dateMs: LOAD_TIME_MS,
        amountCents: LOAD_H_AMOUNT_CENTS, data: rng.astring(12, 24),
      });
    }
  });
  tick(1 + 2 * cpd);

  const opd = p.ordersPerDistrict;
  const firstNew = firstNewOrderId(opd);
  // O_C_ID is a random permutation of 1..customers (clause 4.3.3.1), repeated if there are more orders than customers.
  const perm: number[] = [];
  for (let c = 1; c <= cpd; c++) perm.push(c);
  rng.shuffle(perm);
  const line: OrderLine = { wId: w, dId: d, oId: 0, number: 0, iId: 0, supplyWId: w, deliveryMs: null, quantity: 5, amountCents: 0, distInfo: '' };
  for (let from = 1; from <= opd; from += ORDER_CHUNK) {
    const to = Math.min(opd, from + ORDER_CHUNK - 1);
    let rows = 0;
    ops.tx(() => {
      for (let o = from; o <= to; o++) {
        const delivered = o < firstNew;
        const olCnt = rng.int(5, MAX_LINES);
        ops.insertOrder({ wId: w, dId: d, oId: o, cId: perm[(o - 1) % cpd] as number, entryMs: LOAD_TIME_MS,
          carrierId: delivered ? rng.int(1, 10) : null, olCnt, allLocal: true, raw: null });
        if (!delivered) ops.insertNewOrder(w, d, o);
        for (let n = 1; n <= olCnt; n++) {
          line.oId = o;
          line.number = n;
          line.iId = rng.int(1, p.items);
          line.deliveryMs = delivered ? LOAD_TIME_MS : null;
          line.amountCents = delivered ? 0 : rng.int(1, 999_999);
          line.distInfo = rng.astring(24, 24);
          ops.insertOrderLine(line);
        }
        rows += 1 + olCnt + (delivered ? 0 : 1);
      }
    });
    tick(rows);
  }
}
