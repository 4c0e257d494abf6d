/**
 * Seeded model test of the whole engine against a Map: random transactions of inserts,
 * updates, upserts, deletes and range checks (some rolled back by a throw, some with a
 * savepoint that fails), with tiny and overflow-sized values, interleaved with
 * checkpoints, clean reopens and power failures (sync 'full': nothing acknowledged may
 * be lost), on every buffer-pool strategy with a pool much smaller than the data so
 * pages are evicted and refetched. After every step the engine's invariants hold
 * (B+tree order and fill, free-page accounting, pager, catalog, buffer pool, kernel).
 *
 * REMAPDB_SEED replays; REMAPDB_MODEL_STEPS runs longer (default 150 transactions).
 */

import t from 'tap';

import { Kernel } from '../../sim-kernel/index.js';
import { open } from '../../src/db.js';
import type { Database, Table } from '../../storage/index.js';
import { mulberry32, tempDir } from './helpers/index.js';

const SEED = Number(process.env['REMAPDB_SEED'] ?? 5150);
const STEPS = Number(process.env['REMAPDB_MODEL_STEPS'] ?? 150);
const STRATEGIES = ['nonlinear', 'multi-mmap', 'pread'] as const;

t.comment(`seed ${SEED}, ${STEPS} transactions per strategy (replay: REMAPDB_SEED=${SEED})`);

class Rollback extends Error {}

// Each strategy also under guard mode with write-fault tracking on a kernel with per-page
// protection: every page access of the engine then goes through the simulated MMU.
const RUNS = STRATEGIES.flatMap((strategy) => [{ strategy, guard: false }, { strategy, guard: true }]);

for (const { strategy, guard } of RUNS) {
  t.test(`model: ${strategy}${guard ? ' (guard, write-fault, perPageProt)' : ''}`, async (t) => {
    const rnd = mulberry32(SEED ^ strategy.length ^ (guard ? 0x9a4d : 0));
    const dir = tempDir(t);
    const machine = { ramBytes: 24 * 1024 * 1024, perPageProt: guard };
    let kernel = new Kernel(machine);
    const opts = {
      strategy, sync: 'full' as const, poolPages: 40, shadowPages: 600, checkpointBytes: 48 * 1024, checkDeclaredWrites: true,
      guard, dirtyTracking: guard ? 'write-fault' as const : 'explicit' as const,
    };
    let db: Database = open(dir, { ...opts, kernel });
    let tb: Table<string> = db.createTable<string>('m', { key: ['int', 'string'], value: 'string' });
    const model = new Map<string, string>();
    const id = (k: [number, string]): string => `${k[0]}|${k[1]}`;
    const randKey = (): [number, string] => [Math.floor(rnd() * 300) - 50, rnd() < 0.5 ? '' : 'k'.repeat(Math.floor(rnd() * 40))];
    const randValue = (): string => {
      const r = rnd();
      const n = r < 0.05 ? 3000 + Math.floor(rnd() * 9000) : r < 0.3 ? 0 : Math.floor(rnd() * 120);
      return String.fromCharCode(97 + Math.floor(rnd() * 26)).repeat(n);
    };
    const check = (label: string): void => {
      const rows = tb.all();
      if (rows.length !== model.size) throw new Error(`${label}: ${rows.length} rows, model ${model.size} (seed ${SEED})`);
      for (const r of rows) {
        const want = model.get(id(r.key as [number, string]));
        if (want !== r.value) throw new Error(`${label}: row ${JSON.stringify(r.key)} differs (seed ${SEED})`);
      }
      db.checkInvariants();
    };
    const reopen = (crash: boolean): void => {
      if (crash) db.simulatePowerFailure(() => kernel.shutdown({ sync: false }));
      else {
        db.close();
        kernel.shutdown({ sync: true });
      }
      kernel = new Kernel(machine);
      db = open(dir, { ...opts, kernel });
      tb = db.table<string>('m');
    };
    let crashes = 0;
    let rollbacks = 0;
    for (let step = 0; step < STEPS; step++) {
      const pending = new Map(model);
      const abort = rnd() < 0.15;
      const ops = 1 + Math.floor(rnd() * 12);
      try {
        db.transaction(() => {
          for (let i = 0; i < ops; i++) {
            const k = randKey();
            const r = rnd();
            if (r < 0.35) {
              const v = randValue();
              tb.upsert(k, v);
              pending.set(id(k), v);
            } else if (r < 0.55) {
              const v = randValue();
              const had = pending.has(id(k));
              try {
                tb.insert(k, v);
                pending.set(id(k), v);
              } catch (err) {
                if (!had || (err as { code?: string }).code !== 'REMAPDB_DUPLICATE_KEY') throw err;
              }
            } else if (r < 0.7) {
              const v = randValue();
              if (pending.has(id(k))) {
                tb.update(k, v);
                pending.set(id(k), v);
              }
            } else if (r < 0.88) {
              const was = tb.delete(k);
              if (was !== pending.has(id(k))) throw new Error(`delete of ${JSON.stringify(k)} returned ${was} (seed ${SEED})`);
              pending.delete(id(k));
            } else if (r < 0.95) {
              const got = tb.get(k);
              if (got !== pending.get(id(k))) throw new Error(`get ${JSON.stringify(k)} disagrees (seed ${SEED})`);
            } else {
              // a savepoint whose changes are thrown away
              try {
                db.transaction(() => {
                  tb.upsert(randKey(), randValue());
                  tb.delete(randKey());
                  throw new Rollback();
                })();
              } catch (err) {
                if (!(err instanceof Rollback)) throw err;
              }
            }
          }
          if (abort) throw new Rollback();
        })();
        for (const k of [...model.keys()]) if (!pending.has(k)) model.delete(k);
        for (const [k, v] of pending) model.set(k, v);
      } catch (err) {
        if (!(err instanceof Rollback)) throw err;
        rollbacks++;
      }
      check(`step ${step}`);
      const r = rnd();
      if (r < 0.05) {
        reopen(true);
        crashes++;
        check(`after power failure at step ${step}`);
      } else if (r < 0.08) {
        reopen(false);
        check(`after reopen at step ${step}`);
      } else if (r < 0.12) {
        db.checkpoint();
      }
    }
    t.same(db.verifyFile().errors, []);
    t.pass(`${STEPS} transactions (${rollbacks} rolled back), ${crashes} power failures, ${model.size} rows: engine matches the model`);
    db.close();
    kernel.shutdown({ sync: true });
  });
}
