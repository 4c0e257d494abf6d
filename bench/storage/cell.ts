/**
 * One cell of the storage suite, run in its own process (cell-main.ts): one engine, one
 * phase.
 *   load    create the table and load `rows` rows in ascending key order, `batchRows`
 *           per transaction (figure 1: total seconds and rows/s, one pass, nothing
 *           excluded); check the row count and a sample of rows; then point lookups on
 *           the loaded table, uniform and scrambled-zipfian keys (figure 2: chunked
 *           timer, warm-up excluded, every lookup checked to be a hit on its own row).
 *   update  reopen the table with sync off | normal | full, read every row (untimed, so
 *           every engine starts with the table in its cache), then single-row update
 *           transactions on uniform keys (figure 3); close, reopen and check that a
 *           sample of updated rows holds the last version written.
 * remapdb cells also report simulated-kernel and pool figures over the measured chunks.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { type Timed, timeChunks } from '../lib/chunks.js';
import { check, SEED, valueProblem, type Workload } from './common.js';
import { type Engine, type EngineName, openEngine, type SimProbe, type SyncMode } from './engine.js';
import { type Distribution, keySequence, skew } from './zipfian.js';

export type Phase = 'load' | 'update';

export interface CellSpec {
  engine: EngineName;
  phase: Phase;
  sync: SyncMode;
  dir: string;
  workload: Workload;
}

/** remapdb's simulated kernel and pool over a figure's measured operations. */
export interface SimFigures {
  ops: number;
  /** Simulated kernel ns per operation (Kernel.kernelNs delta). */
  kernelNsPerOp: number;
  fixesPerOp: number;
  /** Pool hits / fixes over the measured operations. */
  hitRate: number;
  misses: number;
  evictions: number;
  writebacks: number;
  /** Pages resident at the end. */
  resident: number;
  /** By kernel event: count and simulated ns per operation. */
  events: Record<string, { perOp: number; nsPerOp: number }>;
  /** WAL per operation: full page images, deltas, bytes written, fdatasyncs; and checkpoints in all. */
  wal: { fullPagesPerOp: number; deltasPerOp: number; bytesPerOp: number; syncsPerOp: number };
  checkpoints: number;
}

export interface LoadFigures {
  rows: number;
  batchRows: number;
  seconds: number;
  rowsPerSec: number;
  /** rows/s of each load transaction: median, first, last (a growing tree slows down?). */
  batchRowsPerSec: { median: number; first: number; last: number; min: number; max: number };
  sim: SimFigures | null;
}

export interface LookupFigures {
  distribution: Distribution;
  timed: Timed;
  /** The sequence's shape: distinct keys, and the share of draws on the most popular 1% of keys. */
  sequence: { length: number; distinct: number; top1PercentShare: number };
  sim: SimFigures | null;
}

export interface UpdateFigures {
  sync: SyncMode;
  timed: Timed;
  openMs: number;
  scanMs: number;
  /** Updated rows read back after a close and reopen, each holding its last version. */
  verifiedRows: number;
  sim: SimFigures | null;
}

export interface CellResult {
  engine: EngineName;
  phase: Phase;
  sync: SyncMode;
  config: string;
  load: LoadFigures | null;
  lookups: LookupFigures[];
  update: UpdateFigures | null;
  /** Bytes of the engine's files after close, in all and by file name. */
  fileBytes: number;
  files: Record<string, number>;
  hostMs: number;
  /**
   * The cell process's peak resident set (getrusage ru_maxrss) when the cell ended: the
   * engine's memory with the table loaded and looked up (one engine per process).
   */
  maxRssBytes: number;
  /** Why the cell failed (an engine error or a failed check), or null. */
  error: string | null;
}

export function failedCell(spec: CellSpec, err: unknown): CellResult {
  return {
    engine: spec.engine, phase: spec.phase, sync: spec.sync, config: '', load: null, lookups: [], update: null, fileBytes: 0, files: {}, hostMs: 0,
    maxRssBytes: 0, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
  };
}

/** Seeds of the key sequences: one per use, all from SEED, identical for every engine. */
const SEED_SALT: Record<Distribution | `update-${SyncMode}`, number> = {
  uniform: 1, zipfian: 2, 'update-off': 3, 'update-normal': 4, 'update-full': 5,
};
const SAMPLE_ROWS = 2000;

function simDelta(a: SimProbe | null, b: SimProbe | null, ops: number): SimFigures | null {
  if (a === null || b === null) return null;
  const events: SimFigures['events'] = {};
  for (const [ev, x] of Object.entries(b.events)) {
    const y = a.events[ev] ?? { count: 0, ns: 0 };
    if (x.count === y.count) continue;
    events[ev] = { perOp: (x.count - y.count) / ops, nsPerOp: (x.ns - y.ns) / ops };
  }
  const fixes = b.fixes - a.fixes;
  return {
    ops, kernelNsPerOp: (b.kernelNs - a.kernelNs) / ops, fixesPerOp: fixes / ops, hitRate: fixes === 0 ? 1 : (b.hits - a.hits) / fixes,
    misses: b.misses - a.misses, evictions: b.evictions - a.evictions, writebacks: b.writebacks - a.writebacks, resident: b.resident, events,
    wal: {
      fullPagesPerOp: (b.walFullPages - a.walFullPages) / ops, deltasPerOp: (b.walDeltas - a.walDeltas) / ops,
      bytesPerOp: (b.walBytes - a.walBytes) / ops, syncsPerOp: (b.walSyncs - a.walSyncs) / ops,
    },
    checkpoints: b.checkpoints - a.checkpoints,
  };
}

function dirFiles(dir: string, out: Record<string, number> = {}, prefix = ''): Record<string, number> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) dirFiles(p, out, `${prefix}${e.name}/`);
    else out[`${prefix}${e.name}`] = fs.statSync(p).size;
  }
  return out;
}

/** Check that each row in `indexes` holds its value at `version(i)` (any version: null); returns how many were checked. */
function checkRows(e: Engine, indexes: Iterable<number>, version: (i: number) => number | null): number {
  let n = 0;
  for (const i of indexes) {
    const problem = valueProblem(e.get(i), i, version(i));
    check(problem === null, () => `${e.name}: ${problem ?? ''}`);
    n++;
  }
  return n;
}

/** About `count` row indexes spread evenly over [0, rows), the last row included. */
function* spread(rows: number, count: number): Generator<number> {
  const step = Math.max(1, Math.floor(rows / count));
  for (let i = 0; i < rows; i += step) yield i;
  yield rows - 1;
}

function load(e: Engine, w: Workload): LoadFigures {
  const p0 = e.probe();
  const rates: number[] = [];
  const t0 = process.hrtime.bigint();
  for (let from = 0; from < w.rows; from += w.batchRows) {
    const to = Math.min(w.rows, from + w.batchRows);
    const s = process.hrtime.bigint();
    e.loadBatch(from, to);
    rates.push((to - from) / (Number(process.hrtime.bigint() - s) / 1e9));
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const sim = simDelta(p0, e.probe(), w.rows);
  const sorted = [...rates].sort((a, b) => a - b);
  const count = e.count();
  check(count === w.rows, () => `${e.name}: ${count} rows after loading ${w.rows}`);
  checkRows(e, spread(w.rows, SAMPLE_ROWS), () => 0);
  return {
    rows: w.rows, batchRows: w.batchRows, seconds, rowsPerSec: w.rows / seconds, sim,
    batchRowsPerSec: {
      median: sorted[sorted.length >> 1] as number, first: rates[0] as number, last: rates[rates.length - 1] as number,
      min: sorted[0] as number, max: sorted[sorted.length - 1] as number,
    },
  };
}

function lookups(e: Engine, w: Workload, dist: Distribution): LookupFigures {
  const seq = keySequence(dist, w.rows, w.sequenceLength, (SEED + SEED_SALT[dist]) >>> 0);
  const mask = seq.length - 1;
  let pos = 0;
  let wrong = 0;
  // Each lookup must be a hit on its own row: byte 7 of the value is the key's low byte.
  const run = (n: number): void => {
    for (let k = 0; k < n; k++) {
      const i = seq[pos++ & mask] as number;
      const v = e.get(i);
      if (v === undefined || v[7] !== (i & 0xff)) wrong++;
    }
  };
  let p0: SimProbe | null = null;
  const timed = timeChunks(run, w.timing, () => {
    p0 = e.probe();
  });
  const sim = simDelta(p0, e.probe(), timed.ops);
  check(wrong === 0, () => `${e.name}: ${wrong} of ${pos} ${dist} lookups missed or returned another row`);
  return { distribution: dist, timed, sequence: { length: seq.length, ...skew(seq, w.rows) }, sim };
}

/** Figure 3 on `e0` (just opened, in `openMs`); it closes and reopens the engine to check, and returns the reopened one. */
async function update(spec: CellSpec, e0: Engine, openMs: number): Promise<{ figures: UpdateFigures; engine: Engine }> {
  const w = spec.workload;
  let e = e0;
  const s0 = process.hrtime.bigint();
  const seen = e.scan();
  const scanMs = Number(process.hrtime.bigint() - s0) / 1e6;
  check(seen === w.rows, () => `${e.name}: a scan saw ${seen} rows, expected ${w.rows}`);
  const seq = keySequence('uniform', w.rows, w.sequenceLength, (SEED + SEED_SALT[`update-${spec.sync}`]) >>> 0);
  const mask = seq.length - 1;
  const last = new Int32Array(w.rows).fill(-1);
  let pos = 0;
  const run = (n: number): void => {
    for (let k = 0; k < n; k++) {
      const i = seq[pos++ & mask] as number;
      last[i] = e.update(i);
    }
  };
  let p0: SimProbe | null = null;
  const timed = timeChunks(run, w.updateTiming, () => {
    p0 = e.probe();
  });
  const sim = simDelta(p0, e.probe(), timed.ops);
  // Durable across a close and reopen: the last version written to each of a sample of rows.
  await e.close();
  e = await openEngine(spec.engine, { dir: spec.dir, sync: spec.sync, create: false });
  const touched: number[] = [];
  const step = Math.max(1, Math.floor(Math.min(pos, seq.length) / SAMPLE_ROWS));
  for (let k = 0; k < Math.min(pos, seq.length); k += step) touched.push(seq[k] as number);
  const verifiedRows = checkRows(e, touched, (i) => last[i] as number);
  return { figures: { sync: spec.sync, timed, openMs, scanMs, verifiedRows, sim }, engine: e };
}

export async function runCell(spec: CellSpec): Promise<CellResult> {
  const host0 = process.hrtime.bigint();
  const o0 = process.hrtime.bigint();
  let e = await openEngine(spec.engine, { dir: spec.dir, sync: spec.sync, create: spec.phase === 'load' });
  const openMs = Number(process.hrtime.bigint() - o0) / 1e6;
  const result: CellResult = {
    engine: spec.engine, phase: spec.phase, sync: spec.sync, config: e.describe(), load: null, lookups: [], update: null, fileBytes: 0, files: {}, hostMs: 0,
    maxRssBytes: 0, error: null,
  };
  try {
    if (spec.phase === 'load') {
      result.load = load(e, spec.workload);
      for (const d of ['uniform', 'zipfian'] as const) result.lookups.push(lookups(e, spec.workload, d));
    } else {
      const u = await update(spec, e, openMs);
      e = u.engine;
      result.update = u.figures;
    }
  } finally {
    result.maxRssBytes = process.resourceUsage().maxRSS * 1024;
    await e.close();
  }
  result.files = dirFiles(spec.dir);
  result.fileBytes = Object.values(result.files).reduce((a, b) => a + b, 0);
  result.hostMs = Number(process.hrtime.bigint() - host0) / 1e6;
  return result;
}
