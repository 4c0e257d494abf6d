/**
 * The live-inspection socket: a transport that lets a second process (`remapdb inspect
 * --live PATH`) ask a running engine questions. It knows nothing of what is served; the
 * engine passes an InspectHandler that answers (method, params) with a JSON value.
 *
 * Files: socket-protocol.ts (codes, limits, line reader), socket-server.ts
 * (InspectServer), socket-client.ts (InspectClient, inspectOnce).
 *
 * ## Wire protocol (version INSPECT_PROTOCOL_VERSION = 1)
 *
 * Newline-delimited JSON over a Unix domain stream socket (AF_UNIX: local only). Each
 * line is one UTF-8 JSON value with no raw newline inside it; blank lines are ignored.
 * Responses on one connection come back in request order, so a client may pipeline.
 *
 * | direction | shape                                                          | notes                                                     |
 * |-----------|----------------------------------------------------------------|-----------------------------------------------------------|
 * | request   | {"id": <int or string>, "method": "<name>", "params": {...}}   | params optional (default {}); ≤ maxRequestBytes per line  |
 * | success   | {"id": <same>, "ok": true, "result": <JSON>}                    | a handler returning undefined gives "result": null        |
 * | failure   | {"id": <same> or null, "ok": false, "error": {"code", "message"}} | id null: the request's id was unreadable, or the error    |
 * |           |                                                                |   is about the connection (BUSY, TOO_LARGE)               |
 * | hello     | {"id": 1, "method": "hello"} → {"protocol": 1, "pid": <int>, "methods": ["hello", ...]} | built in; the handler is not called |
 *
 * | error code                        | when                                                        | connection afterwards |
 * |-----------------------------------|-------------------------------------------------------------|-----------------------|
 * | REMAPDB_INSPECT_BAD_REQUEST       | not UTF-8/JSON, not an object, bad id, method or params     | stays usable          |
 * | REMAPDB_INSPECT_TOO_LARGE         | a request line longer than maxRequestBytes (default 64 KiB) | closed by the server  |
 * | REMAPDB_INSPECT_UNKNOWN_METHOD    | method not in the server's list (message lists them)        | stays usable          |
 * | REMAPDB_INSPECT_FAILED            | handler threw an uncoded error, or result not serializable  | stays usable          |
 * | (the thrown CodedError's code)    | handler threw a CodedError                                  | stays usable          |
 * | REMAPDB_INSPECT_BUSY              | over maxConnections (default 16) at accept                  | closed by the server  |
 * | REMAPDB_INSPECT_NOT_RUNNING       | client: nothing listens at the path, or connection lost     | (client side)         |
 * | REMAPDB_INSPECT_TIMEOUT           | client: no connection / response within timeoutMs           | (client side)         |
 * | REMAPDB_INSPECT_PROTOCOL          | client: response not JSON, malformed, or over 64 MiB        | closed by the client  |
 *
 * A connection without traffic for idleTimeoutMs (default 60 s) is closed by the server.
 *
 * ## Security
 *
 * The socket file is created with mode 0600 (umask 0177 around bind, then chmod and an
 * lstat check), so only the engine's user can connect: connect() on a Unix socket needs
 * write permission on the file. An existing non-socket file is never replaced; an
 * existing socket is reused only if nothing answers on it (a crashed engine's leftover).
 *
 * ## Event loop
 *
 * The handler runs on the engine's event loop, between other callbacks. A program
 * running a long synchronous loop (a benchmark, a bulk load) must yield now and then,
 * e.g. `await new Promise(setImmediate)`, or inspection requests wait until it does
 * (and the client may report TIMEOUT). The server and its connections are unref'd:
 * they never keep the process alive, and the engine's owner calls close().
 */

export {
  INSPECT_CODES, INSPECT_PROTOCOL_VERSION, MAX_RESPONSE_BYTES, SUN_PATH_MAX_BYTES, type InspectCode,
} from './socket-protocol.js';
export { InspectServer, type InspectHandler, type InspectServerOptions } from './socket-server.js';
export { InspectClient, inspectOnce } from './socket-client.js';
