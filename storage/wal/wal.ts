/**
 * The write-ahead log: physical per-page redo records, written at commit only. This file
 * is the writer (open, stage, commit, flush, reset, close) and owns the write buffer;
 * the on-disk format is format.ts (byte tables, header encode/parse, recordShapeOk), the
 * recovery reader recover.ts; the write buffer and its positions, which both use, are
 * log-buffer.ts (LogBuffer).
 *
 * Why this design
 * ---------------
 * - Physical, per page: a record says what bytes a page holds, not which row changed,
 *   so redo needs no B+tree code and is idempotent (applying a record twice gives the
 *   same page). Recovery is a loop over pages.
 * - Records of a transaction are written only at its commit (no-steal, so no undo;
 *   recover.ts says how recovery uses that). Checksum chain, LSNs and the header block:
 *   format.ts.
 * - Every commit reaches the host file before commit() returns, at every sync level, so
 *   a killed program loses no acknowledged commit (as SQLite's WAL and LMDB). 'full'
 *   pwrites and fdatasyncs; 'normal'/'off' pwrite, then sync_file_range(WRITE): the
 *   simulated kernel dies with the program, and this real Linux call hands the page to
 *   the host file without waiting for the device — what write() alone gives on a real
 *   kernel (log-buffer.ts handOff says why not a write-through flag). 'normal'
 *   fdatasyncs when asked (flush(): the pool's WAL rule; checkpoints; close), 'off' only
 *   at checkpoints and resets.
 *
 * Invariants (checkInvariants() asserts them; recover.ts R2/R3 keep them during recovery):
 *   1. The buffer holds file bytes [bufFileOff, bufFileOff + stageEnd): [0, pendEnd) are
 *      committed records not yet written, [pendEnd, stageEnd) the open transaction's
 *      staged records. Staged bytes are never written (no-steal).
 *   2. durable file offset <= bufFileOff (only written bytes are synced); durableLsn is
 *      its LSN ('off': endLsn). endLsn = LSN of bufFileOff + pendEnd.
 *   3. While records are staged the buffer has room for the commit record, so commit()
 *      never needs to grow or write to append it.
 *   4. chainCrc is the checksum of the last committed record (header checksum if none);
 *      stageCrc that of the last staged record, equal to chainCrc when none is staged.
 *   5. After an I/O error every call that would append, write or sync throws FAILED with
 *      the original error as cause (sticky), until the WAL is reopened.
 *
 * States and transitions:
 *   open() ── empty/zero/short file: recreate ──> READY
 *   open() ── header + records ──> UNSCANNED ── recover() ──> READY
 *   READY ── addFullPage/addPageDelta ──> staging ── commit() / abort() ──> READY
 *   READY ── reset() ──> READY (new generation);  any ── close() ──> CLOSED
 *   any ── failed pwrite/fdatasync/ftruncate ──> failed (sticky; close() still closes)
 */

import { KernelError, O_CREAT, O_RDWR, type Process } from '../../sim-kernel/index.js';
import { assert } from '../assert.js';
import { crc32c } from '../file/crc32c.js';
import { DB_CODES, dbError } from '../errors.js';
import {
  encodeHeader, isId53, isU32, REC_CRC_OFFSET, TWO32, WAL_COMMIT_RECORD_BYTES, WAL_HEADER_BYTES, WAL_RECORD,
  WAL_RECORD_HEADER_BYTES,
} from './format.js';
import { checkOptions, fileSizeBytes, LogBuffer, type WalFile } from './log-buffer.js';
import { encodeDelta, encodeRanges } from './page-delta.js';
import { type ApplyFn, applyRecord, readHeader, type RecordKind, recoverLog, type RecoveryStats } from './recover.js';

export {
  WAL_COMMIT_RECORD_BYTES, WAL_HEADER_BYTES, WAL_HEADER_FIELDS_BYTES, WAL_MAGIC, WAL_RECORD, WAL_RECORD_HEADER_BYTES, WAL_VERSION,
} from './format.js';
export { WAL_DEFAULT_BUFFER_BYTES, WAL_MAX_TXN_BYTES } from './log-buffer.js';
export type { ApplyFn, RecordKind, RecoveryStats } from './recover.js';

/** WAL durability, as SQLite's synchronous in WAL mode; the one list of them in remapdb. */
export const SYNC_MODES = ['full', 'normal', 'off'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

export interface WalOptions {
  pageSize: number;
  sync: SyncMode;
  /** The database salt (superblock); a WAL with another salt1 belongs to another database. */
  salt1: number;
  /** Write buffer, bytes (default WAL_DEFAULT_BUFFER_BYTES); grows for a larger transaction. */
  bufferBytes?: number;
  /** Largest transaction (its records plus commit record), bytes; default WAL_MAX_TXN_BYTES. */
  maxTxnBytes?: number;
}

const S_UNSCANNED = 0;
const S_READY = 1;
const S_CLOSED = 2;
type State = typeof S_UNSCANNED | typeof S_READY | typeof S_CLOSED;

export interface WalStats {
  commits: number;
  records: number;
  fullPages: number;
  deltas: number;
  bytesWritten: number;
  syncs: number;
}

export class Wal {
  readonly path: string;
  readonly #proc: Process;
  readonly #fd: number;
  readonly #pageSize: number;
  readonly #sync: SyncMode;
  readonly #salt1: number;
  readonly #maxTxnBytes: number;
  /** The file as recover.ts reads it; its ioFailed is this.#ioFailed. */
  readonly #file: WalFile;
  #salt2 = 0;
  #baseLsn = 0;
  #headerCrc = 0;
  #state: State = S_READY;
  /** The I/O error that failed the WAL (invariant 5), or null. */
  #failure: KernelError | null = null;
  /** Whether anything was staged or committed since open (recover() must come first). */
  #touched = false;
  #openSizeBytes = 0;

  readonly #hdr = new Uint8Array(WAL_HEADER_BYTES);
  readonly #b: LogBuffer;
  #stageRecords = 0;
  #stageFull = 0;
  #stageDeltas = 0;

  #commits = 0;
  #records = 0;
  #fullPages = 0;
  #deltas = 0;
  #bytesWritten = 0;
  #syncs = 0;

  private constructor(proc: Process, path: string, fd: number, opts: WalOptions, bufferBytes: number, maxTxnBytes: number) {
    this.#proc = proc;
    this.path = path;
    this.#fd = fd;
    this.#pageSize = opts.pageSize;
    this.#sync = opts.sync;
    this.#salt1 = opts.salt1 >>> 0;
    this.#maxTxnBytes = maxTxnBytes;
    this.#b = new LogBuffer(bufferBytes);
    this.#file = { proc, fd, path, ioFailed: (op, err) => this.#ioFailed(op, err) };
  }

  /** Open (or create, empty, with baseLsn and salt2) the WAL at path. Does not replay: call recover() first on open. */
  static open(proc: Process, path: string, opts: WalOptions, create: { baseLsn: number; salt2: number }): Wal {
    const { bufferBytes, maxTxnBytes } = checkOptions(opts, create);
    const fd = proc.open(path, O_RDWR | O_CREAT, 0o644);
    try {
      const wal = new Wal(proc, path, fd, opts, bufferBytes, maxTxnBytes);
      wal.#load(create);
      return wal;
    } catch (err) {
      proc.close(fd);
      throw err;
    }
  }

  get baseLsn(): number {
    return this.#baseLsn;
  }

  /** LSN after the last committed record, buffered or not (staged records excluded; baseLsn before recover()). */
  get endLsn(): number {
    return this.#lsnOf(this.#b.bufFileOff + this.#b.pendEnd);
  }

  /** 'full'/'normal': the LSN up to which the file is fdatasynced; 'off': endLsn. */
  get durableLsn(): number {
    return this.#sync === 'off' ? this.endLsn : this.#lsnOf(this.#b.syncedOff);
  }

  /** The log's file bytes, header and buffered commits included (a torn tail found by recover() is not). */
  get sizeBytes(): number {
    return this.#state === S_UNSCANNED ? this.#openSizeBytes : this.#b.bufFileOff + this.#b.pendEnd;
  }

  get syncMode(): SyncMode {
    return this.#sync;
  }

  /** The error that failed the WAL, or null. */
  get failure(): KernelError | null {
    return this.#failure;
  }

  #lsnOf(fileOff: number): number {
    return this.#baseLsn + (fileOff - WAL_HEADER_BYTES);
  }

  // ---------------------------------------------------------------- header

  #load(create: { baseLsn: number; salt2: number }): void {
    const size = fileSizeBytes(this.#file);
    this.#openSizeBytes = size;
    const g = readHeader(this.#file, this.#hdr, size, this.#pageSize, this.#salt1);
    if (g !== null) {
      this.#salt2 = g.salt2;
      this.#baseLsn = g.baseLsn;
      this.#headerCrc = g.headerCrc;
      this.#resetPositions();
      this.#state = size > WAL_HEADER_BYTES ? S_UNSCANNED : S_READY;
      return;
    }
    // Shorter than a header, or zeros: a crash during creation or reset (see format.ts) —
    // nothing was ever committed in this generation.
    this.#baseLsn = create.baseLsn;
    this.#salt2 = create.salt2 >>> 0;
    this.#writeHeader();
  }

  /** Empty the file and write the header block (ftruncate 0 first: see format.ts), then fdatasync. */
  #writeHeader(): void {
    const h = this.#hdr;
    this.#headerCrc = encodeHeader(h, this.#pageSize, this.#salt1, this.#salt2, this.#baseLsn);
    this.#resetPositions();
    let op = 'ftruncate';
    try {
      this.#proc.ftruncate(this.#fd, 0);
      op = 'pwrite';
      this.#proc.pwrite(this.#fd, h, 0);
      this.#bytesWritten += WAL_HEADER_BYTES;
      op = 'fdatasync';
      this.#proc.fdatasync(this.#fd);
    } catch (err) {
      this.#ioFailed(op, err);
    }
    this.#syncs++;
    this.#state = S_READY;
  }

  #resetPositions(): void {
    this.#b.reset(this.#headerCrc);
    this.#stageRecords = 0;
    this.#stageFull = 0;
    this.#stageDeltas = 0;
  }

  // ---------------------------------------------------------------- recovery

  /**
   * Scan from the start and call apply for every page record of every committed
   * transaction, with its commit LSN (recover.ts recoverLog); the tail after the last
   * intact commit is cut on the next write. Only before the first append after open.
   */
  recover(apply: ApplyFn): RecoveryStats {
    this.#checkUsable('recover');
    if (this.#touched) {
      throw dbError(DB_CODES.TXN_STATE, `recover() of the WAL ${this.path} after records were appended: recover right after open`);
    }
    const size = fileSizeBytes(this.#file);
    this.#resetPositions();
    const gen = { pageSize: this.#pageSize, maxTxnBytes: this.#maxTxnBytes, baseLsn: this.#baseLsn, headerCrc: this.#headerCrc };
    const stats = recoverLog(this.#file, gen, this.#b, size, apply);
    this.#state = S_READY;
    return stats;
  }

  // ---------------------------------------------------------------- staging

  /** Stage a full page image of src[off, off + pageSize). */
  addFullPage(pageId: number, src: Uint8Array, off: number): void {
    this.#checkAppend(pageId);
    const ps = this.#pageSize;
    const at = this.#reserve(WAL_RECORD_HEADER_BYTES + ps);
    this.#b.buf.set(src.subarray(off, off + ps), at + WAL_RECORD_HEADER_BYTES);
    this.#seal(at, WAL_RECORD.FPI, ps, pageId);
    this.#stageFull++;
  }

  /**
   * Stage the change from before to after: a DELTA over byte 0 and [from, pageSize) —
   * or, when `ranges` is given, over its `count` declared ranges only (page-delta.ts
   * encodeRanges) — or an FPI of after when the delta would not be smaller than the page.
   * Returns the payload bytes; 0 when nothing in the range changed (then nothing is staged).
   */
  addPageDelta(pageId: number, before: Uint8Array, beforeOff: number, after: Uint8Array, afterOff: number, from: number,
    ranges: Int32Array | null = null, rangesOff = 0, count = 0): number {
    this.#checkAppend(pageId);
    const ps = this.#pageSize;
    if (!Number.isInteger(from) || from < 0 || from > ps) {
      throw dbError(DB_CODES.INVALID, `addPageDelta: from ${from} is not an integer in [0, ${ps}]`, { from, pageSize: ps });
    }
    const at = this.#reserve(WAL_RECORD_HEADER_BYTES + ps);
    const payload = at + WAL_RECORD_HEADER_BYTES;
    const n = ranges === null ? encodeDelta(before, beforeOff, after, afterOff, from, ps, this.#b.buf, payload, ps - 1) :
      encodeRanges(before, beforeOff, after, afterOff, ranges, rangesOff, count, this.#b.buf, payload, ps - 1);
    if (n === 0) return 0;
    if (n < 0) {
      this.#b.buf.set(after.subarray(afterOff, afterOff + ps), payload);
      this.#seal(at, WAL_RECORD.FPI, ps, pageId);
      this.#stageFull++;
      return ps;
    }
    this.#seal(at, WAL_RECORD.DELTA, n, pageId);
    this.#stageDeltas++;
    return n;
  }

  /** Fill in the record header at `at`, chain its checksum, and take it into the stage. */
  #seal(at: number, type: number, len: number, id: number): void {
    const b = this.#b.buf;
    const v = this.#b.dv;
    b[at] = type;
    b[at + 1] = 0;
    v.setUint16(at + 2, len, true);
    v.setUint32(at + 4, id % TWO32, true);
    v.setUint32(at + 8, Math.floor(id / TWO32), true);
    const end = at + WAL_RECORD_HEADER_BYTES + len;
    const c = crc32c(b, at + WAL_RECORD_HEADER_BYTES, end, crc32c(b, at, at + REC_CRC_OFFSET, this.#b.stageCrc));
    v.setUint32(at + REC_CRC_OFFSET, c, true);
    this.#b.stageCrc = c;
    this.#b.stageEnd = end;
    if (type !== WAL_RECORD.COMMIT) this.#stageRecords++;
  }

  /**
   * Offset in the buffer where `bytes` more staged bytes go, keeping room for the commit
   * record (invariant 3): writes committed bytes out, then grows, if needed.
   */
  #reserve(bytes: number): number {
    const staged = this.#b.stageEnd - this.#b.pendEnd;
    if (staged + bytes + WAL_COMMIT_RECORD_BYTES > this.#maxTxnBytes) {
      throw dbError(DB_CODES.TXN_TOO_LARGE, `the transaction needs more than maxTxnBytes ${this.#maxTxnBytes} bytes of log ` +
        `(${staged} staged, ${bytes} more): split it, or open with a larger maxTxnBytes`,
      { stagedBytes: staged, moreBytes: bytes, limit: this.#maxTxnBytes });
    }
    if (this.#b.stageEnd + bytes + WAL_COMMIT_RECORD_BYTES <= this.#b.buf.length) return this.#b.stageEnd;
    this.#writePending();
    this.#b.growFor(bytes + WAL_COMMIT_RECORD_BYTES, this.#maxTxnBytes);
    return this.#b.stageEnd;
  }

  /** Drop the staged records (rollback). */
  abort(): void {
    this.#b.stageEnd = this.#b.pendEnd;
    this.#b.stageCrc = this.#b.chainCrc;
    this.#stageRecords = 0;
    this.#stageFull = 0;
    this.#stageDeltas = 0;
  }

  /**
   * Append the commit record of the staged records and write them to the host file:
   * 'full' fdatasyncs too, 'normal'/'off' hand off with sync_file_range (a failure
   * throws FAILED: the commit must not be acknowledged). Returns the commit LSN; with
   * nothing staged, logs nothing and returns endLsn.
   */
  commit(txnId: number): number {
    this.#checkUsable('commit');
    if (!isId53(txnId)) {
      throw dbError(DB_CODES.INVALID, `commit: transaction id ${txnId} is not an integer in [0, 2^53)`, { txnId });
    }
    if (this.#stageRecords === 0) return this.endLsn;
    const at = this.#b.stageEnd;
    assert(at + WAL_COMMIT_RECORD_BYTES <= this.#b.buf.length, 'room for the commit record (invariant 3)');
    const records = this.#stageRecords;
    this.#b.dv.setUint32(at + WAL_RECORD_HEADER_BYTES, records, true);
    this.#seal(at, WAL_RECORD.COMMIT, 4, txnId);
    this.#b.pendEnd = this.#b.stageEnd;
    this.#b.chainCrc = this.#b.stageCrc;
    this.#commits++;
    this.#records += records;
    this.#fullPages += this.#stageFull;
    this.#deltas += this.#stageDeltas;
    this.#stageRecords = 0;
    this.#stageFull = 0;
    this.#stageDeltas = 0;
    const lsn = this.endLsn;
    if (this.#sync === 'full') {
      this.#writePending();
      this.#fdatasync();
    } else {
      this.#bytesWritten += this.#b.handOff(this.#file);
    }
    return lsn;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Write buffered commits and fdatasync so durableLsn >= lsn (default endLsn) in
   * 'normal'/'full'; a no-op when it already is. 'off': write only, fdatasync if force.
   */
  flush(lsn?: number, force = false): void {
    this.#checkUsable('flush');
    if (this.#state === S_UNSCANNED) return;
    const end = this.endLsn;
    const target = lsn ?? end;
    if (!Number.isSafeInteger(target) || target > end) {
      throw dbError(DB_CODES.INVALID, `flush: LSN ${target} is beyond the end of the log (${end})`, { lsn: target, endLsn: end });
    }
    if (this.#sync === 'off') {
      this.#writePending();
      if (force && this.#b.syncedOff < this.#b.bufFileOff) this.#fdatasync();
      return;
    }
    if (target <= this.durableLsn) return;
    this.#writePending();
    this.#fdatasync();
  }

  #writePending(): void {
    this.#bytesWritten += this.#b.writePending(this.#file);
  }

  #fdatasync(): void {
    this.#b.fdatasync(this.#file);
    this.#syncs++;
  }

  /**
   * After a checkpoint: empty the log and start a generation at newBaseLsn (>= endLsn)
   * with salt2; buffered commits are dropped (the checkpoint holds them). Always
   * fdatasyncs, even in 'off': the data file may rely on the reset only once it is durable.
   */
  reset(newBaseLsn: number, salt2: number): void {
    this.#checkUsable('reset');
    if (this.#state !== S_READY || this.#stageRecords > 0) {
      throw dbError(DB_CODES.TXN_STATE, `reset of the WAL ${this.path} ${this.#stageRecords > 0 ? 'while a transaction is staged'
        : 'before recover()'}`, { staged: this.#stageRecords });
    }
    const end = this.endLsn;
    if (!isId53(newBaseLsn) || newBaseLsn < end) {
      throw dbError(DB_CODES.INVALID, `reset: new base LSN ${newBaseLsn} must be an integer in [endLsn ${end}, 2^53)`,
        { newBaseLsn, endLsn: end });
    }
    if (!isU32(salt2)) throw dbError(DB_CODES.INVALID, `reset: salt2 ${salt2} is not a u32`, { salt2 });
    this.#baseLsn = newBaseLsn;
    this.#salt2 = salt2;
    this.#writeHeader();
  }

  /** Write buffered commits (and fdatasync unless 'off'), then close the file. Staged records are dropped. */
  close(): void {
    if (this.#state === S_CLOSED) return;
    try {
      if (this.#failure === null && this.#state === S_READY) {
        this.#writePending();
        if (this.#sync !== 'off' && this.#b.syncedOff < this.#b.bufFileOff) this.#fdatasync();
      }
    } finally {
      this.#state = S_CLOSED;
      this.#proc.close(this.#fd);
    }
  }

  /** Apply a record to a page image (recovery): FPI copies the page, DELTA patches its runs. */
  static applyRecord(
    kind: RecordKind, payload: Uint8Array, off: number, len: number, page: Uint8Array, pageOff: number, pageSize: number,
  ): void {
    applyRecord(kind, payload, off, len, page, pageOff, pageSize);
  }

  stats(): WalStats {
    const bytesWritten = this.#bytesWritten;
    return { commits: this.#commits, records: this.#records, fullPages: this.#fullPages, deltas: this.#deltas, bytesWritten, syncs: this.#syncs };
  }

  checkInvariants(): void {
    const b = this.#b;
    assert(b.pendEnd >= 0 && b.pendEnd <= b.stageEnd && b.stageEnd <= b.buf.length,
      `buffer regions 0 <= ${b.pendEnd} <= ${b.stageEnd} <= ${b.buf.length} (invariant 1)`);
    assert(b.bufFileOff >= WAL_HEADER_BYTES && b.syncedOff >= WAL_HEADER_BYTES && b.syncedOff <= b.bufFileOff,
      `synced ${b.syncedOff} <= written ${b.bufFileOff} (invariant 2)`);
    if (this.#stageRecords === 0) {
      assert(b.stageEnd === b.pendEnd && b.stageCrc === b.chainCrc, 'nothing staged (invariant 4)');
    } else {
      assert(b.stageEnd + WAL_COMMIT_RECORD_BYTES <= b.buf.length, 'room for the commit record (invariant 3)');
    }
    assert(this.#stageFull + this.#stageDeltas === this.#stageRecords, 'staged record counts');
    assert(isId53(this.endLsn) && this.#baseLsn <= this.endLsn, `LSNs base ${this.#baseLsn} <= end ${this.endLsn}`);
    assert(b.truncateTo < 0 || b.truncateTo === b.bufFileOff, 'a pending cut is at the write position');
  }

  // ---------------------------------------------------------------- errors

  #checkUsable(op: string): void {
    if (this.#state === S_CLOSED) throw dbError(DB_CODES.CLOSED, `${op}: the WAL ${this.path} is closed`);
    const f = this.#failure;
    if (f !== null) {
      throw dbError(DB_CODES.FAILED, `${op}: the WAL ${this.path} failed earlier (${f.message}); it refuses changes until the ` +
        'database is reopened', { op }, f);
    }
  }

  #checkAppend(pageId: number): void {
    this.#checkUsable('append');
    if (this.#state === S_UNSCANNED) {
      throw dbError(DB_CODES.TXN_STATE, `append to the WAL ${this.path} before recover(): its records would be overwritten`);
    }
    if (!isId53(pageId)) throw dbError(DB_CODES.INVALID, `page id ${pageId} is not an integer in [0, 2^53)`, { pageId });
    this.#touched = true;
  }

  /**
   * A system call failed: a KernelError fails the WAL for good (invariant 5) and is
   * rethrown as FAILED naming it; anything else is a bug and propagates as it is.
   */
  #ioFailed(op: string, err: unknown): never {
    if (!(err instanceof KernelError)) throw err;
    this.#failure = err;
    throw dbError(DB_CODES.FAILED, `${op} of the WAL ${this.path} failed (${err.code}): committed transactions after ` +
      `LSN ${this.durableLsn} may not be durable; the database refuses changes until it is reopened`,
    { op, errno: err.code, durableLsn: this.durableLsn }, err);
  }
}
