/**
 * Opening a page file: find or create it, read its superblock, and redo the WAL.
 * It sits above file/ and wal/ (it uses both), below the Database that calls it.
 *
 *   openPageFile  the page file, created when missing (create option) — or created again
 *                 when a creation was cut short: the WAL is created only after the new
 *                 superblock is fsynced, so a file of at most one page with no WAL beside
 *                 it never held a commit. A WAL without a page file is refused.
 *   readPageFileSuperblock  the validated superblock (file/format.ts), errors naming the file.
 *   resealPageChecksums  the page-file half of upgrading a format 1 file (Database
 *                 checkpoint.ts upgradePageFile sets the version after it).
 *   redo          every committed transaction whose commit LSN is past the superblock's
 *                 checkpoint LSN, applied through the buffer pool (each page installed at
 *                 its commit LSN: the log is durable there); returns the superblock fields
 *                 as redone (page 0 is logged like any page).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import type { BufferPool } from '../bufferpool/index.js';
import { O_CREAT, O_EXCL, O_RDWR, type Process } from '../sim-kernel/index.js';
import { crc32c } from './file/crc32c.js';
import { DB_CODES, DbError, dbError } from './errors.js';
import {
  FORMAT_VERSION, get64, LEGACY_CHECKSUM_SEED, pageChecksum, readSuperblock, SB, type Superblock, writeSuperblock,
} from './file/format.js';
import { Wal, WAL_HEADER_BYTES } from './wal/wal.js';

export const DATA_FILE = 'data.rdb';
export const WAL_FILE = 'wal.rdb';

const utf8 = new TextEncoder();

export interface PageFileOptions {
  pageSize: number;
  create: boolean;
  seed: number;
}

/** Open `<dir>/data.rdb` O_RDWR through the simulated kernel, creating it as the header says. */
export function openPageFile(proc: Process, dir: string, opts: PageFileOptions): number {
  const dataPath = path.join(dir, DATA_FILE);
  const walPath = path.join(dir, WAL_FILE);
  let fd: number;
  try {
    fd = proc.open(dataPath, O_RDWR);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
    if (!opts.create) {
      throw dbError(DB_CODES.INVALID, `no database in ${dir} (no ${DATA_FILE}); open with create: true to make one`, { dir });
    }
    if (fs.existsSync(walPath)) {
      throw new DbError(DB_CODES.CORRUPT, `${dir} has a WAL but no page file ${DATA_FILE}: refusing to create ` +
        'a new database over the log of a missing one (move the directory aside)', { details: { dir } });
    }
    fd = proc.open(dataPath, O_RDWR | O_CREAT | O_EXCL, 0o600);
    createPageFile(proc, fd, dir, opts);
    return fd;
  }
  if (proc.fstat(fd).size <= opts.pageSize && !fs.existsSync(walPath)) {
    // A creation cut short (an empty, partial or torn superblock): nothing was ever committed here.
    proc.ftruncate(fd, 0);
    createPageFile(proc, fd, dir, opts);
  }
  return fd;
}

/** Write an empty database's superblock, then fsync (the schema tree is made by the first transaction). */
function createPageFile(proc: Process, fd: number, dir: string, opts: PageFileOptions): void {
  const ps = opts.pageSize;
  const buf = new Uint8Array(ps);
  const salt = (crc32c(utf8.encode(dir)) ^ Math.imul(opts.seed, 0x9e3779b1)) >>> 0;
  writeSuperblock(buf, 0, {
    formatVersion: FORMAT_VERSION, pageSize: ps, pageCount: 1, checkpointLsn: 0, freeListHead: 0, freeCount: 0, salt, flags: 0,
  });
  proc.pwrite(fd, buf, 0);
  proc.fsync(fd);
}

/** The page file's validated superblock; a DbError names the file. */
export function readPageFileSuperblock(proc: Process, fd: number, dataPath: string, pageSize: number): Superblock {
  const size = proc.fstat(fd).size;
  const buf = new Uint8Array(Math.max(pageSize, 128));
  const n = size === 0 ? 0 : proc.pread(fd, buf.subarray(0, Math.min(size, buf.length)), 0);
  try {
    return readSuperblock(buf, 0, n, size, pageSize);
  } catch (err) {
    if (err instanceof DbError) {
      throw new DbError(err.code, `${dataPath}: ${err.message}`, { details: { ...err.details, file: dataPath }, cause: err });
    }
    throw err;
  }
}

export interface Redone {
  superblock: { pageCount: number; freeHead: number; freeCount: number };
  recovered: { transactions: number; records: number; tornTailBytes: number };
}

/**
 * Redo committed transactions past the checkpoint through the pool. The log must fit the
 * page file: it starts at the checkpoint LSN (reset after each checkpoint), or before it
 * when a crash came between a checkpoint's superblock write and the reset — then the
 * checkpoint LSN is the end of a commit in it, and the log reaches at least that far.
 * Anything else is a page file and a WAL that do not belong together (a page file restored
 * from an older copy, a damaged checkpoint LSN): redo would apply changes to pages that
 * lack the ones before them, so it is refused with REMAPDB_WAL_CORRUPT before any change.
 *
 * Torn and damaged pages. Since format 2 a page's first record after a checkpoint is its
 * full image (pager.ts), so redo starts every page it changes from the log, whatever the
 * file holds (a torn write, damage, the kernel's unsealed write-back of a mapped page).
 * A page whose first record is a delta must be as the checkpoint left it, so its file copy
 * is verified first (`verify`): damage there ends in REMAPDB_CORRUPT naming the page, where
 * applying the delta and the recovery checkpoint's reseal would pass it off as sound.
 * Format 1 logs (`verify` null: a file being upgraded) relied on deltas over whatever the
 * file held, which repairs a torn page but cannot tell it from a damaged one.
 */
export function redo(pool: BufferPool, wal: Wal, sb: Superblock, verify: ((pageId: number, bytes: Uint8Array, off: number) => void) | null): Redone {
  const ps = pool.pageSize;
  const base = wal.baseLsn;
  const cp = sb.checkpointLsn;
  const logEnd = base + Math.max(0, wal.sizeBytes - WAL_HEADER_BYTES);
  if (base > cp || logEnd < cp) throw logMismatch(wal, sb, base > cp ? 'the log starts after the checkpoint' : 'the log ends before it');
  let records = 0;
  let sawCheckpoint = base === cp;
  /** 1: the page has had a record in this redo (its image no longer comes from the file). */
  let seen = new Uint8Array(Math.max(64, sb.pageCount));
  const r = wal.recover((pageId, kind, payload, off, len, commitLsn) => {
    if (commitLsn === cp) sawCheckpoint = true;
    if (commitLsn <= cp) return;
    if (!sawCheckpoint) throw logMismatch(wal, sb, 'no commit in the log ends at the checkpoint');
    records++;
    while (pool.pageCount <= pageId) pool.allocate();
    if (pageId >= seen.length) {
      const grown = new Uint8Array(Math.max(pageId + 1, seen.length * 2));
      grown.set(seen);
      seen = grown;
    }
    const t = pool.fix(pageId, 'exclusive');
    const at = pool.offset(t);
    try {
      if (seen[pageId] === 0 && kind !== 'full' && verify !== null) {
        try {
          verify(pageId, pool.bytes, at);
        } catch (err) {
          throw new DbError(DB_CODES.CORRUPT, `the WAL changes page ${pageId} (a delta at LSN ${commitLsn}), but the page ` +
            `file's copy it applies to is damaged: ${(err as Error).message}`, { details: { page: pageId }, cause: err });
        }
      }
      Wal.applyRecord(kind, payload, off, len, pool.bytes, at, ps);
    } catch (err) {
      pool.unfix(t, false);
      throw err;
    }
    seen[pageId] = 1;
    pool.unfix(t, true);
    pool.markLsn(pageId, commitLsn);
  });
  const recovered = { transactions: records === 0 ? 0 : r.transactions, records, tornTailBytes: r.tornTailBytes };
  if (records === 0) return { superblock: { pageCount: sb.pageCount, freeHead: sb.freeListHead, freeCount: sb.freeCount }, recovered };
  const t = pool.fix(0, 'shared');
  const dv = new DataView(pool.bytes.buffer, pool.bytes.byteOffset + pool.offset(t), 64);
  const superblock = { pageCount: get64(dv, SB.PAGE_COUNT), freeHead: get64(dv, SB.FREE_HEAD), freeCount: get64(dv, SB.FREE_COUNT) };
  pool.unfix(t, false);
  pool.setPageCount(superblock.pageCount);
  return { superblock, recovered };
}

function logMismatch(wal: Wal, sb: Superblock, why: string): Error {
  return dbError(DB_CODES.WAL_CORRUPT, `the WAL ${wal.path} (base LSN ${wal.baseLsn}, ${wal.sizeBytes} bytes) does not fit the page ` +
    `file's checkpoint LSN ${sb.checkpointLsn}: ${why} (a page file restored from another copy, or a damaged superblock); ` +
    'move the WAL away to open the page file as it is (changes only in the WAL are lost)', { baseLsn: wal.baseLsn, checkpointLsn: sb.checkpointLsn });
}

/**
 * Whether a page's stored checksum is one an interrupted upgrade can leave: the legacy one,
 * or a write of the page torn inside the checksum field (bytes 4..7, little-endian): the
 * salted one's low 1..3 bytes over the legacy one's high bytes.
 */
function upgradeCheckable(stored: number, salted: number, legacy: number): boolean {
  if (stored === legacy) return true;
  for (let k = 1; k <= 3; k++) {
    const low = 2 ** (8 * k) - 1;
    if (stored === (((salted & low) | (legacy & ~low)) >>> 0)) return true;
  }
  return false;
}

/**
 * Rewrite, in the file, the checksum of every page 1..pageCount-1 that carries a format 1
 * (unsalted) checksum — or one an interrupted rewrite tore (upgradeCheckable) — to the
 * salted one under `seed`, then fsync. Only bytes 4..7 of a page are written. Pages that
 * already carry the salted checksum are skipped; pages that pass neither are left as they
 * are and returned as damaged.
 */
export function resealPageChecksums(proc: Process, fd: number, pageSize: number, pageCount: number, seed: number):
{ resealed: number; damaged: number[] } {
  const buf = new Uint8Array(pageSize);
  const dv = new DataView(buf.buffer);
  const out = { resealed: 0, damaged: [] as number[] };
  for (let p = 1; p < pageCount; p++) {
    proc.pread(fd, buf, p * pageSize);
    const stored = dv.getUint32(4, true);
    const salted = pageChecksum(buf, 0, pageSize, seed);
    if (stored === salted) continue;
    if (!upgradeCheckable(stored, salted, pageChecksum(buf, 0, pageSize, LEGACY_CHECKSUM_SEED))) {
      out.damaged.push(p);
      continue;
    }
    dv.setUint32(4, salted, true);
    proc.pwrite(fd, buf.subarray(4, 8), p * pageSize + 4);
    out.resealed++;
  }
  proc.fsync(fd);
  return out;
}
