/**
 * The harness end to end at tiny scale: images loaded once per engine kind and reused,
 * every cell in its own process from a copy, the run recorded and read back, a cell
 * whose consistency check fails reported as failed (not thrown), CLI exit codes.
 */

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import t, { type Test } from 'tap';

import { expandCells, type MatrixOptions, runMatrix } from '../../../bench/harness/matrix.js';
import { ResultsDb } from '../../../bench/harness/results-db.js';

function tmp(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-harness-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function options(workDir: string, lines: string[]): MatrixOptions {
  return {
    workload: { name: 'tpcb', params: { scale: 1, accountsPerBranch: 500 } }, seed: 11, sync: 'off', engines: ['remapdb', 'sqlite', 'lmdb'],
    strategies: ['nonlinear', 'pread'], poolPages: [256], personalities: ['linux-2.6'], archs: ['x86_64'], mlock: true, ramBytes: 0,
    sqliteCheckpoints: ['default', 'matched'],
    limits: { terminals: 2, warmupSeconds: 0, durationSeconds: 0, transactions: 300, progressSeconds: 0 }, baseline: '',
    workDir, freshLoad: false, keep: false, log: (l) => lines.push(l),
  };
}

t.test('a tiny TPC-B matrix: loaded once per engine, every cell checked, recorded', async (t) => {
  const dir = tmp(t);
  const lines: string[] = [];
  const o = options(dir, lines);
  const run = await runMatrix(o, expandCells(o));
  t.same(run.cells.map((c) => c.id), ['remapdb-nonlinear-256-2.6-x86_64', 'remapdb-pread-256-2.6-x86_64', 'sqlite-256', 'sqlite-matched-256', 'lmdb']);
  for (const c of run.cells) {
    t.equal(c.error, null, `${c.label} ran`);
    t.equal(c.committed, 300, `${c.label}: 300 committed`);
    t.equal(c.types[0]?.latency.count, 300);
    t.ok(c.checks.length >= 4 && c.checks.every((x) => x.ok), `${c.label}: checks pass`);
    t.equal(c.countersAfter.history, 300);
  }
  t.ok(run.cells[0]?.kernel !== null && run.cells[0]?.kernel?.vmas === 2, 'nonlinear: the window and the shadow region');
  t.equal(run.cells[2]?.kernel, null, 'peers have no simulated kernel');
  t.same(Object.keys(run.images).sort(), ['lmdb', 'remapdb', 'sqlite'], 'one image per engine kind');
  t.equal(run.baseline, 'sqlite-matched-256');
  t.match(run.cells[2]?.describe, /wal_autocheckpoint=1000 pages .*the default/, 'SQLite at its default checkpoint');
  t.match(run.cells[3]?.describe, /wal_autocheckpoint=16384 pages \(64 MiB, = remapdb's checkpointBytes\)/, 'SQLite at remapdb\'s 64 MiB');
  t.match(run.durability?.join('\n'), /Durability 'off': remapdb .*SQLite synchronous=OFF.*LMDB noSync/, 'the run records its durability');
  t.ok(lines.some((l) => /image remapdb: loading tpcb/.test(l)));
  t.ok(lines.some((l) => /^load tpcb on remapdb: \d+ rows in [\d.]+ s; checking$/.test(l)), "the load child's progress reaches the run's log");
  t.equal(fs.readdirSync(path.join(dir, 'cells')).length, 0, 'cell copies removed');

  // A second run reuses the images.
  const lines2: string[] = [];
  const again = await runMatrix(options(dir, lines2), expandCells({ ...o, strategies: ['nonlinear'], engines: ['remapdb'] }));
  t.ok(lines2.some((l) => /image remapdb: reusing/.test(l)));
  t.equal(again.cells[0]?.committed, 300);

  const db = new ResultsDb(path.join(dir, 'runs.sqlite'));
  t.equal(db.record(run), 1);
  t.same(db.get(1).cells.map((c) => c.committed), [300, 300, 300, 300, 300]);
  t.same(db.get(1).durability, run.durability, 'the durability captions are recorded with the run');
  db.close();
});

t.test('a broken image fails its cells loudly, naming the check and values', async (t) => {
  const dir = tmp(t);
  const o = { ...options(dir, []), engines: ['sqlite'] as const, sqliteCheckpoints: ['default'] as const };
  const first = await runMatrix(o, expandCells(o));
  t.equal(first.cells[0]?.error, null);
  // Break the loaded image: one account's balance changes without a history row.
  const img = fs.readdirSync(path.join(dir, 'images'))[0] as string;
  const Database = (await import('better-sqlite3')).default;
  const sq = new Database(path.join(dir, 'images', img, 'sqlite', 'db.sqlite'));
  sq.prepare('UPDATE pgbench_accounts SET abalance = abalance + 5 WHERE aid = 3').run();
  sq.close();
  const run = await runMatrix(o, expandCells(o));
  t.match(run.cells[0]?.error, /consistency check/);
  t.match(run.cells[0]?.error, /5/);
});

t.test('the CLI: a bad flag exits 2 naming it; a tiny run prints the table and writes JSON and CSV', (t) => {
  const dir = tmp(t);
  const cli = path.resolve('bench/workload.ts');
  const bad = spawnSync(process.execPath, [...process.execArgv, cli, 'tpcb', '--sync', 'sometimes'], { encoding: 'utf8' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--sync sometimes: not one of off, normal, full/);
  const unknown = spawnSync(process.execPath, [...process.execArgv, cli, 'tpcx'], { encoding: 'utf8' });
  t.not(unknown.status, 0);
  t.match(unknown.stderr, /workload tpcx: not one of tpcc, tpcb/);
  const json = path.join(dir, 'run.json');
  const csv = path.join(dir, 'run.csv');
  const ok = spawnSync(process.execPath, [...process.execArgv, cli, 'tpcb', '--param', 'scale=1', '--param', 'accountsPerBranch=300',
    '--engines', 'remapdb,sqlite', '--sqlite-checkpoint', 'matched', '--strategies', 'nonlinear', '--pool-pages', '128', '--count', '200', '--warmup', '0', '--seed', '5',
    '--work-dir', path.join(dir, 'work'), '--results', path.join(dir, 'runs.sqlite'), '--json', json, '--csv', csv, '--progress', '0'], { encoding: 'utf8' });
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /tpcb \{"scale":1,"accountsPerBranch":300\}, seed 5, sync off/);
  t.match(ok.stderr, /seed 5 \(replay with --seed 5\)/);
  const parsed = JSON.parse(fs.readFileSync(json, 'utf8')) as { runId: number; cells: { id: string; committed: number }[] };
  t.equal(parsed.runId, 1);
  t.same(parsed.cells.map((c) => c.id), ['remapdb-nonlinear-128-2.6-x86_64', 'sqlite-matched-128'], '--sqlite-checkpoint matched: that cell alone');
  t.same(parsed.cells.map((c) => c.committed), [200, 200]);
  t.equal(fs.readFileSync(csv, 'utf8').trim().split('\n').length, 3);
  t.end();
});
