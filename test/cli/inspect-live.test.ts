/**
 * The live inspector against a running engine: `remapdb bench` in a child process serves
 * its remapdb cell on an inspection socket; a second process (the real binary) reads the
 * summary, slots, PTEs, asks for a snapshot and watches; malformed and oversized requests
 * get errors while the engine keeps running; a check of the busy database is refused as
 * LOCKED; once the engine is gone the inspector says so.
 */

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import t from 'tap';

import { remapdb, remapdbChild } from './helpers.js';

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (cond()) return true;
    await sleep(100);
  }
  return cond();
}

/** Send raw bytes on the socket and collect response lines until `want` lines or the server closes. */
function raw(path: string, data: string, want: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(path);
    let buf = '';
    const done = (): void => {
      s.destroy();
      resolve(buf.split('\n').filter((l) => l !== ''));
    };
    s.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.split('\n').filter((l) => l !== '').length >= want) done();
    });
    s.on('close', done);
    s.on('error', reject);
    s.write(data);
  });
}

t.test('inspect a running benchmark live from a second process', async (t) => {
  const root = fs.mkdtempSync(join(os.tmpdir(), 'rdb-live-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const sock = join(root, 's.sock');
  const work = join(root, 'work');
  const child = remapdbChild(['bench', 'tpcb', '--scale', '1', '--param', 'accountsPerBranch=5000', '--engines', 'remapdb',
    '--strategies', 'nonlinear', '--warmup', '0', '--duration', '60', '--inspect-socket', sock, '--work-dir', work, '--results', '']);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  let exited = false;
  child.on('exit', () => { exited = true; });
  t.teardown(() => { if (!exited) child.kill('SIGKILL'); });

  t.ok(await waitFor(() => fs.existsSync(sock) && stderr.includes('live inspection on'), 90_000), `the engine serves ${sock}\n${stderr}`);
  t.equal(fs.lstatSync(sock).mode & 0o777, 0o600, 'the socket is owner-only (0600)');

  const sum = remapdb(['inspect', '--live', sock, '--json']);
  t.equal(sum.status, 0, sum.stderr);
  const s = JSON.parse(sum.stdout) as { label: string; strategy: string; buffercache: { buffers_used: number }; kernel: { vmaCount: number } };
  t.equal(s.label, 'live');
  t.equal(s.strategy, 'nonlinear');
  t.ok(s.buffercache.buffers_used > 0, 'pages are resident');
  t.equal(s.kernel.vmaCount, 2, 'one window VMA (and the shadow frames)');

  const slots = JSON.parse(remapdb(['inspect', '--live', sock, '--view', 'slots', '--table', 'pgbench_accounts', '--limit', '3', '--json']).stdout) as
    { rows: { owner: string }[]; matched: number };
  t.ok(slots.rows.length === 3 && slots.rows.every((r) => r.owner === 'pgbench_accounts'), 'slots filtered by table, live');
  const ptes = JSON.parse(remapdb(['kernel', 'ptes', '--live', sock, '--json', '--limit', '2']).stdout) as { mismatched: number; counts: { present: number } };
  t.equal(ptes.mismatched, 0);
  t.ok(ptes.counts.present > 0);
  const text = remapdb(['inspect', '--live', sock]);
  t.match(text.stdout, /^live: .* \(pid \d+\)/);
  t.match(text.stdout, /INNODB_BUFFER_POOL_STATS/);
  const saved = remapdb(['inspect', '--live', sock, '--save', '--json']);
  t.type((JSON.parse(saved.stdout) as { id: number }).id, 'number', 'the engine stored a snapshot on request');

  // Malformed, unknown, bad parameters, oversized: errors, and the engine keeps serving.
  const answers = await raw(sock, 'not json\n{"id":2,"method":"nope"}\n{"id":3,"method":"slots","params":{"limit":"x"}}\n{"id":4,"method":"hello"}\n', 4);
  const codes = answers.map((l) => (JSON.parse(l) as { ok: boolean; error?: { code: string } }).error?.code ?? 'ok');
  t.same(codes, ['REMAPDB_INSPECT_BAD_REQUEST', 'REMAPDB_INSPECT_UNKNOWN_METHOD', 'REMAPDB_INSPECT_BAD_PARAMS', 'ok']);
  const big = await raw(sock, `{"id":5,"method":"summary","params":{"x":"${'a'.repeat(100_000)}"}}\n`, 1);
  t.match(big[0], /REMAPDB_INSPECT_TOO_LARGE/, 'an oversized request is refused');
  t.equal(remapdb(['inspect', '--live', sock, '--json']).status, 0, 'the engine still answers');
  t.notOk(exited, 'the engine is still running');

  // The database is busy: check refuses it as LOCKED.
  const cellDir = join(work, 'cells', fs.readdirSync(join(work, 'cells'))[0] ?? '');
  const locked = remapdb(['check', cellDir]);
  t.equal(locked.status, 6, `check of a running engine's database: LOCKED\n${locked.stderr}`);

  // --watch --json: one line per refresh until Ctrl-C.
  const watcher = remapdbChild(['inspect', '--live', sock, '--watch', '--interval', '0.3', '--json']);
  let lines = '';
  watcher.stdout?.on('data', (d: Buffer) => { lines += d.toString(); });
  await waitFor(() => lines.split('\n').filter((l) => l !== '').length >= 3, 30_000);
  watcher.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => watcher.on('exit', (c) => resolve(c)));
  t.equal(code, 0, '--watch stops cleanly on SIGINT');
  const frames = lines.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { buffercache: unknown });
  t.ok(frames.length >= 3 && frames.every((f) => f.buffercache !== undefined), `${frames.length} refreshes`);

  child.kill('SIGKILL');
  await waitFor(() => exited, 10_000);
  const gone = remapdb(['inspect', '--live', sock]);
  t.equal(gone.status, 4, 'no engine any more: IO');
  t.match(gone.stderr, /^remapdb: no engine is serving/);
});
