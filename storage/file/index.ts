/**
 * storage/file: the page file — its on-disk format (format.ts: superblock and page header
 * OFFSET/SIZE tables, checksums and sealing; opening and redo are storage/recovery.ts and redo.ts), the
 * directory lock (lock.ts), CRC32C (crc32c.ts), the page access contract the trees use
 * (page-io.ts) and byte-buffer helpers (bytes.ts).
 */

export { crc32c } from './crc32c.js';
export * from './format.js';
export { acquireDirLock, type DirLock, LOCK_FILE, LOCK_PID_FILE } from './lock.js';
export type { PageIO } from './page-io.js';
export { allocBytes, copyBytes } from './bytes.js';
