/**
 * The database directory before anything is written to it (Database.open step 0): the
 * path must be a directory or nothing (then it is made), and a directory that holds
 * files must hold a remapdb database — otherwise open() would scatter data.rdb, wal.rdb,
 * meta.sqlite and lock among someone else's files (a mistyped path, a home directory).
 *
 * What counts as a database: a page file (data.rdb) is there, or every entry is one a
 * remapdb directory holds (REMAPDB_FILES: a creation cut short leaves some of them).
 * `allowForeignFiles: true` lets the caller keep a database beside other files on purpose.
 */

import * as fs from 'node:fs';

import { DB_CODES, dbError } from './errors.js';
import { LOCK_FILE, LOCK_PID_FILE } from './file/lock.js';
import { DATA_FILE, WAL_FILE } from './recovery.js';

/**
 * The names a remapdb directory holds: the page file, the WAL, the catalog and the lock
 * (file/lock.ts), each SQLite database with its side files, and the lock's pid sidecar.
 * The lock comes first when a database is created, so a process killed inside its first
 * open leaves only lock files behind (found by the kill test: the next open refused the
 * directory as foreign).
 */
export const REMAPDB_FILES: readonly string[] = [
  DATA_FILE, WAL_FILE,
  ...['meta.sqlite', LOCK_FILE].flatMap((db) => [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]),
  LOCK_PID_FILE,
];

/** lock.pid's temporary name while it is replaced (file/lock.ts writes it, then renames). */
const LOCK_PID_TEMP = new RegExp(`^${LOCK_PID_FILE.replace('.', '\\.')}\\.\\d+\\.tmp$`);

/** Whether a directory entry is one remapdb itself writes. */
export function isRemapdbFile(name: string): boolean {
  return REMAPDB_FILES.includes(name) || LOCK_PID_TEMP.test(name);
}

/** How many foreign names an error lists before "…". */
const FOREIGN_NAMES_SHOWN = 5;

/**
 * Make `dir` if it is missing; REMAPDB_NOT_A_DIRECTORY if it (or a parent) is a file,
 * REMAPDB_FOREIGN_DIRECTORY if it holds files but no database and foreign files are not allowed.
 */
export function prepareDirectory(dir: string, opts: { create: boolean; allowForeignFiles: boolean }): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOTDIR') throw notDirectory(dir, err);
    if (code !== 'ENOENT') throw err;
  }
  if (st === undefined) {
    if (!opts.create) {
      throw dbError(DB_CODES.INVALID, `no database in ${dir} (no such directory); open with create: true to make one`, { dir });
    }
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOTDIR' || code === 'EEXIST') throw notDirectory(dir, err);
      throw err;
    }
    return;
  }
  if (!st.isDirectory()) throw notDirectory(dir, undefined);
  if (opts.allowForeignFiles) return;
  const entries = fs.readdirSync(dir);
  if (entries.includes(DATA_FILE)) return;
  const foreign = entries.filter((e) => !isRemapdbFile(e));
  if (foreign.length === 0) return;
  const shown = foreign.slice(0, FOREIGN_NAMES_SHOWN).map((e) => JSON.stringify(e)).join(', ');
  throw dbError(DB_CODES.FOREIGN_DIRECTORY, `${dir} is not empty and holds no remapdb database (${foreign.length} other ` +
    `entr${foreign.length === 1 ? 'y' : 'ies'}: ${shown}${foreign.length > FOREIGN_NAMES_SHOWN ? ', …' : ''}): choose an empty or new ` +
    'directory, or pass allowForeignFiles: true to put the database beside them', { dir, foreign: foreign.slice(0, FOREIGN_NAMES_SHOWN) });
}

function notDirectory(dir: string, cause: unknown): Error {
  return dbError(DB_CODES.NOT_DIRECTORY, `${dir} is a file, not a directory: a remapdb database is a directory ` +
    '(of data.rdb, wal.rdb, meta.sqlite and lock); give the path of a directory, new or existing', { dir }, cause);
}
