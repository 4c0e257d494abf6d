/**
 * Bounded recovery (issue 16): the replay budget (StorageOptions.replayBudgetMs) caps the
 * automatic checkpoint's WAL size at the log a reopen after a crash replays in about that
 * time (options.ts replayBudgetBytes), and redo brings back exactly what was committed.
 *   - the option: its default, 0, an explicit checkpointBytes winning, bad values refused
 *     naming the value and the range;
 *   - the trigger: a checkpoint follows the commit that takes the WAL past the budget's
 *     bytes, never earlier, and the WAL never holds more than that and one transaction;
 *   - a crash under the default budget leaves at most the budgeted WAL to replay, and the
 *     reopen brings back every committed row;
 *   - redo is exact: after crashes at seeded moments under a small budget, on every
 *     strategy, the tables equal a Map of what was committed (model) and every page
 *     equals the page the live database held at the crash (differential), invariants hold.
 * REMAPDB_SEED replays the seeded tests.
 */

import t from 'tap';

import { Kernel } from '../../sim-kernel/index.js';
import { open, type OpenOptions } from '../../src/db.js';
import { DB_CODES, type Database, type Table } from '../../storage/index.js';
import {
  DEFAULT_REPLAY_BUDGET_MS, defaultCheckpointBytes, REPLAY_BUDGET_MS_RANGE, replayBudgetBytes,
} from '../../storage/options.js';
import { caught, mulberry32, openDb, SMALL, tempDir } from './helpers/index.js';

const SEED = Number(process.env['REMAPDB_SEED'] ?? 1616);
const MiB = 1024 * 1024;
const PAGE_HEADER = 24;

t.comment(`seed ${SEED} (replay: REMAPDB_SEED=${SEED})`);

t.test('replayBudgetMs: the default, 0, an explicit checkpointBytes, bad values', async (t) => {
  t.equal(DEFAULT_REPLAY_BUDGET_MS, 2000, 'about 2 s of replay by default');
  t.equal(replayBudgetBytes(2000), 128 * MiB, '2 s at 64 MiB/s');
  t.equal(defaultCheckpointBytes(60_000, 4096), 128 * MiB, 'a 234 MiB pool: the budget caps the pool rule (469 MiB)');
  t.equal(defaultCheckpointBytes(60_000, 4096, 0), 2 * 60_000 * 4096, 'no budget: the pool rule alone');
  t.equal(defaultCheckpointBytes(4096, 4096), 64 * MiB, 'the default pool: the pool rule (64 MiB) is below the budget');
  t.equal(defaultCheckpointBytes(4096, 4096, 100), replayBudgetBytes(100), 'a small budget goes below the pool rule\'s 64 MiB floor');
  const dir = tempDir(t);
  let db = openDb(t, dir, { poolPages: 20_000 });
  t.same([db.options.replayBudgetMs, db.options.checkpointBytes], [2000, 128 * MiB], 'applied when no option is given');
  db.close();
  db = openDb(t, dir, { replayBudgetMs: 500 });
  t.equal(db.options.checkpointBytes, replayBudgetBytes(500), 'a budget of 500 ms: 32 MiB');
  db.close();
  db = openDb(t, dir, { replayBudgetMs: 500, checkpointBytes: 200 * MiB });
  t.equal(db.options.checkpointBytes, 200 * MiB, 'an explicit checkpointBytes wins over the budget');
  db.close();
  db = openDb(t, dir, { replayBudgetMs: 500, checkpointBytes: 0 });
  t.equal(db.options.checkpointBytes, 0, 'checkpointBytes 0 still means never');
  db.close();
  const { min, max } = REPLAY_BUDGET_MS_RANGE;
  for (const bad of [-1, 5, min - 1, max + 1, 1.5, Number.NaN, '2000' as unknown as number]) {
    t.match(caught(() => openDb(t, dir, { replayBudgetMs: bad })), {
      code: DB_CODES.INVALID,
      message: new RegExp(`option replayBudgetMs = ${JSON.stringify(bad).replace(/[.]/g, '\\.')} is invalid; allowed: 0 \\(no replay budget\\) ` +
        `or an integer from ${min} to ${max}`),
    }, `replayBudgetMs ${String(bad)} is refused, naming the value and the range`);
  }
  for (const ok of [0, min, max]) {
    db = openDb(t, dir, { replayBudgetMs: ok });
    t.equal(db.options.replayBudgetMs, ok, `replayBudgetMs ${ok} is allowed`);
    db.close();
  }
});

/** Row i's value in round r: `bytes` bytes, so a transaction's WAL size is steered by the caller. */
function value(i: number, r: number, bytes: number): string {
  return String.fromCharCode(97 + ((i + r) % 26)).repeat(bytes);
}

t.test('the trigger: a checkpoint follows the commit that takes the WAL past the budget, never earlier', async (t) => {
  const budgetMs = REPLAY_BUDGET_MS_RANGE.min;
  const limit = replayBudgetBytes(budgetMs);
  const db = openDb(t, tempDir(t), { replayBudgetMs: budgetMs, sync: 'normal' });
  t.equal(db.options.checkpointBytes, limit, `the budget (${limit} bytes) is below the pool rule's 64 MiB`);
  const tb = db.createTable<string>('kv', { key: ['int'], value: 'string' });
  const put = db.transaction((from: number, r: number) => {
    for (let i = from; i < from + 20; i++) tb.upsert(i, value(i, r, 300));
  });
  let checkpoints = db.stats().checkpoints;
  let fired = 0;
  let maxTxnBytes = 0;
  let maxWal = 0;
  for (let r = 0; r < 400; r++) {
    const before = db.wal.sizeBytes;
    put((r * 20) % 2000, r);
    const after = db.wal.sizeBytes;
    const now = db.stats().checkpoints;
    if (now !== checkpoints) {
      fired++;
      t.equal(after, 4096, `round ${r}: the checkpoint emptied the WAL`);
      checkpoints = now;
    } else {
      maxTxnBytes = Math.max(maxTxnBytes, after - before);
      maxWal = Math.max(maxWal, after);
      if (after >= limit) t.fail(`round ${r}: the WAL holds ${after} bytes, past the budget's ${limit}, and no checkpoint ran`);
    }
  }
  t.ok(fired >= 3, `the budget's trigger fired ${fired} times`);
  t.ok(maxWal < limit, `the WAL never reached the budget between checkpoints (at most ${maxWal} of ${limit} bytes)`);
  db.close();

  const none = openDb(t, tempDir(t), { replayBudgetMs: 0, sync: 'normal' });
  const tb2 = none.createTable<string>('kv', { key: ['int'], value: 'string' });
  const start = none.stats().checkpoints;
  for (let r = 0; r < 400; r++) {
    none.transaction(() => { for (let i = (r * 20) % 2000; i < (r * 20) % 2000 + 20; i++) tb2.upsert(i, value(i, r, 300)); })();
  }
  t.ok(none.wal.sizeBytes > limit, 'without a budget the same kind of work passes those bytes');
  t.equal(none.stats().checkpoints, start, '… and no checkpoint runs before the pool rule\'s 64 MiB');
  none.close();
});

t.test('a crash under the default budget leaves at most the budgeted WAL to replay, and loses no commit', async (t) => {
  const dir = tempDir(t);
  // A pool whose own rule (2 × 80 MiB) is above the budget's 128 MiB: the budget is what binds.
  // sync 'normal' and one flush before the power cut: the same log as 'full', without a sync per commit.
  const opts: OpenOptions = { kernel: { ramBytes: 384 * MiB }, poolPages: 20_480, shadowPages: 1024, sync: 'normal' };
  const db = open(dir, opts);
  t.teardown(() => { if (!db.closed) db.simulatePowerFailure(); });
  const limit = db.options.checkpointBytes;
  t.equal(limit, replayBudgetBytes(DEFAULT_REPLAY_BUDGET_MS), 'the default budget sets the trigger');
  const tb = db.createTable<string>('kv', { key: ['int'], value: 'string' });
  const model = new Map<number, string>();
  // ~1 MiB of log a transaction (new rows, mostly whole pages): ~130 transactions to the trigger.
  const put = db.transaction((r: number) => {
    for (let k = 0; k < 256; k++) {
      const i = r * 256 + k;
      const v = value(i, r, 3000);
      tb.upsert(i, v);
      model.set(i, v);
    }
  });
  let r = 0;
  let maxTxnBytes = 0;
  // On to one transaction short of the trigger: the most WAL the default leaves to a crash.
  for (;;) {
    const before = db.wal.sizeBytes;
    if (before + 2 * maxTxnBytes >= limit) break;
    put(r++);
    const after = db.wal.sizeBytes;
    t.ok(after > before, `transaction ${r}: no checkpoint below the budget`, { before, after });
    maxTxnBytes = Math.max(maxTxnBytes, after - before);
  }
  db.wal.flush(db.wal.endLsn, true);
  const walBytes = db.wal.sizeBytes;
  t.ok(walBytes > limit - 3 * maxTxnBytes && walBytes < limit, `the crash comes with ${walBytes} bytes of WAL, just under the budget's ${limit}`);
  db.simulatePowerFailure();
  const again = open(dir, opts);
  t.teardown(() => { if (!again.closed) again.close(); });
  const rec = again.stats().recovered;
  t.ok(rec.transactions === r + 1 && rec.tornTailBytes === 0, `the reopen redid all ${rec.transactions} transactions (${rec.records} records)`);
  const kv = again.table<string>('kv');
  t.equal(kv.count, model.size, 'every committed row is back');
  let wrong = 0;
  for (const [k, v] of model) if (kv.get(k) !== v) wrong++;
  t.equal(wrong, 0, 'with its committed value');
  again.checkInvariants();
});

/** Every page's bytes but the pager header's checksum and LSN fields (byte 0, then PAGE_HEADER..), read through the pager. */
function pageImages(db: Database): Uint8Array[] {
  const io = db.io;
  const out: Uint8Array[] = [];
  for (let p = 1; p < io.pageCount; p++) {
    const tok = io.fixRead(p);
    const off = io.offset(tok);
    const img = io.bytes.slice(off, off + db.options.pageSize);
    img.fill(0, 1, PAGE_HEADER);
    out.push(img);
    io.unfix(tok, false);
  }
  return out;
}

for (const strategy of ['nonlinear', 'multi-mmap', 'pread'] as const) {
  t.test(`redo is exact under a small budget: model and live pages at each crash (${strategy})`, async (t) => {
    const rnd = mulberry32(SEED ^ strategy.length);
    const dir = tempDir(t);
    const ram = 48 * MiB;
    const opts: OpenOptions = { ...SMALL, strategy, sync: 'full', poolPages: 64, shadowPages: 256, replayBudgetMs: 10 };
    let kernel = new Kernel({ ramBytes: ram });
    let db = open(dir, { ...opts, kernel });
    t.teardown(() => { if (!db.closed) db.simulatePowerFailure(); });
    let tb: Table<string> = db.createTable<string>('m', { key: ['int'], value: 'string' });
    const model = new Map<number, string>();
    let checkpoints = 0;
    for (let crash = 0; crash < 4; crash++) {
      const steps = 20 + Math.floor(rnd() * 120);
      for (let s = 0; s < steps; s++) {
        const ops = 1 + Math.floor(rnd() * 10);
        db.transaction(() => {
          for (let o = 0; o < ops; o++) {
            const k = Math.floor(rnd() * 400);
            if (rnd() < 0.2) {
              tb.delete(k);
              model.delete(k);
            } else {
              const v = value(k, s, rnd() < 0.1 ? 2000 + Math.floor(rnd() * 4000) : Math.floor(rnd() * 200));
              tb.upsert(k, v);
              model.set(k, v);
            }
          }
        })();
      }
      checkpoints += db.stats().checkpoints;
      const live = pageImages(db);
      const walBytes = db.wal.sizeBytes;
      db.simulatePowerFailure(() => kernel.shutdown({ sync: false }));
      kernel = new Kernel({ ramBytes: ram });
      db = open(dir, { ...opts, kernel });
      tb = db.table<string>('m');
      const label = `crash ${crash} after ${steps} transactions (seed ${SEED})`;
      t.ok(walBytes < replayBudgetBytes(10) + 64 * 1024, `${label}: the WAL replayed (${walBytes} bytes) is within the budget and a transaction`);
      const rows = tb.all();
      const same = rows.length === model.size && rows.every((r) => model.get(r.key as number) === r.value);
      t.ok(same, `${label}: the table equals the model (${rows.length} rows, model ${model.size})`);
      const redone = pageImages(db);
      const differ = live.map((img, i) => (Buffer.compare(img, redone[i] ?? new Uint8Array(0)) === 0 ? -1 : i + 1)).filter((p) => p >= 0);
      t.same([redone.length, differ], [live.length, []], `${label}: every page is what the live database held`);
      db.checkInvariants();
    }
    t.ok(checkpoints > 0, `the small budget checkpointed along the way (${checkpoints} checkpoints before the crashes)`);
    db.close();
    kernel.shutdown({ sync: true });
  });
}
