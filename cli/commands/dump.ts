/**
 * `remapdb dump DIR [TABLE...]`: a database (or some tables) as NDJSON on stdout, which
 * `remapdb import` restores into a new database. One JSON object per line:
 *
 *   {"dump":"remapdb","version":1,"pageSize":4096}                      the header, first
 *   {"table":"t","key":["int"],"value":"json"}                           each table, before any row
 *   {"index":"t_by_x","on":"t","fields":["x"],"unique":false}            each index of a dumped table
 *   {"t":"t","k":KEY,"v":VALUE}                                          each row, in key order
 *
 * KEY is the key part (one-part keys) or an array of parts; a Uint8Array (a bytes key
 * part or value) is {"$hex": "…"} (cli/data-keys.ts). Values of 'json' tables are as
 * stored (JSON already), so a dump restores them exactly.
 */

import type { Database } from '../../storage/index.js';
import { defineCommand } from '../command.js';
import { toJson } from '../data-keys.js';
import { openForReading } from '../data-open.js';
import { tableOf } from './scan.js';

export const DUMP_VERSION = 1;

export interface DumpHeader { dump: 'remapdb'; version: number; pageSize: number }
export interface DumpTable { table: string; key: string[]; value: string }
export interface DumpIndex { index: string; on: string; fields: (string | number)[]; unique: boolean }
export interface DumpRow { t: string; k: unknown; v: unknown }

/** Write the dump of `names` (all tables when empty) line by line through `out`; returns the rows written. */
export function writeDump(db: Database, names: readonly string[], out: (line: string) => void): number {
  const tables = (names.length === 0 ? db.tables() : names).map((n) => tableOf(db, n));
  out(`${JSON.stringify({ dump: 'remapdb', version: DUMP_VERSION, pageSize: db.stats().pageSize } satisfies DumpHeader)}\n`);
  for (const t of tables) {
    out(`${JSON.stringify({ table: t.name, key: [...t.keySchema], value: t.valueEncoding } satisfies DumpTable)}\n`);
    for (const ix of t.indexes) {
      out(`${JSON.stringify({ index: ix.name, on: t.name, fields: [...ix.fields], unique: ix.unique } satisfies DumpIndex)}\n`);
    }
  }
  let rows = 0;
  for (const t of tables) {
    let batch = '';
    for (const r of t.range()) {
      batch += `${toJson({ t: t.name, k: r.key, v: r.value })}\n`;
      rows++;
      // Batches keep writes few without holding a whole table in one string.
      if (batch.length > 1 << 16) {
        out(batch);
        batch = '';
      }
    }
    if (batch !== '') out(batch);
  }
  return rows;
}

export const dumpCommand = defineCommand({
  command: 'dump <dir> [tables..]',
  describe: 'Write tables, indexes and rows as NDJSON (restore with remapdb import)',
  examples: [
    ['remapdb dump remapdb-results/demo-db > demo.ndjson', 'the whole database'],
    ['remapdb dump DIR warehouse district', 'two tables (and their indexes)'],
    ['remapdb dump DIR | remapdb import ./copy', 'copy a database through a pipe'],
  ],
  builder: (y) => y
    .positional('dir', { type: 'string', demandOption: true, describe: 'database directory' })
    .positional('tables', { type: 'string', array: true, describe: 'only these tables (default: all)' }),
  run(args, ctx) {
    const db = openForReading(args.dir, ctx, 'dump');
    try {
      const rows = writeDump(db, (args.tables ?? []).map(String), ctx.out);
      ctx.log().debug({ rows }, 'dump written');
    } finally {
      db.close();
    }
  },
});
