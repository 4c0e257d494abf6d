/**
 * The perf suite (issue 19): remapdb beside SQLite and LMDB on the figures the issue sets
 * goals for, with the measurement hygiene it asks for:
 *   - every cell runs REMAPDB_PERF_ROUNDS times (default 3), each in a fresh process;
 *   - the engines take turns in an order rotated every round, so a burst of load on the
 *     machine falls on all of them alike;
 *   - the table gives each figure's median with its spread (min–max over the rounds), the
 *     ratio of medians against the better peer, and the goal;
 *   - every engine loads the same rows in the same transactions at the same durability
 *     (sync full: each commit durable when it returns); the load clock stops after the
 *     last commit, so work an engine defers past it (remapdb's WAL not yet checkpointed
 *     into its data file, SQLite's WAL past its last auto-checkpoint) is not in the figure
 *     — the table's notes say so.
 *
 * Run: `npm run bench -- perf` (about 4 minutes on this 2-core machine at 3 rounds).
 *
 * Covered so far: bulk load of 1 M rows, point lookups (uniform and zipfian keys; 8-byte
 * keys and, for remapdb, integer keys), peak RSS and file size. TPC-B, TPC-C and YCSB,
 * which issue 19 also names, run with `npm run workload` and are not in this suite yet.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { median as medianOf } from '../lib/chunks.js';
import { bytes, int, renderTable, si } from '../lib/format.js';
import type { ReportBench, ReportOutput, Suite, TableSpec } from '../lib/harness.js';
import { packageVersion } from '../lib/env.js';
import type { CellResult } from '../storage/cell.js';
import { SEED, workload, type Workload } from '../storage/common.js';
import { type EngineName, LMDB_MAP_BYTES, REMAPDB_POOL_PAGES, REMAPDB_RAM_BYTES, SQLITE_CACHE_BYTES } from '../storage/engine.js';
import { runChild } from '../storage/report.js';

/** The engines of a round: remapdb with 8-byte keys (as the peers) and with integer keys. */
const ENGINES: readonly EngineName[] = ['remapdb', 'remapdb-int', 'sqlite', 'lmdb'];
const PEERS: readonly EngineName[] = ['sqlite', 'lmdb'];

function rounds(): number {
  const v = process.env.REMAPDB_PERF_ROUNDS;
  const n = v === undefined || v === '' ? 3 : Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new RangeError(`REMAPDB_PERF_ROUNDS=${String(v)}: an integer from 1 to 20`);
  return n;
}

/** One figure of one cell, or NaN when the cell failed. */
type Pick = (c: CellResult) => number;

const FIGURES: ReadonlyArray<{ name: string; unit: string; pick: Pick; higherIsBetter: boolean }> = [
  { name: 'load, ascending, 10K rows per tx (sync full)', unit: 'rows/s', pick: (c) => c.load?.rowsPerSec ?? NaN, higherIsBetter: true },
  { name: 'point lookups, uniform keys', unit: 'lookups/s', pick: (c) => c.lookups.find((l) => l.distribution === 'uniform')?.timed.median ?? NaN, higherIsBetter: true },
  { name: 'point lookups, zipfian(0.99) keys', unit: 'lookups/s', pick: (c) => c.lookups.find((l) => l.distribution === 'zipfian')?.timed.median ?? NaN, higherIsBetter: true },
  { name: 'peak RSS of the cell process', unit: 'bytes', pick: (c) => (c.maxRssBytes > 0 ? c.maxRssBytes : NaN), higherIsBetter: false },
  { name: 'files after the load', unit: 'bytes', pick: (c) => (c.error === null ? c.fileBytes : NaN), higherIsBetter: false },
];

/** The goal issue 19 sets for a figure, and whether `remapdb` (median) meets it against the peers' medians. */
function goal(figure: string, remapdb: number, peers: Record<string, number>): { text: string; met: boolean | null } {
  const lmdb = peers.lmdb ?? NaN;
  const sqlite = peers.sqlite ?? NaN;
  if (figure.startsWith('load')) return { text: '≥ LMDB', met: remapdb >= lmdb };
  if (figure.startsWith('point lookups')) return { text: '≥ 1 M/s and ≥ 2.5× LMDB', met: remapdb >= 1e6 && remapdb >= 2.5 * lmdb };
  if (figure.startsWith('peak RSS')) return { text: '≤ 1.5× SQLite', met: remapdb <= 1.5 * sqlite };
  return { text: '—', met: null };
}

/** The median of the cells that produced the figure (a failed cell gives NaN); NaN if none did. */
function median(xs: readonly number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x));
  return ok.length === 0 ? NaN : medianOf(ok);
}

function cellText(xs: readonly number[], unit: string): string {
  const ok = xs.filter((x) => Number.isFinite(x));
  if (ok.length === 0) return 'failed';
  const f = unit === 'bytes' ? bytes : si;
  const lo = Math.min(...ok);
  const hi = Math.max(...ok);
  return ok.length === 1 ? f(ok[0] as number) : `${f(median(ok))} (${f(lo)}–${f(hi)})`;
}

export interface PerfRun {
  rounds: number;
  seed: number;
  workload: Workload;
  /** Every cell of every round, in the order run. */
  cells: Array<{ round: number; result: CellResult }>;
}

/** Run every round: each engine's load + lookup cell in its own process, the order rotated per round. */
export function runRounds(log: (line: string) => void, n = rounds(), w: Workload = workload()): PerfRun {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-bench-perf-'));
  log(`  perf: ${n} round(s), seed ${SEED}, ${int(w.rows)} rows, data under ${root}`);
  const cells: PerfRun['cells'] = [];
  try {
    for (let r = 0; r < n; r++) {
      const order = ENGINES.map((_, i) => ENGINES[(i + r) % ENGINES.length] as EngineName);
      for (const engine of order) {
        const dir = path.join(root, `${r}-${engine}`);
        const [result] = runChild([{ engine, phase: 'load', sync: 'full', dir, workload: w }]);
        fs.rmSync(dir, { recursive: true, force: true });
        if (result === undefined) throw new Error(`perf: no result from the ${engine} cell of round ${r + 1}`);
        cells.push({ round: r, result });
        const l = result.lookups.map((x) => `${x.distribution} ${si(x.timed.median)}/s`).join(', ');
        log(`  perf: round ${r + 1}/${n} ${engine}: ${result.error ?? `load ${si(result.load?.rowsPerSec ?? NaN)} rows/s, ${l}, ` +
          `peak RSS ${bytes(result.maxRssBytes)}`} (${(result.hostMs / 1000).toFixed(1)} s)`);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return { rounds: n, seed: SEED, workload: w, cells };
}

export function perfTable(run: PerfRun): TableSpec {
  const of = (engine: EngineName, pick: Pick): number[] => run.cells.filter((c) => c.result.engine === engine).map((c) => pick(c.result));
  const rows: string[][] = [];
  for (const f of FIGURES) {
    for (const remapdb of ['remapdb', 'remapdb-int'] as const) {
      const mine = of(remapdb, f.pick);
      const peers = Object.fromEntries(PEERS.map((p) => [p, median(of(p, f.pick))]));
      const best = f.higherIsBetter ? Math.max(peers.sqlite ?? NaN, peers.lmdb ?? NaN) : Math.min(peers.sqlite ?? NaN, peers.lmdb ?? NaN);
      const g = goal(f.name, median(mine), peers);
      rows.push([
        `${f.name}${remapdb === 'remapdb-int' ? ' [remapdb key int]' : ''}`, f.unit, cellText(mine, f.unit),
        cellText(of('sqlite', f.pick), f.unit), cellText(of('lmdb', f.pick), f.unit),
        Number.isFinite(best) && Number.isFinite(median(mine)) ? `${(median(mine) / best).toFixed(2)}×` : '—',
        g.text, g.met === null ? '—' : g.met ? 'yes' : 'NO',
      ]);
    }
  }
  return {
    title: `remapdb vs SQLite vs LMDB, median (min–max) of ${run.rounds} round(s); seed ${run.seed}`,
    columns: ['figure', 'unit', 'remapdb', 'SQLite', 'LMDB', 'remapdb / best peer', 'goal (issue 19)', 'met?'],
    rightAlign: [2, 3, 4, 5],
    rows,
    notes: [
      `Rows: ${int(run.workload.rows)}, 8-byte big-endian keys, 100-byte values, loaded in ascending key order in transactions of ` +
        `${int(run.workload.batchRows)} rows; every engine stores the same bytes (bench/storage/common.ts).`,
      'Same durability for all: the load commits with sync full (remapdb WAL fdatasync per commit; SQLite WAL synchronous=FULL; ' +
        'LMDB default sync). The load clock stops after the last commit: deferred work (remapdb\'s WAL not yet checkpointed, ' +
        'SQLite\'s WAL past its last auto-checkpoint) is not in it. Lookups run on the loaded table in the same process, warm-up excluded, median of timed chunks, ' +
        'every lookup checked to return its own row.',
      '[remapdb key int] is remapdb with key [\'int\'] (the row index as a number) against the same peer cells (8-byte binary keys): ' +
        'the peers have no cheaper key for this data.',
      `Memory: remapdb pool ${int(REMAPDB_POOL_PAGES)} pages in ${bytes(REMAPDB_RAM_BYTES)} of simulated RAM (an ArrayBuffer the ` +
        `host touches as pages are used); SQLite cache ${bytes(SQLITE_CACHE_BYTES)}; LMDB map ${bytes(LMDB_MAP_BYTES)}. ` +
        'Peak RSS is the cell process\'s getrusage maximum, Node and the engine together.',
      'Each cell in its own Node process; engines in an order rotated every round (round r starts with the r-th engine).',
    ],
  };
}

export const perfReport: ReportBench = {
  kind: 'report',
  id: 'engines-side-by-side',
  title: 'remapdb vs SQLite vs LMDB: load and point lookups, rounds interleaved, median and spread',
  config: `REMAPDB_PERF_ROUNDS rounds (default 3); ${REMAPDB_POOL_PAGES}-page remapdb pool; better-sqlite3 ` +
    `${packageVersion('better-sqlite3')}, lmdb ${packageVersion('lmdb')}`,
  run(log): ReportOutput {
    const run = runRounds(log);
    const table = perfTable(run);
    const failed = run.cells.filter((c) => c.result.error !== null);
    if (failed.length > 0) {
      log(renderTable(table));
      throw new Error(`perf: ${failed.length} cell(s) failed: ${failed.map((c) => `round ${c.round + 1} ${c.result.engine}: ${c.result.error ?? ''}`).join('; ')}`);
    }
    return { tables: [table], data: run };
  },
};

export const perfSuite: Suite = {
  name: 'perf',
  description: 'issue 19\'s figures side by side: remapdb vs SQLite vs LMDB, load and point lookups, rounds interleaved',
  environment() {
    return { rounds: rounds(), seed: SEED };
  },
  benches: [perfReport],
};
