/**
 * The CLI's commands, in `remapdb --help` order: what the top-level help shows (the
 * command string, its one-line description and its first example) and how to load the
 * module that implements it. Adding one is one entry here.
 *
 * Why lazy: `remapdb --help` must start in a blink (issue 18: ≤ 0.2 s), and the command
 * modules pull in better-sqlite3, lmdb, hdr-histogram, zod and pino. The app imports
 * only the module of the command being run (cli/app.ts, loadCommands). The text here
 * repeats the module's own; test/cli/registry.test.ts checks that they agree.
 */

import type { CliCommand } from '../command.js';

export interface CommandEntry {
  /** The yargs command string, as in the module: 'init <dir>'. */
  readonly command: string;
  readonly describe: string;
  /** The module's first example, shown by the top-level help. */
  readonly example: readonly [command: string, description: string];
  readonly load: () => Promise<CliCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { command: 'init <dir>', describe: 'Create an empty database in a new (or empty) directory',
    example: ['remapdb init ./shop', 'a database with 4 KiB pages'],
    load: async () => (await import('./init.js')).initCommand },
  { command: 'load <workload> <dir>', describe: 'Load a workload\'s tables into a new database, with its consistency checks',
    example: ['remapdb load tpcc ./tpcc-1w --warehouses 1', 'TPC-C-like, 1 warehouse (~500 K rows)'],
    load: async () => (await import('./load.js')).loadCommand },
  { command: 'bench <workloads>', describe: 'Run TPC-C-like, TPC-B-like or YCSB-like workloads on each buffer-pool strategy and on SQLite and LMDB, side by side',
    example: ['remapdb bench tpcc --warehouses 1 --duration 30', 'TPC-C-like, 1 warehouse: three strategies, SQLite and LMDB'],
    load: async () => (await import('./bench.js')).benchCommand },
  { command: 'compare <runs..>', describe: 'Put two or more recorded runs side by side, each cell against the first run\'s cell of the same id',
    example: ['remapdb compare 3 5', 'runs 3 and 5: every cell with its figure and the ratio against run 3'],
    load: async () => (await import('./runs.js')).compareCommand },
  { command: 'runs', describe: 'List the benchmark runs recorded in the results database, newest first (--show ID: one run\'s tables)',
    example: ['remapdb runs', 'the last 20 runs: id, date, workload, seed, durability, cells, failures, best cell'],
    load: async () => (await import('./runs.js')).runsCommand },
  { command: 'inspect [dir]', describe: 'Show a buffer pool: summary, slots, usage counts, PTEs and maps — from its last snapshot or live',
    example: ['remapdb inspect remapdb-results/demo-db', 'the summary of the demo database (its last snapshot)'],
    load: async () => (await import('./inspect.js')).inspectCommand },
  { command: 'tables <dir>', describe: 'List the tables of a database: rows, key types, value encoding, indexes (works while an engine runs)',
    example: ['remapdb tables remapdb-results/demo-db', 'the TPC-C-like tables of the demo database'],
    load: async () => (await import('./tables.js')).tablesCommand },
  { command: 'schema <dir> [table]', describe: 'Show table and index definitions: key types, value encoding, indexed fields (works while an engine runs)',
    example: ['remapdb schema remapdb-results/demo-db', 'every table and index'],
    load: async () => (await import('./schema.js')).schemaCommand },
  { command: 'get <dir> <table> <key>', describe: 'Print one row\'s value by key (a composite key as a JSON array)',
    example: ['remapdb get remapdb-results/demo-db warehouse 1', 'the row with int key 1'],
    load: async () => (await import('./get.js')).getCommand },
  { command: 'scan <dir> <table>', describe: 'Print rows in key order: a range, a key prefix, reversed, limited',
    example: ['remapdb scan remapdb-results/demo-db district --limit 5', 'the first five rows'],
    load: async () => (await import('./scan.js')).scanCommand },
  { command: 'dump <dir> [tables..]', describe: 'Write tables, indexes and rows as NDJSON (restore with remapdb import)',
    example: ['remapdb dump remapdb-results/demo-db > demo.ndjson', 'the whole database'],
    load: async () => (await import('./dump.js')).dumpCommand },
  { command: 'import <dir> [file]', describe: 'Restore a dump (remapdb dump, NDJSON) into a new database',
    example: ['remapdb import ./copy demo.ndjson', 'a new database from a dump file'],
    load: async () => (await import('./import.js')).importCommand },
  { command: 'serve <dir>', describe: 'Open a database and serve live inspection until Ctrl-C, idle or running its workload (--run)',
    example: ['remapdb serve remapdb-results/demo-db --run', 'the demo database running TPC-C-like; then: remapdb inspect --live <socket> --watch'],
    load: async () => (await import('./serve.js')).serveCommand },
  { command: 'kernel <view> [dir]', describe: 'The simulated kernel\'s views of a database\'s process: maps, smaps, meminfo, vmstat, ptes, time',
    example: ['remapdb kernel maps remapdb-results/demo-db', 'the process\'s VMAs (/proc/PID/maps) when the demo database closed'],
    load: async () => (await import('./kernel.js')).kernelCommand },
  { command: 'check <dir>', describe: 'Verify a database: page checksums, B+tree invariants, catalog against page file, and its workload\'s consistency checks',
    example: ['remapdb check remapdb-results/demo-db', 'every check on the demo database; exit 5 if any fails'],
    load: async () => (await import('./check.js')).checkCommand },
  { command: 'report [runs..]', describe: 'Write the HTML report (vega-lite charts) of recorded runs and print their tables',
    example: ['remapdb report', 'the newest run: tables here, HTML in remapdb-results/report-<id>.html'],
    load: async () => (await import('./report.js')).reportCommand },
  { command: 'demo', describe: 'The main job (npm start): load small TPC-C-like and TPC-B-like databases, run three strategies and both peers, report',
    example: ['remapdb demo', 'two to three minutes on 2 cores: tables here, HTML report and a database to inspect in remapdb-results/'],
    load: async () => (await import('./demo.js')).demoCommand },
  { command: 'config', describe: 'Print the effective configuration (default < profile < file < env < flags), or list the profiles',
    example: ['$0 config', 'show every setting, where it came from, and each cost figure\'s source'],
    load: async () => (await import('./config.js')).configCommand },
];
