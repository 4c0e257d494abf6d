/**
 * Where default inspection sockets live: a per-user directory, never a shared one. A
 * socket at a fixed name in /tmp could be pre-created by another user, whose server would
 * then answer our inspector with made-up figures; inside a 0700 directory that we own,
 * nobody else can create, replace or connect to it.
 *
 *   $XDG_RUNTIME_DIR/remapdb   when the session has one (already per-user, 0700)
 *   $TMPDIR/remapdb-<uid>      otherwise
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { CodedError } from '../../sim-kernel/index.js';

export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg !== undefined && xdg !== '' && path.isAbsolute(xdg)) return path.join(xdg, 'remapdb');
  return path.join(os.tmpdir(), `remapdb-${os.userInfo().uid}`);
}

/** The default socket for `name` (e.g. 'bench', 'demo'); the directory is made by ensureRuntimeDir. */
export function defaultSocketPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(runtimeDir(env), `${name}.sock`);
}

/**
 * Create the runtime directory (0700) if missing; refuse one that is not ours or that
 * others can enter — someone may have made it to catch our sockets.
 */
export function ensureRuntimeDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  const uid = os.userInfo().uid;
  if (!st.isDirectory()) throw new CodedError('ENOTDIR', `${dir} is not a directory: remove it, or give --inspect-socket PATH`);
  if (st.uid !== uid) throw new CodedError('EACCES', `${dir} belongs to uid ${st.uid}, not to you (uid ${uid}): remove it, or give --inspect-socket PATH`);
  if ((st.mode & 0o077) !== 0) {
    throw new CodedError('EACCES', `${dir} has mode ${(st.mode & 0o777).toString(8)}: others can reach sockets in it; ` +
      `chmod 700 ${dir}, or give --inspect-socket PATH`);
  }
}
