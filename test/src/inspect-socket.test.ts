/**
 * The live-inspection socket's transport (src/inspect/socket*.ts): file mode and path
 * handling, the protocol's answers to good and bad requests, the limits (request size,
 * connections, idle time), the client's error codes, and a server in a child process.
 *
 * Raw sockets stand in for hostile or broken peers; InspectClient is the well-behaved one.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import t, { type Test } from 'tap';

import { CodedError } from '../../src/errors.js';
import {
  INSPECT_CODES, INSPECT_PROTOCOL_VERSION, InspectClient, InspectServer, inspectOnce, MAX_RESPONSE_BYTES, SUN_PATH_MAX_BYTES,
  type InspectHandler, type InspectServerOptions,
} from '../../src/inspect/socket.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/inspect-server.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const METHODS = ['echo', 'coded', 'plain', 'throwString', 'circular', 'bigint', 'fn', 'promise', 'rejected', 'void', 'big'] as const;

/** A short temporary directory: socket paths must stay under 107 bytes. */
function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'ri-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const handler: InspectHandler = (method, params) => {
  switch (method) {
    case 'echo': return params;
    case 'coded': throw new CodedError('REMAPDB_TEST_CODED', 'coded failure for the test');
    case 'plain': throw new Error('plain failure for the test');
    case 'throwString': throw 'a bare string';
    case 'circular': { const o: Record<string, unknown> = {}; o.self = o; return o; }
    case 'bigint': return { n: 1n };
    case 'fn': return () => 1;
    case 'promise': return Promise.resolve(1);
    case 'rejected': return Promise.reject(new Error('nobody awaits this'));
    case 'void': return undefined;
    case 'big': return 'x'.repeat(Number(params.bytes ?? 0));
    default: throw new Error(`the test handler has no ${method}`);
  }
};

async function serve(t: Test, opts: InspectServerOptions = {}, path = join(tempDir(t), 's.sock')): Promise<InspectServer> {
  const server = await InspectServer.listen(path, handler, { methods: METHODS, ...opts });
  t.teardown(() => server.close());
  return server;
}

/** A raw peer: sends bytes as given, reads response lines, sees the close. */
class Raw {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  #buffer = '';
  #lines: string[] = [];
  #waiters: Array<() => void> = [];
  #ended = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('error', () => undefined); // EPIPE / ECONNRESET are expected in these tests
    socket.on('data', (s: string) => {
      this.#buffer += s;
      let nl;
      while ((nl = this.#buffer.indexOf('\n')) !== -1) {
        this.#lines.push(this.#buffer.slice(0, nl));
        this.#buffer = this.#buffer.slice(nl + 1);
      }
      this.#wake();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.#ended = true;
      this.#wake();
      resolve();
    }));
  }

  static async open(path: string): Promise<Raw> {
    const socket = net.createConnection({ path });
    await once(socket, 'connect');
    return new Raw(socket);
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  async line(): Promise<string> {
    while (this.#lines.length === 0) {
      if (this.#ended) throw new Error('connection closed with no line to read');
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.#lines.shift() as string;
  }

  async json(): Promise<Record<string, unknown>> {
    return JSON.parse(await this.line()) as Record<string, unknown>;
  }

  /** Sends one request line and returns the parsed response. */
  async call(request: unknown): Promise<Record<string, unknown>> {
    this.send(`${JSON.stringify(request)}\n`);
    return this.json();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

/** Polls until `cond` holds: the server learns of a peer's close a tick after the peer does. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function errorOf(response: Record<string, unknown>): { code: unknown; message: string } {
  const error = response.error as { code: unknown; message: unknown };
  return { code: error.code, message: String(error.message) };
}

t.test('the socket file is 0600 even when the umask allows everything', async (t) => {
  const before = process.umask(0);
  let server: InspectServer;
  try {
    server = await serve(t);
  } finally {
    t.equal(process.umask(before), 0, 'listen restored the umask it narrowed');
  }
  const st = fs.lstatSync(server.path);
  t.ok(st.isSocket());
  t.equal(st.mode & 0o777, 0o600);
  t.equal(st.uid, process.getuid?.());
});

t.test('hello answers without calling the handler', async (t) => {
  let calls = 0;
  const path = join(tempDir(t), 's.sock');
  const server = await InspectServer.listen(path, () => { calls += 1; return null; }, { methods: ['a', 'b', 'hello'] });
  t.teardown(() => server.close());
  t.same(await inspectOnce(path, 'hello'), { protocol: INSPECT_PROTOCOL_VERSION, pid: process.pid, methods: ['hello', 'a', 'b'] });
  t.equal(calls, 0);
  await until(() => server.stats.connections === 0);
  t.same(server.stats, { connections: 0, requests: 1, errors: 0 });
});

t.test('requests round-trip, and pipelined requests are answered in order', async (t) => {
  const server = await serve(t);
  t.same(await inspectOnce(server.path, 'echo', { a: [1, 'two', { three: null }] }), { a: [1, 'two', { three: null }] });
  t.equal(await inspectOnce(server.path, 'void'), null, 'undefined travels as null');

  const client = await InspectClient.connect(server.path);
  t.teardown(() => client.close());
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => client.request('echo', { i })));
  t.same(results, Array.from({ length: 100 }, (_, i) => ({ i })));

  // One write holding many requests, string and integer ids mixed, and a blank line.
  const raw = await Raw.open(server.path);
  const ids: Array<string | number> = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? i : `s${i}`));
  raw.send(`\n${ids.map((id) => JSON.stringify({ id, method: 'echo', params: { id } })).join('\n')}\n`);
  for (const id of ids) t.same(await raw.json(), { id, ok: true, result: { id } });
  raw.socket.destroy();
});

t.test('a client that stops reading is answered in order once it reads again', async (t) => {
  const server = await serve(t);
  const raw = await Raw.open(server.path);
  raw.socket.pause();
  const count = 64;
  const bytes = 256 * 1024; // 16 MiB of responses in all: far past every socket buffer
  raw.send(Array.from({ length: count }, (_, id) => `${JSON.stringify({ id, method: 'big', params: { bytes: bytes + id } })}\n`).join(''));
  await new Promise((resolve) => setTimeout(resolve, 100));
  raw.socket.resume();
  for (let id = 0; id < count; id += 1) {
    const response = await raw.json();
    t.equal(response.id, id);
    t.equal((response.result as string).length, bytes + id);
  }
  raw.socket.destroy();
});

t.test('malformed requests get BAD_REQUEST and the connection stays usable', async (t) => {
  const server = await serve(t);
  const raw = await Raw.open(server.path);
  t.teardown(() => raw.socket.destroy());
  const cases: Array<[string | Buffer, unknown, RegExp]> = [
    ['not json\n', null, /not JSON/],
    ['[1,2]\n', null, /must be a JSON object.*an array/],
    ['42\n', null, /must be a JSON object.*a number/],
    ['null\n', null, /must be a JSON object.*null/],
    ['{"method":"echo"}\n', null, /"id" must be/],
    ['{"id":1.5,"method":"echo"}\n', null, /"id" must be/],
    ['{"id":{"x":1},"method":"echo"}\n', null, /"id" must be/],
    ['{"id":7}\n', 7, /"method" must be/],
    ['{"id":"q","method":""}\n', 'q', /"method" must be/],
    ['{"id":8,"method":3}\n', 8, /"method" must be/],
    ['{"id":9,"method":"echo","params":[1]}\n', 9, /"params" must be an object/],
    [Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), null, /not JSON/],
  ];
  for (const [line, id, message] of cases) {
    raw.send(line);
    const response = await raw.json();
    t.equal(response.ok, false, `rejects ${JSON.stringify(line.toString())}`);
    t.equal(response.id, id);
    t.equal(errorOf(response).code, INSPECT_CODES.BAD_REQUEST);
    t.match(errorOf(response).message, message);
  }
  t.same(await raw.call({ id: 10, method: 'echo', params: { still: 'works' } }), { id: 10, ok: true, result: { still: 'works' } });
  t.same(await raw.call({ id: 11, method: 'echo' }), { id: 11, ok: true, result: {} }, 'params default to {}');
  t.same(server.stats, { connections: 1, requests: cases.length + 2, errors: cases.length });
});

t.test('an oversized request gets one TOO_LARGE and its connection is closed', async (t) => {
  const server = await serve(t, { maxRequestBytes: 1024 });
  const other = await Raw.open(server.path);
  t.teardown(() => other.socket.destroy());

  // Exactly at the limit is fine.
  const filler = 'x'.repeat(1024 - JSON.stringify({ id: 1, method: 'echo', params: { s: '' } }).length);
  const atLimit = JSON.stringify({ id: 1, method: 'echo', params: { s: filler } });
  t.equal(Buffer.byteLength(atLimit), 1024);
  t.same(await other.call(JSON.parse(atLimit)), { id: 1, ok: true, result: { s: filler } });

  // A valid request before the oversized line in the same write is still answered; the
  // oversized line has no newline yet, so the server must act on the byte count alone.
  const raw = await Raw.open(server.path);
  raw.send(`${JSON.stringify({ id: 'before', method: 'echo' })}\n${'y'.repeat(4096)}`);
  t.same(await raw.json(), { id: 'before', ok: true, result: {} });
  const tooLarge = await raw.json();
  t.equal(tooLarge.id, null);
  t.equal(errorOf(tooLarge).code, INSPECT_CODES.TOO_LARGE);
  t.match(errorOf(tooLarge).message, /1024 bytes/);
  await raw.closed;

  t.same(await other.call({ id: 2, method: 'echo', params: { ok: 1 } }), { id: 2, ok: true, result: { ok: 1 } }, 'another client is unaffected');
  await t.rejects(inspectOnce(server.path, 'echo', { s: 'z'.repeat(2000) }), { code: INSPECT_CODES.TOO_LARGE }, 'InspectClient sees TOO_LARGE');
});

t.test('an unknown method gets UNKNOWN_METHOD naming the known ones', async (t) => {
  const server = await serve(t);
  const err = await inspectOnce(server.path, 'nope').catch((e: unknown) => e);
  t.type(err, CodedError);
  t.equal((err as CodedError).code, INSPECT_CODES.UNKNOWN_METHOD);
  t.match((err as CodedError).message, /unknown method "nope"; known methods: hello, echo, coded/);
});

t.test('handler failures come back coded, and the connection stays usable', async (t) => {
  const server = await serve(t);
  const client = await InspectClient.connect(server.path);
  t.teardown(() => client.close());
  await t.rejects(client.request('coded'), { code: 'REMAPDB_TEST_CODED', message: 'coded failure for the test' });
  await t.rejects(client.request('plain'), { code: INSPECT_CODES.FAILED, message: 'plain failure for the test' });
  await t.rejects(client.request('throwString'), { code: INSPECT_CODES.FAILED, message: /a bare string/ });
  await t.rejects(client.request('circular'), { code: INSPECT_CODES.FAILED, message: /"circular" cannot be serialized as JSON/ });
  await t.rejects(client.request('bigint'), { code: INSPECT_CODES.FAILED, message: /cannot be serialized/ });
  await t.rejects(client.request('fn'), { code: INSPECT_CODES.FAILED, message: /JSON cannot represent/ });
  await t.rejects(client.request('promise'), { code: INSPECT_CODES.FAILED, message: /must be synchronous/ });
  await t.rejects(client.request('rejected'), { code: INSPECT_CODES.FAILED, message: /must be synchronous/ });
  await t.rejects(client.request('big', { bytes: MAX_RESPONSE_BYTES }), { code: INSPECT_CODES.FAILED, message: /response limit/ });
  t.same(await client.request('echo', { after: true }), { after: true });
  t.same(server.stats, { connections: 1, requests: 10, errors: 9 });
});

t.test('connections over maxConnections get BUSY and are closed', async (t) => {
  const server = await serve(t, { maxConnections: 2 });
  const a = await Raw.open(server.path);
  const b = await Raw.open(server.path);
  t.same(await a.call({ id: 1, method: 'echo' }), { id: 1, ok: true, result: {} });
  t.same(await b.call({ id: 1, method: 'echo' }), { id: 1, ok: true, result: {} });
  t.equal(server.stats.connections, 2);

  const c = await Raw.open(server.path);
  const busy = await c.json();
  t.equal(busy.id, null);
  t.equal(errorOf(busy).code, INSPECT_CODES.BUSY);
  t.match(errorOf(busy).message, /limit of 2 connections/);
  await c.closed;
  await t.rejects(inspectOnce(server.path, 'echo'), { code: INSPECT_CODES.BUSY }, 'InspectClient sees BUSY');

  a.socket.destroy();
  await a.closed;
  await until(() => server.stats.connections === 1);
  t.same(await inspectOnce(server.path, 'echo', { again: 1 }), { again: 1 }, 'a freed slot is usable');
  b.socket.destroy();
});

t.test('clients that vanish mid-request or mid-response do not hurt the server', async (t) => {
  const server = await serve(t);
  const half = await Raw.open(server.path);
  half.send('{"id":1,"method":"ec');
  half.socket.destroy();

  // Half-close after a request without its newline: it is still answered.
  const tail = await Raw.open(server.path);
  tail.socket.end('{"id":"tail","method":"echo"}');
  t.same(await tail.json(), { id: 'tail', ok: true, result: {} });
  await tail.closed;

  for (let i = 0; i < 5; i += 1) {
    const greedy = await Raw.open(server.path);
    greedy.send(`${JSON.stringify({ id: 1, method: 'big', params: { bytes: 4 << 20 } })}\n`.repeat(4));
    await new Promise((resolve) => setTimeout(resolve, 5));
    greedy.socket.destroy(); // with unread responses queued: the server's writes fail (EPIPE)
  }
  t.same(await inspectOnce(server.path, 'echo', { alive: true }), { alive: true });
  await until(() => server.stats.connections === 0);
  t.pass('every vanished connection was released');
});

t.test('idle connections are closed', async (t) => {
  const server = await serve(t, { idleTimeoutMs: 100 });
  const raw = await Raw.open(server.path);
  t.same(await raw.call({ id: 1, method: 'echo' }), { id: 1, ok: true, result: {} });
  const started = Date.now();
  await raw.closed;
  t.ok(Date.now() - started >= 50, 'closed after the idle timeout, not at once');
});

t.test('the socket path: stale sockets reused, other files refused, limits checked', async (t) => {
  const dir = tempDir(t);

  t.test('a stale socket is removed and reused', async (t) => {
    // Rename a live socket away, then close its server: the renamed file is a socket
    // nobody listens on, as a crashed engine leaves behind.
    const live = await InspectServer.listen(join(dir, 'tmp.sock'), handler);
    const stale = join(dir, 'stale.sock');
    fs.renameSync(live.path, stale);
    await live.close();
    t.ok(fs.lstatSync(stale).isSocket());
    await t.rejects(inspectOnce(stale, 'hello'), { code: INSPECT_CODES.NOT_RUNNING, message: /ECONNREFUSED/ });
    const server = await InspectServer.listen(stale, handler, { methods: METHODS });
    t.teardown(() => server.close());
    t.same(await inspectOnce(stale, 'echo', { fresh: 1 }), { fresh: 1 });
  });

  t.test('a regular file or directory at the path is refused and left alone', async (t) => {
    const file = join(dir, 'data.db');
    fs.writeFileSync(file, 'precious');
    const err = await InspectServer.listen(file, handler).catch((e: unknown) => e);
    t.match(err, { code: 'EEXIST', message: /refusing to replace .*data\.db.*a regular file/ });
    t.equal(fs.readFileSync(file, 'utf8'), 'precious');
    const sub = join(dir, 'sub');
    fs.mkdirSync(sub);
    await t.rejects(InspectServer.listen(sub, handler), { code: 'EEXIST', message: /a directory/ });
    const link = join(dir, 'link.sock');
    fs.symlinkSync(file, link);
    await t.rejects(InspectServer.listen(link, handler), { code: 'EEXIST', message: /a symbolic link/ });
    t.equal(fs.readFileSync(file, 'utf8'), 'precious');
  });

  t.test('a live server at the path is not displaced', async (t) => {
    const first = await serve(t, {}, join(dir, 'live.sock'));
    await t.rejects(InspectServer.listen(first.path, handler), { code: 'EADDRINUSE', message: /live\.sock.*another engine is serving it/ });
    t.same(await inspectOnce(first.path, 'echo', { first: 1 }), { first: 1 });
  });

  t.test('path length is checked against sun_path', async (t) => {
    const prefix = `${dir}/`;
    const exact = prefix + 'p'.repeat(SUN_PATH_MAX_BYTES - Buffer.byteLength(prefix));
    t.equal(Buffer.byteLength(exact), SUN_PATH_MAX_BYTES);
    const server = await InspectServer.listen(exact, handler);
    t.ok(fs.lstatSync(exact).isSocket(), 'a 107-byte path is bound untruncated');
    t.equal((await inspectOnce(exact, 'hello') as { protocol: number }).protocol, INSPECT_PROTOCOL_VERSION);
    await server.close();
    const tooLong = `${exact}q`;
    await t.rejects(InspectServer.listen(tooLong, handler), { code: 'ENAMETOOLONG', message: /108 bytes, over the 107-byte limit/ });
    await t.rejects(InspectClient.connect(tooLong), { code: 'ENAMETOOLONG' });
    await t.rejects(InspectServer.listen('', handler), { code: 'EINVAL' });
  });

  t.test('the parent directory must exist', async (t) => {
    const missing = join(dir, 'nope');
    await t.rejects(InspectServer.listen(join(missing, 's.sock'), handler), { code: 'ENOENT', message: new RegExp(`directory ${missing} does not exist`) });
    fs.writeFileSync(join(dir, 'plain'), '');
    await t.rejects(InspectServer.listen(join(dir, 'plain', 's.sock'), handler), { code: 'ENOTDIR' });
  });

  t.test('bad options are refused', async (t) => {
    await t.rejects(InspectServer.listen(join(dir, 'o.sock'), handler, { maxConnections: 0 }), { code: 'EINVAL', message: /maxConnections must be an integer from 1/ });
    await t.rejects(InspectServer.listen(join(dir, 'o.sock'), handler, { maxRequestBytes: 1.5 }), { code: 'EINVAL' });
    t.notOk(fs.existsSync(join(dir, 'o.sock')));
  });
});

t.test('close() ends connections, unlinks the file and is idempotent', async (t) => {
  const server = await serve(t);
  const client = await InspectClient.connect(server.path);
  t.same(await client.request('echo', { x: 1 }), { x: 1 });
  const first = server.close();
  t.equal(server.close(), first, 'the same promise');
  await first;
  await server.close();
  t.notOk(fs.existsSync(server.path));
  await t.rejects(client.request('echo'), { code: INSPECT_CODES.NOT_RUNNING });
  await t.rejects(inspectOnce(server.path, 'hello'), { code: INSPECT_CODES.NOT_RUNNING });
});

t.test('client errors: NOT_RUNNING, TIMEOUT, PROTOCOL', async (t) => {
  const dir = tempDir(t);

  t.test('nothing at the path', async (t) => {
    const path = join(dir, 'absent.sock');
    const err = await InspectClient.connect(path).catch((e: unknown) => e);
    t.type(err, CodedError);
    t.match(err, { code: INSPECT_CODES.NOT_RUNNING, message: /no engine is serving .*absent\.sock \(ENOENT\); start the engine with an inspection socket/ });
  });

  /** A raw server whose behaviour on each request line the test chooses. */
  async function rawServer(t: Test, name: string, onLine: (socket: net.Socket, line: string) => void): Promise<string> {
    const path = join(dir, name);
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      let buffer = '';
      socket.on('data', (chunk) => {
        buffer += chunk.toString();
        let nl;
        while ((nl = buffer.indexOf('\n')) !== -1) {
          onLine(socket, buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    t.teardown(() => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    }));
    return path;
  }

  t.test('a server that never answers', async (t) => {
    const path = await rawServer(t, 'mute.sock', () => undefined);
    const started = Date.now();
    const err = await inspectOnce(path, 'hello', {}, { timeoutMs: 200 }).catch((e: unknown) => e);
    t.match(err, { code: INSPECT_CODES.TIMEOUT, message: /no response to "hello" from .*mute\.sock within 200 ms/ });
    t.ok(Date.now() - started >= 190);
  });

  t.test('a server that answers garbage', async (t) => {
    const path = await rawServer(t, 'junk.sock', (socket) => socket.write('this is not json\n'));
    await t.rejects(inspectOnce(path, 'hello'), { code: INSPECT_CODES.PROTOCOL, message: /not JSON/ });
    const shape = await rawServer(t, 'shape.sock', (socket) => socket.write('{"id":1,"result":3}\n'));
    await t.rejects(inspectOnce(shape, 'hello'), { code: INSPECT_CODES.PROTOCOL, message: /boolean "ok"/ });
  });

  t.test('a server whose response exceeds 64 MiB', async (t) => {
    const chunk = Buffer.alloc(1 << 20, 0x61);
    const path = await rawServer(t, 'flood.sock', (socket) => {
      let sent = 0;
      const more = (): void => {
        while (sent <= MAX_RESPONSE_BYTES && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(chunk)) { socket.once('drain', more); return; }
        }
      };
      more();
    });
    await t.rejects(inspectOnce(path, 'hello', {}, { timeoutMs: 30_000 }), { code: INSPECT_CODES.PROTOCOL, message: /exceeds 67108864 bytes/ });
  });

  t.test('a server that hangs up mid-request', async (t) => {
    const path = await rawServer(t, 'rude.sock', (socket) => socket.destroy());
    await t.rejects(inspectOnce(path, 'hello'), { code: INSPECT_CODES.NOT_RUNNING });
  });

  t.test('a closed client refuses requests', async (t) => {
    const server = await serve(t, {}, join(dir, 'c.sock'));
    const client = await InspectClient.connect(server.path);
    client.close();
    client.close();
    await t.rejects(client.request('echo'), { code: INSPECT_CODES.NOT_RUNNING, message: /closed by the client/ });
  });
});

function spawnServer(path: string, mode: 'keepalive' | 'exit'): { child: ChildProcess; ready: Promise<number> } {
  const child = spawn(process.execPath, ['--import', TSX, FIXTURE, path, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /^ready (\d+)\n/.exec(stdout);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code, signal) => reject(new Error(`fixture exited (${code ?? signal}) before ready: ${stderr}`)));
  });
  return { child, ready };
}

t.test('a server in another process, queried and then killed', async (t) => {
  const path = join(tempDir(t), 'child.sock');
  const { child, ready } = spawnServer(path, 'keepalive');
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  const pid = await ready;
  t.equal(pid, child.pid);

  const hello = await inspectOnce(path, 'hello') as { protocol: number; pid: number; methods: string[] };
  t.same(hello, { protocol: INSPECT_PROTOCOL_VERSION, pid, methods: ['hello', 'echo', 'count'] });
  t.same(await inspectOnce(path, 'echo', { from: 'parent' }), { params: { from: 'parent' }, calls: 1 });
  t.equal(fs.lstatSync(path).mode & 0o777, 0o600);

  const client = await InspectClient.connect(path);
  t.same(await client.request('count'), { method: 'count', calls: 2 });
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  await t.rejects(client.request('count'), { code: INSPECT_CODES.NOT_RUNNING }, 'the open connection reports the engine gone');
  t.ok(fs.lstatSync(path).isSocket(), 'SIGKILL left the socket file behind');
  await t.rejects(inspectOnce(path, 'hello'), { code: INSPECT_CODES.NOT_RUNNING, message: /no engine is serving/ });

  const server = await InspectServer.listen(path, handler, { methods: METHODS });
  t.teardown(() => server.close());
  t.same(await inspectOnce(path, 'echo', { reborn: 1 }), { reborn: 1 }, 'the stale file is reused');
});

t.test('the server never keeps its process alive', async (t) => {
  const path = join(tempDir(t), 'exit.sock');
  const { child, ready } = spawnServer(path, 'exit');
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  const exited = once(child, 'exit');
  await ready.catch(() => undefined); // it may exit right after printing "ready"
  const [code] = await exited;
  t.equal(code, 0, 'the child exited on its own with the server still open');
});
