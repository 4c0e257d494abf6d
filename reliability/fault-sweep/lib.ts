/**
 * The fault sweep's loop (workload.ts has the workload and the checks): for one
 * strategy and sync mode, a dry run counts the I/Os of each kind; then for each kind ×
 * outcome that applies and each n = 1, 2, … count (or every stride-th), one run with
 * failNth(kind, n, outcome) armed, checked on a fresh machine. Tallies go by cell
 * (strategy × sync × kind × outcome): runs, faults injected, how runs ended, failures.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { IoKind } from '../../sim-kernel/index.js';
import type { SyncMode } from '../../storage/index.js';
import { type FaultCase, type RunResult, runWorkload, verifyRecovery } from './run.js';
import { copyBase, type FaultOutcome, KINDS, OUTCOMES, type Strategy, type Workload } from './workload.js';

export interface CellTally {
  strategy: Strategy;
  sync: SyncMode;
  kind: IoKind;
  outcome: FaultOutcome;
  /** I/Os of the kind in the dry run. */
  count: number;
  stride: number;
  runs: number;
  injected: number;
  /** Runs by how the workload ended: 'ok' or the error's code. */
  endings: Map<string, number>;
  /** Runs whose handle refused the next transaction after the error (the sticky check). */
  refusals: number;
  failures: number;
}

export interface SweepOptions {
  workload: Workload;
  /** The base database, made once by createBase(); each run works on a copy. */
  baseDir: string;
  /** Where run directories are made (each removed after its run). */
  workDir: string;
  strategy: Strategy;
  sync: SyncMode;
  /** The stride for a kind × outcome whose dry run saw `count` I/Os (1: every one). */
  stride: (count: number) => number;
  /** A run that broke the contract, with its problems. */
  onFailure: (label: string, problems: string[]) => void;
  /** Stop the sweep after this many failures (default 5). */
  maxFailures?: number;
  /** Only these kinds of I/O (default all). */
  kinds?: readonly IoKind[];
}

export interface SweepReport {
  dry: RunResult;
  /** Problems of the dry run (none expected: then nothing else runs). */
  dryProblems: string[];
  cells: CellTally[];
}

/** A directory for run copies: tmpfs when there is one (real fdatasyncs cost ~1 ms each). */
export function fastTempRoot(prefix: string): string {
  let parent = os.tmpdir();
  try {
    if (fs.statSync('/dev/shm').isDirectory()) {
      fs.accessSync('/dev/shm', fs.constants.W_OK);
      parent = '/dev/shm';
    }
  } catch { /* no tmpfs: the OS temp dir */ }
  return fs.mkdtempSync(path.join(parent, prefix));
}

/** Which n to fail for one kind × outcome: every one (stride 1), or every stride-th from an offset. */
export function sweepNs(count: number, stride: number, offset: number): number[] {
  const out: number[] = [];
  if (stride <= 1) {
    for (let n = 1; n <= count; n++) out.push(n);
    return out;
  }
  // The outcomes of one kind start at different offsets, so between them they fail different I/Os.
  for (let n = 1 + (offset % stride); n <= count; n += stride) out.push(n);
  if (out[out.length - 1] !== count && count > 0) out.push(count); // the last I/O (the close's) always
  return out;
}

export function label(strategy: Strategy, sync: SyncMode, f: FaultCase): string {
  return `${strategy} sync=${sync} ${f.kind} #${f.n} ${f.outcome}`;
}

/** One case on a fresh copy of the base: run, then verify on a new machine. Problems: none = it passed. */
export function runCase(o: SweepOptions, fault: FaultCase | null, name: string): { result: RunResult; problems: string[] } {
  const dir = path.join(o.workDir, name);
  copyBase(o.baseDir, dir);
  try {
    const result = runWorkload(dir, o.workload, o.strategy, o.sync, fault);
    const problems = [...result.problems];
    if (fault !== null && result.injected === 0) {
      problems.push(`the fault never fired (${result.seen[fault.kind]} ${fault.kind} I/Os seen)`);
    }
    if (fault === null && result.ending !== 'ok') problems.push(`the dry run ended ${result.ending}: ${String(result.error)}`);
    problems.push(...verifyRecovery(dir, o.workload, o.strategy, o.sync, result));
    return { result, problems };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function sweep(o: SweepOptions): SweepReport {
  const maxFailures = o.maxFailures ?? 5;
  const dry = runCase(o, null, `${o.strategy}-${o.sync}-dry`);
  const report: SweepReport = { dry: dry.result, dryProblems: dry.problems, cells: [] };
  if (dry.problems.length > 0) return report;
  let failures = 0;
  for (const kind of o.kinds ?? KINDS) {
    const count = dry.result.seen[kind];
    if (count === 0) continue;
    OUTCOMES[kind].forEach((outcome, i) => {
      const stride = Math.max(1, o.stride(count));
      const cell: CellTally = {
        strategy: o.strategy, sync: o.sync, kind, outcome, count, stride, runs: 0, injected: 0, endings: new Map(), refusals: 0,
        failures: 0,
      };
      report.cells.push(cell);
      for (const n of sweepNs(count, stride, i)) {
        if (failures >= maxFailures) return;
        const fault: FaultCase = { kind, outcome, n };
        const { result, problems } = runCase(o, fault, `${o.strategy}-${o.sync}-${kind}-${outcome}-${n}`);
        cell.runs++;
        cell.injected += result.injected;
        cell.endings.set(result.ending, (cell.endings.get(result.ending) ?? 0) + 1);
        if (result.probe === 'refused') cell.refusals++;
        if (problems.length > 0) {
          cell.failures++;
          failures++;
          o.onFailure(label(o.strategy, o.sync, fault), problems);
        }
      }
    });
  }
  return report;
}

export interface SweepTotals {
  runs: number;
  injected: number;
  refusals: number;
  failures: number;
  endings: Map<string, number>;
}

export function totals(cells: readonly CellTally[]): SweepTotals {
  const t: SweepTotals = { runs: 0, injected: 0, refusals: 0, failures: 0, endings: new Map() };
  for (const c of cells) {
    t.runs += c.runs;
    t.injected += c.injected;
    t.refusals += c.refusals;
    t.failures += c.failures;
    for (const [k, v] of c.endings) t.endings.set(k, (t.endings.get(k) ?? 0) + v);
  }
  return t;
}

function endingsText(m: ReadonlyMap<string, number>): string {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k} ${v}`).join(', ');
}

/** The summary table: one line per cell, then the totals. */
export function summaryLines(cells: readonly CellTally[]): string[] {
  const lines = [`${'strategy'.padEnd(10)} ${'sync'.padEnd(6)} ${'kind'.padEnd(9)} ${'outcome'.padEnd(7)} ` +
    `${'I/Os'.padStart(5)} ${'stride'.padStart(6)} ${'runs'.padStart(5)} ${'faults'.padStart(6)} ${'sticky'.padStart(6)}  endings`];
  for (const c of cells) {
    lines.push(`${c.strategy.padEnd(10)} ${c.sync.padEnd(6)} ${c.kind.padEnd(9)} ${c.outcome.padEnd(7)} ` +
      `${String(c.count).padStart(5)} ${String(c.stride).padStart(6)} ${String(c.runs).padStart(5)} ${String(c.injected).padStart(6)} ` +
      `${String(c.refusals).padStart(6)}  ` +
      `${endingsText(c.endings)}${c.failures > 0 ? `  FAILED ${c.failures}` : ''}`);
  }
  const t = totals(cells);
  lines.push(`total: ${t.runs} runs, ${t.injected} faults injected, ${t.endings.get('ok') ?? 0} ended in success; ` +
    `endings: ${endingsText(t.endings)}; ${t.refusals} sticky refusals checked; ${t.failures} failed`);
  lines.push('(sticky: runs after whose error the same handle refused one more transaction with REMAPDB_FAILED)');
  return lines;
}
