/**
 * CLI fuzzing (issue 8, part 3): runCli (cli/app.ts) in this process with argument
 * vectors and config files from fast-check — known commands with random flags and values,
 * unknown flags, numbers out of range, empty and very long strings, unicode, `--`,
 * paths that do not exist, are files, are empty or hold a database — and REMAPDB_*
 * variables. Every run must exit with a code from the exit-code table (src/errors.ts)
 * and never print the "internal error" of an uncoded exception, nor take long.
 *
 * Nothing long runs: bench only ever gets a workload list with an unknown name, load only
 * directories that already hold something, serve a short --duration and a small pool,
 * demo only --help or a refused flag, inspect and kernel never --watch; --results and
 * every path written are in a temporary directory.
 *
 * Replay: REMAPDB_SEED=<seed> [REMAPDB_FUZZ_CASES=<n>] npx tap test/cli/fuzz-cli.test.ts
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import fc from 'fast-check';
import t from 'tap';

import { ResultsDb } from '../../bench/harness/results-db.js';
import { runCli } from '../../cli/app.js';
import { open } from '../../src/db.js';
import { EXIT_CODE_TABLE } from '../../cli/exit-codes.js';

function envInt(name: string): number | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : Number(v);
}

const SEED = (envInt('REMAPDB_SEED') ?? 20261202) | 0;
/** 1,000 runs take ~15 s alone; REMAPDB_FUZZ_CASES=20000 for a long run. */
const CASES = envInt('REMAPDB_FUZZ_CASES') ?? 1000;
/** A run slower than this counts as a hang (nothing generated should run for long). */
const SLOW_RUN_MS = 20_000;
/** REMAPDB_FUZZ_TRACE=1: each command line, its exit code and first stderr line, on stderr. */
const TRACE = process.env['REMAPDB_FUZZ_TRACE'] === '1';
const EXIT_CODES = new Set<number>(EXIT_CODE_TABLE.map((e) => e.code));

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-fuzz-cli-'));
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
const P = (name: string): string => path.join(root, name);

// ---------------------------------------------------------------------------- the fixture

const DB = P('db');
const BAD_DB = P('bad-db');
const FILE = P('file.txt');
const EMPTY = P('empty');
const NONEMPTY = P('nonempty');
const RESULTS = P('results.sqlite');
const CONFIGS = P('configs');
{
  const db = open(DB, { kernel: { ramBytes: 8 * 1024 * 1024 }, poolPages: 64, shadowPages: 32 });
  const tb = db.createTable('t', { key: ['int'] });
  db.transaction(() => { for (let i = 0; i < 100; i++) tb.upsert(i, { i }); })();
  db.close();
  fs.mkdirSync(BAD_DB);
  fs.writeFileSync(path.join(BAD_DB, 'data.rdb'), Buffer.alloc(9000, 0x5a));
  fs.writeFileSync(FILE, 'not a database\n');
  fs.mkdirSync(EMPTY);
  fs.mkdirSync(NONEMPTY);
  fs.writeFileSync(path.join(NONEMPTY, 'x'), 'x');
  new ResultsDb(RESULTS).close();
  fs.mkdirSync(CONFIGS);
}

let fresh = 0;
/** A path that does not exist yet (a new one each time: init may create it). */
const freshPath = fc.constant(null).map(() => P(`new-${fresh++}`));

// ---------------------------------------------------------------------------- value generators

const LONG = 'x'.repeat(5000);
const weird = fc.constantFrom('', ' ', '-', '--', '-1', '--=', '=', 'ünïcødé', '名前', '😀', 'a\nb', 'null', 'true', '{}', '[]', LONG, '\0');
const numberText = fc.oneof(
  fc.constantFrom('0', '-1', '1', '1.5', '-0', 'NaN', 'Infinity', '-Infinity', '1e309', '1e-9', '0x10', '1_000', '9'.repeat(40), '', ' ', 'abc'),
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
);
const text = fc.oneof(weird, fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 12 }));
const anyPath = fc.oneof(
  fc.constantFrom(DB, BAD_DB, FILE, EMPTY, NONEMPTY, RESULTS, P('nope/deeper/still'), P(LONG.slice(0, 300)), P('ünï'), '/dev/null', '/'),
  freshPath,
  weird.filter((s) => s !== '' && !s.startsWith('-')).map((s) => P(s.replace(/\0/g, '0'))),
);
/** Paths a read-only command may get: also relative and empty ones (nothing is written there). */
const readPath = fc.oneof(anyPath, weird);
const unknownFlag = fc.oneof(
  fc.constantFrom('--bogus', '-z', '--no-such-thing=1', '--JSON', '---json', '--json=maybe', '--config=', '--help=no', '-'),
  fc.string({ minLength: 1, maxLength: 10 }).map((s) => `--${s}`),
);
const GLOBAL_FLAGS = ['--json', '--no-json', '--log-level', '--profile', '--config'] as const;

/** A flag with a value drawn for it: a number flag gets numbers, a path flag paths, the rest text. */
function flagWith(name: string, value: fc.Arbitrary<string>): fc.Arbitrary<string[]> {
  return fc.oneof(
    value.map((v) => [name, v]),
    value.map((v) => [`${name}=${v}`]),
    fc.constant(null).map(() => [name]),
  );
}

/** Fixed token lists, as mutable arrays. */
function lists(...xs: string[][]): fc.Arbitrary<string[]> {
  return fc.constantFrom(...xs).map((x) => [...x]);
}

function configFile(): fc.Arbitrary<string> {
  const leaf = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), text, fc.constant(2 ** 60), fc.constant(-1), fc.constant(1e308));
  const section = fc.dictionary(fc.constantFrom('arch', 'ramBytes', 'pageSize', 'seed', 'cpus', 'faults', 'costs', 'slots', 'level', 'bogus', 'strategy'),
    fc.oneof(leaf, fc.dictionary(text, leaf, { maxKeys: 3 })), { maxKeys: 4 });
  const content = fc.oneof(
    fc.dictionary(fc.constantFrom('kernel', 'bufferpool', 'log', 'bogus', '', '__proto__', 'constructor'), fc.oneof(section, leaf), { maxKeys: 3 })
      .map((o) => JSON.stringify(o)),
    fc.constantFrom('', '{', '[]', 'null', '42', '"text"', '{"kernel": {"ramBytes": 1e400}}', '\uFEFF{}', '{"log": {"level": "debug"}}',
      '{"kernel": {"pageSize": 8192, "ramBytes": 65536}}', '{"kernel": {"costs": {"ioRead": {"ns": -1}}}}', '{"__proto__": {"x": 1}}',
      '{"kernel": {"ramBytes": 4294967296}}', '{"bufferpool": {"slots": 0}}', 'x'.repeat(100000)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 50 }),
  );
  return content.map((c) => {
    const file = P(`configs/c-${fresh++}.json`);
    fs.writeFileSync(file, c);
    return file;
  });
}

const globalFlag: fc.Arbitrary<string[]> = fc.oneof(
  lists(['--json'], ['--no-json'], ['--help'], ['--version'], ['-h']),
  flagWith('--log-level', fc.oneof(fc.constantFrom('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), text)),
  flagWith('--profile', fc.oneof(fc.constantFrom('x86_64', 'i386-vlm', 'test-min'), text)),
  flagWith('--config', fc.oneof(configFile(), anyPath)),
);

/** Extra tokens after a command: its own flags with drawn values, global flags, junk. */
function extras(own: readonly fc.Arbitrary<string[]>[]): fc.Arbitrary<string[]> {
  const one = fc.oneof(
    { weight: 8, arbitrary: own.length > 0 ? fc.oneof(...own) : globalFlag },
    { weight: 2, arbitrary: globalFlag },
    { weight: 1, arbitrary: unknownFlag.map((f) => [f]) },
    { weight: 1, arbitrary: text.map((s) => [s]) },
    { weight: 1, arbitrary: lists(['--']) },
  );
  return fc.array(one, { maxLength: 4 }).map((xs) => xs.flat());
}

const num = (flag: string): fc.Arbitrary<string[]> => flagWith(flag, numberText);
const bool = (flag: string): fc.Arbitrary<string[]> => lists([flag], [`--no-${flag.slice(2)}`], [`${flag}=false`]);

// ---------------------------------------------------------------------------- command generators

const WORKLOADS = ['tpcc', 'tpcb', 'ycsb-a', 'ycsb-b', 'ycsb-e', 'ycsb'];
const BAD_WORKLOADS = ['tpcx', 'ycsb-z', 'TPCC', ' ', 'tpcc,nope', ',', 'ycsb-a,ycsb-q', 'ünï'];
const resultsPath = fc.oneof(fc.constantFrom(RESULTS, FILE, P('none.sqlite'), DB, P('db/meta.sqlite')), anyPath);

const commands: Record<string, fc.Arbitrary<string[]>> = {
  init: fc.tuple(anyPath, extras([num('--page-size'), lists(['--page-size', '8192'], ['--page-size', '16384'])]))
    .map(([d, x]) => ['init', d, ...x]),
  // A directory that already holds something: load refuses it before loading anything.
  load: fc.tuple(fc.constantFrom(...WORKLOADS, ...BAD_WORKLOADS), fc.constantFrom(DB, NONEMPTY, FILE, BAD_DB),
    extras([num('--warehouses'), num('--scale'), num('--records'), num('--seed'), num('--pool-pages'), flagWith('--param', text),
      flagWith('--engine', fc.oneof(fc.constantFrom('remapdb', 'sqlite', 'lmdb'), text))]))
    .map(([w, d, x]) => ['load', w, d, ...x]),
  // An unknown workload in the list: planBench refuses it before any cell runs.
  bench: fc.tuple(fc.constantFrom(...BAD_WORKLOADS, ''), extras([num('--duration'), num('--warmup'), num('--scale'), num('--pool-pages'),
    flagWith('--engines', text), flagWith('--strategies', text), flagWith('--sync', text), flagWith('--out', anyPath)]))
    .map(([w, x]) => ['bench', w, ...x]),
  compare: fc.tuple(fc.array(numberText, { maxLength: 3 }), resultsPath, extras([])).map(([ids, r, x]) => ['compare', ...ids, '--results', r, ...x]),
  runs: fc.tuple(resultsPath, extras([num('--limit'), num('--show')])).map(([r, x]) => ['runs', '--results', r, ...x]),
  report: fc.tuple(fc.array(numberText, { maxLength: 2 }), resultsPath, extras([flagWith('--out', anyPath), bool('--tables')]))
    .map(([ids, r, x]) => ['report', ...ids, '--results', r, ...x]),
  inspect: fc.tuple(fc.option(readPath, { nil: undefined }), extras([
    flagWith('--view', fc.oneof(fc.constantFrom('summary', 'slots', 'usage', 'ptes', 'maps', 'all'), text)), num('--limit'), num('--snapshot'),
    flagWith('--pages', fc.oneof(numberText, fc.constantFrom('1-5', '5-1', '0-', '-3', '1-99999999999999999999'))), flagWith('--table', text),
    bool('--dirty'), bool('--pinned'), bool('--list-snapshots'), flagWith('--live', readPath), num('--interval'),
  ])).map(([d, x]) => ['inspect', ...(d === undefined ? [] : [d]), ...x]),
  kernel: fc.tuple(fc.oneof(fc.constantFrom('maps', 'smaps', 'meminfo', 'vmstat', 'ptes', 'time'), text), fc.option(readPath, { nil: undefined }),
    extras([num('--limit'), num('--snapshot'), flagWith('--live', readPath)]))
    .map(([v, d, x]) => ['kernel', v, ...(d === undefined ? [] : [d]), ...x]),
  // Always a short --duration (0 would serve until Ctrl-C) and a small pool (its limit,
  // 4194303 pages, is a 16 GiB pool).
  serve: fc.tuple(fc.constantFrom(DB, BAD_DB, EMPTY, FILE, P('nope')), fc.constantFrom('0.01', '0.02', '0.05', '-1', 'abc', '1e999'),
    fc.constantFrom('64', '100', '256', '63', '-5', '4194304'), extras([num('--terminals'), num('--seed'), bool('--run'),
      flagWith('--strategy', fc.oneof(fc.constantFrom('nonlinear', 'pread'), text)), flagWith('--sync', fc.oneof(fc.constantFrom('off', 'full'), text))]))
    // Last, and with no `--` before them (after it they would be arguments, not flags).
    .map(([d, dur, pool, x]) => ['serve', d, ...x.filter((a) => a !== '--'), '--socket', P(`sock-${fresh++}`), '--duration', dur, '--pool-pages', pool]),
  check: fc.tuple(readPath, extras([bool('--checksums'), bool('--workload')])).map(([d, x]) => ['check', d, ...x]),
  demo: lists(['demo', '--help'], ['demo', '--bogus'], ['demo', '--duration', '0'], ['demo', '--duration', 'abc'], ['demo', '--seed', '0'],
    ['demo', '--warmup', '-1'], ['demo', 'extra']),
  // Mostly a generated --config file: the config command is what loads it.
  config: fc.tuple(fc.option(configFile(), { freq: 5, nil: undefined }), extras([bool('--profiles'), flagWith('--profile', text)]))
    .map(([f, x]) => ['config', ...(f === undefined ? [] : ['--config', f]), ...x]),
  none: fc.oneof(lists([]), extras([]), fc.array(text, { maxLength: 3 })),
};

const envArb: fc.Arbitrary<NodeJS.ProcessEnv> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.dictionary(
    fc.constantFrom('REMAPDB_PROFILE', 'REMAPDB_CONFIG', 'REMAPDB_LOG_LEVEL', 'REMAPDB_KERNEL_SEED', 'REMAPDB_KERNEL_RAM_BYTES', 'REMAPDB_KERNEL_BOGUS',
      'REMAPDB_BUFFERPOOL_SLOTS', 'REMAPDB_OTHER'),
    fc.oneof(text, numberText), { maxKeys: 3 }) },
);

const runArb = fc.tuple(fc.constantFrom(...Object.keys(commands)), envArb)
  .chain(([name, env]) => (commands[name] as fc.Arbitrary<string[]>).map((argv) => ({ name, argv, env })));

// ---------------------------------------------------------------------------- the run

interface Outcome {
  exit: number;
  stderr: string;
  ms: number;
}

/** runCli with stdout and stderr captured (command output must not reach the TAP stream). */
async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let stderr = '';
  const swallow = ((): boolean => true) as typeof process.stdout.write;
  process.stdout.write = swallow;
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  const t0 = performance.now();
  try {
    const exit = await runCli(argv, env);
    return { exit, stderr, ms: performance.now() - t0 };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

function show(argv: readonly string[]): string {
  return argv.map((a) => JSON.stringify(a.length > 60 ? `${a.slice(0, 57)}...` : a)).join(' ');
}

// The command lines that found each bug, replayed exactly.
t.test('regressions: the command lines that found each bug', async (t) => {
  const a = P('configs/a.json');
  const b = P('configs/b.json');
  fs.writeFileSync(a, '{}');
  fs.writeFileSync(b, '{"log": {"level": "warn"}}');
  // Found as ERR_INVALID_ARG_TYPE passed off as a coded error (exit 1): a repeated flag
  // reached path.resolve as an array. Now refused as a usage error.
  const twice = await run(['config', '--config', a, '--config', b], {});
  t.same([twice.exit, twice.stderr], [2, 'remapdb: --config is given more than once; give it once\n'], '--config twice: exit 2');
  t.equal((await run(['init', P('twice'), '--page-size', '8192', '--page-size', '4096'], {})).exit, 2, '--page-size twice: exit 2');
  t.equal((await run(['load', 'tpcb', NONEMPTY, '--param', 'a=1', '--param', 'b=2'], {})).exit, 4, 'an array flag may repeat (then the directory is refused)');
  // Found as SqliteError (SQLITE_CANTOPEN, SQLITE_NOTADB, "no such table: runs") passed off
  // as coded errors, exit 1; and runs --results on another SQLite file wrote the results
  // schema into it (and switched it to WAL). Now refused before anything is written.
  t.equal((await run(['runs', '--results', EMPTY], {})).exit, 4, '--results a directory: exit 4 (EISDIR)');
  t.equal((await run(['runs', '--results', FILE], {})).exit, 5, '--results a text file: exit 5');
  const meta = path.join(DB, 'meta.sqlite');
  const before = fs.readFileSync(meta);
  const catalog = await run(['compare', '1', '2', '--results', meta], {});
  t.same([catalog.exit, fs.readFileSync(meta).equals(before)], [5, true], '--results a database catalog: exit 5, the file untouched');
  t.match(catalog.stderr, /is not a remapdb results database \(it has no runs table\)/);
  // Noticed in issue 8's review: arguments after "--" were dropped without a word (runs --
  // extra listed the runs; check -- DIR said DIR was missing), and kernel's --limit was
  // checked only for the ptes view. Both are usage errors now.
  const dash = await run(['check', '--', DB], {});
  t.same([dash.exit, dash.stderr.split('\n').length], [2, 2], 'check -- DIR: exit 2, one line');
  t.match(dash.stderr, new RegExp(`arguments after "--" are not taken \\(${JSON.stringify(DB).replace(/[/\\.]/g, '\\$&')}\\)`));
  t.equal((await run(['runs', '--'], {})).exit, 2, 'runs --: exit 2');
  const limit = await run(['kernel', 'time', DB, '--limit', '-1'], {});
  t.same([limit.exit, limit.stderr], [2, 'remapdb: --limit -1: an integer >= 0 (0 = all)\n'], 'kernel time --limit -1: exit 2');
});

t.test('fuzzed command lines exit with a table code, never an internal error', async (t) => {
  const tally = new Map<string, Map<number, number>>();
  const problems: string[] = [];
  const t0 = performance.now();
  const result = await fc.check(fc.asyncProperty(runArb, async ({ name, argv, env }) => {
    if (TRACE) process.stderr.write(`… remapdb ${show(argv)} ${JSON.stringify(env)}\n`);
    const o = await run(argv, env);
    if (TRACE) process.stderr.write(`[${o.exit}] remapdb ${show(argv)} ${JSON.stringify(env)} → ${o.stderr.split('\n')[0] ?? ''}\n`);
    const per = tally.get(name) ?? new Map<number, number>();
    tally.set(name, per);
    per.set(o.exit, (per.get(o.exit) ?? 0) + 1);
    const why = !EXIT_CODES.has(o.exit) ? `exit ${o.exit} is not in the table`
      : /internal error/.test(o.stderr) ? `internal error: ${o.stderr.split('\n').slice(0, 4).join(' | ')}`
        : o.ms > SLOW_RUN_MS ? `took ${(o.ms / 1000).toFixed(1)} s` : null;
    // Every problem is collected (no shrinking): the command line itself is the replay.
    if (why !== null) problems.push(`remapdb ${show(argv)}${Object.keys(env).length > 0 ? ` with ${JSON.stringify(env)}` : ''}: ${why}`);
    return true;
  }), { seed: SEED, numRuns: CASES });
  const seconds = (performance.now() - t0) / 1000;
  t.notOk(result.failed, `fast-check ran ${result.numRuns} command lines (seed ${SEED})`);
  for (const p of problems.slice(0, 20)) t.fail(p);
  t.equal(problems.length, 0, `every exit code is in the table, no internal error, none slower than ${SLOW_RUN_MS / 1000} s`);
  const lines = [`CLI fuzzing: ${result.numRuns} command lines in ${seconds.toFixed(1)} s, seed ${SEED} (replay: REMAPDB_SEED=${SEED} REMAPDB_FUZZ_CASES=${CASES})`];
  for (const [name, per] of [...tally].sort()) {
    const n = [...per.values()].reduce((a, b) => a + b, 0);
    lines.push(`  ${name.padEnd(8)} ${String(n).padStart(5)} runs: ${[...per].sort((a, b) => a[0] - b[0]).map(([c, k]) => `exit ${c} ×${k}`).join(', ')}`);
  }
  t.comment(lines.join('\n'));
});
