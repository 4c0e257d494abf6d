/**
 * The page-file format: superblock and page headers round-trip, and every kind of bad
 * input — foreign file, newer format, wrong page size, truncation, a flipped bit
 * anywhere, a misdirected page — is refused with its stable code and the page number.
 */

import t from 'tap';

import { Prng } from '../../../sim-kernel/index.js';
import { crc32c } from '../../../storage/file/crc32c.js';
import {
  FORMAT_VERSION, LEGACY_CHECKSUM_SEED, PAGE_HEADER_BYTES, PAGE_TYPE, pageChecksumSeed, type Superblock, readSuperblock, sealPage, verifyPage,
  writeSuperblock,
} from '../../../storage/file/format.js';

const PS = 4096;

function sb(over: Partial<Superblock> = {}): Superblock {
  return {
    formatVersion: FORMAT_VERSION, pageSize: PS, pageCount: 10, checkpointLsn: 2 ** 40 + 5, freeListHead: 3, freeCount: 2,
    salt: 0xdeadbeef, flags: 0, ...over,
  };
}

t.test('superblock round-trips', async (t) => {
  for (const pageSize of [4096, 8192, 16384]) {
    const page = new Uint8Array(pageSize);
    const want = sb({ pageSize });
    writeSuperblock(page, 0, want);
    t.same(readSuperblock(page, 0, pageSize, 10 * pageSize, pageSize), want, `${pageSize}-byte pages`);
  }
});

t.test('superblock refusals carry stable codes', async (t) => {
  const page = new Uint8Array(PS);
  writeSuperblock(page, 0, sb());
  const file = 10 * PS;
  t.throws(() => readSuperblock(page, 0, 100, 100), { code: 'REMAPDB_TRUNCATED' }, 'shorter than a superblock');
  t.throws(() => readSuperblock(page, 0, PS, file, 8192), { code: 'REMAPDB_PAGE_SIZE_MISMATCH' }, 'wrong page size');
  t.throws(() => readSuperblock(page, 0, PS, 9 * PS), { code: 'REMAPDB_TRUNCATED', message: /truncated after page 8/ }, 'truncated file');
  const foreign = new TextEncoder().encode('SQLite format 3\0'.padEnd(PS, '\0'));
  t.throws(() => readSuperblock(foreign, 0, PS, file), { code: 'REMAPDB_FOREIGN_FILE' }, 'an SQLite file');
  const newer = new Uint8Array(PS);
  writeSuperblock(newer, 0, sb({ formatVersion: FORMAT_VERSION + 1 }));
  t.throws(() => readSuperblock(newer, 0, PS, file), { code: 'REMAPDB_FORMAT_NEWER' }, 'a newer format');
  const odd = new Uint8Array(PS);
  writeSuperblock(odd, 0, sb({ freeListHead: 99 }));
  t.throws(() => readSuperblock(odd, 0, PS, file), { code: 'REMAPDB_CORRUPT' }, 'inconsistent counts');
  for (let byte = 8; byte < 124; byte += 5) {
    const bad = page.slice();
    bad[byte] = (bad[byte] as number) ^ 0x10;
    t.same(readSuperblock(bad, 0, PS, file), readSuperblock(page, 0, PS, file), `bit flip at byte ${byte} of copy A: copy B serves`);
    bad[PS / 2 + byte] = (bad[PS / 2 + byte] as number) ^ 0x10;
    t.throws(() => readSuperblock(bad, 0, PS, file), { code: /REMAPDB_CORRUPT/ }, `bit flip at byte ${byte} of both copies`);
  }
  // A torn write: a prefix of the new image over the old one (copy A new, copy B old).
  const older = page.slice();
  const next = page.slice();
  const base = readSuperblock(page, 0, PS, file);
  writeSuperblock(next, 0, { ...base, checkpointLsn: base.checkpointLsn + 999 });
  const tornSb = older.slice();
  tornSb.set(next.subarray(0, 1000), 0);
  t.equal(readSuperblock(tornSb, 0, PS, file).checkpointLsn, base.checkpointLsn + 999, 'torn after copy A: the newer copy A wins');
  const tornEarly = older.slice();
  tornEarly.set(next.subarray(0, 60), 0);
  t.equal(readSuperblock(tornEarly, 0, PS, file).checkpointLsn, readSuperblock(page, 0, PS, file).checkpointLsn,
    'torn inside copy A: the older copy B is used');
});

t.test('page headers: seal, verify, and detect corruption', async (t) => {
  const rng = new Prng(99);
  const page = new Uint8Array(PS);
  const seed = pageChecksumSeed(0x1234abcd);
  for (let i = PAGE_HEADER_BYTES; i < PS; i++) page[i] = rng.nextU32() & 0xff;
  sealPage(page, 0, PS, PAGE_TYPE.LEAF, 123456789, 42, seed);
  t.same(verifyPage(page, 0, PS, 42, seed), { type: PAGE_TYPE.LEAF, lsn: 123456789, pageId: 42 });
  t.throws(() => verifyPage(page, 0, PS, 43, seed), { code: 'REMAPDB_CORRUPT', message: /page 43 holds the image of page 42/ },
    'misdirected write');
  let caught = 0;
  for (let trial = 0; trial < 200; trial++) {
    const bad = page.slice();
    const at = rng.int(0, PS - 1);
    bad[at] = (bad[at] as number) ^ (1 << rng.int(0, 7));
    try {
      verifyPage(bad, 0, PS, 42, seed);
    } catch (err) {
      if ((err as { code?: string }).code === 'REMAPDB_CORRUPT') caught++;
    }
  }
  t.equal(caught, 200, 'every single-bit flip is caught');
  const torn = page.slice();
  torn.fill(0, 2048);
  t.throws(() => verifyPage(torn, 0, PS, 42, seed), { code: 'REMAPDB_CORRUPT', message: /page 42: checksum/ }, 'a torn write');
});

t.test('page checksums bind the database salt (format 2)', async (t) => {
  const page = new Uint8Array(PS);
  page.fill(7, PAGE_HEADER_BYTES);
  const mine = pageChecksumSeed(1);
  const theirs = pageChecksumSeed(2);
  t.not(mine, theirs, 'seeds differ per salt');
  t.not(mine, LEGACY_CHECKSUM_SEED, 'and from format 1\'s');
  sealPage(page, 0, PS, PAGE_TYPE.LEAF, 5, 9, theirs);
  t.throws(() => verifyPage(page, 0, PS, 9, mine), { code: 'REMAPDB_CORRUPT', message: /page 9: checksum .* or a page of another database/ },
    "another database's page of the same number fails its checksum here");
  t.same(verifyPage(page, 0, PS, 9, theirs).pageId, 9, 'and passes in its own');
  const legacy = page.slice();
  sealPage(legacy, 0, PS, PAGE_TYPE.LEAF, 5, 9, LEGACY_CHECKSUM_SEED);
  t.throws(() => verifyPage(legacy, 0, PS, 9, mine), { code: 'REMAPDB_CORRUPT' }, 'a format 1 checksum alone is not accepted');
  t.same(verifyPage(legacy, 0, PS, 9, mine, LEGACY_CHECKSUM_SEED).pageId, 9, 'but is while a format 1 file is upgraded');
  t.same(verifyPage(page, 0, PS, 9, theirs, LEGACY_CHECKSUM_SEED).pageId, 9, 'the salted one still passes then');
  // Format 1's checksum is the plain CRC32C of the page (its field read as zero): unchanged.
  const plain = legacy.slice();
  plain.fill(0, 4, 8);
  t.equal(new DataView(legacy.buffer).getUint32(4, true), crc32c(plain), 'format 1: CRC32C of the page, checksum field zero');
  const salted = page.slice();
  salted.fill(0, 4, 8);
  const saltBytes = new Uint8Array(4);
  new DataView(saltBytes.buffer).setUint32(0, 2, true);
  t.equal(new DataView(page.buffer).getUint32(4, true), crc32c(salted, 0, PS, crc32c(saltBytes)), 'format 2: CRC32C of salt ‖ page');
});

t.test('superblock format versions: 0 was never one, 1 is read (and upgraded by Database)', async (t) => {
  const page = new Uint8Array(PS);
  writeSuperblock(page, 0, sb({ formatVersion: 0 }));
  t.throws(() => readSuperblock(page, 0, PS, 10 * PS), { code: 'REMAPDB_CORRUPT', message: /format version 0 was never a remapdb format \(1\.\.2\)/ });
  writeSuperblock(page, 0, sb({ formatVersion: 1 }));
  t.equal(readSuperblock(page, 0, PS, 10 * PS).formatVersion, 1);
});
