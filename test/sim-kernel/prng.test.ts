/**
 * Unit tests of The seeded PRNG (prng.ts).
 */

import t from 'tap';

import { Prng } from '../../sim-kernel/prng.js';

t.test('PRNG is deterministic per seed', async (t) => {
  const a = new Prng(42);
  const b = new Prng(42);
  const c = new Prng(43);
  const xs = Array.from({ length: 8 }, () => a.nextU32());
  t.same(Array.from({ length: 8 }, () => b.nextU32()), xs);
  t.not(c.nextU32(), xs[0]);
  for (let i = 0; i < 1000; i++) {
    const v = a.int(3, 9);
    if (v < 3 || v > 9 || !Number.isInteger(v)) t.fail(`int out of range: ${v}`);
  }
});
