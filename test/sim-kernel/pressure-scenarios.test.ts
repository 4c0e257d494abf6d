/**
 * Memory-pressure scenarios on small simulated machines.
 *
 * - The seed scenario (refs/linux-nonlinear.md §1.15–17, Ingo Molnar's "make nonlinear
 *   mappings fully pageable"): a 16-page nonlinear window over a 1024-page tmpfs file on
 *   a machine with less RAM (256 pages) than the file. The window is remapped to
 *   scattered offsets; reading the rest of the file pushes the window's pages to swap;
 *   their PTEs become file PTEs holding the offsets; touching the window brings the right
 *   pages back (major faults). The same workload under the 4.0 emulation (a VMA per
 *   remap) gives the same data.
 * - Anonymous memory larger than RAM goes to swap and comes back intact.
 * - Out of RAM and swap: a KernelError ENOMEM whose message says swap is full (or that
 *   there is none) — never a wrong value.
 * - TLB shootdowns: only with threads on other CPUs.
 * - Injected I/O faults (swap write/read errors, a failed file read, a failed write-back)
 *   never corrupt data: every read is right or an error; fsync reports a write-back
 *   error once, then succeeds.
 *
 * Every test calls k.checkInvariants() after each phase. Random choices use SEED.
 */

import t, { type Test } from 'tap';

import {
  BusError, KernelError, type KernelConfigInput, MADV_DONTNEED, MAP_SHARED, O_CREAT, O_RDWR, type PersonalityName, PROT_READ,
  Prng, type Process,
} from '../../sim-kernel/index.js';

import {
  ANON, bootWith, caught, createFile, type FileKind, firstDiff, patternFile, patternPage, PS, RW, scatteredOffsets, vmaCount, writeHostFile,
} from './helpers.js';

const SEED = 0x5eed2605;
/** 1 MiB of RAM (256 frames) and 8 MiB of swap: the seed scenario's machine. */
const SMALL: KernelConfigInput = { ramBytes: 1 << 20, swapBytes: 8 << 20, seed: SEED };
const FILE_PAGES = 1024;
const WINDOW_PAGES = 16;

t.comment(`seed 0x${SEED.toString(16)}`);

// ---------------------------------------------------------------- helpers

/** A SMALL machine (with `cfg` over it), shut down without sync at the end of the test. */
const boot = bootWith(SMALL);

/** Word stored at the start of anonymous page i of a region tagged `tag`. */
const WORD = (tag: number, i: number): number => ((tag << 22) ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;

// ---------------------------------------------------------------- the seed scenario

function seedScenario(t: Test, personality: PersonalityName, kind: FileKind): void {
  const k = boot(t, { personality });
  const p = k.spawn();
  const prng = new Prng(SEED);
  const { fd } = createFile(t, p, kind, 'seed-cache', new Uint8Array(0));
  // Fill the file page by page with pwrite: 4 MiB through 1 MiB of RAM.
  for (let i = 0; i < FILE_PAGES; i++) p.pwrite(fd, patternPage(i), i * PS);
  k.checkInvariants();
  t.equal(p.fstat(fd).size, FILE_PAGES * PS, 'the file has 1024 pages');
  if (kind === 'tmpfs') t.ok(k.vmstatFields()['pswpout']! > 0, 'filling a tmpfs file larger than RAM already swapped');

  const win = p.mmap(0, WINDOW_PAGES * PS, RW, MAP_SHARED, fd, 0);
  const offsets = scatteredOffsets(prng, WINDOW_PAGES, FILE_PAGES);
  t.comment(`${personality} ${kind}: window offsets ${offsets.join(',')}`);
  for (let i = 0; i < WINDOW_PAGES; i++) p.remap_file_pages(win + i * PS, PS, 0, offsets[i] as number, 0);
  k.checkInvariants();
  const checkWindow = (what: string): void => {
    let bad = -1;
    for (let i = 0; i < WINDOW_PAGES && bad < 0; i++) {
      if (firstDiff(p.read(win + i * PS, PS), patternPage(offsets[i] as number)) >= 0) bad = i;
    }
    t.equal(bad, -1, `${what}: every byte of every window page is its remapped file page`);
  };
  checkWindow('after the remaps');
  if (personality === 'linux-2.6') {
    t.equal(vmaCount(p), 1, 'linux-2.6: one VMA');
    t.match(p.smaps(), /VmFlags:.* nl/, 'linux-2.6: the VMA is nonlinear');
  } else {
    t.ok(vmaCount(p) > 1, `linux-4.0: more than one VMA (${vmaCount(p)})`);
  }
  k.checkInvariants();

  // Memory pressure: pread through every page of the file twice (and check it).
  const vs0 = k.vmstatFields();
  const buf = new Uint8Array(PS);
  let preadBad = 0;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < FILE_PAGES; i++) {
      const j = pass === 0 ? i : FILE_PAGES - 1 - i;
      p.pread(fd, buf, j * PS);
      if (firstDiff(buf, patternPage(j)) >= 0) preadBad++;
    }
  }
  t.equal(preadBad, 0, 'every pread during the pressure returned the right page');
  k.checkInvariants();
  const vs1 = k.vmstatFields();
  t.ok(vs1['pgsteal']! > vs0['pgsteal']!, `reclaim ran (pgsteal +${vs1['pgsteal']! - vs0['pgsteal']!})`);
  if (kind === 'tmpfs') t.ok(vs1['pswpout']! > vs0['pswpout']!, `pages were swapped out (pswpout +${vs1['pswpout']! - vs0['pswpout']!})`);

  const ptes = p.ptes(win, WINDOW_PAGES * PS);
  if (personality === 'linux-2.6') {
    t.same(ptes.map((e) => e.kind), new Array(WINDOW_PAGES).fill('file'), 'linux-2.6: every window PTE is a file PTE');
    t.same(ptes.map((e) => e.pgoff), offsets, 'linux-2.6: the file PTEs hold the offsets the window was remapped to');
    t.equal(vs1['nr_file_ptes'], WINDOW_PAGES, 'vmstat nr_file_ptes = 16');
  } else {
    t.equal(ptes.filter((e) => e.kind === 'file').length, 0, 'linux-4.0: no file PTEs');
    t.equal(ptes.filter((e) => e.kind === 'present' && e.pgoff !== offsets[ptes.indexOf(e)]).length, 0,
      'linux-4.0: any present PTE maps its remapped page');
    t.equal(vs1['nr_file_ptes'], 0, 'vmstat nr_file_ptes = 0');
  }

  // mincore of the window reports each page by the offset it shows (a file PTE's offset on 2.6).
  const whole = p.mmap(0, FILE_PAGES * PS, PROT_READ, MAP_SHARED, fd, 0);
  const cached = p.mincore(whole, FILE_PAGES * PS);
  p.munmap(whole, FILE_PAGES * PS);
  t.same([...p.mincore(win, WINDOW_PAGES * PS)], offsets.map((o) => cached[o]),
    'mincore(window)[i] = whether file page offsets[i] is resident');
  t.ok(cached.some((c) => c === 0), 'part of the file is not resident');
  const maj0 = k.vmstatFields()['pgmajfault'] as number;
  checkWindow('after the pressure');
  const maj1 = k.vmstatFields()['pgmajfault'] as number;
  t.ok(maj1 > maj0, `touching the window took major faults (${maj1 - maj0})`);
  if (personality === 'linux-2.6') t.ok(maj1 - maj0 >= WINDOW_PAGES, 'linux-2.6: one per file PTE at least');
  t.same(p.ptes(win, WINDOW_PAGES * PS).map((e) => e.pgoff), offsets, 'the window maps its offsets again');
  k.checkInvariants();
}

t.test('seed scenario: a 16-page nonlinear window over a 1024-page tmpfs file on 1 MiB of RAM', async (t) => {
  t.test('linux-2.6', async (t) => seedScenario(t, 'linux-2.6', 'tmpfs'));
  t.test('linux-4.0', async (t) => seedScenario(t, 'linux-4.0', 'tmpfs'));
});

t.test('seed scenario over a host file (clean pages dropped and re-read, not swapped)', async (t) => {
  t.test('linux-2.6', async (t) => seedScenario(t, 'linux-2.6', 'host'));
  t.test('linux-4.0', async (t) => seedScenario(t, 'linux-4.0', 'host'));
});

t.test('a written window page survives swap-out through a file PTE (2.6)', async (t) => {
  const k = boot(t, { personality: 'linux-2.6' });
  const p = k.spawn();
  const fd = p.open('/dev/shm/dirty-window', O_RDWR | O_CREAT, 0o600);
  for (let i = 0; i < FILE_PAGES; i++) p.pwrite(fd, patternPage(i), i * PS);
  const win = p.mmap(0, WINDOW_PAGES * PS, RW, MAP_SHARED, fd, 0);
  const offsets = scatteredOffsets(new Prng(SEED ^ 1), WINDOW_PAGES, FILE_PAGES);
  for (let i = 0; i < WINDOW_PAGES; i++) p.remap_file_pages(win + i * PS, PS, 0, offsets[i] as number, 0);
  for (let i = 0; i < WINDOW_PAGES; i++) p.store32(win + i * PS + 64, 0xd1d1d100 + i);
  k.checkInvariants();
  const buf = new Uint8Array(PS);
  for (let pass = 0; pass < 2; pass++) for (let i = 0; i < FILE_PAGES; i++) p.pread(fd, buf, i * PS);
  k.checkInvariants();
  t.ok(p.ptes(win, WINDOW_PAGES * PS).some((e) => e.kind === 'file'), 'window pages were reclaimed to file PTEs');
  let bad = 0;
  for (let i = 0; i < WINDOW_PAGES; i++) {
    if (p.load32(win + i * PS) !== offsets[i] || p.load32(win + i * PS + 64) !== 0xd1d1d100 + i) bad++;
  }
  t.equal(bad, 0, 'the stores made through the window came back from swap');
  // And pread of those file pages sees them too (the window wrote the file).
  p.pread(fd, buf, (offsets[3] as number) * PS);
  t.equal(new DataView(buf.buffer).getUint32(64, true), 0xd1d1d103, 'pread sees the store through the window');
  k.checkInvariants();
});

t.test('linux-2.6: a nonlinear window and a linear mapping of the same file under pressure stay coherent', async (t) => {
  const k = boot(t, { personality: 'linux-2.6' });
  const p1 = k.spawn();
  const p2 = k.spawn();
  const fd1 = p1.open('/dev/shm/shared-cache', O_RDWR | O_CREAT, 0o600);
  for (let i = 0; i < FILE_PAGES; i++) p1.pwrite(fd1, patternPage(i), i * PS);
  const fd2 = p2.open('/dev/shm/shared-cache', O_RDWR, 0o600);
  const win = p1.mmap(0, WINDOW_PAGES * PS, RW, MAP_SHARED, fd1, 0);
  const offsets = scatteredOffsets(new Prng(SEED ^ 3), WINDOW_PAGES, FILE_PAGES);
  for (let i = 0; i < WINDOW_PAGES; i++) p1.remap_file_pages(win + i * PS, PS, 0, offsets[i] as number, 0);
  const lin = p2.mmap(0, FILE_PAGES * PS, RW, MAP_SHARED, fd2, 0);
  // Write through the window, read through the linear mapping (same page-cache pages).
  for (let i = 0; i < WINDOW_PAGES; i++) p1.store32(win + i * PS + 128, 0x11110000 + i);
  let bad = 0;
  for (let i = 0; i < WINDOW_PAGES; i++) if (p2.load32(lin + (offsets[i] as number) * PS + 128) !== 0x11110000 + i) bad++;
  t.equal(bad, 0, 'stores through the window are visible through the linear mapping');
  k.checkInvariants();
  // Pressure through the linear mapping: touch every page of the file twice.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < FILE_PAGES; i++) if (p2.load32(lin + i * PS) !== i) bad++;
  }
  t.equal(bad, 0, 'the linear mapping reads every page right under pressure');
  k.checkInvariants();
  t.ok(k.vmstatFields()['pswpout']! > 0, 'pages went to swap');
  // Write through the linear mapping, read through the window.
  for (let i = 0; i < WINDOW_PAGES; i++) p2.store32(lin + (offsets[i] as number) * PS + 256, 0x22220000 + i);
  for (let i = 0; i < FILE_PAGES; i += 3) p2.load32(lin + i * PS); // more pressure
  k.checkInvariants();
  for (let i = 0; i < WINDOW_PAGES; i++) {
    if (p1.load32(win + i * PS) !== offsets[i] || p1.load32(win + i * PS + 128) !== 0x11110000 + i ||
      p1.load32(win + i * PS + 256) !== 0x22220000 + i) bad++;
  }
  t.equal(bad, 0, 'the window sees both processes\' stores after the pressure');
  k.checkInvariants();
});

// ---------------------------------------------------------------- anonymous memory and swap

t.test('anonymous memory larger than RAM swaps out and back in with the right contents', async (t) => {
  const k = boot(t);
  const p = k.spawn();
  const prng = new Prng(SEED ^ 2);
  const n = 768; // 3 MiB on 1 MiB of RAM
  const a = p.mmap(0, n * PS, RW, ANON, -1, 0);
  for (let i = 0; i < n; i++) {
    p.store32(a + i * PS, WORD(1, i));
    p.store32(a + i * PS + PS - 4, ~WORD(1, i) >>> 0);
  }
  k.checkInvariants();
  const vs0 = k.vmstatFields();
  t.ok(vs0['pswpout']! > 0, `pages were swapped out (pswpout ${vs0['pswpout']})`);
  const swapPtes = p.ptes(a, n * PS).filter((e) => e.kind === 'swap').length;
  t.ok(swapPtes >= n - 256, `at least ${n - 256} PTEs are swap entries (${swapPtes})`);
  const m = k.meminfoFields();
  t.ok(m.SwapTotal - m.SwapFree >= (n - 256) * 4, 'meminfo: swap in use');
  // Read back in a random order, then sequentially, then rewrite half and read again.
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = prng.int(0, i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  let bad = 0;
  for (const i of order) {
    if (p.load32(a + i * PS) !== WORD(1, i) || p.load32(a + i * PS + PS - 4) !== (~WORD(1, i) >>> 0)) bad++;
  }
  t.equal(bad, 0, 'random-order read back: every page right');
  t.ok(k.vmstatFields()['pswpin']! > 0, 'pages were swapped in');
  k.checkInvariants();
  for (let i = 0; i < n; i += 2) p.store32(a + i * PS, WORD(2, i));
  bad = 0;
  for (let i = 0; i < n; i++) if (p.load32(a + i * PS) !== (i % 2 === 0 ? WORD(2, i) : WORD(1, i))) bad++;
  t.equal(bad, 0, 'after rewriting every other page: every page right');
  k.checkInvariants();
  p.munmap(a, n * PS);
  k.checkInvariants();
  // zap_pte_range → free_page_and_swap_cache: an unmapped page's swap-cache copy goes too.
  const after = k.meminfoFields();
  t.equal(after.SwapFree, after.SwapTotal, 'munmap freed every swap slot');
  t.equal(after.SwapCached, 0, 'no swap-cache page is left');
  t.equal(after.AnonPages, 0, 'no anonymous page is left');
});

t.test('out of RAM and swap: ENOMEM saying swap is full, never a wrong value', async (t) => {
  const k = boot(t, { swapBytes: 64 * 1024 }); // 15 usable slots
  const p = k.spawn();
  const n = 512;
  const a = p.mmap(0, n * PS, RW, ANON, -1, 0);
  let written = 0;
  const err = caught(() => {
    for (; written < n; written++) p.store32(a + written * PS, WORD(3, written));
  });
  t.ok(err instanceof KernelError, 'running out of memory is a KernelError', { found: String(err) });
  if (err instanceof KernelError) {
    t.equal(err.code, 'ENOMEM', 'code ENOMEM');
    t.match(err.message, /swap (\d+)\/\1 slots used/, 'the message says every swap slot is used');
    t.comment(err.message);
  }
  t.ok(written > 256 - 16 && written < n, `${written} pages were written before the failure`);
  k.checkInvariants();
  const m = k.meminfoFields();
  t.equal(m.SwapFree, 0, 'meminfo: SwapFree 0');
  let wrong = 0;
  let errors = 0;
  for (let i = 0; i < written; i++) {
    const e = caught(() => {
      if (p.load32(a + i * PS) !== WORD(3, i)) wrong++;
    });
    if (e !== null) {
      if (e instanceof KernelError && e.code === 'ENOMEM') errors++;
      else t.fail(`page ${i}: unexpected ${String(e)}`);
    }
  }
  t.equal(wrong, 0, `no wrong value (${errors} reads failed with ENOMEM)`);
  k.checkInvariants();
  // Freeing memory lets everything work again.
  p.munmap(a + (written >> 1) * PS, (n - (written >> 1)) * PS);
  wrong = 0;
  for (let i = 0; i < written >> 1; i++) if (p.load32(a + i * PS) !== WORD(3, i)) wrong++;
  t.equal(wrong, 0, 'after freeing half, the other half reads back right');
  k.checkInvariants();
});

t.test('out of RAM without swap: ENOMEM saying there is no swap', async (t) => {
  const k = boot(t, { swapBytes: 0 });
  const p = k.spawn();
  const a = p.mmap(0, 512 * PS, RW, ANON, -1, 0);
  let written = 0;
  const err = caught(() => {
    for (; written < 512; written++) p.store32(a + written * PS, WORD(4, written));
  });
  t.ok(err instanceof KernelError && err.code === 'ENOMEM', 'ENOMEM', { found: String(err) });
  if (err instanceof KernelError) t.match(err.message, /no swap/, 'the message says there is no swap');
  t.equal(k.meminfoFields().SwapTotal, 0, 'SwapTotal 0');
  let wrong = 0;
  for (let i = 0; i < written; i++) if (p.load32(a + i * PS) !== WORD(4, i)) wrong++;
  t.equal(wrong, 0, 'every page written before the failure reads back right (nothing was swapped)');
  k.checkInvariants();
});

t.test('tmpfs pages are swap-backed: on the anonymous LRU lists however they were created', async (t) => {
  const k = boot(t, { ramBytes: 16 << 20 });
  const p = k.spawn();
  const fd = p.open('/dev/shm/lru', O_RDWR | O_CREAT, 0o600);
  for (let i = 0; i < 16; i++) p.pwrite(fd, patternPage(i), i * PS);
  const m = k.meminfoFields();
  t.equal(m.Shmem, 64, 'Shmem 64 kB');
  t.equal(m['Active(file)'] + m['Inactive(file)'], 0, 'no tmpfs page on the file LRU lists after pwrite', {
    found: { 'Active(file)': m['Active(file)'], 'Inactive(file)': m['Inactive(file)'] },
  });
  t.equal(m['Active(anon)'] + m['Inactive(anon)'], 64, 'the 16 tmpfs pages are on the anonymous LRU lists');
  // Pages faulted in through a mapping of a hole do go to the anonymous lists.
  p.ftruncate(fd, 32 * PS);
  const a = p.mmap(0, 32 * PS, RW, MAP_SHARED, fd, 0);
  for (let i = 16; i < 32; i++) p.load8(a + i * PS);
  const m2 = k.meminfoFields();
  t.equal(m2['Active(anon)'] + m2['Inactive(anon)'] - (m['Active(anon)'] + m['Inactive(anon)']), 64,
    'faulted tmpfs pages join the anonymous lists');
  k.checkInvariants();
});

// ---------------------------------------------------------------- TLB shootdowns

t.test('TLB shootdowns: munmap of a touched range IPIs the other CPU only with a second thread', async (t) => {
  for (const threads of [2, 1]) {
    const k = boot(t, { ramBytes: 16 << 20, cpus: 2 });
    const p = k.spawn();
    p.setThreads(threads);
    const a = p.mmap(0, 16 * PS, RW, ANON, -1, 0);
    for (let i = 0; i < 16; i++) p.store32(a + i * PS, i);
    const before = k.vmstatFields()['tlb_shootdowns'] as number;
    p.munmap(a, 16 * PS);
    const d = (k.vmstatFields()['tlb_shootdowns'] as number) - before;
    if (threads === 2) t.ok(d > 0, `setThreads(2): tlb_shootdowns grew by ${d}`);
    else t.equal(d, 0, 'setThreads(1): no shootdown');
    // An untouched range has no PTEs: nothing to flush even with two threads.
    const b = p.mmap(0, 16 * PS, RW, ANON, -1, 0);
    const before2 = k.vmstatFields()['tlb_shootdowns'] as number;
    p.munmap(b, 16 * PS);
    t.equal((k.vmstatFields()['tlb_shootdowns'] as number) - before2, 0, `setThreads(${threads}): untouched munmap sends none`);
    k.checkInvariants();
  }
  // Other calls that zap or change present PTEs: madvise(DONTNEED), mprotect, remap_file_pages.
  for (const threads of [2, 1]) {
    const k = boot(t, { ramBytes: 16 << 20, cpus: 2 });
    const p = k.spawn();
    p.setThreads(threads);
    const fd = p.open('/dev/shm/tlb', O_RDWR | O_CREAT, 0o600);
    for (let i = 0; i < 32; i++) p.pwrite(fd, patternPage(i), i * PS);
    const a = p.mmap(0, 16 * PS, RW, ANON, -1, 0);
    const w = p.mmap(0, 16 * PS, RW, MAP_SHARED, fd, 0);
    const cases: [string, () => void, () => void][] = [
      ['madvise(MADV_DONTNEED)', () => { for (let i = 0; i < 16; i++) p.store8(a + i * PS, 1); }, () => p.madvise(a, 16 * PS, MADV_DONTNEED)],
      ['mprotect(PROT_READ)', () => { for (let i = 0; i < 16; i++) p.store8(a + i * PS, 1); }, () => p.mprotect(a, 16 * PS, PROT_READ)],
      ['remap_file_pages', () => { for (let i = 0; i < 16; i++) p.load8(w + i * PS); }, () => p.remap_file_pages(w, 4 * PS, 0, 20, 0)],
    ];
    for (const [name, touch, call] of cases) {
      touch();
      const before = k.vmstatFields()['tlb_shootdowns'] as number;
      call();
      const d = (k.vmstatFields()['tlb_shootdowns'] as number) - before;
      if (threads === 2) t.ok(d > 0, `setThreads(2): ${name} sent shootdowns (${d})`);
      else t.equal(d, 0, `setThreads(1): ${name} sent none`);
    }
    k.checkInvariants();
  }
  // setThreads above the machine's CPUs is capped: one CPU means no shootdowns.
  const k = boot(t, { ramBytes: 16 << 20, cpus: 1 });
  const p = k.spawn();
  p.setThreads(4);
  const a = p.mmap(0, 4 * PS, RW, ANON, -1, 0);
  for (let i = 0; i < 4; i++) p.store8(a + i * PS, 1);
  p.munmap(a, 4 * PS);
  t.equal(k.vmstatFields()['tlb_shootdowns'], 0, 'cpus 1: no shootdowns whatever the threads');
  k.checkInvariants();
});

// ---------------------------------------------------------------- fault injection

/** Write anonymous memory and a tmpfs file larger than RAM, then read both back. */
function swapWorkload(p: Process, tag: number): { wrong: number; errors: string[] } {
  const errors: string[] = [];
  let wrong = 0;
  const n = 384;
  const tryIt = (fn: () => void): void => {
    const e = caught(fn);
    if (e !== null) {
      if (e instanceof KernelError || e instanceof BusError) errors.push(`${e.code}`);
      else throw e;
    }
  };
  const a = p.mmap(0, n * PS, RW, ANON, -1, 0);
  const fd = p.open(`/dev/shm/inject-${tag}`, O_RDWR | O_CREAT, 0o600);
  for (let i = 0; i < n; i++) {
    tryIt(() => p.store32(a + i * PS, WORD(tag, i)));
    tryIt(() => p.pwrite(fd, patternPage(i), i * PS));
  }
  const buf = new Uint8Array(PS);
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < n; i++) {
      tryIt(() => {
        if (p.load32(a + i * PS) !== WORD(tag, i)) wrong++;
      });
      tryIt(() => {
        p.pread(fd, buf, i * PS);
        if (firstDiff(buf, patternPage(i)) >= 0) wrong++;
      });
    }
  }
  return { wrong, errors };
}

t.test('failNth(swapWrite, n) during pressure never corrupts data', async (t) => {
  const ns = [1, 2, 3, 5, 8, 13, 40, 100, 250, 500];
  t.comment(`swapWrite failure points ${ns.join(',')}`);
  for (const n of ns) {
    const k = boot(t);
    const p = k.spawn();
    k.core.faults.failNth('swapWrite', n);
    const { wrong, errors } = swapWorkload(p, 10 + n);
    k.checkInvariants();
    t.equal(k.core.faults.injected.EIO, 1, `n=${n}: the failure was injected`);
    t.equal(wrong, 0, `n=${n}: no wrong value`);
    t.same(errors, [], `n=${n}: a failed swap write is retried later, no access fails`);
  }
});

t.test('failNth(swapRead, n): the access fails, the data is not lost', async (t) => {
  for (const n of [1, 7, 60]) {
    const k = boot(t);
    const p = k.spawn();
    const tag = 30 + n;
    const count = 384;
    const a = p.mmap(0, count * PS, RW, ANON, -1, 0);
    for (let i = 0; i < count; i++) p.store32(a + i * PS, WORD(tag, i));
    k.core.faults.failNth('swapRead', n);
    let wrong = 0;
    const failed: number[] = [];
    for (let i = 0; i < count; i++) {
      const e = caught(() => {
        if (p.load32(a + i * PS) !== WORD(tag, i)) wrong++;
      });
      if (e !== null) {
        t.ok(e instanceof BusError && e.code === 'SIGBUS', `n=${n}: the failed swap-in is a SIGBUS`, { found: String(e) });
        failed.push(i);
      }
    }
    k.checkInvariants();
    t.equal(wrong, 0, `n=${n}: no wrong value`);
    t.equal(failed.length, 1, `n=${n}: exactly one access failed`);
    for (const i of failed) t.equal(p.load32(a + i * PS), WORD(tag, i), `n=${n}: page ${i} reads right on retry`);
    k.checkInvariants();
  }
});

t.test('failNth(read, 1) on a host-file fault gives SIGBUS; a retry reads the page', async (t) => {
  const k = boot(t, { ramBytes: 16 << 20 });
  const p = k.spawn();
  const data = patternFile(8);
  const { fd } = createFile(t, p, 'host', 'read-fault', data);
  const a = p.mmap(0, 8 * PS, PROT_READ, MAP_SHARED, fd, 0);
  k.core.faults.failNth('read', 1);
  const e = caught(() => p.load32(a + 2 * PS));
  t.ok(e instanceof BusError, 'a BusError', { found: String(e) });
  if (e instanceof BusError) t.equal(e.code, 'SIGBUS', "code 'SIGBUS'");
  k.checkInvariants();
  t.equal(p.load32(a + 2 * PS), 2, 'the next access reads the page');
  t.equal(firstDiff(p.read(a, 8 * PS), data), -1, 'the whole mapping reads right');
  k.checkInvariants();
});

t.test('fsync after an injected write-back EIO: EIO once, then success', async (t) => {
  const k = boot(t, { ramBytes: 16 << 20 });
  const p = k.spawn();
  const { fd } = createFile(t, p, 'host', 'fsync-eio', new Uint8Array(4 * PS));
  p.pwrite(fd, patternPage(1), PS);
  k.core.faults.failNth('write', 1);
  const e = caught(() => p.fsync(fd));
  t.ok(e instanceof KernelError && e.code === 'EIO', 'the first fsync reports EIO', { found: String(e) });
  k.checkInvariants();
  t.equal(caught(() => p.fsync(fd)), null, 'the second fsync succeeds (the error was reported once)');
  t.equal(caught(() => p.fsync(fd)), null, 'and so does a third');
  const buf = new Uint8Array(PS);
  p.pread(fd, buf, PS);
  t.equal(firstDiff(buf, patternPage(1)), -1, 'the page cache still holds the data');
  k.checkInvariants();
});

t.test('errseq: every file description open before a write-back error sees it once', async (t) => {
  const k = boot(t, { ramBytes: 16 << 20 });
  const p = k.spawn();
  const file = writeHostFile(t, 'errseq', new Uint8Array(4 * PS));
  const fd1 = p.open(file, O_RDWR, 0o600);
  const fd2 = p.open(file, O_RDWR, 0o600);
  p.pwrite(fd1, patternPage(2), 2 * PS);
  k.core.faults.failNth('write', 1);
  const e1 = caught(() => p.fsync(fd1));
  t.ok(e1 instanceof KernelError && e1.code === 'EIO', 'fsync(fd1): EIO', { found: String(e1) });
  const e2 = caught(() => p.fsync(fd2));
  t.ok(e2 instanceof KernelError && e2.code === 'EIO', 'fsync(fd2), opened before the error: EIO too', {
    found: String(e2),
  });
  t.equal(caught(() => p.fsync(fd1)), null, 'fsync(fd1) again: success');
  t.equal(caught(() => p.fsync(fd2)), null, 'fsync(fd2) again: success');
  k.checkInvariants();
});
