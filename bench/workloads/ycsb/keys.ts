/**
 * YCSB's key names: CoreWorkload.buildKeyName with insertorder=hashed and zeropadding 1,
 * "user" + Long.toString(Utils.fnvhash64(keynum)) — without BigInt (the hot path builds
 * one key per op; bench/storage/zipfian.ts's BigInt fnvhash64 is the reference the tests
 * compare against).
 *
 * fnv64(v): FNV-1a over the 8 little-endian bytes of v (xor, then × 0x100000001b3 mod
 * 2^64), then Java's Math.abs of the signed long; Long.MIN_VALUE maps to 0 as
 * zipfian.ts's fnvhash64 does. The hash is kept as two 32-bit halves.
 */

import { fnv64Decimal } from '../../lib/fnv.js';

export { fnv64Decimal, fnv64Mod } from '../../lib/fnv.js';

/** YCSB's key for keynum: "user" + fnv64(keynum). */
export function keyName(keynum: number): string {
  return 'user' + fnv64Decimal(keynum);
}
