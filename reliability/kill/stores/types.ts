/**
 * What the kill test needs of an engine: a store the child commits the workload into
 * (KillStore), and a snapshot of a recovered directory for the verifier (Snapshot,
 * workload.ts). One file per engine (remapdb.ts, sqlite.ts, lmdb.ts); index.ts picks one.
 */

import type { KillConfig } from '../configs.js';
import type { Snapshot } from '../workload.js';

export interface StoreOptions {
  /** remapdb's checkpointBytes; SQLite's wal_autocheckpoint in pages of the same bytes. */
  checkpointBytes: number;
}

/** An open database the child commits into. */
export interface KillStore {
  /** The next transaction's key: the largest row key present + 1 (1 when empty). */
  nextKey(): number;
  /** Transaction i: insert row i, add i to the accumulator; returns once committed. */
  commit(i: number): void;
  /** An explicit checkpoint; null for an engine without one (LMDB). */
  readonly checkpoint: (() => void) | null;
  /**
   * Whether the next commit is expected to run an automatic checkpoint; null when the
   * engine does not let one tell (the prediction only aims kills, it proves nothing).
   */
  readonly checkpointDue: (() => boolean) | null;
}

export interface Engine {
  open(dir: string, config: KillConfig, opts: StoreOptions): KillStore;
  /**
   * Open `dir` (recovery runs), read every row and the accumulator, run the engine's own
   * checks, close. A directory that does not open is thrown as the engine's error.
   */
  snapshot(dir: string, config: KillConfig, opts: StoreOptions): Promise<Snapshot>;
}
