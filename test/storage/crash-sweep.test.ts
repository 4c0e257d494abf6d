/**
 * Crash sweeps: a short seeded workload (upserts, deletes, an overflow value, automatic
 * and manual checkpoints) runs under sync 'full'; the simulated machine loses power at
 * its 1st, 2nd, … host write (clean or torn) and at its 1st, 2nd, … fsync, for each
 * buffer-pool strategy. After each cut the directory is reopened on a new machine and
 * must hold every acknowledged commit, plus at most the one commit in flight, and
 * nothing of any other; every page checksum must verify and every invariant hold.
 * Torn page writes are repaired from the WAL's full page images.
 *
 * REMAPDB_SEED replays a workload. By default the sweep cuts at every 3rd I/O (about 20 s
 * per strategy); REMAPDB_SWEEP_STRIDE=1 cuts at every one.
 */

import * as path from 'node:path';

import t, { type Test } from 'tap';

import { Kernel } from '../../sim-kernel/index.js';
import { type Database, DB_CODES } from '../../storage/index.js';
import { open } from '../../src/db.js';
import { codeOf, mulberry32, tempDir } from './helpers/index.js';

const SEED = Number(process.env['REMAPDB_SEED'] ?? 20261126);
const STRIDE = Number(process.env['REMAPDB_SWEEP_STRIDE'] ?? 3);
const STRATEGIES = ['nonlinear', 'multi-mmap', 'pread'] as const;
type Strategy = (typeof STRATEGIES)[number];

type Model = Map<number, string>;
type Op = { kind: 'put'; key: number; value: string } | { kind: 'del'; key: number };

/** The workload: transactions of ops, and where to checkpoint by hand. Deterministic from the seed. */
function workload(seed: number): { txns: Op[][]; checkpointAfter: Set<number> } {
  const rnd = mulberry32(seed);
  const txns: Op[][] = [];
  for (let i = 0; i < 24; i++) {
    const ops: Op[] = [];
    const n = 1 + Math.floor(rnd() * 6);
    for (let j = 0; j < n; j++) {
      const key = Math.floor(rnd() * 400);
      if (rnd() < 0.2) ops.push({ kind: 'del', key });
      else {
        const big = rnd() < 0.04;
        ops.push({ kind: 'put', key, value: `${i}.${j}:`.padEnd(big ? 9000 : 20 + Math.floor(rnd() * 200), 'x') });
      }
    }
    txns.push(ops);
  }
  return { txns, checkpointAfter: new Set([7, 15]) };
}

function apply(m: Model, ops: Op[]): void {
  for (const op of ops) {
    if (op.kind === 'put') m.set(op.key, op.value);
    else m.delete(op.key);
  }
}

function openOn(kernel: Kernel, dir: string, strategy: Strategy, checkpointBytes = 24 * 1024): Database {
  return open(dir, { kernel, strategy, sync: 'full', poolPages: 48, shadowPages: 32, checkpointBytes, checkDeclaredWrites: true });
}

interface RunResult {
  acked: Model;
  /** The model with the transaction in flight at the cut applied too (null: none was). */
  withInFlight: Model | null;
  crashed: boolean;
}

/** Run the workload until an error; the machine is then abandoned (power failure). */
function run(dir: string, strategy: Strategy, cut: ((k: Kernel) => void) | null): RunResult & { writes: number; fsyncs: number } {
  const kernel = new Kernel({ ramBytes: 16 * 1024 * 1024 });
  cut?.(kernel);
  const acked: Model = new Map();
  let withInFlight: Model | null = null;
  let db: Database | null = null;
  let crashed = false;
  try {
    db = openOn(kernel, dir, strategy);
    const d = db;
    const tb = d.tables().includes('kv') ? d.table<string>('kv') : d.createTable<string>('kv', { key: ['int'], value: 'string' });
    const { txns, checkpointAfter } = workload(SEED);
    for (let i = 0; i < txns.length; i++) {
      const ops = txns[i] as Op[];
      withInFlight = new Map(acked);
      apply(withInFlight, ops);
      d.transaction(() => {
        for (const op of ops) {
          if (op.kind === 'put') tb.upsert(op.key, op.value);
          else tb.delete(op.key);
        }
      })();
      apply(acked, ops);
      withInFlight = null;
      if (checkpointAfter.has(i)) d.checkpoint();
    }
    d.close();
  } catch (err) {
    crashed = true;
    const code = (err as { code?: string }).code;
    if (code !== DB_CODES.FAILED && code !== 'EIO' && code !== 'REMAPDB_POOL_FAILED' && code !== 'REMAPDB_POOL_KERNEL' &&
      code !== DB_CODES.CATALOG) {
      throw err;
    }
  } finally {
    if (db !== null && !db.closed) db.simulatePowerFailure();
    else if (db === null || crashed) kernel.shutdown({ sync: false });
  }
  const f = kernel.core.faults;
  return { acked, withInFlight, crashed, writes: f.seen.write, fsyncs: f.seen.fsync };
}

function sameAs(rows: Map<number, string>, m: Model): boolean {
  if (rows.size !== m.size) return false;
  for (const [k, v] of m) if (rows.get(k) !== v) return false;
  return true;
}

function verifyReopen(t: Test, dir: string, strategy: Strategy, r: RunResult, label: string): boolean {
  const kernel = new Kernel({ ramBytes: 16 * 1024 * 1024 });
  let db: Database;
  try {
    db = openOn(kernel, dir, strategy);
  } catch (err) {
    kernel.shutdown({ sync: false });
    t.fail(`${label}: reopen failed: ${(err as Error).message}`, { seed: SEED });
    return false;
  }
  try {
    const rows = new Map<number, string>();
    if (db.tables().includes('kv')) for (const row of db.table<string>('kv').range()) rows.set(row.key as number, row.value);
    const ok = sameAs(rows, r.acked) || (r.withInFlight !== null && sameAs(rows, r.withInFlight));
    if (!ok) {
      t.fail(`${label}: recovered ${rows.size} rows, acknowledged ${r.acked.size}` +
        `${r.withInFlight === null ? '' : ` (${r.withInFlight.size} with the commit in flight)`}`, { seed: SEED });
      return false;
    }
    const errors = db.verifyFile().errors;
    if (errors.length > 0) {
      t.fail(`${label}: page checksums after recovery: ${JSON.stringify(errors)}`);
      return false;
    }
    db.checkInvariants();
    db.close();
  } finally {
    if (!db.closed) db.simulatePowerFailure();
  }
  return true;
}

t.comment(`seed ${SEED} (replay: REMAPDB_SEED=${SEED})`);

for (const strategy of STRATEGIES) {
  t.test(`power cut at every host write and fsync: ${strategy}`, async (t) => {
    const root = tempDir(t);
    const dry = run(path.join(root, 'dry'), strategy, null);
    t.notOk(dry.crashed, 'the workload runs clean without faults');
    t.ok(verifyReopen(t, path.join(root, 'dry'), strategy, dry, 'clean run'));
    t.comment(`${strategy}: ${dry.writes} host writes, ${dry.fsyncs} fsyncs in the workload`);
    let runs = 0;
    let failures = 0;
    const cases: { kind: 'write' | 'fsync'; n: number; torn: boolean }[] = [];
    for (let n = 1; n <= dry.writes; n += STRIDE) cases.push({ kind: 'write', n, torn: false }, { kind: 'write', n, torn: true });
    for (let n = 1; n <= dry.fsyncs; n += STRIDE) cases.push({ kind: 'fsync', n, torn: false });
    for (const c of cases) {
      const dir = path.join(root, `${c.kind}-${c.n}-${c.torn ? 't' : 'c'}`);
      const r = run(dir, strategy, (k) => k.core.faults.powerCutAt(c.kind, c.n, c.torn));
      runs++;
      if (!verifyReopen(t, dir, strategy, r, `${strategy}: cut at ${c.kind} #${c.n}${c.torn ? ' (torn)' : ''}`)) failures++;
      if (failures > 3) break;
    }
    t.equal(failures, 0, `${runs} power cuts, every one recovered`);
  });
}

t.test('a torn data-page write at a checkpoint is repaired from the WAL', async (t) => {
  const dir = tempDir(t);
  const kernel = new Kernel({ ramBytes: 16 * 1024 * 1024 });
  let db = openOn(kernel, dir, 'pread', 0);
  const tb = db.createTable<string>('kv', { key: ['int'], value: 'string' });
  db.transaction(() => {
    for (let i = 0; i < 300; i++) tb.insert(i, 'a'.repeat(50));
  })();
  db.checkpoint();
  db.transaction(() => {
    for (let i = 0; i < 300; i += 2) tb.update(i, 'b'.repeat(50));
  })();
  // The first host write of the next checkpoint is a data page: tear it (no power cut).
  kernel.core.faults.failNth('write', 1, 'torn');
  t.equal(codeOf(() => db.checkpoint()), DB_CODES.FAILED, 'the checkpoint fails: the torn write is reported');
  t.equal(codeOf(() => tb.insert(1000, 'x')), DB_CODES.FAILED, 'and the failure is sticky');
  db.close();
  kernel.shutdown({ sync: false });
  const k2 = new Kernel({ ramBytes: 16 * 1024 * 1024 });
  db = openOn(k2, dir, 'pread', 0);
  t.ok(db.stats().recovered.transactions >= 1, 'recovery redid the transaction from the WAL');
  t.same(db.verifyFile().errors, [], 'the torn page was rewritten from its full image');
  const rows = db.table<string>('kv').all();
  t.equal(rows.length, 300);
  t.ok(rows.every((r) => r.value === ((r.key as number) % 2 === 0 ? 'b' : 'a').repeat(50)), 'every committed update present');
  db.checkInvariants();
  db.close();
  k2.shutdown({ sync: true });
});
