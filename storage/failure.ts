/**
 * The database's sticky failure (STYLE.md practice 4): after a failed write or sync the
 * database refuses every change, as REMAPDB_FAILED naming the first failure, until it is
 * reopened; reads still work.
 *
 * Owns: the first failure. States: healthy ──record() / a WAL or pool failure seen by
 * poll()──▶ failed (never back: reopen to recover).
 *
 * Invariants:
 *   1. Once set, the first failure never changes (every write is `??=`).
 *   2. An assertion error is a bug: fail() throws it as it is and never records it.
 *   3. A transaction's own limits (TXN_TOO_LARGE, TXN_STATE) pass through unrecorded.
 *
 * Split from database.ts, which asks it before every change and records into it.
 */

import type { BufferPool } from '../bufferpool/index.js';
import { isAssertionError } from './assert.js';
import { DB_CODES, dbError, DbError } from './errors.js';
import type { Wal } from './wal/index.js';

export class StickyFailure {
  #first: Error | null = null;

  /** The failure recorded so far, without asking the WAL and the pool. */
  get recorded(): Error | null {
    return this.#first;
  }

  /** Record `e` unless a failure is recorded already (invariant 1); returns `e`, to throw. */
  record(e: Error): Error {
    this.#first ??= e;
    return e;
  }

  /**
   * The first failure, the WAL's and the pool's included: they fail sticky on their own
   * when a write or sync fails under a transaction (the pool forcing the log for the WAL
   * rule, a schema change's WAL flush, a write-back at eviction), and the database must
   * then refuse changes as REMAPDB_FAILED and say so in `failed` (found by the fault
   * sweep: test/storage/fault-sweep.test.ts).
   */
  poll(wal: Wal, pool: BufferPool): Error | null {
    this.#first ??= wal.failure ?? pool.failed;
    return this.#first;
  }

  /** Throw REMAPDB_FAILED if there is a failure (poll). */
  checkWritable(wal: Wal, pool: BufferPool): void {
    const failed = this.poll(wal, pool);
    if (failed !== null) {
      throw dbError(DB_CODES.FAILED, `the database refuses changes after a failed write: ${failed.message}; close and ` +
        'reopen it (recovery redoes every committed transaction)', {}, failed);
    }
  }

  /**
   * A failed write or sync of `what`: record it as the sticky failure and return the
   * REMAPDB_FAILED to throw. A transaction's own limits pass through unrecorded. An
   * assertion error is a bug: it is thrown as it is, never turned into REMAPDB_FAILED —
   * and recorded, so the database stops taking changes after it (fail-stop: the engine's
   * state is no longer trusted; reopening recovers from the log).
   */
  fail(err: unknown, what: string): Error {
    if (isAssertionError(err)) {
      this.#first ??= err as Error;
      throw err;
    }
    if (err instanceof DbError && (err.code === DB_CODES.TXN_TOO_LARGE || err.code === DB_CODES.TXN_STATE)) return err;
    const e = err as Error;
    this.#first ??= e;
    if (err instanceof DbError && err.code === DB_CODES.FAILED) return err;
    return dbError(DB_CODES.FAILED, `${what} failed; the database refuses changes until reopened: ${e.message}`, {}, e);
  }
}
