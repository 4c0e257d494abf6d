/**
 * The buffer pool's light face for errors: its error class and code table, importing
 * nothing but sim-kernel's errors face, so a program can classify a failure
 * (src/errors.ts, the CLI's exit codes) without loading the pool (architecture rule 2).
 */

import { CodedError } from '../sim-kernel/errors.js';

export const POOL_ERROR_CODES = {
  EXHAUSTED: 'REMAPDB_POOL_EXHAUSTED',
  CONFIG: 'REMAPDB_POOL_CONFIG',
  FAILED: 'REMAPDB_POOL_FAILED',
  KERNEL: 'REMAPDB_POOL_KERNEL',
  CLOSED: 'REMAPDB_POOL_CLOSED',
  MISUSE: 'REMAPDB_POOL_MISUSE',
  RANGE: 'REMAPDB_POOL_PAGE_RANGE',
} as const;

export class BufferPoolError extends CodedError {}
