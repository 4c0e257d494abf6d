/**
 * Bugs are assertions (STYLE.md practice 2): the one assertion function of the storage
 * layer. A failed assertion is an engine bug, never an outcome a caller handles: it carries
 * no REMAPDB_* code, is never recorded as a sticky failure and is never caught to carry on
 * (Database rethrows it: isAssertionError). Coded errors (errors.ts) are for what a caller
 * must handle; damaged bytes read from a file are REMAPDB_CORRUPT, never an assertion.
 */

import { AssertionFailure } from '../sim-kernel/index.js';

/** An engine bug detected in storage. Has no `code`, on purpose. */
export class StorageAssertionError extends AssertionFailure {
  constructor(message: string) {
    super('storage', message);
    this.name = 'StorageAssertionError';
  }
}

/** Crash loudly with what broke unless `cond` holds. */
export function assert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new StorageAssertionError(typeof message === 'string' ? message : message());
}

/**
 * Whether `err` is a bug found by an assertion in any layer — storage's, the buffer pool's
 * or the simulated kernel's (all AssertionFailure) — rather than a failure to record.
 */
export function isAssertionError(err: unknown): boolean {
  return err instanceof AssertionFailure;
}
