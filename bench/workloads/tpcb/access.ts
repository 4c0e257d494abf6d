/**
 * The data access the TPC-B-like transaction and loader need, implemented natively per
 * engine (remapdb.ts, sqlite.ts, lmdb.ts); logic.ts writes the transaction once over it.
 *
 * Invariants every implementation keeps:
 *  1. The row primitives (insert*, add*Balance, accountBalance, insertHistory) run only
 *     inside a function made by transaction(); they throw if a row they change is absent.
 *  2. transaction(body) is called once per terminal (not per transaction), so the hot
 *     path allocates no closure; the function it returns commits when body returns and
 *     rolls everything back when body throws.
 *  3. Balances are exact integers in every engine (sums compared exactly by the checks).
 *  4. The read methods (counts, sums) run outside transactions and change nothing.
 */

export type BalanceTable = 'accounts' | 'tellers' | 'branches';

export interface TpcbAccess {
  /** Create pgbench's four tables (DDL, outside any transaction). */
  createSchema(): void;
  /** `body` as one committed transaction (made once, called many times). */
  transaction(body: () => void): () => void;

  insertBranch(bid: number): void;
  insertTeller(tid: number, bid: number): void;
  insertAccount(aid: number, bid: number): void;

  /** UPDATE pgbench_accounts SET abalance = abalance + delta WHERE aid = ? */
  addAccountBalance(aid: number, delta: number): void;
  /** SELECT abalance FROM pgbench_accounts WHERE aid = ? */
  accountBalance(aid: number): number;
  addTellerBalance(tid: number, delta: number): void;
  addBranchBalance(bid: number, delta: number): void;
  /** INSERT INTO pgbench_history (tid, bid, aid, delta, mtime); filler stays NULL as in pgbench. */
  insertHistory(tid: number, bid: number, aid: number, delta: number, mtimeUs: number): void;

  /** Rows in a table. */
  rowCount(table: BalanceTable | 'history'): number;
  /** Σ of the table's balance column. */
  sumBalance(table: BalanceTable): number;
  /** Every row's id and balance, in id order (tests compare rows before and after a step). */
  forEachBalance(table: BalanceTable, visit: (id: number, balance: number) => void): void;
  /** Σ history.delta. */
  sumHistoryDelta(): number;
}
