/**
 * Opening a database for the data commands (`tables`, `schema`, `get`, `scan`, `dump`):
 * without creating it, without storing a snapshot at close (the snapshot `inspect` shows
 * stays the workload's), with the configuration's machine and pool settings.
 *
 * Reading rows needs the page file and the WAL, which a running engine changes under us
 * (its committed pages may still be only in its WAL or its pool), so rows are read only
 * through an open of our own, which takes the lock: while an engine holds the database,
 * get / scan / dump refuse with REMAPDB_LOCKED naming the holder. `tables` and `schema`
 * read the catalog mirror in meta.sqlite read-only instead, and work while it runs.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { DATA_FILE, type Database, DB_CODES, META_FILE } from '../storage/index.js';
import { CodedError, open } from '../src/index.js';
import type { CliContext } from './command.js';

/** Refuse what is not a database directory, with what to do. */
export function checkDatabaseDir(dir: string): void {
  if (!fs.existsSync(dir)) throw new CodedError('ENOENT', `${dir}: no such directory (give a remapdb database directory)`);
  if (!fs.statSync(dir).isDirectory()) throw new CodedError('ENOTDIR', `${dir}: not a directory (give a remapdb database directory)`);
  if (!fs.existsSync(path.join(dir, DATA_FILE)) || !fs.existsSync(path.join(dir, META_FILE))) {
    throw new CodedError('ENOENT', `${dir} holds no remapdb database (no ${DATA_FILE} and ${META_FILE}); create one with remapdb init or remapdb load`);
  }
}

/** Open `dir` to read rows; REMAPDB_LOCKED (exit 6) names the holder while an engine runs. */
export function openForReading(dir: string, ctx: CliContext, command: string): Database {
  checkDatabaseDir(dir);
  try {
    return open(dir, { config: ctx.config().config, create: false, snapshotOnClose: false });
  } catch (err) {
    if (err instanceof CodedError && err.code === DB_CODES.LOCKED) {
      throw new CodedError(DB_CODES.LOCKED, `remapdb ${command} reads rows through its own open, and ${err.message}; ` +
        `wait for it to close (remapdb tables and remapdb schema work while it runs)`, { cause: err, details: err.details });
    }
    throw err;
  }
}
