/**
 * Per-transaction-type latency: an HdrHistogram (hdr-histogram-js, 3 significant
 * digits, values in nanoseconds from 100 ns to 1 hour) and its summary in
 * microseconds — count, mean, p50, p90, p95, p99, p99.9, max — as YCSB, BenchBase and
 * wrk print them. Recording allocates nothing; the histogram is encoded (compressed
 * base64, HdrHistogram's interchange form) into the results so percentiles can be
 * recomputed or merged later.
 */

import type * as Hdr from 'hdr-histogram-js';
import { requireOptional } from '../lib/optional.js';

export type Histogram = Hdr.Histogram;

let hdrLoaded: typeof Hdr | undefined;
/** hdr-histogram-js is optional (bench/lib/optional.ts): loaded by the first histogram. */
function hdr(): typeof Hdr {
  hdrLoaded ??= requireOptional<typeof Hdr>('hdr-histogram-js');
  return hdrLoaded;
}

/** Latencies from 100 ns to one hour, ±0.1 % (3 significant digits). */
export function newHistogram(): Histogram {
  return hdr().build({ lowestDiscernibleValue: 100, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

export interface LatencySummary {
  count: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p95Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

export const PERCENTILES: readonly (keyof LatencySummary)[] = ['meanUs', 'p50Us', 'p90Us', 'p95Us', 'p99Us', 'p999Us', 'maxUs'];

const us = (ns: number): number => Math.round(ns / 10) / 100;

export function summarize(h: Histogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) return { count: 0, meanUs: 0, p50Us: 0, p90Us: 0, p95Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 };
  return {
    count, meanUs: us(h.mean), p50Us: us(h.getValueAtPercentile(50)), p90Us: us(h.getValueAtPercentile(90)),
    p95Us: us(h.getValueAtPercentile(95)), p99Us: us(h.getValueAtPercentile(99)), p999Us: us(h.getValueAtPercentile(99.9)), maxUs: us(h.maxValue),
  };
}

/** HdrHistogram's compressed base64 form. */
export function encodeHistogram(h: Histogram): string {
  return hdr().encodeIntoCompressedBase64(h);
}

export function decodeHistogram(s: string): Histogram {
  return hdr().decodeFromCompressedBase64(s);
}
