/**
 * A job's child process (bench/harness/cell-main.ts) reports a coded error with its code,
 * and runJob raises it again as a CodedError: a missing optional package or a bad
 * parameter in a cell reaches the CLI as the user's error with its exit code, not as
 * "internal error (a bug)" — found by the install test, where lmdb is not installed.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';

import { runJob } from '../../../bench/harness/child.js';
import { CodedError } from '../../../src/index.js';

t.test('a coded error in the child is a CodedError in the parent, with its code and details', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-child-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const err = await runJob({
    phase: 'load', workload: { name: 'tpcb', params: { scale: 1, accountsPerBranch: 100 } }, seed: 1, dir: path.join(dir, 'image'),
    // A pool of 1 slot: open() refuses it with a coded error, inside the child.
    engine: { kind: 'remapdb', sync: 'off', poolPages: 1, strategy: 'pread', personality: 'linux-2.6', arch: 'x86_64', mlock: true, ramBytes: 0,
      sqliteCheckpoint: 'default', lmdbMapBytes: 0 },
  }, 120_000, (l) => lines.push(l)).then(() => null, (e: unknown) => e);
  t.ok(err instanceof CodedError, `a CodedError (${String(err)})`);
  t.match((err as CodedError).code, /^REMAPDB_/, `with the code the child raised (${(err as CodedError).code})`);
  t.match((err as CodedError).message, /\b1\b/, `and its message, naming the value (${(err as CodedError).message})`);
  t.notOk(lines.some((l) => /^\s+at /.test(l)), 'no stack trace logged for the user\'s error');
});
