/**
 * TpccOps: the data access the TPC-C-like logic (txns.ts, load.ts, checks.ts) runs on,
 * implemented once per engine (remapdb.ts, sqlite.ts, lmdb.ts). Each operation is one
 * primitive an engine does natively (a point read, an update of named columns, a range
 * scan, one SQL statement); the decisions — which rows, what values — stay in the shared
 * logic so every engine runs the same transactions.
 *
 * Invariants every implementation keeps:
 *  1. tx(fn) runs fn as one transaction: commits once when fn returns; when fn throws,
 *     every change it made is rolled back and the error is rethrown unchanged.
 *  2. An update*(row) call writes only the columns it names, to the row `row` was read as
 *     (same key), inside the current transaction; `row.raw` is the engine's own handle.
 *  3. scan*(fn) visits every row of the table in primary-key order, outside any write.
 *  4. Reads inside tx() see the transaction's own earlier writes.
 */

import type {
  Customer, District, History, Item, Order, OrderLine, Stock, StockLoad, TpccMeta, Warehouse,
} from './schema.js';

export interface TpccCounts {
  orders: number;
  newOrders: number;
  history: number;
  orderLines: number;
}

export interface TpccOps {
  /** Run fn as one transaction (invariant 1). */
  tx<R>(fn: () => R): R;
  /** Create the nine tables, the two secondary indexes and the meta record's home (outside transactions). */
  createSchema(): void;
  /** The load's constants, or undefined before a load. */
  readMeta(): TpccMeta | undefined;
  writeMeta(meta: TpccMeta): void;

  insertItem(r: Item): void;
  insertWarehouse(r: Warehouse): void;
  insertStock(r: StockLoad): void;
  insertDistrict(r: District): void;
  insertCustomer(r: Customer): void;
  insertHistory(r: History): void;
  insertOrder(r: Order): void;
  insertNewOrder(wId: number, dId: number, oId: number): void;
  insertOrderLine(r: OrderLine): void;

  getWarehouse(wId: number): Warehouse | undefined;
  /** W_YTD. */
  updateWarehouse(r: Warehouse): void;
  getDistrict(wId: number, dId: number): District | undefined;
  /** D_YTD and D_NEXT_O_ID. */
  updateDistrict(r: District): void;
  getCustomer(wId: number, dId: number, cId: number): Customer | undefined;
  /** Customers of (w, d) with this C_LAST, ordered by C_FIRST (then C_ID): index C(w,d,c_last,c_first). */
  customersByLastName(wId: number, dId: number, last: string): Customer[];
  /** C_BALANCE, C_YTD_PAYMENT, C_PAYMENT_CNT, C_DELIVERY_CNT, C_DATA. */
  updateCustomer(r: Customer): void;
  /** Delivery: C_BALANCE += amount, C_DELIVERY_CNT += 1 (one UPDATE where the engine has one). */
  addCustomerDelivery(wId: number, dId: number, cId: number, amountCents: number): void;
  getItem(iId: number): Item | undefined;
  /** STOCK with S_DIST_dd of district dId in distInfo. */
  getStock(wId: number, iId: number, dId: number): Stock | undefined;
  /** S_QUANTITY, S_YTD, S_ORDER_CNT, S_REMOTE_CNT. */
  updateStock(r: Stock): void;
  getOrder(wId: number, dId: number, oId: number): Order | undefined;
  /** O_CARRIER_ID and O_OL_CNT. */
  updateOrder(r: Order): void;
  /** The customer's newest order: index O(w,d,c_id,o_id), last entry. */
  lastOrderOfCustomer(wId: number, dId: number, cId: number): Order | undefined;
  /** The order's lines in OL_NUMBER order (one query). */
  orderLines(wId: number, dId: number, oId: number): OrderLine[];
  /** Set OL_DELIVERY_D on the order's lines; returns Σ OL_AMOUNT over them. */
  deliverOrderLines(wId: number, dId: number, oId: number, deliveryMs: number): number;
  /** The lowest NO_O_ID of (w, d), or undefined if the district has no new orders. */
  oldestNewOrder(wId: number, dId: number): number | undefined;
  deleteNewOrder(wId: number, dId: number, oId: number): boolean;
  /**
   * Stock-Level's count: distinct OL_I_ID over the lines of orders [loOId, hiOId) of (w, d)
   * whose STOCK (w, i) has S_QUANTITY < threshold (one join query in SQL).
   */
  stockLevel(wId: number, dId: number, loOId: number, hiOId: number, threshold: number): number;
  /** The highest H_ID (0 if none): the run's surrogate keys continue after it. */
  maxHistoryId(): number;

  scanWarehouses(fn: (r: Warehouse) => void): void;
  scanDistricts(fn: (r: District) => void): void;
  scanCustomers(fn: (r: Customer) => void): void;
  scanHistory(fn: (r: History) => void): void;
  scanOrders(fn: (r: Order) => void): void;
  scanNewOrders(fn: (wId: number, dId: number, oId: number) => void): void;
  scanOrderLines(fn: (r: OrderLine) => void): void;
  counts(): TpccCounts;
}
