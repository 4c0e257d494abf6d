/**
 * The inspection socket's client: one connection, many requests, matched by id.
 * The wire protocol is documented in socket.ts.
 *
 * Invariants:
 *  1. Every request() settles exactly once: with its result, the server's error, a
 *     TIMEOUT, or the connection's failure.
 *  2. Once the connection fails (closed, reset, protocol violation, a connection-level
 *     error such as BUSY) the failure is sticky: every later request() rejects with it.
 *  3. The socket keeps the process alive only while a request is outstanding.
 *
 * States: open --close() / peer closed / bad response / id-less error--> failed.
 */

import * as net from 'node:net';

import { CodedError } from '../../sim-kernel/index.js';
import {
  assertPositiveInteger, checkSocketPath, DEFAULT_CLIENT_TIMEOUT_MS, INSPECT_CODES, inspectError, isPlainObject, LineReader,
  MAX_RESPONSE_BYTES, messageOf,
} from './socket-protocol.js';

interface Pending {
  readonly method: string;
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: CodedError) => void;
  readonly timer: NodeJS.Timeout;
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function notRunning(path: string, code: string, cause: unknown): CodedError {
  return inspectError(
    INSPECT_CODES.NOT_RUNNING,
    `no engine is serving ${path} (${code}); start the engine with an inspection socket at that path`,
    { path, errno: code },
    cause,
  );
}

export class InspectClient {
  readonly path: string;
  readonly #socket: net.Socket;
  readonly #timeoutMs: number;
  readonly #reader = new LineReader(MAX_RESPONSE_BYTES);
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: CodedError | null = null;

  /** Connects to a server's socket file; NOT_RUNNING if nothing listens, TIMEOUT if it hangs. */
  static async connect(path: string, opts: { timeoutMs?: number } = {}): Promise<InspectClient> {
    checkSocketPath(path);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    assertPositiveInteger('timeoutMs', timeoutMs, MAX_TIMEOUT_MS);
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection({ path });
      const timer = setTimeout(() => {
        s.destroy();
        reject(inspectError(INSPECT_CODES.TIMEOUT, `could not connect to inspection socket ${path} within ${timeoutMs} ms`, { path, timeoutMs }));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const code = err.code ?? 'EIO';
        // ECONNREFUSED: a socket file left by an engine that is gone (or not a socket at all).
        if (code === 'ENOENT' || code === 'ECONNREFUSED') reject(notRunning(path, code, err));
        else if (code === 'EACCES' || code === 'EPERM') {
          reject(inspectError(code, `cannot connect to inspection socket ${path} (${code}): it is owner-only (0600); run as the engine's user`, { path }, err));
        } else reject(inspectError(code, `cannot connect to inspection socket ${path}: ${err.message}`, { path }, err));
      });
    });
    return new InspectClient(path, socket, timeoutMs);
  }

  private constructor(path: string, socket: net.Socket, timeoutMs: number) {
    this.path = path;
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    socket.unref();
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.#fail(notRunning(path, err.code ?? 'EIO', err)));
    socket.on('close', () => this.#fail(inspectError(INSPECT_CODES.NOT_RUNNING, `connection to inspection socket ${path} closed`, { path })));
  }

  /** Sends one request; resolves with its result or rejects with a CodedError. */
  request(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const id = this.#nextId;
    this.#nextId += 1;
    let line: string;
    try {
      line = `${JSON.stringify({ id, method, params })}\n`;
    } catch (err) {
      return Promise.reject(inspectError(INSPECT_CODES.BAD_REQUEST, `params of ${JSON.stringify(method)} cannot be serialized as JSON: ${messageOf(err)}`, { method }, err));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle(id);
        reject(inspectError(INSPECT_CODES.TIMEOUT, `no response to ${JSON.stringify(method)} from ${this.path} within ${this.#timeoutMs} ms`,
          { path: this.path, method, timeoutMs: this.#timeoutMs }));
      }, this.#timeoutMs);
      this.#pending.set(id, { method, resolve, reject, timer });
      this.#socket.ref();
      this.#socket.write(line);
    });
  }

  /** Closes the connection; outstanding requests reject with NOT_RUNNING. */
  close(): void {
    this.#fail(inspectError(INSPECT_CODES.NOT_RUNNING, `connection to inspection socket ${this.path} was closed by the client`, { path: this.path }));
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (pending === undefined) return undefined;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#socket.unref();
    return pending;
  }

  #fail(err: CodedError): void {
    if (this.#failure !== null) return;
    this.#failure = err;
    this.#socket.destroy();
    for (const id of [...this.#pending.keys()]) this.#settle(id)?.reject(err);
  }

  #protocolError(what: string): void {
    this.#fail(inspectError(INSPECT_CODES.PROTOCOL, `bad response from inspection socket ${this.path}: ${what}`, { path: this.path }));
  }

  #onData(chunk: Buffer): void {
    const { lines, overflow } = this.#reader.push(chunk);
    for (const line of lines) {
      if (this.#failure !== null) return;
      this.#onLine(line);
    }
    if (overflow) this.#protocolError(`a response line exceeds ${MAX_RESPONSE_BYTES} bytes`);
  }

  #onLine(line: Buffer): void {
    let response: unknown;
    try {
      response = JSON.parse(line.toString('utf8'));
    } catch (err) {
      this.#protocolError(`not JSON (${messageOf(err)})`);
      return;
    }
    if (!isPlainObject(response) || typeof response.ok !== 'boolean') {
      this.#protocolError('not an object with a boolean "ok"');
      return;
    }
    const { id, ok, result, error } = response;
    if (ok) {
      if (!('result' in response)) this.#protocolError('"ok": true without a "result"');
      // An id we do not wait for is a response that arrived after its TIMEOUT.
      else if (typeof id === 'number') this.#settle(id)?.resolve(result);
      return;
    }
    if (!isPlainObject(error) || typeof error.code !== 'string' || typeof error.message !== 'string') {
      this.#protocolError('"ok": false without an "error" {code, message}');
      return;
    }
    const err = inspectError(error.code, error.message, { path: this.path });
    // Without an id the error concerns the connection (BUSY, TOO_LARGE): it fails every request.
    if (id === null || id === undefined) this.#fail(err);
    else if (typeof id === 'number') this.#settle(id)?.reject(err);
  }
}

/** Connects, sends one request, closes: for the CLI's one-shot `inspect --live`. */
export async function inspectOnce(path: string, method: string, params: Record<string, unknown> = {}, opts: { timeoutMs?: number } = {}): Promise<unknown> {
  const client = await InspectClient.connect(path, opts);
  try {
    return await client.request(method, params);
  } finally {
    client.close();
  }
}
