/**
 * Helpers for the storage engine's tests (not a test file): a database directory torn
 * down with the test, opening a database on its own small machine, error codes, and a
 * power failure followed by a reopen on a fresh machine.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';

import type { Test } from 'tap';

import { open, type OpenOptions } from '../../../src/db.js';
import type { Database } from '../../../storage/index.js';

import { caught } from '../../sim-kernel/helpers.js';

export { caught, mulberry32 } from '../../sim-kernel/helpers.js';

/** A fresh host directory removed when `t` ends. */
export function tempDir(t: Test, prefix = 'remapdb-db-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Small machines: 32 MiB of RAM, a 256-page pool, 128 shadow pages unless opts say otherwise. */
export const SMALL: OpenOptions = { kernel: { ramBytes: 32 * 1024 * 1024 }, poolPages: 256, shadowPages: 128, checkDeclaredWrites: true };

/** Open a database that is closed (or powered off) when `t` ends if the test did not. */
export function openDb(t: Test, dir: string, opts: OpenOptions = {}): Database {
  const db = open(dir, { ...SMALL, ...opts });
  t.teardown(() => {
    if (!db.closed) db.simulatePowerFailure();
  });
  return db;
}

/** The `code` of what fn throws ('no error' if nothing). */
export function codeOf(fn: () => unknown): string {
  const err = caught(fn);
  if (err === null) return 'no error';
  return String((err as { code?: unknown }).code ?? `uncoded: ${(err as Error).message}`);
}

const FORMAT1_FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'format1');

/** A copy of a format 1 fixture database (fixtures/format1/README.md) in a temporary directory. */
export function format1Fixture(t: Test, variant: 'clean' | 'wal'): string {
  const dir = tempDir(t, `remapdb-format1-${variant}-`);
  for (const f of ['data.rdb', 'wal.rdb', 'meta.sqlite']) {
    fs.writeFileSync(path.join(dir, f), zlib.gunzipSync(fs.readFileSync(path.join(FORMAT1_FIXTURES, variant, `${f}.gz`))));
  }
  return dir;
}
