/**
 * TpcbAccess over LMDB (lmdb-js): one named database per pgbench table, keys the id as a
 * 4-byte big-endian unsigned integer (byte order = id order; aid ≤ 10^8 < 2^32), values
 * the fixed records of records.ts; each transaction is one env.transactionSync, followed
 * by the store's LmdbFlusher (bench/lib/peers.ts: LMDB's 'normal' syncs by bytes). History
 * rows get an 8-byte big-endian surrogate key from a counter continued from the largest
 * key (pgbench's history has none).
 *
 * Hot path: getBinaryFast (lmdb-js's reused read buffer, valid until the next get)
 * copied into a scratch record, the balance changed, putSync; scratch keys and records
 * are reused, so a transaction allocates almost nothing.
 */

import type { Database, RootDatabase } from 'lmdb';

import type { LmdbFlusher } from '../../lib/peers.js';
import type { BalanceTable, TpcbAccess } from './access.js';
import { TABLES } from './params.js';
import {
  addBalance, BALANCE_OFF, H_DELTA_OFF, HISTORY_RECORD_BYTES, historyRecord, loadedRecord, readF64, readI32, RECORD_BYTES,
} from './records.js';

type Db = Database<Buffer, Buffer>;

const NO_OVERWRITE = { noOverwrite: true };

/** The 4-byte key of id `id` in a scratch buffer. */
export function idKey(into: Buffer, id: number): Buffer {
  into.writeUInt32BE(id, 0);
  return into;
}

export class LmdbTpcb implements TpcbAccess {
  readonly #env: RootDatabase<Buffer, Buffer>;
  readonly #flusher: LmdbFlusher;
  readonly #dbs: Record<BalanceTable | 'history', Db>;
  readonly #key = Buffer.alloc(4);
  readonly #hkey = Buffer.alloc(8);
  readonly #rec = Buffer.alloc(RECORD_BYTES);
  readonly #hrec = Buffer.alloc(HISTORY_RECORD_BYTES);
  #nextHid = -1;

  constructor(env: RootDatabase<Buffer, Buffer>, flusher: LmdbFlusher) {
    this.#env = env;
    this.#flusher = flusher;
    const open = (name: string): Db => env.openDB<Buffer, Buffer>({ name, encoding: 'binary', keyEncoding: 'binary' });
    this.#dbs = {
      branches: open(TABLES.branches), tellers: open(TABLES.tellers), accounts: open(TABLES.accounts), history: open(TABLES.history),
    };
  }

  /** The named databases exist from the constructor on (openDB creates them). */
  createSchema(): void {}

  transaction(body: () => void): () => void {
    const env = this.#env;
    const flusher = this.#flusher;
    return () => {
      env.transactionSync(body);
      flusher.committed();
    };
  }

  #insert(table: BalanceTable, id: number, bid: number): void {
    const rec = loadedRecord(this.#rec, table, bid);
    // putSync returns whether it wrote (false for an existing key under noOverwrite); typed void.
    const wrote = this.#dbs[table].putSync(idKey(this.#key, id), rec, NO_OVERWRITE) as unknown as boolean;
    if (!wrote) throw new Error(`tpcb: ${TABLES[table]} row ${id} already exists`);
  }

  insertBranch(bid: number): void {
    this.#insert('branches', bid, bid);
  }

  insertTeller(tid: number, bid: number): void {
    this.#insert('tellers', tid, bid);
  }

  insertAccount(aid: number, bid: number): void {
    this.#insert('accounts', aid, bid);
  }

  #add(table: BalanceTable, id: number, delta: number): void {
    const db = this.#dbs[table];
    const key = idKey(this.#key, id);
    const old = db.getBinaryFast(key);
    if (old === undefined) throw new Error(`tpcb: ${TABLES[table]} row ${id} is missing`);
    const rec = this.#rec;
    // getBinaryFast's buffer is lmdb-js's 16 MiB read buffer with `length` overridden, which
    // Buffer.copy mishandles; a typed-array set of the record's bytes is exact.
    rec.set(old.subarray(0, RECORD_BYTES));
    addBalance(rec, table, delta);
    db.putSync(key, rec);
  }

  addAccountBalance(aid: number, delta: number): void {
    this.#add('accounts', aid, delta);
  }

  accountBalance(aid: number): number {
    const v = this.#dbs.accounts.getBinaryFast(idKey(this.#key, aid));
    if (v === undefined) throw new Error(`tpcb: ${TABLES.accounts} row ${aid} is missing`);
    return readF64(v, BALANCE_OFF.accounts);
  }

  addTellerBalance(tid: number, delta: number): void {
    this.#add('tellers', tid, delta);
  }

  addBranchBalance(bid: number, delta: number): void {
    this.#add('branches', bid, delta);
  }

  insertHistory(tid: number, bid: number, aid: number, delta: number, mtimeUs: number): void {
    const db = this.#dbs.history;
    if (this.#nextHid < 0) {
      let max = 0;
      for (const k of db.getKeys({ reverse: true, limit: 1 })) max = (k as Buffer).readUInt32BE(0) * 2 ** 32 + (k as Buffer).readUInt32BE(4);
      this.#nextHid = max + 1;
    }
    const hid = this.#nextHid++;
    this.#hkey.writeUInt32BE(Math.floor(hid / 2 ** 32), 0);
    this.#hkey.writeUInt32BE(hid >>> 0, 4);
    db.putSync(this.#hkey, historyRecord(this.#hrec, tid, bid, aid, delta, mtimeUs));
  }

  rowCount(table: BalanceTable | 'history'): number {
    return this.#dbs[table].getCount();
  }

  sumBalance(table: BalanceTable): number {
    let s = 0;
    this.forEachBalance(table, (_, b) => (s += b));
    return s;
  }

  forEachBalance(table: BalanceTable, visit: (id: number, balance: number) => void): void {
    const off = BALANCE_OFF[table];
    for (const { key, value } of this.#dbs[table].getRange({})) visit(key.readUInt32BE(0), readF64(value, off));
  }

  sumHistoryDelta(): number {
    let s = 0;
    for (const { value } of this.#dbs.history.getRange({})) s += readI32(value, H_DELTA_OFF);
    return s;
  }
}
