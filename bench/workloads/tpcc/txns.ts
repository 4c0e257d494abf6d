/**
 * The five TPC-C-like transactions (clause 2.4–2.8 as summarised in refs/workloads.md),
 * written once over TpccOps. Each function is the body of ONE transaction: the caller
 * (index.ts's terminal, or a test) runs it inside ops.tx(). Inputs are drawn separately
 * (inputs.ts) so tests can hand-pick them.
 *
 * Invariants:
 *  1. New-Order whose last line names an unused item throws ROLLBACK after its earlier
 *     writes (ORDERS, NEW_ORDER, STOCK, ORDER_LINE): tx() must undo them all.
 *  2. Money is integer cents; totals round once, at the end.
 *  3. Dates come from the caller's clock (nowMs), never the wall clock.
 */

import type { TpccOps } from './ops.js';
import { byNameIndex } from './random.js';
import { C_DATA_MAX_CHARS, DISTRICTS_PER_WAREHOUSE, type Customer, type Order, type OrderLine } from './schema.js';

/** Thrown inside a New-Order transaction to roll it back (the 1 % unused item, clause 2.4.2.3). */
export class TpccRollback extends Error {
  constructor(readonly itemId: number) {
    super(`item ${itemId} not found: New-Order rolled back`);
    this.name = 'TpccRollback';
  }
}

/** A customer named by id or by last name (then ⌈n/2⌉ of the matches by C_FIRST). */
export type CustomerRef = { readonly cId: number } | { readonly last: string };

export interface OrderLineInput {
  iId: number;
  supplyWId: number;
  quantity: number;
}

export interface NewOrderInput {
  wId: number;
  dId: number;
  cId: number;
  lines: OrderLineInput[];
}

export interface NewOrderResult {
  oId: number;
  totalCents: number;
  /** Per line: the new S_QUANTITY and OL_AMOUNT. */
  stockQuantities: number[];
  amountsCents: number[];
  brandGeneric: string[];
}

function findCustomer(ops: TpccOps, wId: number, dId: number, ref: CustomerRef): Customer {
  if ('cId' in ref) {
    const c = ops.getCustomer(wId, dId, ref.cId);
    if (c === undefined) throw new Error(`customer (${wId}, ${dId}, ${ref.cId}) not found`);
    return c;
  }
  const matches = ops.customersByLastName(wId, dId, ref.last);
  if (matches.length === 0) throw new Error(`no customer of (${wId}, ${dId}) has last name ${ref.last}`);
  return matches[byNameIndex(matches.length)] as Customer;
}

export function newOrder(ops: TpccOps, input: NewOrderInput, nowMs: number): NewOrderResult {
  const { wId, dId, cId, lines } = input;
  const w = ops.getWarehouse(wId);
  if (w === undefined) throw new Error(`warehouse ${wId} not found`);
  const d = ops.getDistrict(wId, dId);
  if (d === undefined) throw new Error(`district (${wId}, ${dId}) not found`);
  const oId = d.nextOId;
  d.nextOId = oId + 1;
  ops.updateDistrict(d);
  const c = ops.getCustomer(wId, dId, cId);
  if (c === undefined) throw new Error(`customer (${wId}, ${dId}, ${cId}) not found`);
  let allLocal = true;
  for (const l of lines) if (l.supplyWId !== wId) allLocal = false;
  ops.insertOrder({ wId, dId, oId, cId, entryMs: nowMs, carrierId: null, olCnt: lines.length, allLocal, raw: null });
  ops.insertNewOrder(wId, dId, oId);
  const res: NewOrderResult = { oId, totalCents: 0, stockQuantities: [], amountsCents: [], brandGeneric: [] };
  const line: OrderLine = { wId, dId, oId, number: 0, iId: 0, supplyWId: 0, deliveryMs: null, quantity: 0, amountCents: 0, distInfo: '' };
  let sumCents = 0;
  for (let n = 0; n < lines.length; n++) {
    const l = lines[n] as OrderLineInput;
    const item = ops.getItem(l.iId);
    if (item === undefined) throw new TpccRollback(l.iId);
    const s = ops.getStock(l.supplyWId, l.iId, dId);
    if (s === undefined) throw new Error(`stock (${l.supplyWId}, ${l.iId}) not found`);
    // Clause 2.4.2.2: keep at least 10 in stock, else restock by 91.
    s.quantity = s.quantity >= l.quantity + 10 ? s.quantity - l.quantity : s.quantity - l.quantity + 91;
    s.ytd += l.quantity;
    s.orderCnt += 1;
    if (l.supplyWId !== wId) s.remoteCnt += 1;
    ops.updateStock(s);
    const amountCents = l.quantity * item.priceCents;
    line.number = n + 1;
    line.iId = l.iId;
    line.supplyWId = l.supplyWId;
    line.quantity = l.quantity;
    line.amountCents = amountCents;
    line.distInfo = s.distInfo;
    ops.insertOrderLine(line);
    sumCents += amountCents;
    res.stockQuantities.push(s.quantity);
    res.amountsCents.push(amountCents);
    res.brandGeneric.push(item.data.includes('ORIGINAL') && s.data.includes('ORIGINAL') ? 'B' : 'G');
  }
  // total = Σ OL_AMOUNT · (1 − C_DISCOUNT) · (1 + W_TAX + D_TAX), rates in ten-thousandths.
  res.totalCents = Math.round((sumCents * (10_000 - c.discountBp4) * (10_000 + w.taxBp4 + d.taxBp4)) / 1e8);
  return res;
}

export interface PaymentInput {
  wId: number;
  dId: number;
  /** The customer's warehouse and district: the home ones 85 %, else a remote warehouse. */
  cWId: number;
  cDId: number;
  customer: CustomerRef;
  amountCents: number;
  /** H_ID of the new HISTORY row (a surrogate key; the terminal counts them). */
  hId: number;
}

export function payment(ops: TpccOps, input: PaymentInput, nowMs: number): Customer {
  const { wId, dId, cWId, cDId, amountCents } = input;
  const w = ops.getWarehouse(wId);
  if (w === undefined) throw new Error(`warehouse ${wId} not found`);
  w.ytdCents += amountCents;
  ops.updateWarehouse(w);
  const d = ops.getDistrict(wId, dId);
  if (d === undefined) throw new Error(`district (${wId}, ${dId}) not found`);
  d.ytdCents += amountCents;
  ops.updateDistrict(d);
  // The customer is looked up in ITS warehouse and district (a known bug: the home ones).
  const c = findCustomer(ops, cWId, cDId, input.customer);
  c.balanceCents -= amountCents;
  c.ytdPaymentCents += amountCents;
  c.paymentCnt += 1;
  if (c.credit === 'BC') {
    const entry = `${c.cId} ${c.dId} ${c.wId} ${dId} ${wId} ${(amountCents / 100).toFixed(2)}|`;
    c.data = (entry + c.data).slice(0, C_DATA_MAX_CHARS);
  }
  ops.updateCustomer(c);
  ops.insertHistory({
    hId: input.hId, cId: c.cId, cDId: c.dId, cWId: c.wId, dId, wId, dateMs: nowMs, amountCents, data: `${w.name}    ${d.name}`,
  });
  return c;
}

export interface OrderStatusResult {
  customer: Customer;
  order: Order | undefined;
  lines: OrderLine[];
}

export function orderStatus(ops: TpccOps, wId: number, dId: number, ref: CustomerRef): OrderStatusResult {
  const customer = findCustomer(ops, wId, dId, ref);
  const order = ops.lastOrderOfCustomer(wId, dId, customer.cId);
  const lines = order === undefined ? [] : ops.orderLines(wId, dId, order.oId);
  return { customer, order, lines };
}

/** Delivery: per district, the O_ID delivered or null when the district had no new order. */
export function delivery(ops: TpccOps, wId: number, carrierId: number, nowMs: number): (number | null)[] {
  const out: (number | null)[] = [];
  for (let dId = 1; dId <= DISTRICTS_PER_WAREHOUSE; dId++) {
    const oId = ops.oldestNewOrder(wId, dId);
    if (oId === undefined) {
      out.push(null);
      continue;
    }
    ops.deleteNewOrder(wId, dId, oId);
    const o = ops.getOrder(wId, dId, oId);
    if (o === undefined) throw new Error(`order (${wId}, ${dId}, ${oId}) of a NEW_ORDER row not found`);
    o.carrierId = carrierId;
    ops.updateOrder(o);
    const sumCents = ops.deliverOrderLines(wId, dId, oId, nowMs);
    ops.addCustomerDelivery(wId, dId, o.cId, sumCents);
    out.push(oId);
  }
  return out;
}

/** Stock-Level: distinct items of the district's last 20 orders with S_QUANTITY < threshold. */
export function stockLevel(ops: TpccOps, wId: number, dId: number, threshold: number): number {
  const d = ops.getDistrict(wId, dId);
  if (d === undefined) throw new Error(`district (${wId}, ${dId}) not found`);
  return ops.stockLevel(wId, dId, Math.max(1, d.nextOId - 20), d.nextOId, threshold);
}
