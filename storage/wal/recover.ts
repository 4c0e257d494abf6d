/**
 * The WAL's recovery reader: scans the log once after open, hands every page record of
 * every intact transaction to the caller, and leaves the writer's buffer positions
 * (log-buffer.ts) after the last intact commit. Also the open-time read of the header
 * (readHeader) and the redo of one record onto a page image (applyRecord, and
 * applyCheckedRecord for the records recoverLog hands out).
 *
 * Why this design
 * ---------------
 * - Records of a transaction are written only at its commit (no-steal: nothing
 *   uncommitted is logged, so there is no undo). Recovery = apply every record of every
 *   transaction whose commit record is intact, in log order; the caller skips those with
 *   commit LSN <= the data file's checkpoint LSN.
 * - A transaction's records are replayed only once its commit record checks out, so
 *   nothing of a torn transaction reaches the caller. Until then they wait where they
 *   were read: in the read window, which a refill starts at the transaction's first
 *   record; only a transaction larger than the window is staged in the writer's own
 *   buffer (it grows to the transaction, as at write time).
 * - One read window of RECOVERY_READ_BYTES, refilled as the scan moves on: recovery reads
 *   the file sequentially in large preads, whatever the record sizes.
 * - Every record's checksum and every delta's runs are checked once, here (R1); the
 *   caller may apply what it is handed without checking again (applyCheckedRecord).
 *
 * Invariants:
 *   R1. The scan stops at the first record that breaks format.ts invariant F2; a commit
 *       whose count differs from its records, or a delta with bad runs, under intact
 *       checksums, is a faulty writer: WAL_CORRUPT.
 *   R2. While a transaction is applied, the buffer's bufFileOff and syncedOff stand just
 *       past its commit record (wal.ts invariant 2), so the pool may write back its pages.
 *   R3. On return the buffer is empty (stageEnd 0), chainCrc = stageCrc = the last intact
 *       commit's checksum (wal.ts invariant 4), and truncateTo marks any tail to cut.
 */

import { POSIX_FADV_DONTNEED } from '../../sim-kernel/index.js';
import { assert } from '../assert.js';
import { crc32c } from '../file/crc32c.js';
import { DB_CODES, dbError } from '../errors.js';
import {
  allZero, headerIntact, parseHeader, recordShapeOk, REC_CRC_OFFSET, TWO32, u32, WAL_COMMIT_RECORD_BYTES, WAL_HEADER_BYTES,
  WAL_HEADER_FIELDS_BYTES, WAL_RECORD, WAL_RECORD_HEADER_BYTES, walCorrupt, type WalHeader,
} from './format.js';
import { applyCheckedDelta, applyDelta, checkDelta } from './page-delta.js';
import type { LogBuffer, WalFile } from './log-buffer.js';

/** Read window of recoverLog(); holds at least one record of the largest page size. */
const RECOVERY_READ_BYTES = 256 << 10;

export interface RecoveryStats {
  transactions: number;
  records: number;
  /** Commit LSN of the last intact transaction (baseLsn if none). */
  lastCommitLsn: number;
  /** File bytes after the last intact commit (torn, uncommitted or stale records, garbage). */
  tornTailBytes: number;
}

export type RecordKind = 'full' | 'delta';
export type ApplyFn = (pageId: number, kind: RecordKind, payload: Uint8Array, off: number, len: number, commitLsn: number) => void;

/** What recoverLog() needs of the WAL's current generation. */
export interface LogGeneration {
  readonly pageSize: number;
  readonly maxTxnBytes: number;
  readonly baseLsn: number;
  /** The header checksum: the seed of the record chain. */
  readonly headerCrc: number;
}

/**
 * File bytes [start, start + len) in buf: recoverLog()'s sequential read window. Each fill
 * tells the kernel the cached log pages before the window will not be read again
 * (POSIX_FADV_DONTNEED, as PostgreSQL does with its WAL): their frames are reused for the
 * pages read next, and a log longer than the page cache does not push out the data file's
 * pages. (Reading into fresh frames was a quarter of redo's profile on a 256 MiB TPC-B
 * log, the host touching simulated RAM for the first time; reused frames made it a
 * twentieth: bench/storage/replay-main.ts under node --cpu-prof.)
 */
class ReadWindow {
  readonly buf: Uint8Array;
  start = 0;
  len = 0;
  /** Log bytes before this offset have been let go of (posix_fadvise). */
  #released = 0;

  constructor(bytes: number) {
    this.buf = new Uint8Array(bytes);
  }

  /** Whether file bytes [pos, pos + n) are in the window. */
  has(pos: number, n: number): boolean {
    return pos >= this.start && pos + n <= this.start + this.len;
  }

  /** Read the window from file offset `from`, as far as it reaches; it must reach `until`. */
  fill(file: WalFile, from: number, until: number, size: number): void {
    const len = Math.min(this.buf.length, size - from);
    assert(from + len >= until, `window of ${len} bytes from ${from} for bytes up to ${until}`);
    const view = this.buf.subarray(0, len);
    let got = 0;
    try {
      got = file.proc.pread(file.fd, view, from);
    } catch (err) {
      file.ioFailed('pread', err);
    }
    assert(got === len, `pread returned ${got} of ${len} bytes inside the file`);
    this.start = from;
    this.len = len;
    if (from > this.#released) {
      try {
        file.proc.posix_fadvise(file.fd, this.#released, from - this.#released, POSIX_FADV_DONTNEED);
      } catch (err) {
        file.ioFailed('posix_fadvise', err);
      }
      this.#released = from;
    }
  }
}

/**
 * Scan the size-byte file from the first record: call apply for every page record of every
 * committed transaction (in log order), with its commit LSN. Stops at the first record
 * whose checksum, type, length or chain is wrong (invariant R1) and positions b after the
 * last intact commit (invariant R3). b must be empty (wal.ts #resetPositions).
 *
 * A transaction is replayed from the read window itself when all of it fits there (a
 * refill then starts at the transaction's first record, re-reading at most the
 * transaction); only one larger than the window is copied into b's staging area. (The
 * copy of every record into it was 2–3 % of a TPC-B reopen's profile, for nothing.)
 */
export function recoverLog(file: WalFile, gen: LogGeneration, b: LogBuffer, size: number, apply: ApplyFn): RecoveryStats {
  const ps = gen.pageSize;
  const w = new ReadWindow(Math.max(RECOVERY_READ_BYTES, 2 * (WAL_RECORD_HEADER_BYTES + ps)));
  let pos = WAL_HEADER_BYTES;
  let crc = gen.headerCrc;
  let commitEnd = pos;
  let commitCrc = crc;
  let transactions = 0;
  let records = 0;
  let lastCommitLsn = gen.baseLsn;
  let staged = 0;
  /** File offset of the open transaction's first record; whether its records are still all in the window (else in b). */
  let txnStart = pos;
  let inWindow = true;
  try {
    for (;;) {
      if (pos + WAL_RECORD_HEADER_BYTES > size) break;
      if (!w.has(pos, WAL_RECORD_HEADER_BYTES)) {
        inWindow = refill(file, gen, b, w, pos, WAL_RECORD_HEADER_BYTES, size, inWindow && staged > 0 ? txnStart : -1) && inWindow;
      }
      let i = pos - w.start;
      const r = w.buf;
      const type = r[i] as number;
      const len = (r[i + 2] as number) | ((r[i + 3] as number) << 8);
      const idHi = u32(r, i + 8);
      if (!recordShapeOk(type, r[i + 1] as number, len, idHi, ps)) break;
      const total = WAL_RECORD_HEADER_BYTES + len;
      if (pos + total > size) break;
      if (!w.has(pos, total)) inWindow = refill(file, gen, b, w, pos, total, size, inWindow && staged > 0 ? txnStart : -1) && inWindow;
      i = pos - w.start;
      const stored = u32(r, i + REC_CRC_OFFSET);
      const actual = crc32c(r, i + WAL_RECORD_HEADER_BYTES, i + total, crc32c(r, i, i + REC_CRC_OFFSET, crc));
      if (stored !== actual) break;
      crc = stored;
      const id = u32(r, i + 4) + idHi * TWO32;
      if (type === WAL_RECORD.COMMIT) {
        const count = u32(r, i + WAL_RECORD_HEADER_BYTES);
        if (count !== staged) {
          throw walCorrupt(file.path, `the WAL ${file.path}: the commit record of transaction ${id} at offset ${pos} counts ` +
            `${count} page records but ${staged} precede it (checksums intact: written by a faulty writer)`,
          { offset: pos, count, staged });
        }
        const commitLsn = gen.baseLsn + (pos + total - WAL_HEADER_BYTES);
        // What recovery reads is the log's content (see below), durable up to here already
        // while the transaction is applied: the pool may then install and evict each
        // redone page. Else redo of more pages than the pool has slots or shadow frames
        // failed REMAPDB_POOL_EXHAUSTED: no redone page was ever installable (found by the
        // fault sweep: test/storage/fault-sweep.test.ts).
        b.bufFileOff = pos + total;
        b.syncedOff = pos + total;
        if (inWindow) replayRecords(r, txnStart - w.start, i, apply, commitLsn);
        else replayRecords(b.buf, 0, b.stageEnd, apply, commitLsn);
        b.stageEnd = 0;
        transactions++;
        records += staged;
        staged = 0;
        lastCommitLsn = commitLsn;
        commitEnd = pos + total;
        commitCrc = crc;
        txnStart = commitEnd;
        inWindow = true;
      } else {
        if (type === WAL_RECORD.DELTA && !checkDelta(r, i + WAL_RECORD_HEADER_BYTES, len, ps)) {
          throw walCorrupt(file.path, `the WAL ${file.path}: the delta of page ${id} at offset ${pos} has intact checksums but ` +
            'malformed runs (written by a faulty writer)', { offset: pos, pageId: id });
        }
        if (pos + total - txnStart + WAL_COMMIT_RECORD_BYTES > gen.maxTxnBytes) {
          throw walCorrupt(file.path, `the WAL ${file.path}: the transaction at offset ${txnStart} exceeds maxTxnBytes ${gen.maxTxnBytes}: ` +
            'reopen with the maxTxnBytes it was written with', { offset: txnStart, limit: gen.maxTxnBytes });
        }
        if (!inWindow) stageCopy(file.path, gen.maxTxnBytes, b, r, i, total, pos);
        staged++;
      }
      pos += total;
    }
  } finally {
    b.stageEnd = 0;
  }
  b.bufFileOff = commitEnd;
  b.chainCrc = commitCrc;
  b.stageCrc = commitCrc;
  // What recovery read is the log's content; the caller checkpoints it before relying on more.
  b.syncedOff = commitEnd;
  const tornTailBytes = Math.max(0, size - commitEnd);
  b.truncateTo = size > commitEnd ? commitEnd : -1;
  return { transactions, records, lastCommitLsn, tornTailBytes };
}

/**
 * Read the window so it holds file bytes [pos, pos + n) — from keepFrom, the open
 * transaction's first record, when keepFrom >= 0 and the transaction fits. Returns false
 * when it does not: its records so far are then copied into the staging area first.
 */
function refill(file: WalFile, gen: LogGeneration, b: LogBuffer, w: ReadWindow, pos: number, n: number, size: number,
  keepFrom: number): boolean {
  if (keepFrom >= 0 && pos + n - keepFrom <= w.buf.length) {
    w.fill(file, keepFrom, pos + n, size);
    return true;
  }
  if (keepFrom >= 0) stageCopy(file.path, gen.maxTxnBytes, b, w.buf, keepFrom - w.start, pos - keepFrom, keepFrom);
  w.fill(file, pos, pos + n, size);
  return keepFrom < 0;
}

/** Copy verified page records, bytes r[at, at + total), into the staging area (a transaction larger than the read window). */
function stageCopy(path: string, maxTxnBytes: number, b: LogBuffer, r: Uint8Array, at: number, total: number, pos: number): void {
  assert(b.stageEnd + total + WAL_COMMIT_RECORD_BYTES <= maxTxnBytes, `staged transaction at ${pos} within maxTxnBytes ${maxTxnBytes} (${path})`);
  b.growFor(total, maxTxnBytes);
  b.buf.set(r.subarray(at, at + total), b.stageEnd);
  b.stageEnd += total;
}

/** Hand the page records in buf[from, to) to apply, in order. */
function replayRecords(buf: Uint8Array, from: number, to: number, apply: ApplyFn, commitLsn: number): void {
  for (let p = from; p < to;) {
    const len = (buf[p + 2] as number) | ((buf[p + 3] as number) << 8);
    const id = u32(buf, p + 4) + u32(buf, p + 8) * TWO32;
    apply(id, buf[p] === WAL_RECORD.FPI ? 'full' : 'delta', buf, p + WAL_RECORD_HEADER_BYTES, len, commitLsn);
    p += WAL_RECORD_HEADER_BYTES + len;
  }
}

/**
 * Read the header of the size-byte file into h at open: its generation, or null when the
 * file holds none (shorter than a header, zeros, or a creation or reset torn by a crash:
 * format.ts invariant F1) and must be recreated.
 */
export function readHeader(file: WalFile, h: Uint8Array, size: number, pageSize: number, salt1: number): WalHeader | null {
  if (size < WAL_HEADER_FIELDS_BYTES) return null;
  try {
    file.proc.pread(file.fd, h.subarray(0, WAL_HEADER_FIELDS_BYTES), 0);
  } catch (err) {
    file.ioFailed('pread', err);
  }
  // A header that fails its magic or checksum in a file no longer than the header block
  // is a reset or creation torn by a crash (reset writes the header into an empty file,
  // and no record can exist before it is complete): nothing committed is lost.
  const tornReset = size <= WAL_HEADER_BYTES && !headerIntact(h);
  if (!allZero(h, 0, WAL_HEADER_FIELDS_BYTES) && !tornReset) return parseHeader(h, file.path, size, pageSize, salt1);
  if (!tornReset) checkRestZero(file, size);
  return null;
}

/** A zero header: the rest of the size-byte file must be zero too (a file extended by a crash), else it is damage. */
function checkRestZero(file: WalFile, size: number): void {
  const chunk = new Uint8Array(Math.min(size, RECOVERY_READ_BYTES));
  for (let pos = 0; pos < size; pos += chunk.length) {
    const n = Math.min(chunk.length, size - pos);
    const view = chunk.subarray(0, n);
    try {
      file.proc.pread(file.fd, view, pos);
    } catch (err) {
      file.ioFailed('pread', err);
    }
    if (!allZero(view, 0, n)) {
      throw walCorrupt(file.path, `the WAL ${file.path} has a zeroed header but nonzero bytes at offset ` +
        `${pos + firstNonZero(view)} of ${size}: damaged`, { size });
    }
  }
}

/** Apply a record to a page image (recovery): FPI copies the page, DELTA patches its runs. */
export function applyRecord(
  kind: RecordKind, payload: Uint8Array, off: number, len: number, page: Uint8Array, pageOff: number, pageSize: number,
): void {
  if (kind === 'full') {
    if (len !== pageSize) {
      throw dbError(DB_CODES.WAL_CORRUPT, `a full page image of ${len} bytes for ${pageSize}-byte pages`, { len, pageSize });
    }
    page.set(payload.subarray(off, off + len), pageOff);
    return;
  }
  if (!applyDelta(payload, off, len, page, pageOff, pageSize)) {
    throw dbError(DB_CODES.WAL_CORRUPT, `a malformed delta of ${len} bytes for ${pageSize}-byte pages`, { len, pageSize });
  }
}

function firstNonZero(b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return i;
  return -1;
}

/**
 * applyRecord of a record recoverLog() handed to its caller: its shape and, for a delta,
 * its runs were checked as it was read (invariant R1), so they are not checked again.
 */
export function applyCheckedRecord(
  kind: RecordKind, payload: Uint8Array, off: number, len: number, page: Uint8Array, pageOff: number,
): void {
  if (kind === 'full') page.set(payload.subarray(off, off + len), pageOff);
  else applyCheckedDelta(payload, off, len, page, pageOff);
}
