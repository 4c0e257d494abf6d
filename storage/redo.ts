/**
 * Redo: at open, apply through the buffer pool every committed transaction the WAL holds
 * past the page file's checkpoint (open-files.ts calls it between opening the pool and
 * the WAL and building the pager; the log scan itself is wal/recover.ts recoverLog).
 *
 * Why this design
 * ---------------
 * - Through the pool, in place. Redo writes only what the log holds durably already
 *   (recover.ts R2: the log is durable past the transaction being applied), the state an
 *   install leaves, so the WAL rule holds without a shadow copy: each record is applied
 *   under a shared fix to the page itself (BufferPool.changeInPlace), which marks it
 *   dirty at the record's commit LSN. The shadow path — copy into a working frame, patch,
 *   copy back at install — cost two page copies per record to apply a TPC-B delta of
 *   ~100 bytes: a third of redo's time in the profile of a TPC-B replay
 *   (bench/storage/replay-main.ts under node --cpu-prof).
 * - Torn and damaged pages. Since format 2 a page's first record after a checkpoint is
 *   its full image (pager.ts), so redo starts every page it changes from the log,
 *   whatever the file holds (a torn write, damage, the kernel's unsealed write-back of a
 *   mapped page). A page whose first record is a delta must be as the checkpoint left
 *   it, so its file copy is verified first (`verify`): damage there ends in
 *   REMAPDB_CORRUPT naming the page, where applying the delta and the recovery
 *   checkpoint's reseal would pass it off as sound. Format 1 logs (`verify` null: a file
 *   being upgraded) relied on deltas over whatever the file held, which repairs a torn
 *   page but cannot tell it from a damaged one.
 *
 * Invariants:
 *   D1. seen[p] = 1 once page p has had a record in this redo: from then on its image
 *       comes from the log, not the file, and is not verified again.
 *   D2. A record is applied only past the checkpoint LSN, and only once a commit in the
 *       log ending at the checkpoint LSN has been seen (else the log does not belong to
 *       the page file: REMAPDB_WAL_CORRUPT before any change).
 *   D3. Each redone page is dirty in the pool at the commit LSN of its last record; the
 *       recovery checkpoint that follows (database.ts) writes it.
 */

import type { BufferPool } from '../bufferpool/index.js';
import { DB_CODES, DbError, dbError } from './errors.js';
import { get64, SB, type Superblock } from './file/format.js';
import { applyCheckedRecord, type RecordKind, type Wal, WAL_HEADER_BYTES } from './wal/index.js';

export interface Redone {
  superblock: { pageCount: number; freeHead: number; freeCount: number };
  recovered: { transactions: number; records: number; tornTailBytes: number };
}

/** Checks a page's file copy before its first record, a delta, is applied to it; throws if damaged. */
export type VerifyPage = (pageId: number, bytes: Uint8Array, off: number) => void;

/**
 * Redo committed transactions past the checkpoint through the pool. The log must fit the
 * page file: it starts at the checkpoint LSN (reset after each checkpoint), or before it
 * when a crash came between a checkpoint's superblock write and the reset — then the
 * checkpoint LSN is the end of a commit in it, and the log reaches at least that far.
 * Anything else is a page file and a WAL that do not belong together (a page file restored
 * from an older copy, a damaged checkpoint LSN): redo would apply changes to pages that
 * lack the ones before them, so it is refused with REMAPDB_WAL_CORRUPT before any change.
 * Returns the superblock fields as redone (page 0 is logged like any page).
 */
export function redo(pool: BufferPool, wal: Wal, sb: Superblock, verify: VerifyPage | null): Redone {
  const base = wal.baseLsn;
  const cp = sb.checkpointLsn;
  const logEnd = base + Math.max(0, wal.sizeBytes - WAL_HEADER_BYTES);
  if (base > cp || logEnd < cp) throw logMismatch(wal, sb, base > cp ? 'the log starts after the checkpoint' : 'the log ends before it');
  let records = 0;
  let sawCheckpoint = base === cp;
  /** 1: the page has had a record in this redo (its image no longer comes from the file). */
  let seen: Uint8Array = new Uint8Array(Math.max(64, sb.pageCount));
  const apply = (pageId: number, kind: RecordKind, payload: Uint8Array, off: number, len: number, commitLsn: number): void => {
    if (commitLsn === cp) sawCheckpoint = true;
    if (commitLsn <= cp) return;
    if (!sawCheckpoint) throw logMismatch(wal, sb, 'no commit in the log ends at the checkpoint');
    records++;
    while (pool.pageCount <= pageId) pool.allocate();
    if (pageId >= seen.length) seen = grown(seen, pageId);
    const t = pool.fix(pageId, 'shared');
    try {
      if (seen[pageId] === 0 && kind !== 'full' && verify !== null) verifyBeforeDelta(verify, pageId, pool.bytes, pool.offset(t), commitLsn);
      applyCheckedRecord(kind, payload, off, len, pool.bytes, pool.changeInPlace(t, commitLsn));
    } finally {
      pool.unfix(t, false);
    }
    seen[pageId] = 1;
  };
  const r = wal.recover(apply);
  const recovered = { transactions: records === 0 ? 0 : r.transactions, records, tornTailBytes: r.tornTailBytes };
  if (records === 0) return { superblock: { pageCount: sb.pageCount, freeHead: sb.freeListHead, freeCount: sb.freeCount }, recovered };
  const t = pool.fix(0, 'shared');
  const dv = new DataView(pool.bytes.buffer, pool.bytes.byteOffset + pool.offset(t), 64);
  const superblock = { pageCount: get64(dv, SB.PAGE_COUNT), freeHead: get64(dv, SB.FREE_HEAD), freeCount: get64(dv, SB.FREE_COUNT) };
  pool.unfix(t, false);
  pool.setPageCount(superblock.pageCount);
  return { superblock, recovered };
}

function grown(seen: Uint8Array, pageId: number): Uint8Array {
  const next = new Uint8Array(Math.max(pageId + 1, seen.length * 2));
  next.set(seen);
  return next;
}

function verifyBeforeDelta(verify: VerifyPage, pageId: number, bytes: Uint8Array, at: number, commitLsn: number): void {
  try {
    verify(pageId, bytes, at);
  } catch (err) {
    throw new DbError(DB_CODES.CORRUPT, `the WAL changes page ${pageId} (a delta at LSN ${commitLsn}), but the page ` +
      `file's copy it applies to is damaged: ${(err as Error).message}`, { details: { page: pageId }, cause: err });
  }
}

function logMismatch(wal: Wal, sb: Superblock, why: string): Error {
  return dbError(DB_CODES.WAL_CORRUPT, `the WAL ${wal.path} (base LSN ${wal.baseLsn}, ${wal.sizeBytes} bytes) does not fit the page ` +
    `file's checkpoint LSN ${sb.checkpointLsn}: ${why} (a page file restored from another copy, or a damaged superblock); ` +
    'move the WAL away to open the page file as it is (changes only in the WAL are lost)', { baseLsn: wal.baseLsn, checkpointLsn: sb.checkpointLsn });
}
