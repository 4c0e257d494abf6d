/**
 * `remapdb schema DIR [TABLE]`: the definitions of a database's tables and indexes, one
 * statement-like line each (as sqlite3's .schema), from the catalog mirror in
 * meta.sqlite read-only (works while an engine runs).
 */

import { UsageError } from '../../src/index.js';
import { defineCommand } from '../command.js';
import { readTables } from './tables.js';
import { int } from '../../bench/lib/format.js';

export const schemaCommand = defineCommand({
  command: 'schema <dir> [table]',
  describe: 'Show table and index definitions: key types, value encoding, indexed fields (works while an engine runs)',
  examples: [
    ['remapdb schema remapdb-results/demo-db', 'every table and index'],
    ['remapdb schema DIR stock --json', 'one table and its indexes as JSON'],
  ],
  builder: (y) => y
    .positional('dir', { type: 'string', demandOption: true, describe: 'database directory' })
    .positional('table', { type: 'string', describe: 'only this table' }),
  run(args, ctx) {
    let tables = readTables(args.dir);
    if (args.table !== undefined) {
      const name = args.table;
      tables = tables.filter((t) => t.name === name);
      if (tables.length === 0) {
        throw new UsageError(`table ${JSON.stringify(name)} is not in ${args.dir}; tables: ${readTables(args.dir).map((t) => t.name).join(', ') || '(none)'}`);
      }
    }
    if (args.json) {
      ctx.out(`${JSON.stringify(tables, null, 2)}\n`);
      return;
    }
    const lines = tables.flatMap((t) => [
      `CREATE TABLE ${t.name} (key ${t.key.join(', ')}) VALUES ${t.value};  -- ${int(t.rows)} rows, root page ${t.rootPage}`,
      ...t.indexes.map((i) => `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${i.name} ON ${t.name} (${i.fields.join(', ')});  -- root page ${i.rootPage}`),
    ]);
    ctx.out(lines.length === 0 ? '-- no tables\n' : `${lines.join('\n')}\n`);
  },
});
