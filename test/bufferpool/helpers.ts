/**
 * Helpers shared by the buffer pool tests (not a test file: tap runs only `*.test.ts`):
 * a machine with a database file torn down with the test, a WAL hook the test controls,
 * error codes, invariant checks, whole-page writes and reads through the pool, and the
 * REMAPDB_SEED override of a seeded test.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Test } from 'tap';

import { type BufferPool, BufferPoolError, type WalHook } from '../../bufferpool/index.js';
import { Kernel, type KernelConfigInput, O_CREAT, O_RDWR, type Process } from '../../sim-kernel/index.js';

import { PS } from '../sim-kernel/helpers.js';

export { caught, mulberry32, PERSONALITIES, PS } from '../sim-kernel/helpers.js';

/** A WAL hook whose durable LSN the test controls; records flushLog calls. */
export class TestWal implements WalHook {
  durable = 0;
  readonly flushes: number[] = [];
  durableLsn(): number {
    return this.durable;
  }
  flushLog(lsn: number): void {
    this.flushes.push(lsn);
    this.durable = Math.max(this.durable, lsn);
  }
}

/** A machine: a kernel, one process, and the database file it has open O_RDWR. */
export interface Machine {
  k: Kernel;
  p: Process;
  fd: number;
  file: string;
}

export interface MachineOptions {
  /** Shut the kernel down with sync at the end of the test (default false: a crash). */
  sync?: boolean;
}

/**
 * A Kernel (4 MiB of RAM unless `cfg` says otherwise) with one process and an empty
 * database file `db` (created O_RDWR) in a fresh host directory. When `t` ends the
 * kernel is shut down (with sync only if asked) and the directory removed.
 */
export function machine(t: Test, cfg: KernelConfigInput = {}, opts: MachineOptions = {}): Machine {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-bp-'));
  const k = new Kernel({ ramBytes: 4 * 1024 * 1024, ...cfg });
  const p = k.spawn();
  const file = path.join(dir, 'db');
  const fd = p.open(file, O_RDWR | O_CREAT, 0o600);
  t.teardown(() => {
    try {
      k.shutdown({ sync: opts.sync === true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  return { k, p, fd, file };
}

/** A machine with a pool over its database file, and the pool's WAL hook. */
export interface PoolEnv {
  k: Kernel;
  p: Process;
  pool: BufferPool;
  wal: TestWal;
  file: string;
}

/** The BufferPoolError code err carries, 'no error' for null, or a description of another error. */
export function poolCode(err: unknown): string {
  return err instanceof BufferPoolError ? err.code : err === null ? 'no error' : `not a BufferPoolError: ${String(err)}`;
}

/** Checks the invariants of the pool and of the kernel under it. */
export function checkAll(env: Pick<PoolEnv, 'pool' | 'k'>): void {
  env.pool.checkInvariants();
  env.k.checkInvariants();
}

/** Fills page `id` with `value` through an exclusive fix, unfixed dirtied. */
export function writePage(pool: BufferPool, id: number, value: number): void {
  const tok = pool.fix(id, 'exclusive');
  const off = pool.offset(tok);
  pool.bytes.fill(value, off, off + PS);
  pool.unfix(tok, true);
}

/** Byte `at` of page `id`, read through a shared fix. */
export function readByte(pool: BufferPool, id: number, at = 0): number {
  const tok = pool.fix(id, 'shared');
  const v = pool.bytes[pool.offset(tok) + at] as number;
  pool.unfix(tok, false);
  return v;
}

/** The seed of a seeded test: REMAPDB_SEED when set (an integer), else `defaultSeed`. */
export function seedFromEnv(defaultSeed: number): number {
  const env = process.env['REMAPDB_SEED'];
  if (env === undefined || env === '') return defaultSeed;
  const n = Number(env);
  if (!Number.isInteger(n)) throw new Error(`REMAPDB_SEED must be an integer, got ${env}`);
  return n >>> 0;
}
