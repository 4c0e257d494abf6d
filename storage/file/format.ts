/**
 * The page file's on-disk format: the superblock (page 0) and the header every other
 * page carries. All integers little-endian; 64-bit fields hold values below 2^53 and
 * are written as two 32-bit halves (low first).
 *
 * Superblock (page 0 holds two identical copies, at offsets 0 and pageSize / 2 — see
 * superblockCopies; the rest of the page is zero). Each copy:
 * | OFFSET | SIZE | DESCRIPTION                                                      |
 * |--------|------|------------------------------------------------------------------|
 * | 0      | 8    | magic "REMAPDB\0"                                                |
 * | 8      | 4    | format version (FORMAT_VERSION)                                  |
 * | 12     | 4    | page size in bytes (4096, 8192 or 16384)                         |
 * | 16     | 8    | page count: pages in use, the superblock included               |
 * | 24     | 8    | checkpoint LSN: every change up to it is in this file            |
 * | 32     | 8    | free-list head: first free page, 0 = none                        |
 * | 40     | 8    | free page count                                                  |
 * | 48     | 4    | salt, random at creation (the WAL echoes it in every frame)     |
 * | 52     | 4    | flags (0)                                                        |
 * | 56     | 64   | reserved, zero                                                   |
 * | 120    | 4    | CRC32C of bytes 0..119                                           |
 *
 * Page header (every page but the superblock):
 * | OFFSET | SIZE | DESCRIPTION                                                      |
 * |--------|------|------------------------------------------------------------------|
 * | 0      | 1    | page type (PAGE_TYPE)                                            |
 * | 1      | 1    | flags                                                            |
 * | 2      | 2    | reserved, zero                                                   |
 * | 4      | 4    | CRC32C of the database salt (4 bytes, little-endian) followed   |
 * |        |      | by the whole page with these 4 bytes read as zero (format 1:    |
 * |        |      | without the salt — see pageChecksumSeed)                         |
 * | 8      | 8    | page LSN: the change this image reflects                         |
 * | 16     | 8    | page id: the page's own number (catches misdirected writes)      |
 * | 24     | ...  | body (type-specific)                                             |
 *
 * Reading validates everything and throws a DbError whose code says what is wrong
 * and whose message names the page: a foreign file, a newer format, the wrong page size,
 * a truncated file, or a checksum mismatch — never silently wrong data.
 */

import { DB_CODES, DbError } from '../errors.js';
import { crc32c } from './crc32c.js';

export const MAGIC = Uint8Array.from([0x52, 0x45, 0x4d, 0x41, 0x50, 0x44, 0x42, 0x00]); // "REMAPDB\0"
/**
 * 2: page checksums bind the database salt (pageChecksumSeed), and the WAL logs a full
 * image of a page at its first change after a checkpoint (wal.ts). Format 1 files are
 * upgraded in place when opened (checkpoint.ts upgradePageFile).
 */
export const FORMAT_VERSION = 2;
/** The oldest format this remapdb opens (and upgrades). */
export const OLDEST_FORMAT_VERSION = 1;
/** Page checksum seed of format 1 files: the salt was not part of the checksum. */
export const LEGACY_CHECKSUM_SEED = 0;
export const PAGE_SIZES = [4096, 8192, 16384] as const;
export const SUPERBLOCK_CRC_OFFSET = 120;
export const PAGE_HEADER_BYTES = 24;

export const PAGE_TYPE = {
  FREE: 0,
  LEAF: 1,
  INTERNAL: 2,
  OVERFLOW: 3,
  FREELIST: 4,
} as const;
export type PageType = (typeof PAGE_TYPE)[keyof typeof PAGE_TYPE];

/**
 * REMAPDB_CORRUPT for a page whose checksum holds but whose content cannot be right (a
 * structure check on bytes read from the file failed): content that passed its checksum
 * can still be wrong — another database's page of the same number, or damage that WAL
 * redo carried into a resealed page — and must end in this error, never an assertion.
 */
export function corruptPage(pageId: number, what: string): DbError {
  return new DbError(DB_CODES.CORRUPT, `page ${pageId}: ${what}: the database is damaged (remapdb check shows where)`,
    { details: { page: pageId } });
}

export interface Superblock {
  formatVersion: number;
  pageSize: number;
  pageCount: number;
  checkpointLsn: number;
  freeListHead: number;
  freeCount: number;
  salt: number;
  flags: number;
}

const TWO32 = 2 ** 32;

/** Write a value below 2^53 as two little-endian u32 halves. */
export function put64(v: DataView, off: number, value: number): void {
  v.setUint32(off, value % TWO32, true);
  v.setUint32(off + 4, Math.floor(value / TWO32), true);
}

/** Read a value written by put64. */
export function get64(v: DataView, off: number): number {
  return v.getUint32(off, true) + v.getUint32(off + 4, true) * TWO32;
}

function view(bytes: Uint8Array, off: number, len: number): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset + off, len);
}

/**
 * Offsets, within page 0, of the superblock's two copies. Both are written identically
 * with every write of page 0; a write torn by a crash (a device writes sectors, and a
 * torn page is a mix of old and new sectors) leaves at least one of them intact, and
 * reading takes the intact copy with the newest checkpoint LSN. Without this, a torn
 * write of the superblock at a checkpoint — the one page change the WAL does not log —
 * would make the database unopenable.
 */
export function superblockCopies(pageSize: number): readonly [number, number] {
  return [0, pageSize / 2];
}

/** Write the superblock (both copies) into bytes[off, off + pageSize) (the page is zeroed first). */
export function writeSuperblock(bytes: Uint8Array, off: number, sb: Superblock): void {
  bytes.fill(0, off, off + sb.pageSize);
  for (const c of superblockCopies(sb.pageSize)) {
    const o = off + c;
    bytes.set(MAGIC, o);
    const v = view(bytes, o, SUPERBLOCK_CRC_OFFSET + 4);
    v.setUint32(8, sb.formatVersion, true);
    v.setUint32(12, sb.pageSize, true);
    put64(v, 16, sb.pageCount);
    put64(v, 24, sb.checkpointLsn);
    put64(v, 32, sb.freeListHead);
    put64(v, 40, sb.freeCount);
    v.setUint32(48, sb.salt >>> 0, true);
    v.setUint32(52, sb.flags >>> 0, true);
    v.setUint32(SUPERBLOCK_CRC_OFFSET, crc32c(bytes, o, o + SUPERBLOCK_CRC_OFFSET), true);
  }
}

/**
 * Read and validate the superblock from bytes[off, off + available): the intact copy
 * with the newest checkpoint LSN (see superblockCopies). `fileBytes` is the file's size,
 * to detect truncation; `expectPageSize`, if given, must match. If neither copy is
 * intact, the error is the first copy's.
 */
export function readSuperblock(bytes: Uint8Array, off: number, available: number, fileBytes: number, expectPageSize?: number): Superblock {
  let first: unknown = null;
  let best: Superblock | null = null;
  const offsets = new Set<number>([0]);
  if (expectPageSize !== undefined) offsets.add(expectPageSize / 2);
  else for (const ps of PAGE_SIZES) offsets.add(ps / 2);
  for (const c of offsets) {
    if (c !== 0 && c + SUPERBLOCK_CRC_OFFSET + 4 > available) continue;
    try {
      const sb = readCopy(bytes, off + c, c === 0 ? available : available - c, fileBytes, expectPageSize);
      if (c !== 0 && sb.pageSize / 2 !== c) continue;
      if (best === null || sb.checkpointLsn > best.checkpointLsn) best = sb;
    } catch (err) {
      first ??= err;
      // A copy that is intact but says something fatal (newer format, wrong page size,
      // truncated file) is the answer, not a torn copy to skip.
      const code = (err as { code?: string }).code;
      if (c === 0 && code !== DB_CODES.CORRUPT && code !== DB_CODES.FOREIGN) throw err;
    }
  }
  if (best === null) throw first;
  return best;
}

function readCopy(bytes: Uint8Array, off: number, available: number, fileBytes: number, expectPageSize?: number): Superblock {
  if (available < SUPERBLOCK_CRC_OFFSET + 4) {
    throw new DbError(DB_CODES.TRUNCATED, `the file is ${fileBytes} bytes, shorter than a superblock ` +
      `(${SUPERBLOCK_CRC_OFFSET + 4} bytes): not a remapdb page file, or truncated`, { details: { page: 0, fileBytes } });
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[off + i] !== MAGIC[i]) {
      throw new DbError(DB_CODES.FOREIGN, 'page 0 does not start with the remapdb magic "REMAPDB\\0": not a remapdb ' +
        'page file (or its first page is destroyed)', { details: { page: 0 } });
    }
  }
  const v = view(bytes, off, SUPERBLOCK_CRC_OFFSET + 4);
  const stored = v.getUint32(SUPERBLOCK_CRC_OFFSET, true);
  const actual = crc32c(bytes, off, off + SUPERBLOCK_CRC_OFFSET);
  if (stored !== actual) {
    throw new DbError(DB_CODES.CORRUPT, `page 0 (superblock): checksum 0x${stored.toString(16)} does not match its ` +
      `contents (0x${actual.toString(16)})`, { details: { page: 0 } });
  }
  const sb: Superblock = {
    formatVersion: v.getUint32(8, true),
    pageSize: v.getUint32(12, true),
    pageCount: get64(v, 16),
    checkpointLsn: get64(v, 24),
    freeListHead: get64(v, 32),
    freeCount: get64(v, 40),
    salt: v.getUint32(48, true),
    flags: v.getUint32(52, true),
  };
  if (sb.formatVersion < OLDEST_FORMAT_VERSION) {
    throw new DbError(DB_CODES.CORRUPT, `page 0 (superblock): format version ${sb.formatVersion} was never a remapdb ` +
      `format (${OLDEST_FORMAT_VERSION}..${FORMAT_VERSION})`, { details: { page: 0, version: sb.formatVersion } });
  }
  if (sb.formatVersion > FORMAT_VERSION) {
    throw new DbError(DB_CODES.NEWER, `the page file has format version ${sb.formatVersion}; this remapdb reads ` +
      `versions up to ${FORMAT_VERSION}: open it with a newer remapdb`, { details: { page: 0, version: sb.formatVersion } });
  }
  if (!(PAGE_SIZES as readonly number[]).includes(sb.pageSize)) {
    throw new DbError(DB_CODES.CORRUPT, `page 0 (superblock): page size ${sb.pageSize} is not one of ${PAGE_SIZES.join(', ')}`,
      { details: { page: 0 } });
  }
  if (expectPageSize !== undefined && sb.pageSize !== expectPageSize) {
    throw new DbError(DB_CODES.PAGE_SIZE, `the database has ${sb.pageSize}-byte pages but ${expectPageSize} was ` +
      `asked for: open it with pageSize ${sb.pageSize} (the page size is fixed at creation)`,
    { details: { page: 0, pageSize: sb.pageSize, expected: expectPageSize } });
  }
  if (sb.pageCount < 1 || sb.freeListHead >= Math.max(sb.pageCount, 1) || sb.freeCount >= sb.pageCount) {
    throw new DbError(DB_CODES.CORRUPT, `page 0 (superblock): inconsistent counts (page count ${sb.pageCount}, ` +
      `free-list head ${sb.freeListHead}, free pages ${sb.freeCount})`, { details: { page: 0 } });
  }
  if (fileBytes < sb.pageCount * sb.pageSize) {
    throw new DbError(DB_CODES.TRUNCATED, `the page file is ${fileBytes} bytes but its superblock counts ` +
      `${sb.pageCount} pages of ${sb.pageSize} bytes (${sb.pageCount * sb.pageSize}): truncated after page ` +
      `${Math.floor(fileBytes / sb.pageSize) - 1}`, { details: { page: Math.floor(fileBytes / sb.pageSize), fileBytes } });
  }
  return sb;
}

/**
 * Rewrite a page-0 image so both copies hold the superblock readSuperblock picks (the
 * rest of the page zero). Page 0 must enter the buffer pool this way: its fields are read
 * at copy A's offset, and a checkpoint reseals both copies of the image it finds, so a
 * damaged copy A left in place would be used, then made a valid but wrong superblock.
 */
export function repairSuperblock(bytes: Uint8Array, off: number, pageSize: number): void {
  writeSuperblock(bytes, off, readSuperblock(bytes, off, pageSize, Number.MAX_SAFE_INTEGER, pageSize));
}

/** Field offsets in the superblock, for code that edits a superblock image in place. */
export const SB = { VERSION: 8, PAGE_COUNT: 16, CHECKPOINT_LSN: 24, FREE_HEAD: 32, FREE_COUNT: 40, SALT: 48 } as const;

/** Set the format version (a u32) in both copies of a page-0 image. */
export function putSuperVersion(dv: DataView, off: number, pageSize: number, version: number): void {
  for (const c of superblockCopies(pageSize)) dv.setUint32(off + c + SB.VERSION, version, true);
}

/** Recompute both superblock copies' checksums of an image edited in place. */
export function sealSuperblock(bytes: Uint8Array, off: number, pageSize: number): void {
  for (const c of superblockCopies(pageSize)) {
    const o = off + c;
    view(bytes, o, SUPERBLOCK_CRC_OFFSET + 4).setUint32(SUPERBLOCK_CRC_OFFSET, crc32c(bytes, o, o + SUPERBLOCK_CRC_OFFSET), true);
  }
}

/** Set a superblock field (an SB offset) in both copies of a page-0 image. */
export function putSuperField(dv: DataView, off: number, pageSize: number, field: number, value: number): void {
  for (const c of superblockCopies(pageSize)) put64(dv, off + c + field, value);
}

/**
 * The page-checksum seed of a database: the CRC32C of its salt's four bytes (little-endian),
 * so a page checksum covers the salt followed by the page. A page copied from another
 * database — same number, same structure, a valid checksum there — fails its checksum
 * here instead of passing for this database's (format 1 did not bind the salt:
 * LEGACY_CHECKSUM_SEED).
 */
export function pageChecksumSeed(salt: number): number {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, salt >>> 0, true);
  return crc32c(b);
}

/** Write a page's header and seal it with its checksum under `seed` (pageChecksumSeed; the body must already be in place). */
export function sealPage(bytes: Uint8Array, off: number, pageSize: number, type: PageType, lsn: number, pageId: number, seed: number): void {
  const v = view(bytes, off, PAGE_HEADER_BYTES);
  v.setUint8(0, type);
  v.setUint8(1, 0);
  v.setUint16(2, 0, true);
  v.setUint32(4, 0, true);
  put64(v, 8, lsn);
  put64(v, 16, pageId);
  v.setUint32(4, pageChecksum(bytes, off, pageSize, seed), true);
}

/** CRC32C, continued from `seed`, of a page with its checksum field read as zero. */
export function pageChecksum(bytes: Uint8Array, off: number, pageSize: number, seed: number): number {
  let c = crc32c(bytes, off, off + 4, seed);
  c = crc32c(ZERO4, 0, 4, c);
  return crc32c(bytes, off + 8, off + pageSize, c);
}

const ZERO4 = new Uint8Array(4);

export interface PageHeader {
  type: PageType;
  lsn: number;
  pageId: number;
}

/**
 * Validate a page read from the file: checksum under `seed` (or, while a format 1 file is
 * being upgraded, under `orSeed` too), self id, known type. Throws REMAPDB_CORRUPT naming
 * the page.
 */
export function verifyPage(bytes: Uint8Array, off: number, pageSize: number, pageId: number, seed: number, orSeed = seed): PageHeader {
  const v = view(bytes, off, PAGE_HEADER_BYTES);
  const stored = v.getUint32(4, true);
  const actual = pageChecksum(bytes, off, pageSize, seed);
  if (stored !== actual && (orSeed === seed || stored !== pageChecksum(bytes, off, pageSize, orSeed))) {
    throw new DbError(DB_CODES.CORRUPT, `page ${pageId}: checksum 0x${stored.toString(16)} does not match its ` +
      `contents (0x${actual.toString(16)}): a torn or corrupted write, or a page of another database`, { details: { page: pageId } });
  }
  const id = get64(v, 16);
  if (id !== pageId) {
    throw new DbError(DB_CODES.CORRUPT, `page ${pageId} holds the image of page ${id}: a misdirected write`,
      { details: { page: pageId, found: id } });
  }
  const type = v.getUint8(0);
  if (type > PAGE_TYPE.FREELIST) {
    throw new DbError(DB_CODES.CORRUPT, `page ${pageId}: unknown page type ${type}`, { details: { page: pageId } });
  }
  return { type: type as PageType, lsn: get64(v, 8), pageId: id };
}

/** Verify a page as it came from the file: page 0 is the superblock, any other a sealed page. */
export function verifyFilePage(bytes: Uint8Array, off: number, pageSize: number, pageId: number, seed: number, orSeed = seed): void {
  if (pageId === 0) readSuperblock(bytes, off, pageSize, Number.MAX_SAFE_INTEGER, pageSize);
  else verifyPage(bytes, off, pageSize, pageId, seed, orSeed);
}

/** Seal a page about to go to the file: page 0's superblock copies, or any other page's header (type from byte 0). */
export function sealFilePage(bytes: Uint8Array, off: number, pageSize: number, pageId: number, lsn: number, seed: number): void {
  if (pageId === 0) sealSuperblock(bytes, off, pageSize);
  else sealPage(bytes, off, pageSize, bytes[off] as PageType, Math.max(lsn, 0), pageId, seed);
}
