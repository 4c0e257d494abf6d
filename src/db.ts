/**
 * open(): the embedding entry point. It builds the simulated machine a database runs on
 * (one Kernel and one process, unless you pass your own kernel) and opens the database
 * directory on it; closing the database shuts the machine down.
 *
 * Durability, as SQLite's `synchronous` in WAL mode (README "Durability"). Every commit
 * reaches the host file before it returns, at every level, so a killed program (an
 * uncaught exception, an OOM kill, a deploy restart) loses no acknowledged commit:
 *
 *   sync      | process crash        | power loss or OS crash                  | fdatasync of the WAL
 *   'full'    | nothing lost         | nothing acknowledged lost               | at every commit
 *   'normal'  | nothing lost         | consistent; the last commits may roll   | before the pool writes a page
 *             |                      | back (since the last WAL sync)          | back, at checkpoints, at close
 *   'off'     | nothing lost         | may be inconsistent (REMAPDB_CORRUPT)   | at checkpoints only
 *
 * 'normal' and 'off' pay a pwrite and a sync_file_range per commit (the hand-off to the
 * host file, no device flush); 'full' a pwrite and an fdatasync.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { Kernel, type KernelConfigInput } from '../sim-kernel/index.js';
import { checkOptionNames, DATA_FILE, Database, DB_CODES, DbError, STORAGE_OPTION_NAMES, type StorageOptions } from '../storage/index.js';
import { PAGE_SIZES, readSuperblock } from '../storage/index.js';
import { optionsFromConfig } from './config/open-options.js';
import type { RemapdbConfig } from './config/schema.js';

/** The names open() takes: the storage options and `kernel`. */
const OPEN_OPTION_NAMES: readonly string[] = [...STORAGE_OPTION_NAMES, 'kernel', 'config'];

export interface OpenOptions extends StorageOptions {
  /**
   * The simulated machine: a kernel configuration (its page size is the database's; RAM
   * defaults to 256 MiB), or a Kernel to share between databases (it is not shut down on
   * close).
   */
  kernel?: KernelConfigInput | Kernel;
  /**
   * A configuration loaded by the caller (loadConfig()): its kernel and bufferpool keys
   * become the options above (src/config/open-options.ts says which); options given here
   * beside it win, key by key (a kernel object given here is merged over the config's).
   * The library never reads the environment or config files on its own: REMAPDB_*
   * variables, profiles and config files reach open() only through this.
   */
  config?: RemapdbConfig;
}

/**
 * The page size recorded in an existing page file's superblock, read before the machine
 * exists because the machine's page size must match it; undefined if there is no readable
 * superblock. Taken from an intact copy (readSuperblock), not blindly from copy A's bytes
 * 12..15: a damaged copy A must not pick the wrong page size and so keep copy B from
 * rescuing it. The real validation happens when the database opens.
 */
function recordedPageSize(dir: string): number | undefined {
  const file = path.join(dir, DATA_FILE);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = new Uint8Array(Math.max(...PAGE_SIZES));
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return readSuperblock(buf, 0, n, Number.MAX_SAFE_INTEGER).pageSize;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** The options with a given `config` applied beneath them (explicit options win). */
function withConfig(options: OpenOptions): Omit<OpenOptions, 'config'> {
  const { config, ...rest } = options;
  if (config === undefined) return rest;
  const fromConfig = optionsFromConfig(config);
  const kernel = rest.kernel instanceof Kernel ? rest.kernel : { ...fromConfig.kernel, ...rest.kernel };
  return { ...fromConfig, ...rest, kernel };
}

/**
 * The page sizes a database takes, checked before the machine is built (the kernel's own
 * range is wider than the database's, so its error would name sizes open() refuses).
 */
function checkPageSize(pageSize: number, option: string): void {
  if ((PAGE_SIZES as readonly number[]).includes(pageSize)) return;
  throw new DbError(DB_CODES.INVALID, `option ${option} = ${JSON.stringify(pageSize)} is invalid; allowed: ${PAGE_SIZES.join(' | ')} ` +
    '(bytes per database page)', { details: { key: option, value: pageSize, allowed: [...PAGE_SIZES] } });
}

/**
 * Open (or create) the database in directory `dir`.
 *
 * `dir` must be a directory (or nothing: it is made); a file there is
 * REMAPDB_NOT_A_DIRECTORY, and a directory holding other files but no database is
 * REMAPDB_FOREIGN_DIRECTORY unless `allowForeignFiles: true`. An option name open()
 * does not know is REMAPDB_UNKNOWN_OPTION, suggesting the nearest one.
 *
 * Options come only from the caller: the library never reads the environment (REMAPDB_*),
 * profiles or config files on its own. To honour them as the CLI does, load them and pass
 * them: `open(dir, { config: loadConfig() })` (default < profile < file < REMAPDB_* env).
 *
 * `sync` (default 'full'): every level survives a crash of this process with every
 * acknowledged commit; against a power loss 'full' keeps every acknowledged commit,
 * 'normal' stays consistent but may roll back the last commits, 'off' may be left
 * inconsistent (the table in this module's header).
 *
 * @example
 * import { open } from 'remapdb';
 * const db = open('./my-db', { sync: 'full', strategy: 'nonlinear' });
 * const users = db.ensureTable('users', { key: ['int'] });   // Table<unknown, number>
 * db.transaction(() => {
 *   users.upsert(1, { name: 'Ada' });
 *   users.upsert(2, { name: 'Linus' });
 * })();
 * console.log(users.get(1), [...users.range({ gte: 1 })].length);
 * db.close();
 */
export function open(dir: string, options: OpenOptions = {}): Database {
  checkOptionNames(options, OPEN_OPTION_NAMES);
  const { kernel: k, ...storage } = withConfig(options);
  if (k instanceof Kernel) {
    const proc = k.spawn();
    return Database.open(k, proc, dir, storage);
  }
  // An explicit pageSize that disagrees with the file gets the file's clear mismatch error.
  const pageSize = storage.pageSize ?? recordedPageSize(dir) ?? k?.pageSize ?? 4096;
  checkPageSize(pageSize, storage.pageSize !== undefined ? 'pageSize' : 'kernel.pageSize');
  const kernel = new Kernel({ ...k, pageSize });
  try {
    const proc = kernel.spawn();
    return Database.open(kernel, proc, dir, { ...storage, pageSize }, () => kernel.shutdown({ sync: true }));
  } catch (err) {
    kernel.shutdown({ sync: false });
    throw err;
  }
}
