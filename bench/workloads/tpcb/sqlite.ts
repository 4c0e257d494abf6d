/**
 * TpcbAccess over SQLite (better-sqlite3): pgbench's schema and statements, prepared
 * once, each transaction through db.transaction().
 *
 * Schema (pgbench.c initCreateTables, with its primary keys on branches, tellers and
 * accounts; history has none). The keys are INTEGER PRIMARY KEY — SQLite's rowid, one
 * B-tree clustered on the id as remapdb's and LMDB's tables are (an `int PRIMARY KEY`
 * would add a second index B-tree that PostgreSQL's heap + index does not mirror either).
 * mtime is INTEGER microseconds since the Unix epoch (pgbench: timestamp). filler is
 * char(n) holding n blanks; history's stays NULL, as pgbench's INSERT leaves it.
 */

import type BetterSqlite3 from 'better-sqlite3';

import type { BalanceTable, TpcbAccess } from './access.js';
import { ACCOUNT_FILLER, BRANCH_FILLER, HISTORY_FILLER_BYTES, TABLES, TELLER_FILLER } from './params.js';

type Stmt = BetterSqlite3.Statement;

const BALANCE_COLUMN: Record<BalanceTable, string> = { branches: 'bbalance', tellers: 'tbalance', accounts: 'abalance' };

interface Statements {
  insertBranch: Stmt;
  insertTeller: Stmt;
  insertAccount: Stmt;
  addAccount: Stmt;
  selectAccount: Stmt;
  addTeller: Stmt;
  addBranch: Stmt;
  insertHistory: Stmt;
}

export class SqliteTpcb implements TpcbAccess {
  readonly #db: BetterSqlite3.Database;
  #s: Statements | null = null;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  /** Statements, prepared once the tables exist. */
  get #stmts(): Statements {
    if (this.#s === null) {
      const db = this.#db;
      this.#s = {
        insertBranch: db.prepare(`INSERT INTO ${TABLES.branches} (bid, bbalance, filler) VALUES (?, 0, ?)`),
        insertTeller: db.prepare(`INSERT INTO ${TABLES.tellers} (tid, bid, tbalance, filler) VALUES (?, ?, 0, ?)`),
        insertAccount: db.prepare(`INSERT INTO ${TABLES.accounts} (aid, bid, abalance, filler) VALUES (?, ?, 0, ?)`),
        addAccount: db.prepare(`UPDATE ${TABLES.accounts} SET abalance = abalance + ? WHERE aid = ?`),
        selectAccount: db.prepare(`SELECT abalance FROM ${TABLES.accounts} WHERE aid = ?`).pluck(),
        addTeller: db.prepare(`UPDATE ${TABLES.tellers} SET tbalance = tbalance + ? WHERE tid = ?`),
        addBranch: db.prepare(`UPDATE ${TABLES.branches} SET bbalance = bbalance + ? WHERE bid = ?`),
        insertHistory: db.prepare(`INSERT INTO ${TABLES.history} (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, ?, ?)`),
      };
    }
    return this.#s;
  }

  createSchema(): void {
    this.#db.exec(`
      CREATE TABLE ${TABLES.branches} (bid INTEGER PRIMARY KEY, bbalance INTEGER NOT NULL, filler CHAR(88));
      CREATE TABLE ${TABLES.tellers} (tid INTEGER PRIMARY KEY, bid INTEGER NOT NULL, tbalance INTEGER NOT NULL, filler CHAR(84));
      CREATE TABLE ${TABLES.accounts} (aid INTEGER PRIMARY KEY, bid INTEGER NOT NULL, abalance INTEGER NOT NULL, filler CHAR(84));
      CREATE TABLE ${TABLES.history} (tid INTEGER, bid INTEGER, aid INTEGER, delta INTEGER, mtime INTEGER, filler CHAR(${HISTORY_FILLER_BYTES}));
    `);
  }

  transaction(body: () => void): () => void {
    return this.#db.transaction(body);
  }

  insertBranch(bid: number): void {
    this.#stmts.insertBranch.run(bid, BRANCH_FILLER);
  }

  insertTeller(tid: number, bid: number): void {
    this.#stmts.insertTeller.run(tid, bid, TELLER_FILLER);
  }

  insertAccount(aid: number, bid: number): void {
    this.#stmts.insertAccount.run(aid, bid, ACCOUNT_FILLER);
  }

  #changeOne(stmt: Stmt, table: string, id: number, delta: number): void {
    if (stmt.run(delta, id).changes !== 1) throw new Error(`tpcb: ${table} row ${id} is missing`);
  }

  addAccountBalance(aid: number, delta: number): void {
    this.#changeOne(this.#stmts.addAccount, TABLES.accounts, aid, delta);
  }

  accountBalance(aid: number): number {
    const v = this.#stmts.selectAccount.get(aid) as number | undefined;
    if (v === undefined) throw new Error(`tpcb: ${TABLES.accounts} row ${aid} is missing`);
    return v;
  }

  addTellerBalance(tid: number, delta: number): void {
    this.#changeOne(this.#stmts.addTeller, TABLES.tellers, tid, delta);
  }

  addBranchBalance(bid: number, delta: number): void {
    this.#changeOne(this.#stmts.addBranch, TABLES.branches, bid, delta);
  }

  insertHistory(tid: number, bid: number, aid: number, delta: number, mtimeUs: number): void {
    this.#stmts.insertHistory.run(tid, bid, aid, delta, mtimeUs);
  }

  rowCount(table: BalanceTable | 'history'): number {
    return this.#db.prepare(`SELECT count(*) FROM ${TABLES[table]}`).pluck().get() as number;
  }

  sumBalance(table: BalanceTable): number {
    return this.#db.prepare(`SELECT coalesce(sum(${BALANCE_COLUMN[table]}), 0) FROM ${TABLES[table]}`).pluck().get() as number;
  }

  forEachBalance(table: BalanceTable, visit: (id: number, balance: number) => void): void {
    const id = { branches: 'bid', tellers: 'tid', accounts: 'aid' }[table];
    const rows = this.#db.prepare(`SELECT ${id}, ${BALANCE_COLUMN[table]} FROM ${TABLES[table]} ORDER BY ${id}`).raw().iterate();
    for (const row of rows as Iterable<[number, number]>) visit(row[0], row[1]);
  }

  sumHistoryDelta(): number {
    return this.#db.prepare(`SELECT coalesce(sum(delta), 0) FROM ${TABLES.history}`).pluck().get() as number;
  }
}
