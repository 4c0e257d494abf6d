/**
 * YCSB-like generators and values: the key format against zipfian.ts's BigInt
 * fnvhash64, Gray's zipfian frequencies over n = 100, the scrambled chooser against
 * zipfian.ts's ScrambledZipfianGenerator draw for draw, latest's skew toward the last
 * insert, deterministic values against a literal transcription of YCSB's
 * buildDeterministicValue, and each workload's mix and scan lengths.
 *
 * Seeded: SEED below (printed); REMAPDB_SEED=<n> replays another.
 */

import t from 'tap';

import { Prng } from '../../../../sim-kernel/index.js';
import { fnvhash64, ScrambledZipfianGenerator, ZipfianGenerator } from '../../../../bench/storage/zipfian.js';
import {
  fnv64Decimal, fnv64Mod, keyName, MIXES, ScrambledZipfianChooser, SkewedLatestChooser, UniformChooser, ValueBuilder, ycsb,
} from '../../../../bench/workloads/ycsb/index.js';

// remapdb checks at every commit that pages changed only where the B+tree declared (storage/pager.ts).
process.env.REMAPDB_CHECK_WRITES = '1';

const SEED = (Number(process.env.REMAPDB_SEED ?? 0x5c5b) >>> 0);
t.comment(`seed ${SEED} (REMAPDB_SEED=${SEED} replays)`);

/** Java's String.hashCode. */
function javaHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** YCSB CoreWorkload.buildDeterministicValue, transcribed literally. */
function ycsbValue(key: string, field: string, size: number): string {
  let sb = `${key}:${field}`;
  while (sb.length < size) {
    sb += ':';
    sb += String(javaHash(sb));
  }
  return sb.slice(0, size);
}

t.test('keys: "user" + fnvhash64(keynum) in decimal, as zipfian.ts computes it', async (t) => {
  const prng = new Prng(SEED);
  const sample = [0, 1, 2, 255, 256, 65535, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 10 ** 10, 2 ** 53 - 1];
  for (let i = 0; i < 2000; i++) sample.push(prng.nextU32() * 2048 + (prng.nextU32() & 2047));
  const bad: string[] = [];
  for (const v of sample) {
    const want = fnvhash64(v);
    if (fnv64Decimal(v) !== want.toString()) bad.push(`fnv64Decimal(${v}) = ${fnv64Decimal(v)}, want ${want}`);
    if (fnv64Mod(v, 1_000_003) !== Number(want % 1_000_003n)) bad.push(`fnv64Mod(${v})`);
  }
  t.same(bad.slice(0, 5), [], `${sample.length} values`);
  t.equal(keyName(0), `user${fnvhash64(0)}`);
  t.match(keyName(42), /^user\d{1,19}$/);
});

t.test("zipfian: Gray's generator over n = 100 matches 1/(i^θ·zeta(n))", async (t) => {
  const n = 100;
  const theta = 0.99;
  let zeta = 0;
  for (let i = 1; i <= n; i++) zeta += 1 / i ** theta;
  const gen = new ZipfianGenerator(n, theta, new Prng(SEED));
  const draws = 200_000;
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < draws; i++) counts[gen.next()]!++;
  // Gray's method is exact for the two most popular items and a continuous approximation
  // past them (item 3 comes out ~13 % high at n = 100, in YCSB as here).
  for (let i = 1; i <= 5; i++) {
    const want = 1 / (i ** theta * zeta);
    const got = (counts[i - 1] as number) / draws;
    const tol = i <= 2 ? 0.05 : 0.2;
    t.ok(Math.abs(got - want) < tol * want, `item ${i}: frequency ${got.toFixed(4)} vs ${want.toFixed(4)} (±${tol * 100} %)`);
  }
});

t.test('zipfian chooser = ScrambledZipfianGenerator draw for draw at a fixed item count', async (t) => {
  const items = 1000;
  const mine = new ScrambledZipfianChooser({ next: items }, new Prng(SEED));
  const ref = new ScrambledZipfianGenerator(items, new Prng(SEED));
  let same = 0;
  for (let i = 0; i < 5000; i++) if (mine.next() === ref.next()) same++;
  t.equal(same, 5000);
  // With more records, inserted keys become reachable.
  const grown = new ScrambledZipfianChooser({ next: 2 * items }, new Prng(SEED));
  let high = 0;
  for (let i = 0; i < 5000; i++) if (grown.next() >= items) high++;
  t.ok(high > 1000, `${high} of 5000 draws among the inserted half`);
});

t.test('latest: most draws at the last insert, frequencies as zipfian over the keynums below it', async (t) => {
  const counter = { next: 101 }; // last keynum 100: zipfian over 100 items
  const latest = new SkewedLatestChooser(counter, new Prng(SEED));
  let zeta = 0;
  for (let i = 1; i <= 100; i++) zeta += 1 / i ** 0.99;
  const draws = 100_000;
  const counts = new Map<number, number>();
  let outside = 0;
  for (let i = 0; i < draws; i++) {
    const k = latest.next();
    if (!(k >= 1 && k <= 100)) outside++;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  t.equal(outside, 0, 'every draw in (0, last keynum]');
  for (let i = 1; i <= 3; i++) {
    const want = 1 / (i ** 0.99 * zeta);
    const got = (counts.get(101 - i) ?? 0) / draws;
    const tol = i <= 2 ? 0.05 : 0.2; // Gray's approximation past the top two, as above
    t.ok(Math.abs(got - want) < tol * want, `keynum ${101 - i}: ${got.toFixed(4)} vs ${want.toFixed(4)} (±${tol * 100} %)`);
  }
  let recent = 0;
  for (const [k, c] of counts) if (k > 90) recent += c;
  t.ok(recent / draws > 0.5, `${recent} of ${draws} draws in the newest 10 %`);
  counter.next = 201; // inserts move the hot spot
  let top = 0;
  for (let i = 0; i < 10_000; i++) if (latest.next() === 200) top++;
  t.ok(top > 1000, `last insert 200 drawn ${top} times of 10000`);
});

t.test('uniform chooser covers the records that exist', async (t) => {
  const u = new UniformChooser({ next: 10 }, new Prng(SEED));
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(u.next());
  t.same([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

t.test("values: YCSB's buildDeterministicValue, every field, verified and rejected", async (t) => {
  const vb = new ValueBuilder({ fieldCount: 10, fieldLength: 100 });
  const rec = new Uint8Array(1000);
  for (const keynum of [0, 1, 7, 123456]) {
    const key = keyName(keynum);
    vb.writeRecord(key, rec);
    for (let f = 0; f < 10; f++) {
      const want = ycsbValue(key, `field${f}`, 100);
      t.equal(Buffer.from(rec.subarray(f * 100, f * 100 + 100)).toString('latin1'), want);
      t.equal(vb.fieldString(key, f), want);
    }
    t.equal(vb.firstBadField(key, rec), -1);
    t.equal(vb.firstBadField(key, Array.from({ length: 10 }, (_, f) => ycsbValue(key, `field${f}`, 100))), -1);
  }
  const key = keyName(5);
  vb.writeRecord(key, rec);
  rec[3 * 100 + 50] = 0x21;
  t.equal(vb.firstBadField(key, rec), 3);
  t.equal(vb.firstBadField(keyName(6), vb.writeRecord(key, rec)), 0, 'another key\'s record fails at field 0');
  // Short fields: truncated prefix.
  const short = new ValueBuilder({ fieldCount: 2, fieldLength: 8 });
  t.equal(short.fieldString(key, 1), ycsbValue(key, 'field1', 8));
});

t.test('workloads: names, mixes as the table, one tx type per op', async (t) => {
  const want: Record<string, [string, number][]> = {
    a: [['read', 50], ['update', 50]], b: [['read', 95], ['update', 5]], c: [['read', 100]],
    d: [['read', 95], ['insert', 5]], e: [['scan', 95], ['insert', 5]], f: [['read', 50], ['rmw', 50]],
  };
  for (const [letter, ops] of Object.entries(want)) {
    const w = ycsb[letter as keyof typeof ycsb];
    t.equal(w.name, `ycsb-${letter}`);
    t.same(w.txTypes.map((o) => [o.name, o.weight]), ops);
  }
  t.equal(MIXES.d.distribution, 'latest');
  t.equal(MIXES.a.distribution, 'zipfian');
  t.same(ycsb.a.params({}), { recordCount: 1_000_000, fieldCount: 10, fieldLength: 100, maxScanLength: 100, dataIntegrity: true });
  t.throws(() => ycsb.a.params({ recordCount: 2 }), /ycsb recordCount = 2: must be an integer from 3 to/);
  t.throws(() => ycsb.a.params({ fieldLength: 0 }), /fieldLength = 0/);
});
