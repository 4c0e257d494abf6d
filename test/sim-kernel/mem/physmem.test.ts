/**
 * Unit tests of The frame table (mem/physmem.ts).
 */

import t from 'tap';

import { PG_ANON, PG_PAGECACHE, PhysMem } from '../../../sim-kernel/mem/physmem.js';

t.test('frame table: alloc, free, invariants', async (t) => {
  const mem = new PhysMem(8 * 4096, 4096);
  const a = mem.alloc(PG_ANON, true);
  const b = mem.alloc(PG_PAGECACHE, false);
  t.not(a, b);
  t.equal(mem.freeCount, 6);
  mem.checkInvariants();
  mem.free(a);
  t.throws(() => mem.free(a), /double free/);
  mem.mapcount[b] = 1;
  t.throws(() => mem.free(b), /still mapped/);
  mem.mapcount[b] = 0;
  mem.free(b);
  for (let i = 0; i < 8; i++) mem.alloc(PG_ANON, false);
  t.equal(mem.alloc(PG_ANON, false), -1, 'out of frames');
});
