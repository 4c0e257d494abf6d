/**
 * Timing in chunks, as every benchmark here measures: warm up in chunks of ~CHUNK_MS
 * until STABLE_CHUNKS consecutive chunk rates agree within STABLE_SPREAD (the JIT has
 * settled), then time measured chunks and report their median. The harness
 * (harness.ts), the buffer-pool strategies report and the storage suite share the rule.
 */

/** Warm-up chunk length, and how many consecutive chunks must agree (max/min <= spread). */
export const CHUNK_MS = 25;
export const STABLE_CHUNKS = 4;
export const STABLE_SPREAD = 1.1;

export interface ChunkTiming {
  /** Warm-up: at least minWarmMs, then until STABLE_CHUNKS chunk rates agree, at most maxWarmMs. */
  minWarmMs: number;
  maxWarmMs: number;
  /** Measured chunks (the figure is their median) and the length of each. */
  chunks: number;
  chunkMs: number;
}

/** Median of a non-empty list (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export interface Timed {
  /** Median ops/s over the measured chunks, and the extremes. */
  median: number;
  /**
   * Operations / wall time over all the measured chunks: the sustained rate, periodic
   * stalls (checkpoints) included, which a median of chunks can step over.
   */
  sustained: number;
  min: number;
  max: number;
  samples: number[];
  /** Operations in the measured chunks (the warm-up excluded). */
  ops: number;
  warmOps: number;
  warmMs: number;
  warmStable: boolean;
  /** Process CPU time / wall time over the measured chunks (well under 1: other load shared the CPU). */
  cpuShare: number;
}

/**
 * Time `run(n)` (n operations) as the harness does: warm up, then `chunks` chunks of
 * ~chunkMs sized from the settled warm-up rate. `beforeMeasure` runs between the two (to
 * snapshot counters), untimed.
 */
export function timeChunks(run: (n: number) => void, t: ChunkTiming, beforeMeasure?: () => void): Timed {
  let n = 1;
  let warmOps = 0;
  let rate = 0;
  let warmStable = false;
  const rates: number[] = [];
  const warm0 = process.hrtime.bigint();
  for (;;) {
    const s = process.hrtime.bigint();
    run(n);
    const dt = Number(process.hrtime.bigint() - s);
    warmOps += n;
    if (dt >= 2e6) {
      rate = n / (dt / 1e9);
      rates.push(rate);
      n = Math.max(1, Math.round(rate * (CHUNK_MS / 1000)));
    } else {
      n *= 2;
    }
    const elapsedMs = Number(process.hrtime.bigint() - warm0) / 1e6;
    if (rate > 0 && elapsedMs >= t.maxWarmMs) break;
    if (rate > 0 && elapsedMs >= t.minWarmMs && rates.length >= STABLE_CHUNKS) {
      const last = rates.slice(-STABLE_CHUNKS);
      if (Math.max(...last) <= Math.min(...last) * STABLE_SPREAD) {
        warmStable = true;
        break;
      }
    }
  }
  const warmMs = Number(process.hrtime.bigint() - warm0) / 1e6;
  const per = Math.max(1, Math.round(median(rates.slice(-STABLE_CHUNKS)) * (t.chunkMs / 1000)));
  beforeMeasure?.();
  const samples: number[] = [];
  let wallNs = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < t.chunks; i++) {
    const s = process.hrtime.bigint();
    run(per);
    const dt = Number(process.hrtime.bigint() - s);
    wallNs += dt;
    samples.push(per / (dt / 1e9));
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples, ops: per * t.chunks,
    sustained: (per * t.chunks) / (wallNs / 1e9),
    warmOps, warmMs, warmStable, cpuShare: ((cpu.user + cpu.system) * 1e3) / wallNs,
  };
}
