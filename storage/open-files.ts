/**
 * Open steps 2–3 of Database (database.ts "Open (recovery)"): read the superblock, open
 * the buffer pool over the page file and the WAL after it, redo every committed
 * transaction past the checkpoint, and build the pager over the result.
 *
 * Owns: the pool's hooks into the page format — the WAL rule (the pool forces the log up
 * to a page's LSN before writing it back), checksum verification of pages it loads and
 * sealing of pages it writes.
 *
 * Invariants:
 *   1. A page loaded through the pool is verified only once the pager exists (the end of
 *      recovery: redo verifies the pages it patches itself, redo.ts) and only if it
 *      was sealed by a checkpoint (Pager.mustBeSealed).
 *   2. A format 1 file's pages pass with either the unsalted or the salted checksum until
 *      its upgrade has resealed them (OpenedFiles.upgraded); pages are always sealed salted.
 *   3. On a throw, whatever was opened here is closed again; the page file's descriptor
 *      belongs to the caller.
 *
 * Split from database.ts so that Database's constructor reads as the open steps in order.
 */

import { type BufferPool, openBufferPool } from '../bufferpool/index.js';
import type { Kernel, Process, Prng } from '../sim-kernel/index.js';
import {
  FORMAT_VERSION, LEGACY_CHECKSUM_SEED, pageChecksumSeed, repairSuperblock, sealFilePage, type Superblock, verifyFilePage,
} from './file/index.js';
import type { ResolvedOptions } from './options.js';
import { Pager } from './pager.js';
import { readPageFileSuperblock } from './recovery.js';
import { redo } from './redo.js';
import { Wal } from './wal/index.js';

export interface OpenedFiles {
  /** The superblock as read from the file, before redo. */
  sb: Superblock;
  /** Page checksum seed (format.ts pageChecksumSeed of the salt). */
  seed: number;
  pool: BufferPool;
  wal: Wal;
  pager: Pager;
  recovered: { transactions: number; records: number; tornTailBytes: number };
  /** The file has been upgraded: from now on only salted checksums pass (invariant 2). */
  upgraded(): void;
}

export function openFiles(kernel: Kernel, proc: Process, fd: number, dataPath: string, walPath: string, opts: ResolvedOptions,
  prng: Prng): OpenedFiles {
  let pool: BufferPool | undefined;
  let wal: Wal | undefined;
  try {
    const sb = readPageFileSuperblock(proc, fd, dataPath, opts.pageSize);
    const seed = pageChecksumSeed(sb.salt);
    let orSeed = sb.formatVersion < FORMAT_VERSION ? LEGACY_CHECKSUM_SEED : seed;
    let pager: Pager | null = null;
    pool = openBufferPool(kernel, proc, fd, {
      strategy: opts.strategy,
      slots: opts.poolPages,
      policy: opts.policy,
      shadowSlots: opts.shadowPages,
      mlock: opts.mlock,
      guard: opts.guard,
      dirtyTracking: opts.dirtyTracking,
      wal: { durableLsn: () => (wal as Wal).durableLsn, flushLog: (lsn) => (wal as Wal).flush(lsn) },
      onLoad: (pageId, bytes, off) => {
        // One damaged superblock copy is rescued by the other here, not only at open (format.ts).
        if (pageId === 0) repairSuperblock(bytes, off, opts.pageSize);
        else if (opts.verifyChecksums && pager !== null && pager.mustBeSealed(pageId)) verifyFilePage(bytes, off, opts.pageSize, pageId, seed, orSeed);
      },
      beforeWriteBack: (pageId, bytes, off, lsn) => sealFilePage(bytes, off, opts.pageSize, pageId, lsn, seed),
    }, sb.pageCount);
    wal = Wal.open(proc, walPath, { pageSize: opts.pageSize, sync: opts.sync, salt1: sb.salt },
      { baseLsn: sb.checkpointLsn, salt2: prng.nextU32() });
    // A format 1 log may patch pages with deltas from their first change on (no full image
    // after a checkpoint), so their file copies cannot be verified before redo.
    const verify = opts.verifyChecksums && sb.formatVersion >= FORMAT_VERSION
      ? (pageId: number, bytes: Uint8Array, off: number) => verifyFilePage(bytes, off, opts.pageSize, pageId, seed) : null;
    const redone = redo(pool, wal, sb, verify);
    pager = new Pager(pool, wal, redone.superblock, opts.shadowPages, opts.checkDeclaredWrites);
    return {
      sb, seed, pool, wal, pager, recovered: redone.recovered,
      upgraded: () => {
        orSeed = seed;
      },
    };
  } catch (err) {
    try {
      wal?.close();
    } catch { /* already failing */ }
    try {
      pool?.close();
    } catch { /* already failing */ }
    throw err;
  }
}
