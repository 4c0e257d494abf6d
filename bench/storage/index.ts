/**
 * The storage suite: remapdb end to end through its public API (src/db.ts open()) beside
 * SQLite (better-sqlite3) and LMDB (lmdb-js) — load, point lookups, single-row update
 * transactions per sync mode (report.ts; each engine and phase in its own process); and the
 * reopen after a crash, per MiB of WAL replayed (replay.ts).
 */

import { packageVersion } from '../lib/env.js';
import type { Suite } from '../lib/harness.js';
import { SEED, workload } from './common.js';
import { LMDB_MAP_BYTES, REMAPDB_POOL_PAGES, REMAPDB_RAM_BYTES, SQLITE_CACHE_BYTES } from './engine.js';
import { replayReport } from './replay.js';
import { enginesReport } from './report.js';
import { int } from '../lib/format.js';

export const storageSuite: Suite = {
  name: 'storage',
  description: 'storage engine end to end: remapdb vs SQLite vs LMDB — load, point lookups (uniform, zipfian), update tx/s per sync mode',
  environment() {
    const w = workload();
    return {
      workload: `${int(w.rows)} rows (8-byte big-endian keys, 100-byte values), load in ${int(w.batchRows)}-row ` +
        `transactions${w.quick ? ' (--quick)' : ''}; seed ${SEED} (REMAPDB_BENCH_SEED replays another)`,
      engines: `remapdb (this checkout): nonlinear, poolPages ${REMAPDB_POOL_PAGES}, ${REMAPDB_RAM_BYTES / 1024 ** 2} MiB simulated RAM; ` +
        `better-sqlite3 ${packageVersion('better-sqlite3')}: WAL, cache ${SQLITE_CACHE_BYTES / 1024 ** 2} MiB, checkpoint default and matched; lmdb ${packageVersion('lmdb')}: mapSize ${LMDB_MAP_BYTES / 1024 ** 2} MiB`,
      'data directories': 'under os.tmpdir(), removed afterwards',
    };
  },
  benches: [enginesReport, replayReport],
};
