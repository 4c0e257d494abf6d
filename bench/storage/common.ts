/**
 * Shared pieces of the storage suite: the workload's sizes (full and --quick), the row
 * layout, the seed, and the chunked timer every timed figure uses.
 *
 * Row layout (every engine stores the same bytes):
 *   key    8 bytes: the key index, big-endian (so byte order = index order);
 *   value  VALUE_BYTES = 100 bytes:
 *          OFFSET  SIZE  DESCRIPTION
 *          0       8     the key (lets a lookup check it got its own row)
 *          8       4     version, big-endian: 0 after the load, +1 per update transaction
 *          12      88    filler: byte j = (index + j) & 0xff
 */

import type { ChunkTiming } from '../lib/chunks.js';
import { DEFAULT_TIMING, QUICK_TIMING, type TimingOptions } from '../lib/harness.js';

export const KEY_BYTES = 8;
export const VALUE_BYTES = 100;
const VERSION_OFF = 8;
const FILLER_OFF = 12;

export const MiB = 1024 * 1024;

/**
 * The seed of every key sequence (uniform and zipfian). Printed with the results;
 * REMAPDB_BENCH_SEED replays another.
 */
export const SEED = seedFromEnv();

function seedFromEnv(): number {
  const v = process.env.REMAPDB_BENCH_SEED;
  if (v === undefined || v === '') return 0x5eed;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new RangeError(`REMAPDB_BENCH_SEED=${v}: an integer from 0 to 4294967295`);
  }
  return n;
}

/** The workload's size and durations; `quick` shrinks it for a smoke run (--quick). */
export interface Workload {
  quick: boolean;
  /** Rows loaded (figure 1) and the key space of figures 2 and 3. */
  rows: number;
  /** Rows per load transaction, the same for every engine. */
  batchRows: number;
  /** Key indexes precomputed per distribution and cycled (a power of two). */
  sequenceLength: number;
  timing: ChunkTiming;
  /** Timing of the update figure (full sync does only hundreds of tx/s: longer chunks). */
  updateTiming: ChunkTiming;
}


/**
 * The harness's timing as bench/run.ts passes it: a report benchmark is not handed the
 * TimingOptions, so read them from this process's command line (the child gets
 * `--timing <json>`; with --in-process the parent's own flags are here).
 */
export function harnessTiming(argv: readonly string[] = process.argv): TimingOptions {
  let t: TimingOptions = { ...DEFAULT_TIMING };
  const at = argv.indexOf('--timing');
  if (at >= 0 && argv[at + 1] !== undefined) t = JSON.parse(argv[at + 1] as string) as TimingOptions;
  else if (argv.includes('--quick')) t = { ...QUICK_TIMING };
  const it = argv.indexOf('--iterations');
  if (at < 0 && it >= 0) t.iterations = Number(argv[it + 1]);
  return t;
}

export function workload(t: TimingOptions = harnessTiming()): Workload {
  const quick = t.maxWarmupMs <= QUICK_TIMING.maxWarmupMs;
  const chunks = Math.max(1, t.iterations);
  return quick
    ? {
      quick, rows: 100_000, batchRows: 10_000, sequenceLength: 1 << 17,
      timing: { minWarmMs: 150, maxWarmMs: 600, chunks, chunkMs: 60 },
      updateTiming: { minWarmMs: 150, maxWarmMs: 600, chunks, chunkMs: 80 },
    }
    : {
      quick, rows: 1_000_000, batchRows: 10_000, sequenceLength: 1 << 20,
      timing: { minWarmMs: 500, maxWarmMs: 4000, chunks, chunkMs: 200 },
      updateTiming: { minWarmMs: 500, maxWarmMs: 3000, chunks, chunkMs: 220 },
    };
}

/** Write key `index` into `out` (8 bytes, big-endian). */
export function writeKey(out: Uint8Array, index: number): void {
  const hi = Math.floor(index / 4294967296);
  out[0] = hi >>> 24; out[1] = (hi >>> 16) & 0xff; out[2] = (hi >>> 8) & 0xff; out[3] = hi & 0xff;
  out[4] = index >>> 24; out[5] = (index >>> 16) & 0xff; out[6] = (index >>> 8) & 0xff; out[7] = index & 0xff;
}

/** Fill `out` (VALUE_BYTES) with row `index`'s value at `version`. */
export function writeValue(out: Uint8Array, index: number, version: number): void {
  writeKey(out, index);
  setVersion(out, version);
  for (let j = FILLER_OFF; j < VALUE_BYTES; j++) out[j] = (index + j) & 0xff;
}

export function versionOf(v: Uint8Array): number {
  return ((v[VERSION_OFF] as number) * 0x1000000) + (((v[VERSION_OFF + 1] as number) << 16) | ((v[VERSION_OFF + 2] as number) << 8) |
    (v[VERSION_OFF + 3] as number));
}

export function setVersion(out: Uint8Array, version: number): void {
  out[VERSION_OFF] = version >>> 24; out[VERSION_OFF + 1] = (version >>> 16) & 0xff;
  out[VERSION_OFF + 2] = (version >>> 8) & 0xff; out[VERSION_OFF + 3] = version & 0xff;
}

/** Why row `index`'s value `v` is not its value at `version` (any version if null), or null if it is. */
export function valueProblem(v: Uint8Array | undefined, index: number, version: number | null): string | null {
  if (v === undefined) return `row ${index}: missing`;
  if (v.length !== VALUE_BYTES) return `row ${index}: value of ${v.length} bytes, expected ${VALUE_BYTES}`;
  const want = new Uint8Array(VALUE_BYTES);
  writeValue(want, index, version ?? versionOf(v));
  for (let j = 0; j < VALUE_BYTES; j++) {
    if (v[j] !== want[j]) return `row ${index}: byte ${j} is ${v[j]}, expected ${want[j]}${version === null ? '' : ` (version ${version})`}`;
  }
  return null;
}

/** A benchmark consistency failure: the engine did not do what the figure claims. */
export function check(cond: boolean, what: () => string): asserts cond {
  if (!cond) throw new Error(`storage bench: ${what()}`);
}
