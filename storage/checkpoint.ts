/**
 * Checkpoint and format upgrade: the page-file I/O that moves the database from one
 * durable state to the next, as free functions over the pool, the WAL and the pager.
 * Database decides when they may run (open, not failed, no transaction) and turns a
 * throw into its sticky failure; these functions only do the writes, in this order.
 *
 * ## Checkpoint (writeCheckpoint)
 *   WAL synced → pool.flush (every change installed, sealed with its checksum, written,
 *   fsynced) → superblock's checkpoint LSN = WAL end, written and fsynced → WAL reset.
 *   A crash anywhere in between replays the WAL again (redo is idempotent, and each page
 *   it changes starts from its full image in the log, so torn pages are replaced: wal.ts).
 *
 * ## Format upgrade (upgradePageFile), at open, after recovery
 *   Every page in the file is then sealed and the WAL holds nothing past the checkpoint.
 *   1 → 2: every page's checksum is rewritten to bind the salt (format.ts
 *   pageChecksumSeed), the file fsynced, then the superblock's version set to 2 in the
 *   pool — made durable by the checkpoint Database runs next. A crash part-way is
 *   harmless: a rewrite changes only the checksum field (bytes 4..7), so a torn write of
 *   the page leaves the old checksum, the new one, or — torn inside the field, as the
 *   simulated device may tear at any byte — the new one's low bytes over the old one's
 *   high bytes; all are accepted (and resealed) until the superblock says 2. A page that
 *   passes none is left as it is: it fails its check when read, as it did before.
 *
 * Split from database.ts so that the durable-state transitions read on one screen,
 * apart from the lifecycle wiring.
 */

import type { BufferPool } from '../bufferpool/index.js';
import type { Process, Prng } from '../sim-kernel/index.js';
import { FORMAT_VERSION, putSuperField, putSuperVersion, SB, sealFilePage } from './file/index.js';
import { resealPageChecksums } from './recovery.js';
import type { Pager } from './pager.js';
import type { Wal } from './wal/index.js';

/** What opening a page file of an older format did to it (upgradePageFile). */
export interface FormatUpgrade {
  from: number;
  to: number;
  /** Pages whose checksum was rewritten (salted). */
  resealed: number;
  /** Pages that passed neither checksum and were left as they were (they fail when read, as before). */
  damaged: number[];
}

/** Write every committed change into the page file and empty the WAL; `prng` salts the new log. */
export function writeCheckpoint(pool: BufferPool, wal: Wal, pager: Pager, ps: number, seed: number, prng: Prng): void {
  wal.flush(wal.endLsn, true);
  pool.flush();
  const end = wal.endLsn;
  const t = pool.fix(0, 'exclusive');
  const off = pool.offset(t);
  putSuperField(new DataView(pool.bytes.buffer, pool.bytes.byteOffset), off, ps, SB.CHECKPOINT_LSN, end);
  // Sealed before it is installed: the kernel may write a mapped page 0 back before flush() would seal it (pager.ts).
  sealFilePage(pool.bytes, off, ps, 0, end, seed);
  pool.unfix(t, true);
  pool.markLsn(0, end);
  pool.flush();
  wal.reset(end, prng.nextU32());
  pager.checkpointed();
}

/** Reseal every page of an older-format file and set the superblock's version in the pool (the caller checkpoints). */
export function upgradePageFile(proc: Process, fd: number, pool: BufferPool, ps: number, pageCount: number, seed: number,
  from: number): FormatUpgrade {
  const up = { from, to: FORMAT_VERSION, ...resealPageChecksums(proc, fd, ps, pageCount, seed) };
  const t = pool.fix(0, 'exclusive');
  putSuperVersion(new DataView(pool.bytes.buffer, pool.bytes.byteOffset), pool.offset(t), ps, FORMAT_VERSION);
  pool.unfix(t, true);
  return up;
}
