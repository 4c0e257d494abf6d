/**
 * The one table of error codes (src/errors.ts): every layer's codes, each once, with the
 * kind of failure it means.
 */
import t from 'tap';
import {
  BufferPoolError, CodedError, ConfigError, DB_CODES, DbError, ERROR_CODES, errorKind, INSPECT_CODES, KernelError, PROGRAM_CODES,
  simKernel, UsageError,
} from '../../src/index.js';
import { CONFIG_ERROR_CODES } from '../../src/config/index.js';
import { POOL_ERROR_CODES } from '../../bufferpool/index.js';

t.test('every code appears once, and every layer table is in it', async (t) => {
  const codes = ERROR_CODES.map((r) => r.code);
  t.equal(new Set(codes).size, codes.length, `${codes.length} codes, no duplicates`);
  const has = new Set(codes);
  for (const c of [...Object.values(DB_CODES), ...Object.values(POOL_ERROR_CODES), ...CONFIG_ERROR_CODES,
    ...Object.values(INSPECT_CODES), ...Object.values(PROGRAM_CODES)]) {
    t.ok(has.has(c), `${c} is in the table`);
  }
  for (const r of ERROR_CODES) {
    if (r.layer === 'host') t.match(r.code, /^E[A-Z]+$/, `${r.code}: an errno name`);
    else t.match(r.code, /^REMAPDB_[A-Z_]+$/, `${r.code}: a REMAPDB_ code`);
  }
});

t.test('one class hierarchy: every coded error is a CodedError', async (t) => {
  const errs: CodedError[] = [
    new KernelError('EIO', 'pread', 'x'), new BufferPoolError(POOL_ERROR_CODES.EXHAUSTED, 'x'), new DbError(DB_CODES.FAILED, 'x'),
    new ConfigError('REMAPDB_CONFIG_FILE', 'x'), new UsageError('x'),
  ];
  for (const e of errs) {
    t.ok(e instanceof CodedError, `${e.constructor.name} is a CodedError`);
    t.ok(e instanceof Error, `${e.constructor.name} is an Error`);
  }
});

t.test('errorKind: the table decides; bugs and unknown codes are plain failures', async (t) => {
  t.equal(errorKind(new UsageError('x')), 'usage');
  t.equal(errorKind(new DbError(DB_CODES.INVALID, 'x')), 'usage');
  t.equal(errorKind(new DbError(DB_CODES.LOCKED, 'x')), 'locked');
  t.equal(errorKind(new DbError(DB_CODES.WAL_CORRUPT, 'x')), 'damaged');
  t.equal(errorKind(new DbError(DB_CODES.FAILED, 'x')), 'failure');
  t.equal(errorKind(new KernelError('ENOSPC', 'pwrite', 'x')), 'io');
  t.equal(errorKind(new KernelError('EINVAL', 'mmap', 'x')), 'failure');
  t.equal(errorKind(new simKernel.KernelAssertionError('invariant broken')), 'failure', 'an assertion is a bug, not a code');
  t.equal(errorKind(new CodedError('REMAPDB_NO_SUCH_CODE', 'x')), 'failure');
  t.equal(errorKind(undefined), 'failure');
});
