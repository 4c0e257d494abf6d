/**
 * Opening a page file: find or create it, and read its superblock (the redo of the WAL
 * that follows is redo.ts). It sits above file/ and wal/, below the Database that calls it.
 *
 *   openPageFile  the page file, created when missing (create option) — or created again
 *                 when a creation was cut short: the WAL is created only after the new
 *                 superblock is fsynced, so a file of at most one page with no WAL beside
 *                 it never held a commit. A WAL without a page file is refused.
 *   readPageFileSuperblock  the validated superblock (file/format.ts), errors naming the file.
 *   resealPageChecksums  the page-file half of upgrading a format 1 file (Database
 *                 checkpoint.ts upgradePageFile sets the version after it).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { O_CREAT, O_EXCL, O_RDWR, type Process } from '../sim-kernel/index.js';
import { crc32c } from './file/crc32c.js';
import { DB_CODES, DbError, dbError } from './errors.js';
import {
  FORMAT_VERSION, LEGACY_CHECKSUM_SEED, pageChecksum, readSuperblock, type Superblock, writeSuperblock,
} from './file/format.js';

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
