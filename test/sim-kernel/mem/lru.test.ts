/**
 * Unit tests of The LRU lists (mem/lru.ts).
 */

import t from 'tap';

import { LRU_ACTIVE_FILE, LRU_INACTIVE_FILE, Lru } from '../../../sim-kernel/mem/lru.js';

t.test('LRU lists keep links and counts', async (t) => {
  const lru = new Lru(8);
  lru.add(1, LRU_INACTIVE_FILE);
  lru.add(2, LRU_INACTIVE_FILE);
  lru.add(3, LRU_ACTIVE_FILE);
  t.equal(lru.tail[LRU_INACTIVE_FILE], 1, 'oldest at the tail');
  lru.moveToHead(1, LRU_INACTIVE_FILE);
  t.equal(lru.tail[LRU_INACTIVE_FILE], 2);
  lru.moveToHead(2, LRU_ACTIVE_FILE);
  t.equal(lru.count[LRU_ACTIVE_FILE], 2);
  lru.remove(3);
  lru.checkInvariants();
  t.throws(() => lru.add(2, LRU_INACTIVE_FILE), /already on LRU/);
});
