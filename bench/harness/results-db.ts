/**
 * The results database (SQLite through better-sqlite3): every run of the matrix with its
 * configuration, environment, per-cell and per-transaction-type figures, kernel counters
 * and consistency checks — normalised for queries (`runs`, `compare`) and, whole, as the
 * run's JSON so nothing recorded is lost. Exports: the run's JSON, and CSV with one line
 * per cell × transaction type.
 *
 * Schema (version 1):
 *   runs      (run_id, started_at, finished_at, workload, params, seed, sync, terminals,
 *              warmup_s, duration_s, transactions, baseline, environment, versions, result)
 *   cells     (run_id, cell_id, label, engine, strategy, pool_pages, personality, arch,
 *              mlock, describe, error, seconds, committed, rolled_back, errors, tx_per_s,
 *              nopm, db_bytes, rss_bytes)
 *   tx_types  (run_id, cell_id, type, target_pct, achieved_pct, committed, rolled_back,
 *              errors, count, mean_us, p50_us, p90_us, p95_us, p99_us, p999_us, max_us)
 *   kernel    (run_id, cell_id, name, value)
 *   checks    (run_id, cell_id, check_id, ok, detail)
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import BetterSqlite3 from 'better-sqlite3';

import type { KernelFigures, RunResult } from './types.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  run_id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT NOT NULL, workload TEXT NOT NULL, params TEXT NOT NULL,
  seed INTEGER NOT NULL, sync TEXT NOT NULL, terminals INTEGER NOT NULL, warmup_s REAL NOT NULL, duration_s REAL NOT NULL,
  transactions INTEGER NOT NULL, baseline TEXT NOT NULL, environment TEXT NOT NULL, versions TEXT NOT NULL, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cells (
  run_id INTEGER NOT NULL REFERENCES runs ON DELETE CASCADE, cell_id TEXT NOT NULL, label TEXT NOT NULL, engine TEXT NOT NULL,
  strategy TEXT, pool_pages INTEGER, personality TEXT, arch TEXT, mlock INTEGER, describe TEXT NOT NULL, error TEXT,
  seconds REAL NOT NULL, committed INTEGER NOT NULL, rolled_back INTEGER NOT NULL, errors INTEGER NOT NULL, tx_per_s REAL NOT NULL,
  nopm REAL, db_bytes INTEGER NOT NULL, rss_bytes INTEGER NOT NULL, PRIMARY KEY (run_id, cell_id));
CREATE TABLE IF NOT EXISTS tx_types (
  run_id INTEGER NOT NULL, cell_id TEXT NOT NULL, type TEXT NOT NULL, target_pct REAL NOT NULL, achieved_pct REAL NOT NULL,
  committed INTEGER NOT NULL, rolled_back INTEGER NOT NULL, errors INTEGER NOT NULL, count INTEGER NOT NULL, mean_us REAL NOT NULL,
  p50_us REAL NOT NULL, p90_us REAL NOT NULL, p95_us REAL NOT NULL, p99_us REAL NOT NULL, p999_us REAL NOT NULL, max_us REAL NOT NULL,
  PRIMARY KEY (run_id, cell_id, type), FOREIGN KEY (run_id, cell_id) REFERENCES cells ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS kernel (
  run_id INTEGER NOT NULL, cell_id TEXT NOT NULL, name TEXT NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (run_id, cell_id, name), FOREIGN KEY (run_id, cell_id) REFERENCES cells ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS checks (
  run_id INTEGER NOT NULL, cell_id TEXT NOT NULL, check_id TEXT NOT NULL, ok INTEGER NOT NULL, detail TEXT NOT NULL,
  FOREIGN KEY (run_id, cell_id) REFERENCES cells ON DELETE CASCADE);
`;

export const DEFAULT_RESULTS_DB = path.join('remapdb-results', 'runs.sqlite');

export interface RunSummary {
  runId: number;
  startedAt: string;
  workload: string;
  params: string;
  seed: number;
  sync: string;
  cells: number;
  failed: number;
  best: string;
}

/** Flatten the kernel figures into name → value rows (events as `ns.<event>` and `count.<event>`). */
export function kernelRows(k: KernelFigures): [string, number][] {
  const rows: [string, number][] = [];
  for (const [name, value] of Object.entries(k)) {
    if (typeof value === 'number') rows.push([name, value]);
  }
  for (const [ev, e] of Object.entries(k.kernelNsByEvent)) {
    rows.push([`ns.${ev}`, e.ns], [`count.${ev}`, e.count]);
  }
  return rows;
}

export class ResultsDb {
  readonly path: string;
  readonly #db: BetterSqlite3.Database;

  constructor(file: string, opts: { create?: boolean } = {}) {
    if (opts.create !== false) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    else if (!fs.existsSync(file)) throw new Error(`no results database at ${file} (run a benchmark first, or pass --results)`);
    this.path = file;
    this.#db = new BetterSqlite3(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    const v = this.#db.pragma('user_version', { simple: true }) as number;
    if (v === 0) {
      this.#db.exec(SCHEMA);
      this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } else if (v !== SCHEMA_VERSION) {
      this.#db.close();
      throw new Error(`results database ${file} has schema version ${v}; this remapdb reads version ${SCHEMA_VERSION}`);
    }
  }

  /** Store a run; returns its id (also set on `run`). */
  record(run: RunResult): number {
    const db = this.#db;
    const tx = db.transaction((): number => {
      const r = db.prepare(`INSERT INTO runs (started_at, finished_at, workload, params, seed, sync, terminals, warmup_s, duration_s, transactions,
        baseline, environment, versions, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`).run(
        run.startedAt, run.finishedAt, run.workload.name, JSON.stringify(run.workload.params), run.seed, run.sync, run.limits.terminals,
        run.limits.warmupSeconds, run.limits.durationSeconds, run.limits.transactions, run.baseline, JSON.stringify(run.environment),
        JSON.stringify(run.versions));
      const runId = Number(r.lastInsertRowid);
      run.runId = runId;
      db.prepare('UPDATE runs SET result = ? WHERE run_id = ?').run(JSON.stringify(run), runId);
      const cell = db.prepare(`INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      const type = db.prepare(`INSERT INTO tx_types VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      const kernel = db.prepare('INSERT INTO kernel VALUES (?, ?, ?, ?)');
      const check = db.prepare('INSERT INTO checks VALUES (?, ?, ?, ?, ?)');
      for (const c of run.cells) {
        const e = c.engine;
        const remap = e.kind === 'remapdb';
        cell.run(runId, c.id, c.label, e.kind, remap ? e.strategy : null, e.kind === 'lmdb' ? null : e.poolPages, remap ? e.personality : null,
          remap ? e.arch : null, remap ? Number(e.mlock) : null, c.describe, c.error, c.seconds, c.committed, c.rolledBack, c.errors, c.txPerSec,
          c.nopm, c.dbBytes, c.rssBytes);
        for (const t of c.types) {
          const l = t.latency;
          type.run(runId, c.id, t.name, t.targetPct, t.achievedPct, t.committed, t.rolledBack, t.errors, l.count, l.meanUs, l.p50Us, l.p90Us,
            l.p95Us, l.p99Us, l.p999Us, l.maxUs);
        }
        if (c.kernel !== null) for (const [name, value] of kernelRows(c.kernel)) kernel.run(runId, c.id, name, value);
        for (const ch of c.checks) check.run(runId, c.id, ch.id, Number(ch.ok), ch.detail);
      }
      return runId;
    });
    return tx();
  }

  /** Runs, newest first. */
  list(limit = 50): RunSummary[] {
    const rows = this.#db.prepare(`SELECT r.run_id AS runId, r.started_at AS startedAt, r.workload, r.params, r.seed, r.sync,
        count(c.cell_id) AS cells, sum(c.error IS NOT NULL) AS failed,
        (SELECT label || ' ' || printf('%.0f', coalesce(nopm, tx_per_s)) || (CASE WHEN nopm IS NULL THEN ' tx/s' ELSE ' NOPM' END)
           FROM cells b WHERE b.run_id = r.run_id AND b.error IS NULL ORDER BY coalesce(nopm, tx_per_s) DESC LIMIT 1) AS best
      FROM runs r LEFT JOIN cells c ON c.run_id = r.run_id GROUP BY r.run_id ORDER BY r.run_id DESC LIMIT ?`).all(limit) as RunSummary[];
    return rows.map((r) => ({ ...r, best: r.best ?? '-' }));
  }

  /** One run as recorded (throws naming the id if there is none). */
  get(runId: number): RunResult {
    const row = this.#db.prepare('SELECT result FROM runs WHERE run_id = ?').pluck().get(runId) as string | undefined;
    if (row === undefined) throw new RangeError(`no run ${runId} in ${this.path}`);
    return JSON.parse(row) as RunResult;
  }

  /** The newest run's id, or null. */
  latest(): number | null {
    return (this.#db.prepare('SELECT max(run_id) FROM runs').pluck().get() as number | null) ?? null;
  }

  close(): void {
    this.#db.close();
  }
}

const CSV_COLUMNS = [
  'run_id', 'workload', 'seed', 'sync', 'cell_id', 'label', 'engine', 'strategy', 'pool_pages', 'personality', 'arch', 'error', 'seconds',
  'cell_tx_per_s', 'cell_nopm', 'type', 'target_pct', 'achieved_pct', 'committed', 'rolled_back', 'errors', 'count', 'mean_us', 'p50_us',
  'p90_us', 'p95_us', 'p99_us', 'p999_us', 'max_us', 'vmas', 'kernel_bytes', 'minor_faults', 'major_faults', 'remaps', 'tlb_shootdowns',
  'swap_outs', 'kernel_ns',
] as const;

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV (RFC 4180): a header, then one line per cell × transaction type. */
export function runToCsv(run: RunResult): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const c of run.cells) {
    const e = c.engine;
    const remap = e.kind === 'remapdb';
    const k = c.kernel;
    const types = c.types.length > 0 ? c.types : [null];
    for (const t of types) {
      const l = t?.latency;
      lines.push([
        run.runId, run.workload.name, run.seed, run.sync, c.id, c.label, e.kind, remap ? e.strategy : null, e.kind === 'lmdb' ? null : e.poolPages,
        remap ? e.personality : null, remap ? e.arch : null, c.error, c.seconds, c.txPerSec, c.nopm, t?.name, t?.targetPct, t?.achievedPct,
        t?.committed, t?.rolledBack, t?.errors, l?.count, l?.meanUs, l?.p50Us, l?.p90Us, l?.p95Us, l?.p99Us, l?.p999Us, l?.maxUs,
        k?.vmas, k?.kernelBytes, k?.minorFaults, k?.majorFaults, k?.remaps, k?.tlbShootdowns, k?.swapOuts, k?.kernelNs,
      ].map(csvField).join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
