/**
 * sync_file_range(2) and the two failure domains (fs/disk-cache.ts, syscalls/sync-file-range.ts):
 *
 * - sync_file_range's errno order as fs/sync.c has it: EINVAL for bad flags, a negative
 *   offset or nbytes, or an overflowing range — before EBADF for a closed descriptor;
 *   nbytes 0 reaches the end of the file; only SYNC_FILE_RANGE_WRITE writes.
 * - A process crash (Kernel.shutdown without sync) keeps what sync_file_range handed to
 *   the host file, loses what only the simulated page cache held.
 * - A power cut (Kernel.powerCut with volatileDiskCache) keeps everything an fsync
 *   covered, and for each later write draws kept / lost / torn at 512-byte sectors — in
 *   orders the program never issued; a seed replays the same cut. Truncates are atomic.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import t, { type Test } from 'tap';

import {
  Kernel, O_CREAT, O_RDONLY, O_RDWR, SECTOR_BYTES, SYNC_FILE_RANGE_WAIT_AFTER, SYNC_FILE_RANGE_WAIT_BEFORE, SYNC_FILE_RANGE_WRITE,
} from '../../../sim-kernel/index.js';
import { expectErrno, PS } from '../helpers.js';

function tmpFile(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-disk-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'f');
}

function machine(volatileDiskCache: boolean): Kernel {
  return new Kernel({ ramBytes: 16 * 1024 * 1024, volatileDiskCache });
}

const fill = (n: number, b: number): Uint8Array => new Uint8Array(n).fill(b);

t.test('sync_file_range: errno order and what it writes', async (t) => {
  const file = tmpFile(t);
  const k = machine(false);
  t.teardown(() => k.shutdown());
  const p = k.spawn();
  const fd = p.open(file, O_RDWR | O_CREAT, 0o644);
  expectErrno(t, () => p.syncFileRange(fd, 0, 0, 8), 'EINVAL', 'an unknown flag bit');
  expectErrno(t, () => p.syncFileRange(fd, -1, 0, SYNC_FILE_RANGE_WRITE), 'EINVAL', 'a negative offset');
  expectErrno(t, () => p.syncFileRange(fd, 0, -4096, SYNC_FILE_RANGE_WRITE), 'EINVAL', 'a negative nbytes');
  expectErrno(t, () => p.syncFileRange(fd, 2 ** 52, 2 ** 53, SYNC_FILE_RANGE_WRITE), 'EINVAL', 'offset + nbytes overflows');
  expectErrno(t, () => p.syncFileRange(999, 0, 0, 8), 'EINVAL', 'EINVAL is checked before EBADF (fs/sync.c)');
  expectErrno(t, () => p.syncFileRange(999, 0, 0, SYNC_FILE_RANGE_WRITE), 'EBADF', 'a closed descriptor');

  p.pwrite(fd, fill(3 * PS, 0xab), 0);
  const host = (): Buffer => fs.readFileSync(file);
  t.equal(host().length, 0, 'pwrite alone leaves the bytes in the simulated page cache');
  p.syncFileRange(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WAIT_AFTER);
  t.equal(host().length, 0, 'waiting without WRITE writes nothing');
  const fsyncs = k.vmstatFields()['nr_fsyncs'];
  const ns0 = k.kernelTime()['ioSubmit']?.ns ?? 0;
  p.syncFileRange(fd, PS, 1, SYNC_FILE_RANGE_WRITE);
  t.equal(host().length, 2 * PS, 'WRITE of one byte writes back the page that holds it');
  t.equal((k.kernelTime()['ioSubmit']?.ns ?? 0) - ns0, 1000, 'charged one write-back submission, not the device time');
  p.syncFileRange(fd, 2 * PS, 0, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  t.equal(host().length, 3 * PS, 'nbytes 0 reaches the end of the file');
  t.equal(k.vmstatFields()['nr_fsyncs'], fsyncs, 'no fsync was issued');
  t.equal(k.vmstatFields()['nr_sync_file_range'], 3, 'counted in vmstat');
  const ro = p.open(file, O_RDONLY);
  p.pwrite(fd, fill(10, 1), 0);
  p.syncFileRange(ro, 0, 0, SYNC_FILE_RANGE_WRITE);
  t.equal(host()[0], 1, 'a read-only descriptor may start write-back too (no FMODE_WRITE check in 2.6.17)');
  k.checkInvariants();
});

t.test('sync_file_range reports a write-back error, and fsync reports it again', async (t) => {
  const file = tmpFile(t);
  const k = machine(false);
  t.teardown(() => k.shutdown());
  const p = k.spawn();
  const fd = p.open(file, O_RDWR | O_CREAT, 0o644);
  p.pwrite(fd, fill(PS, 7), 0);
  k.core.faults.failNth('write', 1, 'ENOSPC');
  expectErrno(t, () => p.syncFileRange(fd, 0, 0, SYNC_FILE_RANGE_WRITE), 'ENOSPC', 'the failed page write');
  expectErrno(t, () => p.fdatasync(fd), 'ENOSPC', 'fdatasync reports the recorded error once');
  p.fdatasync(fd);
  t.equal(fs.readFileSync(file)[0], 7, 'the page stayed dirty and the next write-back stored it');
});

t.test('a process crash keeps what was handed to the host; the page cache alone dies', async (t) => {
  const file = tmpFile(t);
  const k = machine(true);
  const p = k.spawn();
  const fd = p.open(file, O_RDWR | O_CREAT, 0o644);
  p.pwrite(fd, fill(PS, 1), 0);
  p.syncFileRange(fd, 0, PS, SYNC_FILE_RANGE_WRITE);
  p.pwrite(fd, fill(PS, 2), PS);
  t.ok(k.unsyncedBytes >= PS, 'the handed-off page is unsynced on the disk');
  k.shutdown({ sync: false });
  const got = fs.readFileSync(file);
  t.equal(got.length, PS, 'only the handed-off page is in the host file');
  t.equal(got[0], 1, 'with its bytes');
});

t.test('a power cut: synced bytes stay, unsynced ones are kept, lost or torn per sector', async (t) => {
  const outcomes = { kept: 0, lost: 0, torn: 0, reordered: 0 };
  for (let seed = 1; seed <= 40; seed++) {
    const file = tmpFile(t);
    const k = machine(true);
    const p = k.spawn();
    const fd = p.open(file, O_RDWR | O_CREAT, 0o644);
    p.pwrite(fd, fill(2 * PS, 0x11), 0);
    p.fdatasync(fd);
    t.equal(k.unsyncedBytes, 0, 'fdatasync covers every write');
    // Two unsynced writes over the synced bytes: page 0, then page 1.
    p.pwrite(fd, fill(PS, 0x22), 0);
    p.syncFileRange(fd, 0, PS, SYNC_FILE_RANGE_WRITE);
    p.pwrite(fd, fill(PS, 0x33), PS);
    p.syncFileRange(fd, PS, PS, SYNC_FILE_RANGE_WRITE);
    // And one past the synced end.
    p.pwrite(fd, fill(PS, 0x44), 2 * PS);
    p.syncFileRange(fd, 2 * PS, PS, SYNC_FILE_RANGE_WRITE);
    const report = k.powerCut(seed);
    t.equal(report.kept + report.lost + report.torn, 3, `seed ${seed}: every unsynced write drawn`);
    outcomes.kept += report.kept;
    outcomes.lost += report.lost;
    outcomes.torn += report.torn;
    const got = fs.readFileSync(file);
    t.ok(got.length >= 2 * PS && got.length <= 3 * PS, `seed ${seed}: size between the synced size and the written one`);
    const sectors = (from: number, old: number, now: number): void => {
      for (let s = from; s < Math.min(from + PS, got.length); s += SECTOR_BYTES) {
        const a = got[s];
        const allSame = got.subarray(s, s + SECTOR_BYTES).every((b) => b === a);
        if (!allSame || (a !== old && a !== now)) t.fail(`seed ${seed}: sector at ${s} is neither old nor new (atomic sectors)`);
      }
    };
    sectors(0, 0x11, 0x22);
    sectors(PS, 0x11, 0x33);
    if (got.length > 2 * PS) sectors(2 * PS, 0, 0x44);
    if (got[0] === 0x11 && got[PS] === 0x33) outcomes.reordered++;
    // Replays: the same seed, the same bytes.
    const again = tmpFile(t);
    const k2 = machine(true);
    const p2 = k2.spawn();
    const fd2 = p2.open(again, O_RDWR | O_CREAT, 0o644);
    p2.pwrite(fd2, fill(2 * PS, 0x11), 0);
    p2.fdatasync(fd2);
    for (const [b, at] of [[0x22, 0], [0x33, PS], [0x44, 2 * PS]] as const) {
      p2.pwrite(fd2, fill(PS, b), at);
      p2.syncFileRange(fd2, at, PS, SYNC_FILE_RANGE_WRITE);
    }
    k2.powerCut(seed);
    if (!fs.readFileSync(again).equals(got)) t.fail(`seed ${seed}: the same seed cut differently`);
  }
  t.ok(outcomes.kept > 0 && outcomes.lost > 0 && outcomes.torn > 0, `every outcome drawn: ${JSON.stringify(outcomes)}`);
  t.ok(outcomes.reordered > 0, 'a later write kept while an earlier one was lost (an order never issued)');
});

t.test('a power cut: a truncate since the last fsync is kept or undone whole', async (t) => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 12; seed++) {
    const file = tmpFile(t);
    const k = machine(true);
    const p = k.spawn();
    const fd = p.open(file, O_RDWR | O_CREAT, 0o644);
    p.pwrite(fd, fill(3 * PS, 0x55), 0);
    p.fsync(fd);
    p.ftruncate(fd, 0);
    k.powerCut(seed);
    const got = fs.readFileSync(file);
    seen.add(got.length);
    t.ok(got.length === 0 || (got.length === 3 * PS && got.every((b) => b === 0x55)), `seed ${seed}: empty, or the old file whole`);
  }
  t.same([...seen].sort((a, b) => a - b), [0, 3 * PS], 'both outcomes drawn');
});

t.test('without the volatile cache a power cut keeps every host write', async (t) => {
  const file = tmpFile(t);
  const k = machine(false);
  const p = k.spawn();
  const fd = p.open(file, O_RDWR | O_CREAT, 0o644);
  p.pwrite(fd, fill(PS, 9), 0);
  p.syncFileRange(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  p.pwrite(fd, fill(PS, 8), PS);
  t.same(k.powerCut(1), { files: 0, kept: 0, lost: 0, torn: 0, truncatesKept: 0, truncatesLost: 0 }, 'nothing drawn');
  t.equal(fs.readFileSync(file).length, PS, 'the written-back page stays; the cached one is lost');
  t.throws(() => k.powerCut(), /already shut down/, 'a machine dies once');
});
