/**
 * TPC-C-like rows as the transaction logic sees them, whatever the engine (refs/workloads.md,
 * TPC-C clause 1.3). Every engine stores exactly these logical rows; how (a remapdb tuple,
 * an SQL row, an LMDB record) is the engine file's business.
 *
 * Units:
 *  - money in integer cents (W_YTD, D_YTD, C_BALANCE, C_YTD_PAYMENT, H_AMOUNT, I_PRICE,
 *    OL_AMOUNT, C_CREDIT_LIM): consistency sums must be exact;
 *  - rates (W_TAX, D_TAX, C_DISCOUNT) in integer ten-thousandths ("bp4": 0.1234 = 1234);
 *  - dates in integer milliseconds of a deterministic clock (never the wall clock);
 *  - null where TPC-C has null (O_CARRIER_ID, OL_DELIVERY_D of undelivered orders).
 *
 * `raw` on a row read for update is an engine-private handle (e.g. the decoded remapdb
 * tuple) so the matching update need not read or decode the row again; logic never
 * touches it.
 */

/** Districts per warehouse: fixed by TPC-C (clause 1.2). */
export const DISTRICTS_PER_WAREHOUSE = 10;
/** The load's fixed timestamp (ms): every load-time date; run dates count up from it. */
export const LOAD_TIME_MS = 1_700_000_000_000;
/** New orders are the last 30 % of each district's orders (O_ID 2101..3000 of 3000). */
export const NEW_ORDER_FRACTION = 0.3;
/** C_DATA is at most 500 characters (clause 1.3, 2.5.2.2). */
export const C_DATA_MAX_CHARS = 500;

export interface TpccParams {
  /** Warehouses W (1..100). */
  warehouses: number;
  /** ITEM rows, and STOCK rows per warehouse (TPC-C: 100000; smaller only in tests). */
  items: number;
  /** CUSTOMER rows per district (TPC-C: 3000). */
  customersPerDistrict: number;
  /** ORDERS rows per district at load (TPC-C: 3000). */
  ordersPerDistrict: number;
}

/** The load's NURand constants (clause 2.1.6), stored with the data so a run can draw C_run against them. */
export interface TpccMeta {
  params: TpccParams;
  cLast: number;
  cId: number;
  olIId: number;
  loadTimeMs: number;
}

export interface Warehouse {
  wId: number; name: string; street1: string; street2: string; city: string; state: string; zip: string;
  taxBp4: number; ytdCents: number; raw: unknown;
}

export interface District {
  wId: number; dId: number; name: string; street1: string; street2: string; city: string; state: string; zip: string;
  taxBp4: number; ytdCents: number; nextOId: number; raw: unknown;
}

export interface Customer {
  wId: number; dId: number; cId: number;
  first: string; middle: string; last: string; street1: string; street2: string; city: string; state: string; zip: string;
  phone: string; sinceMs: number; credit: string; creditLimCents: number; discountBp4: number;
  balanceCents: number; ytdPaymentCents: number; paymentCnt: number; deliveryCnt: number; data: string;
  raw: unknown;
}

export interface History {
  hId: number; cId: number; cDId: number; cWId: number; dId: number; wId: number; dateMs: number; amountCents: number; data: string;
}

export interface Order {
  wId: number; dId: number; oId: number; cId: number; entryMs: number; carrierId: number | null; olCnt: number; allLocal: boolean;
  raw: unknown;
}

export interface OrderLine {
  wId: number; dId: number; oId: number; number: number; iId: number; supplyWId: number; deliveryMs: number | null;
  quantity: number; amountCents: number; distInfo: string;
}

export interface Item {
  iId: number; imId: number; name: string; priceCents: number; data: string;
}

/**
 * A STOCK row. `distInfo` is S_DIST_xx of the district asked for when read through getStock
 * (New-Order needs only that one); `dists` holds all ten at load.
 */
export interface Stock {
  wId: number; iId: number; quantity: number; ytd: number; orderCnt: number; remoteCnt: number; data: string;
  distInfo: string; raw: unknown;
}

/** A STOCK row as the loader writes it (all ten S_DIST_xx). */
export interface StockLoad {
  wId: number; iId: number; quantity: number; dists: string[]; ytd: number; orderCnt: number; remoteCnt: number; data: string;
}
