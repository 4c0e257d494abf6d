/**
 * LMDB through the lmdb package (lmdb-js 3.x), every measured operation synchronous:
 * getBinary, putSync, transactionSync; keys and values are Buffers, encoding 'binary'.
 *
 * Durability as in the workloads (bench/lib/peers.ts, which says what each promises):
 *   full   = default: every commit fdatasyncs the data, then writes the meta page through
 *            an O_DSYNC descriptor;
 *   normal = noSync, plus env.sync() after every 512 MiB of pages written (remapdb's
 *            checkpointBytes for its 65,536-page pool; LmdbFlusher) — remapdb's and SQLite
 *            NORMAL's cost and loss window, but a power loss between syncs may corrupt
 *            unless the file system keeps write order;
 *   off    = noSync: no flush at commit.
 * overlappingSync is off in every mode: lmdb-js enables it by default on Linux, and then
 * a commit returns before its flush (the flush overlaps later transactions), so 'full'
 * would not wait for the disk.
 * mapSize LMDB_MAP_BYTES (engine.ts).
 */

import { open } from 'lmdb';

import { LmdbFlusher, lmdbSyncFlags, remapdbCheckpointBytes } from '../lib/peers.js';
import { MiB, setVersion, VALUE_BYTES, versionOf, writeKey, writeValue } from './common.js';
import { type Engine, LMDB_MAP_BYTES as MAP_BYTES, type OpenSpec, REMAPDB_POOL_PAGES } from './engine.js';

const NO_OVERWRITE = { noOverwrite: true };

export function openLmdb(spec: OpenSpec): Engine {
  const flags = lmdbSyncFlags(spec.sync);
  const db = open<Buffer, Buffer>({
    path: spec.dir, encoding: 'binary', keyEncoding: 'binary', mapSize: MAP_BYTES, compression: false, ...flags,
  });
  const flusher = new LmdbFlusher(db, spec.sync, remapdbCheckpointBytes(REMAPDB_POOL_PAGES));
  const key = Buffer.alloc(8);
  const val = Buffer.alloc(VALUE_BYTES);
  let written = 0;
  const loadTx = (from: number, to: number) => (): void => {
    for (let i = from; i < to; i++) {
      writeKey(key, i);
      writeValue(val, i, 0);
      if (!putNew(key, val)) throw new Error(`lmdb: row ${i} already present in the load`);
    }
  };
  // putSync returns whether the put happened (write.js: put(...) === SYNC_PROMISE_SUCCESS),
  // false for an existing key under noOverwrite; index.d.ts declares it void.
  const putNew = (k: Buffer, v: Buffer): boolean => db.putSync(k, v, NO_OVERWRITE) as unknown as boolean;
  let target = 0;
  const updateTx = (): void => {
    writeKey(key, target);
    const old = db.getBinary(key);
    if (old === undefined) throw new Error(`lmdb: row ${target} missing in an update`);
    old.copy(val);
    written = versionOf(old) + 1;
    setVersion(val, written);
    db.putSync(key, val);
  };
  return {
    name: 'lmdb',
    loadBatch(from: number, to: number): void {
      db.transactionSync(loadTx(from, to));
      flusher.committed();
    },
    get(i: number): Uint8Array | undefined {
      writeKey(key, i);
      return db.getBinary(key);
    },
    update(i: number): number {
      target = i;
      db.transactionSync(updateTx);
      flusher.committed();
      return written;
    },
    scan(): number {
      let n = 0;
      for (const { value } of db.getRange({})) if (value.length > 0) n++;
      return n;
    },
    count: () => db.getCount(),
    probe: () => null,
    describe: () => `lmdb-js: open({ encoding: 'binary', keyEncoding: 'binary', overlappingSync: false, mapSize: ${MAP_BYTES / MiB} MiB` +
      `${flags.noSync ? ', noSync: true' : ''}${flags.trackMetrics ? ', trackMetrics: true' : ''} }); getBinary / putSync / transactionSync` +
      `${spec.sync === 'normal' ? `; ${flusher.describe()}` : ''}`,
    close(): Promise<void> {
      flusher.flush();
      return db.close();
    },
  };
}
