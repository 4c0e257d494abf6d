/**
 * Child entry of the storage suite: run cells (one engine each) in this fresh process,
 * in order, and print their CellResults as one JSON array on one line of stdout, so one
 * engine's JIT state, garbage and native caches cannot skew another's figures (as
 * bench/run.ts isolates benchmarks). The full run passes one cell per process; --quick
 * passes all of one engine's cells to one process, to stay within its time budget.
 * Usage: <node + loader flags> cell-main.ts '<CellSpec[] as JSON>'
 */

import { type CellResult, type CellSpec, failedCell, runCell } from './cell.js';

const specs = JSON.parse(process.argv[2] ?? '[]') as CellSpec[];
const engines = new Set(specs.map((s) => s.engine));
if (engines.size > 1) throw new Error(`storage cell-main: one engine per process; got ${[...engines].join(', ')}`);
const results: CellResult[] = [];
for (const spec of specs) {
  try {
    results.push(await runCell(spec));
  } catch (err) {
    process.stderr.write(`storage cell ${spec.engine} ${spec.phase} ${spec.sync} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    results.push(failedCell(spec, err));
    // The next cells of this engine need what this one should have left (the loaded table).
    if (spec.phase === 'load') break;
  }
}
process.stdout.write(`${JSON.stringify(results)}\n`);
