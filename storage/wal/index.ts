/**
 * storage/wal: the write-ahead log — its on-disk format (format.ts: byte tables), recovery
 * reader (recover.ts), writer (wal.ts: numbered invariants, checkInvariants), the buffer
 * both share (log-buffer.ts) and the page-delta record encoding (page-delta.ts).
 */

export { SYNC_MODES, type SyncMode, Wal, WAL_HEADER_BYTES } from './wal.js';
export type { ApplyFn, RecordKind, RecoveryStats, WalOptions, WalStats } from './wal.js';
export { applyCheckedRecord } from './recover.js';
