/**
 * YCSB-like parameters and the core workloads' mixes (YCSB workloads/workloada … f;
 * refs/workloads.md's table).
 *
 * Invariants:
 *  1. Each mix's weights sum to 100 and name only ops in OPS.
 *  2. recordCount ≤ SCRAMBLE_MAX_ITEMS, so key choice by fnv64 mod n is exact in doubles.
 */

import { SCRAMBLE_MAX_ITEMS } from '../../storage/zipfian.js';

export interface YcsbParams {
  /** YCSB recordcount: rows loaded (keynums 0 … recordCount − 1). */
  recordCount: number;
  /** YCSB fieldcount. */
  fieldCount: number;
  /** YCSB fieldlength, bytes per field. */
  fieldLength: number;
  /** YCSB maxscanlength (scan length uniform 1 … maxScanLength). */
  maxScanLength: number;
  /** YCSB dataintegrity: values derived from key:field and every read verified. */
  dataIntegrity: boolean;
}

export const DEFAULT_YCSB: YcsbParams = {
  recordCount: 1_000_000, fieldCount: 10, fieldLength: 100, maxScanLength: 100, dataIntegrity: true,
};

export type YcsbOp = 'read' | 'update' | 'insert' | 'scan' | 'rmw';
export type KeyDistribution = 'zipfian' | 'latest' | 'uniform';
export type YcsbLetter = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';

export interface YcsbMix {
  readonly letter: YcsbLetter;
  readonly title: string;
  readonly ops: readonly { readonly name: YcsbOp; readonly weight: number }[];
  readonly distribution: KeyDistribution;
}

export const MIXES: Readonly<Record<YcsbLetter, YcsbMix>> = {
  a: { letter: 'a', title: 'YCSB-like A: update heavy', ops: [{ name: 'read', weight: 50 }, { name: 'update', weight: 50 }], distribution: 'zipfian' },
  b: { letter: 'b', title: 'YCSB-like B: read mostly', ops: [{ name: 'read', weight: 95 }, { name: 'update', weight: 5 }], distribution: 'zipfian' },
  c: { letter: 'c', title: 'YCSB-like C: read only', ops: [{ name: 'read', weight: 100 }], distribution: 'zipfian' },
  d: { letter: 'd', title: 'YCSB-like D: read latest', ops: [{ name: 'read', weight: 95 }, { name: 'insert', weight: 5 }], distribution: 'latest' },
  e: { letter: 'e', title: 'YCSB-like E: short ranges', ops: [{ name: 'scan', weight: 95 }, { name: 'insert', weight: 5 }], distribution: 'zipfian' },
  f: { letter: 'f', title: 'YCSB-like F: read-modify-write', ops: [{ name: 'read', weight: 50 }, { name: 'rmw', weight: 50 }], distribution: 'zipfian' },
};

/** Smallest recordCount: the latest chooser's zipfian needs at least 2 items below the last keynum. */
export const MIN_RECORDS = 3;

function intIn(field: string, v: unknown, lo: number, hi: number): number {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi)) {
    throw new RangeError(`ycsb ${field} = ${String(v)}: must be an integer from ${lo} to ${hi}`);
  }
  return v;
}

/** Defaults filled in and validated (RangeError naming the field, the value and the limit). */
export function ycsbParams(input: Partial<YcsbParams>): YcsbParams {
  const dataIntegrity = input.dataIntegrity ?? DEFAULT_YCSB.dataIntegrity;
  if (typeof dataIntegrity !== 'boolean') throw new RangeError(`ycsb dataIntegrity = ${String(dataIntegrity)}: must be true or false`);
  return {
    recordCount: intIn('recordCount', input.recordCount ?? DEFAULT_YCSB.recordCount, MIN_RECORDS, SCRAMBLE_MAX_ITEMS),
    fieldCount: intIn('fieldCount', input.fieldCount ?? DEFAULT_YCSB.fieldCount, 1, 100),
    fieldLength: intIn('fieldLength', input.fieldLength ?? DEFAULT_YCSB.fieldLength, 1, 10_000),
    maxScanLength: intIn('maxScanLength', input.maxScanLength ?? DEFAULT_YCSB.maxScanLength, 1, 10_000),
    dataIntegrity,
  };
}
