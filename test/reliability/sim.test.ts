/**
 * The whole-system simulator (reliability/sim/main.ts) over a bounded set of seeds:
 * the first seed (from 1) of each buffer-pool strategy × kernel personality × sync
 * 'full'/'normal' combination, and the first seed with sync 'off' — each must pass
 * (every recovery verified against the model, every error coded and caused by an injected
 * fault). Each seed is printed with its configuration and replay command.
 * REMAPDB_SIM_SEEDS=N also runs N consecutive seeds from REMAPDB_SIM_FROM (default 1000).
 *
 * Then regressions for the engine bugs the simulator found: the seed that found each (its
 * replay is tied to the simulator's current draws) and a direct test that pins the bug
 * whatever the simulator later draws.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import t, { type Test } from 'tap';

import { configOf, DEFAULT_STEPS, replayCommand, runSeed, type SeedReport } from '../../reliability/sim/main.js';
import { describeConfig, SIM_PERSONALITIES, SIM_STRATEGIES } from '../../reliability/sim/config.js';
import { Kernel, O_CREAT, O_RDWR } from '../../sim-kernel/index.js';
import { open } from '../../src/db.js';

/** Steps per coverage seed (the CLI's default): ~0.5 s a seed here, ~10 s for the file. */
const STEPS = DEFAULT_STEPS;

/** The first seed of every strategy × personality × sync ('full', 'normal') combination, and of 'off'. */
function coverageSeeds(): number[] {
  const want = new Set<string>();
  for (const s of SIM_STRATEGIES) for (const p of SIM_PERSONALITIES) for (const y of ['full', 'normal']) want.add(`${s} ${p} ${y}`);
  want.add('off');
  const seeds: number[] = [];
  for (let seed = 1; want.size > 0 && seed < 10_000; seed++) {
    const c = configOf(seed);
    const key = c.sync === 'off' ? 'off' : `${c.strategy} ${c.personality} ${c.sync}`;
    if (want.delete(key)) seeds.push(seed);
  }
  if (want.size > 0) throw new Error(`no seed below 10000 draws ${[...want].join(', ')}`);
  return seeds;
}

function runAndReport(t: Test, seed: number, steps = STEPS): SeedReport {
  const r = runSeed(seed, { steps });
  t.comment(`seed ${seed}: ${describeConfig(r.config)}: ${r.steps} steps, ${r.commits} commits, ` +
    `${r.crashes} power cuts + ${r.kills} kills + ${r.failures} failures + ${r.cleanReopens} clean closes recovered, ` +
    `${(r.wallMs / 1000).toFixed(2)} s (replay: ${replayCommand(seed, steps)})`);
  return r;
}

function assertPasses(t: Test, r: SeedReport): void {
  t.ok(r.ok, `seed ${r.seed} passes`, r.failure === null ? {} : {
    step: r.failure.step, message: r.failure.message, replay: r.failure.replay, dir: r.failure.dir,
  });
}

t.test('coverage seeds: every strategy × personality × sync full/normal, and off', async (t) => {
  const seeds = coverageSeeds();
  t.comment(`seeds ${seeds.join(', ')}`);
  let crashes = 0;
  let kills = 0;
  let injected = 0;
  const cut = { kept: 0, lost: 0, torn: 0 };
  for (const seed of seeds) {
    const r = runAndReport(t, seed);
    assertPasses(t, r);
    crashes += r.crashes + r.failures;
    kills += r.kills;
    injected += r.injected.EIO + r.injected.ENOSPC + r.injected.torn + r.injected.powerCuts;
    cut.kept += r.diskCut.kept;
    cut.lost += r.diskCut.lost;
    cut.torn += r.diskCut.torn;
  }
  t.ok(crashes >= seeds.length, `${crashes} crashes and failures recovered over ${seeds.length} seeds`);
  t.ok(kills > 0, `${kills} process crashes recovered with every acknowledged commit`);
  t.ok(cut.kept > 0 && cut.lost > 0 && cut.torn > 0, `power cuts kept, lost and tore unsynced host writes: ${JSON.stringify(cut)}`);
  t.ok(injected > 0, `${injected} faults injected`);
});

const extra = Number(process.env['REMAPDB_SIM_SEEDS'] ?? 0);
if (extra > 0) {
  t.test(`${extra} more seeds (REMAPDB_SIM_SEEDS)`, async (t) => {
    const from = Number(process.env['REMAPDB_SIM_FROM'] ?? 1000);
    for (let seed = from; seed < from + extra; seed++) assertPasses(t, runAndReport(t, seed));
  });
}

t.test('the same seed replays exactly', async (t) => {
  const a = runSeed(7, { steps: 60 });
  const b = runSeed(7, { steps: 60 });
  const strip = (r: SeedReport): unknown => ({ ...r, wallMs: 0, reopen: { ...r.reopen, totalMs: 0, maxMs: 0 }, failure: null });
  t.ok(a.ok && b.ok);
  t.same(strip(a), strip(b), 'two runs of seed 7 give the same report (operations, faults, crash points)');
});

// ---------------------------------------------------------------------------------------
// Regressions
// ---------------------------------------------------------------------------------------

t.test('regression, seed 51: pwrite grew i_size only after its last page (sim-kernel)', async (t) => {
  // Found: sync 'normal', nonlinear, a tight machine whose second process filled RAM. The
  // checkpoint at close pwrote 64 KiB of buffered WAL; allocating its later pages made
  // reclaim write back the earlier ones — past the old i_size, so writebackPage marked
  // them clean without writing and reclaim dropped them. fdatasync then succeeded, the
  // data file took pages at LSN 89320, and the WAL held zeros where its first 10 pages
  // were: reopen redid nothing and the kv tree pointed at page 16 of a 6-page file.
  // Fix: writeThroughCache grows i_size page by page, as generic_write_end does.
  assertPasses(t, runAndReport(t, 51, 110)); // it failed at step 109

  // The bug itself, whatever the simulator draws: a pwrite five times larger than RAM.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-isize-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f');
  const k = new Kernel({ ramBytes: 48 * 4096, swapBytes: 0 });
  const p = k.spawn();
  const fd = p.open(file, O_RDWR | O_CREAT, 0o644);
  const buf = new Uint8Array(200 * 4096 + 100);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 7 + (i >> 12)) & 0xff;
  p.pwrite(fd, buf, 0);
  p.fdatasync(fd);
  t.ok((k.vmstatFields()['pgsteal'] ?? 0) > 0, 'reclaim ran during the write');
  k.shutdown({ sync: false });
  const got = fs.readFileSync(file);
  t.equal(got.length, buf.length, 'the file has the whole write');
  t.ok(Buffer.from(buf).equals(got), 'every byte written and fdatasynced is in the host file');
});

t.test('regression, seed 97: checkInvariants() turned a read EIO into an uncoded "invariant" error (storage)', async (t) => {
  // Found: sync 'normal', pread, an injected read EIO while checkInvariants() walked the
  // schema tree: it threw `Error: Database invariant: schema tree: … EIO` — no code, so
  // a caller could not tell a failed read from a broken structure. Fix: an I/O error met
  // while checking is thrown as itself (REMAPDB_POOL_KERNEL, EIO, SIGBUS).
  assertPasses(t, runAndReport(t, 97, 170)); // it failed at step 169

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-ioinv-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  // ~450 pages of rows; reopened on 1 MiB of RAM, so checking the tree must read the file.
  const opts = { strategy: 'pread', poolPages: 16, shadowPages: 16 } as const;
  let db = open(dir, { ...opts, kernel: { ramBytes: 16 << 20 } });
  const tb = db.createTable<string>('kv', { key: ['int'], value: 'string' });
  for (let i = 0; i < 3000; i += 20) {
    db.transaction(() => {
      for (let j = i; j < i + 20; j++) tb.upsert(j, 'v'.repeat(500));
    })();
  }
  db.close();
  const kernel = new Kernel({ ramBytes: 1 << 20, readaheadPages: 0 });
  db = open(dir, { ...opts, kernel });
  t.teardown(() => {
    if (!db.closed) db.simulatePowerFailure();
  });
  kernel.core.faults.failNth('read', 1, 'EIO');
  let code: unknown = 'no error';
  try {
    db.checkInvariants();
  } catch (err) {
    code = (err as { code?: unknown }).code ?? `uncoded: ${(err as Error).message}`;
  }
  t.equal(code, 'REMAPDB_POOL_KERNEL', 'the failed read is reported with its code');
  t.equal(kernel.core.faults.injected.EIO, 1, 'the EIO was injected');
  t.doesNotThrow(() => db.checkInvariants(), 'with the read succeeding, every invariant holds');
  t.equal(db.failed, null, 'a failed read changes nothing');
});
