/**
 * remapdb's errors: one class hierarchy and one table of codes.
 *
 * Every error a caller must handle is a CodedError (sim-kernel/errors.ts) with a stable
 * `code`, a message naming the value and the limit, and `details`:
 *
 *   CodedError
 *   ├── KernelError, SegvError, BusError   errno names: 'EINVAL', 'ENOMEM', 'EIO', …   (sim-kernel)
 *   ├── BufferPoolError                    REMAPDB_POOL_*                               (bufferpool)
 *   ├── DbError                            REMAPDB_* of the engine                      (storage)
 *   ├── ConfigError                        REMAPDB_CONFIG_*                             (src/config)
 *   └── UsageError                         REMAPDB_USAGE                                (here)
 *
 * Each code is defined once, in the layer that raises it; ERROR_CODES below gathers them
 * into the one table, with the kind of failure each means. A bug is not in the table:
 * it is an AssertionFailure (KernelAssertionError, BufferPoolAssertionError,
 * StorageAssertionError), never a coded error.
 * The CLI turns kinds into exit statuses (cli/exit-codes.ts); nothing else picks them.
 */

import { CodedError } from '../sim-kernel/errors.js';
import { POOL_ERROR_CODES } from '../bufferpool/errors.js';
import { DB_CODES } from '../storage/errors.js';
import { CONFIG_ERROR_CODES } from './config/errors.js';
import { INSPECT_CODES, VIEW_CODES } from './inspect/errors.js';

export { CodedError };
export { ConfigError, type ConfigErrorCode } from './config/errors.js';

/** Codes of the programs built on the library (the CLI, the benchmarks). */
export const PROGRAM_CODES = {
  /** A bad command line: unknown command or flag, bad flag value. */
  USAGE: 'REMAPDB_USAGE',
  /** `remapdb check` found a failed check. */
  CHECK_FAILED: 'REMAPDB_CHECK_FAILED',
  /** A benchmark's consistency checks failed after its run. */
  BENCH_INCONSISTENT: 'REMAPDB_BENCH_INCONSISTENT',
  /** An optional package (lmdb, vega, hdr-histogram-js: the peers, the report, the
   * latency histograms) is not installed; the message names the npm install to run. */
  MISSING_DEPENDENCY: 'REMAPDB_MISSING_DEPENDENCY',
} as const;

/**
 * The codes the CLI and the benchmarks raise or test for by name. Not a table of their
 * own: each entry is the layer's definition.
 */
export const REMAPDB_CODES = {
  USAGE: PROGRAM_CODES.USAGE,
  CHECK_FAILED: PROGRAM_CODES.CHECK_FAILED,
  BENCH_INCONSISTENT: PROGRAM_CODES.BENCH_INCONSISTENT,
  MISSING_DEPENDENCY: PROGRAM_CODES.MISSING_DEPENDENCY,
  CORRUPT: DB_CODES.CORRUPT,
  LOCKED: DB_CODES.LOCKED,
} as const;

/**
 * What a failure means to whoever handles it:
 * - usage: the caller passed something not allowed (a flag, an option, a parameter);
 * - config: the configuration cannot be loaded or is not valid;
 * - io: a host file, device or socket failed us or is not there;
 * - damaged: a file is corrupt, foreign, truncated or newer than this engine;
 * - locked: another open holds the database;
 * - inconsistent: a benchmark's consistency checks failed;
 * - failure: anything else a caller must handle (a full pool, a failed database, …).
 */
export type ErrorKind = 'usage' | 'config' | 'io' | 'damaged' | 'locked' | 'inconsistent' | 'failure';

/** One row of the table. */
export interface ErrorCodeInfo {
  readonly code: string;
  /** The layer that defines and raises it. */
  readonly layer: 'sim-kernel' | 'bufferpool' | 'storage' | 'src/config' | 'src/inspect' | 'programs' | 'host';
  readonly kind: ErrorKind;
}

/** The kinds of the codes that are not plain failures. */
const KIND_OF: ReadonlyMap<string, ErrorKind> = new Map<string, ErrorKind>([
  [PROGRAM_CODES.USAGE, 'usage'],
  [DB_CODES.INVALID, 'usage'],
  [DB_CODES.UNKNOWN_OPTION, 'usage'],
  [DB_CODES.NOT_DIRECTORY, 'usage'],
  [DB_CODES.FOREIGN_DIRECTORY, 'usage'],
  [VIEW_CODES.BAD_PARAMS, 'usage'],
  [PROGRAM_CODES.CHECK_FAILED, 'damaged'],
  [DB_CODES.CORRUPT, 'damaged'],
  [DB_CODES.FOREIGN, 'damaged'],
  [DB_CODES.NEWER, 'damaged'],
  [DB_CODES.PAGE_SIZE, 'damaged'],
  [DB_CODES.TRUNCATED, 'damaged'],
  [DB_CODES.WAL_CORRUPT, 'damaged'],
  [DB_CODES.CATALOG, 'damaged'],
  [DB_CODES.LOCKED, 'locked'],
  [PROGRAM_CODES.BENCH_INCONSISTENT, 'inconsistent'],
  // Nothing serves the inspection socket, or it did not answer: like a missing file.
  [INSPECT_CODES.NOT_RUNNING, 'io'],
  [INSPECT_CODES.TIMEOUT, 'io'],
  ...CONFIG_ERROR_CODES.map((c): [string, ErrorKind] => [c, 'config']),
]);

/**
 * errno names that mean "the host's files, devices or sockets failed us", not a remapdb
 * bug (EINVAL, EFAULT, … from sim-kernel are a caller's mistake: plain failures).
 */
export const IO_ERRNOS: readonly string[] = [
  'ENOENT', 'EACCES', 'EPERM', 'EIO', 'ENOSPC', 'EDQUOT', 'EROFS', 'EISDIR', 'ENOTDIR', 'EEXIST',
  'ENAMETOOLONG', 'EMFILE', 'ENFILE', 'EFBIG', 'ENXIO', 'ENODEV', 'ETXTBSY', 'ELOOP', 'ENOTEMPTY', 'EXDEV',
  'EADDRINUSE',
];

function rows(layer: ErrorCodeInfo['layer'], codes: Iterable<string>): ErrorCodeInfo[] {
  return [...codes].map((code) => ({ code, layer, kind: KIND_OF.get(code) ?? 'failure' }));
}

/** The one table: every REMAPDB_* code, by the layer that defines it, and the host errnos that are I/O. */
export const ERROR_CODES: readonly ErrorCodeInfo[] = [
  ...rows('bufferpool', Object.values(POOL_ERROR_CODES)),
  ...rows('storage', Object.values(DB_CODES)),
  ...rows('src/config', CONFIG_ERROR_CODES),
  ...rows('src/inspect', [...Object.values(INSPECT_CODES), ...Object.values(VIEW_CODES)]),
  ...rows('programs', Object.values(PROGRAM_CODES)),
  ...IO_ERRNOS.map((code): ErrorCodeInfo => ({ code, layer: 'host', kind: 'io' })),
];

const BY_CODE: ReadonlyMap<string, ErrorKind> = new Map(ERROR_CODES.map((r) => [r.code, r.kind]));

/**
 * The kind of failure `err` is, by its `code`: a code in the table has its kind; an
 * uncoded error (a bug, an assertion) or an unknown code is a plain failure.
 */
export function errorKind(err: unknown): ErrorKind {
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
  if (typeof code !== 'string') return 'failure';
  return BY_CODE.get(code) ?? 'failure';
}

/** A command-line mistake: exit 2, one line on stderr, no usage dump. */
export class UsageError extends CodedError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(PROGRAM_CODES.USAGE, message, options);
  }
}
