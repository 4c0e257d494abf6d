/**
 * The micro-benchmark harness: what a suite is, and how one timed benchmark is measured.
 *
 * A suite (bench/suites.ts registers them) is a name and a list of benchmarks of two
 * kinds:
 *   - timed:  `setup()` builds the state and returns `run(n)`, which performs n
 *             operations. The harness warms it up (and calibrates n so one iteration
 *             lasts about `iterationMs`), then times `iterations` runs with
 *             process.hrtime.bigint() and reports the median, min and max ops/s. When
 *             the benchmark exposes a simulated clock (`sim`), the simulated ns per op
 *             over the timed iterations is reported too, by event.
 *   - report: `run()` computes figures (not a rate) and returns tables and data.
 * After timing, `verify()` (optional) checks that the operations did what they claim;
 * a failed check fails the run (exit 7, BENCH_INCONSISTENT).
 *
 * Nothing here knows about sim-kernel: a suite adapts its system through `sim`.
 */

import { CHUNK_MS, median, STABLE_CHUNKS, STABLE_SPREAD } from './chunks.js';

export interface SimClock {
  /** Cumulative simulated kernel ns. */
  kernelNs(): number;
  /** Cumulative simulated ns and event counts by event name. */
  byEvent(): Record<string, { count: number; ns: number }>;
}

export interface Prepared {
  /** Perform n operations; the returned number is folded into a sink so no work is dead. */
  run(n: number): number;
  /** The simulated clock of the system under test, if it has one. */
  sim?: SimClock;
  /** Figures worth printing after the timed iterations (e.g. the VMA count). */
  after?(): Record<string, string | number>;
  /** Check that the operations had their effect; throw an Error if not. */
  verify?(): void;
  /** Release the state (the harness drops its reference right after). */
  dispose?(): void;
}

export interface TimedBench {
  kind: 'timed';
  /** Stable id for --filter and JSON, e.g. "translate.hit". */
  id: string;
  /** Human title for the table. */
  title: string;
  /** What one operation is ("translate", "call", "pair"). */
  unit: string;
  /** Required throughput, ops/s (the issue's target), if any. */
  target?: number;
  /** Short description of the configuration the benchmark runs on. */
  config: string;
  /** Upper bound on operations per iteration (for benchmarks whose state grows). */
  maxOpsPerIteration?: number;
  setup(): Prepared;
}

export interface TableSpec {
  title: string;
  columns: string[];
  /** Right-align these columns (by index); others are left-aligned. */
  rightAlign?: number[];
  rows: string[][];
  notes?: string[];
}

export interface ReportOutput {
  tables: TableSpec[];
  /** Machine-readable figures for --json. */
  data: unknown;
}

export interface ReportBench {
  kind: 'report';
  id: string;
  title: string;
  config: string;
  run(log: (line: string) => void): ReportOutput;
}

export type Bench = TimedBench | ReportBench;

export interface Suite {
  name: string;
  description: string;
  /** Lines describing the configuration the suite uses (printed with the environment). */
  environment(): Record<string, unknown>;
  benches: Bench[];
}

export interface TimingOptions {
  /** Minimum warm-up. */
  warmupMs: number;
  /** Warm-up stops here even if the rate has not settled. */
  maxWarmupMs: number;
  iterations: number;
  /** Target duration of one timed iteration (n is calibrated from the warm-up rate). */
  iterationMs: number;
}

export const DEFAULT_TIMING: TimingOptions = { warmupMs: 500, maxWarmupMs: 4000, iterations: 9, iterationMs: 150 };
export const QUICK_TIMING: TimingOptions = { warmupMs: 100, maxWarmupMs: 600, iterations: 3, iterationMs: 40 };


export interface SimPerOp {
  /** Simulated kernel ns per operation over the timed iterations. */
  nsPerOp: number;
  /** By event: count and ns per operation (events that happened only). */
  events: Record<string, { perOp: number; nsPerOp: number }>;
}

export interface TimedResult {
  id: string;
  title: string;
  unit: string;
  config: string;
  opsPerIteration: number;
  iterations: number;
  warmupOps: number;
  warmupMs: number;
  /** Whether the warm-up ended because the rate settled (false: it hit maxWarmupMs). */
  warmupStable: boolean;
  /** ops/s of each timed iteration, in run order. */
  samples: number[];
  /**
   * Process CPU time (user + system) / wall time over the timed iterations: about 1.0
   * when the benchmark had a CPU to itself; well below 1 means other load competed and
   * the wall-clock rates are pessimistic.
   */
  cpuShare: number;
  median: number;
  min: number;
  max: number;
  /** Mean ns of host time per op at the median. */
  hostNsPerOp: number;
  target: number | null;
  /** null when there is no target. */
  met: boolean | null;
  sim: SimPerOp | null;
  after: Record<string, string | number>;
  verified: boolean | null;
  error: string | null;
}

/** Folded results of run(); exported so the optimiser cannot prove them unused. */
export let sink = 0;

function nowNs(): bigint {
  return process.hrtime.bigint();
}

function simDelta(before: Record<string, { count: number; ns: number }>, after: Record<string, { count: number; ns: number }>,
  ops: number): SimPerOp['events'] {
  const out: SimPerOp['events'] = {};
  for (const [ev, a] of Object.entries(after)) {
    const b = before[ev] ?? { count: 0, ns: 0 };
    const dc = a.count - b.count;
    if (dc === 0) continue;
    out[ev] = { perOp: dc / ops, nsPerOp: (a.ns - b.ns) / ops };
  }
  return out;
}

function emptyResult(b: TimedBench, t: TimingOptions): TimedResult {
  return {
    id: b.id, title: b.title, unit: b.unit, config: b.config, opsPerIteration: 0, iterations: t.iterations,
    warmupOps: 0, warmupMs: 0, warmupStable: false, samples: [], cpuShare: 0, median: 0, min: 0, max: 0,
    hostNsPerOp: 0, target: b.target ?? null, met: null, sim: null, after: {}, verified: null, error: null,
  };
}

/** A TimedResult holding only an error (the benchmark could not run). */
export function failedResult(b: TimedBench, t: TimingOptions, error: string): TimedResult {
  const r = emptyResult(b, t);
  r.error = error;
  return r;
}

/** Warm up, calibrate, time: one TimedBench. */
export function measure(b: TimedBench, t: TimingOptions): TimedResult {
  const result = emptyResult(b, t);
  let prepared: Prepared;
  try {
    prepared = b.setup();
  } catch (err) {
    result.error = `setup: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
    return result;
  }
  try {
    const cap = b.maxOpsPerIteration ?? Number.MAX_SAFE_INTEGER;
    // Warm-up and calibration: grow n until one run takes a measurable time, then run
    // chunks of ~CHUNK_MS until at least warmupMs has passed and the last STABLE_CHUNKS
    // chunk rates agree within STABLE_SPREAD (the JIT has settled: on a loaded machine the
    // optimising compiler's background thread can take seconds), or maxWarmupMs is spent.
    let n = 1;
    let warmOps = 0;
    let rate = 0;
    const rates: number[] = [];
    const warmStart = nowNs();
    for (;;) {
      const s = nowNs();
      sink += prepared.run(n);
      const dt = Number(nowNs() - s);
      warmOps += n;
      const elapsedMs = Number(nowNs() - warmStart) / 1e6;
      if (dt >= 2e6) {
        rate = n / (dt / 1e9);
        rates.push(rate);
        n = Math.min(Math.max(1, Math.round(rate * (CHUNK_MS / 1000))), cap);
      } else {
        n = Math.min(n * 2, cap);
      }
      if (rate > 0 && elapsedMs >= t.maxWarmupMs) break;
      if (rate > 0 && elapsedMs >= t.warmupMs && rates.length >= STABLE_CHUNKS) {
        const last = rates.slice(-STABLE_CHUNKS);
        if (Math.max(...last) <= Math.min(...last) * STABLE_SPREAD) {
          result.warmupStable = true;
          break;
        }
      }
    }
    result.warmupOps = warmOps;
    result.warmupMs = Number(nowNs() - warmStart) / 1e6;
    const settled = median(rates.slice(-STABLE_CHUNKS));
    const ops = Math.min(cap, Math.max(1, Math.round(settled * (t.iterationMs / 1000))));
    result.opsPerIteration = ops;
    const simBefore = prepared.sim ? { ns: prepared.sim.kernelNs(), ev: prepared.sim.byEvent() } : null;
    let wallNs = 0;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < t.iterations; i++) {
      const s = nowNs();
      sink += prepared.run(ops);
      const dt = Number(nowNs() - s);
      wallNs += dt;
      result.samples.push(ops / (dt / 1e9));
    }
    const cpu = process.cpuUsage(cpu0);
    result.cpuShare = ((cpu.user + cpu.system) * 1e3) / wallNs;
    if (prepared.sim && simBefore) {
      const total = ops * t.iterations;
      result.sim = {
        nsPerOp: (prepared.sim.kernelNs() - simBefore.ns) / total,
        events: simDelta(simBefore.ev, prepared.sim.byEvent(), total),
      };
    }
    result.median = median(result.samples);
    result.min = Math.min(...result.samples);
    result.max = Math.max(...result.samples);
    result.hostNsPerOp = 1e9 / result.median;
    result.met = result.target === null ? null : result.median >= result.target;
    if (prepared.after) result.after = prepared.after();
    if (prepared.verify) {
      prepared.verify();
      result.verified = true;
    }
  } catch (err) {
    result.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (prepared.verify) result.verified = false;
  } finally {
    prepared.dispose?.();
  }
  return result;
}
