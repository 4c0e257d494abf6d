/**
 * The buffer pool's one assertion: a broken pool invariant is a bug in the pool or in the
 * engine driving it, never a caller's error to handle. It throws BufferPoolAssertionError,
 * which has no `code` (STYLE.md "three kinds of failure": coded errors are for callers to
 * handle; this one is to crash loudly). Like sim-kernel's KernelAssertionError it is an
 * AssertionFailure, so layers above recognise every bug alike; caller misuse the pool can report (unfix of
 * an unfixed page, a stale handle under `debug`) stays a coded REMAPDB_POOL_MISUSE.
 */

import { AssertionFailure } from '../sim-kernel/index.js';

/** A broken buffer-pool invariant: a bug, never caught to carry on. */
export class BufferPoolAssertionError extends AssertionFailure {
  constructor(message: string) {
    super('bufferpool', message);
    this.name = 'BufferPoolAssertionError';
  }
}

/** Throw BufferPoolAssertionError unless `cond`; a function message is built only on failure. */
export function assert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new BufferPoolAssertionError(typeof message === 'string' ? message : message());
}

/**
 * The hot paths' form (fix/unfix allocate nothing, and a message closure or template
 * string would allocate on every call): `if (bad) assertionFailed(\`...\`)` builds the
 * message only when the check fails.
 */
export function assertionFailed(message: string): never {
  throw new BufferPoolAssertionError(message);
}
