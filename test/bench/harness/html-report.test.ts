import * as fs from 'node:fs';
import * as path from 'node:path';

import { PNG } from 'pngjs';
import t, { type Test } from 'tap';

import { encodeHistogram, newHistogram, summarize } from '../../../bench/harness/histogram.js';
import { cellP99, renderChartSvg, renderHtmlReport, reportCharts } from '../../../bench/harness/html-report.js';
import type { CellResult, RunResult, TxTypeResult } from '../../../bench/harness/types.js';
import { chromiumPath, dumpDom, screenshotHtml } from '../../../bench/lib/screenshot.js';
import { DEFAULT_SPEC } from '../../../bench/workloads/stores.js';

const RESULTS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../bench/results');
const CHART_NAMES = ['throughput', 'latency', 'vmas', 'kernel-time', 'samples'];
const NO_CHROMIUM = chromiumPath() === null ? `no Chromium at /usr/bin/chromium (install Debian's chromium to run this check)` : false;

function loadRuns(file: string): RunResult[] {
  const j = JSON.parse(fs.readFileSync(path.join(RESULTS, file), 'utf8')) as RunResult | RunResult[];
  return Array.isArray(j) ? j : [j];
}

/** Recorded benchmark runs (other JSON there, e.g. the soak's record, is not a RunResult). */
function isRunFile(f: string): boolean {
  if (!f.endsWith('.json')) return false;
  const j = JSON.parse(fs.readFileSync(path.join(RESULTS, f), 'utf8')) as unknown;
  const first = (Array.isArray(j) ? j[0] : j) as { cells?: unknown } | undefined;
  return Array.isArray(first?.cells);
}
const recordedFiles = fs.existsSync(RESULTS) ? fs.readdirSync(RESULTS).filter(isRunFile).sort() : [];
const NO_RECORDS = recordedFiles.length === 0 ? 'no recorded runs (*.json) in bench/results' : false;
const PAIR = ['tpcc-10w-2026-11-26.json', 'tpcc-1w-2026-11-26.json'] as const;
const NO_PAIR = PAIR.every((f) => recordedFiles.includes(f)) ? false : `needs ${PAIR.join(' and ')} in bench/results`;

/** The report's figures by chart name: the markup inside each <figure data-chart>. */
function figures(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<figure class="chart" data-chart="([^"]+)">([\s\S]*?)<\/figure>/g)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

/** Data marks vega drew, by kind (axes, legends and grid lines are not counted). */
function marks(svg: string): { bars: number; points: number; lines: number } {
  const count = (role: string): number => [...svg.matchAll(new RegExp(`<path[^>]*aria-roledescription="${role}"`, 'g'))].length;
  return { bars: count('bar'), points: count('point'), lines: count('line mark') };
}

/** What the runs should put on each chart, counted independently of the chart code. */
function expectedMarks(runs: readonly RunResult[]): Record<string, number> {
  const cells = runs.flatMap((r) => r.cells.filter((c) => c.error === null));
  const kernel = cells.filter((c) => c.kernel !== null);
  return {
    throughput: cells.length + cells.filter((c) => c.nopm !== null).length,
    latency: cells.flatMap((c) => c.types.filter((x) => x.latency.count > 0))
      .reduce((n, x) => n + [x.latency.p50Us, x.latency.p90Us, x.latency.p99Us, x.latency.p999Us].filter((v) => v > 0).length, 0),
    vmas: kernel.reduce((n, c) => n + (c.kernel!.vmas > 0 ? 1 : 0) + (c.kernel!.kernelBytes > 0 ? 1 : 0), 0),
    'kernel-time': kernel.filter((c) => c.committed > 0).reduce((n, c) => n + Object.values(c.kernel!.kernelNsByEvent).filter((e) => e.ns > 0).length, 0),
    samples: 3 * kernel.filter((c) => c.samples.length > 0).length,
  };
}

function assertSelfContained(t: Test, html: string): void {
  t.notMatch(html, /<script/i, 'no script at all');
  t.notMatch(html, /<link\b/i, 'no linked stylesheets or icons');
  t.notMatch(html, /url\(|@import/i, 'no CSS fetches');
  const refs = [...html.matchAll(/\s(?:src|href|xlink:href|srcset|action|poster|data)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1] ?? '');
  t.same(refs.filter((r) => /^(?:https?:)?\/\//i.test(r.trim())), [], 'no src/href reaches the network');
  const urls = [...html.matchAll(/\s([\w:-]+)="(https?:\/\/[^"]*)"/g)].map((m) => m[1]);
  t.ok(urls.every((a) => a === 'xmlns' || a === 'xmlns:xlink'), `only SVG namespaces are URLs (${[...new Set(urls)].join(', ')})`);
  t.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/, 'the CSP forbids loading anything');
}

/** Pixels of `png` within ±4 of `hex` per channel. */
function countColour(png: PNG, hex: string): number {
  const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (want.every((w, k) => Math.abs((png.data[i + k] ?? 0) - w) <= 4)) n++;
  }
  return n;
}

function pngStats(png: PNG): { distinct: number; nonWhite: number } {
  const seen = new Set<number>();
  let nonWhite = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const r = png.data[i] ?? 0, g = png.data[i + 1] ?? 0, b = png.data[i + 2] ?? 0;
    seen.add((r << 16) | (g << 8) | b);
    if (r < 245 || g < 245 || b < 245) nonWhite++;
  }
  return { distinct: seen.size, nonWhite: nonWhite / (png.width * png.height) };
}

// A run with nothing but the essentials: no kernel figures, no samples, a failed cell and hostile text.
function latencyOf(values: number[]): Pick<TxTypeResult, 'latency' | 'histogram'> {
  const h = newHistogram();
  for (const v of values) h.recordValue(v);
  return { latency: summarize(h), histogram: encodeHistogram(h) };
}

function minimalCell(over: Partial<CellResult>): CellResult {
  return {
    id: 'x', label: 'x', engine: { ...DEFAULT_SPEC }, describe: 'x', error: null, warmupSeconds: 0, seconds: 10, committed: 1000, rolledBack: 0, errors: 0,
    errorSamples: [], txPerSec: 100, nopm: null, types: [], countersBefore: {}, countersAfter: {}, checks: [], kernel: null, samples: [],
    dbBytes: 0, rssBytes: 0, peakRssBytes: 0, heapUsedBytes: 0, gc: { count: 0, pauseMs: 0 }, openMs: 0, ...over,
  };
}

function minimalRun(): RunResult {
  const type = (name: string, values: number[]): TxTypeResult =>
    ({ name, targetPct: 50, achievedPct: 50, committed: values.length, rolledBack: 0, errors: 0, ...latencyOf(values) });
  return {
    runId: null, startedAt: '2026-11-27T00:00:00.000Z', finishedAt: '2026-11-27T00:01:00.000Z',
    workload: { name: 'kv & <b>bold</b>', params: { note: '"quoted" <script>' } }, seed: 7, sync: 'off',
    limits: { terminals: 1, warmupSeconds: 0, durationSeconds: 10, transactions: 0, progressSeconds: 0 }, baseline: 'sqlite',
    environment: { date: '', node: 'v20', v8: '11', platform: 'Linux', cpuModel: 'cpu', cpus: 1, memoryBytes: 2 ** 30, loadAverage: [0, 0, 0],
      git: null, argv: ['kv', '--label', "it's <script>alert(1)</script>"], execArgv: [] },
    versions: { remapdb: '0.1.0' }, images: {},
    cells: [
      minimalCell({ id: 'evil', label: '<script>alert(1)</script>', txPerSec: 250, committed: 2500,
        types: [type('get', [20_000, 30_000, 40_000]), { ...type('put', [90_000, 120_000]), histogram: 'not a histogram' }],
        checks: [{ id: 'c1', ok: true, detail: 'fine' }, { id: 'c2', ok: false, detail: 'sum <> 0' }] }),
      minimalCell({ id: 'sqlite', label: 'SQLite', engine: { ...DEFAULT_SPEC, kind: 'sqlite' }, txPerSec: 200, committed: 2000, types: [type('get', [50_000])] }),
      minimalCell({ id: 'broken', label: 'LMDB', engine: { ...DEFAULT_SPEC, kind: 'lmdb' }, error: 'disk on fire', txPerSec: 0 }),
    ],
  };
}

t.test('recorded runs: every chart is an SVG with the marks of the data, and nothing is fetched', { skip: NO_RECORDS }, async (t) => {
  for (const file of recordedFiles) {
    const runs = loadRuns(file);
    const html = await renderHtmlReport(runs, { generatedAt: '2026-11-27T00:00:00.000Z' });
    const figs = figures(html);
    t.same([...figs.keys()], CHART_NAMES, `${file}: all five charts, in order`);
    const want = expectedMarks(runs);
    for (const name of CHART_NAMES) {
      const fig = figs.get(name) ?? '';
      t.match(fig, /^<div class="svg"><svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, `${file} ${name}: an inline SVG`);
      const m = marks(fig);
      const drawn = name === 'latency' ? m.points : name === 'samples' ? m.lines : m.bars;
      t.equal(drawn, want[name], `${file} ${name}: ${want[name]} data marks`);
    }
    assertSelfContained(t, html);
    for (const run of runs) t.ok(html.includes(`run ${run.runId}`), `${file}: names run ${run.runId}`);
    const oneWorkload = new Set(runs.map((r) => r.workload.name)).size === 1;
    if (runs.length > 1) t.equal(/Runs side by side/.test(html), oneWorkload, `${file}: runs compared only when they ran one workload`);
  }
});

t.test('recorded runs: the specs compile and render without vega-lite or vega warnings', { skip: NO_RECORDS }, async (t) => {
  for (const file of recordedFiles) {
    const charts = reportCharts(loadRuns(file));
    t.same(charts.map((c) => c.name), CHART_NAMES, `${file}: every chart has data`);
    for (const c of charts) {
      const { svg, warnings } = await renderChartSvg(c.spec);
      t.same(warnings, [], `${file} ${c.name}: no warnings`);
      t.ok(svg.startsWith('<svg'), `${file} ${c.name}: SVG`);
    }
  }
});

t.test('runs of different files side by side: colour by run where they share a panel', { skip: NO_PAIR }, async (t) => {
  const runs = [...loadRuns(PAIR[0]).slice(0, 1), ...loadRuns(PAIR[1]).slice(0, 1)];
  const html = await renderHtmlReport(runs);
  const throughput = figures(html).get('throughput') ?? '';
  t.match(throughput, />run 17<\/text>/, 'the legend names run 17');
  t.match(throughput, />run 20<\/text>/, 'and run 20');
  t.equal(marks(throughput).bars, expectedMarks(runs).throughput, 'a bar per cell of each run');
  t.match(html, /runs 17, 20 side by side/);
  const twice = await renderHtmlReport([runs[0]!, runs[0]!]);
  t.match(twice, /run 17 \(1\)/, 'a run given twice is told apart by position');
});

t.test('a minimal run: the charts without data say so, text is escaped, failures show', async (t) => {
  const run = minimalRun();
  const html = await renderHtmlReport([run], { title: 'report <i>for</i> & "you"', generatedAt: '2026-11-27T00:00:00.000Z' });
  t.notMatch(html, /<script/i, 'no <script> survives from labels, params or argv');
  t.notMatch(html, /<b>bold<\/b>|<i>for<\/i>/, 'markup in names is shown, not applied');
  t.match(html, /<title>report &lt;i&gt;for&lt;\/i&gt; &amp; &quot;you&quot;<\/title>/);
  t.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'the label is escaped in the table and the charts');
  t.match(html, /--label &#39;it&#39;\\&#39;&#39;s &lt;script&gt;/, 'the command line quoted for a shell, then escaped');
  const figs = figures(html);
  t.same([...figs.keys()], CHART_NAMES);
  t.equal(marks(figs.get('throughput') ?? '').bars, 2, 'the failed cell has no bar');
  t.equal(marks(figs.get('latency') ?? '').points, 3 * 4, 'four percentiles for each of three types');
  for (const name of ['vmas', 'kernel-time', 'samples']) {
    t.match(figs.get(name) ?? '', /<p class="nodata">No data for this chart: /, `${name}: no data`);
    t.notMatch(figs.get(name) ?? '', /<svg/, `${name}: no empty chart`);
  }
  t.match(html, /FAILED/, 'the failed cell is marked');
  t.match(html, /LMDB failed: disk on fire/);
  t.match(html, /1\/2<\/td>/, 'checks passed of all');
  t.match(html, /check c2 failed: sum &lt;&gt; 0/);
  t.match(html, /≤ 120 µs/, 'an undecodable histogram falls back to the per-type bound');
  t.match(html, />1\.25×<\/td>/, 'ratio against the SQLite baseline');
  assertSelfContained(t, html);
  const p99 = cellP99(run.cells[1]!);
  t.ok(p99 !== null && p99.exact && Math.abs(p99.us - 50) < 0.1, `p99 from the merged histogram (${JSON.stringify(p99)})`);
  const empty = await renderHtmlReport([]);
  t.match(empty, /No runs to report/);
  t.same(reportCharts([run]).map((c) => c.name), ['throughput', 'latency'], 'reportCharts leaves out charts without data');
});

t.test('headless Chromium: the page renders the charts as SVG and paints them', { skip: NO_CHROMIUM }, async (t) => {
  const dir = t.testdir({});
  const file = recordedFiles.includes('tpcc-1w-2026-11-26.json') ? 'tpcc-1w-2026-11-26.json' : recordedFiles[0];
  const runs = file === undefined ? [minimalRun()] : loadRuns(file);
  const html = await renderHtmlReport(runs, { generatedAt: '2026-11-27T00:00:00.000Z' });
  const htmlPath = path.join(dir, 'report.html');
  fs.writeFileSync(htmlPath, html);

  const dom = await dumpDom(htmlPath);
  const domFigs = figures(dom);
  t.same([...domFigs.keys()], CHART_NAMES, 'Chromium parsed every figure');
  for (const [name, fig] of domFigs) {
    t.match(fig, /<svg[^>]*>/, `${name}: parsed as an <svg> element`);
    const want = marks(figures(html).get(name) ?? '');
    t.same(marks(fig), want, `${name}: the same marks in the browser's DOM`);
  }

  const pngPath = path.join(dir, 'report.png');
  await screenshotHtml(htmlPath, pngPath, { width: 1400, height: 3200 });
  const png = PNG.sync.read(fs.readFileSync(pngPath));
  t.equal(png.width, 1400, 'the requested width');
  t.equal(png.height, 3200, 'the requested height');
  const stats = pngStats(png);
  t.ok(stats.distinct > 200, `many colours (${stats.distinct})`);
  t.ok(stats.nonWhite > 0.05, `not blank (${(100 * stats.nonWhite).toFixed(1)} % non-white)`);
  // Fill colours only the charts use: bars of SQLite and remapdb nonlinear, the p99.9 points.
  for (const [what, hex] of [['SQLite bars', '#9467bd'], ['remapdb nonlinear bars', '#1f77b4'], ['p99.9 points', '#d62728']] as const) {
    t.ok(countColour(png, hex) > 50, `${what} painted (${countColour(png, hex)} px of ${hex})`);
  }
});

t.test('headless Chromium: the minimal run, and a clear error for a missing page', { skip: NO_CHROMIUM }, async (t) => {
  const dir = t.testdir({});
  const htmlPath = path.join(dir, 'min.html');
  fs.writeFileSync(htmlPath, await renderHtmlReport([minimalRun()]));
  const pngPath = path.join(dir, 'sub', 'min.png');
  await screenshotHtml(htmlPath, pngPath, { width: 900, height: 1500 });
  const png = PNG.sync.read(fs.readFileSync(pngPath));
  t.same([png.width, png.height], [900, 1500]);
  t.ok(countColour(png, '#9467bd') > 50, 'the SQLite bar is painted');
  t.ok(pngStats(png).nonWhite > 0.02, 'not blank');
  await t.rejects(screenshotHtml(path.join(dir, 'nope.html'), pngPath), { code: 'ENOENT', message: /no such file .*nope\.html/ });
  await t.rejects(screenshotHtml(htmlPath, pngPath, { width: 0 }), RangeError);
  await t.rejects(screenshotHtml(htmlPath, pngPath, { timeoutMs: 1 }), { code: 'REMAPDB_CHROMIUM_FAILED', message: /timed out after 1 ms/ });
});
