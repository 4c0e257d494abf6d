/**
 * Serve a running Database's inspection views on a Unix socket (socket.ts is the
 * transport): `remapdb inspect --live PATH` and `remapdb kernel --live PATH` are its
 * clients. Each request takes a fresh InspectState from the engine and answers with the
 * same view functions the snapshot path uses (views.ts).
 *
 * Methods: the views (summary, slots, usage, ptes, maps, smaps, meminfo, vmstat, kernel;
 * params as views.ts documents), `state` (the whole InspectState), `snapshot` (store one
 * in meta.sqlite now; params { label }), and the transport's `hello`.
 *
 * Requests are answered on the event loop, between transactions: a program that runs a
 * long synchronous loop must yield now and then (`await new Promise(setImmediate)`);
 * the benchmark harness yields every 50 ms.
 */

import * as path from 'node:path';

import type { Database } from '../../storage/index.js';
import { ensureRuntimeDir, runtimeDir } from './paths.js';
import { InspectServer, type InspectServerOptions } from './socket.js';
import { VIEW_NAMES, type ViewName, view } from './views.js';

export const LIVE_METHODS = [...VIEW_NAMES, 'state', 'snapshot'] as const;

function isView(m: string): m is ViewName {
  return (VIEW_NAMES as readonly string[]).includes(m);
}

/** Start serving `db` on `socketPath` (created 0600); the server closes when the database does. */
export async function serveInspection(db: Database, socketPath: string, opts: InspectServerOptions = {}): Promise<InspectServer> {
  if (path.dirname(path.resolve(socketPath)) === path.resolve(runtimeDir())) ensureRuntimeDir(runtimeDir());
  const server = await InspectServer.listen(socketPath, (method, params) => {
    if (isView(method)) return view(db.inspectState('live', { owners: method === 'slots' }), method, params);
    if (method === 'state') return db.inspectState('live', { owners: params.owners !== false });
    // snapshot
    const label = params.label ?? 'live';
    if (typeof label !== 'string' || label.length > 64) throw new RangeError(`snapshot label must be a string of at most 64 characters`);
    return { id: db.saveSnapshot(label) };
  }, { ...opts, methods: LIVE_METHODS });
  db.onClosed(() => void server.close());
  return server;
}
