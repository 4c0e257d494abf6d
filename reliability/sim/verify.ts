/**
 * Opening a simulator database, and verifying one after recovery: the recovered contents
 * must be a state the durability mode allows (model.ts), every engine invariant must
 * hold, every check of integrityReport() pass (page checksums read from the file
 * included), and TPC-B-like balances must add up. A violation throws SimFailure.
 */

import { open } from '../../src/index.js';
import type { Kernel } from '../../sim-kernel/index.js';
import type { Database, SyncMode } from '../../storage/index.js';
import type { SimConfig } from './config.js';
import type { Commit, KvState, SimModel } from './model.js';
import { readState, SimFailure, type SimWorkload } from './ops.js';

/** Open the seed's database directory on `kernel` with the seed's options. */
export function openSimDb(dir: string, c: SimConfig, kernel: Kernel, seed: number): Database {
  return open(dir, {
    kernel, sync: c.sync, strategy: c.strategy, poolPages: c.poolPages, shadowPages: c.shadowPages, mlock: c.mlock,
    checkpointBytes: c.checkpointBytes, checkDeclaredWrites: true, seed: seed >>> 0, snapshotOnClose: false,
  });
}

export interface Verified {
  /** Commits of the pending log present after recovery (pending + 1: the one in flight too). */
  prefix: number;
  pending: number;
}

/**
 * Check the database `w` just recovered against `model`; on success the model adopts the
 * recovered state. `inFlight`: the commit being made when the machine died or the
 * database failed (it may or may not be there).
 */
export function verifyRecovered(w: SimWorkload, model: SimModel, inFlight: Commit | null, sync: SyncMode, what: string): Verified {
  const db = w.db;
  let got: KvState;
  try {
    got = readState(db, w.tpcb);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new SimFailure(`after ${what}, reading the recovered database threw ${typeof code === 'string' ? code : 'an uncoded'}: ` +
      `${(err as Error).stack ?? String(err)}`);
  }
  const pending = model.pending;
  const prefix = model.match(got, inFlight, sync);
  if (prefix < 0) {
    throw new SimFailure(`after ${what}, the recovered database is no state sync '${sync}' allows there: ` +
      `${model.explain(got, inFlight, sync)}`);
  }
  try {
    db.checkInvariants();
  } catch (err) {
    throw new SimFailure(`after ${what}, checkInvariants() fails: ${(err as Error).message}`);
  }
  const bad = db.integrityReport().checks.filter((k) => !k.ok);
  if (bad.length > 0) {
    throw new SimFailure(`after ${what}, integrityReport() fails: ${bad.map((k) => `${k.id}: ${k.detail}`).join('; ')}`);
  }
  w.tpcbCheck(got.tpcbRows);
  model.adopt(got);
  return { prefix, pending };
}
