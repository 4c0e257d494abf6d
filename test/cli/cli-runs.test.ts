/**
 * `remapdb runs` and `remapdb compare` through the real binary, over a results database
 * holding two recorded runs: the list (text and --json), one run whole, two runs side by
 * side, and one clear line with the right exit code for each bad input.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';

import t from 'tap';

import { ResultsDb } from '../../bench/harness/results-db.js';
import type { CellResult, RunResult } from '../../bench/harness/types.js';
import { environment } from '../../bench/lib/env.js';
import { DEFAULT_SPEC } from '../../bench/workloads/stores.js';
import { oneLine, remapdb } from './helpers.js';

function cell(id: string, kind: 'remapdb' | 'sqlite', txPerSec: number): CellResult {
  return {
    id, label: id, engine: { ...DEFAULT_SPEC, kind }, describe: kind, error: null, warmupSeconds: 1, seconds: 10, committed: txPerSec * 10,
    rolledBack: 0, errors: 0, errorSamples: [], txPerSec, nopm: null,
    types: [{ name: 'tpcb', targetPct: 100, achievedPct: 100, committed: txPerSec * 10, rolledBack: 0, errors: 0,
      latency: { count: txPerSec * 10, meanUs: 20, p50Us: 15, p90Us: 25, p95Us: 30, p99Us: 50, p999Us: 100, maxUs: 900 }, histogram: '' }],
    countersBefore: {}, countersAfter: {}, checks: [{ id: 'tpcb-rows', ok: true, detail: 'ok' }], kernel: null, samples: [],
    dbBytes: 1 << 20, rssBytes: 1 << 26, peakRssBytes: 1 << 27, heapUsedBytes: 1 << 24, gc: { count: 3, pauseMs: 4 }, openMs: 2,
  };
}

function runOf(remap: number, sqlite: number, seed: number): RunResult {
  return {
    runId: null, startedAt: '2026-11-26T10:00:00.000Z', finishedAt: '2026-11-26T10:01:00.000Z', workload: { name: 'tpcb', params: { scale: 1 } },
    seed, sync: 'off', limits: { terminals: 1, warmupSeconds: 1, durationSeconds: 10, transactions: 0, progressSeconds: 0 }, baseline: 'sqlite',
    environment: environment(), versions: {}, images: {}, cells: [cell('remapdb-nonlinear', 'remapdb', remap), cell('sqlite', 'sqlite', sqlite)],
  };
}

t.test('runs and compare over a results database', async (t) => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'remapdb-runs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'runs.sqlite');
  const db = new ResultsDb(file);
  db.record(runOf(1000, 500, 11));
  db.record(runOf(1500, 400, 12));
  db.close();

  const list = remapdb(['runs', '--results', file]);
  t.equal(list.status, 0, list.stderr);
  t.match(list.stdout, /^2 run\(s\) in /);
  t.match(list.stdout, /\n +2 +2026-11-26 10:00:00 +tpcb +\{"scale":1\} +12 +off +2 +0 +remapdb-nonlinear 1500 tx\/s\n/);
  const json = remapdb(['runs', '--json', '--limit', '1', '--results', file]);
  t.equal(json.status, 0);
  t.same((JSON.parse(json.stdout) as { runId: number }[]).map((r) => r.runId), [2]);

  const show = remapdb(['runs', '--show', '1', '--results', file]);
  t.equal(show.status, 0, show.stderr);
  t.match(show.stdout, /tpcb \{"scale":1\}, seed 11, sync off[^]*remapdb-nonlinear +1\.00 K +2\.00×/);

  const cmp = remapdb(['compare', '1', '2', '--results', file]);
  t.equal(cmp.status, 0, cmp.stderr);
  t.match(cmp.stdout, /runs 1, 2 side by side/);
  t.match(cmp.stdout, /\n +2 +tpcb +off +remapdb-nonlinear +1\.50 K +tx\/s +1\.50×\n/);
  t.match(cmp.stdout, /\n +2 +tpcb +off +sqlite +400 +tx\/s +0\.80×\n/);
  const cmpJson = remapdb(['compare', '1', '2', '--json', '--results', file]);
  t.equal((JSON.parse(cmpJson.stdout) as { rows: string[][] }).rows.length, 4);

  const one = remapdb(['compare', '1', '--results', file]);
  t.equal(one.status, 2);
  oneLine(t, one);
  t.match(one.stderr, /compare needs two or more run ids; got 1/);
  const missing = remapdb(['compare', '1', '7', '--results', file]);
  t.equal(missing.status, 2);
  t.match(missing.stderr, /no run 7 in .*runs\.sqlite/);
  const noDb = remapdb(['runs', '--results', join(dir, 'nope.sqlite')]);
  t.equal(noDb.status, 4);
  oneLine(t, noDb);
  t.match(noDb.stderr, /no results database at .*nope\.sqlite: run a benchmark first/);
  const badLimit = remapdb(['runs', '--limit', '0', '--results', file]);
  t.equal(badLimit.status, 2);
  t.match(badLimit.stderr, /--limit 0: an integer from 1 to 10000/);
});
