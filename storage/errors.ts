/**
 * The storage engine's error codes — the one table of them, the page file's and the key
 * codec's included — and its one coded error class, DbError. Every error a caller can see
 * carries one of these stable codes (or an errno / REMAPDB_POOL_* code from a lower layer
 * as its `cause`), and a message that names the value, the limit and what to do. Bugs are
 * not coded errors: they are assertions (assert.ts).
 */

import { CodedError } from '../sim-kernel/errors.js';

export const DB_CODES = {
  /** Another open (this process or another) holds the database directory. */
  LOCKED: 'REMAPDB_LOCKED',
  /** The database (or table, or iterator) is closed. */
  CLOSED: 'REMAPDB_CLOSED',
  /** A bad option or argument value. */
  INVALID: 'REMAPDB_INVALID_ARGUMENT',
  NO_TABLE: 'REMAPDB_NO_SUCH_TABLE',
  NO_INDEX: 'REMAPDB_NO_SUCH_INDEX',
  EXISTS: 'REMAPDB_TABLE_EXISTS',
  /** insert() of a key that is present. */
  DUPLICATE: 'REMAPDB_DUPLICATE_KEY',
  /** update() of a key that is absent. */
  NOT_FOUND: 'REMAPDB_KEY_NOT_FOUND',
  /** A unique secondary index already has the indexed value. */
  UNIQUE: 'REMAPDB_UNIQUE_VIOLATION',
  KEY_TOO_LARGE: 'REMAPDB_KEY_TOO_LARGE',
  VALUE_TOO_LARGE: 'REMAPDB_VALUE_TOO_LARGE',
  /** A key that does not match the table's key schema. */
  KEY_TYPE: 'REMAPDB_KEY_TYPE',
  VALUE_TYPE: 'REMAPDB_VALUE_TYPE',
  /** A transaction changed more pages than the buffer pool's shadow frames hold. */
  TXN_TOO_LARGE: 'REMAPDB_TXN_TOO_LARGE',
  /** Misuse of transactions: a write outside one where one is needed, a nested open, … */
  TXN_STATE: 'REMAPDB_TXN_STATE',
  /** The WAL does not belong to this page file, or is damaged before its last commit. */
  WAL_CORRUPT: 'REMAPDB_WAL_CORRUPT',
  /** A failed write or sync: the database refuses changes until reopened (sticky). */
  FAILED: 'REMAPDB_FAILED',
  /** meta.sqlite is unreadable or belongs to another database. */
  CATALOG: 'REMAPDB_CATALOG',
  /** The page file is not a remapdb page file. */
  FOREIGN: 'REMAPDB_FOREIGN_FILE',
  /** The page file has a newer format than this remapdb reads. */
  NEWER: 'REMAPDB_FORMAT_NEWER',
  /** The page file's page size is not the one asked for. */
  PAGE_SIZE: 'REMAPDB_PAGE_SIZE_MISMATCH',
  /** The page file is shorter than its superblock says. */
  TRUNCATED: 'REMAPDB_TRUNCATED',
  /** A page (or stored value) failed its checksum or a structure check: the database is damaged. */
  CORRUPT: 'REMAPDB_CORRUPT',
  /**
   * A key part that cannot be encoded (NaN, a symbol, an object, …) or key bytes that do
   * not decode: a DbError whose message and details name the table, the index and the
   * field or key part where there is one (tuple.ts raises it, codec.ts and index-table.ts
   * add the names).
   */
  KEY_INVALID: 'REMAPDB_KEY_INVALID',
  /** The database path is an existing file, not a directory. */
  NOT_DIRECTORY: 'REMAPDB_NOT_A_DIRECTORY',
  /**
   * The directory holds files but no remapdb database: refused unless the caller passes
   * `allowForeignFiles: true` (the database's files are then created beside the others).
   */
  FOREIGN_DIRECTORY: 'REMAPDB_FOREIGN_DIRECTORY',
  /** An option name open() does not know (the message suggests the closest known one). */
  UNKNOWN_OPTION: 'REMAPDB_UNKNOWN_OPTION',
} as const;

export type DbCode = (typeof DB_CODES)[keyof typeof DB_CODES];

export class DbError extends CodedError {}

/** Throw a DbError with `code`; `details` name the offending value and its limit. */
export function dbError(code: DbCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): DbError {
  return new DbError(code, message, cause === undefined ? { details } : { details, cause });
}
