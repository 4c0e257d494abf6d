/**
 * `remapdb check` on damaged and foreign directories, `bench` → `runs` → `report` at tiny
 * scale, and `demo --window`, through the real binary: exit codes, --json shapes, one
 * clear line for each bad input. (Split from cli-commands.test.ts so each file stays
 * well inside tap's per-file timeout on a busy 2-core machine.)
 */

import * as fs from 'node:fs';
import { join } from 'node:path';

import t from 'tap';

import { json, oneLine, remapdb, tmp } from './helpers.js';

const TINY_TPCB = ['--scale', '1', '--param', 'accountsPerBranch=2000'];

t.test('check finds corruption, refuses what is not a database', async (t) => {
  const root = tmp(t, 'check');
  const dir = join(root, 'tpcb');
  t.equal(remapdb(['load', 'tpcb', dir, ...TINY_TPCB]).status, 0);
  const file = join(dir, 'data.rdb');
  const fd = fs.openSync(file, 'r+');
  // Scribble over the middle of page 30, an accounts leaf (not its header): only its checksum can tell.
  fs.writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, 30 * 4096 + 2048);
  fs.closeSync(fd);
  const r = remapdb(['check', dir, '--json']);
  t.equal(r.status, 5, 'corruption: CHECK_FAILED');
  const rep = JSON.parse(r.stdout) as { ok: boolean; checks: { id: string; ok: boolean; detail: string }[] };
  t.equal(rep.ok, false);
  const sums = rep.checks.find((c) => c.id === 'page checksums');
  t.equal(sums?.ok, false, 'the page checksum check fails');
  t.match(sums?.detail, /page \d+/, 'naming the page');
  t.match(r.stderr, /^remapdb: .*check\(s\) failed/);
  const text = remapdb(['check', dir]);
  t.match(text.stdout, /FAIL/);
  const notDb = remapdb(['check', root]);
  t.equal(notDb.status, 5);
  oneLine(t, notDb);
  t.match(notDb.stderr, /not a remapdb database/);
  const missing = remapdb(['check', join(root, 'nope')]);
  t.equal(missing.status, 4);
  const foreign = join(root, 'foreign');
  fs.mkdirSync(foreign);
  fs.writeFileSync(join(foreign, 'data.rdb'), Buffer.alloc(8192, 7));
  const f = remapdb(['check', foreign]);
  t.equal(f.status, 5, 'a foreign page file: CHECK_FAILED');
  oneLine(t, f);
});

t.test('bench, runs and report at tiny scale', async (t) => {
  const root = tmp(t, 'bench');
  const results = join(root, 'runs.sqlite');
  const common = ['--work-dir', join(root, 'work'), '--results', results, '--warmup', '0', '--duration', '0', '--count', '300', '--inspect-socket', ''];
  const r = remapdb(['bench', 'tpcb', ...TINY_TPCB, '--engines', 'remapdb,sqlite', '--strategies', 'nonlinear,pread', '--pool-pages', '256', ...common,
    '--json', '--out', join(root, 'run.json'), '--csv', join(root, 'run.csv'), '--html', join(root, 'run.html')], { timeoutMs: 300_000 });
  t.equal(r.status, 0, r.stderr);
  const run = json(r.stdout);
  const cells = run.cells as { label: string; error: string | null; committed: number; kernel: unknown }[];
  t.same(cells.map((c) => c.label), ['remapdb nonlinear', 'remapdb pread', 'SQLite ckpt default', 'SQLite ckpt matched']);
  t.ok(cells.every((c) => c.error === null && c.committed === 300), 'every cell ran its 300 transactions');
  t.ok(cells[0]?.kernel !== null, 'remapdb cells carry kernel figures');
  t.type(run.runId, 'number');
  t.ok(fs.statSync(join(root, 'run.json')).size > 0 && fs.statSync(join(root, 'run.csv')).size > 0, 'JSON and CSV written');
  t.match(fs.readFileSync(join(root, 'run.html'), 'utf8'), /<svg/, 'HTML report written');

  const runs = remapdb(['runs', '--results', results, '--json']);
  t.equal((JSON.parse(runs.stdout) as unknown[]).length, 1);
  const rep = remapdb(['report', '--results', results, '--out', join(root, 'r.html'), '--json']);
  t.equal(rep.status, 0, rep.stderr);
  t.same(json(rep.stdout).runs, [run.runId]);
  t.match(fs.readFileSync(join(root, 'r.html'), 'utf8'), /^<!doctype html>/i);
  const repText = remapdb(['report', '--results', results, '--out', join(root, 'r2.html')]);
  t.match(repText.stdout, /HTML report: .*r2\.html/);
  t.match(repText.stdout, /remapdb nonlinear/, 'the terminal tables too');

  for (const [args, msg] of [
    [['bench', 'tpcx'], /workload tpcx: not one of/],
    [['bench', 'tpcb', '--pool-pages', '10'], /--pool-pages 10: an integer from 64/],
    [['bench', 'tpcb', '--sync', 'sometimes'], /--sync sometimes: not one of off, normal, full/],
    [['bench', 'tpcb', '--engines', 'oracle'], /--engines oracle/],
    [['bench', 'tpcb', '--sqlite-checkpoint', 'often'], /--sqlite-checkpoint often: not one of default, matched/],
    [['bench', 'tpcb', '--duration', '0'], /--duration 0 needs --count/],
    [['bench', 'tpcb', '--warehouses', '-3'], /--warehouses -3/],
    [['bench', 'tpcb', '--frobnicate'], /frobnicate/],
    [['report', '99'], /no run 99/],
  ] as const) {
    const e = remapdb([...args, '--results', results]);
    t.equal(e.status, 2, `${args.join(' ')}: exit 2`);
    oneLine(t, e);
    t.match(e.stderr, msg);
  }
  const noResults = remapdb(['report', '--results', join(root, 'none.sqlite')]);
  t.equal(noResults.status, 4);
  t.match(noResults.stderr, /no results database/);
});

t.test('demo --window: the database-free scenario', async (t) => {
  const r = remapdb(['demo', '--window', '--json']);
  t.equal(r.status, 0, r.stderr);
  const out = json(r.stdout);
  const runs = out.runs as { personality: string; correct: boolean; vmas: number }[];
  t.equal(runs.length, 4);
  t.ok(runs.every((x) => x.correct), 'every page read back right');
  const prot = out.perPageProt as { personality: string; vmas: number; vmFlags: string; ptes: string; faults: string[]; guard: string }[];
  t.same(prot.map((x) => [x.personality, x.vmas]), [['linux-2.6', 1], ['linux-4.0', 16]],
    'per-page protections: one VMA on linux-2.6, a VMA per page (alternating protections) on linux-4.0');
  t.match(prot[0]?.vmFlags, / nu\b/, 'the window is marked nonuniform');
  t.match(prot[0]?.ptes, /prot=none[\s\S]*prot=r\b[\s\S]*prot=rw/, 'each PTE shows its protection');
  t.ok(prot.every((x) => x.faults.length === 2 && x.faults.every((f) => f.startsWith('SIGSEGV (SEGV_ACCERR)'))), 'both accesses fault');
  t.match(prot[0]?.guard, /REMAPDB_POOL_MISUSE: guard: read of page 42 .*fix #1 shared page 42, unfix #1/, 'guard mode names the page and its history');
  const bad = remapdb(['demo', '--duration', '0']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--duration 0: seconds from 1 to 3600/);
});
