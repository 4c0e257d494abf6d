/**
 * Per-page protections (KernelConfig.perPageProt) under memory pressure and through the
 * calls that walk PTEs: the series' pgoff_prot_to_pte keeps a page's protection with its
 * offset in the file PTE, so it comes back with the page (refs/linux-nonlinear.md §6).
 *
 * - Round trip across swap-out and swap-in: a 32-page nonlinear window with PROT_NONE,
 *   read-only and read-write pages over a 1024-page file on a 256-page machine (tmpfs:
 *   swapped; host file: written back and dropped). The rmap cluster scan takes every
 *   page, PROT_NONE ones included; each file PTE keeps offset and protection; the pages
 *   come back with data and protection. The 4.0 emulation gives the same data and
 *   protections through its VMAs.
 * - With perPageProt off, a VMA-level PROT_NONE nonlinear page is reclaimable too
 *   (pte_present counts PROTNONE).
 * - msync writes back a page written and then protected PROT_NONE; mincore reports
 *   protected pages; MADV_DONTNEED leaves file PTEs keeping offset and protection; mlock
 *   faults PROT_NONE pages in without a signal and munlock lets them go.
 *
 * Every test calls k.checkInvariants() after each phase. Random choices use SEED.
 */

import * as fs from 'node:fs';

import t, { type Test } from 'tap';

import {
  type KernelConfigInput, MADV_DONTNEED, MAP_ANONYMOUS, MAP_LOCKED, MAP_NOINHERIT, MAP_NONBLOCK, MAP_PRIVATE, MAP_SHARED, MS_SYNC, type PersonalityName,
  PROT_NONE, PROT_READ, Prng, type Process, SEGV_ACCERR, SegvError,
} from '../../sim-kernel/index.js';

import { bootWith, caught, createFile, type FileKind, patternFile, patternPage, PERSONALITIES, PS, RW, scatteredOffsets, vmaCount } from './helpers.js';

const SEED = 0x9207ec7;
/** 1 MiB of RAM (256 frames) and 8 MiB of swap, per-page protection on. */
const SMALL: KernelConfigInput = { ramBytes: 1 << 20, swapBytes: 8 << 20, seed: SEED, perPageProt: true };
const FILE_PAGES = 1024;
const WINDOW_PAGES = 32;

t.comment(`seed 0x${SEED.toString(16)}`);

type Prot = 'none' | 'r' | 'rw';
const PROT_OF: Readonly<Record<Prot, number>> = { none: PROT_NONE, r: PROT_READ, rw: RW };
const CYCLE: readonly Prot[] = ['none', 'r', 'rw', 'r'];
const STAMP = (i: number): number => (0xd1d10000 + i) >>> 0;

/** Whether fn raised SIGSEGV SEGV_ACCERR at addr. */
function accErrAt(fn: () => unknown, addr: number): boolean {
  const err = caught(fn);
  return err instanceof SegvError && err.siCode === SEGV_ACCERR && err.addr === addr;
}

/**
 * Every page of the window against its plan: an allowed read sees its file page (and a
 * read-write page the stamp written through it), a refused access is SEGV_ACCERR at its
 * address. Returns the window pages that disagree (one assertion, not 128).
 */
function windowMismatches(p: Process, win: number, offsets: readonly number[], prots: readonly Prot[]): number[] {
  const bad: number[] = [];
  for (let i = 0; i < offsets.length; i++) {
    const a = win + i * PS;
    const prot = prots[i] as Prot;
    let ok: boolean;
    if (prot === 'none') ok = accErrAt(() => p.load8(a + 8), a + 8) && accErrAt(() => p.store8(a + 8, 1), a + 8);
    else {
      ok = p.load32(a) === offsets[i];
      if (prot === 'rw') ok = ok && p.load32(a + 64) === STAMP(i);
      else ok = ok && accErrAt(() => p.store8(a + 64, 1), a + 64);
    }
    if (!ok) bad.push(i);
  }
  return bad;
}

// ---------------------------------------------------------------- the round trip

function roundTrip(t: Test, personality: PersonalityName, kind: FileKind): void {
  const k = bootWith(SMALL)(t, { personality });
  const p = k.spawn();
  const { fd } = createFile(t, p, kind, 'prot-cache', new Uint8Array(0), { shmPath: `/dev/shm/prot-${personality}-${kind}` });
  for (let i = 0; i < FILE_PAGES; i++) p.pwrite(fd, patternPage(i), i * PS);
  const win = p.mmap(0, WINDOW_PAGES * PS, RW, MAP_SHARED, fd, 0);
  const offsets = scatteredOffsets(new Prng(SEED), WINDOW_PAGES, FILE_PAGES);
  const prots = offsets.map((_, i) => CYCLE[i % CYCLE.length] as Prot);
  for (let i = 0; i < WINDOW_PAGES; i++) {
    p.remap_file_pages(win + i * PS, PS, PROT_OF[prots[i] as Prot], offsets[i] as number, MAP_NOINHERIT);
  }
  for (let i = 0; i < WINDOW_PAGES; i++) if (prots[i] === 'rw') p.store32(win + i * PS + 64, STAMP(i));
  k.checkInvariants();
  t.same(windowMismatches(p, win, offsets, prots), [], 'before the pressure: every page as planned');
  if (personality === 'linux-2.6') {
    t.equal(vmaCount(p), 1, 'linux-2.6: one VMA');
    t.same(p.ptes(win, WINDOW_PAGES * PS).map((e) => [e.kind, e.prot]), prots.map((pr) => ['present', pr]),
      'linux-2.6: every page populated with its protection, PROT_NONE ones too');
  }

  // Memory pressure: pread every page of the file twice, 4 MiB through 1 MiB of RAM.
  const vs0 = k.vmstatFields();
  const buf = new Uint8Array(PS);
  for (let pass = 0; pass < 2; pass++) for (let i = 0; i < FILE_PAGES; i++) p.pread(fd, buf, (pass === 0 ? i : FILE_PAGES - 1 - i) * PS);
  k.checkInvariants();
  const vs1 = k.vmstatFields();
  t.ok(vs1['pgsteal']! > vs0['pgsteal']!, `reclaim ran (pgsteal +${vs1['pgsteal']! - vs0['pgsteal']!})`);
  if (kind === 'tmpfs') t.ok(vs1['pswpout']! > vs0['pswpout']!, `pages went to swap (pswpout +${vs1['pswpout']! - vs0['pswpout']!})`);

  const ptes = p.ptes(win, WINDOW_PAGES * PS);
  if (personality === 'linux-2.6') {
    t.ok(vs1['pgscan_nonlinear_ptes']! > vs0['pgscan_nonlinear_ptes']!, 'the rmap nonlinear cluster scan ran');
    t.same(ptes.map((e) => e.kind), new Array(WINDOW_PAGES).fill('file'), 'every window page was unmapped to a file PTE, PROT_NONE ones too');
    t.same(ptes.map((e) => e.pgoff), offsets, 'each file PTE keeps its offset');
    t.same(ptes.map((e) => e.prot), prots, 'and its protection (pgoff_prot_to_pte)');
    // mincore reports a file PTE's page by its offset.
    const whole = p.mmap(0, FILE_PAGES * PS, PROT_READ, MAP_SHARED, fd, 0);
    const cached = p.mincore(whole, FILE_PAGES * PS);
    p.munmap(whole, FILE_PAGES * PS);
    t.same([...p.mincore(win, WINDOW_PAGES * PS)], offsets.map((o) => cached[o]), 'mincore(window)[i] = file page offsets[i] resident');
  } else {
    t.equal(ptes.filter((e) => e.kind === 'file').length, 0, 'linux-4.0: no file PTEs');
    t.equal(vmaCount(p), WINDOW_PAGES, 'linux-4.0: a VMA per page');
  }

  const maj0 = k.vmstatFields()['pgmajfault'] as number;
  t.same(windowMismatches(p, win, offsets, prots), [], 'after the pressure: data and protections came back');
  t.ok((k.vmstatFields()['pgmajfault'] as number) > maj0, 'through major faults');
  if (personality === 'linux-2.6') {
    const back = p.ptes(win, WINDOW_PAGES * PS);
    t.same(back.map((e, i) => (e.kind === 'present' ? e.prot : prots[i])), prots, 'each page came back with its own protection');
    t.same(back.filter((_, i) => prots[i] === 'none').map((e) => [e.kind, e.prot]), prots.filter((pr) => pr === 'none').map(() => ['file', 'none']),
      'a refused access brought no PROT_NONE page in');
  }
  k.checkInvariants();
}

t.test('protections round-trip across swap-out and swap-in (tmpfs)', async (t) => {
  for (const personality of PERSONALITIES) t.test(personality, async (t) => roundTrip(t, personality, 'tmpfs'));
});

t.test('protections round-trip across reclaim of a host file (written back, dropped, re-read)', async (t) => {
  for (const personality of PERSONALITIES) t.test(personality, async (t) => roundTrip(t, personality, 'host'));
});

t.test('perPageProt off: a VMA-level PROT_NONE nonlinear page is reclaimable too (pte_present)', async (t) => {
  const k = bootWith(SMALL)(t, { perPageProt: false });
  const p = k.spawn();
  const { fd } = createFile(t, p, 'tmpfs', 'none-cache', new Uint8Array(0), { shmPath: '/dev/shm/none-cache' });
  for (let i = 0; i < FILE_PAGES; i++) p.pwrite(fd, patternPage(i), i * PS);
  const win = p.mmap(0, 16 * PS, RW, MAP_SHARED, fd, 0);
  const offsets = scatteredOffsets(new Prng(SEED ^ 3), 16, FILE_PAGES);
  for (let i = 0; i < 16; i++) p.remap_file_pages(win + i * PS, PS, 0, offsets[i] as number, 0);
  p.mprotect(win, 16 * PS, PROT_NONE);
  t.same(p.ptes(win, 16 * PS).map((e) => [e.kind, e.prot]), new Array(16).fill(['present', 'none']), 'PROT_NONE pages, mapped');
  const buf = new Uint8Array(PS);
  for (let pass = 0; pass < 2; pass++) for (let i = 0; i < FILE_PAGES; i++) p.pread(fd, buf, i * PS);
  k.checkInvariants();
  t.same(p.ptes(win, 16 * PS).map((e) => [e.kind, e.pgoff]), offsets.map((o) => ['file', o]), 'unmapped to file PTEs by the cluster scan');
  p.mprotect(win, 16 * PS, PROT_READ);
  t.same(offsets.filter((o, i) => p.load32(win + i * PS) !== o), [], 'they come back by offset');
  k.checkInvariants();
});

// ---------------------------------------------------------------- the calls that walk PTEs

t.test('msync, mincore, MADV_DONTNEED and mlock with protected pages (2.6)', async (t) => {
  const k = bootWith({ ramBytes: 16 << 20, perPageProt: true, readaheadPages: 0 })(t);
  const p = k.spawn();
  const { fd, file } = createFile(t, p, 'host', 'walk', patternFile(64));
  const win = p.mmap(0, 8 * PS, RW, MAP_SHARED, fd, 0);
  for (let i = 0; i < 4; i++) p.store32(win + i * PS + 64, STAMP(i)); // pages 0-3 dirty
  p.remap_file_pages(win, PS, PROT_NONE, 0, MAP_NOINHERIT); // the same page, now PROT_NONE
  p.mprotect(win + PS, PS, PROT_NONE); // the same through mprotect
  p.remap_file_pages(win + 2 * PS, PS, PROT_READ, 40, MAP_NOINHERIT); // page 2 leaves; file page 40 comes, read-only
  t.same(p.ptes(win, 4 * PS).map((e) => [e.kind, e.pgoff, e.prot, e.dirty]),
    [['present', 0, 'none', true], ['present', 1, 'none', true], ['present', 40, 'r', false], ['present', 3, 'rw', true]],
    'pages 0 and 1 PROT_NONE and still dirty, page 2 shows file page 40 read-only');
  k.checkInvariants();

  // msync(MS_SYNC): filemap_sync moves dirty bits from PROT_NONE PTEs too (pte_present).
  const stampOnDisk = (pg: number): number => fs.readFileSync(file).readUInt32LE(pg * PS + 64);
  const patternWord = (pg: number): number => new DataView(patternPage(pg).buffer).getUint32(64, true);
  t.same([0, 1, 3].map(stampOnDisk), [0, 1, 3].map(patternWord), 'nothing on disk before msync');
  p.msync(win, 8 * PS, MS_SYNC);
  t.same([0, 1, 2, 3].map(stampOnDisk), [0, 1, 2, 3].map(STAMP), 'msync(MS_SYNC) wrote the PROT_NONE pages\' data too');
  k.checkInvariants();

  // mincore: protected pages are resident like any other; untouched ones are not (no readahead).
  t.same([...p.mincore(win, 8 * PS)], [1, 1, 1, 1, 0, 0, 0, 0], 'mincore: the four mapped pages resident, PROT_NONE ones included');

  // MADV_DONTNEED: a page whose offset or protection is not the VMA's leaves a file PTE keeping both.
  p.madvise(win, 8 * PS, MADV_DONTNEED);
  t.same(p.ptes(win, 4 * PS).map((e) => [e.kind, e.pgoff, e.prot]),
    [['file', 0, 'none'], ['file', 1, 'none'], ['file', 40, 'r'], ['none', -1, '-']],
    'file PTEs for pages 0-2 (protection, offset), nothing for page 3 (the VMA\'s own)');
  t.same([...p.mincore(win, 8 * PS)], [1, 1, 1, 1, 0, 0, 0, 0], 'mincore through the file PTEs: the pages stay cached');
  t.ok(accErrAt(() => p.load8(win + 5), win + 5), 'page 0 still refuses a read');
  t.equal(p.load32(win + 2 * PS), 40, 'page 2 reads file page 40 again');
  t.ok(accErrAt(() => p.store8(win + 2 * PS + 5, 1), win + 2 * PS + 5), 'and refuses a write');
  t.equal(p.load32(win + 3 * PS + 64), STAMP(3), 'page 3 comes back writable with its data');
  k.checkInvariants();

  // mlock faults every page in, PROT_NONE ones with PROT_NONE, and no signal.
  p.mlock(win, 8 * PS);
  t.same(p.ptes(win, 8 * PS).map((e) => [e.kind, e.prot]),
    [['present', 'none'], ['present', 'none'], ['present', 'r'], ...new Array(5).fill(['present', 'rw'])],
    'mlock: every page present with its own protection');
  t.equal(k.meminfoFields().Mlocked, 8 * 4, 'Mlocked: the 8 pages');
  t.ok(accErrAt(() => p.load8(win + PS), win + PS), 'a locked PROT_NONE page still refuses a read');
  k.checkInvariants();
  p.munlock(win, 8 * PS);
  t.equal(k.meminfoFields().Mlocked, 0, 'munlock released all of them, PROT_NONE ones too');
  k.checkInvariants();

  // A VM_LOCKED window is always populated, MAP_NONBLOCK or not, protection and all.
  const locked = p.mmap(0, 2 * PS, RW, MAP_SHARED | MAP_LOCKED, fd, 0);
  p.remap_file_pages(locked, PS, PROT_NONE, 50, MAP_NOINHERIT | MAP_NONBLOCK);
  t.same(p.ptes(locked, PS).map((e) => [e.kind, e.pgoff, e.prot]), [['present', 50, 'none']], 'VM_LOCKED: populated PROT_NONE');
  k.checkInvariants();
});

t.test('private anonymous pages made PROT_NONE by mprotect are swapped out and come back (pte_present counts PROTNONE)', async (t) => {
  // Found by guard mode (bufferpool/guard.ts) on the pread strategy: reclaim's anonymous rmap
  // asserted _PAGE_PRESENT, which a PROT_NONE PTE has not (it has _PAGE_PROTNONE).
  for (const perPageProt of [false, true]) {
    const k = bootWith({ ...SMALL, perPageProt })(t);
    const p = k.spawn();
    const pages = 64;
    const a = p.mmap(0, pages * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (let i = 0; i < pages; i++) p.store32(a + i * PS, STAMP(i));
    // Every other page PROT_NONE: the VMA splits 64 ways (mprotect of private memory).
    for (let i = 0; i < pages; i += 2) p.mprotect(a + i * PS, PS, PROT_NONE);
    t.equal(vmaCount(p), pages, `perPageProt ${perPageProt}: mprotect split the private VMA`);
    const vs0 = k.vmstatFields();
    const hog = p.mmap(0, 320 * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (let i = 0; i < 320; i++) p.store8(hog + i * PS, 1);
    k.checkInvariants();
    t.ok(k.vmstatFields()['pswpout']! > vs0['pswpout']!, 'anonymous pages went to swap');
    const swappedNone = p.ptes(a, pages * PS).filter((e, i) => i % 2 === 0 && e.kind === 'swap').length;
    t.ok(swappedNone > 0, `PROT_NONE pages were swapped out too (${swappedNone})`);
    t.ok(accErrAt(() => p.load32(a), a), 'a PROT_NONE page still refuses a read');
    p.mprotect(a, pages * PS, RW);
    const bad: number[] = [];
    for (let i = 0; i < pages; i++) if (p.load32(a + i * PS) !== STAMP(i)) bad.push(i);
    t.same(bad, [], 'every page came back with its data');
    k.checkInvariants();
  }
});
