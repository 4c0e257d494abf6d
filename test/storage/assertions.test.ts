/**
 * Bugs are assertions (storage/assert.ts): an assertion error is never recorded as the
 * database's sticky failure, not even where an I/O failure is (the automatic checkpoint
 * after a commit), while an I/O failure there still is.
 */

import t from 'tap';

import { BufferPoolAssertionError } from '../../bufferpool/index.js';
import { AssertionFailure, KernelAssertionError } from '../../sim-kernel/index.js';
import { assert, isAssertionError, StorageAssertionError } from '../../storage/assert.js';
import { DB_CODES, DbError } from '../../storage/index.js';
import { codeOf, openDb, SMALL, tempDir } from './helpers/index.js';

t.test('assert throws StorageAssertionError; isAssertionError tells bugs from coded failures', async (t) => {
  t.doesNotThrow(() => assert(true, 'holds'));
  t.throws(() => assert(false, 'broken'), StorageAssertionError);
  t.throws(() => assert(0, () => 'lazy message'), { message: 'storage assertion failed: lazy message' });
  t.ok(isAssertionError(new StorageAssertionError('x')));
  t.ok(isAssertionError(new KernelAssertionError('x')), "the kernel's assertions are bugs too");
  t.ok(isAssertionError(new BufferPoolAssertionError('x')), "the buffer pool's assertions are bugs too");
  for (const e of [new StorageAssertionError('x'), new KernelAssertionError('x'), new BufferPoolAssertionError('x')]) {
    t.ok(e instanceof AssertionFailure, `${e.name} is an AssertionFailure`);
  }
  t.notOk(isAssertionError(new DbError(DB_CODES.FAILED, 'an I/O failure')));
  t.notOk(isAssertionError(new Error('plain')));
  t.equal((new StorageAssertionError('x') as unknown as { code?: unknown }).code, undefined, 'no REMAPDB_* code');
});

/** The WAL's reset is the last step of a checkpoint; a test replaces it on the public `db.wal`. */
function breakReset(db: { wal: object }, err: () => Error): () => void {
  const w = db.wal as { reset?: unknown };
  w.reset = () => {
    throw err();
  };
  return () => delete w.reset;
}

t.test('an assertion error in the automatic checkpoint escapes the commit as itself, and the database stops taking changes', async (t) => {
  for (const [who, bug] of [['storage', () => new StorageAssertionError('injected: checkpoint invariant')],
    ['bufferpool', () => new BufferPoolAssertionError('injected: pool invariant')]] as const) {
    const dir = tempDir(t);
    const db = openDb(t, dir, { ...SMALL, checkpointBytes: 1 });
    const tb = db.createTable<string>('t', { key: ['int'] });
    const restore = breakReset(db, bug);
    const thrown = (() => {
      try {
        tb.insert(1, 'a');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    t.ok(thrown instanceof AssertionFailure, `${who}: the bug reaches the caller as itself (${String(thrown)})`);
    t.equal((thrown as { code?: unknown }).code, undefined, `${who}: not turned into a coded error`);
    t.equal(db.failed, thrown, `${who}: recorded, so the database is fail-stop`);
    t.equal(codeOf(() => tb.insert(2, 'b')), DB_CODES.FAILED, `${who}: the next change is refused`);
    t.equal(tb.get(1), 'a', `${who}: the transaction itself committed`);
    restore();
    db.close();
    const again = openDb(t, dir, SMALL);
    t.equal(again.table<string>('t').get(1), 'a', `${who}: reopening recovers the committed row from the log`);
    again.checkInvariants();
    again.close();
  }
});

t.test('an I/O failure in the automatic checkpoint is recorded: the commit succeeds, the next change fails', async (t) => {
  const db = openDb(t, tempDir(t), { ...SMALL, checkpointBytes: 1 });
  const tb = db.createTable<string>('t', { key: ['int'] });
  const restore = breakReset(db, () => new Error('injected I/O failure'));
  t.doesNotThrow(() => tb.insert(1, 'a'), 'the committed transaction is not reported as failed');
  t.match(db.failed?.message, /injected I\/O failure/, 'recorded as the sticky failure');
  t.equal(codeOf(() => tb.insert(2, 'b')), DB_CODES.FAILED);
  restore();
  db.close();
});
