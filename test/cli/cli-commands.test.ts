/**
 * `remapdb` commands end to end through the real binary at tiny scale: help with
 * examples for every command, init, load, check of a sound database, inspect and kernel
 * from a snapshot, serve — exit codes, --json shapes, one clear line for each bad input.
 * (check on damaged input, bench/runs/report and demo: cli-bench.test.ts.)
 */

import * as fs from 'node:fs';
import { join } from 'node:path';

import t from 'tap';

import { type Json, json, oneLine, remapdb, tmp } from './helpers.js';

const TINY_TPCB = ['--scale', '1', '--param', 'accountsPerBranch=2000'];

t.test('every command has help with examples', async (t) => {
  for (const cmd of ['init', 'load', 'bench', 'compare', 'runs', 'inspect', 'tables', 'schema', 'get', 'scan', 'dump', 'import', 'serve', 'kernel',
    'check', 'report', 'demo', 'config']) {
    const r = remapdb([cmd, '--help']);
    t.equal(r.status, 0, `${cmd} --help exits 0`);
    t.match(r.stdout, /Examples:\n\s+remapdb /, `${cmd} --help shows examples`);
    t.match(r.stdout, /Exit codes:/, `${cmd} --help shows the exit-code table`);
  }
});

t.test('init: a new database, refusals for an existing one and bad flags', async (t) => {
  const root = tmp(t, 'init');
  const dir = join(root, 'db');
  const r = remapdb(['init', dir, '--json']);
  t.equal(r.status, 0, r.stderr);
  const out = json(r.stdout);
  t.equal(out.pageSize, 4096);
  t.ok((out.files as string[]).includes('meta.sqlite'), 'meta.sqlite created');
  const again = remapdb(['init', dir]);
  t.equal(again.status, 4, 'an existing database: IO/EEXIST');
  oneLine(t, again);
  t.match(again.stderr, /already holds a remapdb database/);
  fs.writeFileSync(join(root, 'other.txt'), 'x');
  const notEmpty = remapdb(['init', root]);
  t.equal(notEmpty.status, 4);
  t.match(notEmpty.stderr, /is not empty \(/);
  const bad = remapdb(['init', join(root, 'x'), '--page-size', '1000']);
  t.equal(bad.status, 2);
  oneLine(t, bad);
  t.match(bad.stderr, /--page-size 1000: one of 4096, 8192, 16384/);
  const big = remapdb(['init', join(root, 'big'), '--page-size', '16384', '--json']);
  t.equal(json(big.stdout).pageSize, 16384);
});

t.test('load, check, inspect and kernel on a TPC-B-like database', async (t) => {
  const root = tmp(t, 'load');
  const dir = join(root, 'tpcb');
  const r = remapdb(['load', 'tpcb', dir, ...TINY_TPCB, '--json']);
  t.equal(r.status, 0, r.stderr);
  const m = json(r.stdout);
  t.equal(m.kind, 'remapdb');
  t.equal(m.rows, 1 + 10 + 2000, 'branches + tellers + accounts');
  t.ok((m.checks as unknown[]).length > 0, 'consistency checks ran');
  t.ok(fs.existsSync(join(dir, 'image.json')), 'image.json says what was loaded');

  const again = remapdb(['load', 'tpcb', dir, ...TINY_TPCB]);
  t.equal(again.status, 4, 'loading into a database again is refused');
  const badParam = remapdb(['load', 'tpcb', join(root, 'bad'), '--scale', '0']);
  t.equal(badParam.status, 2);
  oneLine(t, badParam);
  t.match(badParam.stderr, /scale/);
  const badWl = remapdb(['load', 'tpcx', join(root, 'bad')]);
  t.equal(badWl.status, 2);
  t.match(badWl.stderr, /tpcx/);

  const check = remapdb(['check', dir, '--json']);
  t.equal(check.status, 0, check.stderr);
  const c = json(check.stdout);
  t.equal(c.ok, true);
  const checks = c.checks as { id: string; ok: boolean; group: string }[];
  for (const id of ['page checksums', 'free list', 'schema tree', 'table pgbench_accounts', 'page accounting', 'catalog', 'WAL']) {
    t.ok(checks.some((x) => x.id === id && x.ok), `check "${id}" passed`);
  }
  t.ok(checks.some((x) => x.group === 'workload'), "the workload's consistency checks ran");
  const text = remapdb(['check', dir]);
  t.match(text.stdout, /all \d+ checks passed/);

  const sum = remapdb(['inspect', dir, '--json']);
  t.equal(sum.status, 0, sum.stderr);
  const s = json(sum.stdout);
  t.equal(s.strategy, 'nonlinear');
  t.match(s, { buffercache: { buffers_used: Number }, innodb: { POOL_SIZE: 4096 }, kernel: { vmaCount: Number, kernelBytes: Number } });
  t.equal((s.kernel as Json).window !== null, true, 'the nonlinear window is shown');

  const slots = json(remapdb(['inspect', dir, '--view', 'slots', '--table', 'pgbench_accounts', '--limit', '5', '--json']).stdout);
  const rows = slots.rows as { owner: string; pgoff: number; pageId: number }[];
  t.ok(rows.length > 0 && rows.length <= 5, 'at most --limit rows');
  t.ok(rows.every((x) => x.owner === 'pgbench_accounts'), 'only the table asked for');
  t.ok(rows.every((x) => x.pgoff === x.pageId), "each window PTE names the slot's page");
  const usage = json(remapdb(['inspect', dir, '--view', 'usage', '--json']).stdout) as unknown as { usage_count: number; buffers: number }[];
  t.equal(usage.reduce((a, u) => a + u.buffers, 0), 4096, 'usage counts cover the pool (load takes bufferpool.slots, 4096)');
  const all = json(remapdb(['inspect', dir, '--view', 'all', '--json']).stdout);
  t.same(Object.keys(all).sort(), ['maps', 'ptes', 'relations', 'slots', 'source', 'summary', 'usage']);
  const list = remapdb(['inspect', dir, '--list-snapshots', '--json']);
  t.ok((json(`{"l":${list.stdout}}`).l as unknown[]).length >= 1, 'snapshots listed');
  t.match(remapdb(['inspect', dir, '--view', 'slots']).stdout, /occupied slots match/);

  const maps = remapdb(['kernel', 'maps', dir]);
  t.equal(maps.status, 0);
  t.match(maps.stdout, /rw-s .*data\.rdb/, 'the window maps the page file shared');
  const meminfo = json(remapdb(['kernel', 'meminfo', dir, '--json']).stdout);
  t.type(meminfo.MemTotal, 'number');
  t.match(remapdb(['kernel', 'time', dir]).stdout, /Simulated kernel time by event/);
  const ptes = json(remapdb(['kernel', 'ptes', dir, '--json', '--limit', '3']).stdout);
  t.equal(ptes.mismatched, 0);
  t.match(remapdb(['kernel', 'vmstat', dir]).stdout, /^nr_free_pages \d+/m);
  t.match(remapdb(['kernel', 'smaps', dir]).stdout, /Rss:/);

  const served = remapdb(['serve', dir, '--run', '--duration', '2', '--socket', join(root, 's.sock'), '--json']);
  t.equal(served.status, 0, served.stderr);
  const sv = json(served.stdout);
  t.equal(sv.workload, 'tpcb');
  t.ok((sv.committed as number) > 0, 'serve --run ran the loaded workload');
  t.ok((sv.checks as { ok: boolean }[]).every((c) => c.ok), 'and its checks passed');
  t.notOk(fs.existsSync(join(root, 's.sock')), 'the socket is removed when serve stops');
  t.equal((json(remapdb(['inspect', dir, '--json']).stdout) as { label: string }).label, 'close', 'serve stored a snapshot at close');
  const bare = join(root, 'bare');
  t.equal(remapdb(['init', bare]).status, 0);
  const noWl = remapdb(['serve', bare, '--run', '--duration', '1']);
  t.equal(noWl.status, 2);
  t.match(noWl.stderr, /--run needs the workload/);

  for (const [args, status, msg] of [
    [['inspect', dir, '--pages', '9-3'], 2, /--pages 9-3/],
    [['inspect', dir, '--view', 'nope'], 2, /nope/],
    [['inspect', dir, '--limit', '-1'], 2, /--limit -1/],
    [['inspect', dir, '--snapshot', '999'], 2, /--snapshot 999: no such snapshot/],
    [['inspect', dir, '--interval', '0', '--watch'], 2, /--interval 0/],
    [['inspect'], 2, /give a database directory/],
    [['inspect', join(root, 'none')], 4, /no such directory/],
    [['inspect', root], 4, /not a remapdb database/],
    [['kernel', 'bogus', dir], 2, /bogus/],
    [['inspect', '--live', join(root, 'no.sock')], 4, /no engine is serving/],
  ] as const) {
    const e = remapdb([...args]);
    t.equal(e.status, status, `${args.join(' ')}: exit ${status}`);
    oneLine(t, e);
    t.match(e.stderr, msg);
  }
});

