/**
 * TpccOps on remapdb's public API (storage/database.ts, storage/table.ts): nine tables with
 * composite 'int' keys and 'tuple' values, the two secondary indexes as remapdb indexes,
 * one db.transaction() per TPC-C transaction.
 *
 * Tuple layouts (column positions; index fields name them):
 *   warehouse  w            → [name, street1, street2, city, state, zip, tax, ytd]
 *   district   (w, d)       → [name, street1, street2, city, state, zip, tax, ytd, next_o_id]
 *   customer   (w, d, c)    → [w, d, first, middle, last, street1, street2, city, state, zip, phone,
 *                               since, credit, credit_lim, discount, balance, ytd_payment,
 *                               payment_cnt, delivery_cnt, data]
 *   history    h_id         → [c_id, c_d_id, c_w_id, d_id, w_id, date, amount, data]
 *   orders     (w, d, o)    → [w, d, c_id, entry_d, carrier_id|null, ol_cnt, all_local]
 *   new_order  (w, d, o)    → []
 *   order_line (w, d, o, n) → [i_id, supply_w_id, delivery_d|null, quantity, amount, dist_info]
 *   item       i            → [im_id, name, price, data]
 *   stock      (w, i)       → [quantity, dist_01..dist_10, ytd, order_cnt, remote_cnt, data]
 *   tpcc_meta  'load'       → JSON TpccMeta
 * Indexes: customer_name = customer[0, 1, 4, 2] (w, d, last, first; then the key's c) and
 * orders_cust = orders[0, 1, 2] (w, d, c_id; then the key's o). Index fields are value
 * columns only, which is why customer and orders repeat w and d in their values.
 *
 * Lean access: key arrays are reused (the API encodes them on each call); updates name
 * the columns they change (Table.setColumns: the other columns' bytes are kept, not
 * decoded and re-encoded) and reads that need a few columns of a wide row ask for those
 * (getColumns, range({ columns })) — a stock row has 17 columns, New-Order needs 6 and
 * Stock-Level 1.
 */

import type { Database, KeyPart, Table } from '../../../storage/index.js';
import type { TpccCounts, TpccOps } from './ops.js';
import type {
  Customer, District, History, Item, Order, OrderLine, Stock, StockLoad, TpccMeta, Warehouse,
} from './schema.js';
import { StockLevelMarks } from './stock-level.js';

type Tuple = KeyPart[];
const num = (t: Tuple, i: number): number => t[i] as number;
const str = (t: Tuple, i: number): string => t[i] as string;
const numOrNull = (t: Tuple, i: number): number | null => t[i] as number | null;

const S_DIST0 = 1;
const S_YTD = 11;
const C_BALANCE = 15;
// Columns read or written by name (Table.getColumns / setColumns / range({ columns })).
const W_UPDATE = [7];
const D_UPDATE = [7, 8];
const C_UPDATE = [C_BALANCE, 16, 17, 18, 19];
const C_DELIVERY = [C_BALANCE, 18];
const S_UPDATE = [0, S_YTD, 12, 13];
const S_QUANTITY = [0];
const O_UPDATE = [4, 5];
const OL_ITEM = [0];
const OL_DELIVERY = [2];
const OL_AMOUNT = [4];

function customerOf(w: number, d: number, c: number, t: Tuple): Customer {
  return {
    wId: w, dId: d, cId: c, first: str(t, 2), middle: str(t, 3), last: str(t, 4), street1: str(t, 5), street2: str(t, 6), city: str(t, 7),
    state: str(t, 8), zip: str(t, 9), phone: str(t, 10), sinceMs: num(t, 11), credit: str(t, 12), creditLimCents: num(t, 13),
    discountBp4: num(t, 14), balanceCents: num(t, 15), ytdPaymentCents: num(t, 16), paymentCnt: num(t, 17), deliveryCnt: num(t, 18),
    data: str(t, 19), raw: t,
  };
}

function orderOf(w: number, d: number, o: number, t: Tuple): Order {
  return { wId: w, dId: d, oId: o, cId: num(t, 2), entryMs: num(t, 3), carrierId: numOrNull(t, 4), olCnt: num(t, 5), allLocal: t[6] === true, raw: t };
}

function lineOf(w: number, d: number, o: number, n: number, t: Tuple): OrderLine {
  return { wId: w, dId: d, oId: o, number: n, iId: num(t, 0), supplyWId: num(t, 1), deliveryMs: numOrNull(t, 2), quantity: num(t, 3),
    amountCents: num(t, 4), distInfo: str(t, 5) };
}

export class RemapdbTpcc implements TpccOps {
  readonly #db: Database;
  #t!: {
    warehouse: Table<Tuple>; district: Table<Tuple>; customer: Table<Tuple>; history: Table<Tuple>; orders: Table<Tuple>;
    newOrder: Table<Tuple>; orderLine: Table<Tuple>; item: Table<Tuple>; stock: Table<Tuple>; meta: Table<unknown>;
  };
  readonly #run: (fn: () => unknown) => unknown;
  readonly #k2: [number, number] = [0, 0];
  readonly #k3: [number, number, number] = [0, 0, 0];
  readonly #k4: [number, number, number, number] = [0, 0, 0, 0];
  readonly #marks = new StockLevelMarks();
  /** getStock's columns: quantity, ytd, order_cnt, remote_cnt, data, and the district's dist_xx (set per call). */
  readonly #stockCols = [0, S_YTD, 12, 13, 14, S_DIST0];
  readonly #stockValues: Tuple = [0, 0, 0, 0];

  constructor(db: Database) {
    this.#db = db;
    this.#run = db.transaction((fn: () => unknown) => fn());
    if (db.tables().includes('warehouse')) this.#open();
  }

  #open(): void {
    const db = this.#db;
    this.#t = {
      warehouse: db.table('warehouse'), district: db.table('district'), customer: db.table('customer'), history: db.table('history'),
      orders: db.table('orders'), newOrder: db.table('new_order'), orderLine: db.table('order_line'), item: db.table('item'),
      stock: db.table('stock'), meta: db.table('tpcc_meta'),
    };
  }

  tx<R>(fn: () => R): R {
    return this.#run(fn) as R;
  }

  createSchema(): void {
    const db = this.#db;
    const t = (name: string, n: number): void => {
      db.createTable(name, { key: Array<'int'>(n).fill('int'), value: 'tuple' });
    };
    t('warehouse', 1); t('district', 2); t('customer', 3); t('history', 1); t('orders', 3); t('new_order', 3); t('order_line', 4);
    t('item', 1); t('stock', 2);
    db.createTable('tpcc_meta', { key: ['string'], value: 'json' });
    db.createIndex('customer', 'customer_name', { fields: [0, 1, 4, 2] });
    db.createIndex('orders', 'orders_cust', { fields: [0, 1, 2] });
    this.#open();
  }

  readMeta(): TpccMeta | undefined {
    if (!this.#db.tables().includes('tpcc_meta')) return undefined;
    return this.#db.table<TpccMeta>('tpcc_meta').get('load');
  }

  writeMeta(meta: TpccMeta): void {
    this.#t.meta.upsert('load', meta);
  }

  #key2(a: number, b: number): [number, number] {
    const k = this.#k2;
    k[0] = a; k[1] = b;
    return k;
  }

  #key3(a: number, b: number, c: number): [number, number, number] {
    const k = this.#k3;
    k[0] = a; k[1] = b; k[2] = c;
    return k;
  }

  #key4(a: number, b: number, c: number, d: number): [number, number, number, number] {
    const k = this.#k4;
    k[0] = a; k[1] = b; k[2] = c; k[3] = d;
    return k;
  }

  insertItem(r: Item): void {
    this.#t.item.insert(r.iId, [r.imId, r.name, r.priceCents, r.data]);
  }

  insertWarehouse(r: Warehouse): void {
    this.#t.warehouse.insert(r.wId, [r.name, r.street1, r.street2, r.city, r.state, r.zip, r.taxBp4, r.ytdCents]);
  }

  insertStock(r: StockLoad): void {
    this.#t.stock.insert(this.#key2(r.wId, r.iId), [r.quantity, ...r.dists, r.ytd, r.orderCnt, r.remoteCnt, r.data]);
  }

  insertDistrict(r: District): void {
    this.#t.district.insert(this.#key2(r.wId, r.dId),
      [r.name, r.street1, r.street2, r.city, r.state, r.zip, r.taxBp4, r.ytdCents, r.nextOId]);
  }

  insertCustomer(r: Customer): void {
    this.#t.customer.insert(this.#key3(r.wId, r.dId, r.cId), [
      r.wId, r.dId, r.first, r.middle, r.last, r.street1, r.street2, r.city, r.state, r.zip, r.phone, r.sinceMs, r.credit,
      r.creditLimCents, r.discountBp4, r.balanceCents, r.ytdPaymentCents, r.paymentCnt, r.deliveryCnt, r.data,
    ]);
  }

  insertHistory(r: History): void {
    this.#t.history.insert(r.hId, [r.cId, r.cDId, r.cWId, r.dId, r.wId, r.dateMs, r.amountCents, r.data]);
  }

  insertOrder(r: Order): void {
    this.#t.orders.insert(this.#key3(r.wId, r.dId, r.oId), [r.wId, r.dId, r.cId, r.entryMs, r.carrierId, r.olCnt, r.allLocal]);
  }

  insertNewOrder(w: number, d: number, o: number): void {
    this.#t.newOrder.insert(this.#key3(w, d, o), []);
  }

  insertOrderLine(r: OrderLine): void {
    this.#t.orderLine.insert(this.#key4(r.wId, r.dId, r.oId, r.number),
      [r.iId, r.supplyWId, r.deliveryMs, r.quantity, r.amountCents, r.distInfo]);
  }

  getWarehouse(w: number): Warehouse | undefined {
    const t = this.#t.warehouse.get(w);
    if (t === undefined) return undefined;
    return { wId: w, name: str(t, 0), street1: str(t, 1), street2: str(t, 2), city: str(t, 3), state: str(t, 4), zip: str(t, 5),
      taxBp4: num(t, 6), ytdCents: num(t, 7), raw: t };
  }

  updateWarehouse(r: Warehouse): void {
    this.#t.warehouse.setColumns(r.wId, W_UPDATE, [r.ytdCents]);
  }

  getDistrict(w: number, d: number): District | undefined {
    const t = this.#t.district.get(this.#key2(w, d));
    if (t === undefined) return undefined;
    return { wId: w, dId: d, name: str(t, 0), street1: str(t, 1), street2: str(t, 2), city: str(t, 3), state: str(t, 4), zip: str(t, 5),
      taxBp4: num(t, 6), ytdCents: num(t, 7), nextOId: num(t, 8), raw: t };
  }

  updateDistrict(r: District): void {
    this.#t.district.setColumns(this.#key2(r.wId, r.dId), D_UPDATE, [r.ytdCents, r.nextOId]);
  }

  getCustomer(w: number, d: number, c: number): Customer | undefined {
    const t = this.#t.customer.get(this.#key3(w, d, c));
    return t === undefined ? undefined : customerOf(w, d, c, t);
  }

  customersByLastName(w: number, d: number, last: string): Customer[] {
    const out: Customer[] = [];
    for (const row of this.#t.customer.index('customer_name').range({ prefix: [w, d, last] })) {
      const k = row.key as number[];
      out.push(customerOf(w, d, k[2] as number, row.value));
    }
    return out;
  }

  updateCustomer(r: Customer): void {
    this.#t.customer.setColumns(this.#key3(r.wId, r.dId, r.cId), C_UPDATE,
      [r.balanceCents, r.ytdPaymentCents, r.paymentCnt, r.deliveryCnt, r.data]);
  }

  addCustomerDelivery(w: number, d: number, c: number, amountCents: number): void {
    const k = this.#key3(w, d, c);
    const t = this.#t.customer.getColumns(k, C_DELIVERY);
    if (t === undefined) throw new Error(`customer (${w}, ${d}, ${c}) not found`);
    this.#t.customer.setColumns(k, C_DELIVERY, [num(t, 0) + amountCents, num(t, 1) + 1]);
  }

  getItem(i: number): Item | undefined {
    const t = this.#t.item.get(i);
    if (t === undefined) return undefined;
    return { iId: i, imId: num(t, 0), name: str(t, 1), priceCents: num(t, 2), data: str(t, 3) };
  }

  getStock(w: number, i: number, d: number): Stock | undefined {
    const cols = this.#stockCols;
    cols[5] = S_DIST0 + d - 1;
    const t = this.#t.stock.getColumns(this.#key2(w, i), cols);
    if (t === undefined) return undefined;
    return { wId: w, iId: i, quantity: num(t, 0), ytd: num(t, 1), orderCnt: num(t, 2), remoteCnt: num(t, 3), data: str(t, 4),
      distInfo: str(t, 5), raw: null };
  }

  updateStock(r: Stock): void {
    const v = this.#stockValues;
    v[0] = r.quantity;
    v[1] = r.ytd;
    v[2] = r.orderCnt;
    v[3] = r.remoteCnt;
    this.#t.stock.setColumns(this.#key2(r.wId, r.iId), S_UPDATE, v);
  }

  getOrder(w: number, d: number, o: number): Order | undefined {
    const t = this.#t.orders.get(this.#key3(w, d, o));
    return t === undefined ? undefined : orderOf(w, d, o, t);
  }

  updateOrder(r: Order): void {
    this.#t.orders.setColumns(this.#key3(r.wId, r.dId, r.oId), O_UPDATE, [r.carrierId, r.olCnt]);
  }

  lastOrderOfCustomer(w: number, d: number, c: number): Order | undefined {
    for (const row of this.#t.orders.index('orders_cust').range({ prefix: [w, d, c], reverse: true, limit: 1 })) {
      return orderOf(w, d, (row.key as number[])[2] as number, row.value);
    }
    return undefined;
  }

  orderLines(w: number, d: number, o: number): OrderLine[] {
    const out: OrderLine[] = [];
    for (const row of this.#t.orderLine.range({ prefix: [w, d, o] })) {
      out.push(lineOf(w, d, o, (row.key as number[])[3] as number, row.value));
    }
    return out;
  }

  deliverOrderLines(w: number, d: number, o: number, deliveryMs: number): number {
    // Collect first: the tree must not change under a live range scan.
    const rows = [...this.#t.orderLine.range({ prefix: [w, d, o], columns: OL_AMOUNT })];
    let sum = 0;
    for (const row of rows) {
      sum += num(row.value, 0);
      this.#t.orderLine.setColumns(row.key, OL_DELIVERY, [deliveryMs]);
    }
    return sum;
  }

  oldestNewOrder(w: number, d: number): number | undefined {
    for (const row of this.#t.newOrder.range({ prefix: [w, d], limit: 1 })) return (row.key as number[])[2] as number;
    return undefined;
  }

  deleteNewOrder(w: number, d: number, o: number): boolean {
    return this.#t.newOrder.delete(this.#key3(w, d, o));
  }

  stockLevel(w: number, d: number, lo: number, hi: number, threshold: number): number {
    const marks = this.#marks.begin();
    let count = 0;
    for (const row of this.#t.orderLine.range({ gte: [w, d, lo], lt: [w, d, hi], columns: OL_ITEM })) {
      const i = num(row.value, 0);
      if (!marks.first(i)) continue;
      const s = this.#t.stock.getColumns(this.#key2(w, i), S_QUANTITY);
      if (s !== undefined && num(s, 0) < threshold) count++;
    }
    return count;
  }

  maxHistoryId(): number {
    for (const row of this.#t.history.range({ reverse: true, limit: 1 })) return row.key as number;
    return 0;
  }

  scanWarehouses(fn: (r: Warehouse) => void): void {
    for (const { key, value: t } of this.#t.warehouse.range()) {
      fn({ wId: key as number, name: str(t, 0), street1: str(t, 1), street2: str(t, 2), city: str(t, 3), state: str(t, 4), zip: str(t, 5),
        taxBp4: num(t, 6), ytdCents: num(t, 7), raw: t });
    }
  }

  scanDistricts(fn: (r: District) => void): void {
    for (const { key, value: t } of this.#t.district.range()) {
      const k = key as number[];
      fn({ wId: k[0] as number, dId: k[1] as number, name: str(t, 0), street1: str(t, 1), street2: str(t, 2), city: str(t, 3),
        state: str(t, 4), zip: str(t, 5), taxBp4: num(t, 6), ytdCents: num(t, 7), nextOId: num(t, 8), raw: t });
    }
  }

  scanCustomers(fn: (r: Customer) => void): void {
    for (const { key, value } of this.#t.customer.range()) {
      const k = key as number[];
      fn(customerOf(k[0] as number, k[1] as number, k[2] as number, value));
    }
  }

  scanHistory(fn: (r: History) => void): void {
    for (const { key, value: t } of this.#t.history.range()) {
      fn({ hId: key as number, cId: num(t, 0), cDId: num(t, 1), cWId: num(t, 2), dId: num(t, 3), wId: num(t, 4), dateMs: num(t, 5),
        amountCents: num(t, 6), data: str(t, 7) });
    }
  }

  scanOrders(fn: (r: Order) => void): void {
    for (const { key, value } of this.#t.orders.range()) {
      const k = key as number[];
      fn(orderOf(k[0] as number, k[1] as number, k[2] as number, value));
    }
  }

  scanNewOrders(fn: (w: number, d: number, o: number) => void): void {
    for (const { key } of this.#t.newOrder.range()) {
      const k = key as number[];
      fn(k[0] as number, k[1] as number, k[2] as number);
    }
  }

  scanOrderLines(fn: (r: OrderLine) => void): void {
    for (const { key, value } of this.#t.orderLine.range()) {
      const k = key as number[];
      fn(lineOf(k[0] as number, k[1] as number, k[2] as number, k[3] as number, value));
    }
  }

  counts(): TpccCounts {
    return { orders: this.#t.orders.count, newOrders: this.#t.newOrder.count, history: this.#t.history.count,
      orderLines: this.#t.orderLine.count };
  }
}
