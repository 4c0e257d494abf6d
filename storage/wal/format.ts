/**
 * The WAL's on-disk format: the header block and record layout (byte tables below), their
 * constants, header encode/parse and the record shape check. Pure functions over byte
 * arrays: no I/O and no state, so the writer (wal.ts) and the recovery reader
 * (recover.ts) agree on every byte by sharing this file.
 *
 * Why this format
 * ---------------
 * - A full page image (FPI) at a page's first change after a checkpoint, deltas after
 *   it (page file format 2; pager.ts decides). A delta sets the bytes that changed, to
 *   their new values. Replaying every delta since the checkpoint onto whatever the file
 *   holds — the checkpointed page, a later version the kernel wrote back, or a torn mix
 *   of such versions sector by sector — would yield the right page (a byte some
 *   transaction changed takes its last logged value; a byte none changed is equal in
 *   every version), and format 1 relied on that. But it cannot tell a torn page from a
 *   damaged one: a flipped bit in a byte no delta touches came back resealed as sound
 *   (found by the corrupt-input fuzzer). With the image first, redo never needs the
 *   file's copy of a page it changes, and can verify the checksum of every copy it does
 *   read (redo.ts) — PostgreSQL's full_page_writes, for a different reason. The
 *   price is one page image per page changed per checkpoint interval (README: its cost
 *   on TPC-B and TPC-C). A later record is an FPI too when the delta would not be smaller.
 * - Deltas rather than SQLite's page-images-only WAL: a TPC-B transaction changes ~4
 *   pages by ~100 bytes each. Images would write and checksum ~16 KiB per commit; deltas
 *   ~200 bytes plus 16-byte record headers — the benchmarks need ~100K tx/s. Between
 *   checkpoints most commits touch pages already imaged, so they stay deltas.
 * - Chained CRC32C: each record's checksum covers its header and payload and is seeded
 *   with the previous record's checksum; the chain starts from the header checksum,
 *   which covers both salts and baseLsn. A torn record breaks the chain, and so does a
 *   stale record of an earlier generation (another salt2) or of another database
 *   (salt1) — recovery stops at the first break. The price: nothing after a damaged
 *   record is recoverable (as in PostgreSQL and SQLite).
 * - LSN = byte position in the endless logical log: a record at file offset o has LSN
 *   baseLsn + (o - WAL_HEADER_BYTES); a commit LSN is the LSN just past the commit
 *   record. reset() starts a new file generation at a base >= the old end, so LSNs only
 *   grow. Values stay below 2^53 (two u32 halves on disk).
 * - The header fills a 4096-byte block of its own (64 bytes used): appends never
 *   rewrite the header's sector or file page, so a torn append cannot destroy the
 *   header (a 64-byte header would share its sector with the first records). It is
 *   written only at creation and at reset(), after an ftruncate to 0, so a crash in
 *   between leaves either the complete header or a file shorter than one (or zeros),
 *   which open() treats as empty and recreates.
 *
 * WAL header (file offset 0; all integers little-endian):
 * | OFFSET | SIZE | DESCRIPTION                                                      |
 * |--------|------|------------------------------------------------------------------|
 * | 0      | 8    | magic "REMAPWAL"                                                 |
 * | 8      | 4    | format version (WAL_VERSION)                                     |
 * | 12     | 4    | page size of the database, bytes                                 |
 * | 16     | 4    | salt1: the database salt (page file superblock offset 48)       |
 * | 20     | 4    | salt2: new at every reset, chosen by the caller                  |
 * | 24     | 8    | baseLsn: LSN of the first record byte (two u32, low first)       |
 * | 32     | 4    | header block bytes = offset of the first record (4096)          |
 * | 36     | 24   | reserved, zero                                                   |
 * | 60     | 4    | CRC32C of bytes 0..59: the seed of the record checksum chain     |
 * | 64     | 4032 | zero (the rest of the header block)                              |
 *
 * Record (from offset 4096 on, back to back, no padding):
 * | OFFSET | SIZE | DESCRIPTION                                                      |
 * |--------|------|------------------------------------------------------------------|
 * | 0      | 1    | type: 1 = FPI, 2 = DELTA, 3 = COMMIT                             |
 * | 1      | 1    | reserved, zero                                                   |
 * | 2      | 2    | payload bytes: FPI = page size; DELTA 5..page size-1; COMMIT 4   |
 * | 4      | 8    | FPI/DELTA: page id; COMMIT: transaction id (< 2^53, low first)   |
 * | 12     | 4    | CRC32C of bytes 0..11 and the payload, seeded with the previous  |
 * |        |      | record's checksum (the header checksum for the first record)    |
 * | 16     | ...  | payload: FPI the page image; DELTA runs (storage/page-delta.ts); |
 * |        |      | COMMIT a u32: the number of page records of the transaction     |
 *
 * Invariants (of every file the writer leaves; recover.ts stops at the first breach):
 *   F1. The header's CRC at 60 matches bytes 0..59, or the file is no longer than the
 *       header block (a torn creation or reset), or all zero.
 *   F2. Every record up to the last intact commit has a shape recordShapeOk() accepts
 *       and a checksum chained from the one before it (the header's for the first).
 */

import { crc32c } from '../file/crc32c.js';
import { DB_CODES, type DbError, dbError } from '../errors.js';

export const WAL_MAGIC = Uint8Array.from([0x52, 0x45, 0x4d, 0x41, 0x50, 0x57, 0x41, 0x4c]); // "REMAPWAL"
export const WAL_VERSION = 1;
/** The header block; records start here. 4096: the largest sector and the file-system block. */
export const WAL_HEADER_BYTES = 4096;
/** The header's meaningful prefix (CRC at 60). */
export const WAL_HEADER_FIELDS_BYTES = 64;
export const WAL_RECORD_HEADER_BYTES = 16;
export const WAL_COMMIT_RECORD_BYTES = WAL_RECORD_HEADER_BYTES + 4;
export const WAL_RECORD = { FPI: 1, DELTA: 2, COMMIT: 3 } as const;

export const TWO32 = 2 ** 32;
const HI_LIMIT = 2 ** 21; // high half of a 53-bit value
const HDR_CRC_OFFSET = 60;
export const REC_CRC_OFFSET = 12;

/** What a parsed header says about its generation. */
export interface WalHeader {
  salt2: number;
  baseLsn: number;
  /** The seed of the record checksum chain (invariant F2). */
  headerCrc: number;
}

export function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < TWO32;
}

export function isId53(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

/** A WAL_CORRUPT error naming the WAL's path. */
export function walCorrupt(path: string, message: string, details: Record<string, unknown>): DbError {
  return dbError(DB_CODES.WAL_CORRUPT, message, { path, ...details });
}

/** Whether h (at least WAL_HEADER_FIELDS_BYTES) has the magic and a matching checksum (invariant F1). */
export function headerIntact(h: Uint8Array): boolean {
  for (let i = 0; i < WAL_MAGIC.length; i++) if (h[i] !== WAL_MAGIC[i]) return false;
  const v = new DataView(h.buffer, h.byteOffset, WAL_HEADER_FIELDS_BYTES);
  return v.getUint32(HDR_CRC_OFFSET, true) === crc32c(h, 0, HDR_CRC_OFFSET);
}

/**
 * Check the header fields in h against the database (page size, salt1) and return its
 * generation; throws WAL_CORRUPT naming path and the bad field otherwise.
 */
export function parseHeader(h: Uint8Array, path: string, size: number, pageSizeBytes: number, salt1: number): WalHeader {
  for (let i = 0; i < WAL_MAGIC.length; i++) {
    if (h[i] !== WAL_MAGIC[i]) {
      throw walCorrupt(path, `the WAL ${path} does not start with the magic "REMAPWAL": not a remapdb WAL, or its header ` +
        'is destroyed; move it away to open the database without it (committed changes not yet checkpointed are lost)', { size });
    }
  }
  const v = new DataView(h.buffer, h.byteOffset, WAL_HEADER_FIELDS_BYTES);
  const stored = v.getUint32(HDR_CRC_OFFSET, true);
  const actual = crc32c(h, 0, HDR_CRC_OFFSET);
  if (stored !== actual) {
    throw walCorrupt(path, `the WAL ${path}: header checksum ${hex(stored)} does not match its contents (${hex(actual)})`,
      { stored, actual });
  }
  const version = v.getUint32(8, true);
  if (version > WAL_VERSION) {
    throw walCorrupt(path, `the WAL ${path} has format version ${version}; this remapdb reads versions up to ${WAL_VERSION}`,
      { version, limit: WAL_VERSION });
  }
  const pageSize = v.getUint32(12, true);
  if (pageSize !== pageSizeBytes) {
    throw walCorrupt(path, `the WAL ${path} logs ${pageSize}-byte pages but the database has ${pageSizeBytes}-byte pages: ` +
      'it belongs to another database', { walPageSize: pageSize, pageSize: pageSizeBytes });
  }
  const walSalt1 = v.getUint32(16, true);
  if (walSalt1 !== salt1) {
    throw walCorrupt(path, `the WAL ${path} has salt1 ${hex(walSalt1)} but the database salt is ${hex(salt1)}: ` +
      'it belongs to another database', { walSalt1, salt1 });
  }
  const baseHi = v.getUint32(28, true);
  const headerBytes = v.getUint32(32, true);
  if (baseHi >= HI_LIMIT || headerBytes !== WAL_HEADER_BYTES) {
    throw walCorrupt(path, `the WAL ${path}: header fields out of range (baseLsn high word ${baseHi}, limit ${HI_LIMIT - 1}; ` +
      `header bytes ${headerBytes}, expected ${WAL_HEADER_BYTES})`, { baseHi, headerBytes });
  }
  return { salt2: v.getUint32(20, true), baseLsn: v.getUint32(24, true) + baseHi * TWO32, headerCrc: stored };
}

/** Fill the header block h (WAL_HEADER_BYTES) for a new generation; returns its checksum, the chain's seed. */
export function encodeHeader(h: Uint8Array, pageSizeBytes: number, salt1: number, salt2: number, baseLsn: number): number {
  h.fill(0);
  h.set(WAL_MAGIC, 0);
  const v = new DataView(h.buffer, h.byteOffset, WAL_HEADER_FIELDS_BYTES);
  v.setUint32(8, WAL_VERSION, true);
  v.setUint32(12, pageSizeBytes, true);
  v.setUint32(16, salt1, true);
  v.setUint32(20, salt2, true);
  v.setUint32(24, baseLsn % TWO32, true);
  v.setUint32(28, Math.floor(baseLsn / TWO32), true);
  v.setUint32(32, WAL_HEADER_BYTES, true);
  const crc = crc32c(h, 0, HDR_CRC_OFFSET);
  v.setUint32(HDR_CRC_OFFSET, crc, true);
  return crc;
}

/** Whether a record header's fields are possible; anything else is a torn tail or garbage. */
export function recordShapeOk(type: number, reserved: number, len: number, idHi: number, pageSize: number): boolean {
  if (reserved !== 0 || idHi >= HI_LIMIT) return false;
  if (type === WAL_RECORD.FPI) return len === pageSize;
  if (type === WAL_RECORD.DELTA) return len >= 5 && len < pageSize;
  if (type === WAL_RECORD.COMMIT) return len === 4;
  return false;
}

export function u32(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

export function allZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}
