/**
 * `remapdb init DIR`: create an empty database — page file, WAL, meta.sqlite, lock — with
 * the page size chosen now (it cannot change later). Refuses a directory that already
 * holds a database or anything else.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { DATA_FILE, PAGE_SIZES } from '../../storage/index.js';
import { open } from '../../src/index.js';
import { CodedError, UsageError } from '../../src/index.js';
import { defineCommand } from '../command.js';
import { originNote } from '../engine-config.js';

/** A directory a new database may go into: absent, or empty. */
export function checkFreshDir(dir: string): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new CodedError('ENOTDIR', `${dir} exists and is not a directory`);
  if (fs.existsSync(path.join(dir, DATA_FILE))) {
    throw new CodedError('EEXIST', `${dir} already holds a remapdb database (remapdb inspect ${dir} shows it; remove the directory to start over)`);
  }
  const entries = fs.readdirSync(dir);
  if (entries.length > 0) {
    throw new CodedError('EEXIST', `${dir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): give a new or empty directory`);
  }
}

export const initCommand = defineCommand({
  command: 'init <dir>',
  describe: 'Create an empty database in a new (or empty) directory',
  examples: [
    ['remapdb init ./shop', 'a database with 4 KiB pages'],
    ['remapdb init ./big --page-size 16384', '16 KiB pages (fixed for the life of the database)'],
  ],
  builder: (y) => y
    .positional('dir', { type: 'string', demandOption: true, describe: 'directory to create the database in' })
    .option('page-size', { type: 'number', requiresArg: true, describe: `page size in bytes: ${PAGE_SIZES.join(', ')}`,
      defaultDescription: 'kernel.pageSize (4096)' }),
  run(args, ctx) {
    if (args.pageSize !== undefined && !(PAGE_SIZES as readonly number[]).includes(args.pageSize)) {
      throw new UsageError(`--page-size ${String(args.pageSize)}: one of ${PAGE_SIZES.join(', ')}`);
    }
    const resolved = ctx.config(args.pageSize === undefined ? {} : { kernel: { pageSize: args.pageSize } });
    const pageSize = resolved.config.kernel.pageSize;
    if (!(PAGE_SIZES as readonly number[]).includes(pageSize)) {
      throw new UsageError(`--page-size ${String(pageSize)}${originNote(resolved, 'kernel.pageSize')}: one of ${PAGE_SIZES.join(', ')}`);
    }
    checkFreshDir(args.dir);
    const db = open(args.dir, { config: resolved.config, pageSize, sync: 'full' });
    const st = db.stats();
    db.close();
    const files = fs.readdirSync(args.dir).sort();
    const out = { dir: path.resolve(args.dir), pageSize: st.pageSize, pages: st.pageCount, files };
    ctx.out(args.json ? `${JSON.stringify(out, null, 2)}\n`
      : `created ${out.dir}: page size ${out.pageSize} B, ${out.pages} pages, files ${files.join(', ')}\n` +
        `next: remapdb load tpcb ${args.dir}-tpcb --scale 1   (a workload needs its own new directory)\n`);
  },
});
