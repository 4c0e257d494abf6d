/**
 * storage: the embeddable engine — the page file and its lock (file/), the B+tree (btree/),
 * the WAL (wal/), opening (recovery.ts) and redo over both (redo.ts), pager and transactions
 * (pager.ts, freelist.ts, transaction.ts), tables
 * and indexes (table.ts, index-table.ts) with their key and value encodings (tuple.ts,
 * codec.ts, value-codec.ts), the catalog mirror (catalog.ts, catalog-snapshots.ts) and the
 * Database that ties them together (database.ts, options.ts, directory.ts, open-files.ts,
 * checkpoint.ts). Everything outside storage/ imports it through this file.
 */

export { crc32c } from './file/crc32c.js';
export * from './file/format.js';
export { type KeyPart, KEY_ERROR_CODE, compareBytes, decodeKey, encodeKey } from './tuple.js';
export { DB_CODES, type DbCode, DbError } from './errors.js';
export {
  DEFAULT_VALUE_ENCODING, type KeyBound, type KeyInput, type KeyOf, type KeyType, type KeyTypeMap, type ValueEncoding, KEY_TYPES, VALUE_ENCODINGS,
} from './codec.js';
export { checkOptionNames, closestName, STORAGE_OPTION_NAMES } from './options.js';
export { REMAPDB_FILES } from './directory.js';
export { BTree, MAX_VALUE_BYTES, maxKeyBytes } from './btree/tree.js';
export { type SyncMode, Wal, WAL_HEADER_BYTES } from './wal/wal.js';
export { Index } from './index-table.js';
export { type RangeOptions, type Row, Table } from './table.js';
export {
  DATA_FILE, Database, type DatabaseStats, defaultCheckpointBytes, defaultShadowPages, type FormatUpgrade, type IndexSpec, type IntegrityCheck,
  META_FILE, type StorageOptions, SYNC_MODES, type TableSpec, WAL_FILE,
} from './database.js';
export * from './introspect.js';
export { readSnapshots, type Snapshot } from './catalog-snapshots.js';
export { readCatalogObjects } from './catalog-read.js';
export { type CatalogObject } from './catalog.js';
