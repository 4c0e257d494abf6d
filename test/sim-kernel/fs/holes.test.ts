/**
 * Holes in host files (vfs.ts Inode.hostDataEnd): a page past the data the host file may
 * hold — ftruncate grew the file, nothing was written there since — is read as ext4's
 * readpage reads an unmapped block: a zeroed page and no device I/O (no nr_io_reads, no
 * pgpgin, no injected read error), counted as nr_hole_reads. Everything the kernel wrote
 * back, and everything the file held when first opened, is still read from the host; a
 * host truncate moves the bound down, and a power cut (which rewrites the file) forgets
 * it. A seeded model test holds every read to the host file's bytes. And write-back of
 * contiguous dirty pages goes to the host in one write per run (pagecache.ts writeRun),
 * still counted and charged per page.
 */

import * as fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import t from 'tap';

import { MAP_SHARED, O_RDWR, POSIX_FADV_DONTNEED, PROT_READ, type Process } from '../../../sim-kernel/index.js';
import { boot, pagesFilled, PS, writeHostFile } from '../helpers.js';

const OLD = (i: number): number => 0x10 + i;

function counters(k: ReturnType<typeof boot>): { io: number; holes: number } {
  const v = k.vmstatFields();
  return { io: v.nr_io_reads ?? NaN, holes: v.nr_hole_reads ?? NaN };
}

function readPage(p: Process, fd: number, pg: number): Uint8Array {
  const buf = new Uint8Array(PS);
  p.pread(fd, buf, pg * PS);
  return buf;
}

/** A host file of 2 pages of data, opened and grown by ftruncate to 10 pages (8 of hole). */
function grownFile(t: Parameters<typeof boot>[0]): { k: ReturnType<typeof boot>; p: Process; fd: number; file: string } {
  const k = boot(t, { readaheadPages: 0 });
  const p = k.spawn();
  const file = writeHostFile(t, 'data', pagesFilled(2, OLD));
  const fd = p.open(file, O_RDWR, 0o600);
  p.ftruncate(fd, 10 * PS);
  return { k, p, fd, file };
}

t.test('a page of a hole is zeroed without I/O; a page of data is read', async (t) => {
  const { k, p, fd, file } = grownFile(t);
  const before = counters(k);
  t.equal(readPage(p, fd, 1)[0], OLD(1), 'page 1 (data) reads its bytes');
  t.same(counters(k), { io: before.io + 1, holes: before.holes }, 'with one device read');
  t.ok(readPage(p, fd, 5).every((b) => b === 0), 'page 5 (hole) reads zeros');
  t.same(counters(k), { io: before.io + 1, holes: before.holes + 1 }, 'with no device read: a hole read');
  const addr = p.mmap(0, PS, PROT_READ, MAP_SHARED, fd, 6 * PS);
  t.equal(p.load8(addr), 0, 'a fault on a hole page maps a zeroed page');
  t.equal(counters(k).holes, before.holes + 2);
  k.checkInvariants();
});

t.test('written-back pages are data again; a host truncate moves the bound down', async (t) => {
  const { k, p, fd, file } = grownFile(t);
  p.pwrite(fd, new Uint8Array(PS).fill(0x77), 7 * PS);
  p.fsync(fd);
  p.posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  const before = counters(k);
  t.equal(readPage(p, fd, 7)[0], 0x77, 'page 7, written back and dropped, reads its bytes from the host');
  t.equal(counters(k).io, before.io + 1, 'with a device read');
  t.ok(readPage(p, fd, 4).every((b) => b === 0), 'page 4 (between data and the written page) reads zeros');
  t.equal(counters(k).io, before.io + 2, 'read from the host too: only past the last write is known to be a hole');
  p.ftruncate(fd, 1 * PS);
  p.ftruncate(fd, 10 * PS);
  const mid = counters(k);
  t.ok(readPage(p, fd, 1).every((b) => b === 0), 'page 1, cut and grown again, reads zeros');
  t.same(counters(k), { io: mid.io, holes: mid.holes + 1 }, 'as a hole: the truncate moved the bound down');
  t.equal(fs.statSync(file).size, 10 * PS, 'the host file has the size the kernel gave it');
  k.checkInvariants();
});

t.test('a read error is injected only where the device is read', async (t) => {
  const k = boot(t, { readaheadPages: 0, faults: { readEioRate: 1 } });
  const p = k.spawn();
  const file = writeHostFile(t, 'data', pagesFilled(2, OLD));
  const fd = p.open(file, O_RDWR, 0o600);
  p.ftruncate(fd, 4 * PS);
  t.ok(readPage(p, fd, 3).every((b) => b === 0), 'the hole page reads zeros: no device, no error');
  t.throws(() => readPage(p, fd, 0), { code: 'EIO' }, 'the data page fails with EIO');
  k.checkInvariants();
});

t.test('model: every read equals the host file, whatever the writes, truncates and drops (seeded)', async (t) => {
  const seed = Number(process.env.HOLES_SEED ?? Date.now() % 100000);
  t.comment(`seed ${seed} (replay: HOLES_SEED=${seed})`);
  let x = seed >>> 0 || 1;
  const rnd = (n: number): number => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x % n;
  };
  const k = boot(t, { readaheadPages: 0 });
  const p = k.spawn();
  const file = writeHostFile(t, 'data', pagesFilled(3, OLD));
  const fd = p.open(file, O_RDWR, 0o600);
  let size = 3 * PS;
  let mismatches = 0;
  for (let step = 0; step < 400; step++) {
    const op = rnd(5);
    if (op === 0) {
      size = (1 + rnd(16)) * PS;
      p.ftruncate(fd, size);
    } else if (op === 1) {
      p.pwrite(fd, new Uint8Array(PS).fill(1 + rnd(250)), rnd(size / PS) * PS);
    } else if (op === 2) {
      p.fsync(fd);
      p.posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    } else {
      p.fsync(fd);
      const pg = rnd(size / PS);
      const host = fs.readFileSync(file).subarray(pg * PS, pg * PS + PS);
      const got = readPage(p, fd, pg);
      if (Buffer.compare(Buffer.from(got.subarray(0, host.length)), host) !== 0) mismatches++;
    }
  }
  t.equal(mismatches, 0, 'no read differed from the host file');
  t.ok(counters(k).holes > 0, `some reads were holes (${counters(k).holes})`);
  k.checkInvariants();
});

t.test('write-back of contiguous dirty pages: one host write per run, counted per page', async (t) => {
  const k = boot(t, { readaheadPages: 0 });
  const p = k.spawn();
  const file = writeHostFile(t, 'runs', new Uint8Array(0));
  const fd = p.open(file, O_RDWR, 0o600);
  // Pages 0-9 and 20-22 dirty (two runs), the file ends 100 bytes into page 22 (a partial last page).
  p.pwrite(fd, pagesFilled(10, (i) => 0x40 + i), 0);
  p.pwrite(fd, pagesFilled(3, (i) => 0x60 + i).subarray(0, 2 * PS + 100), 20 * PS);
  const before = k.vmstatFields();
  // Count the host writes: swap node:fs's writevSync for a counting one (syncBuiltinESMExports
  // carries the CommonJS object's change to the ES module sim-kernel imports).
  const cjsFs = createRequire(import.meta.url)('node:fs') as typeof fs;
  const writev = cjsFs.writevSync;
  let calls = 0;
  cjsFs.writevSync = (...args: Parameters<typeof fs.writevSync>) => {
    calls++;
    return writev(...args);
  };
  syncBuiltinESMExports();
  try {
    p.fsync(fd);
  } finally {
    cjsFs.writevSync = writev;
    syncBuiltinESMExports();
  }
  const after = k.vmstatFields();
  t.equal(calls, 2, 'two runs, two host writes');
  t.equal((after.nr_io_writes ?? 0) - (before.nr_io_writes ?? 0), 13, 'thirteen page writes counted');
  const host = fs.readFileSync(file);
  t.equal(host.length, 22 * PS + 100, 'the host file ends where i_size does');
  t.ok([...Array(10).keys()].every((i) => host[i * PS] === 0x40 + i && host[i * PS + PS - 1] === 0x40 + i), 'pages 0-9 on the host');
  t.ok(host.subarray(10 * PS, 20 * PS).every((b) => b === 0), 'the gap is zeros');
  t.equal(host[22 * PS + 99], 0x62, 'the partial last page up to i_size');
  t.equal(k.vmstatFields().nr_hole_reads, before.nr_hole_reads, 'nothing was read');
  k.checkInvariants();
});
