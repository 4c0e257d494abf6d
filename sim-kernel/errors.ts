/**
 * Errors of the simulated kernel, and the coded-error base every layer extends.
 *
 * - CodedError: base class with a stable `code` (errno name or REMAPDB_*), optional
 *   `cause` and `details`. Layers above (bufferpool, storage, src) extend it.
 * - KernelError: a failed system call, shaped like Node's fs errors: `code` is the errno
 *   name ('EINVAL'), `errno` its Linux number, `syscall` the call's name; hostError()
 *   turns a host fs error into the one the simulated call reports.
 * - SegvError / BusError: a bad memory access, as the signal Linux would deliver
 *   (SIGSEGV with SEGV_MAPERR or SEGV_ACCERR; SIGBUS with BUS_ADRERR past end of file).
 */

export class CodedError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.name = new.target.name;
  }
}

/** Linux errno numbers (asm-generic/errno-base.h, errno.h). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  ENAMETOOLONG: 36,
  EOVERFLOW: 75,
  ENOTSUP: 95,
  EDQUOT: 122,
} as const;
export type ErrnoName = keyof typeof ERRNO;

export class KernelError extends CodedError {
  readonly errno: number;
  readonly syscall: string;
  declare readonly code: ErrnoName;
  constructor(code: ErrnoName, syscall: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, `${code}: ${syscall}: ${message}`, options);
    this.errno = ERRNO[code];
    this.syscall = syscall;
  }
}

/** Convert a host fs error into the errno the simulated syscall reports. */
export function hostError(err: unknown, syscall: string, what: string): KernelError {
  const code = (err as { code?: string }).code;
  const name: ErrnoName = code !== undefined && code in ERRNO ? (code as ErrnoName) : 'EIO';
  return new KernelError(name, syscall, `${what}: ${(err as Error).message}`, { cause: err });
}

/** si_code values of SIGSEGV and SIGBUS (asm-generic/siginfo.h). */
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const BUS_ADRERR = 2;
export const BUS_OBJERR = 3;
export const SIGBUS = 7;
export const SIGSEGV = 11;

export type AccessKind = 'read' | 'write';

/** A SIGSEGV the simulated process would receive: no mapping, or access not allowed. */
export class SegvError extends CodedError {
  readonly signal = SIGSEGV;
  readonly siCode: typeof SEGV_MAPERR | typeof SEGV_ACCERR;
  readonly addr: number;
  readonly access: AccessKind;
  constructor(siCode: typeof SEGV_MAPERR | typeof SEGV_ACCERR, addr: number, access: AccessKind, why: string) {
    const name = siCode === SEGV_MAPERR ? 'SEGV_MAPERR' : 'SEGV_ACCERR';
    super('SIGSEGV', `SIGSEGV (${name}) on ${access} at 0x${addr.toString(16)}: ${why}`, { details: { siCode: name, addr, access } });
    this.siCode = siCode;
    this.addr = addr;
    this.access = access;
  }
}

/** A SIGBUS: access to a file page past end of file, or a page whose read failed. */
export class BusError extends CodedError {
  readonly signal = SIGBUS;
  readonly siCode: typeof BUS_ADRERR | typeof BUS_OBJERR;
  readonly addr: number;
  constructor(siCode: typeof BUS_ADRERR | typeof BUS_OBJERR, addr: number, why: string) {
    const name = siCode === BUS_ADRERR ? 'BUS_ADRERR' : 'BUS_OBJERR';
    super('SIGBUS', `SIGBUS (${name}) at 0x${addr.toString(16)}: ${why}`, { details: { siCode: name, addr } });
    this.siCode = siCode;
    this.addr = addr;
  }
}

/**
 * A failed assertion anywhere in remapdb: a broken invariant, i.e. a bug. It has no
 * `code`, on purpose: coded errors are outcomes a caller handles; this one crashes loudly
 * and is never caught to carry on, never recorded as a sticky failure. Each layer throws
 * its own subclass (KernelAssertionError here, BufferPoolAssertionError, StorageAssertionError),
 * so the message names where the bug was found; `instanceof AssertionFailure` recognises
 * them all. Defined in the lowest layer so every layer above can extend it.
 */
export class AssertionFailure extends Error {
  constructor(layer: string, message: string) {
    super(`${layer} assertion failed: ${message}`);
    this.name = 'AssertionFailure';
  }
}

/** A broken kernel invariant: a bug, never caught to carry on. */
export class KernelAssertionError extends AssertionFailure {
  constructor(message: string) {
    super('sim-kernel', message);
    this.name = 'KernelAssertionError';
  }
}

export function kassert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new KernelAssertionError(typeof message === 'string' ? message : message());
}
