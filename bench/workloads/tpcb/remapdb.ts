/**
 * TpcbAccess over remapdb's public API: one table per pgbench table, key ['int'], value
 * 'bytes' holding the fixed records of records.ts (the same bytes LMDB stores).
 *
 * Why 'bytes' and not 'tuple': with tuple values every get decodes the 84-byte filler
 * string byte by byte (storage/tuple.ts decodeKey) and every update re-encodes it: at
 * scale 10, sync off, that was 15 % of the CPU and 24 K tx/s against 44 K tx/s with these
 * records (20 s runs, --cpu-prof). A fixed record changes its balance with 8 byte writes.
 *
 * pgbench's history has no key; a remapdb table needs one, so each row gets the next
 * value of a counter that continues from the table's largest key (read once, at the
 * first insert), like SQLite's rowid.
 *
 * Hot path: an UPDATE … SET x = x + delta is get (a copy of the record), change the
 * balance in that copy, update — the second descent to the same leaf is cheap (the
 * B+tree caches its path). Scratch records are reused for inserts.
 */

import type { Database, Table } from '../../../storage/index.js';
import type { BalanceTable, TpcbAccess } from './access.js';
import { TABLES } from './params.js';
import {
  addBalance, BALANCE_OFF, H_DELTA_OFF, HISTORY_RECORD_BYTES, historyRecord, loadedRecord, readF64, readI32, RECORD_BYTES,
} from './records.js';

type Tables = Record<BalanceTable | 'history', Table<Uint8Array>>;

export class RemapdbTpcb implements TpcbAccess {
  readonly #db: Database;
  #t: Tables | null = null;
  /** Next history key; −1 until read from the table (first insert). */
  #nextHid = -1;
  readonly #rec = new Uint8Array(RECORD_BYTES);
  readonly #hrec = new Uint8Array(HISTORY_RECORD_BYTES);

  constructor(db: Database) {
    this.#db = db;
  }

  /** The tables, resolved once they exist (after createSchema or on a loaded database). */
  get #tables(): Tables {
    if (this.#t === null) {
      const db = this.#db;
      this.#t = {
        branches: db.table<Uint8Array>(TABLES.branches), tellers: db.table<Uint8Array>(TABLES.tellers),
        accounts: db.table<Uint8Array>(TABLES.accounts), history: db.table<Uint8Array>(TABLES.history),
      };
    }
    return this.#t;
  }

  createSchema(): void {
    for (const name of Object.values(TABLES)) this.#db.createTable(name, { key: ['int'], value: 'bytes' });
  }

  transaction(body: () => void): () => void {
    return this.#db.transaction(body);
  }

  insertBranch(bid: number): void {
    this.#tables.branches.insert(bid, loadedRecord(this.#rec, 'branches', bid));
  }

  insertTeller(tid: number, bid: number): void {
    this.#tables.tellers.insert(tid, loadedRecord(this.#rec, 'tellers', bid));
  }

  insertAccount(aid: number, bid: number): void {
    this.#tables.accounts.insert(aid, loadedRecord(this.#rec, 'accounts', bid));
  }

  #add(table: BalanceTable, id: number, delta: number): void {
    const t = this.#tables[table];
    const rec = t.get(id);
    if (rec === undefined) throw new Error(`tpcb: ${TABLES[table]} row ${id} is missing`);
    addBalance(rec, table, delta);
    t.update(id, rec);
  }

  addAccountBalance(aid: number, delta: number): void {
    this.#add('accounts', aid, delta);
  }

  accountBalance(aid: number): number {
    const rec = this.#tables.accounts.get(aid);
    if (rec === undefined) throw new Error(`tpcb: ${TABLES.accounts} row ${aid} is missing`);
    return readF64(rec, BALANCE_OFF.accounts);
  }

  addTellerBalance(tid: number, delta: number): void {
    this.#add('tellers', tid, delta);
  }

  addBranchBalance(bid: number, delta: number): void {
    this.#add('branches', bid, delta);
  }

  insertHistory(tid: number, bid: number, aid: number, delta: number, mtimeUs: number): void {
    const history = this.#tables.history;
    if (this.#nextHid < 0) {
      let max = 0;
      for (const row of history.range({ reverse: true, limit: 1 })) max = row.key as number;
      this.#nextHid = max + 1;
    }
    history.insert(this.#nextHid++, historyRecord(this.#hrec, tid, bid, aid, delta, mtimeUs));
  }

  rowCount(table: BalanceTable | 'history'): number {
    return this.#tables[table].count;
  }

  sumBalance(table: BalanceTable): number {
    let s = 0;
    this.forEachBalance(table, (_, b) => (s += b));
    return s;
  }

  forEachBalance(table: BalanceTable, visit: (id: number, balance: number) => void): void {
    const off = BALANCE_OFF[table];
    for (const row of this.#tables[table].range()) visit(row.key as number, readF64(row.value, off));
  }

  sumHistoryDelta(): number {
    let s = 0;
    for (const row of this.#tables.history.range()) s += readI32(row.value, H_DELTA_OFF);
    return s;
  }
}
