/**
 * What a workload offers the harness (bench/harness/): a schema and a deterministic
 * loader, terminals that each run one transaction at a time chosen by the workload's
 * mix, consistency checks, and counters read from the database before and after a run.
 *
 * A workload is bound to one opened engine (a Store, stores.ts) and implements its data
 * access natively for each engine — remapdb's public API, SQL through better-sqlite3,
 * get/put through lmdb-js — while the transaction logic (what is read, computed and
 * written) is written once per workload, so every engine runs the same transactions.
 *
 * Invariants the harness relies on:
 *  1. load() with the same params and seed writes the same logical rows on every engine.
 *  2. Every terminal step() is one logical transaction, committed on return (one commit
 *     per transaction) or rolled back as a whole; a workload-intended rollback returns
 *     normally with `rolledBack` true; any other failure throws.
 *  3. A terminal's draws come only from its own Rng (rng.ts workerRng), so a run
 *     replays from its seed given the same terminal count and step order.
 *  4. check() reads the database only and reports every check, failed or not.
 */

import type { Store } from './stores.js';

/** One transaction type and its share of the target mix (weights sum to 100). */
export interface TxType {
  readonly name: string;
  readonly weight: number;
}

/** The outcome of one consistency check; `detail` names the values compared. */
export interface CheckResult {
  readonly id: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** One client: its own Rng, its own home (TPC-C warehouse/district), one transaction at a time. */
export interface Terminal {
  /**
   * Run one transaction chosen by the mix; returns the index of its type in the
   * workload's txTypes. Sets rolledBack when the workload itself rolled it back
   * (TPC-C's 1 % New-Order); throws on any error.
   */
  step(): number;
  readonly rolledBack: boolean;
  /**
   * The type index of the transaction step() last chose, set before it runs — so the
   * harness can attribute a transaction that threw to its type.
   */
  readonly lastType?: number;
}

/** Load progress: rows written so far of the expected total. */
export type LoadProgress = (rowsDone: number, rowsTotal: number) => void;

/** A workload bound to one opened engine. */
export interface BoundWorkload {
  /** Create the schema and load the initial rows, in bounded-size transactions. */
  load(progress: LoadProgress): void;
  /** `count` terminals for a run seeded `seed` (terminal i draws from workerRng(seed, i)). */
  terminals(count: number, seed: number): Terminal[];
  /**
   * Every consistency check of the workload (refs/workloads.md), failed ones included.
   * `committed`, when given, is the number of committed transactions of each type name
   * since the load (the harness's count over a run that started from the loaded image),
   * for the checks that compare the database with it (TPC-C's count(ORDERS) − initial =
   * committed New-Orders, TPC-B's count(history), YCSB's row count).
   */
  check(committed?: Readonly<Record<string, number>>): CheckResult[];
  /**
   * Figures read from the database, e.g. TPC-C's Σ D_NEXT_O_ID (committed New-Orders =
   * its difference over the run); the harness reads them before and after.
   */
  counters(): Record<string, number>;
}

export interface Workload<P> {
  /** 'tpcc', 'tpcb', 'ycsb-a' … 'ycsb-f'. */
  readonly name: string;
  readonly title: string;
  readonly txTypes: readonly TxType[];
  /** Parameters with defaults filled in and validated (throws RangeError naming the field and its limit). */
  params(input: Partial<P>): P;
  /** Rows the loader writes for these params (for progress and sizing). */
  loadRows(params: P): number;
  bind(store: Store, params: P): BoundWorkload;
}
