/**
 * Crash test (a): a child process runs transactions and is killed with SIGKILL at a
 * seeded moment, for each buffer-pool strategy and sync mode; the database is then
 * reopened here. The simulated machine lived in the child, so its page cache died with
 * it; the WAL bytes of every acknowledged commit had been handed to the host file
 * (wal.ts: pwrite, then fdatasync at 'full' or sync_file_range at 'normal'/'off'). So at
 * EVERY sync level: every transaction the child acknowledged is present, at most the one
 * in flight beyond it, the history is a gap-free prefix 0..m and kv holds exactly what
 * transactions 0..m wrote (no partial transaction), and the file checks pass.
 * REMAPDB_SEED replays the kill moments. (reliability/kill runs this at scale, with the
 * peers beside it.) */

import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import t from 'tap';

import { open } from '../../src/db.js';
import { mulberry32, tempDir } from './helpers/index.js';

const TSX = import.meta.resolve('tsx');
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crash-child.ts');
const SEED = Number(process.env['REMAPDB_SEED'] ?? 7);
const STRATEGIES = ['nonlinear', 'multi-mmap', 'pread'] as const;
const SYNCS = ['full', 'normal', 'off'] as const;

/** Run the child until it has acknowledged `acks` commits, then SIGKILL it; resolves with the last acknowledged transaction. */
function runAndKill(dir: string, strategy: string, sync: string, acks: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD, dir, strategy, sync], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let last = -1;
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not reach ${acks} acks in 60 s; stderr: ${err}`));
    }, 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith('ack ')) last = Number(line.slice(4));
        if (!killed && last + 1 >= acks) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`child exited ${code}/${signal} before the kill; stderr: ${err}`));
    });
  });
}

t.comment(`seed ${SEED} (replay: REMAPDB_SEED=${SEED})`);
const rnd = mulberry32(SEED);

for (const sync of SYNCS) {
  for (const strategy of STRATEGIES) {
    const acks = 30 + Math.floor(rnd() * 400);
    t.test(`SIGKILL after ${acks} acknowledged commits: ${strategy}, sync ${sync}`, async (t) => {
      const dir = tempDir(t);
      const lastAcked = await runAndKill(dir, strategy, sync, acks);
      const db = open(dir, { strategy, sync, poolPages: 128, shadowPages: 64 });
      try {
        const hist = db.table<number>('history').all().map((r) => r.key as number);
        const m = hist.length - 1;
        t.ok(m >= lastAcked, `every acknowledged commit (0..${lastAcked}) present; recovered 0..${m}`);
        t.ok(m <= lastAcked + 1, `at most the commit in flight beyond the last ack (${lastAcked}), got ${m}`);
        t.same(hist, Array.from({ length: m + 1 }, (_, i) => i), 'the history is a gap-free prefix');
        const expect = new Map<number, number>();
        for (let i = 0; i <= m; i++) expect.set(i % 97, i);
        const kv = new Map(db.table<number>('kv').all().map((r) => [r.key as number, r.value]));
        t.same([...kv.entries()].sort((a, b) => a[0] - b[0]), [...expect.entries()].sort((a, b) => a[0] - b[0]),
          'kv holds exactly what transactions 0..m wrote: no partial transaction');
        db.checkInvariants();
        t.same(db.verifyFile().errors, []);
      } finally {
        db.close();
      }
    });
  }
}
