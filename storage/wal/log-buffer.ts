/**
 * The WAL's write buffer and its file positions: the state the writer (wal.ts) and the
 * recovery reader (recover.ts) share, with the buffer's I/O (write out, fdatasync) and
 * the check of the options that size it (checkOptions). Internal to storage/wal.
 *
 * Why a plain object: recovery stages each transaction in the writer's own buffer and
 * leaves the positions after the last intact commit, so both need the same fields; plain
 * fields keep the commit path reading and writing them in place, allocating nothing.
 * Its invariants are wal.ts invariants 1–4 (checkInvariants asserts them there).
 */

import { POSIX_FADV_DONTNEED, type Process, SYNC_FILE_RANGE_WRITE } from '../../sim-kernel/index.js';
import { DB_CODES, dbError } from '../errors.js';
import { PAGE_SIZES } from '../file/format.js';
import { isId53, isU32, WAL_COMMIT_RECORD_BYTES, WAL_HEADER_BYTES, WAL_RECORD_HEADER_BYTES } from './format.js';
import type { WalOptions } from './wal.js';

/** 1 MiB: one write per 256 FPIs of a large transaction (commits are written at commit). */
export const WAL_DEFAULT_BUFFER_BYTES = 1 << 20;
/** 64 MiB: 16K four-KiB page images, far more than the pool's shadow frames allow. */
export const WAL_MAX_TXN_BYTES = 64 << 20;
/** Written-back log gathered before its cached pages are dropped (LogBuffer.dropWritten). */
export const WAL_DROP_BYTES = 1 << 20;
/** A multiple of every page size (4, 8, 16 KiB; 64 KiB kernels): where dropWritten's next range starts. */
const DROP_ALIGN = 1 << 16;

/** The WAL file; ioFailed fails the WAL for good (wal.ts invariant 5) and throws. */
export interface WalFile {
  readonly proc: Process;
  readonly fd: number;
  readonly path: string;
  ioFailed(op: string, err: unknown): never;
}

/** The file's size, bytes (fstat). */
export function fileSizeBytes(file: WalFile): number {
  let size = 0;
  try {
    size = file.proc.fstat(file.fd).size;
  } catch (err) {
    file.ioFailed('fstat', err);
  }
  return size;
}

/** @internal The buffer holds file bytes [bufFileOff, bufFileOff + stageEnd) (wal.ts invariant 1). */
export class LogBuffer {
  buf: Uint8Array;
  dv: DataView;
  /** File offset of buf[0]. */
  bufFileOff = WAL_HEADER_BYTES;
  pendEnd = 0;
  stageEnd = 0;
  /** File offset below which the log's cached pages were last dropped (dropWritten). */
  droppedOff = 0;
  chainCrc = 0;
  stageCrc = 0;
  syncedOff = WAL_HEADER_BYTES;
  /** File offset to cut a torn tail at before the next write, or -1. */
  truncateTo = -1;

  constructor(bytes: number) {
    this.buf = new Uint8Array(bytes);
    this.dv = new DataView(this.buf.buffer);
  }

  /** Empty, positioned at the first record of a generation whose header checksum is headerCrc. */
  reset(headerCrc: number): void {
    this.bufFileOff = WAL_HEADER_BYTES;
    this.pendEnd = 0;
    this.stageEnd = 0;
    this.chainCrc = headerCrc;
    this.stageCrc = headerCrc;
    this.syncedOff = WAL_HEADER_BYTES;
    this.truncateTo = -1;
    this.droppedOff = 0;
  }

  /** Grow buf (doubling, up to maxTxnBytes) so `bytes` more fit after stageEnd. */
  growFor(bytes: number, maxTxnBytes: number): void {
    const need = this.stageEnd + bytes;
    if (need <= this.buf.length) return;
    const cap = Math.min(Math.max(maxTxnBytes, need), Math.max(this.buf.length * 2, need));
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.stageEnd));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** pwrite the committed bytes [0, pendEnd) and move the staged ones to the front; returns the bytes written. */
  writePending(file: WalFile): number {
    const n = this.pendEnd;
    if (n === 0) return 0;
    if (this.truncateTo >= 0) {
      // Cut what recover() found past the last commit, so no old record can follow ours.
      try {
        file.proc.ftruncate(file.fd, this.truncateTo);
      } catch (err) {
        file.ioFailed('ftruncate', err);
      }
      this.truncateTo = -1;
    }
    try {
      file.proc.pwrite(file.fd, this.buf.subarray(0, n), this.bufFileOff); // one view per write, not per record
    } catch (err) {
      file.ioFailed('pwrite', err);
    }
    if (this.stageEnd > n) this.buf.copyWithin(0, n, this.stageEnd);
    this.stageEnd -= n;
    this.pendEnd = 0;
    this.bufFileOff += n;
    return n;
  }

  /**
   * writePending, then sync_file_range(SYNC_FILE_RANGE_WRITE) over what it wrote: the
   * bytes leave the simulated page cache for the host file, where a crash of this
   * program cannot reach them (wal.ts "Why this design"); no device flush. Chosen over
   * a write-through open flag (an O_DSYNC-like mode of our own) because it is a real
   * Linux path with its real cost: one more syscall and a write-back submission per
   * commit, counted in simulated time. Returns the bytes written.
   */
  handOff(file: WalFile): number {
    const from = this.bufFileOff;
    const n = this.writePending(file);
    if (n === 0) return 0;
    try {
      file.proc.syncFileRange(file.fd, from, n, SYNC_FILE_RANGE_WRITE);
    } catch (err) {
      file.ioFailed('sync_file_range', err);
    }
    this.dropWritten(file);
    return n;
  }

  /**
   * Drop the log's written-back pages from the page cache once WAL_DROP_BYTES of them have
   * gathered: posix_fadvise(POSIX_FADV_DONTNEED), as PostgreSQL does when it closes a WAL
   * segment. Only recovery reads the log back, so a cached log page is a frame of RAM
   * held for nothing until reclaim gets to it — with a 512 MiB checkpoint interval, up
   * to 128K frames — and its frame can serve the next page written. The kernel drops only
   * clean pages wholly inside the range: the tail page still being appended to, and
   * anything not yet written back, stay. Advice: a failure changes nothing durable, so it
   * is ignored.
   */
  dropWritten(file: WalFile): void {
    if (this.bufFileOff - this.droppedOff < WAL_DROP_BYTES) return;
    try {
      file.proc.posix_fadvise(file.fd, this.droppedOff, this.bufFileOff - this.droppedOff, POSIX_FADV_DONTNEED);
    } catch {
      // posix_fadvise only advises: nothing to undo, and the pages stay cached
    }
    // The next range starts at a boundary of any page size (64 KiB), so the page the log
    // was still filling is whole in it and dropped then.
    this.droppedOff = Math.floor(this.bufFileOff / DROP_ALIGN) * DROP_ALIGN;
  }

  /** fdatasync: the written bytes become durable (wal.ts invariant 2). */
  fdatasync(file: WalFile): void {
    try {
      file.proc.fdatasync(file.fd);
    } catch (err) {
      file.ioFailed('fdatasync', err);
    }
    this.syncedOff = this.bufFileOff;
    this.dropWritten(file);
  }
}

export function checkOptions(opts: WalOptions, create: { baseLsn: number; salt2: number }): { bufferBytes: number; maxTxnBytes: number } {
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
