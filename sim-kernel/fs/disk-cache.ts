/**
 * The disk's volatile write cache, for power-cut tests (as LazyFS and the ALICE study
 * model it; /work refs durability.md). Off by default (kernel config
 * `volatileDiskCache: false`): a host write is then durable the instant it is made.
 *
 * Two failure domains, and which object models each:
 *   - process crash — the program dies, the host lives. The simulated kernel lives in the
 *     process, so its page cache dies with it; what it handed to the host file (write-back,
 *     sync_file_range, fsync) survives in the host's page cache. Dropping a Kernel without
 *     sync (Kernel.shutdown) is this crash.
 *   - power cut — the machine dies. Only what an fdatasync/fsync of the file covered is
 *     certain. Kernel.powerCut() drops the simulated page cache AND lets this model decide,
 *     for every host write since its file's last fsync, independently and by a seeded
 *     draw: kept, lost, or torn (each 512-byte sector kept or lost on its own). Writes may
 *     therefore survive in an order the program never issued (a later one kept, an earlier
 *     one lost). An ftruncate since the last fsync is kept or lost whole (a journalled
 *     metadata operation). Sector writes are atomic (the "powersafe overwrite" SQLite and
 *     most file systems assume): a sector is all old or all new.
 *
 * How a cut is applied to the host file: every pending operation is undone, newest first
 * (each write remembers the bytes it overwrote and the size before it, each truncate the
 * tail it cut) — which gives back the file as its last fsync left it — and then the kept
 * operations (the kept sectors of torn writes) are redone in issue order. Bytes past the
 * synced size that no kept write covers read as zeros if a kept write extends the file
 * past them.
 *
 * Not modelled: directory entries (a created or unlinked file is durable at once), and
 * data that reached the disk before the fsync that would cover it (such a write is still
 * drawn: keeping it is one of the outcomes).
 *
 * Invariants:
 *   1. pending(inode) holds, in issue order, exactly the host writes and truncates made
 *      to that inode since its last successful fsync/fdatasync (or since tracking began).
 *   2. Each record's `pre` holds the host bytes its range held just before it (clipped
 *      to the host size then), `sizeBefore` the host size then.
 */

import * as fs from 'node:fs';

import type { Prng } from '../prng.js';
import type { Inode } from './vfs.js';

/** Sector size: the unit a device writes atomically, and tears at. */
export const SECTOR_BYTES = 512;

interface PendingWrite {
  kind: 'write';
  pos: number;
  data: Uint8Array;
  pre: Uint8Array;
  sizeBefore: number;
}

interface PendingTruncate {
  kind: 'truncate';
  length: number;
  /** The bytes [length, sizeBefore) the truncate cut (empty when it extended the file). */
  tail: Uint8Array;
  sizeBefore: number;
}

type Pending = PendingWrite | PendingTruncate;

/** What a power cut did to the unsynced writes. */
export interface PowerCutReport {
  files: number;
  kept: number;
  lost: number;
  torn: number;
  truncatesKept: number;
  truncatesLost: number;
}

export class VolatileDiskCache {
  readonly enabled: boolean;
  readonly #pending = new Map<Inode, Pending[]>();

  constructor(enabled: boolean) {
    this.enabled = enabled;
  }

  /** Unsynced operations held for `inode` (for tests and views). */
  pendingCount(inode: Inode): number {
    return this.#pending.get(inode)?.length ?? 0;
  }

  /** Host bytes not yet covered by an fsync, over all files. */
  get pendingBytes(): number {
    let n = 0;
    for (const ops of this.#pending.values()) for (const op of ops) n += op.kind === 'write' ? op.data.length : op.tail.length;
    return n;
  }

  /** Call before writing src[off, off+len) at pos of the host file: remembers what it overwrites. */
  beforeWrite(inode: Inode, pos: number, len: number): PendingWrite | null {
    if (!this.enabled || len <= 0) return null;
    const size = hostSize(inode);
    const preLen = Math.max(0, Math.min(len, size - pos));
    const pre = new Uint8Array(preLen);
    readFully(inode.hostFd, pre, pos);
    const rec: PendingWrite = { kind: 'write', pos, data: new Uint8Array(0), pre, sizeBefore: size };
    this.#list(inode).push(rec);
    return rec;
  }

  /** Call after the write of `rec` put src[off, off+written) on the host. */
  afterWrite(rec: PendingWrite | null, src: Uint8Array, off: number, written: number): void {
    if (rec === null) return;
    rec.data = src.slice(off, off + written);
  }

  /** Call before ftruncate(length) of the host file. */
  beforeTruncate(inode: Inode, length: number): void {
    if (!this.enabled) return;
    const size = hostSize(inode);
    const tail = new Uint8Array(Math.max(0, size - length));
    readFully(inode.hostFd, tail, length);
    this.#list(inode).push({ kind: 'truncate', length, tail, sizeBefore: size });
  }

  /** A successful fsync/fdatasync of `inode`: everything written to it is durable (invariant 1). */
  synced(inode: Inode): void {
    if (this.enabled) this.#pending.delete(inode);
  }

  /** Forget a file (closed without a cut, e.g. an orderly shutdown after sync). */
  forget(inode: Inode): void {
    this.#pending.delete(inode);
  }

  /**
   * The power fails: decide every pending operation's fate with `prng` and apply the
   * outcome to the host files (still open). Afterwards nothing is pending.
   */
  cut(prng: Prng): PowerCutReport {
    const r: PowerCutReport = { files: 0, kept: 0, lost: 0, torn: 0, truncatesKept: 0, truncatesLost: 0 };
    for (const [inode, ops] of this.#pending) {
      if (inode.hostFd < 0 || ops.length === 0) continue;
      r.files++;
      const fd = inode.hostFd;
      // The file is rewritten below by undo and redo: no hole is known any more (vfs.ts hostDataEnd).
      inode.hostDataEnd = Number.POSITIVE_INFINITY;
      // Undo newest first: the file as its last fsync left it.
      for (let i = ops.length - 1; i >= 0; i--) {
        const op = ops[i] as Pending;
        if (op.kind === 'write') {
          writeFully(fd, op.pre, op.pos);
          if (fs.fstatSync(fd).size > op.sizeBefore) fs.ftruncateSync(fd, op.sizeBefore);
        } else {
          fs.ftruncateSync(fd, op.sizeBefore);
          writeFully(fd, op.tail, op.length);
        }
      }
      // Redo what the disk kept, in issue order.
      for (const op of ops) {
        const d = prng.next();
        if (op.kind === 'truncate') {
          if (d < 0.5) {
            fs.ftruncateSync(fd, op.length);
            r.truncatesKept++;
          } else {
            r.truncatesLost++;
          }
          continue;
        }
        if (d < 1 / 3) {
          writeFully(fd, op.data, op.pos);
          r.kept++;
        } else if (d < 2 / 3) {
          r.lost++;
        } else {
          r.torn++;
          // Sector boundaries are the file's (pos need not be sector-aligned).
          let s = op.pos;
          while (s < op.pos + op.data.length) {
            const e = Math.min(op.pos + op.data.length, (Math.floor(s / SECTOR_BYTES) + 1) * SECTOR_BYTES);
            if (prng.next() < 0.5) writeFully(fd, op.data.subarray(s - op.pos, e - op.pos), s);
            s = e;
          }
        }
      }
    }
    this.#pending.clear();
    return r;
  }

  #list(inode: Inode): Pending[] {
    let l = this.#pending.get(inode);
    if (l === undefined) {
      l = [];
      this.#pending.set(inode, l);
    }
    return l;
  }
}

function hostSize(inode: Inode): number {
  return fs.fstatSync(inode.hostFd).size;
}

function readFully(fd: number, dst: Uint8Array, pos: number): void {
  let done = 0;
  while (done < dst.length) {
    const n = fs.readSync(fd, dst, done, dst.length - done, pos + done);
    if (n === 0) break;
    done += n;
  }
}

function writeFully(fd: number, src: Uint8Array, pos: number): void {
  let done = 0;
  while (done < src.length) done += fs.writeSync(fd, src, done, src.length - done, pos + done);
}
