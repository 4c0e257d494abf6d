import t from 'tap';

import { summarize, newHistogram, encodeHistogram, decodeHistogram } from '../../../bench/harness/histogram.js';
import { MAX_ERRORS, measure } from '../../../bench/harness/measure.js';
import type { RunLimits } from '../../../bench/harness/types.js';
import type { Terminal, TxType } from '../../../bench/workloads/types.js';

const TYPES: TxType[] = [{ name: 'a', weight: 50 }, { name: 'b', weight: 50 }];
const limits = (o: Partial<RunLimits>): RunLimits => ({ terminals: 1, warmupSeconds: 0, durationSeconds: 0, transactions: 0, progressSeconds: 0, ...o });

/** A terminal alternating a/b; every `rollEvery`th rolls back, every `failEvery`th throws. */
function fake(rollEvery: number, failEvery: number, tellType = true): Terminal & { steps: number } {
  const term = {
    steps: 0, rolledBack: false, lastType: -1,
    step(): number {
      term.steps++;
      const type = term.steps % 2;
      term.lastType = tellType ? type : -1;
      term.rolledBack = rollEvery > 0 && term.steps % rollEvery === 0;
      if (failEvery > 0 && term.steps % failEvery === 0) throw Object.assign(new Error(`boom ${term.steps}`), { code: 'E_FAKE' });
      return type;
    },
  };
  return term;
}

t.test('a count-limited run puts every step in exactly one outcome of one type', async (t) => {
  const a = fake(5, 7);
  const b = fake(0, 0);
  const m = await measure([a, b], TYPES, limits({ transactions: 1000 }), 'test');
  t.equal(m.run.transactions, 1000);
  t.equal(a.steps + b.steps, 1000);
  const sum = (xs: Float64Array): number => xs.reduce((x, y) => x + y, 0);
  t.equal(sum(m.run.committed) + sum(m.run.rolledBack) + sum(m.run.errors) + m.run.unattributed, 1000);
  t.equal(sum(m.run.errors), Math.floor(500 / 7));
  t.equal(m.run.errorSamples.length, 5);
  t.match(m.run.errorSamples[0], /^E_FAKE: boom 7$/);
  t.equal(sum(m.run.rolledBack), Math.floor(500 / 5) - Math.floor(500 / 35));
  t.equal(m.histograms.reduce((x, h) => x + h.totalCount, 0), 1000, 'every measured transaction timed');
  t.equal(m.aborted, null);
  t.end();
});

t.test('a warm-up runs but is not measured', async (t) => {
  const a = fake(0, 0);
  const m = await measure([a], TYPES, limits({ warmupSeconds: 0.05, transactions: 100 }), 'test');
  t.ok(m.warmup.transactions > 0);
  t.equal(m.run.transactions, 100);
  t.equal(a.steps, m.warmup.transactions + 100);
  t.equal(m.histograms.reduce((x, h) => x + h.totalCount, 0), 100);
  t.end();
});

t.test('a duration-limited run stops on time and samples every second', async (t) => {
  const seconds: number[] = [];
  const lines: string[] = [];
  const m = await measure([fake(0, 0)], TYPES, limits({ durationSeconds: 1.2, progressSeconds: 0.5 }), 'test',
    { sample: (s) => seconds.push(s), progress: (l) => lines.push(l) });
  t.ok(m.run.seconds >= 1.2 && m.run.seconds < 2, `ran ${m.run.seconds} s`);
  t.same(seconds, [1]);
  t.ok(lines.length >= 2);
  t.match(lines[0], /^test: run \d+ s, \d+ tx, \d+ tx\/s/);
  t.end();
});

t.test('a terminal that cannot say its type counts as unattributed', async (t) => {
  const m = await measure([fake(0, 2, false)], TYPES, limits({ transactions: 10 }), 'test');
  t.equal(m.run.unattributed, 5);
  t.end();
});

t.test('a run that mostly fails stops itself', async (t) => {
  const m = await measure([fake(0, 1)], TYPES, limits({ durationSeconds: 30 }), 'test');
  t.ok(m.aborted !== null);
  t.match(m.aborted, /errors in \d+ transactions \(first: E_FAKE: boom 1\)/);
  t.ok(m.run.transactions >= MAX_ERRORS && m.run.transactions < 10_000);
  t.end();
});

t.test('no terminals is refused', async (t) => {
  await t.rejects(measure([], TYPES, limits({ transactions: 1 }), 'x'), RangeError);
  t.end();
});

t.test('histogram summary in microseconds, and its encoding round-trips', async (t) => {
  const h = newHistogram();
  for (let i = 1; i <= 1000; i++) h.recordValue(i * 1000);
  const s = summarize(h);
  t.equal(s.count, 1000);
  t.ok(Math.abs(s.p50Us - 500) <= 1, `p50 ${s.p50Us}`);
  t.ok(Math.abs(s.p99Us - 990) <= 1, `p99 ${s.p99Us}`);
  t.ok(Math.abs(s.maxUs - 1000) <= 1);
  t.ok(Math.abs(s.meanUs - 500.5) <= 1);
  const back = summarize(decodeHistogram(encodeHistogram(h)));
  t.same({ ...back, maxUs: 0 }, { ...s, maxUs: 0 });
  t.ok(Math.abs(back.maxUs - s.maxUs) / s.maxUs < 0.001, 'max within the histogram\'s 3 significant digits');
  t.same(summarize(newHistogram()).count, 0);
  t.end();
});
