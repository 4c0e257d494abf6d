/**
 * The directory lock: a second open in this process or another gets REMAPDB_LOCKED naming
 * the holder's pid, release() hands the lock on, and a holder killed with SIGKILL leaves
 * no stale lock (the kernel drops its fcntl lock; nothing needs cleaning).
 */

import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DB_CODES } from '../../../storage/errors.js';
import { LOCK_FILE, LOCK_PID_FILE, acquireDirLock } from '../../../storage/file/lock.js';

/** The metadata clock the lock stamps its holder with (StorageOptions.now): fixed here. */
const CLOCK = (): number => 1_765_000_000_000;

const FIXTURE = fileURLToPath(new URL('../fixtures/lock-child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const CHILD_START_MS = 30_000;

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'remapdb-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Start a child that holds the lock on `dir`; resolves once it says so. */
async function startHolder(t: Test, dir: string): Promise<{ child: ChildProcessWithoutNullStreams; pid: number }> {
  const child = spawn(process.execPath, ['--import', TSX, FIXTURE, 'hold', dir], { stdio: 'pipe' });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`holder silent for ${CHILD_START_MS} ms: ${err}`)), CHILD_START_MS);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^held (\d+)\n/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ child, pid: Number(m[1]) });
      }
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`holder exited (code ${code}, signal ${signal}) before holding: ${err}`));
    });
  });
}

/** Run a child that tries the lock once; returns what it reported. */
function tryInChild(dir: string): { ok: boolean; code?: string; message?: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, FIXTURE, 'try', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`try child failed (status ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { ok: boolean; code?: string; message?: string };
}

t.test('a second open in this process is LOCKED, naming the directory and our pid', async (t) => {
  const dir = tempDir(t);
  const lock = acquireDirLock(dir, CLOCK);
  t.teardown(() => lock.release());
  t.equal(lock.dir, dir);
  t.throws(() => acquireDirLock(dir, CLOCK), {
    code: DB_CODES.LOCKED, message: new RegExp(`${dir} is already open in this process \\(pid ${process.pid}`),
  });

  const link = join(tempDir(t), 'link');
  symlinkSync(dir, link);
  t.throws(() => acquireDirLock(link, CLOCK), { code: DB_CODES.LOCKED }, 'the same directory through a symlink is the same lock');
});

t.test('release() hands the lock on and is idempotent; the sidecar names the holder only while held', async (t) => {
  const dir = tempDir(t);
  const a = acquireDirLock(dir, CLOCK);
  const sidecar: unknown = JSON.parse(readFileSync(join(dir, LOCK_PID_FILE), 'utf8'));
  t.match(sidecar, { pid: process.pid, hostname: hostname(), startedAt: Number });
  a.release();
  a.release();
  t.notOk(existsSync(join(dir, LOCK_PID_FILE)), 'sidecar removed on release');
  const b = acquireDirLock(dir, CLOCK);
  t.ok(existsSync(join(dir, LOCK_PID_FILE)), 'sidecar written by the new holder');
  a.release(); // a stale handle's release must not touch the new holder
  t.throws(() => acquireDirLock(dir, CLOCK), { code: DB_CODES.LOCKED });
  b.release();
  acquireDirLock(dir, CLOCK).release();
});

t.test('a raw SQLite connection in this process is refused too (locks tracked per inode)', async (t) => {
  const dir = tempDir(t);
  const lock = acquireDirLock(dir, CLOCK);
  t.teardown(() => lock.release());
  const raw = new Database(join(dir, LOCK_FILE), { timeout: 0 });
  t.teardown(() => raw.close());
  t.throws(() => raw.exec('BEGIN EXCLUSIVE'), { code: 'SQLITE_BUSY' });
  t.throws(() => raw.prepare('SELECT * FROM holder').all(), { code: 'SQLITE_BUSY' }, 'not even readable: hence lock.pid');
});

t.test('bad directories: missing, a file, a lock file that is not SQLite', async (t) => {
  const dir = tempDir(t);
  t.throws(() => acquireDirLock(join(dir, 'nope'), CLOCK), { code: DB_CODES.INVALID, message: /nope does not exist/ });
  writeFileSync(join(dir, 'file'), 'x');
  t.throws(() => acquireDirLock(join(dir, 'file'), CLOCK), { code: DB_CODES.INVALID, message: /is not a directory/ });
  const junk = join(dir, 'junk');
  mkdirSync(junk);
  writeFileSync(join(junk, LOCK_FILE), 'not a database, just text that is long enough to fill a header.'.repeat(4));
  const e = t.throws(() => acquireDirLock(junk, CLOCK), {
    code: DB_CODES.LOCKED, message: /cannot lock database directory .*not a database/,
  });
  t.match((e as Error).cause, { code: 'SQLITE_NOTADB' }, 'the SQLite error is the cause');
  acquireDirLock(dir, CLOCK).release(); // failures leave nothing registered
});

t.test('a child process holds: LOCKED names its pid; after SIGKILL the lock is free', async (t) => {
  const dir = tempDir(t);
  const { child, pid } = await startHolder(t, dir);
  t.equal(pid, child.pid);
  const e = t.throws(() => acquireDirLock(dir, CLOCK), {
    code: DB_CODES.LOCKED, message: new RegExp(`${dir} is locked by pid ${pid} on `), details: { dir, pid },
  });
  t.match((e as Error).cause, { code: /^SQLITE_BUSY/ });

  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  t.same(await exited, [null, 'SIGKILL']);
  t.ok(existsSync(join(dir, LOCK_PID_FILE)), 'the dead holder left its sidecar behind');
  const lock = acquireDirLock(dir, CLOCK);
  t.match(JSON.parse(readFileSync(join(dir, LOCK_PID_FILE), 'utf8')), { pid: process.pid }, 'sidecar now names us');
  lock.release();
});

t.test('this process holds: a child gets LOCKED naming our pid, then the lock once released', async (t) => {
  const dir = tempDir(t);
  const lock = acquireDirLock(dir, CLOCK);
  const r = tryInChild(dir);
  t.match(r, { ok: false, code: DB_CODES.LOCKED, message: new RegExp(`locked by pid ${process.pid} `) });
  lock.release();
  t.same(tryInChild(dir), { ok: true });
});
