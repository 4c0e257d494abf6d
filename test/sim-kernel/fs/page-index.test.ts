/**
 * Unit tests of The page-cache index of one file, PageIndex (fs/vfs.ts).
 */

import t from 'tap';

import { PageIndex } from '../../../sim-kernel/fs/vfs.js';

t.test('page-cache index: dense and sparse offsets', async (t) => {
  const idx = new PageIndex();
  const offs = [0, 5, 63, 64, 4095, 2 ** 22 - 1, 2 ** 22, 2 ** 40];
  offs.forEach((o, i) => idx.set(o, i));
  t.equal(idx.size, offs.length);
  offs.forEach((o, i) => t.equal(idx.get(o), i, `get ${o}`));
  t.equal(idx.get(6), undefined);
  t.ok(idx.delete(64));
  t.notOk(idx.delete(64));
  t.notOk(idx.has(64));
  t.same([...idx].map(([o]) => o), offs.filter((o) => o !== 64), 'iterates every entry');
});
