/**
 * The SIGKILL durability test (reliability/kill/, issue 16 part 3) at a bounded size:
 * two rounds per remapdb configuration (3 strategies × 3 sync modes) and one per SQLite
 * and LMDB setting — 24 real child processes killed with SIGKILL, each directory copied
 * and verified after each kill. Every configuration claims the same against a process
 * kill (reliability/kill/configs.ts) and is held to it: no acknowledged commit lost, no
 * gap, no partial transaction, the engine's checks pass. First the verifier itself, on
 * planted snapshots: a lost acknowledged commit, a gap, a partial transaction, a phantom
 * row must each be caught.
 *
 * Cost: a round is mostly the child's start-up under tsx (~1.2 s of CPU for remapdb's
 * modules, ~0.5 s for a peer's) and the verifier's open of the copy (0.2–0.4 s); the 24
 * kills take ~60 s of CPU, run two configurations at a time.
 *
 * REMAPDB_SEED replays other kill plans (printed); REMAPDB_KILL_ROUNDS adds rounds to
 * every configuration. The whole matrix, larger: npm run kill -- --rounds 10.
 */

import * as fs from 'node:fs';

import t from 'tap';

import { configsOf, ENGINE_KINDS, type KillConfig, settingOf, slugOf, STRATEGY_NAMES, SYNC_MODES } from '../../reliability/kill/configs.js';
import { fastTempRoot } from '../../reliability/fault-sweep/lib.js';
import { drawPlan, planPrng } from '../../reliability/kill/plan.js';
import { formatEvent, parseEvent, phaseAfter } from '../../reliability/kill/protocol.js';
import { runConfigs } from '../../reliability/kill/run.js';
import { verifyRound } from '../../reliability/kill/verify.js';
import { type Snapshot, VALUE_BYTES, valueOf } from '../../reliability/kill/workload.js';

const DEFAULT_SEED = 20261207;
const SEED = Number(process.env['REMAPDB_SEED'] ?? DEFAULT_SEED);
if (!Number.isInteger(SEED) || SEED < 0 || SEED > 0xffffffff) throw new RangeError(`REMAPDB_SEED ${SEED}: an integer from 0 to 2^32-1`);
const EXTRA = Number(process.env['REMAPDB_KILL_ROUNDS'] ?? 0);

/** A snapshot holding rows 1..n whole, with its accumulator. */
function whole(n: number): Snapshot {
  const keys = Array.from({ length: n }, (_, i) => i + 1);
  return { keys, badValues: [], acc: { count: n, sum: (n * (n + 1)) / 2 }, engineProblems: [] };
}

t.test('the verifier passes a whole prefix and catches each planted fault', async (t) => {
  const clean = verifyRound(whole(10), { prevMax: 4, start: 5, lastAck: 10 });
  t.match(clean, { max: 10, rows: 10, lost: 0, gaps: 0, partial: 0, inFlightKept: false, problems: [] }, 'rows 1..10 after acks 5..10');
  t.match(verifyRound(whole(11), { prevMax: 4, start: 5, lastAck: 10 }), { lost: 0, inFlightKept: true, problems: [] },
    'the in-flight transaction 11, kept whole, is allowed');

  const tailLost = verifyRound(whole(8), { prevMax: 4, start: 5, lastAck: 10 });
  t.match(tailLost, { lost: 2, gaps: 0, partial: 0, problems: [] }, 'acked 9 and 10 missing: 2 lost (a consistent prefix, still a loss)');

  const earlierLost = verifyRound(whole(3), { prevMax: 4, start: null, lastAck: null });
  t.equal(earlierLost.lost, 1, 'a row an earlier round found, now missing, is lost');

  const gap = whole(10);
  gap.keys.splice(6, 1); // key 7
  gap.acc = { count: 9, sum: 55 - 7 };
  t.match(verifyRound(gap, { prevMax: 4, start: 5, lastAck: 10 }), { lost: 1, gaps: 1, partial: 0 }, 'a hole at 7: a gap and a loss');

  const partial = whole(10);
  partial.acc = { count: 9, sum: 45 };
  const p = verifyRound(partial, { prevMax: 4, start: 5, lastAck: 10 });
  t.match(p, { lost: 0, partial: 1 }, 'row 10 without its accumulator update: partial');
  t.match(p.problems, [/partial transaction/]);

  t.match(verifyRound(whole(12), { prevMax: 4, start: 5, lastAck: 10 }).problems, [/row 12 is past the last transaction/], 'a phantom row');
  t.match(verifyRound(whole(10), { prevMax: 2, start: 5, lastAck: 10 }).problems, [/recovery found rows up to 4/],
    "the child's start disagrees with the verified rows");
  t.match(verifyRound({ ...whole(3), badValues: [2] }, { prevMax: 3, start: null, lastAck: null }).problems, [/wrong value: 2/]);
  t.match(verifyRound({ ...whole(3), engineProblems: ['integrityReport free list: page 9 twice'] }, { prevMax: 3, start: null, lastAck: null })
    .problems, [/engine check: integrityReport free list/]);
  t.match(verifyRound({ keys: [], badValues: [], acc: null, engineProblems: [] }, { prevMax: 0, start: 1, lastAck: 0 }),
    { max: 0, lost: 0, gaps: 0, partial: 0, problems: [] }, 'an empty database after a kill before the first ack');
});

t.test('the workload, the protocol and the plans', async (t) => {
  t.equal(valueOf(1).length, VALUE_BYTES);
  t.not(valueOf(1), valueOf(2));
  t.equal(valueOf(123456), valueOf(123456), 'derived from i alone');
  for (const line of ['opening', 'start 1', 'auto 7', 'ack 42', 'ckpt 9', 'ckpt-done 9', 'idle 100']) {
    const e = parseEvent(line);
    t.not(e, null, line);
    if (e !== null) t.equal(formatEvent(e), `${line}\n`);
  }
  t.equal(parseEvent('ack'), null);
  t.equal(parseEvent('ack 1 2'), null);
  t.equal(phaseAfter(null), 'startup');
  t.equal(phaseAfter({ kind: 'opening' }), 'open');
  t.equal(phaseAfter({ kind: 'ckpt', n: 3 }), 'checkpoint');
  t.equal(phaseAfter({ kind: 'ack', n: 3 }), 'commit');

  const limits = { maxAcks: 50, canCheckpoint: true, predictsAuto: true };
  const a = Array.from({ length: 200 }, ((p) => () => drawPlan(p, limits))(planPrng(7, 'remapdb-pread-full')));
  const b = Array.from({ length: 200 }, ((p) => () => drawPlan(p, limits))(planPrng(7, 'remapdb-pread-full')));
  t.same(a, b, 'one seed, one configuration: the same plans');
  t.same(new Set(a.map((x) => x.target)), new Set(['open', 'commit', 'checkpoint', 'auto-checkpoint']), 'every target drawn');
  t.ok(a.every((x) => x.target !== 'commit' || (x.nth >= 1 && x.nth <= 50)), 'commit kills within maxAcks');
  const peer = Array.from({ length: 200 }, ((p) => () => drawPlan(p, { ...limits, canCheckpoint: false, predictsAuto: false }))(planPrng(7, 'lmdb-full')));
  t.ok(peer.every((x) => (x.target === 'open' || x.target === 'commit') && x.checkpointEvery === 0), 'no checkpoint plans without a checkpoint');
});

t.test('configurations: every strategy × sync for remapdb, every setting for the peers', async (t) => {
  const all = configsOf({ engines: ENGINE_KINDS, strategies: STRATEGY_NAMES, syncs: SYNC_MODES });
  t.equal(all.filter((c) => c.engine === 'remapdb').length, STRATEGY_NAMES.length * SYNC_MODES.length);
  t.equal(all.filter((c) => c.engine !== 'remapdb').length, 2 * SYNC_MODES.length);
  t.equal(new Set(all.map((c) => `${c.engine} ${settingOf(c)}`)).size, all.length, 'engine and setting name each configuration');
  t.equal(new Set(all.map(slugOf)).size, all.length, 'each has a directory of its own');
});

const root = fastTempRoot('remapdb-kill-test-');
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
t.comment(`kill plans: seed ${SEED} (replay: REMAPDB_SEED=${SEED}, or npm run kill -- --seed ${SEED})`);

/**
 * Two configurations at a time: a round is mostly a child's start-up (~1.2 s of CPU for
 * remapdb's modules under tsx, ~0.5 s for a peer), so two halve the file's time on the
 * 2-core VM; a kill that lands late is recorded where it landed.
 */
const JOBS = 2;
const configs = configsOf({ engines: ENGINE_KINDS, strategies: STRATEGY_NAMES, syncs: SYNC_MODES });
const roundsOf = (c: KillConfig): number => (c.engine === 'remapdb' ? 2 : 1) + EXTRA;
t.test(`SIGKILL: every configuration, ${JOBS} at a time`, async (t) => {
  const started = performance.now();
  const results = await runConfigs(configs, { rounds: 0, seed: SEED, workDir: root, maxAcks: 400, checkpointBytes: 256 * 1024, roundsOf }, JOBS);
  t.comment(`${configs.reduce((n, c) => n + roundsOf(c), 0)} kills in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  t.equal(results.length, configs.length, 'every configuration ran');
  for (const r of results) {
    const { config } = r;
    t.test(`${config.engine} ${r.setting}: ${roundsOf(config)} kill${roundsOf(config) === 1 ? '' : 's'}`, async (t) => {
      const where = r.records.map((x) => `${x.plan.target}→${x.phase} ${x.acks} acks, rows 1..${x.max}, lost ${x.lost}`).join('; ');
      t.equal(r.rounds, roundsOf(config), `${r.rounds} rounds: ${where}`);
      t.equal(r.lost, 0, `no acknowledged commit lost (of ${r.acks}); claimed: ${r.claim.text}`);
      t.equal(r.gaps, 0, 'no gap');
      t.equal(r.partial, 0, 'no partial transaction');
      t.same(r.problems, [], 'every check passes');
    });
  }
});
