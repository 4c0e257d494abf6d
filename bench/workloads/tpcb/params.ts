/**
 * TPC-B-like parameters and pgbench's table sizes (pgbench.c: nbranches = 1,
 * ntellers = 10, naccounts = 100000 per unit of scale).
 *
 * Invariants:
 *  1. scale is an integer in [1, SCALE_MAX]; accountsPerBranch in [1, ACCOUNTS_PER_BRANCH].
 *  2. Every id fits a 4-byte big-endian key: the largest aid is 100000 × 1000 = 10^8 < 2^32.
 */

export interface TpcbParams {
  /** pgbench's scale factor: branches; tellers = 10 × scale; accounts = accountsPerBranch × scale. */
  scale: number;
  /** pgbench's naccounts (100000); tests shrink it to keep the load tiny. */
  accountsPerBranch: number;
}

/** pgbench's ntellers per branch. */
export const TELLERS_PER_BRANCH = 10;
/** pgbench's naccounts per branch. */
export const ACCOUNTS_PER_BRANCH = 100_000;
export const SCALE_MAX = 1000;

/** pgbench's table names (pgbench.c initCreateTables). */
export const TABLES = {
  branches: 'pgbench_branches',
  tellers: 'pgbench_tellers',
  accounts: 'pgbench_accounts',
  history: 'pgbench_history',
} as const;

/**
 * The char(n) fillers of pgbench's schema. pgbench loads branches, tellers and accounts
 * with an empty filler, which char(n) blank-pads to n spaces; its default script's
 * INSERT INTO pgbench_history leaves filler NULL, so history rows carry no filler bytes.
 */
export const BRANCH_FILLER = ' '.repeat(88);
export const TELLER_FILLER = ' '.repeat(84);
export const ACCOUNT_FILLER = ' '.repeat(84);
export const HISTORY_FILLER_BYTES = 22;

export const DEFAULT_TPCB: TpcbParams = { scale: 10, accountsPerBranch: ACCOUNTS_PER_BRANCH };

function intIn(field: string, v: number, lo: number, hi: number): number {
  if (!(Number.isInteger(v) && v >= lo && v <= hi)) {
    throw new RangeError(`tpcb ${field} = ${String(v)}: must be an integer from ${lo} to ${hi}`);
  }
  return v;
}

/** Defaults filled in and validated (RangeError naming the field, the value and the limit). */
export function tpcbParams(input: Partial<TpcbParams>): TpcbParams {
  return {
    scale: intIn('scale', input.scale ?? DEFAULT_TPCB.scale, 1, SCALE_MAX),
    accountsPerBranch: intIn('accountsPerBranch', input.accountsPerBranch ?? DEFAULT_TPCB.accountsPerBranch, 1, ACCOUNTS_PER_BRANCH),
  };
}

/** Rows of the initial load: branches, tellers and accounts (history starts empty). */
export function tpcbLoadRows(p: TpcbParams): number {
  return p.scale * (1 + TELLERS_PER_BRANCH + p.accountsPerBranch);
}

/** The branch of teller `tid` (pgbench: (tid − 1) / ntellers + 1). */
export function tellerBranch(tid: number): number {
  return Math.floor((tid - 1) / TELLERS_PER_BRANCH) + 1;
}

/** The branch of account `aid` (pgbench: (aid − 1) / naccounts + 1). */
export function accountBranch(aid: number, accountsPerBranch: number): number {
  return Math.floor((aid - 1) / accountsPerBranch) + 1;
}
