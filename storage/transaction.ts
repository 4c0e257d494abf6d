/**
 * Transactions over the pager: `run` opens one (or a savepoint inside one), commits when
 * its function returns and rolls back when it throws; `write` is TableHost.write, a change
 * in the open transaction or an autocommit one.
 *
 * Poison: an error a table operation raises part-way through a change (anything but the
 * PRECHECK_CODES, raised before it changes anything) leaves the transaction's pages in an
 * unknown state, so the transaction is poisoned: every later change and the commit throw
 * REMAPDB_TXN_STATE naming the first error, and the outermost run rolls it back. Rolling
 * back to a savepoint at or above the poisoning depth clears it.
 *
 * States (the function behind each transition):
 *   idle ── run (Pager.begin) ──> open ── run nested (Pager.savepoint) ──> savepoint ── (release | rollbackTo) ──> open
 *   open ── fn returned (commit → Pager.commit) ──> idle;  open ── fn threw (Pager.rollback) ──> idle
 */

import { BufferPoolError, POOL_ERROR_CODES } from '../bufferpool/index.js';
import { DB_CODES, dbError, DbError } from './errors.js';
import type { Pager } from './pager.js';

/** Errors a table operation raises before it changes anything: they do not abort the transaction. */
export const PRECHECK_CODES = new Set<string>([
  DB_CODES.DUPLICATE, DB_CODES.NOT_FOUND, DB_CODES.UNIQUE, DB_CODES.KEY_TOO_LARGE, DB_CODES.VALUE_TOO_LARGE, DB_CODES.KEY_TYPE,
  DB_CODES.VALUE_TYPE,
]);

/** Handle a failed transaction function: the error, and whether the transaction is poisoned. */
interface Poison {
  error: Error;
  depth: number;
}

/** What transactions need from their database. */
export interface TransactionHost {
  checkOpen(): void;
  /** Throw REMAPDB_FAILED if the database has failed (sticky). */
  checkWritable(): void;
  /** Record a failure of `what` as sticky and return the error to throw. */
  fail(err: unknown, what: string): Error;
  /** After each commit (the automatic checkpoint). */
  afterCommit(): void;
}

export class Transactions {
  readonly #pager: Pager;
  readonly #host: TransactionHost;
  #poison: Poison | null = null;
  #txnId = 0;
  /** Committed transactions. */
  commits = 0;
  /** Rolled-back transactions. */
  rollbacks = 0;

  constructor(pager: Pager, host: TransactionHost) {
    this.#pager = pager;
    this.#host = host;
  }

  run<R>(fn: () => R): R {
    this.#host.checkOpen();
    const pager = this.#pager;
    if (pager.inTransaction) {
      pager.savepoint();
      const depth = pager.savepointDepth;
      let r: R;
      try {
        r = fn();
        checkResult(r);
      } catch (err) {
        pager.rollbackTo();
        if (this.#poison !== null && this.#poison.depth >= depth) this.#poison = null;
        throw err;
      }
      pager.release();
      return r;
    }
    this.#host.checkWritable();
    pager.begin(++this.#txnId);
    let r: R;
    try {
      r = fn();
      checkResult(r);
      if (this.#poison !== null) {
        throw dbError(DB_CODES.TXN_STATE, `the transaction was aborted by an earlier error: ${this.#poison.error.message}`, {},
          this.#poison.error);
      }
    } catch (err) {
      this.#poison = null;
      pager.rollback();
      this.rollbacks++;
      throw translate(err);
    }
    this.#commit();
    return r;
  }

  #commit(): void {
    try {
      this.#pager.commit();
    } catch (err) {
      this.rollbacks++;
      // The pool out of slots for page 0 (the superblock's fields) at commit is the
      // transaction's size, like running out while it ran: rolled back, the database sound.
      throw this.#host.fail(translate(err), 'commit');
    }
    this.commits++;
    this.#host.afterCommit();
  }

  /** TableHost.write: a change in the open transaction, else autocommit. */
  write<T>(what: string, fn: () => T): T {
    if (!this.#pager.inTransaction) return this.run(fn);
    if (this.#poison !== null) {
      throw dbError(DB_CODES.TXN_STATE, `${what}: the transaction was aborted by an earlier error: ${this.#poison.error.message}`, {},
        this.#poison.error);
    }
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof DbError) || !PRECHECK_CODES.has(err.code)) {
        this.#poison = { error: err as Error, depth: this.#pager.savepointDepth };
      }
      throw translate(err);
    }
  }
}

function checkResult(r: unknown): void {
  if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
    throw dbError(DB_CODES.TXN_STATE, 'a transaction function returned a promise: transactions are synchronous ' +
      '(finish async work before, or after, the transaction)');
  }
}

/** The pool out of shadow frames is the transaction's size: REMAPDB_TXN_TOO_LARGE. */
function translate(err: unknown): unknown {
  if (err instanceof BufferPoolError && err.code === POOL_ERROR_CODES.EXHAUSTED) {
    return dbError(DB_CODES.TXN_TOO_LARGE, `the transaction needs more buffer-pool pages than there are: ${err.message}`, {}, err);
  }
  return err;
}
