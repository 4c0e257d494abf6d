/**
 * The kill test's workload, the same on every engine: transaction i (i = 1, 2, …)
 * inserts row i with valueOf(i) and updates the accumulator row to count + 1 and
 * sum + i, in one transaction. So a database that recovered a whole prefix of the
 * transactions holds rows 1..max and an accumulator of (max, max(max+1)/2); a partial
 * transaction shows as a row without its accumulator update or the reverse; a lost
 * commit as an acknowledged i that is missing.
 */

/** Bytes of a row's value (~100, as a small OLTP row). */
export const VALUE_BYTES = 100;

/** Row i's value: its key, then filler derived from it, VALUE_BYTES ASCII characters. */
export function valueOf(i: number): string {
  const head = `row ${i}:`;
  // A cheap hash of i makes each row's filler differ, so a page that holds another row's
  // bytes (a misdirected write) does not pass for the right one.
  let h = Math.imul(i ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  let s = head;
  while (s.length < VALUE_BYTES) {
    s += (h % 36).toString(36);
    h = (Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) + i) >>> 0;
  }
  return s;
}

/** The accumulator row: how many rows were inserted and the sum of their keys. */
export interface Accumulator {
  count: number;
  sum: number;
}

/** What a database holds after recovery, as the verifier needs it (read by stores/). */
export interface Snapshot {
  /** The row keys present, ascending. */
  keys: number[];
  /** Keys whose value is not valueOf(key). */
  badValues: number[];
  /** The accumulator row; null when absent (a database that never committed). */
  acc: Accumulator | null;
  /** Failures of the engine's own checks (remapdb checkInvariants/integrityReport, SQLite integrity_check). */
  engineProblems: string[];
}
