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

t.test('an assertion error in the automatic checkpoint escapes the commit and is not recorded', async (t) => {
  const db = openDb(t, tempDir(t), { ...SMALL, checkpointBytes: 1 });
  const tb = db.createTable<string>('t', { key: ['int'] });
  const restore = breakReset(db, () => new StorageAssertionError('injected: checkpoint invariant'));
  t.throws(() => tb.insert(1, 'a'), StorageAssertionError, 'the bug reaches the caller');
  t.equal(db.failed, null, 'not a sticky REMAPDB_FAILED');
  restore();
  const restorePool = breakReset(db, () => new BufferPoolAssertionError('injected: pool invariant'));
  t.throws(() => tb.insert(100, 'b'), BufferPoolAssertionError, "a buffer pool's bug reaches the caller too");
  t.equal(db.failed, null, 'and is not recorded either');
  restorePool();
  t.equal(tb.get(1), 'a', 'the transaction itself committed');
  tb.insert(2, 'b');
  db.checkInvariants();
  db.close();
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
