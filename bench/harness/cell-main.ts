/**
 * Child entry of the harness: run one job (cell.ts) in this fresh process and print its
 * result as one JSON line on stdout (progress goes to stderr). One process per job, so
 * one engine's JIT state, garbage and native caches cannot skew another's figures and
 * the parent's memory stays small.
 * Usage: <node + loader flags> cell-main.ts '<Job as JSON>'
 */

import { CodedError } from '../../src/index.js';
import { type Job, runCell, runLoad } from './cell.js';

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
try {
  const out = job.phase === 'load' ? await runLoad(job) : await runCell(job);
  process.stdout.write(`${JSON.stringify({ ok: out })}\n`);
} catch (err) {
  // A coded error (a missing optional package, a full disk) is the user's to act on: its
  // code goes to the parent, which raises it again as a CodedError. Anything else is a
  // bug, and its stack is logged here where it happened.
  if (err instanceof CodedError) {
    process.stdout.write(`${JSON.stringify({ error: err.message, code: err.code, details: err.details })}\n`);
  } else {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
  }
  process.exitCode = 1;
}
