/**
 * A run as text: the cells side by side with ratios against the baseline, the latency
 * of each transaction type, the achieved mix against the target, remapdb's kernel
 * figures, and the checks. `compareRuns` puts cells of several recorded runs side by
 * side.
 */

import { bytes, duration, int, ratio, renderTable, si } from '../lib/format.js';
import type { TableSpec } from '../lib/harness.js';
import { type CellResult, durabilityCaption, type RunResult } from './types.js';

const ok = (c: CellResult): boolean => c.error === null;

/** The figure a run is compared on: NOPM for TPC-C, tx/s otherwise. */
export function headline(c: CellResult): number {
  return c.nopm ?? c.txPerSec;
}

function summaryTable(run: RunResult): TableSpec {
  const base = run.cells.find((c) => c.id === run.baseline);
  const tpcc = run.cells.some((c) => c.nopm !== null);
  const rows = run.cells.map((c) => [
    c.label,
    ok(c) ? si(c.txPerSec) : 'FAILED',
    tpcc ? (c.nopm === null ? '-' : si(c.nopm)) : '',
    ok(c) && base !== undefined && ok(base) ? ratio(headline(c), headline(base)) : '-',
    int(c.committed), int(c.rolledBack), int(c.errors),
    c.checks.length === 0 ? '-' : `${c.checks.filter((x) => x.ok).length}/${c.checks.length}`,
    c.dbBytes > 0 ? bytes(c.dbBytes) : '-',
    c.peakRssBytes > 0 ? bytes(c.peakRssBytes) : '-',
    // Runs recorded before GC statistics existed have none.
    (c.gc as CellResult['gc'] | undefined) !== undefined && c.gc.count > 0 ? `${c.gc.count} / ${c.gc.pauseMs.toFixed(0)} ms` : '-',
  ]);
  // NOPM is TPC-C's figure only: other workloads get no (empty) column for it.
  const columns = ['cell', 'tx/s', tpcc ? 'NOPM' : '', `vs ${base?.label ?? '?'}`, 'committed', 'rolled back', 'errors', 'checks', 'files',
    'peak RSS', 'GCs / pause'].filter((_, i) => tpcc || i !== 2);
  if (!tpcc) for (const r of rows) r.splice(2, 1);
  const notes = [`baseline: ${base?.label ?? run.baseline}; ${tpcc ? 'NOPM = committed New-Orders per minute (Δ Σ D_NEXT_O_ID)' : 'tx/s = committed transactions per second'}`];
  notes.push(...durabilityCaption(run));
  for (const c of run.cells) {
    if (c.error !== null) notes.push(`${c.label}: ${c.error}`);
    else if (c.errors > 0) notes.push(`${c.label}: ${c.errors} errors, e.g. ${c.errorSamples[0] ?? '?'}`);
  }
  return {
    title: `${run.workload.name} ${JSON.stringify(run.workload.params)}, seed ${run.seed}, sync ${run.sync}, ${run.limits.terminals} terminal(s), ` +
      `${run.limits.durationSeconds > 0 ? `${run.limits.durationSeconds} s` : `${run.limits.transactions} tx`} after ${run.limits.warmupSeconds} s warm-up` +
      `${run.runId !== null ? ` (run ${run.runId})` : ''}`,
    columns, rightAlign: columns.map((_, i) => i).slice(1), rows, notes,
  };
}

function latencyTable(run: RunResult): TableSpec {
  const rows: string[][] = [];
  for (const c of run.cells.filter(ok)) {
    for (const t of c.types) {
      const l = t.latency;
      rows.push([c.label, t.name, `${t.achievedPct.toFixed(1)} / ${t.targetPct}`, int(l.count), `${l.meanUs.toFixed(1)}`, `${l.p50Us.toFixed(1)}`,
        `${l.p90Us.toFixed(1)}`, `${l.p95Us.toFixed(1)}`, `${l.p99Us.toFixed(1)}`, `${l.p999Us.toFixed(1)}`, `${l.maxUs.toFixed(0)}`]);
    }
  }
  return {
    title: 'latency per transaction type (µs; mix % achieved / target)',
    columns: ['cell', 'type', 'mix %', 'count', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'],
    rightAlign: [2, 3, 4, 5, 6, 7, 8, 9, 10], rows,
  };
}

function kernelTable(run: RunResult): TableSpec | null {
  const cells = run.cells.filter((c) => ok(c) && c.kernel !== null);
  if (cells.length === 0) return null;
  const rows = cells.map((c) => {
    const k = c.kernel;
    if (k === null) return [c.label];
    const per = (n: number): string => (c.committed > 0 ? (n / c.committed).toFixed(2) : '-');
    const top = Object.entries(k.kernelNsByEvent).sort((a, b) => b[1].ns - a[1].ns).slice(0, 3)
      .map(([ev, e]) => `${ev} ${Math.round((100 * e.ns) / Math.max(1, k.kernelNs))}%`).join(', ');
    return [c.label, int(k.vmas), bytes(k.kernelBytes), per(k.minorFaults), per(k.majorFaults), per(k.remaps), per(k.mmaps + k.munmaps),
      int(k.tlbShootdowns), int(k.swapOuts), per(k.poolMisses), per(k.evictions),
      c.committed > 0 ? duration(k.kernelNs / c.committed) : '-', top];
  });
  return {
    title: 'remapdb simulated kernel over the measured phase (per committed transaction unless a total)',
    columns: ['cell', 'VMAs', 'kernel bytes', 'minor flt', 'major flt', 'remaps', 'mmap+munmap', 'shootdowns', 'swap-outs', 'pool misses', 'evictions',
      'kernel time', 'top events'],
    rightAlign: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], rows,
    notes: ['VMAs and kernel bytes (VMA slab + page tables) at the end of the run; shootdowns and swap-outs are totals'],
  };
}

/** The tables of one run. */
export function runTables(run: RunResult): TableSpec[] {
  const t = [summaryTable(run), latencyTable(run)];
  const k = kernelTable(run);
  if (k !== null) t.push(k);
  return t;
}

export function renderRun(run: RunResult, style: { box?: boolean } = {}): string {
  return runTables(run).map((t) => renderTable(t, style)).join('\n\n');
}

/** Cells of several runs side by side, each against the first run's cell of the same id (or the first cell). */
export function compareRuns(runs: readonly RunResult[]): TableSpec {
  const first = runs[0];
  if (first === undefined) throw new RangeError('compare: name at least one run');
  const rows: string[][] = [];
  for (const run of runs) {
    for (const c of run.cells) {
      const ref = first.cells.find((x) => x.id === c.id) ?? first.cells[0];
      rows.push([String(run.runId ?? '-'), run.workload.name, run.sync, c.label, ok(c) ? si(headline(c)) : 'FAILED', c.nopm === null ? 'tx/s' : 'NOPM',
        ok(c) && ref !== undefined && ok(ref) ? ratio(headline(c), headline(ref)) : '-']);
    }
  }
  return {
    title: `runs ${runs.map((r) => r.runId).join(', ')} side by side (ratio against run ${String(first.runId)}'s cell of the same id)`,
    columns: ['run', 'workload', 'sync', 'cell', 'figure', 'unit', `vs run ${String(first.runId)}`], rightAlign: [0, 4, 6], rows,
  };
}
