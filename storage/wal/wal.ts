/**
 * The write-ahead log: physical per-page redo records, written at commit only.
 *
 * Size (over 500 lines): not yet split. The seams are the on-disk format (the byte
 * tables, constants, header parse/write, recordShapeOk → wal/format.ts), the recovery
 * reader (→ wal/recover.ts) and the writer (stage/commit/flush/reset); the reader and the
 * writer share the Wal's private positions and buffers, so those become a state object first.
 *
 * Why this design
 * ---------------
 * - Physical, per page: a record says what bytes a page holds, not which row changed,
 *   so redo needs no B+tree code and is idempotent (applying a record twice gives the
 *   same page). Recovery is a loop over pages.
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
 *   read (recovery.ts) — PostgreSQL's full_page_writes, for a different reason. The
 *   price is one page image per page changed per checkpoint interval (README: its cost
 *   on TPC-B and TPC-C). A later record is an FPI too when the delta would not be smaller.
 * - Deltas rather than SQLite's page-images-only WAL: a TPC-B transaction changes ~4
 *   pages by ~100 bytes each. Images would write and checksum ~16 KiB per commit; deltas
 *   ~200 bytes plus 16-byte record headers — the benchmarks need ~100K tx/s. Between
 *   checkpoints most commits touch pages already imaged, so they stay deltas.
 * - Records of a transaction are written only at its commit (no-steal: nothing
 *   uncommitted is logged, so there is no undo). Recovery = apply every record of every
 *   transaction whose commit record is intact, in log order; the caller skips those with
 *   commit LSN <= the data file's checkpoint LSN.
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
 * - Sync modes: 'full' writes and fdatasyncs at every commit (survives power loss and a
 *   kill: the simulated machine, page cache included, lives inside the process, so a
 *   pwrite without fdatasync buys nothing — that is why 'normal' and 'off' keep commits
 *   in the user-space buffer instead of pwriting each). 'normal' fdatasyncs when asked
 *   (flush(): the buffer pool, for the WAL rule; checkpoints; close), 'off' never waits.
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
 * Invariants (checkInvariants() asserts them):
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
 *
 * Size: not yet split. The seams are the on-disk format (tables above, header
 * parse/write, recordShapeOk) for format.ts and the recovery reader (recover and its read
 * window) for recover.ts; both use the Wal's private positions and buffers, so a split
 * needs those as a state object first.
 */

import { KernelError, O_CREAT, O_RDWR, type Process } from '../../sim-kernel/index.js';
import { assert } from '../assert.js';
import { crc32c } from '../file/crc32c.js';
import { DB_CODES, type DbError, dbError } from '../errors.js';
import { PAGE_SIZES } from '../file/format.js';
import { applyDelta, checkDelta, encodeDelta, encodeRanges } from './page-delta.js';

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

export const WAL_MAGIC = Uint8Array.from([0x52, 0x45, 0x4d, 0x41, 0x50, 0x57, 0x41, 0x4c]); // "REMAPWAL"
export const WAL_VERSION = 1;
/** The header block; records start here. 4096: the largest sector and the file-system block. */
export const WAL_HEADER_BYTES = 4096;
/** The header's meaningful prefix (CRC at 60). */
export const WAL_HEADER_FIELDS_BYTES = 64;
export const WAL_RECORD_HEADER_BYTES = 16;
export const WAL_COMMIT_RECORD_BYTES = WAL_RECORD_HEADER_BYTES + 4;
export const WAL_RECORD = { FPI: 1, DELTA: 2, COMMIT: 3 } as const;
/** 1 MiB: ~5000 TPC-B commits between writes in 'normal'; one write per 256 FPIs. */
export const WAL_DEFAULT_BUFFER_BYTES = 1 << 20;
/** 64 MiB: 16K four-KiB page images, far more than the pool's shadow frames allow. */
export const WAL_MAX_TXN_BYTES = 64 << 20;
/** Read window of recover(); holds at least one record of the largest page size. */
const RECOVERY_READ_BYTES = 256 << 10;

const TWO32 = 2 ** 32;
const HI_LIMIT = 2 ** 21; // high half of a 53-bit value
const HDR_CRC_OFFSET = 60;
const REC_CRC_OFFSET = 12;

const S_UNSCANNED = 0;
const S_READY = 1;
const S_CLOSED = 2;
type State = typeof S_UNSCANNED | typeof S_READY | typeof S_CLOSED;

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

export interface WalStats {
  commits: number;
  records: number;
  fullPages: number;
  deltas: number;
  bytesWritten: number;
  syncs: number;
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < TWO32;
}

function isId53(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

const EMPTY = new Uint8Array(0);

export class Wal {
  readonly path: string;
  readonly #proc: Process;
  readonly #fd: number;
  readonly #pageSize: number;
  readonly #sync: SyncMode;
  readonly #salt1: number;
  readonly #maxTxnBytes: number;
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
  #buf: Uint8Array;
  #dv: DataView;
  #bufFileOff = WAL_HEADER_BYTES;
  #pendEnd = 0;
  #stageEnd = 0;
  #stageRecords = 0;
  #stageFull = 0;
  #stageDeltas = 0;
  #chainCrc = 0;
  #stageCrc = 0;
  #syncedOff = WAL_HEADER_BYTES;
  /** File offset to cut a torn tail at before the next write, or -1. */
  #truncateTo = -1;

  // recover()'s read window: file bytes [#rStart, #rStart + #rLen) in #rbuf.
  #rbuf = EMPTY;
  #rStart = 0;
  #rLen = 0;

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
    this.#buf = new Uint8Array(bufferBytes);
    this.#dv = new DataView(this.#buf.buffer);
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
    return this.#lsnOf(this.#bufFileOff + this.#pendEnd);
  }

  /** 'full'/'normal': the LSN up to which the file is fdatasynced; 'off': endLsn. */
  get durableLsn(): number {
    return this.#sync === 'off' ? this.endLsn : this.#lsnOf(this.#syncedOff);
  }

  /** The log's file bytes, header and buffered commits included (a torn tail found by recover() is not). */
  get sizeBytes(): number {
    return this.#state === S_UNSCANNED ? this.#openSizeBytes : this.#bufFileOff + this.#pendEnd;
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
    let size = 0;
    try {
      size = this.#proc.fstat(this.#fd).size;
    } catch (err) {
      this.#ioFailed('fstat', err);
    }
    this.#openSizeBytes = size;
    const h = this.#hdr;
    if (size >= WAL_HEADER_FIELDS_BYTES) {
      try {
        this.#proc.pread(this.#fd, h.subarray(0, WAL_HEADER_FIELDS_BYTES), 0);
      } catch (err) {
        this.#ioFailed('pread', err);
      }
      // A header that fails its magic or checksum in a file no longer than the header block
      // is a reset or creation torn by a crash (reset writes the header into an empty file,
      // and no record can exist before it is complete): nothing committed is lost.
      const tornReset = size <= WAL_HEADER_BYTES && !this.#headerIntact();
      if (!allZero(h, 0, WAL_HEADER_FIELDS_BYTES) && !tornReset) {
        this.#parseHeader(size);
        this.#state = size > WAL_HEADER_BYTES ? S_UNSCANNED : S_READY;
        return;
      }
      if (!tornReset) this.#checkRestZero(size);
    }
    // Shorter than a header, or zeros: a crash during creation or reset (see the header
    // comment) — nothing was ever committed in this generation.
    this.#baseLsn = create.baseLsn;
    this.#salt2 = create.salt2 >>> 0;
    this.#writeHeader();
  }

  #headerIntact(): boolean {
    const h = this.#hdr;
    for (let i = 0; i < WAL_MAGIC.length; i++) if (h[i] !== WAL_MAGIC[i]) return false;
    const v = new DataView(h.buffer, 0, WAL_HEADER_FIELDS_BYTES);
    return v.getUint32(HDR_CRC_OFFSET, true) === crc32c(h, 0, HDR_CRC_OFFSET);
  }

  #parseHeader(size: number): void {
    const h = this.#hdr;
    for (let i = 0; i < WAL_MAGIC.length; i++) {
      if (h[i] !== WAL_MAGIC[i]) {
        throw this.#corrupt(`the WAL ${this.path} does not start with the magic "REMAPWAL": not a remapdb WAL, or its header ` +
          'is destroyed; move it away to open the database without it (committed changes not yet checkpointed are lost)', { size });
      }
    }
    const v = new DataView(h.buffer, 0, WAL_HEADER_FIELDS_BYTES);
    const stored = v.getUint32(HDR_CRC_OFFSET, true);
    const actual = crc32c(h, 0, HDR_CRC_OFFSET);
    if (stored !== actual) {
      throw this.#corrupt(`the WAL ${this.path}: header checksum ${hex(stored)} does not match its contents (${hex(actual)})`,
        { stored, actual });
    }
    const version = v.getUint32(8, true);
    if (version > WAL_VERSION) {
      throw this.#corrupt(`the WAL ${this.path} has format version ${version}; this remapdb reads versions up to ${WAL_VERSION}`,
        { version, limit: WAL_VERSION });
    }
    const pageSize = v.getUint32(12, true);
    if (pageSize !== this.#pageSize) {
      throw this.#corrupt(`the WAL ${this.path} logs ${pageSize}-byte pages but the database has ${this.#pageSize}-byte pages: ` +
        'it belongs to another database', { walPageSize: pageSize, pageSize: this.#pageSize });
    }
    const salt1 = v.getUint32(16, true);
    if (salt1 !== this.#salt1) {
      throw this.#corrupt(`the WAL ${this.path} has salt1 ${hex(salt1)} but the database salt is ${hex(this.#salt1)}: ` +
        'it belongs to another database', { walSalt1: salt1, salt1: this.#salt1 });
    }
    const baseHi = v.getUint32(28, true);
    const headerBytes = v.getUint32(32, true);
    if (baseHi >= HI_LIMIT || headerBytes !== WAL_HEADER_BYTES) {
      throw this.#corrupt(`the WAL ${this.path}: header fields out of range (baseLsn high word ${baseHi}, limit ${HI_LIMIT - 1}; ` +
        `header bytes ${headerBytes}, expected ${WAL_HEADER_BYTES})`, { baseHi, headerBytes });
    }
    this.#salt2 = v.getUint32(20, true);
    this.#baseLsn = v.getUint32(24, true) + baseHi * TWO32;
    this.#headerCrc = stored;
    this.#resetPositions();
  }

  /** A zero header: the rest of the file must be zero too (a file extended by a crash), else it is damage. */
  #checkRestZero(size: number): void {
    const chunk = new Uint8Array(Math.min(size, RECOVERY_READ_BYTES));
    for (let pos = 0; pos < size; pos += chunk.length) {
      const n = Math.min(chunk.length, size - pos);
      const view = chunk.subarray(0, n);
      try {
        this.#proc.pread(this.#fd, view, pos);
      } catch (err) {
        this.#ioFailed('pread', err);
      }
      if (!allZero(view, 0, n)) {
        throw this.#corrupt(`the WAL ${this.path} has a zeroed header but nonzero bytes at offset ${pos + firstNonZero(view)} ` +
          `of ${size}: damaged`, { size });
      }
    }
  }

  /** Empty the file and write the header block (ftruncate 0 first: see the header comment), then fdatasync. */
  #writeHeader(): void {
    const h = this.#hdr;
    h.fill(0);
    h.set(WAL_MAGIC, 0);
    const v = new DataView(h.buffer, 0, WAL_HEADER_FIELDS_BYTES);
    v.setUint32(8, WAL_VERSION, true);
    v.setUint32(12, this.#pageSize, true);
    v.setUint32(16, this.#salt1, true);
    v.setUint32(20, this.#salt2, true);
    v.setUint32(24, this.#baseLsn % TWO32, true);
    v.setUint32(28, Math.floor(this.#baseLsn / TWO32), true);
    v.setUint32(32, WAL_HEADER_BYTES, true);
    this.#headerCrc = crc32c(h, 0, HDR_CRC_OFFSET);
    v.setUint32(HDR_CRC_OFFSET, this.#headerCrc, true);
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
    this.#bufFileOff = WAL_HEADER_BYTES;
    this.#pendEnd = 0;
    this.#stageEnd = 0;
    this.#stageRecords = 0;
    this.#stageFull = 0;
    this.#stageDeltas = 0;
    this.#chainCrc = this.#headerCrc;
    this.#stageCrc = this.#headerCrc;
    this.#syncedOff = WAL_HEADER_BYTES;
    this.#truncateTo = -1;
  }

  // ---------------------------------------------------------------- recovery

  /**
   * Scan from the start: call apply for every page record of every committed transaction
   * (in log order), with its commit LSN. Stops at the first record whose checksum, type,
   * length or chain is wrong; the WAL is then positioned after the last intact commit
   * (the tail is cut on the next write). Only before the first append after open.
   */
  recover(apply: ApplyFn): RecoveryStats {
    this.#checkUsable('recover');
    if (this.#touched) {
      throw dbError(DB_CODES.TXN_STATE, `recover() of the WAL ${this.path} after records were appended: recover right after open`);
    }
    let size = 0;
    try {
      size = this.#proc.fstat(this.#fd).size;
    } catch (err) {
      this.#ioFailed('fstat', err);
    }
    const ps = this.#pageSize;
    this.#resetPositions();
    this.#rbuf = new Uint8Array(Math.max(RECOVERY_READ_BYTES, 2 * (WAL_RECORD_HEADER_BYTES + ps)));
    this.#rStart = 0;
    this.#rLen = 0;
    let pos = WAL_HEADER_BYTES;
    let crc = this.#headerCrc;
    let commitEnd = pos;
    let commitCrc = crc;
    let transactions = 0;
    let records = 0;
    let lastCommitLsn = this.#baseLsn;
    let staged = 0;
    try {
      for (;;) {
        if (pos + WAL_RECORD_HEADER_BYTES > size) break;
        let at = this.#window(pos, WAL_RECORD_HEADER_BYTES, size);
        const r = this.#rbuf;
        const type = r[at] as number;
        const len = (r[at + 2] as number) | ((r[at + 3] as number) << 8);
        const idHi = u32(r, at + 8);
        if (!recordShapeOk(type, r[at + 1] as number, len, idHi, ps)) break;
        const total = WAL_RECORD_HEADER_BYTES + len;
        if (pos + total > size) break;
        at = this.#window(pos, total, size);
        const stored = u32(r, at + REC_CRC_OFFSET);
        const actual = crc32c(r, at + WAL_RECORD_HEADER_BYTES, at + total, crc32c(r, at, at + REC_CRC_OFFSET, crc));
        if (stored !== actual) break;
        crc = stored;
        const id = u32(r, at + 4) + idHi * TWO32;
        if (type === WAL_RECORD.COMMIT) {
          const count = u32(r, at + WAL_RECORD_HEADER_BYTES);
          if (count !== staged) {
            throw this.#corrupt(`the WAL ${this.path}: the commit record of transaction ${id} at offset ${pos} counts ${count} ` +
              `page records but ${staged} precede it (checksums intact: written by a faulty writer)`, { offset: pos, count, staged });
          }
          const commitLsn = this.#lsnOf(pos + total);
          // What recovery reads is the log's content (see below), durable up to here already
          // while the transaction is applied: the pool may then install and evict each
          // redone page. Else redo of more pages than the pool has slots or shadow frames
          // failed REMAPDB_POOL_EXHAUSTED: no redone page was ever installable (found by the
          // fault sweep: test/storage/fault-sweep.test.ts).
          this.#bufFileOff = pos + total;
          this.#syncedOff = pos + total;
          this.#replayStaged(apply, commitLsn);
          transactions++;
          records += staged;
          staged = 0;
          lastCommitLsn = commitLsn;
          commitEnd = pos + total;
          commitCrc = crc;
        } else {
          if (type === WAL_RECORD.DELTA && !checkDelta(r, at + WAL_RECORD_HEADER_BYTES, len, ps)) {
            throw this.#corrupt(`the WAL ${this.path}: the delta of page ${id} at offset ${pos} has intact checksums but ` +
              'malformed runs (written by a faulty writer)', { offset: pos, pageId: id });
          }
          this.#stageCopy(r, at, total, pos);
          staged++;
        }
        pos += total;
      }
    } finally {
      this.#rbuf = EMPTY;
      this.#stageEnd = 0;
    }
    this.#bufFileOff = commitEnd;
    this.#chainCrc = commitCrc;
    this.#stageCrc = commitCrc;
    // What recovery read is the log's content; the caller checkpoints it before relying on more.
    this.#syncedOff = commitEnd;
    const tornTailBytes = Math.max(0, size - commitEnd);
    this.#truncateTo = size > commitEnd ? commitEnd : -1;
    this.#state = S_READY;
    return { transactions, records, lastCommitLsn, tornTailBytes };
  }

  /** Index in #rbuf of file bytes [pos, pos + n), reading a new window if needed. */
  #window(pos: number, n: number, size: number): number {
    if (pos >= this.#rStart && pos + n <= this.#rStart + this.#rLen) return pos - this.#rStart;
    const len = Math.min(this.#rbuf.length, size - pos);
    assert(len >= n, `window of ${len} bytes for ${n}`);
    const view = this.#rbuf.subarray(0, len);
    let got = 0;
    try {
      got = this.#proc.pread(this.#fd, view, pos);
    } catch (err) {
      this.#ioFailed('pread', err);
    }
    assert(got === len, `pread returned ${got} of ${len} bytes inside the file`);
    this.#rStart = pos;
    this.#rLen = len;
    return 0;
  }

  /** Copy a verified page record into the staging area (recovery holds one transaction). */
  #stageCopy(r: Uint8Array, at: number, total: number, pos: number): void {
    if (this.#stageEnd + total + WAL_COMMIT_RECORD_BYTES > this.#maxTxnBytes) {
      throw this.#corrupt(`the WAL ${this.path}: the transaction at offset ${pos} exceeds maxTxnBytes ${this.#maxTxnBytes}: ` +
        'reopen with the maxTxnBytes it was written with', { offset: pos, limit: this.#maxTxnBytes });
    }
    this.#growFor(total);
    this.#buf.set(r.subarray(at, at + total), this.#stageEnd);
    this.#stageEnd += total;
  }

  #replayStaged(apply: ApplyFn, commitLsn: number): void {
    const b = this.#buf;
    for (let p = 0; p < this.#stageEnd;) {
      const len = (b[p + 2] as number) | ((b[p + 3] as number) << 8);
      const id = u32(b, p + 4) + u32(b, p + 8) * TWO32;
      apply(id, b[p] === WAL_RECORD.FPI ? 'full' : 'delta', b, p + WAL_RECORD_HEADER_BYTES, len, commitLsn);
      p += WAL_RECORD_HEADER_BYTES + len;
    }
    this.#stageEnd = 0;
  }

  // ---------------------------------------------------------------- staging

  /** Stage a full page image of src[off, off + pageSize). */
  addFullPage(pageId: number, src: Uint8Array, off: number): void {
    this.#checkAppend(pageId);
    const ps = this.#pageSize;
    const at = this.#reserve(WAL_RECORD_HEADER_BYTES + ps);
    this.#buf.set(src.subarray(off, off + ps), at + WAL_RECORD_HEADER_BYTES);
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
    const n = ranges === null ? encodeDelta(before, beforeOff, after, afterOff, from, ps, this.#buf, payload, ps - 1) :
      encodeRanges(before, beforeOff, after, afterOff, ranges, rangesOff, count, this.#buf, payload, ps - 1);
    if (n === 0) return 0;
    if (n < 0) {
      this.#buf.set(after.subarray(afterOff, afterOff + ps), payload);
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
    const b = this.#buf;
    const v = this.#dv;
    b[at] = type;
    b[at + 1] = 0;
    v.setUint16(at + 2, len, true);
    v.setUint32(at + 4, id % TWO32, true);
    v.setUint32(at + 8, Math.floor(id / TWO32), true);
    const end = at + WAL_RECORD_HEADER_BYTES + len;
    const c = crc32c(b, at + WAL_RECORD_HEADER_BYTES, end, crc32c(b, at, at + REC_CRC_OFFSET, this.#stageCrc));
    v.setUint32(at + REC_CRC_OFFSET, c, true);
    this.#stageCrc = c;
    this.#stageEnd = end;
    if (type !== WAL_RECORD.COMMIT) this.#stageRecords++;
  }

  /**
   * Offset in the buffer where `bytes` more staged bytes go, keeping room for the commit
   * record (invariant 3): writes committed bytes out, then grows, if needed.
   */
  #reserve(bytes: number): number {
    const staged = this.#stageEnd - this.#pendEnd;
    if (staged + bytes + WAL_COMMIT_RECORD_BYTES > this.#maxTxnBytes) {
      throw dbError(DB_CODES.TXN_TOO_LARGE, `the transaction needs more than maxTxnBytes ${this.#maxTxnBytes} bytes of log ` +
        `(${staged} staged, ${bytes} more): split it, or open with a larger maxTxnBytes`,
      { stagedBytes: staged, moreBytes: bytes, limit: this.#maxTxnBytes });
    }
    if (this.#stageEnd + bytes + WAL_COMMIT_RECORD_BYTES <= this.#buf.length) return this.#stageEnd;
    this.#writePending();
    this.#growFor(bytes + WAL_COMMIT_RECORD_BYTES);
    return this.#stageEnd;
  }

  /** Grow the buffer (doubling, up to maxTxnBytes) so `bytes` more fit after stageEnd. */
  #growFor(bytes: number): void {
    const need = this.#stageEnd + bytes;
    if (need <= this.#buf.length) return;
    const cap = Math.min(Math.max(this.#maxTxnBytes, need), Math.max(this.#buf.length * 2, need));
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#stageEnd));
    this.#buf = next;
    this.#dv = new DataView(next.buffer);
  }

  /** Drop the staged records (rollback). */
  abort(): void {
    this.#stageEnd = this.#pendEnd;
    this.#stageCrc = this.#chainCrc;
    this.#stageRecords = 0;
    this.#stageFull = 0;
    this.#stageDeltas = 0;
  }

  /**
   * Append the commit record of the staged records. 'full': write and fdatasync now (a
   * failure throws FAILED: the commit must not be acknowledged); 'normal'/'off': the
   * bytes may stay buffered. Returns the commit LSN; with nothing staged, logs nothing
   * and returns endLsn.
   */
  commit(txnId: number): number {
    this.#checkUsable('commit');
    if (!isId53(txnId)) {
      throw dbError(DB_CODES.INVALID, `commit: transaction id ${txnId} is not an integer in [0, 2^53)`, { txnId });
    }
    if (this.#stageRecords === 0) return this.endLsn;
    const at = this.#stageEnd;
    assert(at + WAL_COMMIT_RECORD_BYTES <= this.#buf.length, 'room for the commit record (invariant 3)');
    const records = this.#stageRecords;
    this.#dv.setUint32(at + WAL_RECORD_HEADER_BYTES, records, true);
    this.#seal(at, WAL_RECORD.COMMIT, 4, txnId);
    this.#pendEnd = this.#stageEnd;
    this.#chainCrc = this.#stageCrc;
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
      if (force && this.#syncedOff < this.#bufFileOff) this.#fdatasync();
      return;
    }
    if (target <= this.durableLsn) return;
    this.#writePending();
    this.#fdatasync();
  }

  /** pwrite the committed bytes [0, pendEnd) and move the staged ones to the front. */
  #writePending(): void {
    const n = this.#pendEnd;
    if (n === 0) return;
    if (this.#truncateTo >= 0) {
      // Cut what recover() found past the last commit, so no old record can follow ours.
      const to = this.#truncateTo;
      try {
        this.#proc.ftruncate(this.#fd, to);
      } catch (err) {
        this.#ioFailed('ftruncate', err);
      }
      this.#truncateTo = -1;
    }
    const bytes = this.#buf.subarray(0, n); // one view per write, not per record
    const off = this.#bufFileOff;
    try {
      this.#proc.pwrite(this.#fd, bytes, off);
    } catch (err) {
      this.#ioFailed('pwrite', err);
    }
    this.#bytesWritten += n;
    if (this.#stageEnd > n) this.#buf.copyWithin(0, n, this.#stageEnd);
    this.#stageEnd -= n;
    this.#pendEnd = 0;
    this.#bufFileOff += n;
  }

  #fdatasync(): void {
    try {
      this.#proc.fdatasync(this.#fd);
    } catch (err) {
      this.#ioFailed('fdatasync', err);
    }
    this.#syncs++;
    this.#syncedOff = this.#bufFileOff;
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
        if (this.#sync !== 'off' && this.#syncedOff < this.#bufFileOff) this.#fdatasync();
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

  stats(): WalStats {
    return {
      commits: this.#commits, records: this.#records, fullPages: this.#fullPages, deltas: this.#deltas,
      bytesWritten: this.#bytesWritten, syncs: this.#syncs,
    };
  }

  checkInvariants(): void {
    assert(this.#pendEnd >= 0 && this.#pendEnd <= this.#stageEnd && this.#stageEnd <= this.#buf.length,
      `buffer regions 0 <= ${this.#pendEnd} <= ${this.#stageEnd} <= ${this.#buf.length} (invariant 1)`);
    assert(this.#bufFileOff >= WAL_HEADER_BYTES && this.#syncedOff >= WAL_HEADER_BYTES && this.#syncedOff <= this.#bufFileOff,
      `synced ${this.#syncedOff} <= written ${this.#bufFileOff} (invariant 2)`);
    if (this.#stageRecords === 0) {
      assert(this.#stageEnd === this.#pendEnd && this.#stageCrc === this.#chainCrc, 'nothing staged (invariant 4)');
    } else {
      assert(this.#stageEnd + WAL_COMMIT_RECORD_BYTES <= this.#buf.length, 'room for the commit record (invariant 3)');
    }
    assert(this.#stageFull + this.#stageDeltas === this.#stageRecords, 'staged record counts');
    assert(isId53(this.endLsn) && this.#baseLsn <= this.endLsn, `LSNs base ${this.#baseLsn} <= end ${this.endLsn}`);
    assert(this.#truncateTo < 0 || this.#truncateTo === this.#bufFileOff, 'a pending cut is at the write position');
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

  #corrupt(message: string, details: Record<string, unknown>): DbError {
    return dbError(DB_CODES.WAL_CORRUPT, message, { path: this.path, ...details });
  }
}

function checkOptions(opts: WalOptions, create: { baseLsn: number; salt2: number }): { bufferBytes: number; maxTxnBytes: number } {
  const ps = opts.pageSize;
  if (!(PAGE_SIZES as readonly number[]).includes(ps)) {
    throw dbError(DB_CODES.INVALID, `WAL pageSize ${ps} is not one of ${PAGE_SIZES.join(', ')}`, { pageSize: ps });
  }
  if (opts.sync !== 'full' && opts.sync !== 'normal' && opts.sync !== 'off') {
    throw dbError(DB_CODES.INVALID, `WAL sync ${String(opts.sync)} is not 'full', 'normal' or 'off'`, { sync: opts.sync });
  }
  if (!isU32(opts.salt1)) throw dbError(DB_CODES.INVALID, `WAL salt1 ${opts.salt1} is not a u32`, { salt1: opts.salt1 });
  const maxTxnBytes = opts.maxTxnBytes ?? WAL_MAX_TXN_BYTES;
  const minBuffer = 2 * (WAL_RECORD_HEADER_BYTES + ps) + WAL_COMMIT_RECORD_BYTES;
  if (!Number.isInteger(maxTxnBytes) || maxTxnBytes < minBuffer || maxTxnBytes > 2 ** 30) {
    throw dbError(DB_CODES.INVALID, `WAL maxTxnBytes ${maxTxnBytes} is not an integer in [${minBuffer}, 2^30]`,
      { maxTxnBytes, min: minBuffer, max: 2 ** 30 });
  }
  const bufferBytes = opts.bufferBytes ?? Math.min(WAL_DEFAULT_BUFFER_BYTES, maxTxnBytes);
  if (!Number.isInteger(bufferBytes) || bufferBytes < minBuffer || bufferBytes > maxTxnBytes) {
    throw dbError(DB_CODES.INVALID, `WAL bufferBytes ${bufferBytes} is not an integer in [${minBuffer}, maxTxnBytes ${maxTxnBytes}]`,
      { bufferBytes, min: minBuffer, max: maxTxnBytes });
  }
  if (!isId53(create.baseLsn)) {
    throw dbError(DB_CODES.INVALID, `WAL baseLsn ${create.baseLsn} is not an integer in [0, 2^53)`, { baseLsn: create.baseLsn });
  }
  if (!isU32(create.salt2)) throw dbError(DB_CODES.INVALID, `WAL salt2 ${create.salt2} is not a u32`, { salt2: create.salt2 });
  return { bufferBytes, maxTxnBytes };
}

/** Whether a record header's fields are possible; anything else is a torn tail or garbage. */
function recordShapeOk(type: number, reserved: number, len: number, idHi: number, pageSize: number): boolean {
  if (reserved !== 0 || idHi >= HI_LIMIT) return false;
  if (type === WAL_RECORD.FPI) return len === pageSize;
  if (type === WAL_RECORD.DELTA) return len >= 5 && len < pageSize;
  if (type === WAL_RECORD.COMMIT) return len === 4;
  return false;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

function allZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

function firstNonZero(b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return i;
  return -1;
}
