/**
 * TPC-C consistency checks C1–C10 and C12 (clause 3.3.2; refs/workloads.md), plus the
 * derived counts, over TpccOps scans so all engines run the same checks. C11 (count of
 * ORDERS − count of NEW_ORDER = 2100 per district at load time only) is not in the
 * reference list and is skipped: it holds only before the first Delivery.
 *
 * Rows are streamed once per table in key order and aggregated per district / customer /
 * order in typed arrays (no row is kept): districts are indexed (w−1)·10 + (d−1),
 * customers district·C + (c−1), orders per district by O_ID up to D_NEXT_O_ID + slack.
 *
 * C2 and C3 compare with NEW_ORDER only where the district has new orders (after a
 * district's new orders are all delivered there is no max(NO_O_ID) to compare).
 */

import type { CheckResult } from '../types.js';
import type { TpccOps } from './ops.js';
import { DISTRICTS_PER_WAREHOUSE as DPW, type TpccParams } from './schema.js';

/** Failures named per check before the rest are only counted. */
const DETAILS_MAX = 3;
/** Orders beyond D_NEXT_O_ID − 1 that still get per-order state (the rest fail C2 only). */
const ORDER_SLACK = 64;

class Tally {
  readonly failures: string[] = [];
  count = 0;
  constructor(readonly id: string, readonly what: string) {}
  fail(detail: string): void {
    this.count++;
    if (this.failures.length < DETAILS_MAX) this.failures.push(detail);
  }
  result(scope: string): CheckResult {
    if (this.count === 0) return { id: this.id, ok: true, detail: `${this.what}: holds for ${scope}` };
    const more = this.count > this.failures.length ? `; ${this.count - this.failures.length} more` : '';
    return { id: this.id, ok: false, detail: `${this.id} ${this.what} fails ${this.count}×: ${this.failures.join('; ')}${more}` };
  }
}

const wd = (w: number, d: number): string => `warehouse ${w} district ${d}`;

export function runChecks(ops: TpccOps, p: TpccParams, committed?: Readonly<Record<string, number>>): CheckResult[] {
  const W = p.warehouses;
  const nd = W * DPW;
  const cpd = p.customersPerDistrict;
  const di = (w: number, d: number): number => (w - 1) * DPW + (d - 1);
  const inRange = (w: number, d: number): boolean => w >= 1 && w <= W && d >= 1 && d <= DPW;

  const c1 = new Tally('C1', 'W_YTD = Σ D_YTD per warehouse');
  const c2 = new Tally('C2', 'D_NEXT_O_ID − 1 = max(O_ID) = max(NO_O_ID) per district');
  const c3 = new Tally('C3', 'max(NO_O_ID) − min(NO_O_ID) + 1 = count(NEW_ORDER) per district');
  const c4 = new Tally('C4', 'Σ O_OL_CNT = count(ORDER_LINE) per district');
  const c5 = new Tally('C5', 'O_CARRIER_ID null ⇔ NEW_ORDER row exists');
  const c6 = new Tally('C6', 'O_OL_CNT = ORDER_LINE rows per order');
  const c7 = new Tally('C7', 'OL_DELIVERY_D null ⇔ O_CARRIER_ID null');
  const c8 = new Tally('C8', 'W_YTD = Σ H_AMOUNT per warehouse');
  const c9 = new Tally('C9', 'D_YTD = Σ H_AMOUNT per district');
  const c10 = new Tally('C10', 'C_BALANCE = Σ delivered OL_AMOUNT − Σ H_AMOUNT per customer');
  const c12 = new Tally('C12', 'C_BALANCE + C_YTD_PAYMENT = Σ delivered OL_AMOUNT per customer');

  // Districts: D_YTD, D_NEXT_O_ID.
  const dYtd = new Float64Array(nd);
  const nextOId = new Int32Array(nd);
  let sumNext = 0;
  ops.scanDistricts((r) => {
    if (!inRange(r.wId, r.dId)) return;
    dYtd[di(r.wId, r.dId)] = r.ytdCents;
    nextOId[di(r.wId, r.dId)] = r.nextOId;
    sumNext += r.nextOId - 1;
  });

  // Orders: per district max(O_ID), Σ O_OL_CNT; per order O_C_ID, O_OL_CNT, carrier null.
  const maxO = new Int32Array(nd);
  const sumOlCnt = new Float64Array(nd);
  const oCid: Int32Array[] = [];
  const oOlCnt: Uint8Array[] = [];
  /** Per order: 0 absent, 1 carrier null, 2 carrier set. */
  const oState: Uint8Array[] = [];
  for (let i = 0; i < nd; i++) {
    const n = (nextOId[i] as number) + ORDER_SLACK;
    oCid.push(new Int32Array(n));
    oOlCnt.push(new Uint8Array(n));
    oState.push(new Uint8Array(n));
  }
  let orders = 0;
  ops.scanOrders((r) => {
    orders++;
    if (!inRange(r.wId, r.dId)) return;
    const i = di(r.wId, r.dId);
    if (r.oId > (maxO[i] as number)) maxO[i] = r.oId;
    sumOlCnt[i] = (sumOlCnt[i] as number) + r.olCnt;
    const st = oState[i] as Uint8Array;
    if (r.oId < 1 || r.oId >= st.length) return;
    (oCid[i] as Int32Array)[r.oId] = r.cId;
    (oOlCnt[i] as Uint8Array)[r.oId] = r.olCnt;
    st[r.oId] = r.carrierId === null ? 1 : 2;
  });

  // New orders: per district max, min, count; C5 (a NEW_ORDER row's order has no carrier).
  const maxNo = new Int32Array(nd);
  const minNo = new Int32Array(nd).fill(0x7fffffff);
  const countNo = new Int32Array(nd);
  const hasNo: Uint8Array[] = oState.map((s) => new Uint8Array(s.length));
  let newOrders = 0;
  ops.scanNewOrders((w, d, o) => {
    newOrders++;
    if (!inRange(w, d)) return;
    const i = di(w, d);
    if (o > (maxNo[i] as number)) maxNo[i] = o;
    if (o < (minNo[i] as number)) minNo[i] = o;
    countNo[i] = (countNo[i] as number) + 1;
    const st = oState[i] as Uint8Array;
    const s = o >= 1 && o < st.length ? st[o] : 0;
    if (s !== 1) c5.fail(`${wd(w, d)} order ${o}: NEW_ORDER row but O_CARRIER_ID ${s === 2 ? 'set' : 'missing (no ORDERS row)'}`);
    if (o >= 1 && o < st.length) (hasNo[i] as Uint8Array)[o] = 1;
  });

  // Order lines: per order line count (C6), C7, per district count (C4), delivered amount per customer.
  const lineCount: Uint8Array[] = oState.map((s) => new Uint8Array(s.length));
  const linesPerDistrict = new Float64Array(nd);
  const deliveredCents = new Float64Array(nd * cpd);
  ops.scanOrderLines((r) => {
    if (!inRange(r.wId, r.dId)) return;
    const i = di(r.wId, r.dId);
    linesPerDistrict[i] = (linesPerDistrict[i] as number) + 1;
    const st = oState[i] as Uint8Array;
    const s = r.oId >= 1 && r.oId < st.length ? st[r.oId] : 0;
    if (s === 0) return; // an orphan line: C6 and C4 catch the disagreement
    const lc = lineCount[i] as Uint8Array;
    lc[r.oId] = (lc[r.oId] as number) + 1;
    if ((r.deliveryMs === null) !== (s === 1)) {
      c7.fail(`${wd(r.wId, r.dId)} order ${r.oId} line ${r.number}: OL_DELIVERY_D ${r.deliveryMs === null ? 'null' : String(r.deliveryMs)} ` +
        `but O_CARRIER_ID ${s === 1 ? 'null' : 'set'}`);
    }
    if (r.deliveryMs !== null) {
      const c = (oCid[i] as Int32Array)[r.oId] as number;
      if (c >= 1 && c <= cpd) deliveredCents[i * cpd + c - 1] = (deliveredCents[i * cpd + c - 1] as number) + r.amountCents;
    }
  });

  for (let w = 1; w <= W; w++) {
    for (let d = 1; d <= DPW; d++) {
      const i = di(w, d);
      const next1 = (nextOId[i] as number) - 1;
      const cnt = countNo[i] as number;
      if (next1 !== maxO[i] || (cnt > 0 && next1 !== maxNo[i])) {
        c2.fail(`${wd(w, d)}: D_NEXT_O_ID − 1 = ${next1}, max(O_ID) = ${maxO[i] as number}, max(NO_O_ID) = ${cnt > 0 ? String(maxNo[i]) : 'none'}`);
      }
      if (cnt > 0 && (maxNo[i] as number) - (minNo[i] as number) + 1 !== cnt) {
        c3.fail(`${wd(w, d)}: max(NO_O_ID) − min(NO_O_ID) + 1 = ${(maxNo[i] as number) - (minNo[i] as number) + 1}, count(NEW_ORDER) = ${cnt}`);
      }
      if (sumOlCnt[i] !== linesPerDistrict[i]) {
        c4.fail(`${wd(w, d)}: Σ O_OL_CNT = ${sumOlCnt[i] as number}, count(ORDER_LINE) = ${linesPerDistrict[i] as number}`);
      }
      const st = oState[i] as Uint8Array;
      const no = hasNo[i] as Uint8Array;
      const lc = lineCount[i] as Uint8Array;
      const olc = oOlCnt[i] as Uint8Array;
      for (let o = 1; o < st.length; o++) {
        if (st[o] === 0) continue;
        if (st[o] === 1 && no[o] === 0) c5.fail(`${wd(w, d)} order ${o}: O_CARRIER_ID null but no NEW_ORDER row`);
        if (lc[o] !== olc[o]) c6.fail(`${wd(w, d)} order ${o}: O_OL_CNT = ${olc[o] as number}, ORDER_LINE rows = ${lc[o] as number}`);
      }
    }
  }

  // History: per warehouse, district and customer Σ H_AMOUNT.
  const hW = new Float64Array(W);
  const hD = new Float64Array(nd);
  const hC = new Float64Array(nd * cpd);
  let history = 0;
  ops.scanHistory((r) => {
    history++;
    if (inRange(r.wId, r.dId)) {
      hW[r.wId - 1] = (hW[r.wId - 1] as number) + r.amountCents;
      hD[di(r.wId, r.dId)] = (hD[di(r.wId, r.dId)] as number) + r.amountCents;
    }
    if (inRange(r.cWId, r.cDId) && r.cId >= 1 && r.cId <= cpd) {
      const k = di(r.cWId, r.cDId) * cpd + r.cId - 1;
      hC[k] = (hC[k] as number) + r.amountCents;
    }
  });
  for (let w = 1; w <= W; w++) {
    for (let d = 1; d <= DPW; d++) {
      const i = di(w, d);
      if (dYtd[i] !== hD[i]) c9.fail(`${wd(w, d)}: D_YTD = ${dYtd[i] as number}, Σ H_AMOUNT = ${hD[i] as number}`);
    }
  }

  ops.scanCustomers((r) => {
    if (!inRange(r.wId, r.dId) || r.cId < 1 || r.cId > cpd) return;
    const k = di(r.wId, r.dId) * cpd + r.cId - 1;
    const dlv = deliveredCents[k] as number;
    const who = `${wd(r.wId, r.dId)} customer ${r.cId}`;
    if (r.balanceCents !== dlv - (hC[k] as number)) {
      c10.fail(`${who}: C_BALANCE = ${r.balanceCents}, Σ delivered OL_AMOUNT − Σ H_AMOUNT = ${dlv} − ${hC[k] as number} = ${dlv - (hC[k] as number)}`);
    }
    if (r.balanceCents + r.ytdPaymentCents !== dlv) {
      c12.fail(`${who}: C_BALANCE + C_YTD_PAYMENT = ${r.balanceCents} + ${r.ytdPaymentCents} = ${r.balanceCents + r.ytdPaymentCents}, ` +
        `Σ delivered OL_AMOUNT = ${dlv}`);
    }
  });

  ops.scanWarehouses((r) => {
    if (r.wId < 1 || r.wId > W) return;
    let sumD = 0;
    for (let d = 1; d <= DPW; d++) sumD += dYtd[di(r.wId, d)] as number;
    if (r.ytdCents !== sumD) c1.fail(`warehouse ${r.wId}: W_YTD = ${r.ytdCents}, Σ D_YTD = ${sumD}`);
    if (r.ytdCents !== hW[r.wId - 1]) c8.fail(`warehouse ${r.wId}: W_YTD = ${r.ytdCents}, Σ H_AMOUNT = ${hW[r.wId - 1] as number}`);
  });

  const wScope = `${W} warehouse(s)`;
  const dScope = `${nd} districts`;
  const out: CheckResult[] = [
    c1.result(wScope), c2.result(dScope), c3.result(dScope), c4.result(dScope), c5.result(`${orders} orders`),
    c6.result(`${orders} orders`), c7.result(`${orders} orders`), c8.result(wScope), c9.result(dScope),
    c10.result(`${nd * cpd} customers`), c12.result(`${nd * cpd} customers`),
  ];
  out.push(...derivedChecks(p, { orders, history, sumNextOId: sumNext, newOrders }, committed));
  return out;
}

/** The initial ORDERS (= HISTORY) rows: W · 10 · per district. */
export function initialOrders(p: TpccParams): number {
  return p.warehouses * DPW * p.ordersPerDistrict;
}

export function initialHistory(p: TpccParams): number {
  return p.warehouses * DPW * p.customersPerDistrict;
}

function derivedChecks(p: TpccParams, n: { orders: number; history: number; sumNextOId: number; newOrders: number },
  committed: Readonly<Record<string, number>> | undefined): CheckResult[] {
  const o0 = initialOrders(p);
  const h0 = initialHistory(p);
  const out: CheckResult[] = [];
  const ok1 = n.orders - o0 === n.sumNextOId - o0;
  out.push({ id: 'orders-vs-next-o-id', ok: ok1,
    detail: `count(ORDERS) − initial = ${n.orders} − ${o0} = ${n.orders - o0}; Σ(D_NEXT_O_ID − 1) − initial = ${n.sumNextOId - o0}` });
  if (committed !== undefined) {
    const no = committed['new-order'] ?? 0;
    const pay = committed['payment'] ?? 0;
    out.push({ id: 'orders-vs-committed', ok: n.orders - o0 === no,
      detail: `count(ORDERS) − initial = ${n.orders - o0}; committed New-Orders = ${no}` });
    out.push({ id: 'history-vs-committed', ok: n.history - h0 === pay,
      detail: `count(HISTORY) − initial = ${n.history} − ${h0} = ${n.history - h0}; committed Payments = ${pay}` });
  }
  return out;
}
