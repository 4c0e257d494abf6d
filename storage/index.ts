/**
 * storage: the embeddable engine — page file (format.ts), B+tree (btree.ts), WAL
 * (wal.ts), pager and transactions (pager.ts), tables and indexes (table.ts), the
 * catalog mirror (catalog.ts), the directory lock (lock.ts), opening and redo
 * (recovery.ts) and the Database that ties them together (database.ts).
 */

export { crc32c } from './crc32c.js';
export * from './format.js';
export { type KeyPart, KEY_ERROR_CODE, compareBytes, decodeKey, encodeKey } from './tuple.js';
export { DB_CODES, type DbCode, DbError } from './errors.js';
export { type KeyInput, type KeyType, type ValueEncoding, KEY_TYPES, VALUE_ENCODINGS } from './codec.js';
export { BTree, MAX_VALUE_BYTES, maxKeyBytes } from './btree.js';
export { type SyncMode, Wal } from './wal.js';
export { Index, type RangeOptions, type Row, Table } from './table.js';
export {
  DATA_FILE, Database, type DatabaseStats, META_FILE, type StorageOptions, SYNC_MODES, WAL_FILE,
} from './database.js';
export * from './introspect.js';
export { readSnapshots, type Snapshot } from './catalog.js';
export type { FormatUpgrade, IntegrityCheck } from './database.js';
