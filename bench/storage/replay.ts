/**
 * Crash-recovery replay: how long a reopen after a power failure takes for a given WAL
 * (storage/redo.ts over storage/wal/recover.ts recoverLog, then the recovery checkpoint
 * that writes the redone pages), on the TPC-B-like or TPC-C-like workload.
 *
 *   1. load the workload once into `<workDir>/image-<workload>-<params>/` (kept for later
 *      runs) and copy it to `<workDir>/run/`;
 *   2. open the copy and commit the workload's transactions (one terminal, sync
 *      'normal') until the WAL holds `walMiB` MiB with automatic checkpoints off
 *      (checkpointBytes 0) — or, with `walMiB` 0, under the default checkpoint options
 *      until the WAL is one transaction short of its trigger (the largest WAL those
 *      defaults leave to a crash);
 *   3. make the log durable (wal.flush) and cut the power (db.simulatePowerFailure: the
 *      simulated page cache is lost, nothing is closed);
 *   4. reopen on a new machine, timed: wall and CPU ms of open(), simulated ns; then the
 *      workload's consistency checks against the committed transaction counts (nothing
 *      committed may be lost, nothing else appear); then a clean open of the recovered
 *      database, timed, whose cost is taken out to give the replay's ms, MB/s, records/s.
 *
 * The CLI is replay-main.ts; replayReport is the storage suite's `replay` report.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { open, type StorageOptions } from '../../src/index.js';
import { workloadByName } from '../harness/registry.js';
import { DEFAULT_SPEC, type EngineSpec, ramFor, type Store } from '../workloads/stores.js';
import type { CheckResult } from '../workloads/types.js';
import { renderTable } from '../lib/format.js';
import type { ReportBench, ReportOutput, TableSpec } from '../lib/harness.js';

const MiB = 1024 * 1024;

export interface ReplaySpec {
  workload: 'tpcb' | 'tpcc';
  /** Workload params (e.g. { scale: 10 } or { warehouses: 1 }). */
  params: Record<string, number>;
  /** WAL to build with checkpoints off, MiB; 0 = the default checkpoint options, crash just before their trigger. */
  walMiB: number;
  poolPages: number;
  seed: number;
  workDir: string;
  /** Extra storage options for the run and the reopen (e.g. a replay budget). */
  options?: StorageOptions;
}

export interface ReplayResult {
  workload: string;
  params: Record<string, number>;
  walMiB: number;
  /** Transactions committed after the load, before the crash. */
  transactions: number;
  /** Their wall seconds (sync 'normal'), and tx/s. */
  runSeconds: number;
  /** Checkpoints the run took (0 with walMiB > 0). */
  checkpoints: number;
  /** The limit the run's checkpoints used (options.checkpointBytes; 0 = never). */
  checkpointBytes: number;
  /** The WAL file at the crash, bytes. */
  walBytes: number;
  /** What the reopen redid. */
  recovered: { transactions: number; records: number; tornTailBytes: number };
  /** Wall ms of open() after the crash (redo + recovery checkpoint + the rest of open). */
  reopenMs: number;
  /** Process CPU ms (user + system) of that open(): steadier than wall time on a loaded machine. */
  reopenCpuMs: number;
  /** Wall ms of a clean open of the recovered database right after (no WAL): the part of reopenMs that is not replay. */
  cleanOpenMs: number;
  cleanOpenCpuMs: number;
  /** reopenMs − cleanOpenMs: redo and the recovery checkpoint; and the same in CPU ms. */
  replayMs: number;
  replayCpuMs: number;
  /** Simulated ns on the new machine by the end of open(), and its kernel share. */
  simNs: number;
  kernelNs: number;
  /** WAL bytes / replayMs (MB = 10^6 bytes), and records / replayMs. */
  walMBPerSec: number;
  recordsPerSec: number;
  checks: CheckResult[];
}

function paramsKey(spec: ReplaySpec): string {
  return `${spec.workload}-${Object.entries(spec.params).map(([k, v]) => `${k}${v}`).join('-')}-p${spec.poolPages}`;
}

function storageOptions(spec: ReplaySpec, extra: StorageOptions): Parameters<typeof open>[1] {
  return {
    sync: 'normal', strategy: 'nonlinear', poolPages: spec.poolPages, kernel: { ramBytes: ramFor(spec.poolPages) },
    snapshotOnClose: false, ...spec.options, ...extra,
  };
}

function engineSpec(spec: ReplaySpec): EngineSpec {
  return { ...DEFAULT_SPEC, kind: 'remapdb', sync: 'normal', poolPages: spec.poolPages };
}

/** The loaded image (made once per workload, params and pool), copied to a fresh run directory. */
function prepare(spec: ReplaySpec, log: (line: string) => void): string {
  const image = path.join(spec.workDir, `image-${paramsKey(spec)}`);
  const done = path.join(image, 'loaded');
  if (!fs.existsSync(done)) {
    fs.rmSync(image, { recursive: true, force: true });
    fs.mkdirSync(image, { recursive: true });
    log(`replay: loading ${spec.workload} ${JSON.stringify(spec.params)} into ${image}`);
    const t0 = performance.now();
    const db = open(image, storageOptions(spec, {}));
    const w = workloadByName(spec.workload);
    const store: Store = { kind: 'remapdb', spec: engineSpec(spec), dir: image, db };
    w.bind(store, w.params(spec.params)).load(() => undefined);
    db.close();
    fs.writeFileSync(done, '');
    log(`replay: loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const run = path.join(spec.workDir, 'run');
  fs.rmSync(run, { recursive: true, force: true });
  fs.cpSync(image, run, { recursive: true });
  fs.rmSync(path.join(run, 'loaded'));
  return run;
}

/** Build the WAL, cut the power, reopen timed, check. */
export function measureReplay(spec: ReplaySpec, log: (line: string) => void): ReplayResult {
  const dir = prepare(spec, log);
  const w = workloadByName(spec.workload);
  const params = w.params(spec.params);
  const target = spec.walMiB * MiB;
  const db = open(dir, storageOptions(spec, spec.walMiB > 0 ? { checkpointBytes: 0 } : {}));
  const limit = db.options.checkpointBytes;
  const bound = w.bind({ kind: 'remapdb', spec: engineSpec(spec), dir, db }, params);
  const [term] = bound.terminals(1, spec.seed);
  if (term === undefined) throw new Error('no terminal');
  const committed = new Array<number>(w.txTypes.length).fill(0);
  let transactions = 0;
  let checkpoints = 0;
  let maxTxBytes = 0;
  let lastLog = performance.now();
  const t0 = performance.now();
  for (;;) {
    const before = db.wal.sizeBytes;
    if (target > 0 ? before >= target : limit > 0 && before + 2 * maxTxBytes >= limit && transactions > 1000) break;
    const type = term.step();
    const after = db.wal.sizeBytes;
    if (after < before) checkpoints++;
    else maxTxBytes = Math.max(maxTxBytes, after - before);
    if (!term.rolledBack) committed[type] = (committed[type] ?? 0) + 1;
    transactions++;
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      log(`replay: ${transactions} transactions, WAL ${(after / MiB).toFixed(1)} MiB, ${checkpoints} checkpoints`);
    }
  }
  const runSeconds = (performance.now() - t0) / 1000;
  db.wal.flush(db.wal.endLsn, true);
  const walBytes = db.wal.sizeBytes;
  db.simulatePowerFailure();
  log(`replay: ${transactions} transactions in ${runSeconds.toFixed(1)} s, WAL ${(walBytes / MiB).toFixed(1)} MiB; power cut, reopening`);

  const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
  let u0 = process.cpuUsage();
  const r0 = performance.now();
  const again = open(dir, storageOptions(spec, spec.walMiB > 0 ? { checkpointBytes: 0 } : {}));
  const reopenMs = performance.now() - r0;
  const reopenCpuMs = cpuMs(process.cpuUsage(u0));
  const recovered = again.stats().recovered;
  const simNs = again.kernel.nowNs;
  const kernelNs = again.kernel.kernelNs;
  const names = w.txTypes.map((t) => t.name);
  const committedByName: Record<string, number> = {};
  names.forEach((n, i) => { committedByName[n] = committed[i] ?? 0; });
  const checks = w.bind({ kind: 'remapdb', spec: engineSpec(spec), dir, db: again }, params).check(committedByName);
  again.close();
  u0 = process.cpuUsage();
  const c0 = performance.now();
  const clean = open(dir, storageOptions(spec, {}));
  const cleanOpenMs = performance.now() - c0;
  const cleanOpenCpuMs = cpuMs(process.cpuUsage(u0));
  clean.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const replayMs = Math.max(1, reopenMs - cleanOpenMs);
  const replayCpuMs = Math.max(1, reopenCpuMs - cleanOpenCpuMs);
  return {
    workload: spec.workload, params: spec.params, walMiB: spec.walMiB, transactions, runSeconds, checkpoints, checkpointBytes: limit,
    walBytes, recovered, reopenMs, reopenCpuMs, cleanOpenMs, cleanOpenCpuMs, replayMs, replayCpuMs, simNs, kernelNs,
    walMBPerSec: walBytes / 1e6 / (replayMs / 1000), recordsPerSec: recovered.records / (replayMs / 1000), checks,
  };
}

export function replayTable(results: readonly ReplayResult[]): TableSpec {
  return {
    title: 'Reopen after a power failure: redo of the WAL and the recovery checkpoint',
    columns: ['workload', 'WAL built', 'tx', 'WAL MiB', 'records', 'reopen ms', 'clean open ms', 'replay ms', 'replay MB/s', 'records/s',
      'replay CPU ms', 'CPU MB/s', 'sim ms', 'checks'],
    rightAlign: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    rows: results.map((r) => [
      `${r.workload} ${Object.entries(r.params).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      r.walMiB > 0 ? `${r.walMiB} MiB, no checkpoints` : `defaults (checkpoint at ${(r.checkpointBytes / MiB).toFixed(0)} MiB)`,
      String(r.transactions), (r.walBytes / MiB).toFixed(1), String(r.recovered.records), r.reopenMs.toFixed(0),
      r.cleanOpenMs.toFixed(0), r.replayMs.toFixed(0), r.walMBPerSec.toFixed(1), `${(r.recordsPerSec / 1e3).toFixed(0)} K`,
      r.replayCpuMs.toFixed(0), (r.walBytes / 1e6 / (r.replayCpuMs / 1000)).toFixed(1), (r.simNs / 1e6).toFixed(1),
      r.checks.every((c) => c.ok) ? 'ok' : `FAILED: ${r.checks.filter((c) => !c.ok).map((c) => c.id).join(', ')}`,
    ]),
    notes: ['reopen ms: wall time of open() on a new machine after the power cut (redo, recovery checkpoint, pool, catalog); ' +
      'sim ms: its simulated time', 'clean open ms: open() of the recovered database right after (no WAL to replay): the fixed cost',
    'replay ms = reopen − clean open; replay MB/s: the WAL file at the crash / replay ms (MB = 10^6 bytes)',
    'replay CPU ms, CPU MB/s: the same in process CPU time (user + system), steadier than wall time on a loaded machine'],
  };
}

export const replayReport: ReportBench = {
  kind: 'report',
  id: 'replay',
  title: 'crash recovery: reopen time per MiB of WAL (TPC-B-like scale 10, TPC-C-like 1 warehouse)',
  config: 'sync normal, nonlinear, 60,000-page pool; WAL of 256 MiB with checkpoints off, then the default checkpoint options',
  run(log): ReportOutput {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-bench-replay-'));
    try {
      const base = { poolPages: 60_000, seed: 20261126, workDir };
      const results = [
        measureReplay({ ...base, workload: 'tpcb', params: { scale: 10 }, walMiB: 256 }, log),
        measureReplay({ ...base, workload: 'tpcc', params: { warehouses: 1 }, walMiB: 256 }, log),
        measureReplay({ ...base, workload: 'tpcb', params: { scale: 10 }, walMiB: 0 }, log),
        measureReplay({ ...base, workload: 'tpcc', params: { warehouses: 1 }, walMiB: 0 }, log),
      ];
      const table = replayTable(results);
      if (results.some((r) => r.checks.some((c) => !c.ok))) {
        log(renderTable(table));
        throw new Error('replay: a consistency check failed after recovery');
      }
      return { tables: [table], data: results };
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  },
};
