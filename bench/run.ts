/**
 * Run the micro-benchmark suites: `npm run bench [-- <suite>...] [options]`, or
 * `npx tsx bench/run.ts [<suite>...] [options]`. Without a suite name every suite in
 * bench/suites.ts runs.
 *
 * Options:
 *   --json             one JSON document on stdout instead of tables (progress goes to
 *                      stderr; with npm use `npm run -s bench -- --json`, as npm prints
 *                      a banner on stdout)
 *   --out FILE         also write the JSON document to FILE
 *   --quick            short warm-up and 3 iterations (a smoke run; figures are noisier)
 *   --iterations N     timed iterations per benchmark (default 9; the median is reported)
 *   --filter TEXT      only benchmarks whose id contains TEXT (e.g. remap, translate.hit)
 *   --check            exit 1 if a benchmark misses its target
 *   --in-process       run every benchmark in this process (default: each in a fresh
 *                      child process, so one benchmark's JIT state, garbage and
 *                      simulated RAM cannot skew the next)
 *   --list             list suites and benchmarks, run nothing
 *   --help
 * Exit status: 0 ok; 1 a target missed (with --check); 2 bad command line;
 * 7 a benchmark's consistency check failed or it threw.
 */

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { bytes, duration, joinWrapped, renderTable, si } from './lib/format.js';
import { type Environment, environment, loadAverage } from './lib/env.js';
import {
  type Bench, DEFAULT_TIMING, QUICK_TIMING, type ReportOutput, type Suite, type TableSpec, type TimedResult, type TimingOptions, failedResult, measure,
} from './lib/harness.js';
import { SUITES } from './suites.js';

const EXIT_OK = 0;
const EXIT_TARGET_MISSED = 1;
const EXIT_USAGE = 2;
/** EXIT_CODES.BENCH_INCONSISTENT in src/errors.ts. */
const EXIT_BENCH_INCONSISTENT = 7;

interface Options {
  suites: Suite[];
  json: boolean;
  check: boolean;
  list: boolean;
  inProcess: boolean;
  filter: string | null;
  out: string | null;
  timing: TimingOptions;
  /** Internal: run only this "suite/benchmark" and print its result as JSON (child mode). */
  child: string | null;
}

class Usage extends Error {}

const HELP = `usage: npx tsx bench/run.ts [<suite>...] [--json] [--out FILE] [--quick] [--iterations N] [--filter TEXT]
       [--check] [--in-process] [--list]
suites: ${SUITES.map((s) => s.name).join(', ')} (default: all)`;

function parseArgs(argv: string[]): Options | null {
  const o: Options = {
    suites: [], json: false, check: false, list: false, inProcess: false, filter: null, out: null, timing: { ...DEFAULT_TIMING }, child: null,
  };
  let iterations: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Usage(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--help': case '-h': return null;
      case '--json': o.json = true; break;
      case '--check': o.check = true; break;
      case '--list': o.list = true; break;
      case '--in-process': o.inProcess = true; break;
      case '--child': o.child = value(); break;
      case '--timing': o.timing = JSON.parse(value()) as TimingOptions; break;
      case '--quick': o.timing = { ...QUICK_TIMING }; break;
      case '--filter': o.filter = value(); break;
      case '--out': o.out = value(); break;
      case '--iterations': {
        const v = value();
        iterations = Number(v);
        if (!Number.isInteger(iterations) || iterations < 1 || iterations > 1000) throw new Usage(`--iterations ${v}: an integer from 1 to 1000`);
        break;
      }
      default: {
        if (a.startsWith('-')) throw new Usage(`unknown option ${a}`);
        const s = SUITES.find((x) => x.name === a);
        if (s === undefined) throw new Usage(`unknown suite "${a}"; suites: ${SUITES.map((x) => x.name).join(', ')}`);
        if (!o.suites.includes(s)) o.suites.push(s);
      }
    }
  }
  if (iterations !== null) o.timing.iterations = iterations;
  if (o.suites.length === 0) o.suites = [...SUITES];
  const filter = o.filter;
  if (filter !== null && o.child === null && !o.suites.some((s) => s.benches.some((b) => selected(b, filter)))) {
    throw new Usage(`--filter ${filter} matches no benchmark of ${o.suites.map((s) => s.name).join(', ')} (see --list)`);
  }
  return o;
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface ReportResult {
  id: string;
  title: string;
  config: string;
  output: ReportOutput | null;
  error: string | null;
}

interface SuiteResult {
  name: string;
  description: string;
  environment: Record<string, unknown>;
  timed: TimedResult[];
  reports: ReportResult[];
}

function selected(b: Bench, filter: string | null): boolean {
  return filter === null || b.id.includes(filter);
}

type BenchResult = { kind: 'timed'; result: TimedResult } | { kind: 'report'; result: ReportResult };

/** Run one benchmark here. */
function runBench(b: Bench, o: Options): BenchResult {
  if (b.kind === 'timed') return { kind: 'timed', result: measure(b, o.timing) };
  const r: ReportResult = { id: b.id, title: b.title, config: b.config, output: null, error: null };
  try {
    r.output = b.run(progress);
  } catch (err) {
    r.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  return { kind: 'report', result: r };
}

/** Run one benchmark in a fresh Node process (this script in child mode), same loader flags. */
function runBenchInChild(s: Suite, b: Bench, o: Options): BenchResult {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--child', `${s.name}/${b.id}`, '--timing', JSON.stringify(o.timing)];
  const child = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const last = (child.stdout ?? '').trim().split('\n').pop() ?? '';
  if (child.status === 0 && last.startsWith('{')) return JSON.parse(last) as BenchResult;
  const why = child.error?.message ?? `child exited with status ${child.status ?? `signal ${child.signal ?? '?'}`}`;
  if (b.kind === 'report') return { kind: 'report', result: { id: b.id, title: b.title, config: b.config, output: null, error: why } };
  return { kind: 'timed', result: failedResult(b, o.timing, why) };
}

function runSuite(s: Suite, o: Options): SuiteResult {
  const res: SuiteResult = { name: s.name, description: s.description, environment: s.environment(), timed: [], reports: [] };
  for (const b of s.benches) {
    if (!selected(b, o.filter)) continue;
    progress(`[${s.name}] ${b.id}: ${b.title}`);
    const r = o.inProcess ? runBench(b, o) : runBenchInChild(s, b, o);
    if (r.kind === 'timed') {
      const t = r.result;
      progress(t.error === null ? `    median ${si(t.median)} ${t.unit}/s (warm-up ${t.warmupMs.toFixed(0)} ms${t.warmupStable ? '' : ', not settled'})`
        : `    FAILED: ${t.error}`);
      res.timed.push(t);
    } else {
      if (r.result.error !== null) progress(`    FAILED: ${r.result.error}`);
      res.reports.push(r.result);
    }
  }
  return res;
}

/** Child mode: run one benchmark and print its result as one JSON line on stdout. */
function runChild(id: string, o: Options): number {
  const [suiteName, benchId] = id.split('/');
  const b = SUITES.find((x) => x.name === suiteName)?.benches.find((x) => x.id === benchId);
  if (b === undefined) {
    process.stderr.write(`bench: no benchmark ${id}\n`);
    return EXIT_USAGE;
  }
  process.stdout.write(`${JSON.stringify(runBench(b, o))}\n`);
  return EXIT_OK;
}

// ---------------------------------------------------------------- text output

function envText(env: Environment, timing: TimingOptions, isolation: string): string {
  const rows: [string, string][] = [
    ['date', env.date],
    ['node', `${env.node} (V8 ${env.v8})${env.execArgv.length > 0 ? `, node flags: ${env.execArgv.join(' ')}` : ''}`],
    ['platform', env.platform],
    ['cpu', `${env.cpus} × ${env.cpuModel}`],
    ['memory', bytes(env.memoryBytes)],
    ['load avg', `${env.loadAverage.join(' / ')} at start (1/5/15 min), ${env.cpus} CPUs`],
    ['checkout', env.git ?? 'unknown (not a git checkout)'],
    ['timing', `warm-up ${timing.warmupMs}–${timing.maxWarmupMs} ms (until the rate settles), ${timing.iterations} ` +
      `iterations of ~${timing.iterationMs} ms; ops/s = median over iterations (min / max shown); process.hrtime.bigint()`],
    ['isolation', isolation],
  ];
  return rows.map(([k, v]) => `  ${k.padEnd(9)} ${v}`).join('\n');
}

function suiteEnvText(env: Record<string, unknown>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (k === 'costsNs') {
      const entries = Object.entries(v as Record<string, number>).map(([ev, ns]) => `${ev} ${ns}`);
      out.push(`  costs (ns): ${entries.join(', ')}`);
    } else if (typeof v === 'object' && v !== null) {
      const fmt = (b: unknown): string => (typeof b === 'object' && b !== null ? JSON.stringify(b) : String(b));
      out.push(`  ${k}: ${Object.entries(v).map(([a, b]) => `${a}=${fmt(b)}`).join(' ')}`);
    } else {
      out.push(`  ${k}: ${String(v)}`);
    }
  }
  return wrap(out.join('\n'), 118, '      ');
}

/** Wrap long lines at commas/spaces, continuing with `indent`. */
function wrap(text: string, width: number, indent: string): string {
  return text.split('\n').map((line) => {
    const parts: string[] = [];
    let rest = line;
    while (rest.length > width) {
      let cut = rest.lastIndexOf(' ', width);
      if (cut <= indent.length) cut = width;
      parts.push(rest.slice(0, cut));
      rest = indent + rest.slice(cut).trimStart();
    }
    parts.push(rest);
    return parts.join('\n');
  }).join('\n');
}

function timedTable(results: TimedResult[]): TableSpec {
  return {
    title: 'Throughput (host time, higher is better)',
    columns: ['benchmark', 'config', 'median/s', 'min/s', 'max/s', 'target', 'status', 'host/op', 'sim/op', 'cpu'],
    rightAlign: [2, 3, 4, 5, 7, 8, 9],
    rows: results.map((r) => [
      r.id,
      r.config,
      r.error === null ? si(r.median) : 'error',
      r.error === null ? si(r.min) : '',
      r.error === null ? si(r.max) : '',
      r.target === null ? '' : `≥ ${si(r.target)}`,
      r.error !== null ? 'ERROR' : r.verified === false ? 'BAD' : r.met === null ? '' : r.met ? 'ok' : 'MISSED',
      r.error === null ? duration(r.hostNsPerOp) : '',
      r.sim === null ? '' : duration(r.sim.nsPerOp),
      r.error === null ? `${Math.round(r.cpuShare * 100)}%` : '',
    ]),
    notes: [
      ...results.map((r) => `${r.id}: ${r.title} (unit: ${r.unit}; ${si(r.opsPerIteration)} ${r.unit}s/iteration)`),
      'host/op = 1 / median; sim/op = simulated kernel ns per op (kernelNs delta); cpu = process CPU time / wall time',
      'while timing (well under 100% means other load shared the CPU and the rates are pessimistic).',
    ],
  };
}

function simTable(results: TimedResult[]): TableSpec {
  const fmtCount = (c: number): string => (Number.isInteger(c) ? String(c) : c.toFixed(c < 0.01 ? 4 : 2));
  return {
    title: 'Simulated kernel time per operation (kernelTime() deltas over the timed iterations) and state after',
    columns: ['benchmark', 'sim/op', 'events per op: name×count = ns', 'after the run'],
    rightAlign: [1],
    rows: results.map((r) => [
      r.id,
      r.sim === null ? '' : duration(r.sim.nsPerOp),
      r.sim === null ? '' : Object.keys(r.sim.events).length === 0 ? '(none: no kernel work)'
        : joinWrapped(Object.entries(r.sim.events).map(([ev, e]) => `${ev}×${fmtCount(e.perOp)} = ${e.nsPerOp.toFixed(0)}`), 72),
      joinWrapped(Object.entries(r.after).map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v * 100) / 100 : v}`), 40),
    ]),
  };
}

function printText(env: Environment, o: Options, results: SuiteResult[]): void {
  const out: string[] = [];
  const isolation = o.inProcess ? 'all benchmarks in one process (--in-process)' : 'each benchmark in a fresh child process';
  out.push('remapdb micro-benchmarks', '', 'Environment', envText(env, o.timing, isolation));
  for (const s of results) {
    out.push('', `== suite ${s.name}: ${s.description}`, suiteEnvText(s.environment));
    if (s.timed.length > 0) {
      out.push('', renderTable(timedTable(s.timed)));
      out.push('', renderTable(simTable(s.timed)));
      for (const r of s.timed) if (r.error !== null) out.push(`  ${r.id} FAILED: ${r.error}`);
    }
    for (const rep of s.reports) {
      out.push('', `-- ${rep.id}: ${rep.title}`, `   config: ${rep.config}`);
      if (rep.error !== null) out.push(`   FAILED: ${rep.error}`);
      for (const t of rep.output?.tables ?? []) out.push('', renderTable(t));
    }
  }
  out.push('', summaryText(results), `Load average at the end: ${loadAverage().join(' / ')} (1/5/15 min)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

interface Summary {
  targets: { id: string; target: number; median: number; met: boolean }[];
  missed: string[];
  failed: string[];
}

function summarize(results: SuiteResult[]): Summary {
  const s: Summary = { targets: [], missed: [], failed: [] };
  for (const suite of results) {
    for (const r of suite.timed) {
      if (r.error !== null || r.verified === false) s.failed.push(`${suite.name}/${r.id}`);
      if (r.target !== null && r.error === null) {
        s.targets.push({ id: `${suite.name}/${r.id}`, target: r.target, median: r.median, met: r.met === true });
        if (r.met !== true) s.missed.push(`${suite.name}/${r.id}`);
      }
    }
    for (const rep of suite.reports) if (rep.error !== null) s.failed.push(`${suite.name}/${rep.id}`);
  }
  return s;
}

function summaryText(results: SuiteResult[]): string {
  const s = summarize(results);
  const lines = [`Targets: ${s.targets.length - s.missed.length} of ${s.targets.length} met`];
  for (const t of s.targets) {
    lines.push(`  ${t.met ? 'ok    ' : 'MISSED'} ${t.id}: ${si(t.median)}/s (target ${si(t.target)}/s, ${(t.median / t.target * 100).toFixed(0)}%)`);
  }
  if (s.failed.length > 0) lines.push(`Failed (error or consistency check): ${s.failed.join(', ')}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- main

function main(): number {
  let o: Options | null;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof Usage) {
      process.stderr.write(`bench: ${err.message}\n${HELP}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  if (o === null) {
    process.stdout.write(`${HELP}\n`);
    return EXIT_OK;
  }
  if (o.child !== null) return runChild(o.child, o);
  if (o.list) {
    for (const s of o.suites) {
      process.stdout.write(`${s.name}: ${s.description}\n`);
      for (const b of s.benches) {
        if (!selected(b, o.filter)) continue;
        const target = b.kind === 'timed' && b.target !== undefined ? ` [target ≥ ${si(b.target)}/s]` : '';
        process.stdout.write(`  ${b.id.padEnd(28)} ${b.kind.padEnd(6)} ${b.title}${target}\n`);
      }
    }
    return EXIT_OK;
  }
  const env = environment();
  const results = o.suites.map((s) => runSuite(s, o));
  const summary = summarize(results);
  const doc = { environment: env, timing: o.timing, isolated: !o.inProcess, suites: results, summary, loadAverageAtEnd: loadAverage() };
  if (o.out !== null) writeFileSync(o.out, `${JSON.stringify(doc, null, 2)}\n`);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    printText(env, o, results);
  }
  if (summary.failed.length > 0) return EXIT_BENCH_INCONSISTENT;
  if (o.check && summary.missed.length > 0) return EXIT_TARGET_MISSED;
  return EXIT_OK;
}

process.exitCode = main();
