/**
 * `remapdb import DIR [FILE]`: restore a dump (remapdb dump, NDJSON) into a new database —
 * tables first, rows in transactions of IMPORT_BATCH_ROWS, indexes after the rows (one
 * pass over each table instead of an index update per row). Reads stdin when FILE is
 * absent or '-'. The database gets the dump's page size and the configuration's machine
 * and pool settings. On any failure the new directory is removed again: an import is
 * all or nothing.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';

import type { Database, KeyInput, KeyType, ValueEncoding } from '../../storage/index.js';
import { CodedError, open, UsageError } from '../../src/index.js';
import { defineCommand } from '../command.js';
import { fromJson } from '../data-keys.js';
import type { DumpIndex, DumpRow, DumpTable } from './dump.js';
import { DUMP_VERSION } from './dump.js';
import { checkFreshDir } from './init.js';
import { int } from '../../bench/lib/format.js';

/**
 * Rows per transaction: a transaction may change at most shadowPages pages (default
 * 1024); 500 rows of up to a few hundred bytes change far fewer, even spread over a tree.
 */
export const IMPORT_BATCH_ROWS = 500;

interface Counts { tables: number; indexes: number; rows: number }

async function importLines(db: Database, lines: AsyncIterable<string>, where: string): Promise<Counts> {
  const counts: Counts = { tables: 0, indexes: 0, rows: 0 };
  const indexes: DumpIndex[] = [];
  let batch: DumpRow[] = [];
  let lineNo = 0;
  const bad = (why: string): never => {
    throw new UsageError(`${where} line ${lineNo}: ${why} (a dump is what remapdb dump writes: a header line, then tables, indexes, rows)`);
  };
  const flush = (): void => {
    const rows = batch;
    batch = [];
    db.transaction(() => {
      for (const r of rows) db.table(r.t).insert(r.k as KeyInput, r.v);
    })();
  };
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let o: Record<string, unknown>;
    try {
      o = fromJson(line) as Record<string, unknown>;
    } catch (err) {
      return bad(`not JSON (${(err as Error).message})`);
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return bad('not a JSON object');
    if (lineNo === 1) {
      if (o['dump'] !== 'remapdb') return bad('no dump header {"dump":"remapdb",...}');
      if (o['version'] !== DUMP_VERSION) return bad(`dump version ${JSON.stringify(o['version'])}; this remapdb reads version ${DUMP_VERSION}`);
      continue;
    }
    if (typeof o['t'] === 'string') {
      if (!('k' in o) || !('v' in o)) return bad('a row needs "k" and "v"');
      if (!db.tables().includes(o['t'])) return bad(`a row of table ${JSON.stringify(o['t'])}, which the dump did not declare before its rows`);
      batch.push(o as unknown as DumpRow);
      counts.rows++;
      if (batch.length >= IMPORT_BATCH_ROWS) flush();
    } else if (typeof o['table'] === 'string') {
      const t = o as unknown as DumpTable;
      if (!Array.isArray(t.key) || typeof t.value !== 'string') return bad('a table needs "key" (key types) and "value" (encoding)');
      db.createTable(t.table, { key: t.key as KeyType[], value: t.value as ValueEncoding });
      counts.tables++;
    } else if (typeof o['index'] === 'string') {
      const ix = o as unknown as DumpIndex;
      if (typeof ix.on !== 'string' || !Array.isArray(ix.fields)) return bad('an index needs "on" (its table) and "fields"');
      indexes.push(ix);
    } else {
      return bad('neither a table, an index nor a row');
    }
  }
  if (lineNo === 0) bad('empty input');
  if (batch.length > 0) flush();
  for (const ix of indexes) {
    db.createIndex(ix.on, ix.index, { fields: ix.fields, unique: ix.unique });
    counts.indexes++;
  }
  return counts;
}

/** The dump's page size from its first line, before the database exists (0 if unreadable: the import reports it). */
function headerPageSize(first: string): number | undefined {
  try {
    const h = JSON.parse(first) as { pageSize?: unknown };
    return typeof h.pageSize === 'number' ? h.pageSize : undefined;
  } catch {
    return undefined;
  }
}

export const importCommand = defineCommand({
  command: 'import <dir> [file]',
  describe: 'Restore a dump (remapdb dump, NDJSON) into a new database',
  examples: [
    ['remapdb import ./copy demo.ndjson', 'a new database from a dump file'],
    ['remapdb dump DIR users | remapdb import ./users-only', 'from stdin'],
    ['REMAPDB_BUFFERPOOL_STRATEGY=pread remapdb import ./copy demo.ndjson --json', 'with settings from the environment; counts as JSON'],
  ],
  builder: (y) => y
    .positional('dir', { type: 'string', demandOption: true, describe: 'new (or empty) directory' })
    .positional('file', { type: 'string', default: '-', describe: "the dump ('-': stdin)" }),
  async run(args, ctx) {
    checkFreshDir(args.dir);
    const fromStdin = args.file === '-';
    if (!fromStdin && !fs.existsSync(args.file)) throw new CodedError('ENOENT', `${args.file}: no such file (give a dump written by remapdb dump, or '-' for stdin)`);
    const existed = fs.existsSync(args.dir);
    const rl = readline.createInterface({ input: fromStdin ? process.stdin : fs.createReadStream(args.file), crlfDelay: Infinity });
    const it = rl[Symbol.asyncIterator]();
    const first = await it.next();
    const firstLine = first.done === true ? '' : first.value;
    const lines = (async function* () {
      if (first.done !== true) yield firstLine;
      for (;;) {
        const n = await it.next();
        if (n.done === true) return;
        yield n.value;
      }
    })();
    const pageSize = headerPageSize(firstLine);
    const cfg = ctx.config().config;
    let counts: Counts;
    const db = open(args.dir, { config: cfg, ...(pageSize === undefined ? {} : { pageSize }), sync: 'off' });
    try {
      counts = await importLines(db, lines, fromStdin ? 'stdin' : args.file);
      db.checkpoint();
    } catch (err) {
      db.close();
      rl.close();
      // All or nothing: take away what this import made.
      if (existed) for (const f of fs.readdirSync(args.dir)) fs.rmSync(path.join(args.dir, f), { recursive: true, force: true });
      else fs.rmSync(args.dir, { recursive: true, force: true });
      throw err;
    }
    db.close();
    const out = { dir: path.resolve(args.dir), ...counts };
    ctx.out(args.json ? `${JSON.stringify(out, null, 2)}\n`
      : `imported ${int(counts.rows)} rows into ${counts.tables} table(s) and ${counts.indexes} index(es) in ${out.dir}\n`);
  },
});
