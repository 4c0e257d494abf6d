/**
 * remapdb's errors and the one table of CLI exit codes.
 *
 * Every error a caller must handle carries a stable `code` (CodedError): an errno
 * name from sim-kernel or the host ('ENOENT', 'EIO'), or a REMAPDB_* code. The CLI
 * turns a code into an exit status with exitCodeFor(); nothing else picks exit codes.
 *
 * | exit | name               | meaning                                                        |
 * |------|--------------------|----------------------------------------------------------------|
 * | 0    | OK                 | success                                                        |
 * | 1    | FAILURE            | any other failure, including a bug (an uncoded error)          |
 * | 2    | USAGE              | bad command line: unknown command or flag, bad flag value       |
 * | 3    | CONFIG             | configuration invalid, unknown profile, unreadable config file |
 * | 4    | IO                 | an I/O error on a host file (ENOENT, EACCES, EIO, ENOSPC, ...)  |
 * | 5    | CHECK_FAILED       | a consistency check failed or corruption was found             |
 * | 6    | LOCKED             | the database is locked by another process                      |
 * | 7    | BENCH_INCONSISTENT | a benchmark's consistency checks failed after the run          |
 */

import { CodedError } from '../sim-kernel/index.js';

export { CodedError };
export { ConfigError, type ConfigErrorCode } from './config/errors.js';

export const EXIT_CODES = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  CONFIG: 3,
  IO: 4,
  CHECK_FAILED: 5,
  LOCKED: 6,
  BENCH_INCONSISTENT: 7,
} as const;
export type ExitCodeName = keyof typeof EXIT_CODES;
export type ExitCode = (typeof EXIT_CODES)[ExitCodeName];

/** The table above as data, for `remapdb --help` and the README. */
export const EXIT_CODE_TABLE: ReadonlyArray<{ readonly name: ExitCodeName; readonly code: ExitCode; readonly meaning: string }> = [
  { name: 'OK', code: 0, meaning: 'success' },
  { name: 'FAILURE', code: 1, meaning: 'any other failure, including a bug' },
  { name: 'USAGE', code: 2, meaning: 'bad command line: unknown command or flag, bad flag value' },
  { name: 'CONFIG', code: 3, meaning: 'configuration invalid, unknown profile, unreadable config file' },
  { name: 'IO', code: 4, meaning: 'I/O error on a host file (ENOENT, EACCES, EIO, ENOSPC, ...)' },
  { name: 'CHECK_FAILED', code: 5, meaning: 'a consistency check failed or corruption was found' },
  { name: 'LOCKED', code: 6, meaning: 'the database is locked by another process' },
  { name: 'BENCH_INCONSISTENT', code: 7, meaning: "a benchmark's consistency checks failed" },
];

/** Error codes of remapdb's own layers, by the exit status they map to. */
export const REMAPDB_CODES = {
  USAGE: 'REMAPDB_USAGE',
  CORRUPT: 'REMAPDB_CORRUPT',
  CHECK_FAILED: 'REMAPDB_CHECK_FAILED',
  LOCKED: 'REMAPDB_LOCKED',
  BENCH_INCONSISTENT: 'REMAPDB_BENCH_INCONSISTENT',
} as const;

/** errno names that mean "the host's files or devices failed us", not a remapdb bug. */
const IO_ERRNOS: ReadonlySet<string> = new Set([
  'ENOENT', 'EACCES', 'EPERM', 'EIO', 'ENOSPC', 'EDQUOT', 'EROFS', 'EISDIR', 'ENOTDIR', 'EEXIST',
  'ENAMETOOLONG', 'EMFILE', 'ENFILE', 'EFBIG', 'ENXIO', 'ENODEV', 'ETXTBSY', 'ELOOP', 'ENOTEMPTY', 'EXDEV',
]);

const BY_CODE: ReadonlyMap<string, ExitCode> = new Map<string, ExitCode>([
  [REMAPDB_CODES.USAGE, EXIT_CODES.USAGE],
  [REMAPDB_CODES.CORRUPT, EXIT_CODES.CHECK_FAILED],
  [REMAPDB_CODES.CHECK_FAILED, EXIT_CODES.CHECK_FAILED],
  [REMAPDB_CODES.LOCKED, EXIT_CODES.LOCKED],
  [REMAPDB_CODES.BENCH_INCONSISTENT, EXIT_CODES.BENCH_INCONSISTENT],
  // Nothing serves the inspection socket, or it did not answer: like a missing file.
  ['REMAPDB_INSPECT_NOT_RUNNING', EXIT_CODES.IO],
  ['REMAPDB_INSPECT_TIMEOUT', EXIT_CODES.IO],
  ['EADDRINUSE', EXIT_CODES.IO],
  ['REMAPDB_INSPECT_BAD_PARAMS', EXIT_CODES.USAGE],
  ['REMAPDB_PAGE_SIZE_MISMATCH', EXIT_CODES.CHECK_FAILED],
  ['REMAPDB_FOREIGN_FILE', EXIT_CODES.CHECK_FAILED],
  ['REMAPDB_TRUNCATED', EXIT_CODES.CHECK_FAILED],
  ['REMAPDB_WAL_CORRUPT', EXIT_CODES.CHECK_FAILED],
  ['REMAPDB_CATALOG', EXIT_CODES.CHECK_FAILED],
  ['REMAPDB_FORMAT_NEWER', EXIT_CODES.CHECK_FAILED],
  ['REMAPDB_INVALID_ARGUMENT', EXIT_CODES.USAGE],
]);

/** A command-line mistake: exit 2, one line on stderr, no usage dump. */
export class UsageError extends CodedError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(REMAPDB_CODES.USAGE, message, options);
  }
}

/** The exit status for an error, by its `code`; anything uncoded is 1. */
export function exitCodeFor(err: unknown): ExitCode {
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
  if (typeof code !== 'string') return EXIT_CODES.FAILURE;
  const known = BY_CODE.get(code);
  if (known !== undefined) return known;
  if (code.startsWith('REMAPDB_CONFIG_')) return EXIT_CODES.CONFIG;
  if (IO_ERRNOS.has(code)) return EXIT_CODES.IO;
  return EXIT_CODES.FAILURE;
}
