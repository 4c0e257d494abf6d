/**
 * Soak: a long TPC-C-like run on remapdb with a buffer pool a tenth of the data, watching
 * for what only time shows — a Node heap or RSS that keeps growing, pool slots, simulated
 * frames, swap slots or file descriptors that leak — and ending with the workload's
 * consistency checks and every layer's invariants.
 *
 *   npx tsx reliability/soak.ts --warehouses 4 --seconds 1800
 *
 * Every --every seconds it records: committed transactions and tx/s, process RSS and
 * V8 heap, open file descriptors (/proc/self/fd), resident pool slots, the simulated
 * kernel's free frames and used swap slots, VMAs. Leak verdicts compare the second half
 * of the run with the first (after warm-up, a bounded process has a flat tail): RSS and
 * heap may not grow by more than --max-growth (default 15 %) from the first half's
 * peak, fds must not grow at all, kernel invariants must hold; then the workload's
 * checks. Exit 0 when all hold, 1 otherwise; --json prints the whole record.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import { failedChecks, runLoad } from '../bench/harness/cell.js';
import { existingImage, imageDir } from '../bench/harness/images.js';
import { measure } from '../bench/harness/measure.js';
import { workloadByName } from '../bench/harness/registry.js';
import type { CheckResult } from '../bench/workloads/types.js';
import { closeStore, DEFAULT_SPEC, openStore, type StrategyName } from '../bench/workloads/stores.js';
import { runScript } from '../bench/lib/script-cli.js';

export interface SoakOptions {
  warehouses: number;
  seconds: number;
  every: number;
  strategy: StrategyName;
  /** Pool slots; 0 = a tenth of the data's pages. */
  poolPages: number;
  seed: number;
  workDir: string;
  maxGrowth: number;
  log: (line: string) => void;
}

export interface SoakSample {
  second: number;
  committed: number;
  txPerSec: number;
  rssMiB: number;
  heapMiB: number;
  fds: number;
  resident: number;
  freeFrames: number;
  swapUsed: number;
  vmas: number;
}

export interface SoakReport {
  options: Omit<SoakOptions, 'log'>;
  dataPages: number;
  poolPages: number;
  samples: SoakSample[];
  committed: number;
  seconds: number;
  checks: CheckResult[];
  verdicts: { id: string; ok: boolean; detail: string }[];
  ok: boolean;
}

function openFds(): number {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

const MiB = 1024 * 1024;

export async function soak(o: SoakOptions): Promise<SoakReport> {
  const wl = workloadByName('tpcc');
  const workload = { name: 'tpcc', params: wl.params({ warehouses: o.warehouses }) as Record<string, unknown> };
  const image = imageDir(path.join(o.workDir, 'images'), workload, 'remapdb');
  if (existingImage(image) === null) {
    o.log(`loading TPC-C-like, ${o.warehouses} warehouse(s) into ${image}`);
    fs.mkdirSync(path.dirname(image), { recursive: true });
    await runLoad({ phase: 'load', workload, seed: 1, dir: image, engine: { ...DEFAULT_SPEC, kind: 'remapdb', poolPages: 16384 } },
      { progress: () => undefined, log: o.log });
  }
  const dir = path.join(o.workDir, 'soak-db');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(image, dir, { recursive: true });
  const dataPages = Math.ceil(fs.statSync(path.join(dir, 'data.rdb')).size / 4096);
  const poolPages = o.poolPages > 0 ? o.poolPages : Math.max(256, Math.floor(dataPages / 10));
  o.log(`soak: ${dataPages} data pages, pool ${poolPages} slots (${((100 * poolPages) / dataPages).toFixed(1)} %), ${o.strategy}, ${o.seconds} s, seed ${o.seed}`);
  const store = openStore(dir, { ...DEFAULT_SPEC, kind: 'remapdb', poolPages, strategy: o.strategy, sync: 'normal' }, false);
  if (store.kind !== 'remapdb') throw new Error('unreachable');
  const db = store.db;
  const samples: SoakSample[] = [];
  let committed = 0;
  let seconds = 0;
  let checks: CheckResult[] = [];
  let invariants = { id: 'invariants', ok: false, detail: 'not reached' };
  try {
    const bound = wl.bind(store, wl.params(workload.params));
    const sample = (second: number, done: number): void => {
      const mem = process.memoryUsage();
      const st = db.stats();
      const vm = db.kernel.vmstatFields();
      const mi = db.kernel.meminfoFields();
      const last = samples[samples.length - 1];
      samples.push({
        second, committed: done, txPerSec: last === undefined ? done / Math.max(second, 1) : (done - last.committed) / Math.max(second - last.second, 1),
        rssMiB: mem.rss / MiB, heapMiB: mem.heapUsed / MiB, fds: openFds(), resident: st.pool.resident, freeFrames: vm.nr_free_pages ?? -1,
        swapUsed: Math.round((mi.SwapTotal - mi.SwapFree) / 4), vmas: st.pool.vmaCount,
      });
      const s = samples[samples.length - 1] as SoakSample;
      o.log(`${String(second).padStart(6)} s  ${Math.round(s.txPerSec)} tx/s  RSS ${s.rssMiB.toFixed(0)} MiB  heap ${s.heapMiB.toFixed(0)} MiB  fds ${s.fds}  ` +
        `resident ${s.resident}  free frames ${s.freeFrames}  swap ${s.swapUsed}`);
    };
    let nextSample = o.every;
    const t0 = performance.now();
    const m = await measure(bound.terminals(o.warehouses, o.seed), wl.txTypes,
      { terminals: o.warehouses, warmupSeconds: 0, durationSeconds: o.seconds, transactions: 0, progressSeconds: 0 }, 'soak', {
        sample(second, done): void {
          if (second >= nextSample) {
            sample(second, done);
            nextSample += o.every;
          }
        },
      });
    seconds = (performance.now() - t0) / 1000;
    committed = m.run.committed.reduce((a, b) => a + b, 0);
    sample(Math.round(seconds), committed);
    if (m.aborted !== null) throw new Error(`soak aborted: ${m.aborted}`);
    const committedByType: Record<string, number> = {};
    wl.txTypes.forEach((t, i) => { committedByType[t.name] = m.run.committed[i] ?? 0; });
    checks = [...bound.check(committedByType)];
    // Slot, frame and swap-slot accounting of every layer (pool free stack, kernel frames, swap map).
    try {
      db.checkInvariants();
      invariants = { id: 'invariants', ok: true, detail: 'pool, pager, trees, catalog, kernel (frames, swap slots) all hold' };
    } catch (err) {
      invariants = { id: 'invariants', ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  } finally {
    await closeStore(store);
  }
  const verdicts = [...leakVerdicts(samples, o.maxGrowth), invariants];
  const failed = failedChecks(checks);
  if (failed !== null) verdicts.push({ id: 'consistency', ok: false, detail: failed });
  else verdicts.push({ id: 'consistency', ok: true, detail: `${checks.length} checks passed` });
  fs.rmSync(dir, { recursive: true, force: true });
  const { log: _log, ...options } = o;
  return { options, dataPages, poolPages, samples, committed, seconds, checks, verdicts, ok: verdicts.every((v) => v.ok) };
}

/** First half's peak against the second half's peak: a leak shows as a tail that keeps climbing. */
export function leakVerdicts(samples: readonly SoakSample[], maxGrowth: number): { id: string; ok: boolean; detail: string }[] {
  if (samples.length < 4) return [{ id: 'samples', ok: false, detail: `${samples.length} samples: run longer (or a shorter --every) to judge leaks` }];
  const half = Math.floor(samples.length / 2);
  const a = samples.slice(0, half);
  const b = samples.slice(half);
  const peak = (xs: readonly SoakSample[], k: 'rssMiB' | 'heapMiB' | 'fds' | 'swapUsed'): number => Math.max(...xs.map((x) => x[k]));
  const grow = (k: 'rssMiB' | 'heapMiB', label: string): { id: string; ok: boolean; detail: string } => {
    const p1 = peak(a, k);
    const p2 = peak(b, k);
    return { id: label, ok: p2 <= p1 * (1 + maxGrowth), detail: `first half peak ${p1.toFixed(0)} MiB, second half peak ${p2.toFixed(0)} MiB (limit +${(maxGrowth * 100).toFixed(0)} %)` };
  };
  const fd1 = peak(a, 'fds');
  const fd2 = peak(b, 'fds');
  const sw1 = peak(a, 'swapUsed');
  const sw2 = peak(b, 'swapUsed');
  return [
    grow('rssMiB', 'RSS bounded'),
    grow('heapMiB', 'V8 heap bounded'),
    { id: 'file descriptors', ok: fd2 <= fd1, detail: `first half ${fd1}, second half ${fd2}` },
    { id: 'swap slots', ok: sw2 <= sw1 * (1 + maxGrowth) + 64, detail: `first half peak ${sw1}, second half peak ${sw2} slots in use` },
  ];
}

async function main(): Promise<void> {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    options: {
      warehouses: { type: 'string', default: '2' }, seconds: { type: 'string', default: '600' }, every: { type: 'string', default: '30' },
      strategy: { type: 'string', default: 'nonlinear' }, 'pool-pages': { type: 'string', default: '0' }, seed: { type: 'string', default: '20261126' },
      'work-dir': { type: 'string', default: path.join(os.tmpdir(), 'remapdb-soak') }, 'max-growth': { type: 'string', default: '0.15' },
      json: { type: 'boolean', default: false },
    },
  });
  const num = (k: keyof typeof values, min: number): number => {
    const n = Number(values[k]);
    if (!Number.isFinite(n) || n < min) throw new RangeError(`--${k} ${String(values[k])}: a number >= ${min}`);
    return n;
  };
  const r = await soak({
    warehouses: num('warehouses', 1), seconds: num('seconds', 1), every: num('every', 1), strategy: values.strategy as StrategyName,
    poolPages: num('pool-pages', 0), seed: num('seed', 1), workDir: String(values['work-dir']), maxGrowth: num('max-growth', 0),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else {
    process.stdout.write(`soak: ${r.committed} transactions in ${r.seconds.toFixed(0)} s (${Math.round(r.committed / r.seconds)} tx/s), ` +
      `pool ${r.poolPages} of ${r.dataPages} data pages\n`);
    for (const v of r.verdicts) process.stdout.write(`  ${v.ok ? 'ok  ' : 'FAIL'} ${v.id}: ${v.detail}\n`);
  }
  process.exitCode = r.ok ? 0 : 1;
}

const USAGE = `
npm run soak -- [options]   (= npx tsx reliability/soak.ts)
A long TPC-C-like run with a pool a tenth of the data: RSS, heap, file descriptors and
swap slots sampled every --every seconds; leak verdicts and the consistency checks at the end.
  --warehouses N     TPC-C warehouses (default 2)
  --seconds S        how long to run (default 600)
  --every S          sample interval (default 30)
  --strategy NAME    nonlinear | multi-mmap | pread (default nonlinear)
  --pool-pages N     pool slots (default 0: a tenth of the data pages)
  --seed N           terminal seed (default 20261126)
  --work-dir DIR     images and the run's copy (default $TMPDIR/remapdb-soak)
  --max-growth F     allowed growth of the second half's peaks over the first's (default 0.15)
  --json             the report as JSON on stdout
Example: npm run soak -- --warehouses 10 --seconds 1800
`;

if (process.argv[1] !== undefined && import.meta.url.endsWith(path.basename(process.argv[1]))) await runScript('soak', USAGE, main);
