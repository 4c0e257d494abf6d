/**
 * The inspection socket's server: owns the socket file and every accepted connection.
 * The wire protocol is documented in socket.ts.
 *
 * Invariants:
 *  1. The socket file is created owner-only (0600) and verified with lstat before
 *     listen() resolves; an existing file that is not a socket is never replaced.
 *  2. Nothing a client sends throws out of the server: each socket has an 'error'
 *     listener from the moment it is accepted, and every request is answered with a
 *     response line or ends the connection (TOO_LARGE, BUSY, idle).
 *  3. Responses on one connection leave in request order; while the socket's write
 *     buffer is full, reading pauses, so memory per connection stays bounded by one
 *     read chunk plus maxRequestBytes plus one response.
 *  4. Neither the server nor its sockets keep the process alive (unref).
 *
 * States: listening --close()--> closing --all sockets closed--> closed (file unlinked).
 */

import * as net from 'node:net';

import { CodedError } from '../../sim-kernel/index.js';
import type { Logger } from '../config/log.js';
import { Connection, endThenDestroy } from './socket-connection.js';
import { bindOwnerOnly, checkParentDirectory, removeStaleSocket, unlinkOwnSocket, verifyOwnerOnly } from './socket-file.js';
import {
  assertPositiveInteger, checkSocketPath, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_REQUEST_BYTES, HELLO_METHOD,
  INSPECT_CODES, INSPECT_PROTOCOL_VERSION, inspectError, isPlainObject, jsonKind, MAX_RESPONSE_BYTES, messageOf,
} from './socket-protocol.js';

/** Answers one request. Synchronous; may throw (a CodedError keeps its code). */
export type InspectHandler = (method: string, params: Record<string, unknown>) => unknown;

export interface InspectServerOptions {
  /** Longest request line accepted, in bytes without the newline (default 64 KiB). */
  maxRequestBytes?: number;
  /** Connections served at once; more get BUSY (default 16). */
  maxConnections?: number;
  /** A connection with no traffic for this long is closed (default 60 s). */
  idleTimeoutMs?: number;
  /** The handler's methods; others get UNKNOWN_METHOD. Without it the handler decides. */
  methods?: readonly string[];
  /** Where connection and handler failures are logged (debug/warn); silent without one. */
  log?: Logger;
}

const MAX_ID_CHARS = 256;
const MAX_METHOD_CHARS = 256;
const utf8 = new TextDecoder('utf-8', { fatal: true });

type RequestId = number | string | null;
type Reply = { ok: true; id: RequestId; json: string } | { ok: false; id: RequestId; code: string; message: string };

function errorLine(id: RequestId, code: string, message: string): string {
  return `${JSON.stringify({ id, ok: false, error: { code, message } })}\n`;
}

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}

export class InspectServer {
  readonly path: string;
  readonly #server: net.Server;
  readonly #handler: InspectHandler;
  readonly #maxRequestBytes: number;
  readonly #maxConnections: number;
  readonly #idleTimeoutMs: number;
  readonly #methods: ReadonlySet<string> | null;
  readonly #helloMethods: readonly string[];
  readonly #log: Logger | undefined;
  readonly #ino: number;
  /** Every accepted socket, served or being turned away, so close() can end them all. */
  readonly #sockets = new Set<net.Socket>();
  #served = 0;
  #requests = 0;
  #errors = 0;
  #closing: Promise<void> | null = null;

  /**
   * Creates the socket file at `path` (mode 0600) and starts answering. Fails with
   * ENAMETOOLONG, ENOENT/ENOTDIR (parent), EEXIST (not a socket) or EADDRINUSE (live).
   */
  static async listen(path: string, handler: InspectHandler, opts: InspectServerOptions = {}): Promise<InspectServer> {
    checkSocketPath(path);
    const maxRequestBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    const maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    assertPositiveInteger('maxRequestBytes', maxRequestBytes, MAX_RESPONSE_BYTES);
    assertPositiveInteger('maxConnections', maxConnections, 1 << 16);
    assertPositiveInteger('idleTimeoutMs', idleTimeoutMs, 2 ** 31 - 1);
    if (opts.methods !== undefined && !opts.methods.every((m) => typeof m === 'string' && m.length > 0)) {
      throw inspectError('EINVAL', 'methods must be non-empty strings', { methods: opts.methods });
    }
    await checkParentDirectory(path);
    await removeStaleSocket(path);
    const server = net.createServer({ allowHalfOpen: true });
    await bindOwnerOnly(server, path);
    let ino: number;
    try {
      ino = await verifyOwnerOnly(path);
    } catch (err) {
      server.close();
      throw err;
    }
    return new InspectServer(path, server, handler, { maxRequestBytes, maxConnections, idleTimeoutMs, ino, opts });
  }

  private constructor(
    path: string, server: net.Server, handler: InspectHandler,
    c: { maxRequestBytes: number; maxConnections: number; idleTimeoutMs: number; ino: number; opts: InspectServerOptions },
  ) {
    this.path = path;
    this.#server = server;
    this.#handler = handler;
    this.#maxRequestBytes = c.maxRequestBytes;
    this.#maxConnections = c.maxConnections;
    this.#idleTimeoutMs = c.idleTimeoutMs;
    this.#methods = c.opts.methods === undefined ? null : new Set(c.opts.methods);
    this.#helloMethods = [...new Set([HELLO_METHOD, ...(c.opts.methods ?? [])])];
    this.#log = c.opts.log;
    this.#ino = c.ino;
    server.unref();
    // Accept failures (EMFILE) arrive here; without a listener they would crash the process.
    server.on('error', (err) => this.#log?.warn({ err, path }, 'inspection socket: accept failed'));
    server.on('connection', (socket) => this.#accept(socket));
  }

  /**
   * connections: being served now (not counting ones turned away with BUSY);
   * requests: non-blank request lines answered; errors: error responses sent,
   * including BUSY and TOO_LARGE.
   */
  get stats(): { connections: number; requests: number; errors: number } {
    return { connections: this.#served, requests: this.#requests, errors: this.#errors };
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) endThenDestroy(socket);
    await stopped;
    try {
      await unlinkOwnSocket(this.path, this.#ino);
    } catch (err) {
      this.#log?.warn({ err, path: this.path }, 'inspection socket: unlink failed');
    }
  }

  #accept(socket: net.Socket): void {
    socket.unref();
    socket.on('error', (err) => this.#log?.debug({ err, path: this.path }, 'inspection socket: connection error'));
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    if (this.#closing !== null) {
      socket.destroy();
      return;
    }
    if (this.#served >= this.#maxConnections) {
      this.#errors += 1;
      const message = `inspection socket ${this.path} is serving its limit of ${this.#maxConnections} connections; retry later`;
      endThenDestroy(socket, errorLine(null, INSPECT_CODES.BUSY, message));
      return;
    }
    this.#served += 1;
    socket.once('close', () => (this.#served -= 1));
    new Connection(socket, this.#maxRequestBytes, this.#idleTimeoutMs, (line) => this.#answer(line), () => this.#tooLarge());
  }

  #tooLarge(): string {
    this.#errors += 1;
    return errorLine(null, INSPECT_CODES.TOO_LARGE, `request line exceeds ${this.#maxRequestBytes} bytes; closing the connection`);
  }

  /** One response line for one request line, or null for a blank line. Never throws. */
  #answer(line: Buffer): string | null {
    if (isBlank(line)) return null;
    this.#requests += 1;
    const reply = this.#respond(line);
    if (reply.ok) return `{"id":${JSON.stringify(reply.id)},"ok":true,"result":${reply.json}}\n`;
    this.#errors += 1;
    return errorLine(reply.id, reply.code, reply.message);
  }

  #respond(line: Buffer): Reply {
    const bad = (id: RequestId, message: string) => ({ ok: false as const, id, code: INSPECT_CODES.BAD_REQUEST, message });
    let request: unknown;
    try {
      request = JSON.parse(utf8.decode(line));
    } catch (err) {
      return bad(null, `request is not JSON (${messageOf(err)}); send one {"id", "method", "params"} object per line`);
    }
    if (!isPlainObject(request)) return bad(null, `request must be a JSON object {"id", "method", "params"}, got ${jsonKind(request)}`);
    const { id, method, params } = request;
    if (!(Number.isSafeInteger(id) || (typeof id === 'string' && id.length <= MAX_ID_CHARS))) {
      return bad(null, `request "id" must be an integer or a string of at most ${MAX_ID_CHARS} characters, got ${jsonKind(id)}`);
    }
    const rid = id as number | string;
    if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD_CHARS) {
      return bad(rid, `request "method" must be a non-empty string of at most ${MAX_METHOD_CHARS} characters, got ${jsonKind(method)}`);
    }
    if (params !== undefined && !isPlainObject(params)) return bad(rid, `request "params" must be an object, got ${jsonKind(params)}`);
    if (method === HELLO_METHOD) {
      return { ok: true, id: rid, json: JSON.stringify({ protocol: INSPECT_PROTOCOL_VERSION, pid: process.pid, methods: this.#helloMethods }) };
    }
    if (this.#methods !== null && !this.#methods.has(method)) {
      const message = `unknown method ${JSON.stringify(method)}; known methods: ${this.#helloMethods.join(', ')}`;
      return { ok: false, id: rid, code: INSPECT_CODES.UNKNOWN_METHOD, message };
    }
    return this.#call(rid, method, params ?? {});
  }

  #call(id: number | string, method: string, params: Record<string, unknown>): Reply {
    const failed = (message: string) => ({ ok: false as const, id, code: INSPECT_CODES.FAILED, message });
    let result: unknown;
    try {
      result = this.#handler(method, params);
    } catch (err) {
      if (err instanceof CodedError) {
        this.#log?.debug({ err, method }, 'inspection handler failed');
        return { ok: false, id, code: err.code, message: err.message };
      }
      this.#log?.warn({ err, method }, 'inspection handler threw an uncoded error');
      return failed(messageOf(err));
    }
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      // Keep a rejected promise from becoming an unhandled rejection (which ends Node).
      Promise.resolve(result).catch(() => undefined);
      return failed(`handler for ${JSON.stringify(method)} returned a promise; inspection handlers must be synchronous`);
    }
    let json: string | undefined;
    try {
      json = result === undefined ? 'null' : JSON.stringify(result);
    } catch (err) {
      return failed(`result of ${JSON.stringify(method)} cannot be serialized as JSON: ${messageOf(err)}`);
    }
    if (json === undefined) return failed(`result of ${JSON.stringify(method)} is ${jsonKind(result)}, which JSON cannot represent`);
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_RESPONSE_BYTES) {
      return failed(`result of ${JSON.stringify(method)} is ${bytes} bytes of JSON, over the ${MAX_RESPONSE_BYTES}-byte response limit`);
    }
    return { ok: true, id, json };
  }
}
