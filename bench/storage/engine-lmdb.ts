/**
 * LMDB through the lmdb package (lmdb-js 3.x), every measured operation synchronous:
 * getBinary, putSync, transactionSync; keys and values are Buffers, encoding 'binary'.
 *
 * Durability (LMDB env flags, lmdb.h):
 *   full   = default: every commit writes and fdatasyncs the data, then the meta page;
 *   normal = noMetaSync (MDB_NOMETASYNC): one flush per commit, the meta page's deferred —
 *            "maintains database integrity, but a system crash may undo the last
 *            committed transaction", SQLite NORMAL's promise (but still one fdatasync per
 *            commit, where SQLite and remapdb NORMAL do none);
 *   off    = noSync (MDB_NOSYNC): no flush at commit.
 * overlappingSync is off in every mode: lmdb-js enables it by default on Linux, and then
 * a commit returns before its flush (the flush overlaps later transactions), so 'full'
 * would not wait for the disk.
 * mapSize LMDB_MAP_BYTES (engine.ts).
 */

import { open } from 'lmdb';

import { MiB, setVersion, VALUE_BYTES, versionOf, writeKey, writeValue } from './common.js';
import { type Engine, LMDB_MAP_BYTES as MAP_BYTES, type OpenSpec } from './engine.js';

const NO_OVERWRITE = { noOverwrite: true };

export function openLmdb(spec: OpenSpec): Engine {
  const flags = { noSync: spec.sync === 'off', noMetaSync: spec.sync === 'normal' };
  const db = open<Buffer, Buffer>({
    path: spec.dir, encoding: 'binary', keyEncoding: 'binary', overlappingSync: false, mapSize: MAP_BYTES, compression: false, ...flags,
  });
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
    },
    get(i: number): Uint8Array | undefined {
      writeKey(key, i);
      return db.getBinary(key);
    },
    update(i: number): number {
      target = i;
      db.transactionSync(updateTx);
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
      `${flags.noSync ? ', noSync: true' : ''}${flags.noMetaSync ? ', noMetaSync: true' : ''} }); getBinary / putSync / transactionSync`,
    close: () => db.close(),
  };
}
