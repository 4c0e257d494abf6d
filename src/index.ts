/**
 * remapdb's public entry point (the package "."): `open(dir, options)` returns a Database
 * with tables, secondary indexes and transactions (see src/db.ts and
 * storage/database.ts), plus the layers below it for those who want them — the simulated
 * kernel, the buffer pool, the key encoding — the configuration loader, live inspection,
 * and the errors with their one table of codes (src/errors.ts).
 *
 * @example
 * import { open } from 'remapdb';
 * const db = open('/tmp/shop', { sync: 'full' });
 * const items = db.ensureTable('items', { key: ['string'] });   // Table<unknown, string>
 * items.upsert('apple', { cents: 120 });
 * console.log(items.get('apple'));
 * db.close();
 */

export { open, type OpenOptions } from './db.js';
export {
  Database, type DatabaseStats, DB_CODES, type DbCode, DbError, defaultCheckpointBytes, defaultShadowPages, Index, type IndexSpec,
  type KeyBound, type KeyInput, type KeyOf, type KeyType, type KeyTypeMap, MAX_VALUE_BYTES, maxKeyBytes, type RangeOptions, type Row,
  type StorageOptions, type SyncMode, SYNC_MODES, Table, type TableSpec, type ValueEncoding, VALUE_ENCODINGS,
} from '../storage/index.js';
export * as simKernel from '../sim-kernel/index.js';
export { AssertionFailure, Kernel, type KernelConfig, type KernelConfigInput, KernelError } from '../sim-kernel/index.js';
export {
  BufferPool, BufferPoolError, type BufferPoolOptions, type BufferPoolStats, type PoolSnapshot, openBufferPool,
  POLICY_NAMES, type PolicyName, STRATEGY_NAMES, type StrategyName,
} from '../bufferpool/index.js';
export { type KeyPart, compareBytes, decodeKey, encodeKey } from '../storage/index.js';
export { loadConfig, optionsFromConfig, type RemapdbConfig, toKernelConfig } from './config/index.js';
export { packageRoot, packageVersion } from './meta/index.js';
export { defaultSocketPath, serveInspection, LIVE_METHODS } from './inspect/index.js';
export { InspectClient, InspectServer, type InspectServerOptions, inspectOnce, INSPECT_CODES } from './inspect/index.js';
export { VIEW_NAMES, type ViewName } from './inspect/index.js';
export {
  CodedError, ConfigError, type ConfigErrorCode, ERROR_CODES, type ErrorCodeInfo, type ErrorKind, errorKind, IO_ERRNOS,
  PROGRAM_CODES, REMAPDB_CODES, UsageError,
} from './errors.js';
