/**
 * The TPC-B-like workload's logic, written once over TpcbAccess: the loader, pgbench's
 * default ("TPC-B (sort of)") script as one transaction, the terminals and the checks.
 *
 * pgbench's built-in script, statement for statement (pgbench.c builtin_script[0]):
 *   \set aid random(1, 100000 * :scale)
 *   \set bid random(1, 1 * :scale)
 *   \set tid random(1, 10 * :scale)
 *   \set delta random(-5000, 5000)
 *   BEGIN;
 *   UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
 *   SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
 *   UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
 *   UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
 *   INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
 *   END;
 * bid is drawn on its own, not from the account (so tellers and accounts of one
 * transaction usually belong to other branches than bid).
 *
 * Invariants:
 *  1. A step draws aid, bid, tid, delta in pgbench's order from its terminal's Rng only.
 *  2. mtime comes from the bound workload's logical clock (one microsecond per started
 *     transaction from MTIME_EPOCH_US), never the wall clock, so a run replays exactly.
 *  3. Every committed step adds delta to exactly one account, one teller and one branch
 *     and adds one history row with that delta, so Σabalance = Σtbalance = Σbbalance =
 *     Σhistory.delta and count(history) = committed steps hold after every commit.
 */

import type { Rng } from '../rng.js';
import type { CheckResult, LoadProgress, Terminal } from '../types.js';
import type { TpcbAccess } from './access.js';
import { accountBranch, TELLERS_PER_BRANCH, type TpcbParams, tellerBranch } from './params.js';

/** Rows per load transaction: a remapdb transaction must fit the pool's shadow pages (~100-byte rows: ~250 pages). */
export const LOAD_BATCH_ROWS = 10_000;
/** mtime's epoch: 2000-01-01T00:00:00Z in microseconds (PostgreSQL's timestamp epoch). */
export const MTIME_EPOCH_US = 946_684_800_000_000;

/** One transaction's inputs and its SELECT's result. */
export interface TpcbStep {
  aid: number;
  bid: number;
  tid: number;
  delta: number;
  mtimeUs: number;
  /** The abalance the transaction's SELECT returned. */
  abalance: number;
}

/** The logical clock shared by a bound workload's terminals. */
export interface TpcbClock {
  nowUs: number;
}

/** pgbench's \set lines: aid, bid, tid, delta in that order (invariant 1). */
export function drawTpcb(rng: Rng, p: TpcbParams, into: TpcbStep): void {
  into.aid = rng.int(1, p.accountsPerBranch * p.scale);
  into.bid = rng.int(1, p.scale);
  into.tid = rng.int(1, TELLERS_PER_BRANCH * p.scale);
  into.delta = rng.int(-5000, 5000);
}

/** The transaction body, statement for statement as pgbench's script; returns the SELECTed abalance. */
export function tpcbTransaction(a: TpcbAccess, s: TpcbStep): number {
  a.addAccountBalance(s.aid, s.delta);
  const abalance = a.accountBalance(s.aid);
  a.addTellerBalance(s.tid, s.delta);
  a.addBranchBalance(s.bid, s.delta);
  a.insertHistory(s.tid, s.bid, s.aid, s.delta, s.mtimeUs);
  return abalance;
}

/** pgbench -i: branches, tellers, accounts with zero balances, in batches of LOAD_BATCH_ROWS rows. */
export function loadTpcb(a: TpcbAccess, p: TpcbParams, progress: LoadProgress): void {
  a.createSchema();
  const total = p.scale * (1 + TELLERS_PER_BRANCH + p.accountsPerBranch);
  let done = 0;
  const batches = (count: number, put: (id: number) => void): void => {
    for (let from = 1; from <= count; from += LOAD_BATCH_ROWS) {
      const to = Math.min(count, from + LOAD_BATCH_ROWS - 1);
      a.transaction(() => {
        for (let id = from; id <= to; id++) put(id);
      })();
      done += to - from + 1;
      progress(done, total);
    }
  };
  batches(p.scale, (bid) => a.insertBranch(bid));
  batches(TELLERS_PER_BRANCH * p.scale, (tid) => a.insertTeller(tid, tellerBranch(tid)));
  batches(p.accountsPerBranch * p.scale, (aid) => a.insertAccount(aid, accountBranch(aid, p.accountsPerBranch)));
}

/** A pgbench client: one 'tpcb' transaction per step. */
export class TpcbTerminal implements Terminal {
  readonly rolledBack = false;
  /** The last step's draws and result (the same object every step). */
  readonly last: TpcbStep = { aid: 0, bid: 0, tid: 0, delta: 0, mtimeUs: 0, abalance: 0 };
  readonly #rng: Rng;
  readonly #params: TpcbParams;
  readonly #clock: TpcbClock;
  readonly #run: () => void;

  constructor(access: TpcbAccess, params: TpcbParams, rng: Rng, clock: TpcbClock) {
    this.#rng = rng;
    this.#params = params;
    this.#clock = clock;
    const last = this.last;
    // Made once (access invariant 2): the step reuses this function and `last`.
    this.#run = access.transaction(() => {
      last.abalance = tpcbTransaction(access, last);
    });
  }

  step(): number {
    drawTpcb(this.#rng, this.#params, this.last);
    this.last.mtimeUs = this.#clock.nowUs++;
    this.#run();
    return 0;
  }
}

/** Counters read before and after a run: history rows and Σabalance. */
export function tpcbCounters(a: TpcbAccess): Record<string, number> {
  return { history: a.rowCount('history'), sumAbalance: a.sumBalance('accounts') };
}

/**
 * The checks: row counts of the loaded tables; Σabalance, Σtbalance and Σbbalance each
 * equal to Σhistory.delta (so all four are equal, and a failure names the table that
 * drifted); count(history) = committed 'tpcb' transactions when the count is given.
 */
export function checkTpcb(a: TpcbAccess, p: TpcbParams, committed?: Readonly<Record<string, number>>): CheckResult[] {
  const out: CheckResult[] = [];
  const want = { branches: p.scale, tellers: TELLERS_PER_BRANCH * p.scale, accounts: p.accountsPerBranch * p.scale };
  const rows = { branches: a.rowCount('branches'), tellers: a.rowCount('tellers'), accounts: a.rowCount('accounts') };
  out.push({
    id: 'tpcb-rows',
    ok: rows.branches === want.branches && rows.tellers === want.tellers && rows.accounts === want.accounts,
    detail: `branches ${rows.branches} (want ${want.branches}), tellers ${rows.tellers} (want ${want.tellers}), ` +
      `accounts ${rows.accounts} (want ${want.accounts})`,
  });
  const h = a.sumHistoryDelta();
  const sums = { abalance: a.sumBalance('accounts'), tbalance: a.sumBalance('tellers'), bbalance: a.sumBalance('branches') };
  for (const [name, v] of Object.entries(sums)) {
    out.push({ id: `tpcb-sum-${name}`, ok: v === h, detail: `Σ${name} = ${v}, Σhistory.delta = ${h}` });
  }
  const count = a.rowCount('history');
  const tx = committed?.['tpcb'];
  out.push(tx === undefined
    ? { id: 'tpcb-history-count', ok: true, detail: `count(history) = ${count} (no committed count given)` }
    : { id: 'tpcb-history-count', ok: count === tx, detail: `count(history) = ${count}, committed tpcb = ${tx}` });
  return out;
}
