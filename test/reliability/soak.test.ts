/**
 * The soak's machinery: leak verdicts on made-up series (a flat tail passes, a climbing
 * one fails, fds may not grow), and a short real soak — TPC-C-like, 1 warehouse, a pool
 * a tenth of the data — whose verdicts and consistency checks must all pass.
 * REMAPDB_SOAK_SECONDS=N makes the real one longer (the README's long run used
 * `npx tsx reliability/soak.ts --warehouses 10 --seconds 1800`).
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import t from 'tap';

import { leakVerdicts, soak, type SoakSample } from '../../reliability/soak.js';

const SECONDS = Number(process.env.REMAPDB_SOAK_SECONDS ?? 8);

function series(n: number, f: (i: number) => Partial<SoakSample>): SoakSample[] {
  return Array.from({ length: n }, (_, i) => ({
    second: i, committed: i * 100, txPerSec: 100, rssMiB: 300, heapMiB: 30, fds: 20, resident: 100, freeFrames: 10, swapUsed: 0, vmas: 2, ...f(i),
  }));
}

t.test('leak verdicts', async (t) => {
  const ok = (s: SoakSample[]): boolean[] => leakVerdicts(s, 0.15).map((v) => v.ok);
  t.same(ok(series(10, (i) => ({ rssMiB: 300 + (i % 3) * 5 }))), [true, true, true, true], 'a flat, noisy tail passes');
  t.same(ok(series(10, (i) => ({ rssMiB: 300 + i * 20 }))), [false, true, true, true], 'a climbing RSS fails');
  t.same(ok(series(10, (i) => ({ heapMiB: 30 + i * 5 }))), [true, false, true, true], 'a climbing heap fails');
  t.same(ok(series(10, (i) => ({ fds: 20 + (i > 6 ? 1 : 0) }))), [true, true, false, true], 'one more fd fails');
  t.same(ok(series(10, (i) => ({ swapUsed: i * 1000 }))), [true, true, true, false], 'swap slots that keep growing fail');
  t.equal(leakVerdicts(series(3, () => ({})), 0.15)[0]?.ok, false, 'too few samples cannot pass');
});

t.test(`a short soak (${SECONDS} s, 1 warehouse, pool a tenth of the data)`, async (t) => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdb-soak-'));
  t.teardown(() => fs.rmSync(workDir, { recursive: true, force: true }));
  const r = await soak({
    warehouses: 1, seconds: SECONDS, every: Math.max(1, Math.floor(SECONDS / 8)), strategy: 'nonlinear', poolPages: 0, seed: 7, workDir,
    maxGrowth: 0.5, log: (l) => t.comment(l),
  });
  t.ok(r.poolPages <= Math.ceil(r.dataPages / 10), `pool ${r.poolPages} of ${r.dataPages} pages`);
  t.ok(r.committed > 0);
  for (const v of r.verdicts) t.ok(v.ok, `${v.id}: ${v.detail}`);
  t.ok(r.checks.length >= 12, 'the TPC-C consistency checks ran');
});
