/**
 * bench/lib/format.ts's int() writes thousands separators itself (toLocaleString's ICU
 * set-up cost ~20 ms of CLI start-up): it must print what toLocaleString('en-US') did.
 */

import fc from 'fast-check';
import t from 'tap';
import { int } from '../../../bench/lib/format.js';

t.test('int() prints what Math.round(n).toLocaleString("en-US") printed', async (t) => {
  for (const n of [0, -0, 1, 9, 10, 999, 1000, 1234.5, -1234.5, 999_999.49, 1e6, -1e6, 123_456_789, 2 ** 53, -(2 ** 53), 2 ** 60, 1e20 + 12345, 2 ** 70, 1e21, 1.5e300, -0.4]) {
    t.equal(int(n), Math.round(n).toLocaleString('en-US'), String(n));
  }
  t.equal(int(NaN), 'NaN');
  t.equal(int(Infinity), '∞');
  t.equal(int(-Infinity), '-∞');
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  t.comment(`fast-check seed ${seed} (replay: FC_SEED=${seed})`);
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => int(n) === Math.round(n).toLocaleString('en-US')),
    { seed, numRuns: 2000 });
  t.pass('2,000 random values agree');
});
