/**
 * Where `remapdb inspect` and `remapdb kernel` get their state: a database directory's
 * newest (or a chosen) snapshot in meta.sqlite, read without opening the database (it may
 * be running), or a running engine's inspection socket (`--live PATH`). Both answer a
 * view by name with the same shapes (src/inspect/views.ts).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { META_FILE, readSnapshots } from '../../storage/index.js';
import type { InspectState } from '../../storage/index.js';
import { CodedError, UsageError } from '../errors.js';
import { InspectClient } from '../inspect/socket.js';
import { asState, type ViewName, view } from '../inspect/views.js';

export interface Source {
  /** What is being looked at, for headings: "snapshot 7 (close, 2026-…) of DIR" or "live: PATH (pid N)". */
  describe(): string;
  get(name: ViewName, params: Record<string, unknown>): Promise<unknown>;
  /** Re-read before the next round of --watch (snapshots: the newest may have changed). */
  refresh(): Promise<void>;
  close(): void;
}

export interface SourceArgs {
  dir?: string | undefined;
  live?: string | undefined;
  snapshot?: number | undefined;
  timeoutMs?: number;
}

/** The newest (or chosen) snapshot of a database directory as an InspectState. */
export function loadSnapshotState(dir: string, id?: number): { state: InspectState; id: number; count: number } {
  if (!fs.existsSync(dir)) throw new CodedError('ENOENT', `${dir}: no such directory`);
  if (!fs.statSync(dir).isDirectory()) throw new CodedError('ENOTDIR', `${dir}: not a directory (give a database directory)`);
  const meta = path.join(dir, META_FILE);
  if (!fs.existsSync(meta)) {
    throw new CodedError('ENOENT', `${dir} has no ${META_FILE}: not a remapdb database (remapdb init ${dir} creates one)`);
  }
  const { list, snapshot } = readSnapshots(meta, id === undefined ? {} : { id });
  if (snapshot === undefined) {
    if (id !== undefined) {
      throw new UsageError(`--snapshot ${id}: no such snapshot in ${meta} (kept: ${list.map((s) => s.id).join(', ') || 'none'})`);
    }
    throw new CodedError('REMAPDB_NO_SNAPSHOT', `${dir} has no buffer-pool snapshot yet: one is stored when the database closes ` +
      '(or inspect a running engine with --live PATH)');
  }
  const rest = snapshot.kernel as Omit<InspectState, 'summary' | 'slots'>;
  const state = asState({ ...rest, summary: snapshot.summary, slots: snapshot.slots }, `snapshot ${snapshot.id} in ${meta}`);
  return { state, id: snapshot.id, count: list.length };
}

export async function openSource(a: SourceArgs): Promise<Source> {
  if ((a.dir === undefined) === (a.live === undefined)) {
    throw new UsageError('give a database directory (its last snapshot) or --live SOCKET (a running engine), not both or neither');
  }
  if (a.live !== undefined) {
    if (a.snapshot !== undefined) throw new UsageError('--snapshot reads a stored snapshot; it does not go with --live');
    const socket = a.live;
    const client = await InspectClient.connect(socket, { timeoutMs: a.timeoutMs ?? 10_000 });
    const hello = await client.request('hello') as { pid?: number };
    return {
      describe: () => `live: ${socket} (pid ${String(hello.pid ?? '?')}), ${new Date().toISOString()}`,
      get: (name, params) => client.request(name, params),
      refresh: () => Promise.resolve(),
      close: () => client.close(),
    };
  }
  const dir = a.dir as string;
  let snap = loadSnapshotState(dir, a.snapshot);
  return {
    describe: () => `snapshot ${snap.id} (${snap.state.label}, ${new Date(snap.state.takenAt).toISOString()}) of ${path.resolve(dir)}`,
    get: (name, params) => Promise.resolve(view(snap.state, name, params)),
    refresh: () => {
      snap = loadSnapshotState(dir, a.snapshot);
      return Promise.resolve();
    },
    close: () => undefined,
  };
}
