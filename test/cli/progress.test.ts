/** Progress output of the CLI (cli/render/progress.ts): bars only for a person at a terminal. */

import t from 'tap';

import { createProgress, wantBars } from '../../cli/render/progress.js';

t.test('progress bars only for a person at a terminal', async (t) => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  t.equal(wantBars(false, {}, tty), true);
  t.equal(wantBars(true, {}, tty), false, 'not with --json');
  t.equal(wantBars(false, { CI: 'true' }, tty), false, 'not in CI');
  t.equal(wantBars(false, { TERM: 'dumb' }, tty), false);
  t.equal(wantBars(false, {}, pipe), false, 'not into a pipe');
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => { lines.push(s); return true; }) as typeof process.stderr.write;
  try {
    const p = createProgress(false);
    p.event({ kind: 'load', workload: 'tpcb', engine: 'remapdb', done: 1, total: 2 });
    p.log('a log line');
    p.stop();
    createProgress(false, true).log('quiet');
  } finally {
    process.stderr.write = write;
  }
  t.same(lines, ['a log line\n'], 'without bars: log lines as they come, events dropped, quiet is quiet');
});
