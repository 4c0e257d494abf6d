/**
 * Unit tests of The swap slot map and slot I/O (mem/swap.ts).
 */

import t from 'tap';

import { SwapDevice } from '../../../sim-kernel/mem/swap.js';

t.test('swap slot map: allocate, share, free', async (t) => {
  const sw = new SwapDevice(4 * 4096, 4096, '');
  t.equal(sw.totalSlots, 3, 'slot 0 is the header');
  const a = sw.alloc();
  const b = sw.alloc();
  const c = sw.alloc();
  t.same([a, b, c].sort(), [1, 2, 3]);
  t.equal(sw.alloc(), -1, 'full');
  sw.dup(a);
  sw.put(a);
  t.equal(sw.freeCount, 0);
  sw.put(a);
  t.equal(sw.freeCount, 1);
  const data = new Uint8Array(4096).fill(7);
  sw.writeSlot(b, data, 0);
  const back = new Uint8Array(4096);
  sw.readSlot(b, back, 0);
  t.same(back, data, 'slot I/O through the real swap file');
  sw.close();
});
