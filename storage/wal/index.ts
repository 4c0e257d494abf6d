/**
 * storage/wal: the write-ahead log — its on-disk format, recovery reader and writer
 * (wal.ts: byte tables, numbered invariants, checkInvariants) and the page-delta record
 * encoding (page-delta.ts).
 */

export { SYNC_MODES, type SyncMode, Wal, WAL_HEADER_BYTES } from './wal.js';
export type { ApplyFn, RecordKind, RecoveryStats, WalOptions, WalStats } from './wal.js';
