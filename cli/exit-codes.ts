/**
 * The one table of CLI exit codes. An error's `code` gives its kind (src/errors.ts,
 * ERROR_CODES); the kind gives the exit status. Nothing else picks exit statuses.
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

import { type ErrorKind, errorKind } from '../src/errors.js';

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

const EXIT_FOR_KIND: Readonly<Record<ErrorKind, ExitCode>> = {
  usage: EXIT_CODES.USAGE,
  config: EXIT_CODES.CONFIG,
  io: EXIT_CODES.IO,
  damaged: EXIT_CODES.CHECK_FAILED,
  locked: EXIT_CODES.LOCKED,
  inconsistent: EXIT_CODES.BENCH_INCONSISTENT,
  failure: EXIT_CODES.FAILURE,
};

/** The exit status for an error, by the kind of its `code`; anything uncoded is 1. */
export function exitCodeFor(err: unknown): ExitCode {
  return EXIT_FOR_KIND[errorKind(err)];
}
