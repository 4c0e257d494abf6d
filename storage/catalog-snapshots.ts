/**
 * Reading buffer-pool snapshots from `meta.sqlite` without opening the database: for
 * `remapdb inspect DIR`, which may run while the engine holds the directory lock (the
 * catalog is in WAL mode, so a reader sees the last committed snapshot) or after it is
 * gone. Catalog.saveSnapshot and Catalog.latestSnapshot write and read the same rows
 * through an open catalog.
 *
 * Invariants:
 *   1. Read-only: the file is opened with `readonly: true`, and probe() refuses anything
 *      that is not a catalog before a row is read.
 *   2. Every error leaves as DbError REMAPDB_CATALOG naming the file (catalog.ts
 *      invariant 5), the connection closed.
 *
 * Split from catalog.ts, which owns the schema and the statements of an open catalog.
 */

import { catalogError } from './catalog.js';
import { openCatalogReadOnly } from './catalog-read.js';
import { DbError } from './errors.js';

export interface Snapshot {
  id: number; takenAt: number; label: string; strategy: string; summary: unknown; slots: unknown; kernel: unknown;
}

/** @internal a snapshots row as selected (JSON columns still text). */
export interface SnapshotRow {
  id: number; takenAt: number; label: string; strategy: string; summary: string; slots: string; kernel: string;
}

/**
 * Read snapshots from a catalog without opening its database: the engine may be running
 * (it holds the directory lock; the catalog is in WAL mode, so a reader sees the last
 * committed snapshot) or gone. Opened read-only: nothing here can change the file.
 * `id` picks one snapshot, by default the newest; `list` gives every kept one, newest first.
 */
export function readSnapshots(path: string, opts: { id?: number } = {}): { list: Omit<Snapshot, 'summary' | 'slots' | 'kernel'>[];
  snapshot: Snapshot | undefined; } {
  const db = openCatalogReadOnly(path);
  try {
    const list = db.prepare<[], Omit<SnapshotRow, 'summary' | 'slots' | 'kernel'>>(
      'SELECT id, taken_at AS takenAt, label, strategy FROM snapshots ORDER BY id DESC').all();
    const want = opts.id ?? list[0]?.id;
    const r = want === undefined ? undefined : db.prepare<[number], SnapshotRow>('SELECT id, taken_at AS takenAt, label, strategy, ' +
      'summary, slots, kernel FROM snapshots WHERE id = ?').get(want);
    const parse = (text: string, what: string): unknown => {
      try {
        return JSON.parse(text) as unknown;
      } catch (e) {
        throw catalogError(path, `has a damaged ${what}`, e);
      }
    };
    return {
      list: list.map((x) => ({ ...x })),
      snapshot: r === undefined ? undefined : {
        id: r.id, takenAt: r.takenAt, label: r.label, strategy: r.strategy, summary: parse(r.summary, `snapshot ${r.id} summary`),
        slots: parse(r.slots, `snapshot ${r.id} slots`), kernel: parse(r.kernel, `snapshot ${r.id} kernel`),
      },
    };
  } catch (e) {
    if (e instanceof DbError) throw e;
    throw catalogError(path, 'could not be read', e);
  } finally {
    db.close();
  }
}
