/**
 * `remapdb tables DIR`: the tables of a database — rows, key types, value encoding and
 * indexes — from the catalog mirror in meta.sqlite, read-only (works while an engine runs;
 * row counts as of its last close or checkpoint).
 */

import * as path from 'node:path';

import { int, renderTable } from '../../bench/lib/format.js';
import { META_FILE, readCatalogObjects } from '../../storage/index.js';
import { defineCommand } from '../command.js';
import { checkDatabaseDir } from '../data-open.js';

export interface TableInfo {
  name: string;
  rows: number;
  key: string[];
  value: string;
  rootPage: number;
  indexes: { name: string; fields: (string | number)[]; unique: boolean; rootPage: number }[];
}

/** The catalog's tables with their indexes, by name. */
export function readTables(dir: string): TableInfo[] {
  checkDatabaseDir(dir);
  const objects = readCatalogObjects(path.join(dir, META_FILE));
  return objects.filter((o) => o.kind === 'table').map((t) => ({
    name: t.name, rows: t.rowCount, key: (t.definition['key'] as string[] | undefined) ?? [], value: String(t.definition['value'] ?? ''),
    rootPage: t.rootPage,
    indexes: objects.filter((o) => o.kind === 'index' && o.tableName === t.name).map((ix) => ({
      name: ix.name, fields: (ix.definition['fields'] as (string | number)[] | undefined) ?? [], unique: ix.definition['unique'] === true,
      rootPage: ix.rootPage,
    })),
  }));
}

export const tablesCommand = defineCommand({
  command: 'tables <dir>',
  describe: 'List the tables of a database: rows, key types, value encoding, indexes (works while an engine runs)',
  examples: [
    ['remapdb tables remapdb-results/demo-db', 'the TPC-C-like tables of the demo database'],
    ['remapdb tables DIR --json', 'the same as JSON'],
  ],
  builder: (y) => y.positional('dir', { type: 'string', demandOption: true, describe: 'database directory' }),
  run(args, ctx) {
    const tables = readTables(args.dir);
    if (args.json) {
      ctx.out(`${JSON.stringify(tables, null, 2)}\n`);
      return;
    }
    ctx.out(`${renderTable({
      title: `tables of ${path.resolve(args.dir)}`,
      columns: ['table', 'rows', 'key', 'value', 'indexes'],
      rightAlign: [1],
      rows: tables.map((t) => [t.name, int(t.rows), t.key.join(', '), t.value, t.indexes.map((i) => i.name).join(', ')]),
      notes: [tables.length === 0 ? 'no tables yet' : 'rows as of the last close or checkpoint (catalog in meta.sqlite)'],
    })}\n`);
  },
});
