/**
 * The vega-lite specs of the HTML report (html-report.ts): throughput, latency
 * percentiles, VMAs and kernel bytes against the pool, simulated kernel time by event,
 * and faults/evictions over time. Every spec carries its data inline (`values`), so
 * rendering never touches a loader or the network. A chart whose data the runs lack
 * comes back with `spec: null` and the reason, so the page can say so instead of
 * drawing an empty frame.
 *
 * Data is kept in long form (one row per value, categories as values, never as field
 * names): vega-lite reads dots and brackets in field names as paths, and labels or
 * event names recorded by a run must never be interpreted.
 */

import type { TopLevelSpec } from 'vega-lite';

import { type SqliteCheckpoint, sqliteCheckpointLabel } from '../lib/peers.js';
import type { CellResult, RunResult, Sample } from './types.js';

export interface ChartDef {
  name: string;
  title: string;
  /** null: the runs hold no data for this chart (`missing` says which). */
  spec: TopLevelSpec | null;
  missing: string;
}

type Row = Record<string, string | number>;
type ConcatPart = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** One colour per engine configuration on every chart, so a strategy is recognisable across charts. */
const SERIES_COLOURS: readonly [string, string][] = [
  ['remapdb nonlinear', '#1f77b4'], ['remapdb multi-mmap', '#ff7f0e'], ['remapdb pread', '#2ca02c'], [sqliteCheckpointLabel('default'), '#9467bd'],
  [sqliteCheckpointLabel('matched'), '#e377c2'], ['LMDB', '#8c564b'],
];
const STRATEGY_COLOURS: readonly [string, string][] = SERIES_COLOURS.slice(0, 3).map(([s, c]) => [s.replace('remapdb ', ''), c]);
const PERCENTILES: readonly [string, 'p50Us' | 'p90Us' | 'p99Us' | 'p999Us', string][] = [
  ['p50', 'p50Us', '#6baed6'], ['p90', 'p90Us', '#2171b5'], ['p99', 'p99Us', '#fd8d3c'], ['p99.9', 'p999Us', '#d62728'],
];

/**
 * Categorical colours with no light/dark pairs (category20's pairs make ioRead and ioWrite,
 * or two cells, look like one).
 */
const DISTINCT = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#edc948', '#76b7b2', '#ff9da7', '#9c755f', '#17becf',
  '#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#a6761d', '#bcbd22', '#666666', '#bab0ac', '#8c564b'];

/** Powers of ten spanning `values`: a log axis gets one labelled grid line a decade instead of a dense minor grid. */
function decades(values: readonly number[]): number[] {
  const pos = values.filter((v) => v > 0);
  if (pos.length === 0) return [];
  const lo = Math.floor(Math.log10(Math.min(...pos)));
  const hi = Math.ceil(Math.log10(Math.max(...pos)));
  const out: number[] = [];
  for (let e = lo; e <= hi; e++) out.push(10 ** e);
  return out;
}

const CONFIG = {
  font: 'sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelLimit: 240, labelFontSize: 10, titleFontSize: 11 },
  legend: { labelLimit: 280 },
  header: { labelFontSize: 11, labelFontWeight: 'bold', labelLimit: 420 },
  title: { anchor: 'start', fontSize: 13 },
} as const;

const ok = (c: CellResult): boolean => c.error === null;

/** Row labels read horizontally; a single row needs none (the chart's title and the page say which run it is). */
function rowHeader(rows: readonly string[]): { labelAngle: 0; labelAlign: 'left' } | null {
  return rows.length > 1 ? { labelAngle: 0, labelAlign: 'left' } : null;
}

/**
 * Names for runs on legends and panel headers: the run id when recorded, else the
 * position; runs from different databases may share an id, so duplicates get their
 * position too.
 */
export function runKeys(runs: readonly RunResult[]): string[] {
  const base = runs.map((r, i) => (r.runId !== null ? `run ${r.runId}` : `run #${i + 1}`));
  return base.map((k, i) => (base.indexOf(k) !== base.lastIndexOf(k) ? `${k} (${i + 1})` : k));
}

/** The engine configuration a cell stands for, without its pool or kernel (those are on the axis). */
export function seriesOf(c: CellResult): string {
  switch (c.engine.kind) {
    case 'remapdb': return `remapdb ${c.engine.strategy}`;
    // Runs recorded before the matched cell existed have no sqliteCheckpoint: they ran SQLite's default.
    case 'sqlite': return sqliteCheckpointLabel((c.engine.sqliteCheckpoint as SqliteCheckpoint | undefined) ?? 'default');
    case 'lmdb': return 'LMDB';
  }
}

const groupOf = (r: RunResult): string => `${r.workload.name} · sync ${r.sync}`;

/** Older records predate the per-second samples. */
const samplesOf = (c: CellResult): readonly Sample[] => (c.samples as Sample[] | undefined) ?? [];

/** Distinct values of `field` in first-seen order: panels and legends keep the runs' own order. */
function order(rows: readonly Row[], field: string): string[] {
  return [...new Set(rows.map((r) => String(r[field])))];
}

/** A colour scale that keeps the fixed colours for known names and lets others take the defaults. */
function fixedColours(present: readonly string[], table: readonly [string, string][]): { domain: string[]; range: string[] } | undefined {
  if (!present.every((p) => table.some(([name]) => name === p))) return undefined;
  const used = table.filter(([name]) => present.includes(name));
  return { domain: used.map(([n]) => n), range: used.map(([, c]) => c) };
}

/** Whether some panel holds cells of more than one run: only then must marks tell runs apart inside a panel. */
function runsSharePanels(rows: readonly Row[]): boolean {
  const seen = new Map<string, string>();
  for (const r of rows) {
    const panel = String(r.panel);
    const prev = seen.get(panel);
    if (prev === undefined) seen.set(panel, String(r.run));
    else if (prev !== r.run) return true;
  }
  return false;
}

function throughputChart(runs: readonly RunResult[], keys: readonly string[]): ChartDef {
  const rows: Row[] = [];
  runs.forEach((run, i) => {
    for (const c of run.cells.filter(ok)) {
      const base = { cell: c.label, series: seriesOf(c), run: keys[i] ?? '' };
      rows.push({ ...base, panel: `${groupOf(run)} — tx/s`, value: c.txPerSec });
      if (c.nopm !== null) rows.push({ ...base, panel: `${groupOf(run)} — NOPM`, value: c.nopm });
    }
  });
  const title = 'Throughput per engine configuration (tx/s; NOPM for TPC-C)';
  if (rows.length === 0) return { name: 'throughput', title, spec: null, missing: 'no cell completed' };
  const shared = runsSharePanels(rows);
  const series = fixedColours(order(rows, 'series'), SERIES_COLOURS);
  return {
    name: 'throughput', title, missing: '',
    spec: {
      $schema: SCHEMA, config: CONFIG, background: 'white', title,
      data: { values: rows },
      facet: { field: 'panel', type: 'nominal', sort: order(rows, 'panel'), title: null },
      columns: 2,
      spec: {
        width: 300, height: { step: shared ? 10 * new Set(keys).size : 18 },
        mark: { type: 'bar', tooltip: false },
        encoding: {
          y: { field: 'cell', type: 'nominal', sort: null, title: null },
          x: { field: 'value', type: 'quantitative', title: null, axis: { format: '~s' } },
          ...(shared
            ? { yOffset: { field: 'run', type: 'nominal', sort: [...keys] }, color: { field: 'run', type: 'nominal', sort: [...keys], title: 'run' } }
            : { color: { field: 'series', type: 'nominal', title: 'engine', ...(series === undefined ? {} : { scale: series }) } }),
        },
      },
      resolve: { scale: { x: 'independent', y: 'independent' } },
    },
  };
}

function latencyChart(runs: readonly RunResult[], keys: readonly string[]): ChartDef {
  const rows: Row[] = [];
  runs.forEach((run, i) => {
    for (const c of run.cells.filter(ok)) {
      for (const t of c.types) {
        if (t.latency.count === 0) continue;
        // A log axis has no place for 0 (a summary of nothing, or a sub-10 ns rounding).
        const points = PERCENTILES.map(([pct, field]) => ({ pct, us: t.latency[field] })).filter((p) => p.us > 0);
        // Every row carries its type's span, so the rule layer reads the same data as the points (no second source for the facet).
        const lo = Math.min(...points.map((p) => p.us));
        const hi = Math.max(...points.map((p) => p.us));
        for (const p of points) rows.push({ panel: `${groupOf(run)} · ${t.name}`, cell: c.label, run: keys[i] ?? '', ...p, lo, hi });
      }
    }
  });
  const title = 'Latency percentiles per transaction type (µs, log scale; the line spans p50 to p99.9)';
  if (rows.length === 0) return { name: 'latency', title, spec: null, missing: 'no transaction type recorded a latency' };
  const shared = runsSharePanels(rows);
  const offset = shared ? { yOffset: { field: 'run', type: 'nominal', sort: [...keys] } } as const : {};
  const y = { field: 'cell', type: 'nominal', sort: null, title: null } as const;
  const x = { field: 'us', type: 'quantitative', scale: { type: 'log' }, title: 'µs', axis: { values: decades(rows.map((r) => Number(r.us))), format: '~s' } } as const;
  return {
    name: 'latency', title, missing: '',
    spec: {
      $schema: SCHEMA, config: CONFIG, background: 'white', title,
      data: { values: rows },
      facet: { field: 'panel', type: 'nominal', sort: order(rows, 'panel'), title: null },
      columns: 3,
      spec: {
        width: 260, height: { step: shared ? 10 * new Set(keys).size : 18 },
        layer: [
          {
            mark: { type: 'rule', color: '#aaa' },
            encoding: { y, ...offset, x: { ...x, field: 'lo' }, x2: { field: 'hi' } },
          },
          {
            mark: { type: 'point', filled: true, size: 45, opacity: 1 },
            encoding: {
              y, ...offset, x,
              color: { field: 'pct', type: 'nominal', title: 'percentile', scale: { domain: PERCENTILES.map((p) => p[0]), range: PERCENTILES.map((p) => p[2]) } },
              ...(shared ? { shape: { field: 'run', type: 'nominal', sort: [...keys], title: 'run' } } : {}),
            },
          },
        ],
      },
      // y stays shared: independent y over a layered facet makes vega-lite union the domains of
      // two sources (and warn); the panels list the same cells anyway, a run's cells being the same for every type.
    },
  };
}

function vmaChart(runs: readonly RunResult[], keys: readonly string[]): ChartDef {
  const rows: Row[] = [];
  runs.forEach((run, i) => {
    for (const c of run.cells) {
      if (!ok(c) || c.kernel === null || c.engine.kind !== 'remapdb') continue;
      const e = c.engine;
      const base = { pool: e.poolPages, strategy: e.strategy, kernel: `${e.personality} ${e.arch}`, run: keys[i] ?? '' };
      // Log axes: a count of 0 cannot be drawn (and every process has at least one VMA).
      if (c.kernel.vmas > 0) rows.push({ ...base, metric: 'VMAs at the end of the run', value: c.kernel.vmas });
      if (c.kernel.kernelBytes > 0) rows.push({ ...base, metric: 'kernel bytes (VMA slab + page tables)', value: c.kernel.kernelBytes });
    }
  });
  const title = 'remapdb: VMA count and kernel memory against pool size (log scale)';
  if (rows.length === 0) return { name: 'vmas', title, spec: null, missing: 'no remapdb cell recorded kernel figures' };
  // Grouped bars rather than lines: strategies often land on the same value (multi-mmap, and
  // nonlinear on a kernel that emulates remap_file_pages, both need a VMA a page), and
  // coinciding lines hide one another where side-by-side bars cannot.
  const kernels = order(rows, 'kernel');
  const multiRun = order(rows, 'run').length > 1;
  for (const r of rows) r.panel = [multiRun ? r.run : '', kernels.length > 1 ? r.kernel : ''].filter((x) => x !== '').join(' · ');
  const panels = order(rows, 'panel');
  const strategies = fixedColours(order(rows, 'strategy'), STRATEGY_COLOURS);
  // One chart per metric rather than a facet: each needs its own log domain, reaching below its
  // smallest value so that a bar of 1 (pread's single VMA) still shows.
  const part = (metric: string): ConcatPart => {
    const values = rows.filter((r) => r.metric === metric);
    const ticks = decades(values.map((r) => Number(r.value)));
    const domain: number[] = [(ticks[0] ?? 1) / 2, ticks[ticks.length - 1] ?? 10];
    const unit = {
      width: { step: 26 }, height: 170,
      mark: { type: 'bar', tooltip: false },
      encoding: {
        x: { field: 'pool', type: 'ordinal', title: 'pool pages', axis: { labelAngle: 0 } },
        xOffset: { field: 'strategy', type: 'nominal' },
        y: {
          field: 'value', type: 'quantitative', stack: null, title: null, axis: { format: '~s', values: ticks },
          scale: { type: 'log', nice: false, domain },
        },
        color: { field: 'strategy', type: 'nominal', title: 'strategy', ...(strategies === undefined ? {} : { scale: strategies }) },
      },
    } as const;
    return { title: { text: metric, anchor: 'middle', fontSize: 11 }, data: { values }, ...(panels.length > 1
      ? { facet: { row: { field: 'panel', type: 'nominal', sort: panels, title: null, header: rowHeader(panels) } }, spec: unit } as const
      : unit) } as const;
  };
  return {
    name: 'vmas', title, missing: '',
    spec: { $schema: SCHEMA, config: CONFIG, background: 'white', title, hconcat: order(rows, 'metric').map(part), spacing: 40 },
  };
}

function kernelTimeChart(runs: readonly RunResult[], keys: readonly string[]): ChartDef {
  const rows: Row[] = [];
  const multiRun = runs.length > 1;
  runs.forEach((run, i) => {
    for (const c of run.cells) {
      if (!ok(c) || c.kernel === null || c.committed === 0) continue;
      const panel = multiRun ? `${keys[i] ?? ''} · ${groupOf(run)}` : groupOf(run);
      for (const [event, e] of Object.entries(c.kernel.kernelNsByEvent)) {
        // Per committed transaction, so cells of different throughput compare on cost, not on how long they ran.
        if (e.ns > 0) rows.push({ panel, cell: c.label, event, us: e.ns / c.committed / 1000 });
      }
    }
  });
  const title = 'remapdb: simulated kernel time per committed transaction, by event (µs)';
  if (rows.length === 0) return { name: 'kernel-time', title, spec: null, missing: 'no remapdb cell recorded simulated kernel time' };
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(String(r.event), (totals.get(String(r.event)) ?? 0) + Number(r.us));
  const events = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([e]) => e);
  // The biggest contributors sit at the left of every bar, in the legend's order.
  for (const r of rows) r.rank = events.indexOf(String(r.event));
  return {
    name: 'kernel-time', title, missing: '',
    spec: {
      $schema: SCHEMA, config: CONFIG, background: 'white', title,
      data: { values: rows },
      facet: { row: { field: 'panel', type: 'nominal', sort: order(rows, 'panel'), title: null, header: rowHeader(order(rows, 'panel')) } },
      spec: {
        width: 560, height: { step: 20 },
        mark: { type: 'bar', tooltip: false },
        encoding: {
          y: { field: 'cell', type: 'nominal', sort: null, title: null },
          x: { field: 'us', type: 'quantitative', stack: 'zero', title: 'µs per committed transaction' },
          color: { field: 'event', type: 'nominal', title: 'event', sort: events, scale: { range: DISTINCT } },
          order: { field: 'rank', type: 'quantitative' },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

function samplesChart(runs: readonly RunResult[], keys: readonly string[]): ChartDef {
  const rows: Row[] = [];
  const multiRun = runs.length > 1;
  runs.forEach((run, i) => {
    for (const c of run.cells) {
      // Only remapdb's simulated kernel counts faults and evictions; the peers' samples hold zeros.
      if (!ok(c) || c.kernel === null) continue;
      const panel = multiRun ? `${keys[i] ?? ''} · ${groupOf(run)}` : groupOf(run);
      let prev = 0;
      for (const s of samplesOf(c)) {
        // A sample holds the counts since the previous one, and a slow cell (the harness looks at
        // the clock every so many transactions) skips seconds: divide by the gap to get a rate.
        const gap = Math.max(1, s.second - prev);
        prev = s.second;
        const base = { run: panel, cell: c.label, second: s.second };
        rows.push({ ...base, metric: 'major faults / s', value: s.majorFaults / gap }, { ...base, metric: 'minor faults / s', value: s.minorFaults / gap },
          { ...base, metric: 'evictions / s', value: s.evictions / gap });
      }
    }
  });
  const title = 'remapdb: faults and evictions per second of the measured phase';
  if (rows.length === 0) return { name: 'samples', title, spec: null, missing: 'no remapdb cell recorded per-second samples' };
  return {
    name: 'samples', title, missing: '',
    spec: {
      $schema: SCHEMA, config: CONFIG, background: 'white', title,
      data: { values: rows },
      facet: {
        column: { field: 'metric', type: 'nominal', sort: order(rows, 'metric'), title: null },
        row: { field: 'run', type: 'nominal', sort: order(rows, 'run'), title: null, header: rowHeader(order(rows, 'run')) },
      },
      spec: {
        width: 260, height: 150,
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'second', type: 'quantitative', title: 'second' },
          // A panel of zeros (no evictions at all) still needs an axis that reads 0, not an empty domain.
          y: { field: 'value', type: 'quantitative', title: null, scale: { domain: { unionWith: [0, 1] } }, axis: { format: '~s' } },
          color: { field: 'cell', type: 'nominal', title: 'cell', sort: order(rows, 'cell'), scale: { range: DISTINCT } },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

/** Every chart of the report, those without data included (spec null). */
export function allCharts(runs: readonly RunResult[]): ChartDef[] {
  const keys = runKeys(runs);
  return [throughputChart, latencyChart, vmaChart, kernelTimeChart, samplesChart].map((f) => f(runs, keys));
}
