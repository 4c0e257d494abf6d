/**
 * open(): the embedding entry point. It builds the simulated machine a database runs on
 * (one Kernel and one process, unless you pass your own kernel) and opens the database
 * directory on it; closing the database shuts the machine down.
 *
 * The machine lives in this Node process: if the process dies, whatever sat in the
 * simulated page cache is lost exactly as on a power failure. `sync: 'full'` (the
 * default) fdatasyncs the WAL at every commit, so every acknowledged commit survives a
 * kill; 'normal' stays consistent but may lose the last commits; 'off' may lose more and
 * is not crash-consistent (a power cut can leave a page torn beyond repair: REMAPDB_CORRUPT).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { Kernel, type KernelConfigInput } from '../sim-kernel/index.js';
import { DATA_FILE, Database, type StorageOptions } from '../storage/index.js';
import { PAGE_SIZES, readSuperblock } from '../storage/index.js';

export interface OpenOptions extends StorageOptions {
  /**
   * The simulated machine: a kernel configuration (its page size is the database's; RAM
   * defaults to 256 MiB), or a Kernel to share between databases (it is not shut down on
   * close).
   */
  kernel?: KernelConfigInput | Kernel;
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

/**
 * Open (or create) the database in directory `dir`.
 *
 * @example
 * import { open } from 'remapdb';
 * const db = open('./my-db', { sync: 'full', strategy: 'nonlinear' });
 * const users = db.tables().includes('users') ? db.table('users') : db.createTable('users', { key: ['int'] });
 * db.transaction(() => {
 *   users.upsert(1, { name: 'Ada' });
 *   users.upsert(2, { name: 'Linus' });
 * })();
 * console.log(users.get(1), [...users.range({ gte: 1 })].length);
 * db.close();
 */
export function open(dir: string, options: OpenOptions = {}): Database {
  const { kernel: k, ...storage } = options;
  if (k instanceof Kernel) {
    const proc = k.spawn();
    return Database.open(k, proc, dir, storage);
  }
  // An explicit pageSize that disagrees with the file gets the file's clear mismatch error.
  const pageSize = storage.pageSize ?? recordedPageSize(dir) ?? k?.pageSize ?? 4096;
  const kernel = new Kernel({ ...k, pageSize });
  try {
    const proc = kernel.spawn();
    return Database.open(kernel, proc, dir, { ...storage, pageSize }, () => kernel.shutdown({ sync: true }));
  } catch (err) {
    kernel.shutdown({ sync: false });
    throw err;
  }
}
