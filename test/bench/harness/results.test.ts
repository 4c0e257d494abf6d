import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import t from 'tap';

import { expandCells, pickBaseline } from '../../../bench/harness/matrix.js';
import { compareRuns, renderRun } from '../../../bench/harness/report.js';
import { ResultsDb, runToCsv } from '../../../bench/harness/results-db.js';
import type { CellResult, RunResult } from '../../../bench/harness/types.js';
import { environment } from '../../../bench/lib/env.js';
import { DEFAULT_SPEC } from '../../../bench/workloads/stores.js';

const MATRIX = {
  engines: ['remapdb', 'sqlite', 'lmdb'] as const, strategies: ['nonlinear', 'multi-mmap', 'pread'] as const, poolPages: [1024, 4096],
  personalities: ['linux-2.6', 'linux-4.0'] as const, archs: ['x86_64'] as const, mlock: true, ramBytes: 0, sync: 'normal' as const,
  sqliteCheckpoints: ['default', 'matched'] as const,
};

t.test('the matrix: strategies × pools × personalities, SQLite per pool at both checkpoint settings, LMDB once', (t) => {
  const cells = expandCells(MATRIX);
  t.equal(cells.length, 2 * (3 * 2 + 2) + 1);
  t.equal(new Set(cells.map((c) => c.id)).size, cells.length, 'ids are unique');
  t.ok(cells.every((c) => c.engine.sync === 'normal'), 'one durability for every engine');
  t.same(cells.filter((c) => c.engine.kind === 'sqlite').map((c) => [c.engine.poolPages, c.engine.sqliteCheckpoint]),
    [[1024, 'default'], [1024, 'matched'], [4096, 'default'], [4096, 'matched']]);
  t.same(cells.filter((c) => c.engine.kind === 'lmdb').length, 1);
  t.equal(cells[0]?.id, 'remapdb-nonlinear-1024-2.6-x86_64');
  t.equal(cells[0]?.label, 'remapdb nonlinear 1024p 2.6');
  const one = expandCells({ ...MATRIX, poolPages: [4096], personalities: ['linux-2.6'] });
  t.same(one.map((c) => c.label), ['remapdb nonlinear', 'remapdb multi-mmap', 'remapdb pread', 'SQLite ckpt default', 'SQLite ckpt matched', 'LMDB']);
  t.same(one.filter((c) => c.engine.kind === 'sqlite').map((c) => c.id), ['sqlite-4096', 'sqlite-matched-4096'], 'the default keeps its old id');
  t.same(expandCells({ ...MATRIX, sqliteCheckpoints: ['default'] }).filter((c) => c.engine.kind === 'sqlite').length, 2, 'one setting: one cell per pool');
  t.end();
});

t.test('the baseline: named by id or label prefix, else SQLite with the matched checkpoint, else any SQLite, else the first cell', (t) => {
  const cells = expandCells({ ...MATRIX, poolPages: [4096], personalities: ['linux-2.6'] });
  t.equal(pickBaseline(cells, '').id, 'sqlite-matched-4096');
  t.equal(pickBaseline(cells.filter((c) => c.id !== 'sqlite-matched-4096'), '').id, 'sqlite-4096');
  t.equal(pickBaseline(cells, 'lmdb').id, 'lmdb');
  t.equal(pickBaseline(cells, 'remapdb pread').id, 'remapdb-pread-4096-2.6-x86_64');
  t.equal(pickBaseline(cells.filter((c) => c.engine.kind !== 'sqlite'), '').id, 'remapdb-nonlinear-4096-2.6-x86_64');
  t.throws(() => pickBaseline(cells, 'oracle'), /baseline "oracle" is not a cell of this run; cells: remapdb-nonlinear/);
  t.throws(() => pickBaseline([], ''), RangeError);
  t.end();
});

function cell(id: string, kind: 'remapdb' | 'sqlite', txPerSec: number, error: string | null = null): CellResult {
  return {
    id, label: id, engine: { ...DEFAULT_SPEC, kind }, describe: `${kind} test`, error, warmupSeconds: 1, seconds: 10, committed: txPerSec * 10,
    rolledBack: 3, errors: 0, errorSamples: [], txPerSec, nopm: null,
    types: [{ name: 'tpcb', targetPct: 100, achievedPct: 100, committed: txPerSec * 10, rolledBack: 3, errors: 0,
      latency: { count: txPerSec * 10 + 3, meanUs: 12.5, p50Us: 10, p90Us: 20, p95Us: 25, p99Us: 40, p999Us: 90, maxUs: 400 }, histogram: '' }],
    countersBefore: { history: 0 }, countersAfter: { history: txPerSec * 10 },
    checks: [{ id: 'balances', ok: error === null, detail: 'Σabalance = Σtbalance = 7' }],
    kernel: kind === 'remapdb' ? {
      vmas: 2, kernelBytes: 24928, minorFaults: 5, majorFaults: 1, remaps: 10, mmaps: 0, munmaps: 0, tlbShootdowns: 0, tlbFlushes: 4, swapOuts: 0,
      swapIns: 0, poolHits: 100, poolMisses: 10, evictions: 8, writebacks: 2, checkpoints: 1, walBytes: 4096, walSyncs: 0, kernelNs: 5000,
      kernelNsByEvent: { ioRead: { count: 1, ns: 4000 }, minorFault: { count: 5, ns: 1000 } },
    } : null,
    samples: [], dbBytes: 1 << 20, rssBytes: 1 << 26, peakRssBytes: 1 << 27, heapUsedBytes: 1 << 24, gc: { count: 4, pauseMs: 12.5 }, openMs: 3,
  };
}

function run(cells: CellResult[]): RunResult {
  return {
    runId: null, startedAt: '2026-11-26T00:00:00Z', finishedAt: '2026-11-26T00:01:00Z', workload: { name: 'tpcb', params: { scale: 1 } }, seed: 42,
    sync: 'off', limits: { terminals: 1, warmupSeconds: 1, durationSeconds: 10, transactions: 0, progressSeconds: 0 }, baseline: 'sqlite',
    environment: environment(), versions: { node: process.version }, images: {}, cells,
  };
}

t.test('runs are recorded, listed, read back whole, and exported as CSV', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-results-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'sub', 'runs.sqlite');
  const db = new ResultsDb(file);
  const r1 = run([cell('remapdb-nonlinear', 'remapdb', 1000), cell('sqlite', 'sqlite', 500)]);
  const r2 = run([cell('remapdb-nonlinear', 'remapdb', 1100), cell('sqlite', 'sqlite', 0, 'consistency check failed: balances')]);
  t.equal(db.record(r1), 1);
  t.equal(db.record(r2), 2);
  t.equal(r2.runId, 2);
  t.equal(db.latest(), 2);
  const list = db.list();
  t.same(list.map((r) => [r.runId, r.cells, r.failed]), [[2, 2, 1], [1, 2, 0]]);
  t.equal(list[1]?.best, 'remapdb-nonlinear 1000 tx/s');
  const back = db.get(1);
  t.same(back.cells, r1.cells);
  t.throws(() => db.get(99), /no run 99 in/);
  db.close();
  t.throws(() => new ResultsDb(path.join(dir, 'none.sqlite'), { create: false }), /no results database at/);

  const csv = runToCsv(back).trim().split('\n');
  t.equal(csv.length, 3);
  t.match(csv[0], /^run_id,workload,seed,sync,cell_id,label,engine,strategy,pool_pages/);
  t.match(csv[1], /^1,tpcb,42,off,remapdb-nonlinear,remapdb-nonlinear,remapdb,nonlinear,16384,linux-2\.6,x86_64,,10,1000,,tpcb,100,100,10000,3,0/);
  t.end();
});

t.test('a run renders side by side with ratios and the kernel table; compare puts runs together', (t) => {
  const r = run([cell('remapdb-nonlinear', 'remapdb', 1000), cell('sqlite', 'sqlite', 500), cell('lmdb', 'sqlite', 0, 'boom')]);
  r.runId = 7;
  const text = renderRun(r);
  t.match(text, /tpcb \{"scale":1\}, seed 42, sync off, 1 terminal\(s\), 10 s after 1 s warm-up \(run 7\)/);
  t.match(text, /remapdb-nonlinear\s+1\.00 K\s+2\.00×/);
  t.match(text, /lmdb\s+FAILED/);
  t.match(text, /lmdb: boom/);
  t.match(text, /remapdb simulated kernel over the measured phase/);
  t.match(text, /ioRead 80%/);
  const r2 = { ...run([cell('remapdb-nonlinear', 'remapdb', 1500)]), runId: 8 };
  const cmp = compareRuns([r, r2]);
  t.equal(cmp.rows.length, 4);
  t.same(cmp.rows[3]?.slice(0, 1), ['8']);
  t.equal(cmp.rows[3]?.[6], '1.50×');
  t.throws(() => compareRuns([]), RangeError);
  t.end();
});
