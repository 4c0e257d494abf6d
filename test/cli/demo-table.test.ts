/**
 * The demo's side-by-side table says the durability level it compares and what each
 * engine promises at it, and names its baseline (bench/lib/peers.ts); a run recorded
 * before the peers were matched says so instead of borrowing today's captions.
 */

import t from 'tap';

import type { CellResult, RunResult } from '../../bench/harness/types.js';
import { environment } from '../../bench/lib/env.js';
import { durabilityNotes } from '../../bench/lib/peers.js';
import { DEFAULT_SPEC, type EngineKind } from '../../bench/workloads/stores.js';
import { demoTable } from '../../cli/commands/demo.js';

function cell(id: string, label: string, kind: EngineKind, txPerSec: number): CellResult {
  return {
    id, label, engine: { ...DEFAULT_SPEC, kind, sqliteCheckpoint: id.includes('matched') ? 'matched' : 'default' }, describe: kind, error: null,
    warmupSeconds: 1, seconds: 10, committed: txPerSec * 10, rolledBack: 0, errors: 0, errorSamples: [], txPerSec, nopm: null, types: [],
    countersBefore: {}, countersAfter: {}, checks: [], kernel: null, samples: [], dbBytes: 0, rssBytes: 0, peakRssBytes: 0, heapUsedBytes: 0,
    gc: { count: 0, pauseMs: 0 }, openMs: 0,
  };
}

function run(durability: string[] | undefined): RunResult {
  return {
    runId: 1, startedAt: '2026-12-08T10:00:00.000Z', finishedAt: '2026-12-08T10:01:00.000Z', workload: { name: 'tpcb', params: { scale: 1 } },
    seed: 7, sync: 'normal', limits: { terminals: 1, warmupSeconds: 1, durationSeconds: 10, transactions: 0, progressSeconds: 0 },
    baseline: 'sqlite-matched-16384', environment: environment(), versions: {}, images: {},
    cells: [cell('remapdb-nonlinear-16384-2.6-x86_64', 'remapdb nonlinear', 'remapdb', 3000), cell('sqlite-16384', 'SQLite ckpt default', 'sqlite', 1000),
      cell('sqlite-matched-16384', 'SQLite ckpt matched', 'sqlite', 2000), cell('lmdb', 'LMDB', 'lmdb', 1500)],
    ...(durability === undefined ? {} : { durability }),
  };
}

t.test('the demo table: level, promises, checkpoints, cache and baseline', async (t) => {
  const text = demoTable([run(durabilityNotes(['normal'], ['remapdb', 'sqlite', 'lmdb'], [16384]))]).replace(/\s+/g, ' ');
  t.match(text, /side by side at sync normal/);
  t.match(text, /vs SQLite ckpt matched/, 'ratios name their baseline');
  t.match(text, /1\.50×/, 'remapdb against the matched SQLite');
  t.match(text, /Durability 'normal': remapdb WAL written to the host file at every commit \(write \+ sync_file_range\)/);
  t.match(text, /LMDB may lose the commits since its last env\.sync\(\) and may be corrupt/);
  t.match(text, /Process crash: every engine keeps every acknowledged commit/);
  t.match(text, /SQLite ckpt default = wal_autocheckpoint 1000 pages/);
  t.match(text, /Cache: SQLite cache_size = remapdb's pool \+ the simulated page cache/);
});

t.test('a run recorded before the peers were matched does not borrow today\'s captions', async (t) => {
  const text = demoTable([run(undefined)]).replace(/\s+/g, ' ');
  t.match(text, /Durability mapping not recorded with this run .* LMDB 'normal' was noMetaSync/);
  t.notMatch(text, /Durability 'normal':/);
});
