/**
 * A/B of remapdb's load and point lookups between two checkouts of this repository:
 *   npx tsx bench/perf/ab.ts <tree A> <tree B> [rounds]
 * e.g. a `git worktree add /tmp/before <rev>` beside the working tree. Each round runs the
 * storage suite's load + lookup cell (bench/storage/cell.ts: 1 M rows, 8-byte and integer
 * keys) of both trees, each cell in its own process started from its own tree, the trees
 * alternating which goes first; then prints every figure's values per tree, sorted, so
 * the medians and the spread can be read off. Why beside the perf suite: the engine
 * comparisons there are medians across runs, and run-to-run noise on this machine
 * (±20–40 %) hides a 10–20 % change of one engine; interleaving the two versions in one
 * run cancels most of it. Both trees need their node_modules (a symlink will do).
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

import type { CellResult, CellSpec } from '../storage/cell.js';
import { workload } from '../storage/common.js';

type RunChild = (specs: CellSpec[]) => CellResult[];

const [treeA, treeB, roundsArg = '5'] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (treeA === undefined || treeB === undefined || !Number.isInteger(rounds) || rounds < 1 || rounds > 50) {
  process.stderr.write('usage: npx tsx bench/perf/ab.ts <tree A> <tree B> [rounds 1..50, default 5]\n');
  process.exit(2);
}

async function runnerOf(tree: string): Promise<RunChild> {
  const file = path.resolve(tree, 'bench/storage/report.ts');
  if (!fs.existsSync(file)) throw new Error(`bench/perf/ab: ${tree} has no bench/storage/report.ts (not a remapdb checkout?)`);
  const m = (await import(pathToFileURL(file).href)) as { runChild?: RunChild };
  if (typeof m.runChild !== 'function') throw new Error(`bench/perf/ab: ${file} does not export runChild (a checkout older than 2026-12-08)`);
  return m.runChild;
}

const trees = { A: treeA, B: treeB } as const;
const runners = { A: await runnerOf(treeA), B: await runnerOf(treeB) };
const w = workload();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-ab-'));
const values = new Map<string, number[]>();
const note = (key: string, v: number): void => {
  values.set(key, [...(values.get(key) ?? []), Math.round(v / 1000)]);
};
process.stdout.write(`A = ${path.resolve(trees.A)}\nB = ${path.resolve(trees.B)}\n${rounds} rounds, ${w.rows} rows, load average ${os.loadavg()[0]?.toFixed(2)}\n`);
try {
  for (let r = 0; r < rounds; r++) {
    for (const t of r % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
      for (const engine of ['remapdb', 'remapdb-int'] as const) {
        const dir = path.join(root, `${t}-${engine}-${r}`);
        const [c] = runners[t]([{ engine, phase: 'load', sync: 'full', dir, workload: w }]);
        fs.rmSync(dir, { recursive: true, force: true });
        if (c === undefined || c.error !== null) throw new Error(`bench/perf/ab: ${t} ${engine} round ${r + 1}: ${c?.error ?? 'no result'}`);
        note(`${t} ${engine} load`, c.load?.rowsPerSec ?? NaN);
        for (const l of c.lookups) note(`${t} ${engine} ${l.distribution}`, l.timed.median);
        process.stdout.write(`round ${r + 1} ${t} ${engine}: load ${Math.round((c.load?.rowsPerSec ?? 0) / 1000)} K rows/s, ` +
          `${c.lookups.map((l) => `${l.distribution} ${Math.round(l.timed.median / 1000)} K/s`).join(', ')}\n`);
      }
    }
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
for (const [key, v] of [...values].sort(([a], [b]) => (a < b ? -1 : 1))) {
  process.stdout.write(`${key.padEnd(26)} ${[...v].sort((a, b) => a - b).join(' ')} K\n`);
}
