/**
 * The process the kill test kills (round.ts spawns it with this process's loader flags,
 * so it runs from source under tsx). It opens the configuration's database — recovering
 * whatever the last kill left — and commits the workload (workload.ts) from the key
 * after the largest present, reporting each step on stdout (protocol.ts) with a
 * synchronous write before going on, until the parent's SIGKILL lands.
 *
 * The loop never yields to the event loop: a kill is the only way out, and nothing
 * else runs between a commit returning and its `ack`.
 *
 *   node [loader flags] reliability/kill/child.ts '<ChildJob JSON>'
 */

import * as fs from 'node:fs';

import { type ChildEvent, type ChildJob, formatEvent } from './protocol.js';
import { engineOf } from './stores/index.js';

const STDOUT_FD = 1;
/** How long an idle child waits to be killed before it exits on its own (a lost parent). */
const IDLE_EXIT_MS = 60_000;

/** write(2) the whole line; a pipe the parent is slow to drain may take it in parts. */
function say(e: ChildEvent): void {
  const buf = Buffer.from(formatEvent(e));
  let done = 0;
  while (done < buf.length) {
    try {
      done += fs.writeSync(STDOUT_FD, buf, done, buf.length - done);
    } catch (err) {
      // A non-blocking pipe that is full: try again (the parent reads continuously).
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined) throw new Error('usage: child.ts <ChildJob JSON>');
  const job = JSON.parse(arg) as ChildJob;
  const engine = await engineOf(job.config.engine);
  say({ kind: 'opening' });
  const store = engine.open(job.dir, job.config, { checkpointBytes: job.checkpointBytes });
  const first = store.nextKey();
  say({ kind: 'start', n: first });
  const every = job.checkpointEvery;
  for (let i = first; i <= job.lastKey; i++) {
    if (store.checkpointDue?.() === true) say({ kind: 'auto', n: i });
    store.commit(i);
    say({ kind: 'ack', n: i });
    if (every > 0 && store.checkpoint !== null && (i - first + 1) % every === 0) {
      say({ kind: 'ckpt', n: i });
      store.checkpoint();
      say({ kind: 'ckpt-done', n: i });
    }
  }
  say({ kind: 'idle', n: job.lastKey });
  setTimeout(() => process.exit(0), IDLE_EXIT_MS);
}

await main();
