/**
 * A database directory's stored buffer-pool snapshot as an InspectState: the newest, or
 * the one with a given id, read from meta.sqlite without opening the database (it may be
 * running in another process). The views (views.ts) answer from it exactly as from a live
 * engine.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { CodedError } from '../../sim-kernel/index.js';
import { type InspectState, META_FILE, readSnapshots } from '../../storage/index.js';
import { UsageError } from '../errors.js';
import { asState } from './views.js';

/** The newest (or chosen) snapshot of a database directory as an InspectState. */
export function loadSnapshotState(dir: string, id?: number): { state: InspectState; id: number; count: number } {
  if (!fs.existsSync(dir)) throw new CodedError('ENOENT', `${dir}: no such directory`);
  if (!fs.statSync(dir).isDirectory()) throw new CodedError('ENOTDIR', `${dir}: not a directory (give a database directory)`);
  const meta = path.join(dir, META_FILE);
  if (!fs.existsSync(meta)) {
    // init refuses a directory with anything in it: suggest it only where it would work.
    const empty = fs.readdirSync(dir).length === 0;
    throw new CodedError('ENOENT', `${dir} has no ${META_FILE}: not a remapdb database ` +
      `(${empty ? `remapdb init ${dir} creates one` : 'remapdb init creates one in a new or empty directory'})`);
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
