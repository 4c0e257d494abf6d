/**
 * The database directory lock. A database is a directory, and two opens of it — in two
 * processes, or twice in one — must never run at once. The second open gets DbError
 * REMAPDB_LOCKED naming the directory and, where known, the holder's pid.
 *
 * Why a SQLite file: the lock must die with its process, so a crash leaves no stale lock
 * to clean up. Node has no flock()/fcntl() API, but SQLite's unix VFS takes POSIX fcntl
 * locks, which the kernel drops when the process exits however it exits. `<dir>/lock` is
 * a tiny SQLite database opened with `PRAGMA locking_mode = EXCLUSIVE`; a committed
 * `BEGIN EXCLUSIVE` transaction leaves SQLite holding its EXCLUSIVE lock for the life of
 * the connection (sqlite.org/pragma.html#pragma_locking_mode). Any other connection —
 * another process, or this one: the unix VFS tracks locks per inode within a process —
 * gets SQLITE_BUSY at once (`timeout: 0`), which becomes REMAPDB_LOCKED.
 *
 * Files in the directory:
 *   lock          the SQLite lock database; table holder(id = 1, pid, hostname, started_at)
 *   lock-journal  SQLite's rollback journal, present while the lock is held
 *   lock.pid      one line of JSON {pid, hostname, startedAt}, written after acquiring:
 *                 the holder's EXCLUSIVE lock stops anyone reading `lock` itself, so the
 *                 error message reads this sidecar instead
 *
 * Invariants:
 *   1. A DirLock not yet released owns an open connection to `<dir>/lock` holding
 *      SQLite's EXCLUSIVE lock, and HELD maps realpath(dir) to it; nothing else is in HELD.
 *   2. This module never opens `<dir>/lock` through node:fs. Closing any descriptor of a
 *      file drops every POSIX lock the process holds on it (fcntl(2), "Record locking");
 *      SQLite guards only its own descriptors against that.
 *   3. `<dir>/lock` is never deleted, by this module or anyone while the directory is in
      use: locks belong to the inode, so an open after an unlink would lock a new file
      beside the holder's.
   4. lock.pid is replaced by rename, so a reader sees a whole file or the previous one.
 *      It is advisory: after a crash it names a dead holder until the next acquire.
 *
 * States and transitions:
 *   free ──acquireDirLock()──▶ held ──release()──▶ free
 *   held ──process exit, SIGKILL included (the kernel drops the fcntl lock)──▶ free
 */

import type Database from 'better-sqlite3';
import { sqlite } from '../sqlite.js';
import { readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { DB_CODES, type DbError, dbError } from '../errors.js';

export const LOCK_FILE = 'lock';
export const LOCK_PID_FILE = 'lock.pid';

export interface DirLock {
  /** The directory's real path (symlinks resolved): the same directory is one key. */
  readonly dir: string;
  /** Give the lock up. Idempotent. */
  release(): void;
}

interface Holder { pid: number; hostname: string; startedAt: number }

/** Locks this process holds, by real path (invariant 1). */
const HELD = new Map<string, HeldLock>();

/**
 * Take the lock on `dir`, which must exist; throws REMAPDB_LOCKED if anyone holds it.
 * `now`: the metadata clock (StorageOptions.now) that stamps when the holder took it.
 */
export function acquireDirLock(dir: string, now: () => number): DirLock {
  const real = resolveDir(dir);
  const mine = HELD.get(real);
  if (mine !== undefined) {
    throw dbError(DB_CODES.LOCKED,
      `database directory ${real} is already open in this process (pid ${process.pid}, since ` +
      `${new Date(mine.holder.startedAt).toISOString()}): close that open before opening it again`,
      { dir: real, pid: process.pid });
  }
  // Metadata for people reading the error, not engine logic: the caller's metadata clock.
  const holder: Holder = { pid: process.pid, hostname: hostname(), startedAt: now() };
  const db = openLockDb(real);
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder(id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, ' +
      'hostname TEXT NOT NULL, started_at INTEGER NOT NULL)');
    db.prepare('INSERT OR REPLACE INTO holder(id, pid, hostname, started_at) VALUES (1, ?, ?, ?)')
      .run(holder.pid, holder.hostname, holder.startedAt);
    db.exec('COMMIT');
  } catch (e) {
    db.close(); // rolls back an open transaction and drops whatever lock it reached
    if (isBusy(e)) throw lockedBy(real, e);
    throw cannotLock(real, e);
  }
  writeSidecar(real, holder);
  const lock = new HeldLock(real, db, holder);
  HELD.set(real, lock);
  return lock;
}

class HeldLock implements DirLock {
  readonly dir: string;
  readonly holder: Holder;
  #db: Database.Database | null;

  constructor(dir: string, db: Database.Database, holder: Holder) {
    this.dir = dir;
    this.#db = db;
    this.holder = holder;
  }

  release(): void {
    const db = this.#db;
    if (db === null) return;
    this.#db = null;
    if (HELD.get(this.dir) !== this) throw new Error(`DirLock invariant: ${this.dir} held but not registered`);
    HELD.delete(this.dir);
    // Remove the sidecar while still holding the lock, so no one reads our pid after it.
    try {
      rmSync(join(this.dir, LOCK_PID_FILE), { force: true });
    } catch {
      // Advisory only (invariant 4): a stale sidecar is overwritten by the next holder.
    }
    db.close();
  }
}

function resolveDir(dir: string): string {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (e) {
    throw dbError(DB_CODES.INVALID, `database directory ${dir} does not exist or cannot be resolved: create it first`,
      { dir }, e);
  }
  if (!statSync(real).isDirectory()) {
    throw dbError(DB_CODES.INVALID, `database path ${real} is not a directory`, { dir: real });
  }
  return real;
}

function openLockDb(dir: string): Database.Database {
  try {
    return new (sqlite())(join(dir, LOCK_FILE), { timeout: 0 });
  } catch (e) {
    if (isBusy(e)) throw lockedBy(dir, e);
    throw cannotLock(dir, e);
  }
}

function isBusy(e: unknown): boolean {
  return e instanceof sqlite().SqliteError && (e.code.startsWith('SQLITE_BUSY') || e.code.startsWith('SQLITE_LOCKED'));
}

function lockedBy(dir: string, cause: unknown): DbError {
  const h = readHolder(dir);
  const who = h === undefined
    ? 'another process (its pid is unknown: no readable lock.pid)'
    : `pid ${h.pid} on ${h.hostname} (since ${new Date(h.startedAt).toISOString()})`;
  return dbError(DB_CODES.LOCKED,
    `database directory ${dir} is locked by ${who}: close that open or wait for it to exit`,
    h === undefined ? { dir } : { dir, pid: h.pid, hostname: h.hostname }, cause);
}

function cannotLock(dir: string, cause: unknown): DbError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return dbError(DB_CODES.LOCKED,
    `cannot lock database directory ${dir}: ${join(dir, LOCK_FILE)}: ${why} (if it is not a remapdb lock file ` +
    'and no remapdb process uses the directory, remove it)', { dir }, cause);
}

/** Who holds the lock, best-effort: the lock database, else the sidecar (invariant 4). */
function readHolder(dir: string): Holder | undefined {
  try {
    const db = new (sqlite())(join(dir, LOCK_FILE), { readonly: true, fileMustExist: true, timeout: 0 });
    try {
      const row = db.prepare('SELECT pid, hostname, started_at AS startedAt FROM holder WHERE id = 1').get();
      const h = asHolder(row);
      if (h !== undefined) return h;
    } finally {
      db.close();
    }
  } catch {
    // The holder's EXCLUSIVE lock stops reads (the usual case): fall through to the sidecar.
  }
  try {
    return asHolder(JSON.parse(readFileSync(join(dir, LOCK_PID_FILE), 'utf8')));
  } catch {
    return undefined;
  }
}

function asHolder(v: unknown): Holder | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { pid, hostname: host, startedAt } = v as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || typeof host !== 'string' || !Number.isSafeInteger(startedAt)) return undefined;
  return { pid: pid as number, hostname: host, startedAt: startedAt as number };
}

function writeSidecar(dir: string, h: Holder): void {
  const tmp = join(dir, `${LOCK_PID_FILE}.${h.pid}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(h)}\n`);
    renameSync(tmp, join(dir, LOCK_PID_FILE));
  } catch {
    // Advisory only: without it a second open's message says the pid is unknown. Do not
    // leave a previous holder's pid behind to mislead.
    try {
      rmSync(tmp, { force: true });
      rmSync(join(dir, LOCK_PID_FILE), { force: true });
    } catch {
      // Nothing more to do; the lock itself is held.
    }
  }
}
