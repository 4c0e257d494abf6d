/**
 * What the inspection socket's server and client share: the error codes, the limits,
 * the socket-path check and the bounded line reader. The protocol itself is documented
 * in socket.ts.
 *
 * Invariants:
 *  1. A LineReader never holds more than `maxLineBytes` bytes of an unterminated line;
 *     the byte that would exceed it poisons the reader (overflow) instead of growing it.
 *  2. Every error either side creates is a CodedError whose code is an INSPECT_CODES
 *     value, an errno name, or (server side) the code a handler threw.
 */

import { CodedError } from '../../sim-kernel/index.js';
import { INSPECT_CODES } from './errors.js';

export { INSPECT_CODES, type InspectCode } from './errors.js';

/** Bumped on any incompatible change to the wire format; `hello` reports it. */
export const INSPECT_PROTOCOL_VERSION = 1;

/** The built-in method, answered by the transport without calling the handler. */
export const HELLO_METHOD = 'hello';

export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 16;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_CLIENT_TIMEOUT_MS = 5_000;
/**
 * The largest response line either side accepts. The server refuses to send a bigger
 * result (FAILED) rather than have the client drop the connection (PROTOCOL).
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * sockaddr_un.sun_path is 108 bytes on Linux (linux/un.h UNIX_PATH_MAX) and must hold
 * the terminating NUL, so a path may have 107 bytes. libuv silently truncates longer
 * paths (checked with Node 20: a 115-byte path bound a 108-byte file name), which would
 * make the server and client disagree about the file, so both check first.
 */
export const SUN_PATH_MAX_BYTES = 107;

const NEWLINE = 0x0a;

export function inspectError(code: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): CodedError {
  return new CodedError(code, message, cause === undefined ? { details } : { details, cause });
}

/** Throws unless `path` can name an AF_UNIX socket file without truncation. */
export function checkSocketPath(path: string): void {
  if (typeof path !== 'string' || path.length === 0) {
    throw inspectError('EINVAL', 'inspection socket path is empty; pass a file path such as /tmp/remapdb.sock', { path });
  }
  // A leading NUL selects Linux's abstract namespace, which has no file mode to restrict.
  if (path.includes('\0')) {
    throw inspectError('EINVAL', `inspection socket path ${JSON.stringify(path)} contains a NUL byte; pass a plain file path`, { path });
  }
  const pathBytes = Buffer.byteLength(path, 'utf8');
  if (pathBytes > SUN_PATH_MAX_BYTES) {
    throw inspectError(
      'ENAMETOOLONG',
      `inspection socket path is ${pathBytes} bytes, over the ${SUN_PATH_MAX_BYTES}-byte limit of a Unix socket address (sun_path); ` +
        `choose a shorter path: ${path}`,
      { path, pathBytes, maxPathBytes: SUN_PATH_MAX_BYTES },
    );
  }
}

export function assertPositiveInteger(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw inspectError('EINVAL', `${name} must be an integer from 1 to ${max}, got ${String(value)}`, { [name]: value });
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short name for a JSON value's kind, for error messages ('an array', 'null'). */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (value === undefined) return 'nothing';
  return `a ${typeof value}`;
}

/** Why a thrown value failed, without trusting it: getters and toString may throw too. */
export function messageOf(err: unknown): string {
  try {
    if (err instanceof Error) return err.message;
    return `a non-Error value: ${String(err)}`;
  } catch {
    return 'a value that cannot be described';
  }
}

/**
 * Splits a byte stream into newline-terminated lines, counting bytes as they arrive.
 * Lines are returned without the '\n'. Splitting bytes before decoding is safe: 0x0a
 * never occurs inside a multi-byte UTF-8 sequence.
 */
export class LineReader {
  readonly #maxLineBytes: number;
  #parts: Buffer[] = [];
  #partBytes = 0;
  #overflowed = false;

  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes;
  }

  get overflowed(): boolean {
    return this.#overflowed;
  }

  /**
   * Appends a chunk; returns the lines it completed, in order, and whether a line
   * exceeded the limit. After an overflow the reader returns nothing more.
   */
  push(chunk: Buffer): { lines: Buffer[]; overflow: boolean } {
    const lines: Buffer[] = [];
    if (this.#overflowed) return { lines, overflow: true };
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      const segment = chunk.subarray(start, nl === -1 ? chunk.length : nl);
      if (this.#partBytes + segment.length > this.#maxLineBytes) {
        this.#overflowed = true;
        this.#parts = [];
        this.#partBytes = 0;
        return { lines, overflow: true };
      }
      if (nl === -1) {
        if (segment.length > 0) {
          this.#parts.push(segment);
          this.#partBytes += segment.length;
        }
        return { lines, overflow: false };
      }
      lines.push(this.#parts.length === 0 ? segment : Buffer.concat([...this.#parts, segment]));
      this.#parts = [];
      this.#partBytes = 0;
      start = nl + 1;
    }
  }

  /** At end of input: the unterminated last line, if any bytes of one arrived. */
  finish(): Buffer | null {
    if (this.#overflowed || this.#partBytes === 0) return null;
    const tail = Buffer.concat(this.#parts);
    this.#parts = [];
    this.#partBytes = 0;
    return tail;
  }
}
