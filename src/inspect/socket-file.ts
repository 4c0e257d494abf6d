/**
 * The inspection socket's file: checking the path, clearing a stale socket, binding
 * owner-only and removing the file again.
 *
 * Invariants:
 *  1. An existing file that is not a socket is never removed or replaced.
 *  2. An existing socket is removed only if nothing accepts on it, and only if it is
 *     still the inode that was probed.
 *  3. The socket file never exists with a mode other than 0600 (main thread; see
 *     bindOwnerOnly for worker threads).
 */

import { chmod, lstat, stat, unlink } from 'node:fs/promises';
import * as net from 'node:net';
import { dirname } from 'node:path';
import { isMainThread } from 'node:worker_threads';

import { CodedError } from '../../sim-kernel/index.js';
import { inspectError, messageOf } from './socket-protocol.js';

const SOCKET_MODE = 0o600;
/** Clears group and other bits and the owner's execute bit: bind() then creates 0600. */
const BIND_UMASK = 0o177;
/** How long an existing socket may take to accept before we call it live. */
const PROBE_TIMEOUT_MS = 1_000;

export async function checkParentDirectory(path: string): Promise<void> {
  const dir = dirname(path);
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
    throw inspectError(code, `cannot create inspection socket ${path}: directory ${dir} ${why}`, { path, dir }, err);
  }
  if (!st.isDirectory()) throw inspectError('ENOTDIR', `cannot create inspection socket ${path}: ${dir} is not a directory`, { path, dir });
}

/**
 * Clears the way for bind(): nothing there is fine; a socket nobody answers on is a
 * leftover of a crashed engine and is removed; anything else is refused.
 */
export async function removeStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw inspectError((err as NodeJS.ErrnoException).code ?? 'EIO', `cannot check inspection socket path ${path}: ${messageOf(err)}`, { path }, err);
  }
  if (!st.isSocket()) {
    const kind = st.isFile() ? 'a regular file' : st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : 'not a socket';
    throw inspectError('EEXIST', `refusing to replace ${path} with an inspection socket: it exists and is ${kind}; remove it or choose another path`, { path });
  }
  const probe = await probeSocket(path);
  if (probe === 'live') {
    throw inspectError('EADDRINUSE', `inspection socket ${path} is in use: another engine is serving it`, { path });
  }
  // Only unlink the inode we probed: another engine may have rebound the path meanwhile.
  try {
    const now = await lstat(path);
    if (now.ino === st.ino && now.dev === st.dev) await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw inspectError((err as NodeJS.ErrnoException).code ?? 'EIO', `cannot remove stale inspection socket ${path}: ${messageOf(err)}`, { path }, err);
    }
  }
}

function probeSocket(path: string): Promise<'live' | 'stale'> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path });
    const settle = (outcome: 'live' | 'stale' | CodedError) => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof CodedError) reject(outcome);
      else resolve(outcome);
    };
    // Connecting to a Unix socket is immediate unless its backlog is full: a slow peer is live.
    const timer = setTimeout(() => settle('live'), PROBE_TIMEOUT_MS);
    socket.once('connect', () => settle('live'));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') settle('stale');
      else if (err.code === 'EACCES' || err.code === 'EPERM') {
        settle(inspectError(err.code, `cannot probe existing inspection socket ${path} (${err.code}); it belongs to another user`, { path }, err));
      } else settle('live');
    });
  });
}

/**
 * listen() with the process umask narrowed to 0177 so bind() creates the file 0600:
 * there is no moment when another user could connect. bind() happens synchronously
 * inside listen() ({ exclusive: true } keeps cluster workers from delegating it to the
 * primary), so the umask is restored before any other code runs. Worker threads may
 * not change the umask; there the chmod in verifyOwnerOnly() is the only guard, which
 * leaves a short window if the umask lets others write.
 */
export function bindOwnerOnly(server: net.Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.removeListener('listening', onListening);
      const code = err.code ?? 'EIO';
      const message = code === 'EADDRINUSE'
        ? `inspection socket ${path} is in use: another engine is serving it`
        : `cannot listen on inspection socket ${path}: ${err.message}`;
      reject(inspectError(code, message, { path }, err));
    };
    const onListening = () => {
      server.removeListener('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    const previous = isMainThread ? process.umask(BIND_UMASK) : null;
    try {
      server.listen({ path, exclusive: true });
    } finally {
      if (previous !== null) process.umask(previous);
    }
  });
}

/** chmod 0600 (belt and braces) and check with lstat; returns the socket's inode. */
export async function verifyOwnerOnly(path: string): Promise<number> {
  await chmod(path, SOCKET_MODE);
  const st = await lstat(path);
  const mode = st.mode & 0o777;
  const uid = process.getuid?.();
  if (!st.isSocket() || mode !== SOCKET_MODE || (uid !== undefined && st.uid !== uid)) {
    throw inspectError(
      'EACCES',
      `inspection socket ${path} is not an owner-only socket after creation (mode ${mode.toString(8)}, uid ${st.uid}); refusing to serve`,
      { path, mode, uid: st.uid },
    );
  }
  return st.ino;
}

/**
 * Removes the socket file if it is still the one we bound (same inode). libuv already
 * unlinks a bound pipe's path when the server closes; this covers the case where it
 * did not, and never removes a file someone else has since put at the path.
 */
export async function unlinkOwnSocket(path: string, ino: number): Promise<void> {
  try {
    const st = await lstat(path);
    if (st.isSocket() && st.ino === ino) await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
