/**
 * One job of the harness, run in its own process (cell-main.ts):
 *   load  create an engine's database in the image directory, load the workload into
 *         it (progress on stderr), run the consistency checks, close it and write the
 *         image's manifest (images.ts). Every cell of that engine kind starts from a
 *         copy of these bytes.
 *   run   copy the image to the cell's directory, open it with the cell's engine
 *         configuration, read the workload's counters, warm up, measure, read the
 *         counters again, run the consistency checks (with the committed counts since
 *         the load), and report (types.ts CellResult). A failed check fails the cell,
 *         naming the check and its values.
 */

import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';

import { serveInspection } from '../../src/index.js';
import type { InspectServer } from '../../src/index.js';
import { closeStore, describeStore, type EngineSpec, openStore, type Store, storeBytes } from '../workloads/stores.js';
import type { CheckResult } from '../workloads/types.js';
import { encodeHistogram, type Histogram, summarize } from './histogram.js';
import { IMAGE_VERSION, readManifest, writeManifest } from './images.js';
import { measure } from './measure.js';
import { emitProgress, PROGRESS_EVERY_MS, type ProgressEvent } from './progress.js';
import { faultCounters, kernelFigures, probe } from './probe.js';
import { workloadByName } from './registry.js';
import type { CellResult, CellSpec, ImageManifest, RunLimits, Sample, WorkloadSpec } from './types.js';

export interface LoadJob {
  phase: 'load';
  workload: WorkloadSpec;
  seed: number;
  /** The image directory to create (must not exist). */
  dir: string;
  engine: EngineSpec;
}

export interface RunJob {
  phase: 'run';
  workload: WorkloadSpec;
  seed: number;
  imageDir: string;
  /** The cell's own copy of the image (created here, removed afterwards unless keep). */
  dir: string;
  keep: boolean;
  cell: CellSpec;
  limits: RunLimits;
  /** Serve the remapdb engine's inspection views on this Unix socket during the cell (remapdb cells only). */
  inspectSocket?: string;
}

export type Job = LoadJob | RunJob;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function failedChecks(checks: readonly CheckResult[]): string | null {
  const bad = checks.filter((c) => !c.ok);
  if (bad.length === 0) return null;
  return `consistency check${bad.length > 1 ? 's' : ''} failed: ${bad.slice(0, 5).map((c) => `${c.id}: ${c.detail}`).join('; ')}` +
    `${bad.length > 5 ? ` (and ${bad.length - 5} more)` : ''}`;
}

/**
 * Load an image; throws if a consistency check fails after the load. Progress goes to
 * `hooks` — by default to stderr as the child process's events and log lines.
 */
export async function runLoad(job: LoadJob, hooks: { progress: (e: ProgressEvent) => void; log: (line: string) => void } =
  { progress: emitProgress, log }): Promise<ImageManifest> {
  const wl = workloadByName(job.workload.name);
  const params = wl.params(job.workload.params);
  if (fs.existsSync(job.dir)) throw new Error(`image directory ${job.dir} already exists`);
  const store = openStore(job.dir, job.engine, true);
  let rows = 0;
  let loadSeconds = 0;
  let checks: CheckResult[] = [];
  try {
    const bound = wl.bind(store, params);
    const total = wl.loadRows(params);
    const start = performance.now();
    let nextLine = start + 5000;
    let nextEvent = start + PROGRESS_EVERY_MS;
    bound.load((done) => {
      rows = done;
      const now = performance.now();
      if (now >= nextEvent) {
        hooks.progress({ kind: 'load', workload: job.workload.name, engine: job.engine.kind, done, total });
        nextEvent = now + PROGRESS_EVERY_MS;
      }
      if (now >= nextLine) {
        hooks.log(`load ${job.workload.name} on ${job.engine.kind}: ${done} of ${total} rows (${Math.round((100 * done) / total)} %), ` +
          `${Math.round(done / ((now - start) / 1000))} rows/s`);
        nextLine = now + 5000;
      }
    });
    loadSeconds = (performance.now() - start) / 1000;
    rows = Math.max(rows, total);
    hooks.log(`load ${job.workload.name} on ${job.engine.kind}: ${rows} rows in ${loadSeconds.toFixed(1)} s; checking`);
    checks = bound.check();
  } finally {
    await closeStore(store);
  }
  const manifest: ImageManifest = {
    version: IMAGE_VERSION, workload: { name: wl.name, params: params as Record<string, unknown> }, seed: job.seed, kind: job.engine.kind,
    rows, loadSeconds, rowsPerSec: rows / loadSeconds, bytes: storeBytes(job.dir), checks, createdAt: new Date().toISOString(),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  const failed = failedChecks(checks);
  if (failed !== null) throw new Error(`after the load of ${job.workload.name} on ${job.engine.kind}: ${failed}`);
  writeManifest(job.dir, manifest);
  return manifest;
}

function copyImage(from: string, to: string): void {
  readManifest(from);
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}

/** Run one cell from its image. A failure is reported in the result's `error`, not thrown. */
export async function runCell(job: RunJob): Promise<CellResult> {
  const wl = workloadByName(job.workload.name);
  const params = wl.params(job.workload.params);
  const result = emptyResult(job.cell, null);
  copyImage(job.imageDir, job.dir);
  // GC pauses of the measured phase: v8.GCProfiler reports synchronously ('gc' performance
  // entries would only arrive when the loop yields, which it does rarely).
  const gcs = new v8.GCProfiler();
  let store: Store | null = null;
  let server: InspectServer | null = null;
  try {
    const t0 = performance.now();
    store = openStore(job.dir, job.cell.engine, false);
    result.openMs = performance.now() - t0;
    result.describe = describeStore(store);
    if (job.inspectSocket !== undefined && store.kind === 'remapdb') {
      // Live inspection is a convenience: a socket in use (another benchmark) must not fail the cell.
      try {
        server = await serveInspection(store.db, job.inspectSocket);
        log(`${job.cell.label}: live inspection on ${job.inspectSocket} (remapdb inspect --live ${job.inspectSocket})`);
      } catch (err) {
        log(`${job.cell.label}: no live inspection: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const bound = wl.bind(store, params);
    result.countersBefore = bound.counters();
    const terminals = bound.terminals(job.limits.terminals, job.seed);
    const samples: Sample[] = [];
    const s = store;
    let before: ReturnType<typeof probe> = null;
    let last: ReturnType<typeof faultCounters> | null = null;
    let nextEvent = 0;
    const lim = job.limits;
    const m = await measure(terminals, wl.txTypes, job.limits, job.cell.label, {
      progress: log,
      tick(phase, seconds, transactions): void {
        const now = performance.now();
        if (now < nextEvent) return;
        nextEvent = now + PROGRESS_EVERY_MS;
        emitProgress({
          kind: 'cell', label: job.cell.label, phase, seconds, transactions,
          phaseSeconds: phase === 'warmup' ? lim.warmupSeconds : lim.durationSeconds, maxTransactions: phase === 'run' ? lim.transactions : 0,
        });
      },
      startMeasure(): void {
        gcs.start();
        before = probe(s);
        last = before === null ? null : faultCounters(before);
      },
      sample(second, committed): void {
        const p = probe(s);
        if (p === null || last === null) {
          samples.push({ second, committed, majorFaults: 0, minorFaults: 0, evictions: 0 });
          return;
        }
        const now = faultCounters(p);
        samples.push({ second, committed, majorFaults: now.majorFaults - last.majorFaults, minorFaults: now.minorFaults - last.minorFaults,
          evictions: now.evictions - last.evictions });
        last = now;
      },
    });
    const after = probe(store);
    // Again after the run: LMDB's line then counts its 'normal' syncs (peers.ts LmdbFlusher).
    result.describe = describeStore(store);
    const gcStats = gcs.stop()?.statistics ?? [];
    // cost is in microseconds.
    result.gc = { count: gcStats.length, pauseMs: gcStats.reduce((a, e) => a + e.cost, 0) / 1000 };
    result.countersAfter = bound.counters();
    result.samples = samples;
    result.warmupSeconds = m.warmup.seconds;
    result.seconds = m.run.seconds;
    const types = wl.txTypes;
    const run = m.run;
    const total = run.transactions;
    result.types = types.map((tt, i) => ({
      name: tt.name, targetPct: tt.weight,
      achievedPct: total === 0 ? 0 : (100 * ((run.committed[i] ?? 0) + (run.rolledBack[i] ?? 0) + (run.errors[i] ?? 0))) / total,
      committed: run.committed[i] ?? 0, rolledBack: run.rolledBack[i] ?? 0, errors: run.errors[i] ?? 0,
      latency: summarize(m.histograms[i] as Histogram), histogram: encodeHistogram(m.histograms[i] as Histogram),
    }));
    result.committed = types.reduce((a, _, i) => a + (run.committed[i] ?? 0), 0);
    result.rolledBack = types.reduce((a, _, i) => a + (run.rolledBack[i] ?? 0), 0);
    result.errors = run.unattributed + types.reduce((a, _, i) => a + (run.errors[i] ?? 0), 0);
    result.errorSamples = [...m.warmup.errorSamples, ...run.errorSamples].slice(0, 5);
    result.txPerSec = run.seconds > 0 ? result.committed / run.seconds : 0;
    const newOrders = (result.countersAfter.sumNextOId ?? NaN) - (result.countersBefore.sumNextOId ?? NaN);
    if (Number.isFinite(newOrders)) {
      // The counters span warm-up and run; NOPM counts the run's share only.
      const measuredShare = newOrders - sumWarmupNewOrders(types.map((t) => t.name), m.warmup.committed);
      result.nopm = run.seconds > 0 ? measuredShare / (run.seconds / 60) : 0;
    }
    if (before !== null && after !== null) result.kernel = kernelFigures(before, after);
    const committedSinceLoad: Record<string, number> = {};
    types.forEach((t, i) => { committedSinceLoad[t.name] = (run.committed[i] ?? 0) + (m.warmup.committed[i] ?? 0); });
    result.checks = bound.check(committedSinceLoad);
    const mem = process.memoryUsage();
    result.rssBytes = mem.rss;
    result.peakRssBytes = process.resourceUsage().maxRSS * 1024;
    result.heapUsedBytes = mem.heapUsed;
    result.error = m.aborted ?? failedChecks(result.checks);
  } catch (err) {
    result.error = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
    log(`${job.cell.label}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  } finally {
    if (server !== null) await server.close();
    if (store !== null) {
      try {
        await closeStore(store);
      } catch (err) {
        result.error ??= `close failed: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    result.dbBytes = fs.existsSync(job.dir) ? storeBytes(job.dir) : 0;
    if (!job.keep) fs.rmSync(job.dir, { recursive: true, force: true });
  }
  return result;
}

/** A cell's result before it ran (or when it could not run: `error`). */
export function emptyResult(cell: CellSpec, error: string | null): CellResult {
  return {
    id: cell.id, label: cell.label, engine: cell.engine, describe: '', error, warmupSeconds: 0, seconds: 0, committed: 0, rolledBack: 0,
    errors: 0, errorSamples: [], txPerSec: 0, nopm: null, types: [], countersBefore: {}, countersAfter: {}, checks: [], kernel: null,
    samples: [], dbBytes: 0, rssBytes: 0, peakRssBytes: 0, heapUsedBytes: 0, gc: { count: 0, pauseMs: 0 }, openMs: 0,
  };
}

/** New-Orders committed during the warm-up (the 'new-order' type's count), to take out of Δ Σ D_NEXT_O_ID. */
function sumWarmupNewOrders(names: readonly string[], warmupCommitted: Float64Array): number {
  const i = names.indexOf('new-order');
  return i < 0 ? 0 : warmupCommitted[i] ?? 0;
}
