/**
 * The tuple encoding: round trips, and — the point — bytewise order of encodings equals
 * the order of the tuples part by part, on hand-picked edge cases and on seeded random
 * tuples (REMAPDB_SEED replays).
 */

import t from 'tap';

import { Prng } from '../../sim-kernel/index.js';
import { crc32c } from '../../storage/file/crc32c.js';
import { type KeyPart, compareBytes, decodeKey, decodeParts, encodeKey, partEnd, projectParts, skipParts, spliceParts } from '../../storage/tuple.js';

const SEED = Number(process.env.REMAPDB_SEED ?? 7) >>> 0;

function typeRank(p: KeyPart): number {
  if (p === null) return 0;
  if (p instanceof Uint8Array) return 1;
  if (typeof p === 'string') return 2;
  if (typeof p === 'number') return 3;
  return 4;
}

const utf8 = new TextEncoder();

/** The reference order: by type, then by value; strings by UTF-8 bytes; shorter tuple first. */
function compareTuples(a: readonly KeyPart[], b: readonly KeyPart[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as KeyPart;
    const y = b[i] as KeyPart;
    const r = typeRank(x) - typeRank(y);
    if (r !== 0) return r;
    let c = 0;
    if (typeof x === 'number' && typeof y === 'number') c = x - y;
    else if (typeof x === 'string' && typeof y === 'string') c = compareBytes(utf8.encode(x), utf8.encode(y));
    else if (x instanceof Uint8Array && y instanceof Uint8Array) c = compareBytes(x, y);
    else if (typeof x === 'boolean' && typeof y === 'boolean') c = Number(x) - Number(y);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

const sign = (n: number): number => (n > 0 ? 1 : n < 0 ? -1 : 0);

t.test('round trips', async (t) => {
  const cases: KeyPart[][] = [
    [], [null], [true, false], [0], [1], [-1], [255], [256], [-256], [-257], [2 ** 53 - 1], [-(2 ** 53 - 1)],
    [''], ['a\u0000b'], ['Ünïcödé 😀'], [new Uint8Array([0, 0xff, 0, 1])], [1, 'w', 10, 'd', 3001, new Uint8Array(0)],
    // the unescaped fast path: short and long ASCII, non-ASCII short and long, bytes, and an escape late in a long part
    [' '.repeat(84), 7, 'x'.repeat(32), 'y'.repeat(33)], ['é'], ['ü'.repeat(40)], [new Uint8Array([1, 2, 3]), 'tail'],
    [`${'z'.repeat(50)}\u0000end`, new Uint8Array([9, 9, 9, 0])],
  ];
  for (const c of cases) t.same(decodeKey(encodeKey(c)), c, JSON.stringify(c, (_k, v) => (v instanceof Uint8Array ? [...v] : v)));
});

t.test('composite keys sort as their parts', async (t) => {
  const ordered: KeyPart[][] = [
    [null], [new Uint8Array([])], [new Uint8Array([0])], [new Uint8Array([0, 0])], [new Uint8Array([1])],
    [''], ['a'], ['a', -5], ['a', 0], ['a', 5], ['a\u0000'], ['ab'], ['b'],
    [-(2 ** 53 - 1)], [-65536], [-65535], [-256], [-255], [-1], [0], [1], [1, 1], [1, 2], [1, 2, 'x'], [2, 1],
    [255], [256], [65535], [2 ** 53 - 1], [false], [true],
  ];
  for (let i = 1; i < ordered.length; i++) {
    const a = encodeKey(ordered[i - 1] as KeyPart[]);
    const b = encodeKey(ordered[i] as KeyPart[]);
    t.ok(compareBytes(a, b) < 0, `${i - 1} < ${i}`);
  }
});

t.test(`seeded random tuples order like the reference (seed ${SEED})`, async (t) => {
  t.comment(`REMAPDB_SEED=${SEED}`);
  const rng = new Prng(SEED);
  const part = (): KeyPart => {
    switch (rng.int(0, 5)) {
      case 0: return null;
      case 1: return rng.next() < 0.5;
      case 2: {
        const mag = 2 ** rng.int(0, 53);
        const v = Math.min(Math.floor(rng.next() * mag), 2 ** 53 - 1);
        return rng.next() < 0.5 ? -v : v;
      }
      case 3: return Array.from({ length: rng.int(0, 4) }, () => String.fromCharCode(rng.int(0, 3) === 0 ? 0 : rng.int(32, 0x24f))).join('');
      default: return Uint8Array.from({ length: rng.int(0, 4) }, () => (rng.int(0, 2) === 0 ? 0 : rng.int(0, 255)));
    }
  };
  const tuples = Array.from({ length: 1500 }, () => Array.from({ length: rng.int(0, 3) }, part));
  let bad = 0;
  for (let i = 0; i < 6000; i++) {
    const a = tuples[rng.int(0, tuples.length - 1)] as KeyPart[];
    const b = tuples[rng.int(0, tuples.length - 1)] as KeyPart[];
    if (sign(compareBytes(encodeKey(a), encodeKey(b))) !== sign(compareTuples(a, b))) bad++;
  }
  t.equal(bad, 0, 'bytewise order of encodings = tuple order');
});

/** A random part for the byte-level helpers' tests: every type, strings up to 40 chars with NULs and non-ASCII, bytes with zeros. */
function randomPart(rng: Prng): KeyPart {
  switch (rng.int(0, 4)) {
    case 0: return null;
    case 1: return rng.next() < 0.5;
    case 2: return rng.int(-70000, 70000) * (rng.next() < 0.1 ? 2 ** 20 : 1);
    case 3: return Array.from({ length: rng.int(0, 40) }, () => String.fromCharCode(rng.int(0, 4) === 0 ? 0 : rng.int(32, 0x24f))).join('');
    default: return Uint8Array.from({ length: rng.int(0, 6) }, () => (rng.int(0, 2) === 0 ? 0 : rng.int(0, 255)));
  }
}

t.test(`projectParts and skipParts agree with decode + encode (seed ${SEED})`, async (t) => {
  const rng = new Prng(SEED ^ 0x5eed);
  const part = (): KeyPart => randomPart(rng);
  let bad = 0;
  for (let i = 0; i < 2000; i++) {
    const tuple = Array.from({ length: rng.int(0, 8) }, part);
    const enc = encodeKey(tuple);
    const positions = Array.from({ length: rng.int(1, 4) }, () => rng.int(0, 9));
    const suffix = rng.next() < 0.5 ? null : encodeKey([rng.int(0, 99), 'pk']);
    const want = encodeKey(positions.map((p) => tuple[p] ?? null));
    const got = projectParts(enc, positions, suffix);
    const expect = suffix === null ? want : Uint8Array.from([...want, ...suffix]);
    if (compareBytes(got, expect) !== 0) bad++;
    const n = rng.int(0, tuple.length);
    if (compareBytes(enc.subarray(skipParts(enc, n)), encodeKey(tuple.slice(n))) !== 0) bad++;
  }
  t.equal(bad, 0);
  t.equal(partEnd(encodeKey(['ab\u0000c']), 0), encodeKey(['ab\u0000c']).length, 'an escaped zero is not the terminator');
  t.throws(() => partEnd(Uint8Array.from([0x02, 0x61]), 0), { code: 'REMAPDB_KEY_INVALID' });
  t.throws(() => partEnd(Uint8Array.from([0x40]), 0), { code: 'REMAPDB_KEY_INVALID' });
  t.throws(() => partEnd(Uint8Array.from([0x17, 1]), 0), { code: 'REMAPDB_KEY_INVALID' });
  t.throws(() => projectParts(encodeKey([1]), [256], null), RangeError);
});

t.test(`decodeParts and spliceParts agree with decode, change, encode (seed ${SEED})`, async (t) => {
  const rng = new Prng(SEED ^ 0xc01);
  const part = (): KeyPart => randomPart(rng);
  let bad = 0;
  for (let i = 0; i < 2000; i++) {
    const tuple = Array.from({ length: rng.int(0, 8) }, part);
    const enc = encodeKey(tuple);
    const positions = Array.from({ length: rng.int(1, 4) }, () => rng.int(0, 10));
    const got = decodeParts(enc, positions);
    if (compareBytes(encodeKey(got), encodeKey(positions.map((p) => tuple[p] ?? null))) !== 0) bad++;
    const values = positions.map(() => part());
    const want = [...tuple];
    positions.forEach((p, j) => {
      while (want.length <= p) want.push(null);
      want[p] = values[j] as KeyPart;
    });
    if (compareBytes(spliceParts(enc, positions, values), encodeKey(want)) !== 0) bad++;
  }
  t.equal(bad, 0);
  t.same(decodeParts(encodeKey([1, 'a', 2]), [2, 0, 9]), [2, 1, null]);
  t.same(decodeKey(spliceParts(encodeKey([1, 'a']), [3], ['z'])), [1, 'a', null, 'z'], 'extends with nulls');
  t.same(decodeKey(spliceParts(encodeKey([1, 2]), [0, 0], ['x', 'y'])), ['y', 2], 'the last value named for a position wins');
  t.same(decodeKey(spliceParts(encodeKey([1, 2]), [1], [3])), [1, 3], 'and the scratch is clean for the next call');
  t.throws(() => spliceParts(encodeKey([1]), [256], [1]), RangeError);
  t.throws(() => spliceParts(encodeKey([1]), [0, 1], [1]), RangeError);
  t.throws(() => spliceParts(encodeKey(new Array<KeyPart>(300).fill(1)), [0], [1]), RangeError);
});

t.test('bad key parts are refused with REMAPDB_KEY_INVALID', async (t) => {
  // Fractions, ±Infinity and integers past 2^53 are keys now (the 'numbers' test below); NaN is not.
  for (const bad of [NaN, {}, undefined, 10n]) {
    t.throws(() => encodeKey([bad as unknown as KeyPart]), { code: 'REMAPDB_KEY_INVALID' }, String(bad));
  }
  t.throws(() => decodeKey(Uint8Array.from([0x02, 0x61])), { code: 'REMAPDB_KEY_INVALID' }, 'unterminated string');
  t.throws(() => decodeKey(Uint8Array.from([0x16, 0x01])), { code: 'REMAPDB_KEY_INVALID' }, 'short integer');
  t.throws(() => decodeKey(Uint8Array.from([0x40])), { code: 'REMAPDB_KEY_INVALID' }, 'unknown tag');
});

t.test('CRC32C check values', async (t) => {
  t.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283, 'the standard check value');
  t.equal(crc32c(new Uint8Array(32)), 0x8a9136aa, '32 zero bytes (RFC 3720 B.4)');
  t.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43, '32 0xFF bytes (RFC 3720 B.4)');
  const d = new TextEncoder().encode('incremental and in one go agree');
  t.equal(crc32c(d, 7, d.length, crc32c(d, 0, 7)), crc32c(d), 'incremental');
});

t.test('CRC32C agrees with a bitwise reference at every alignment and length (word path and byte edges)', async (t) => {
  const bitwise = (b: Uint8Array, s: number, e: number): number => {
    let c = 0xffffffff;
    for (let i = s; i < e; i++) {
      c ^= b[i] as number;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  };
  const buf = new Uint8Array(new ArrayBuffer(96), 3, 90);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 151 + 7) & 0xff;
  let bad = 0;
  for (let s = 0; s < 12; s++) for (let e = s; e <= buf.length; e++) if (crc32c(buf, s, e) !== bitwise(buf, s, e)) bad++;
  t.equal(bad, 0);
  const other = new Uint8Array(40).fill(9);
  t.equal(crc32c(other), bitwise(other, 0, 40), 'a second buffer (the word view follows the buffer)');
  t.equal(crc32c(buf, 0, buf.length), bitwise(buf, 0, buf.length), 'and back');
});

t.test('numbers: integers keep their bytes, fractions and huge values sort among them; NaN is refused', async (t) => {
  t.same([...encodeKey([1])], [0x15, 0x01], 'an integer part is written as before fractions were allowed');
  t.same([...encodeKey([-1, 0])], [0x13, 0xfe, 0x14]);
  t.same([...encodeKey([1.5]).subarray(0, 3)], [0x15, 0x01, 0x30], 'a fraction: its floor, the marker 0x30, then the number');
  t.equal(encodeKey([1.5]).length, 11);
  t.equal(encodeKey([2 ** 60])[0], 0x1c, 'beyond 2^53 − 1: tag 0x1C');
  t.equal(encodeKey([-Infinity])[0], 0x0c, '−Infinity: tag 0x0C');
  t.same([...encodeKey([-0])], [0x14], '−0 is the key 0');
  t.throws(() => encodeKey([Number.NaN]), { code: 'REMAPDB_KEY_INVALID', message: /NaN/ });
  const rng = new Prng(SEED ^ 0xf10a7);
  t.comment(`seed ${SEED} (REMAPDB_SEED replays)`);
  const view = new DataView(new ArrayBuffer(8));
  const values: number[] = [-Infinity, Infinity, 0, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE,
    -1e-20, 1e-20, -1, 1, 2 ** 53 - 1, 2 ** 53, -(2 ** 53 - 1), -(2 ** 53), 0.5, -0.5, 2 ** 52 + 0.5, -(2 ** 52) - 0.5];
  for (let i = 0; i < 2000; i++) {
    // Random bit patterns cover every exponent; NaN patterns are skipped.
    view.setUint32(0, rng.nextU32());
    view.setUint32(4, rng.nextU32());
    const v = view.getFloat64(0);
    if (!Number.isNaN(v)) values.push(v);
    values.push(rng.int(-1000, 1000) / 8, rng.int(-1000, 1000));
  }
  const sorted = [...values].sort((a, b) => a - b);
  const decoded = [...values].map((v) => encodeKey([v, 'x'])).sort(compareBytes).map((k) => decodeKey(k));
  t.ok(decoded.every((d, i) => d[0] === sorted[i] && d[1] === 'x'), 'encodings sort as the numbers do, and round-trip, with a part after them');
  const mixed = encodeKey([2.5, 3, 'a']);
  t.same(decodeKey(mixed), [2.5, 3, 'a'], 'a fraction beside an integer');
  t.equal(skipParts(mixed, 1), 11);
  t.equal(partEnd(mixed, 11), 13);
  t.same(projectParts(mixed, [0], null), encodeKey([2.5]), 'projection copies the whole number');
  t.same(decodeParts(mixed, [2, 0]), ['a', 2.5]);
  t.throws(() => decodeKey(Uint8Array.from([0x15, 1, 0x30, 1, 2])), { code: 'REMAPDB_KEY_INVALID' }, 'a short fraction');
  t.throws(() => decodeKey(Uint8Array.from([0x1c, 1, 2])), { code: 'REMAPDB_KEY_INVALID' }, 'a short huge number');
});
