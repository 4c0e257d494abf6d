/**
 * Profile one engine's workload — the loops of the storage suite, without the timer or
 * the child processes — with V8's CPU profiler started only around the profiled part
 * (node:inspector), so the load does not drown a lookup profile:
 *   npx tsx bench/storage/profile.ts <what> [engine] [rows] [seconds]
 * writes <tmpdir>/remapdb-storage-<what>-<engine>.cpuprofile (path printed); summarise it
 * with `npx tsx bench/lib/cpuprofile.ts <file> 30`. Under tsx every function reports
 * line 1 (see bench/profile.ts for compiling first to get lines).
 *   what     load | lookup-uniform | lookup-zipfian | update-off | update-normal | update-full
 *   engine   remapdb (default) | remapdb-int | sqlite | lmdb
 *   rows     table size (default 1,000,000)
 *   seconds  how long to run the measured loop (default 5; load runs once)
 * The table is loaded first in every case (for `load` that is the profiled part); the
 * loop after it runs for `seconds`. Data lives under os.tmpdir() and is removed.
 */

import * as fs from 'node:fs';
import { Session } from 'node:inspector';
import * as os from 'node:os';
import * as path from 'node:path';

import { SEED } from './common.js';
import { ENGINES, type EngineName, openEngine, SYNC_MODES, type SyncMode } from './engine.js';
import { keySequence } from './zipfian.js';

const WHATS = ['load', 'lookup-uniform', 'lookup-zipfian', ...SYNC_MODES.map((s) => `update-${s}`)];
const [what = '', engineArg = 'remapdb', rowsArg = '1000000', secondsArg = '5'] = process.argv.slice(2);
const engine = engineArg as EngineName;
const rows = Number(rowsArg);
const seconds = Number(secondsArg);
if (!WHATS.includes(what) || ![...ENGINES, 'remapdb-int'].includes(engine) || !Number.isInteger(rows) || rows < 2 || !(seconds > 0)) {
  process.stderr.write(`usage: bench/storage/profile.ts <${WHATS.join(' | ')}> [${[...ENGINES, 'remapdb-int'].join(' | ')}] [rows] [seconds]\n`);
  process.exit(2);
}

const BATCH = 10_000;
const session = new Session();
session.connect();
const post = (method: string, params: object = {}): Promise<unknown> => new Promise((resolve, reject) => {
  session.post(method, params, (err, result) => (err === null ? resolve(result) : reject(err)));
});
async function startProfile(): Promise<void> {
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
}
async function stopProfile(): Promise<void> {
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  const file = path.join(os.tmpdir(), `remapdb-storage-${what}-${engine}.cpuprofile`);
  fs.writeFileSync(file, JSON.stringify(profile));
  process.stdout.write(`profile: ${file}\n`);
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-profile-'));
const dir = path.join(root, engine);
try {
  const sync: SyncMode = what.startsWith('update-') ? (what.slice('update-'.length) as SyncMode) : 'full';
  let e = await openEngine(engine, { dir, sync: 'full', create: true });
  if (what === 'load') await startProfile();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rows; i += BATCH) e.loadBatch(i, Math.min(rows, i + BATCH));
  const loadS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (what === 'load') await stopProfile();
  process.stdout.write(`${engine} load ${rows} rows: ${loadS.toFixed(2)} s = ${(rows / loadS / 1e3).toFixed(1)} K rows/s\n`);
  if (what !== 'load') {
    if (sync !== 'full') {
      await e.close();
      e = await openEngine(engine, { dir, sync, create: false });
      e.scan();
    }
    const seq = keySequence(what === 'lookup-zipfian' ? 'zipfian' : 'uniform', rows, 1 << 20, SEED);
    const mask = seq.length - 1;
    await startProfile();
    const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
    const s0 = process.hrtime.bigint();
    let n = 0;
    let acc = 0;
    while (process.hrtime.bigint() < end) {
      for (let k = 0; k < 1000; k++, n++) {
        const i = seq[n & mask] as number;
        if (what.startsWith('lookup')) acc += e.get(i)?.[7] ?? 0;
        else acc += e.update(i);
      }
    }
    const s = Number(process.hrtime.bigint() - s0) / 1e9;
    await stopProfile();
    process.stdout.write(`${engine} ${what}: ${n} ops in ${s.toFixed(2)} s = ${(n / s / 1e3).toFixed(1)} K/s (checksum ${acc % 1000})\n`);
  }
  await e.close();
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
