/**
 * Where `remapdb inspect` and `remapdb kernel` get their state: a database directory's
 * newest (or a chosen) snapshot in meta.sqlite, read without opening the database (it may
 * be running), or a running engine's inspection socket (`--live PATH`). Both answer a
 * view by name with the same shapes (src/inspect/views.ts).
 */

import * as path from 'node:path';

import { UsageError } from '../src/index.js';
import { InspectClient, loadSnapshotState, type ViewName, view } from '../src/inspect/index.js';

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
