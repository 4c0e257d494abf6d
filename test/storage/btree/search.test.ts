/**
 * Node search (btree/node.ts searchLeaf, searchInternal) skips the prefix every key left
 * in the range shares with the search key. Held here to a linear scan over seeded random
 * nodes whose keys share prefixes of every length (none, some, all but the last byte,
 * keys that are prefixes of others), for keys present, absent, before the first and after
 * the last.
 */

import fc from 'fast-check';
import t from 'tap';

import { PAGE_TYPE } from '../../../storage/file/format.js';
import { allocCell, CELL_HEADER_BYTES, nodeInit, searchInternal, searchLeaf, wr16, wr32 } from '../../../storage/btree/node.js';
import { compareBytes } from '../../../storage/index.js';

const PS = 4096;

/** A leaf node at b[0] holding `keys` (sorted, distinct) with empty values. */
function leafOf(keys: readonly Uint8Array[]): Uint8Array {
  const b = new Uint8Array(PS);
  const scratch = new Uint8Array(PS);
  nodeInit(b, 0, PS, PAGE_TYPE.LEAF, 0);
  keys.forEach((k, i) => {
    const c = allocCell(b, 0, PS, i, CELL_HEADER_BYTES + k.length, scratch);
    wr16(b, c, k.length);
    wr32(b, c + 2, 0);
    b.set(k, c + CELL_HEADER_BYTES);
  });
  return b;
}

const keySet = fc.tuple(
  fc.uint8Array({ minLength: 0, maxLength: 14 }),
  fc.array(fc.uint8Array({ minLength: 0, maxLength: 4 }), { minLength: 0, maxLength: 60 }),
).map(([prefix, suffixes]) => {
  const all = suffixes.map((s) => Uint8Array.from([...prefix, ...s]));
  all.sort(compareBytes);
  return all.filter((k, i) => i === 0 || compareBytes(all[i - 1] as Uint8Array, k) !== 0);
});

t.test('searchLeaf and searchInternal agree with a linear scan (seeded)', async (t) => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  t.comment(`fast-check seed ${seed} (replay: FC_SEED=${seed})`);
  let checked = 0;
  fc.assert(fc.property(keySet, fc.array(fc.uint8Array({ minLength: 0, maxLength: 18 }), { maxLength: 20 }), (keys, extra) => {
    const b = leafOf(keys);
    for (const key of [...keys, ...extra, ...keys.map((k) => Uint8Array.from([...k, 0])), ...keys.map((k) => k.subarray(0, k.length - 1))]) {
      const at = keys.findIndex((k) => compareBytes(k, key) === 0);
      const below = keys.filter((k) => compareBytes(k, key) < 0).length;
      const wantLeaf = at >= 0 ? at : ~below;
      const wantInternal = keys.filter((k) => compareBytes(k, key) <= 0).length;
      if (searchLeaf(b, 0, key) !== wantLeaf || searchInternal(b, 0, key) !== wantInternal) return false;
      checked++;
    }
    return true;
  }), { seed, numRuns: 400 });
  t.ok(checked > 1000, `${checked} searches agree`);
});
