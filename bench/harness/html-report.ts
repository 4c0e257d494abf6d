/**
 * Recorded runs as one self-contained HTML page: each run's configuration, environment
 * and headline table, then the charts of html-charts.ts rendered to SVG here in Node
 * (vega-lite → vega → SVG string) and inlined. The page holds no script, loads nothing
 * (a Content-Security-Policy forbids it, so a stray reference fails loudly in a browser
 * instead of phoning home) and can be mailed or archived next to the run's JSON.
 */

import type { TopLevelSpec } from 'vega-lite';

import { bytes, int, ratio, si } from '../lib/format.js';
import type { TableSpec } from '../lib/harness.js';
import { allCharts, runKeys, type ChartDef } from './html-charts.js';
import { decodeHistogram, newHistogram } from './histogram.js';
import { rethrowMissing } from '../lib/optional.js';
import { compareRuns, headline } from './report.js';
import { type CellResult, durabilityCaption, type ImageManifest, type RunResult } from './types.js';

export interface HtmlReportOptions {
  title?: string;
  /** ISO time shown as the page's generation time (default: now); fixed in tests for stable output. */
  generatedAt?: string;
}

/** The charts that have data, as vega-lite specs (those without are left out). */
export function reportCharts(runs: readonly RunResult[]): { name: string; title: string; spec: TopLevelSpec }[] {
  return allCharts(runs).flatMap((c) => (c.spec === null ? [] : [{ name: c.name, title: c.title, spec: c.spec }]));
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/**
 * One spec as an SVG string. Warnings of vega-lite and vega are collected rather than
 * printed: a report generator should not write to the console of whoever calls it, and
 * the tests assert there are none.
 */
export async function renderChartSvg(spec: TopLevelSpec): Promise<{ svg: string; warnings: string[] }> {
  const warnings: string[] = [];
  // Loaded on first use: vega takes ~0.5 s to import, which every CLI command would pay.
  // Both optional (bench/lib/optional.ts): a missing one is named in the error.
  const [vega, vl] = await Promise.all([
    import('vega').catch((err: unknown) => rethrowMissing('vega', err)),
    import('vega-lite').catch((err: unknown) => rethrowMissing('vega-lite', err)),
  ]);
  const logger = vega.logger(vega.Warn, undefined, (_method, _level, args) => {
    warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  });
  const compiled = vl.compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}

const ok = (c: CellResult): boolean => c.error === null;

/**
 * p99 over all transaction types of a cell: the types' histograms merged, since
 * percentiles do not average. Failing that (an older or damaged record) the largest
 * per-type p99 is an upper bound — every type has at most 1 % above it, so the mix has
 * too.
 */
export function cellP99(c: CellResult): { us: number; exact: boolean } | null {
  const types = c.types.filter((t) => t.latency.count > 0);
  if (types.length === 0) return null;
  try {
    const all = newHistogram();
    for (const t of types) all.add(decodeHistogram(t.histogram));
    if (all.totalCount > 0) return { us: all.getValueAtPercentile(99) / 1000, exact: true };
  } catch {
    // fall through to the bound
  }
  return { us: Math.max(...types.map((t) => t.latency.p99Us)), exact: false };
}

function us(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)} ms` : `${v.toFixed(v >= 100 ? 0 : 1)} µs`;
}

interface Td { text: string; cls?: string; title?: string }

function tableHtml(columns: readonly string[], rows: readonly (readonly (string | Td)[])[], right: ReadonlySet<number>, cls: string): string {
  const cell = (tag: 'td' | 'th', i: number, v: string | Td): string => {
    const td = typeof v === 'string' ? { text: v } : v;
    const classes = [right.has(i) ? 'num' : '', td.cls ?? ''].filter((x) => x !== '').join(' ');
    return `<${tag}${classes === '' ? '' : ` class="${classes}"`}${td.title === undefined ? '' : ` title="${escapeHtml(td.title)}"`}>${escapeHtml(td.text)}</${tag}>`;
  };
  const head = `<tr>${columns.map((c, i) => cell('th', i, c)).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((v, i) => cell('td', i, v)).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

function tableSpecHtml(t: TableSpec): string {
  const notes = (t.notes ?? []).map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  return `<h3>${escapeHtml(t.title)}</h3>${tableHtml(t.columns, t.rows, new Set(t.rightAlign ?? []), 'compare')}` +
    (notes === '' ? '' : `<ul class="notes">${notes}</ul>`);
}

function headlineTable(run: RunResult): string {
  const base = run.cells.find((c) => c.id === run.baseline);
  const tpcc = run.cells.some((c) => c.nopm !== null);
  const rows = run.cells.map((c) => {
    const p99 = ok(c) ? cellP99(c) : null;
    const passed = c.checks.filter((x) => x.ok).length;
    const isBase = base !== undefined && c.id === base.id;
    return [
      { text: c.label, title: c.describe, ...(isBase ? { cls: 'base' } : {}) },
      ok(c) ? si(c.txPerSec) : { text: 'FAILED', cls: 'bad', title: c.error ?? '' },
      ...(tpcc ? [c.nopm === null || !ok(c) ? '-' : si(c.nopm)] : []),
      p99 === null ? '-' : { text: `${p99.exact ? '' : '≤ '}${us(p99.us)}`, title: p99.exact ? 'all types merged' : 'largest per-type p99 (an upper bound)' },
      { text: int(c.errors), ...(c.errors > 0 ? { cls: 'bad' } : {}) },
      int(c.rolledBack),
      c.checks.length === 0 ? '-' : { text: `${passed}/${c.checks.length}`, cls: passed === c.checks.length ? 'good' : 'bad',
        title: c.checks.filter((x) => !x.ok).map((x) => `${x.id}: ${x.detail}`).join('\n') },
      isBase ? 'baseline' : ok(c) && base !== undefined && ok(base) ? ratio(headline(c), headline(base)) : '-',
    ];
  });
  const cols = ['cell', 'tx/s', ...(tpcc ? ['NOPM'] : []), 'p99', 'errors', 'rolled back', 'checks', `vs ${base?.label ?? 'baseline'}`];
  const notes: string[] = [];
  if (base === undefined && run.baseline !== '') notes.push(`baseline ${run.baseline} is not a cell of this run`);
  for (const c of run.cells) {
    if (c.error !== null) notes.push(`${c.label} failed: ${c.error}`);
    else if (c.errors > 0) notes.push(`${c.label}: ${c.errors} errors, e.g. ${c.errorSamples[0] ?? '?'}`);
    for (const x of c.checks.filter((k) => !k.ok)) notes.push(`${c.label}: check ${x.id} failed: ${x.detail}`);
  }
  const figure = tpcc ? 'NOPM (committed New-Orders per minute)' : 'tx/s';
  notes.unshift(`ratios compare ${figure}; p99 is over all transaction types`, ...durabilityCaption(run));
  return tableHtml(cols, rows, new Set(cols.map((_, i) => i).slice(1)), 'headline') +
    `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`;
}

/** Arguments as a shell would need them typed. */
function shellJoin(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function limitsText(run: RunResult): string {
  const l = run.limits;
  const span = l.durationSeconds > 0 ? `${l.durationSeconds} s` : `${int(l.transactions)} transactions`;
  return `${l.terminals} terminal(s), ${span} measured after ${l.warmupSeconds} s warm-up`;
}

function imagesText(images: Record<string, ImageManifest> | undefined): string {
  if (images === undefined) return '';
  return Object.entries(images)
    .map(([kind, m]) => `${kind}: ${int(m.rows)} rows, ${bytes(m.bytes)}, loaded in ${m.loadSeconds.toFixed(1)} s`).join('; ');
}

function runSection(run: RunResult, key: string): string {
  // Older records may lack the environment's newer fields.
  const env = run.environment as Partial<RunResult['environment']> | undefined;
  const argv = env?.argv ?? [];
  const items: [string, string][] = [
    ['run', `${key}${run.runId === null ? ' (not recorded in a results database)' : ''}`],
    ['workload', `${run.workload.name} ${JSON.stringify(run.workload.params)}`],
    ['seed', String(run.seed)],
    ['sync', run.sync],
    ['limits', limitsText(run)],
    ['time', `${run.startedAt} → ${run.finishedAt}`],
    ['images', imagesText(run.images as Record<string, ImageManifest> | undefined)],
    ['command line', argv.length > 0 ? shellJoin(argv) : ''],
    ['environment', env === undefined ? '' : [
      env.platform, env.cpuModel !== undefined ? `${env.cpuModel} × ${env.cpus ?? '?'}` : undefined,
      env.memoryBytes !== undefined ? `${bytes(env.memoryBytes)} RAM` : undefined,
      env.node !== undefined ? `Node ${env.node} (V8 ${env.v8 ?? '?'})` : undefined,
      env.loadAverage !== undefined ? `load ${env.loadAverage.join(' / ')}` : undefined,
      env.git !== undefined && env.git !== null ? `git ${env.git}` : undefined,
    ].filter((x) => x !== undefined).join(' · ')],
    ['versions', Object.entries(run.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')],
  ];
  const dl = items.filter(([, v]) => v !== '')
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd${k === 'command line' ? ' class="mono"' : ''}>${escapeHtml(v)}</dd>`).join('\n');
  return `<section class="run">\n<h2>${escapeHtml(`${key} — ${run.workload.name}, sync ${run.sync}`)}</h2>\n<dl>\n${dl}\n</dl>\n${headlineTable(run)}\n</section>`;
}

async function chartFigure(c: ChartDef): Promise<string> {
  const open = `<figure class="chart" data-chart="${escapeHtml(c.name)}">`;
  // The rendered chart carries its title; the caption is for when there is no chart to carry it.
  const caption = `<figcaption>${escapeHtml(c.title)}</figcaption>`;
  if (c.spec === null) return `${open}${caption}<p class="nodata">No data for this chart: ${escapeHtml(c.missing)}.</p></figure>`;
  try {
    const { svg } = await renderChartSvg(c.spec);
    return `${open}<div class="svg">${svg}</div></figure>`;
  } catch (err) {
    // One chart the renderer chokes on should not cost the reader the tables and the other charts.
    return `${open}${caption}<p class="nodata bad">This chart failed to render: ${escapeHtml(err instanceof Error ? err.message : String(err))}</p></figure>`;
  }
}

const STYLE = `
body { font: 14px/1.4 sans-serif; color: #222; margin: 24px; max-width: 1400px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; } h3 { font-size: 15px; }
.meta { color: #666; margin: 0 0 16px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 12px; }
dt { color: #666; } dd { margin: 0; } .mono { font-family: monospace; font-size: 12px; word-break: break-all; }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 3px 10px; text-align: left; white-space: nowrap; }
th { background: #f4f4f4; } .num { text-align: right; font-variant-numeric: tabular-nums; }
.good { color: #1a7f37; } .bad { color: #c62828; font-weight: bold; } td.base { font-weight: bold; }
.notes { color: #555; font-size: 12px; margin: 4px 0 0; padding-left: 18px; }
figure.chart { margin: 24px 0; } figcaption { font-weight: bold; margin-bottom: 6px; }
.svg svg { max-width: 100%; height: auto; } .nodata { color: #777; font-style: italic; }
`;

export async function renderHtmlReport(runs: readonly RunResult[], opts: HtmlReportOptions = {}): Promise<string> {
  const keys = runKeys(runs);
  const first = runs[0];
  const title = opts.title ?? (first === undefined ? 'remapdb benchmark report'
    : runs.length === 1 ? `remapdb benchmark: ${first.workload.name} (${keys[0] ?? ''})` : `remapdb benchmark: ${keys.join(', ')}`);
  const generatedAt = opts.generatedAt ?? new Date().toISOString();
  const parts: string[] = [];
  parts.push(`<header><h1>${escapeHtml(title)}</h1><p class="meta">${escapeHtml(`generated ${generatedAt} · ${runs.length} run(s)` +
    (runs.length > 0 ? ` · workloads: ${[...new Set(runs.map((r) => r.workload.name))].join(', ')}` : ''))}</p></header>`);
  if (runs.length === 0) parts.push('<p class="nodata">No runs to report.</p>');
  runs.forEach((run, i) => parts.push(runSection(run, keys[i] ?? '')));
  // Ratios between runs mean something only when they ran the same workload.
  if (runs.length > 1 && new Set(runs.map((r) => r.workload.name)).size === 1) parts.push(`<section class="compare"><h2>Runs side by side</h2>${tableSpecHtml(compareRuns(runs))}</section>`);
  if (runs.length > 0) {
    parts.push('<section class="charts"><h2>Charts</h2>');
    // One at a time: a chart's scenegraph is large, and there is nothing to overlap in a CPU-bound render.
    for (const c of allCharts(runs)) parts.push(await chartFigure(c));
    parts.push('</section>');
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${parts.join('\n')}
</body>
</html>
`;
}
