/**
 * `remapdb get DIR TABLE KEY`: one row's value. KEY is parsed by the table's key types
 * (cli/data-keys.ts). A missing key is REMAPDB_KEY_NOT_FOUND (exit 1), nothing on stdout.
 */

import { DB_CODES } from '../../storage/index.js';
import { CodedError } from '../../src/index.js';
import { defineCommand } from '../command.js';
import { parseKeyArg, toJson } from '../data-keys.js';
import { openForReading } from '../data-open.js';
import { tableOf } from './scan.js';

export const getCommand = defineCommand({
  command: 'get <dir> <table> <key>',
  describe: "Print one row's value by key (a composite key as a JSON array)",
  examples: [
    ['remapdb get remapdb-results/demo-db warehouse 1', 'the row with int key 1'],
    ["remapdb get DIR stock '[1, 42]'", 'a composite key (int, int) as a JSON array'],
    ['remapdb get DIR users ada --json', 'a string key; {"table", "key", "value"} as JSON'],
  ],
  builder: (y) => y
    .positional('dir', { type: 'string', demandOption: true, describe: 'database directory' })
    .positional('table', { type: 'string', demandOption: true, describe: 'table name (remapdb tables DIR lists them)' })
    .positional('key', { type: 'string', demandOption: true, describe: 'key: int, string, bool, 0xHEX bytes, or a JSON array for a composite key' }),
  run(args, ctx) {
    const db = openForReading(args.dir, ctx, 'get');
    try {
      const table = tableOf(db, args.table);
      const key = parseKeyArg(String(args.key), table.keySchema, { table: table.name, what: 'KEY' });
      const value = table.get(key);
      if (value === undefined) {
        throw new CodedError(DB_CODES.NOT_FOUND, `table "${table.name}" has no row with key ${toJson(key)}`, { details: { table: table.name } });
      }
      ctx.out(args.json ? `${toJson({ table: table.name, key, value }, 2)}\n` : `${toJson(value)}\n`);
    } finally {
      db.close();
    }
  },
});
