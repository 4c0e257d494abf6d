/**
 * remapdb through its public API (src/db.ts open()): nonlinear buffer pool big enough
 * for the whole table, on a simulated machine with RAM for the pool, its shadow frames
 * and the page cache.
 *
 * Keys: schema ['bytes'] with the same 8-byte big-endian Uint8Array the other engines
 * get (the tuple encoding makes it 1 tag + 8 bytes with each 0x00 escaped + 1
 * terminator: 15 bytes for indexes below 2^24, the first 11 shared by every key). ['int']
 * would store 4 bytes (tag + 3) and skip the escaping, but then remapdb alone would get
 * a number instead of the workload's key bytes; the caller's key is the same for all
 * three engines. keyType 'int' (engine 'remapdb-int') is the supplementary cell that
 * measures the difference.
 *
 * sync: remapdb's own modes (storage/wal.ts; bench/lib/peers.ts says what each promises
 * beside the peers) — 'full' writes and fdatasyncs the WAL at every commit; 'normal'
 * writes each commit to the file and fdatasyncs at checkpoints (consistent, may lose the
 * last commits on a power loss); 'off' never waits for a sync.
 */

import { open } from '../../src/index.js';
import { MiB, setVersion, VALUE_BYTES, versionOf, writeKey, writeValue } from './common.js';
import { type Engine, type OpenSpec, REMAPDB_POOL_PAGES, REMAPDB_RAM_BYTES, type SimProbe } from './engine.js';

const TABLE = 'kv';

export function openRemapdb(spec: OpenSpec, keyType: 'bytes' | 'int'): Engine {
  const db = open(spec.dir, {
    sync: spec.sync, strategy: 'nonlinear', poolPages: REMAPDB_POOL_PAGES, create: spec.create, kernel: { ramBytes: REMAPDB_RAM_BYTES },
  });
  const table = spec.create ? db.createTable<Uint8Array>(TABLE, { key: [keyType], value: 'bytes' }) : db.table<Uint8Array>(TABLE);
  const bytesKey = new Uint8Array(8);
  const key = keyType === 'int' ? (i: number): number => i : (i: number): Uint8Array => {
    writeKey(bytesKey, i);
    return bytesKey;
  };
  const val = new Uint8Array(VALUE_BYTES);
  const load = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      writeValue(val, i, 0);
      table.insert(key(i), val);
    }
  });
  const update = db.transaction((i: number): number => {
    const k = key(i);
    const old = table.get(k);
    if (old === undefined) throw new Error(`remapdb: row ${i} missing in an update`);
    val.set(old);
    const v = versionOf(old) + 1;
    setVersion(val, v);
    table.update(k, val);
    return v;
  });
  return {
    name: keyType === 'int' ? 'remapdb-int' : 'remapdb',
    loadBatch: load,
    get: (i: number): Uint8Array | undefined => table.get(key(i)),
    update,
    scan(): number {
      let n = 0;
      for (const _ of table.range()) n++;
      return n;
    },
    count: () => table.count,
    probe(): SimProbe {
      const st = db.stats();
      const s = st.pool;
      return {
        kernelNs: db.kernel.kernelNs, events: db.kernel.kernelTime(), fixes: s.fixes, hits: s.hits, misses: s.misses,
        resident: s.resident, evictions: s.evictions, writebacks: s.writebacks, walFullPages: st.wal.fullPages, walDeltas: st.wal.deltas,
        walBytes: st.wal.bytesWritten, walSyncs: st.wal.syncs, checkpoints: st.checkpoints,
      };
    },
    describe: () => `open(dir, { sync: '${spec.sync}', strategy: 'nonlinear', poolPages: ${REMAPDB_POOL_PAGES}, ` +
      `kernel: { ramBytes: ${REMAPDB_RAM_BYTES / MiB} MiB } }); table key ['${keyType}'], value 'bytes'`,
    close(): Promise<void> {
      db.close();
      return Promise.resolve();
    },
  };
}
