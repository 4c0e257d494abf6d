/**
 * `remapdb scan DIR TABLE`: rows in key order — a range (--gte / --lt), a key prefix
 * (--prefix), backwards (--reverse), at most --limit. Bounds are parsed by the table's
 * key types and may be prefixes of a composite key. Text: one `KEY<TAB>VALUE` line per
 * row (JSON each); --json: an array of {key, value}.
 */

import type { Database, RangeOptions, Table } from '../../storage/index.js';
import { UsageError } from '../../src/index.js';
import { defineCommand } from '../command.js';
import { parseKeyArg, toJson } from '../data-keys.js';
import { openForReading } from '../data-open.js';

/** The table called `name`, or a usage error listing the tables there are. */
export function tableOf(db: Database, name: string): Table {
  if (!db.tables().includes(name)) {
    throw new UsageError(`table ${JSON.stringify(name)} is not in this database; tables: ${db.tables().join(', ') || '(none)'}`);
  }
  return db.table(name);
}

export const scanCommand = defineCommand({
  command: 'scan <dir> <table>',
  describe: 'Print rows in key order: a range, a key prefix, reversed, limited',
  examples: [
    ['remapdb scan remapdb-results/demo-db district --limit 5', 'the first five rows'],
    ["remapdb scan DIR stock --gte '[1, 100]' --lt '[1, 200]'", 'a range of a composite (int, int) key'],
    ["remapdb scan DIR orders --prefix '[7]' --reverse --limit 1", 'the newest order of customer 7'],
    ['remapdb scan DIR users --json --limit 0', 'every row as a JSON array'],
  ],
  builder: (y) => y
    .positional('dir', { type: 'string', demandOption: true, describe: 'database directory' })
    .positional('table', { type: 'string', demandOption: true, describe: 'table name (remapdb tables DIR lists them)' })
    .option('gte', { type: 'string', requiresArg: true, describe: 'first key (inclusive; a prefix of a composite key allowed)' })
    .option('lt', { type: 'string', requiresArg: true, describe: 'end key (exclusive; a prefix allowed)' })
    .option('prefix', { type: 'string', requiresArg: true, describe: 'only keys starting with these parts (JSON array)' })
    .option('reverse', { type: 'boolean', default: false, describe: 'descending key order' })
    .option('limit', { type: 'number', default: 100, requiresArg: true, describe: 'at most this many rows (0 = all)' }),
  run(args, ctx) {
    if (!(Number.isSafeInteger(args.limit) && args.limit >= 0)) throw new UsageError(`--limit ${String(args.limit)}: an integer >= 0 (0 = all)`);
    const db = openForReading(args.dir, ctx, 'scan');
    try {
      const table = tableOf(db, args.table);
      const o = { table: table.name, prefix: true };
      const range: RangeOptions = { reverse: args.reverse };
      if (args.gte !== undefined) range.gte = parseKeyArg(args.gte, table.keySchema, { ...o, what: '--gte' });
      if (args.lt !== undefined) range.lt = parseKeyArg(args.lt, table.keySchema, { ...o, what: '--lt' });
      if (args.prefix !== undefined) {
        const p = parseKeyArg(args.prefix, table.keySchema, { ...o, what: '--prefix' });
        range.prefix = p;
      }
      // One more than asked, to say whether rows were left out.
      if (args.limit > 0) range.limit = args.limit + 1;
      const rows = [...table.range(range)];
      const more = args.limit > 0 && rows.length > args.limit;
      if (more) rows.length = args.limit;
      if (args.json) ctx.out(`${toJson(rows, 2)}\n`);
      else ctx.out(rows.map((r) => `${toJson(r.key)}\t${toJson(r.value)}\n`).join(''));
      if (more) process.stderr.write(`(the first ${args.limit} rows; more match: --limit 0 for all)\n`);
    } finally {
      db.close();
    }
  },
});
