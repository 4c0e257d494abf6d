/**
 * The data access the YCSB-like ops need, implemented natively per engine (remapdb.ts,
 * sqlite.ts, lmdb.ts); logic.ts writes the ops once over it. One table, usertable,
 * keyed by YCSB's key string, fieldCount fields of fieldLength bytes.
 *
 * Invariants every implementation keeps:
 *  1. insert and updateField run only inside a function made by transaction() (made once
 *     per terminal, committed when its body returns, rolled back when it throws).
 *  2. read and scan run inside or outside a transaction; outside, each reads the
 *     engine's latest committed state (remapdb table.get, a prepared SELECT, getBinary).
 *  3. Keys sort bytewise (ASCII) in every engine, so a scan visits the same rows in the
 *     same order everywhere.
 */

import type { RecordData } from './values.js';

export const USERTABLE = 'usertable';

/** Called per scanned row; `rec` is valid only during the call. */
export type ScanVisitor = (key: string, rec: RecordData) => void;

export interface YcsbAccess {
  /** Create usertable (DDL, outside any transaction). */
  createSchema(): void;
  transaction(body: () => void): () => void;
  /** Insert a new record: `record` is fieldCount × fieldLength bytes; throws if the key exists. */
  insert(key: string, record: Uint8Array): void;
  /** All fields of `key`, or undefined. */
  read(key: string): RecordData | undefined;
  /** Set one field to `value` (fieldLength bytes); throws if the key is absent. */
  updateField(key: string, field: number, value: Uint8Array): void;
  /** Up to `count` records from `startKey` on, in key order; returns the rows visited. */
  scan(startKey: string, count: number, visit: ScanVisitor): number;
  /** Rows in usertable. */
  rowCount(): number;
  /** Every record in key order (checks). */
  scanAll(visit: ScanVisitor): number;
}
