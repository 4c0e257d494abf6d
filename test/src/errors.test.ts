import t from 'tap';
import { readFileSync } from 'node:fs';
import { KernelError } from '../../sim-kernel/index.js';
import { ConfigError } from '../../src/config/index.js';
import { CodedError, EXIT_CODE_TABLE, EXIT_CODES, REMAPDB_CODES, UsageError, exitCodeFor } from '../../src/errors.js';

t.test('exitCodeFor maps codes through the one table', async (t) => {
  t.equal(exitCodeFor(new UsageError('bad flag')), EXIT_CODES.USAGE);
  t.equal(exitCodeFor(new ConfigError('REMAPDB_CONFIG_INVALID', 'x')), EXIT_CODES.CONFIG);
  t.equal(exitCodeFor(new ConfigError('REMAPDB_CONFIG_PROFILE_UNKNOWN', 'x')), EXIT_CODES.CONFIG);
  t.equal(exitCodeFor(new ConfigError('REMAPDB_CONFIG_FILE', 'x')), EXIT_CODES.CONFIG);
  t.equal(exitCodeFor(new KernelError('EIO', 'pread', 'device error')), EXIT_CODES.IO);
  t.equal(exitCodeFor(Object.assign(new Error('no such file'), { code: 'ENOENT' })), EXIT_CODES.IO, 'Node fs errors');
  t.equal(exitCodeFor({ code: 'EACCES' }), EXIT_CODES.IO);
  t.equal(exitCodeFor(new CodedError(REMAPDB_CODES.CORRUPT, 'bad checksum')), EXIT_CODES.CHECK_FAILED);
  t.equal(exitCodeFor(new CodedError(REMAPDB_CODES.CHECK_FAILED, 'x')), EXIT_CODES.CHECK_FAILED);
  t.equal(exitCodeFor(new CodedError(REMAPDB_CODES.LOCKED, 'x')), EXIT_CODES.LOCKED);
  t.equal(exitCodeFor(new CodedError(REMAPDB_CODES.BENCH_INCONSISTENT, 'x')), EXIT_CODES.BENCH_INCONSISTENT);
  t.equal(exitCodeFor(new KernelError('EINVAL', 'mmap', 'bad length')), EXIT_CODES.FAILURE, 'EINVAL is a caller bug, not I/O');
  t.equal(exitCodeFor(new TypeError('bug')), EXIT_CODES.FAILURE);
  t.equal(exitCodeFor(null), EXIT_CODES.FAILURE);
  t.equal(exitCodeFor('a string'), EXIT_CODES.FAILURE);
  t.equal(exitCodeFor({ code: 42 }), EXIT_CODES.FAILURE);
});

t.test('the exit-code table is consistent and documented in the README', async (t) => {
  t.same(EXIT_CODE_TABLE.map((e) => [e.name, e.code]), Object.entries(EXIT_CODES), 'table rows = EXIT_CODES, in order');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const { code, name } of EXIT_CODE_TABLE) {
    t.match(readme, new RegExp(`\\| ${code} \\| \`?${name}\`? \\|`), `README lists ${code} ${name}`);
  }
});
