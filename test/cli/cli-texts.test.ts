/**
 * Texts that misled (issue 18), each with the behaviour that replaced it: inspect on a
 * non-empty non-database directory, results missing, a bad positional choice, created
 * pages counted as reads, two kernel-time totals, counters since open, the snapshot list
 * header, kernel maps naming the snapshot and the pool's VMAs, the bench table's empty
 * column, the demo's duration; and inspect's buffers by relation.
 */

import * as fs from 'node:fs';
import { join } from 'node:path';

import t from 'tap';

import { renderRun } from '../../bench/harness/report.js';
import type { CellResult, RunResult } from '../../bench/harness/types.js';
import { environment } from '../../bench/lib/env.js';
import { DEFAULT_SPEC } from '../../bench/workloads/stores.js';
import { open } from '../../src/index.js';
import { oneLine, remapdb, tmp } from './helpers.js';

/** A pure load: one table, 3000 rows, closed (a snapshot is stored). */
function pureLoad(dir: string): void {
  const db = open(dir, { poolPages: 256, kernel: { ramBytes: 32 * 1024 * 1024 } });
  const items = db.createTable('items', { key: ['int'] });
  db.createIndex('items', 'items_by_tag', { fields: ['tag'] });
  db.transaction(() => {
    for (let i = 0; i < 3000; i++) items.insert(i, { tag: `t${i % 7}`, pad: 'x'.repeat(60) });
  })();
  db.close();
}

t.test('inspect and kernel on a pure load', async (t) => {
  const dir = join(tmp(t, 'texts'), 'db');
  pureLoad(dir);

  const s = remapdb(['inspect', dir, '--json']);
  t.equal(s.status, 0, s.stderr);
  const v = JSON.parse(s.stdout) as { innodb: Record<string, number>; io: { misses: number }; kernel: { kernelNsTotal: number } };
  t.ok(v.innodb.NUMBER_PAGES_CREATED! > 10, 'pages were created');
  t.equal(v.innodb.NUMBER_PAGES_READ, v.io.misses - v.innodb.NUMBER_PAGES_CREATED!, 'created pages are not counted as read');
  t.ok(v.innodb.NUMBER_PAGES_READ! < 5, 'a pure load reads (almost) nothing');

  const text = remapdb(['inspect', dir]).stdout;
  t.match(text, /commits \/ rollbacks since open/);
  t.match(text, /checkpoints since open/);
  const total = /simulated kernel time \(remapdb kernel time\) +│ +(\S+ \S+) since the machine started/.exec(text)?.[1];
  const time = remapdb(['kernel', 'time', dir]).stdout;
  t.equal(/Simulated kernel time by event since the machine started: (\S+ \S+)/.exec(time)?.[1], total, 'inspect and kernel time give one total');

  const list = remapdb(['inspect', dir, '--list-snapshots']);
  t.match(list.stdout, /^ +id +taken at +label +strategy\n +1 +20\d\d-/);

  const maps = remapdb(['kernel', 'maps', dir]);
  t.match(maps.stdout, /^\/proc\/\d+\/maps — snapshot 1 \(close, .*\) of /);
  t.match(maps.stdout, /<- buffer-pool window \(256 slots\)/);
  t.match(maps.stdout, /00:00 0 +<- shadow frames \(anonymous\)/);

  const rel = remapdb(['inspect', dir, '--view', 'relations', '--json']);
  const r = JSON.parse(rel.stdout) as { poolSlots: number; occupied: number; relations: { owner: string; buffers: number; dirty: number }[] };
  t.equal(r.poolSlots, 256);
  t.equal(r.relations.reduce((a, x) => a + x.buffers, 0), r.occupied, 'every occupied slot counted once');
  t.ok(r.relations.some((x) => x.owner === 'items') && r.relations.some((x) => x.owner === 'items_by_tag'), 'tables and indexes by name');
  t.match(remapdb(['inspect', dir, '--view', 'relations']).stdout, /relation +buffers +dirty +pinned +% of pool\n/);

  const bogus = remapdb(['kernel', 'bogus', dir]);
  t.equal(bogus.status, 2);
  oneLine(t, bogus);
  t.match(bogus.stderr, /^remapdb: <view> "bogus" is not allowed; allowed: maps \| smaps/);
});

t.test('no init suggestion where init refuses; no checkout-only script suggested', async (t) => {
  const root = tmp(t, 'texts2');
  const full = join(root, 'full');
  fs.mkdirSync(full);
  fs.writeFileSync(join(full, 'notes.txt'), 'x');
  const r = remapdb(['inspect', full]);
  t.equal(r.status, 4);
  t.notMatch(r.stderr, /remapdb init \S*full creates one/);
  t.match(r.stderr, /remapdb init creates one in a new or empty directory/);
  const empty = join(root, 'empty');
  fs.mkdirSync(empty);
  t.match(remapdb(['inspect', empty]).stderr, /remapdb init \S*empty creates one/);

  const rep = remapdb(['report', '--results', join(root, 'none.sqlite')]);
  t.not(rep.status, 0);
  t.notMatch(rep.stderr, /npm run workload/);
  t.match(rep.stderr, /remapdb bench tpcb --scale 1/);
});

function cell(id: string): CellResult {
  return {
    id, label: id, engine: { ...DEFAULT_SPEC }, describe: id, error: null, warmupSeconds: 1, seconds: 10, committed: 100, rolledBack: 0, errors: 0,
    errorSamples: [], txPerSec: 10, nopm: null, types: [], countersBefore: {}, countersAfter: {}, checks: [], kernel: null, samples: [],
    dbBytes: 1 << 20, rssBytes: 1 << 26, peakRssBytes: 1 << 27, heapUsedBytes: 1 << 24, gc: { count: 3, pauseMs: 4 }, openMs: 2,
  };
}

t.test('the bench table has no empty column outside TPC-C', async (t) => {
  const run: RunResult = {
    runId: null, startedAt: '2026-11-26T10:00:00.000Z', finishedAt: '2026-11-26T10:01:00.000Z', workload: { name: 'tpcb', params: { scale: 1 } },
    seed: 1, sync: 'off', limits: { terminals: 1, warmupSeconds: 1, durationSeconds: 10, transactions: 0, progressSeconds: 0 }, baseline: 'a',
    environment: environment(), versions: {}, images: {}, cells: [cell('a'), cell('b')],
  };
  const text = renderRun(run, { box: false });
  const header = text.split('\n').find((l) => l.startsWith('cell'));
  t.match(header, /^cell +tx\/s +vs a +committed/, 'no blank NOPM header between tx/s and the ratio');
  t.notMatch(header ?? '', / {6,}vs a/);
});

t.test('the demo says how long it takes, as the README does', async (t) => {
  const help = remapdb(['demo', '--help']).stdout;
  t.notMatch(help, /about three minutes/);
  t.match(help, /two to three minutes on 2 cores/);
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  t.match(readme, /`remapdb demo`, two to three minutes on 2 cores/);
});
