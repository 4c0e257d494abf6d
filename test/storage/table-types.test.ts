/**
 * Key types at compile time (`npx tsc --noEmit -p .` checks this file): a table's key
 * type follows from its key schema, so a key of the wrong type does not compile. Each
 * `@ts-expect-error` line must be an error, or tsc fails on the unused directive. The
 * test run checks the same tables at run time.
 */

import t from 'tap';

import type { KeyOf, Table } from '../../src/index.js';
import { DB_CODES } from '../../storage/index.js';
import { codeOf, openDb, tempDir } from './helpers/index.js';

// Type-level checks of KeyOf.
const oneString: KeyOf<readonly ['string']> = 'a';
const pair: KeyOf<readonly ['int', 'string']> = [1, 'a'];
// @ts-expect-error a number is not a string key
const wrong: KeyOf<readonly ['string']> = 42;
// @ts-expect-error the parts of a composite key are typed too
const wrongPair: KeyOf<readonly ['int', 'string']> = ['a', 1];
void [oneString, pair, wrong, wrongPair];

/** Calls that must not compile; run only to show the run-time refusal matches. */
function misuse(names: Table<{ n: number }, string>, pairs: Table<number, readonly [number, string]>): string[] {
  return [
    // @ts-expect-error get(42) on a string-keyed table
    codeOf(() => names.get(42)),
    // @ts-expect-error insert of a number key
    codeOf(() => names.insert(7, { n: 1 })),
    // @ts-expect-error a composite key's parts in the wrong order
    codeOf(() => pairs.get(['x', 1])),
    // @ts-expect-error a composite key needs both parts
    codeOf(() => pairs.get([1])),
  ];
}

t.test('key types: inferred from the key schema, checked when compiled and when run', async (t) => {
  const db = openDb(t, tempDir(t));
  const names = db.createTable<{ n: number }, ['string']>('names', { key: ['string'] });
  const inferred = db.ensureTable('inferred', { key: ['int', 'string'] });
  const pairs = db.createTable<number, ['int', 'string']>('pairs', { key: ['int', 'string'] });
  names.insert('ada', { n: 1 });
  pairs.insert([1, 'a'], 10);
  inferred.insert([2, 'b'], 'v');
  const k: readonly [number, string] = inferred.all()[0]?.key ?? [0, ''];
  t.same(k, [2, 'b'], 'row keys carry the key type');
  t.same([...pairs.range({ prefix: [1] })].map((r) => r.value), [10], 'a prefix of a composite key is a bound');
  // @ts-expect-error a bound of the wrong type
  t.equal(codeOf(() => [...names.range({ gte: 3 })]), DB_CODES.KEY_TYPE);
  const untyped = db.table('names');
  t.same(untyped.get('ada'), { n: 1 }, 'table(name) without K takes any key, as before');
  t.same(misuse(names, pairs), [DB_CODES.KEY_TYPE, DB_CODES.KEY_TYPE, DB_CODES.KEY_TYPE, DB_CODES.KEY_TYPE]);
  db.close();
});
