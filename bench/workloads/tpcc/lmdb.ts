/**
 * TpccOps on LMDB through lmdb-js: one named database per table (env.openDB, binary keys
 * and values), the two secondary indexes kept by hand as their own databases
 * (customer_name: (w, d, last, first, c) → empty; orders_cust: (w, d, c, o) → empty),
 * written in the same transaction as their rows. One env.transactionSync per TPC-C
 * transaction: lmdb-js aborts the LMDB transaction when the callback throws (write.js
 * transactionSync: env.abortTxn() on error), which the rollback test verifies. After each
 * commit the store's LmdbFlusher runs (bench/lib/peers.ts: LMDB's 'normal' syncs by bytes).
 *
 * Byte formats are in lmdb-codec.ts. Reads inside transactionSync see its writes (lmdb-js
 * reads through the open write transaction). A row read for update keeps a private copy
 * of its record (getBinary) in `raw`; the update patches the numeric fields at their fixed
 * offsets and puts it back.
 */

import type { Database, RootDatabase } from 'lmdb';

import type { LmdbFlusher } from '../../lib/peers.js';
import { NAME_KEY_BYTES, Reader, Writer } from './lmdb-codec.js';
import type { TpccCounts, TpccOps } from './ops.js';
import type {
  Customer, District, History, Item, Order, OrderLine, Stock, StockLoad, TpccMeta, Warehouse,
} from './schema.js';
import { StockLevelMarks } from './stock-level.js';

type Db = Database<Buffer, Buffer>;
const TABLES = ['warehouse', 'district', 'customer', 'customer_name', 'history', 'orders', 'orders_cust', 'new_order', 'order_line',
  'item', 'stock', 'tpcc_meta'] as const;
type TableName = (typeof TABLES)[number];

/** Record offsets of the fields updates patch. */
const W_YTD = 4;
const D_YTD = 4;
const D_NEXT = 12;
const C_BALANCE = 20;
const C_DELIVERY_CNT = 40;
const O_CARRIER = 12;
const O_OL_CNT = 13;
const OL_DELIVERY = 8;

export class LmdbTpcc implements TpccOps {
  readonly #env: RootDatabase<Buffer, Buffer>;
  readonly #flusher: LmdbFlusher;
  readonly #db: Record<TableName, Db>;
  readonly #k = new Writer(64);
  readonly #k2 = new Writer(64);
  readonly #v = new Writer(8192);
  readonly #r = new Reader();
  readonly #marks = new StockLevelMarks();
  static readonly EMPTY = Buffer.alloc(0);

  constructor(env: RootDatabase<Buffer, Buffer>, flusher: LmdbFlusher) {
    this.#env = env;
    this.#flusher = flusher;
    const dbs: Partial<Record<TableName, Db>> = {};
    for (const name of TABLES) dbs[name] = env.openDB<Buffer, Buffer>({ name, encoding: 'binary', keyEncoding: 'binary' });
    this.#db = dbs as Record<TableName, Db>;
  }

  tx<R>(fn: () => R): R {
    const r = this.#env.transactionSync(fn);
    this.#flusher.committed();
    return r;
  }

  createSchema(): void {
    // Named databases exist once opened (constructor); nothing else to create.
  }

  readMeta(): TpccMeta | undefined {
    const v = this.#db.tpcc_meta.getBinary(Buffer.from('load'));
    return v === undefined ? undefined : (JSON.parse(v.toString('utf8')) as TpccMeta);
  }

  writeMeta(meta: TpccMeta): void {
    this.#db.tpcc_meta.putSync(Buffer.from('load'), Buffer.from(JSON.stringify(meta)));
  }

  // ---------------------------------------------------------------- keys

  #wKey(w: number): Buffer {
    return this.#k.reset().u16(w).bytes();
  }

  #dKey(w: number, d: number): Buffer {
    return this.#k.reset().u16(w).u8(d).bytes();
  }

  /** (w, d, n): customers, orders and new orders. */
  #wdn(x: Writer, w: number, d: number, n: number): Buffer {
    return x.reset().u16(w).u8(d).u32(n).bytes();
  }

  #olKey(x: Writer, w: number, d: number, o: number, n: number): Buffer {
    return x.reset().u16(w).u8(d).u32(o).u8(n).bytes();
  }

  #sKey(w: number, i: number): Buffer {
    return this.#k.reset().u16(w).u32(i).bytes();
  }

  #u32Key(i: number): Buffer {
    return this.#k.reset().u32(i).bytes();
  }

  #put(db: Db, k: Buffer, v: Buffer, what: string): void {
    if (!(db.putSync(k, v, { noOverwrite: true }) as unknown as boolean)) throw new Error(`lmdb: duplicate ${what} key ${k.toString('hex')}`);
  }

  // ---------------------------------------------------------------- inserts

  insertItem(r: Item): void {
    const v = this.#v.reset().i32(r.imId).i32(r.priceCents).str(r.name).str(r.data).bytes();
    this.#put(this.#db.item, this.#u32Key(r.iId), v, 'item');
  }

  insertWarehouse(r: Warehouse): void {
    const v = this.#v.reset().i32(r.taxBp4).f64(r.ytdCents).str(r.name).str(r.street1).str(r.street2).str(r.city).str(r.state).str(r.zip);
    this.#put(this.#db.warehouse, this.#wKey(r.wId), v.bytes(), 'warehouse');
  }

  insertStock(r: StockLoad): void {
    const v = this.#v.reset().i32(r.quantity).i32(r.ytd).i32(r.orderCnt).i32(r.remoteCnt);
    for (const s of r.dists) v.str(s);
    v.str(r.data);
    this.#put(this.#db.stock, this.#sKey(r.wId, r.iId), v.bytes(), 'stock');
  }

  insertDistrict(r: District): void {
    const v = this.#v.reset().i32(r.taxBp4).f64(r.ytdCents).i32(r.nextOId).str(r.name).str(r.street1).str(r.street2).str(r.city)
      .str(r.state).str(r.zip);
    this.#put(this.#db.district, this.#dKey(r.wId, r.dId), v.bytes(), 'district');
  }

  #customerRecord(r: Customer): Buffer {
    return this.#v.reset().f64(r.sinceMs).f64(r.creditLimCents).i32(r.discountBp4).f64(r.balanceCents).f64(r.ytdPaymentCents)
      .i32(r.paymentCnt).i32(r.deliveryCnt).str(r.first).str(r.middle).str(r.last).str(r.street1).str(r.street2).str(r.city)
      .str(r.state).str(r.zip).str(r.phone).str(r.credit).str(r.data).bytes();
  }

  insertCustomer(r: Customer): void {
    this.#put(this.#db.customer, this.#wdn(this.#k, r.wId, r.dId, r.cId), this.#customerRecord(r), 'customer');
    const ix = this.#k2.reset().u16(r.wId).u8(r.dId).padded(r.last, NAME_KEY_BYTES).padded(r.first, NAME_KEY_BYTES).u32(r.cId).bytes();
    this.#put(this.#db.customer_name, ix, LmdbTpcc.EMPTY, 'customer_name');
  }

  insertHistory(r: History): void {
    const v = this.#v.reset().i32(r.cId).i32(r.cDId).i32(r.cWId).i32(r.dId).i32(r.wId).f64(r.dateMs).f64(r.amountCents).str(r.data);
    this.#put(this.#db.history, this.#u32Key(r.hId), v.bytes(), 'history');
  }

  insertOrder(r: Order): void {
    const v = this.#v.reset().i32(r.cId).f64(r.entryMs).u8(r.carrierId ?? 0).u8(r.olCnt).u8(r.allLocal ? 1 : 0).bytes();
    this.#put(this.#db.orders, this.#wdn(this.#k, r.wId, r.dId, r.oId), v, 'orders');
    const ix = this.#k2.reset().u16(r.wId).u8(r.dId).u32(r.cId).u32(r.oId).bytes();
    this.#put(this.#db.orders_cust, ix, LmdbTpcc.EMPTY, 'orders_cust');
  }

  insertNewOrder(w: number, d: number, o: number): void {
    this.#put(this.#db.new_order, this.#wdn(this.#k, w, d, o), LmdbTpcc.EMPTY, 'new_order');
  }

  insertOrderLine(r: OrderLine): void {
    const v = this.#v.reset().i32(r.iId).i32(r.supplyWId).f64(r.deliveryMs).i32(r.quantity).f64(r.amountCents).str(r.distInfo).bytes();
    this.#put(this.#db.order_line, this.#olKey(this.#k, r.wId, r.dId, r.oId, r.number), v, 'order_line');
  }

  // ---------------------------------------------------------------- decoders

  #warehouseOf(w: number, b: Buffer): Warehouse {
    const r = this.#r.at(b);
    const taxBp4 = r.i32();
    const ytdCents = r.f64();
    return { wId: w, taxBp4, ytdCents, name: r.str(), street1: r.str(), street2: r.str(), city: r.str(), state: r.str(), zip: r.str(), raw: b };
  }

  #districtOf(w: number, d: number, b: Buffer): District {
    const r = this.#r.at(b);
    const taxBp4 = r.i32();
    const ytdCents = r.f64();
    const nextOId = r.i32();
    return { wId: w, dId: d, taxBp4, ytdCents, nextOId, name: r.str(), street1: r.str(), street2: r.str(), city: r.str(), state: r.str(),
      zip: r.str(), raw: b };
  }

  #customerOf(w: number, d: number, c: number, b: Buffer): Customer {
    const r = this.#r.at(b);
    const sinceMs = r.f64();
    const creditLimCents = r.f64();
    const discountBp4 = r.i32();
    const balanceCents = r.f64();
    const ytdPaymentCents = r.f64();
    const paymentCnt = r.i32();
    const deliveryCnt = r.i32();
    return { wId: w, dId: d, cId: c, sinceMs, creditLimCents, discountBp4, balanceCents, ytdPaymentCents, paymentCnt, deliveryCnt,
      first: r.str(), middle: r.str(), last: r.str(), street1: r.str(), street2: r.str(), city: r.str(), state: r.str(), zip: r.str(),
      phone: r.str(), credit: r.str(), data: r.str(), raw: null };
  }

  #orderOf(w: number, d: number, o: number, b: Buffer): Order {
    const r = this.#r.at(b);
    const cId = r.i32();
    const entryMs = r.f64();
    const carrier = r.u8();
    return { wId: w, dId: d, oId: o, cId, entryMs, carrierId: carrier === 0 ? null : carrier, olCnt: r.u8(), allLocal: r.u8() === 1, raw: b };
  }

  #lineOf(w: number, d: number, o: number, n: number, b: Buffer): OrderLine {
    const r = this.#r.at(b);
    return { wId: w, dId: d, oId: o, number: n, iId: r.i32(), supplyWId: r.i32(), deliveryMs: r.f64n(), quantity: r.i32(),
      amountCents: r.f64(), distInfo: r.str() };
  }

  // ---------------------------------------------------------------- transaction access

  getWarehouse(w: number): Warehouse | undefined {
    const b = this.#db.warehouse.getBinary(this.#wKey(w));
    return b === undefined ? undefined : this.#warehouseOf(w, b);
  }

  updateWarehouse(r: Warehouse): void {
    const b = r.raw as Buffer;
    b.writeDoubleLE(r.ytdCents, W_YTD);
    this.#db.warehouse.putSync(this.#wKey(r.wId), b);
  }

  getDistrict(w: number, d: number): District | undefined {
    const b = this.#db.district.getBinary(this.#dKey(w, d));
    return b === undefined ? undefined : this.#districtOf(w, d, b);
  }

  updateDistrict(r: District): void {
    const b = r.raw as Buffer;
    b.writeDoubleLE(r.ytdCents, D_YTD);
    b.writeInt32LE(r.nextOId, D_NEXT);
    this.#db.district.putSync(this.#dKey(r.wId, r.dId), b);
  }

  getCustomer(w: number, d: number, c: number): Customer | undefined {
    const b = this.#db.customer.getBinaryFast(this.#wdn(this.#k, w, d, c));
    return b === undefined ? undefined : this.#customerOf(w, d, c, b);
  }

  customersByLastName(w: number, d: number, last: string): Customer[] {
    const start = Buffer.from(this.#k2.reset().u16(w).u8(d).padded(last, NAME_KEY_BYTES).bytes());
    const end = Buffer.concat([start, Buffer.from([0xff])]);
    const out: Customer[] = [];
    for (const key of this.#db.customer_name.getKeys({ start, end })) {
      const c = key.readUInt32BE(key.length - 4);
      const cust = this.getCustomer(w, d, c);
      if (cust === undefined) throw new Error(`lmdb: customer_name entry for missing customer (${w}, ${d}, ${c})`);
      out.push(cust);
    }
    return out;
  }

  updateCustomer(r: Customer): void {
    this.#db.customer.putSync(this.#wdn(this.#k, r.wId, r.dId, r.cId), this.#customerRecord(r));
  }

  addCustomerDelivery(w: number, d: number, c: number, amountCents: number): void {
    const k = this.#wdn(this.#k, w, d, c);
    const b = this.#db.customer.getBinary(k);
    if (b === undefined) throw new Error(`customer (${w}, ${d}, ${c}) not found`);
    b.writeDoubleLE(b.readDoubleLE(C_BALANCE) + amountCents, C_BALANCE);
    b.writeInt32LE(b.readInt32LE(C_DELIVERY_CNT) + 1, C_DELIVERY_CNT);
    this.#db.customer.putSync(k, b);
  }

  getItem(i: number): Item | undefined {
    const b = this.#db.item.getBinaryFast(this.#u32Key(i));
    if (b === undefined) return undefined;
    const r = this.#r.at(b);
    const imId = r.i32();
    const priceCents = r.i32();
    return { iId: i, imId, priceCents, name: r.str(), data: r.str() };
  }

  getStock(w: number, i: number, d: number): Stock | undefined {
    const b = this.#db.stock.getBinary(this.#sKey(w, i));
    if (b === undefined) return undefined;
    const r = this.#r.at(b);
    const quantity = r.i32();
    const ytd = r.i32();
    const orderCnt = r.i32();
    const remoteCnt = r.i32();
    let distInfo = '';
    for (let k = 1; k <= 10; k++) {
      if (k === d) distInfo = r.str();
      else r.skipStr();
    }
    return { wId: w, iId: i, quantity, ytd, orderCnt, remoteCnt, distInfo, data: r.str(), raw: b };
  }

  updateStock(r: Stock): void {
    const b = r.raw as Buffer;
    b.writeInt32LE(r.quantity, 0);
    b.writeInt32LE(r.ytd, 4);
    b.writeInt32LE(r.orderCnt, 8);
    b.writeInt32LE(r.remoteCnt, 12);
    this.#db.stock.putSync(this.#sKey(r.wId, r.iId), b);
  }

  getOrder(w: number, d: number, o: number): Order | undefined {
    const b = this.#db.orders.getBinary(this.#wdn(this.#k, w, d, o));
    return b === undefined ? undefined : this.#orderOf(w, d, o, b);
  }

  updateOrder(r: Order): void {
    const b = r.raw as Buffer;
    b[O_CARRIER] = r.carrierId ?? 0;
    b[O_OL_CNT] = r.olCnt;
    this.#db.orders.putSync(this.#wdn(this.#k, r.wId, r.dId, r.oId), b);
  }

  lastOrderOfCustomer(w: number, d: number, c: number): Order | undefined {
    // Reverse: start is the upper bound (exclusive of nothing: no o is 0), end the lower.
    const start = Buffer.from(this.#k2.reset().u16(w).u8(d).u32(c + 1).u32(0).bytes());
    const end = Buffer.from(this.#k2.reset().u16(w).u8(d).u32(c).u32(0).bytes());
    for (const key of this.#db.orders_cust.getKeys({ start, end, reverse: true, limit: 1 })) {
      return this.getOrder(w, d, key.readUInt32BE(key.length - 4));
    }
    return undefined;
  }

  #lineRange(w: number, d: number, lo: number, hi: number) {
    const start = Buffer.from(this.#olKey(this.#k2, w, d, lo, 0));
    const end = Buffer.from(this.#olKey(this.#k2, w, d, hi, 0));
    return this.#db.order_line.getRange({ start, end });
  }

  orderLines(w: number, d: number, o: number): OrderLine[] {
    const out: OrderLine[] = [];
    for (const { key, value } of this.#lineRange(w, d, o, o + 1)) out.push(this.#lineOf(w, d, o, key[7] as number, value));
    return out;
  }

  deliverOrderLines(w: number, d: number, o: number, deliveryMs: number): number {
    // Collect first: the database must not change under a live cursor.
    const rows: { key: Buffer; value: Buffer }[] = [];
    for (const { key, value } of this.#lineRange(w, d, o, o + 1)) rows.push({ key: Buffer.from(key), value: Buffer.from(value) });
    let sum = 0;
    for (const { key, value: b } of rows) {
      b.writeDoubleLE(deliveryMs, OL_DELIVERY);
      sum += b.readDoubleLE(20);
      this.#db.order_line.putSync(key, b);
    }
    return sum;
  }

  oldestNewOrder(w: number, d: number): number | undefined {
    const start = Buffer.from(this.#wdn(this.#k2, w, d, 0));
    const end = Buffer.from(this.#wdn(this.#k2, w, d + 1, 0));
    for (const key of this.#db.new_order.getKeys({ start, end, limit: 1 })) return key.readUInt32BE(3);
    return undefined;
  }

  deleteNewOrder(w: number, d: number, o: number): boolean {
    return this.#db.new_order.removeSync(this.#wdn(this.#k, w, d, o));
  }

  stockLevel(w: number, d: number, lo: number, hi: number, threshold: number): number {
    const marks = this.#marks.begin();
    let count = 0;
    for (const { value } of this.#lineRange(w, d, lo, hi)) {
      const i = value.readInt32LE(0);
      if (!marks.first(i)) continue;
      const s = this.#db.stock.getBinaryFast(this.#sKey(w, i));
      if (s !== undefined && s.readInt32LE(0) < threshold) count++;
    }
    return count;
  }

  maxHistoryId(): number {
    for (const key of this.#db.history.getKeys({ reverse: true, limit: 1 })) return key.readUInt32BE(0);
    return 0;
  }

  // ---------------------------------------------------------------- scans

  scanWarehouses(fn: (r: Warehouse) => void): void {
    for (const { key, value } of this.#db.warehouse.getRange({})) fn(this.#warehouseOf(key.readUInt16BE(0), value));
  }

  scanDistricts(fn: (r: District) => void): void {
    for (const { key, value } of this.#db.district.getRange({})) fn(this.#districtOf(key.readUInt16BE(0), key[2] as number, value));
  }

  scanCustomers(fn: (r: Customer) => void): void {
    for (const { key, value } of this.#db.customer.getRange({})) {
      fn(this.#customerOf(key.readUInt16BE(0), key[2] as number, key.readUInt32BE(3), value));
    }
  }

  scanHistory(fn: (r: History) => void): void {
    for (const { key, value } of this.#db.history.getRange({})) {
      const r = this.#r.at(value);
      fn({ hId: key.readUInt32BE(0), cId: r.i32(), cDId: r.i32(), cWId: r.i32(), dId: r.i32(), wId: r.i32(), dateMs: r.f64(),
        amountCents: r.f64(), data: r.str() });
    }
  }

  scanOrders(fn: (r: Order) => void): void {
    for (const { key, value } of this.#db.orders.getRange({})) {
      fn(this.#orderOf(key.readUInt16BE(0), key[2] as number, key.readUInt32BE(3), value));
    }
  }

  scanNewOrders(fn: (w: number, d: number, o: number) => void): void {
    for (const key of this.#db.new_order.getKeys({})) fn(key.readUInt16BE(0), key[2] as number, key.readUInt32BE(3));
  }

  scanOrderLines(fn: (r: OrderLine) => void): void {
    for (const { key, value } of this.#db.order_line.getRange({})) {
      fn(this.#lineOf(key.readUInt16BE(0), key[2] as number, key.readUInt32BE(3), key[7] as number, value));
    }
  }

  counts(): TpccCounts {
    const c = (db: Db): number => (db.getStats() as { entryCount: number }).entryCount;
    return { orders: c(this.#db.orders), newOrders: c(this.#db.new_order), history: c(this.#db.history), orderLines: c(this.#db.order_line) };
  }
}
