/**
 * src/inspect — looking into a running engine's buffer pool and simulated kernel.
 *
 * views.ts   the views (summary, slots, usage, ptes, maps, smaps, meminfo, vmstat,
 *            kernel) computed from a Database's raw InspectState; the PostgreSQL
 *            (pg_buffercache) and InnoDB (INNODB_BUFFER_POOL_STATS) names live here
 *            and nowhere below
 * serve.ts   serveInspection(db, socketPath): answer those views live
 * socket.ts  the newline-delimited JSON protocol over a 0600 Unix socket: server, client
 * paths.ts   the per-user runtime directory and default socket paths
 * snapshot.ts a database's stored snapshot (meta.sqlite) as the same state, read-only
 */

export {
  asState, DEFAULT_SLOT_LIMIT, parseSlotFilter, type PtesView, type SlotFilter, type SlotRow, type SlotsView, type SummaryView,
  VIEW_CODES, VIEW_NAMES, type ViewName, view,
} from './views.js';
export { LIVE_METHODS, serveInspection } from './serve.js';
export {
  INSPECT_CODES, INSPECT_PROTOCOL_VERSION, InspectClient, type InspectCode, type InspectHandler, InspectServer,
  type InspectServerOptions, inspectOnce, MAX_RESPONSE_BYTES, SUN_PATH_MAX_BYTES,
} from './socket.js';
export { defaultSocketPath, ensureRuntimeDir, runtimeDir } from './paths.js';
export { loadSnapshotState } from './snapshot.js';
