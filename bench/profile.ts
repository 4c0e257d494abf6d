/**
 * Run one timed benchmark's loop for a while, for a profiler:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts remap.2.6 5
 * then summarise with `npx tsx bench/lib/cpuprofile.ts /tmp/prof/<largest>.cpuprofile`
 * (tsx writes a second, idle profile for its loader thread). Under tsx every function
 * reports line 1; for per-line ticks, compile first and profile the JS:
 *   npx tsc -p . --outDir /tmp/dist && cp package.json /tmp/dist/ &&
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof /tmp/dist/bench/profile.js remap.2.6 5
 * Arguments: a benchmark id (as `bench/run.ts --list` shows) and seconds (default 5).
 */

import { sink } from './lib/harness.js';
import { SUITES } from './suites.js';

const id = process.argv[2];
const seconds = Number(process.argv[3] ?? 5);
const bench = SUITES.flatMap((s) => s.benches).find((b) => b.id === id);
if (bench === undefined || bench.kind !== 'timed' || !(seconds > 0)) {
  process.stderr.write(`usage: bench/profile.ts <timed benchmark id> [seconds]; ids: ${SUITES.flatMap((s) => s.benches)
    .filter((b) => b.kind === 'timed').map((b) => b.id).join(', ')}\n`);
  process.exit(2);
}
const prepared = bench.setup();
const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
let ops = 0;
let acc = sink;
const start = process.hrtime.bigint();
while (process.hrtime.bigint() < end) {
  acc += prepared.run(10000);
  ops += 10000;
}
const s = Number(process.hrtime.bigint() - start) / 1e9;
prepared.verify?.();
prepared.dispose?.();
process.stdout.write(`${id}: ${ops} ops in ${s.toFixed(2)} s = ${(ops / s / 1e6).toFixed(3)} M/s (checksum ${acc % 1000})\n`);
