/**
 * Conformance of per-page protection inside one nonlinear VMA (KernelConfig.perPageProt),
 * in the manner of the LTP ports (ltp-remap-file-pages.test.ts): the behaviour of the
 * 2005 series "remap_file_pages protection support" (refs/linux-nonlinear.md §6;
 * sim-kernel/syscalls/fremap-prot.ts states the rules and why).
 *
 * - Off (the default): prot != 0 is EINVAL even with MAP_NOINHERIT, which alone changes
 *   nothing; file PTEs keep no protection; i386 keeps PTE_FILE_MAX_BITS 29.
 * - Every errno of remap_file_pages with MAP_NOINHERIT: EINVAL (prot without the flag,
 *   unknown bits, range, not VM_SHARED, anonymous, EOF, offset limit), EPERM (a
 *   protection the VMA may not have), in the series' order of checks.
 * - PROT_NONE / PROT_READ / PROT_READ|PROT_WRITE per page, enforced by SIGSEGV
 *   SEGV_ACCERR at the faulting address with the access kind; the VMA's protection is
 *   no ceiling (VM_MAY* is); VmFlags "nu"; one maps() line on 2.6.
 * - mprotect inside the window changes PTEs (2.6) or splits (4.0); a whole-VMA mprotect
 *   makes it uniform again; downgrades flush the TLB and shoot down other CPUs' entries.
 * - The pgoff limits on both sides: i386 2^27 (was 2^29), x86_64 2^46, i386-pae none.
 * - linux-4.0: one VMA per run of pages with one protection and contiguous offsets.
 *
 * Every test calls k.checkInvariants() after its steps.
 */

import t, { type Test } from 'tap';

import {
  ERRNO, type Kernel, KernelAssertionError, KernelError, MAP_ANONYMOUS, MAP_FIXED, MAP_NOINHERIT, MAP_NONBLOCK, MAP_PRIVATE,
  MAP_SHARED, O_CREAT, O_RDONLY, O_RDWR, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE, type Process, SEGV_ACCERR, SegvError,
  VM_MAYEXEC, formatPtes, getArch,
} from '../../sim-kernel/index.js';
import { PP_RW, fileHi, fileLo } from '../../sim-kernel/arch.js';

import {
  ARCHES, bootWith, caught, createFile, expectErrno, expectOk, type FileKind, patternFile, PERSONALITIES, PS, RW, vmaCount,
  vmFlagsAt,
} from './helpers.js';

/** A kernel with 32 MiB of RAM and per-page protection on (unless cfg says otherwise). */
const boot = bootWith({ ramBytes: 32 * 1024 * 1024, perPageProt: true });
const NOINHERIT = MAP_NOINHERIT;

/** A process with a file of `pages` pattern pages open O_RDWR (file page i starts with the word i). */
function setup(t: Test, k: Kernel, pages: number, kind: FileKind = 'host', name = 'cache'): { p: Process; fd: number; file: string } {
  const p = k.spawn();
  const { fd, file } = createFile(t, p, kind, name, patternFile(pages), { shmPath: `/dev/shm/${name}-${t.name.replace(/[^a-z0-9]/gi, '')}` });
  return { p, fd, file };
}

/** Asserts that fn raises SIGSEGV SEGV_ACCERR for an `access` at exactly `addr`. */
function expectAccErr(t: Test, fn: () => unknown, addr: number, access: 'read' | 'write', msg: string): void {
  const err = caught(fn);
  const ok = err instanceof SegvError && err.siCode === SEGV_ACCERR && err.addr === addr && err.access === access;
  t.ok(ok, `${msg}: SIGSEGV SEGV_ACCERR on ${access} at 0x${addr.toString(16)}`, { found: String(err) });
}

/** The rwxs/p permissions of the maps() line containing addr ('' when none does). */
function permsAt(p: Process, addr: number): string {
  for (const line of p.maps().split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) /.exec(line);
    if (m !== null && parseInt(m[1] as string, 16) <= addr && addr < parseInt(m[2] as string, 16)) return m[3] as string;
  }
  return '';
}

/** What a page allows, as the ptes view spells it. */
type Prot = 'none' | 'r' | 'rw';
const ALLOWS: Readonly<Record<Prot, { read: boolean; write: boolean }>> = {
  none: { read: false, write: false }, r: { read: true, write: false }, rw: { read: true, write: true },
};

/**
 * Checks reads and writes of window page i (showing file page pgoff) against `prot`: an
 * allowed read sees the page's first word, an allowed write lands, and each refused access
 * is SEGV_ACCERR at its address. Returns how many SIGSEGVs it provoked.
 */
function checkAccess(t: Test, p: Process, addr: number, pgoff: number, prot: Prot, what: string): number {
  let segv = 0;
  if (ALLOWS[prot].read) t.equal(p.load32(addr), pgoff, `${what}: a read sees file page ${pgoff}`);
  else {
    expectAccErr(t, () => p.load32(addr + 8), addr + 8, 'read', `${what}: ${prot}`);
    segv++;
  }
  if (ALLOWS[prot].write) {
    p.store32(addr + 12, 0xc0de0000 + pgoff);
    t.equal(p.load32(addr + 12), 0xc0de0000 + pgoff, `${what}: a write lands`);
  } else {
    expectAccErr(t, () => p.store8(addr + 16, 1), addr + 16, 'write', `${what}: ${prot}`);
    segv++;
  }
  return segv;
}

// ---------------------------------------------------------------- off by default

t.test('perPageProt off (default): prot must be 0 even with MAP_NOINHERIT, which alone changes nothing', async (t) => {
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality, perPageProt: false });
      t.equal(k.config.perPageProt, false, 'the default is off');
      const { p, fd } = setup(t, k, 32, 'tmpfs');
      p.ftruncate(fd, 64 * PS); // pages 32-63: holes, in no cache
      const a = p.mmap(0, 8 * PS, RW, MAP_SHARED, fd, 0);
      for (const prot of [PROT_READ, PROT_WRITE, RW, PROT_EXEC, -1]) {
        expectErrno(t, () => p.remap_file_pages(a, PS, prot, 3, NOINHERIT), 'EINVAL', `prot ${prot} with MAP_NOINHERIT`);
      }
      t.equal(p.load32(a), 0, 'the failures changed nothing');
      // prot 0 with the flag: the flag is one of the ignored ones; the page takes the VMA's protection.
      expectOk(t, () => p.remap_file_pages(a, PS, 0, 3, NOINHERIT), 'prot 0 with MAP_NOINHERIT is accepted');
      t.equal(p.load32(a), 3, 'window page 0 shows file page 3');
      p.store32(a + 4, 7);
      t.equal(p.load32(a + 4), 7, '... and is writable, as its VMA');
      t.notOk(vmFlagsAt(p, a).includes('nu'), 'no VM_NONUNIFORM');
      if (personality === 'linux-2.6') {
        p.remap_file_pages(a + PS, PS, 0, 40, MAP_NONBLOCK | NOINHERIT);
        const e = p.ptes(a + PS, PS)[0];
        t.same([e?.kind, e?.pgoff, e?.prot], ['file', 40, '-'], 'a file PTE keeps no protection');
        t.match(formatPtes(p.ptes(a + PS, PS)), /file pgoff=40$/, 'formatPtes prints no prot for it');
      }
      t.equal(getArch('i386').pteFileMaxBits, 29, 'i386 keeps 29 offset bits');
      k.checkInvariants();
    });
  }
});

// ---------------------------------------------------------------- errnos

t.test('errnos of remap_file_pages with MAP_NOINHERIT, in the series\' order of checks', async (t) => {
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const native = personality === 'linux-2.6';
      const k = boot(t, { personality });
      const { p, fd, file } = setup(t, k, 32);
      const a = p.mmap(0x50000000, 8 * PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
      const unchanged = (what: string): void => {
        t.equal(p.load32(a), 0, `${what}: window page 0 unchanged`);
        k.checkInvariants();
      };

      // 1. prot without the flag: the old rule.
      for (const prot of [PROT_READ, PROT_WRITE, RW, -1]) {
        expectErrno(t, () => p.remap_file_pages(a, PS, prot, 3, 0), 'EINVAL', `prot ${prot} without MAP_NOINHERIT`);
      }
      // 2. bits other than PROT_READ|PROT_WRITE|PROT_EXEC.
      for (const prot of [8, 0x10, 0x1000000, -1, 1.5]) {
        expectErrno(t, () => p.remap_file_pages(a, PS, prot, 3, NOINHERIT), 'EINVAL', `prot ${prot} with MAP_NOINHERIT`);
      }
      unchanged('bad prot');
      // 3. the range is checked first: outside any mapping, or past its end.
      expectErrno(t, () => p.remap_file_pages(0x10000000, PS, PROT_READ, 3, NOINHERIT), 'EINVAL', 'start outside any mapping');
      expectErrno(t, () => p.remap_file_pages(a + 7 * PS, 2 * PS, PROT_READ, 3, NOINHERIT), 'EINVAL', 'size past the mapping');
      unchanged('bad range');

      // 4. MAP_SHARED of an O_RDONLY fd: not VM_SHARED and without VM_MAYWRITE.
      const ro = p.open(file, O_RDONLY);
      const b = p.mmap(0x51000000, 4 * PS, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 0);
      for (const prot of [PROT_WRITE, RW]) {
        // 2.6: the protection check comes before the VM_SHARED one (patch 06/18, and "rfp: move prot
        // checking before any change"); 4.0 checks VM_SHARED first, as its remap_file_pages does.
        const err = caught(() => p.remap_file_pages(b, PS, prot, 1, NOINHERIT));
        if (native) {
          t.ok(err instanceof KernelError && err.code === 'EPERM' && err.errno === ERRNO.EPERM, `O_RDONLY, prot ${prot}: EPERM`,
            { found: String(err) });
          t.match(String(err), /asks for PROT_WRITE.*may not have.*not open for writing.*at most PROT_READ\|PROT_EXEC/,
            'the message names what was asked and what the mapping allows');
        } else {
          t.ok(err instanceof KernelError && err.code === 'EINVAL', `O_RDONLY, prot ${prot}: EINVAL (not VM_SHARED)`, { found: String(err) });
        }
      }
      for (const prot of [PROT_NONE, PROT_READ]) {
        expectErrno(t, () => p.remap_file_pages(b, PS, prot, 1, NOINHERIT), 'EINVAL', `O_RDONLY, prot ${prot}: allowed, but not VM_SHARED`);
      }
      t.equal(p.load32(b), 0, 'the read-only mapping is unchanged');
      k.checkInvariants();

      // 5. PROT_EXEC on a VMA without VM_MAYEXEC (a noexec mount gives one; the simulator has
      // none, so the test takes the bit away as such a mount would).
      const c = p.mmap(0x52000000, 4 * PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
      const vc = p.mm.findVma(c);
      if (vc === null) throw new Error('no VMA at c');
      vc.flags &= ~VM_MAYEXEC;
      for (const prot of [PROT_EXEC, PROT_READ | PROT_EXEC]) {
        const err = caught(() => p.remap_file_pages(c, PS, prot, 2, NOINHERIT));
        t.ok(err instanceof KernelError && err.code === 'EPERM', `PROT_EXEC without VM_MAYEXEC, prot ${prot}: EPERM`, { found: String(err) });
        t.match(String(err), /asks for PROT_EXEC.*at most PROT_READ\|PROT_WRITE/, 'the message names PROT_EXEC');
      }
      expectOk(t, () => p.remap_file_pages(c, PS, PROT_READ, 2, NOINHERIT), 'PROT_READ there is fine');
      t.equal(p.load32(c), 2, 'window page shows file page 2');
      k.checkInvariants();

      // 6. MAP_PRIVATE: VM_MAYWRITE is set (copy-on-write), so the protection passes; not VM_SHARED: EINVAL.
      const priv = p.mmap(0x53000000, 4 * PS, RW, MAP_PRIVATE | MAP_FIXED, fd, 0);
      for (const prot of [PROT_NONE, PROT_READ, RW]) {
        expectErrno(t, () => p.remap_file_pages(priv, PS, prot, 3, NOINHERIT), 'EINVAL', `MAP_PRIVATE, prot ${prot}`);
      }
      // 7. anonymous private memory.
      const anon = p.mmap(0x54000000, 4 * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      expectErrno(t, () => p.remap_file_pages(anon, PS, PROT_READ, 1, NOINHERIT), 'EINVAL', 'MAP_PRIVATE|MAP_ANONYMOUS');
      t.equal(p.load32(priv), 0, 'the private mapping is unchanged');
      k.checkInvariants();

      // 8. pgoff + npages past EOF.
      if (native) {
        const d = p.mmap(0x55000000, 4 * PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
        expectErrno(t, () => p.remap_file_pages(d, PS, PROT_READ, 32, NOINHERIT), 'EINVAL', 'pgoff = EOF page');
        // VM_NONLINEAR and VM_NONUNIFORM are set before populate runs and stay: no rollback.
        t.same(['nl', 'nu'].map((f) => vmFlagsAt(p, d).includes(f)), [true, true], 'the failed call left the VMA nonlinear and nonuniform');
        t.equal(p.load32(d), 0, 'its pages are unchanged');
      } else {
        const d = p.mmap(0x55000000, 4 * PS, RW, MAP_SHARED | MAP_FIXED, fd, 0);
        expectOk(t, () => p.remap_file_pages(d, PS, PROT_READ, 32, NOINHERIT), '4.0: mmap does not check i_size');
      }
      unchanged('all of it');
    });
  }
});

// ---------------------------------------------------------------- per-page protections

t.test('PROT_NONE, PROT_READ and PROT_READ|PROT_WRITE per page, enforced by SIGSEGV SEGV_ACCERR', async (t) => {
  /** Window page → [file page, prot asked, what the page allows]. */
  const plan: [number, number, Prot][] = [
    [40, PROT_NONE, 'none'],
    [41, PROT_READ, 'r'],
    [42, RW, 'rw'],
    [3, PROT_READ, 'r'], // its own offset, another protection
    [4, 0, 'none'], // with MAP_NOINHERIT, prot 0 is PROT_NONE
    [45, PROT_WRITE, 'rw'], // x86 has no write-only pages (protection_map)
    [46, PROT_EXEC, 'r'], // nor exec-only ones
    [7, -1, 'rw'], // not remapped: the VMA's protection
  ];
  for (const personality of PERSONALITIES) {
    for (const arch of ARCHES) {
      t.test(`${personality} ${arch}`, async (t) => {
        const k = boot(t, { personality, arch });
        const { p, fd } = setup(t, k, 64, 'tmpfs');
        const win = p.mmap(0, 8 * PS, RW, MAP_SHARED, fd, 0);
        plan.forEach(([pgoff, prot], i) => {
          if (prot >= 0) p.remap_file_pages(win + i * PS, PS, prot, pgoff, NOINHERIT);
        });
        k.checkInvariants();
        const segv0 = k.vmstatFields()['nr_sigsegv'] ?? 0;
        let segv = 0;
        plan.forEach(([pgoff, , prot], i) => {
          segv += checkAccess(t, p, win + i * PS, pgoff, prot, `window page ${i}`);
        });
        t.equal((k.vmstatFields()['nr_sigsegv'] ?? 0) - segv0, segv, `vmstat nr_sigsegv counts the ${segv} refusals`);
        k.checkInvariants();
        if (personality === 'linux-2.6') {
          t.equal(vmaCount(p), 1, 'one VMA');
          t.equal(permsAt(p, win), 'rw-s', 'maps() shows the VMA\'s own protection');
          t.same(['nl', 'nu'].map((f) => vmFlagsAt(p, win).includes(f)), [true, true], 'VmFlags: nl nu');
          const ptes = p.ptes(win, 8 * PS);
          t.same(ptes.map((e) => e.prot), plan.map(([, , prot]) => prot), 'each PTE shows its own protection');
          t.same(ptes.map((e) => e.pgoff), plan.map(([pgoff]) => pgoff), 'and its offset');
          t.match(formatPtes(ptes), /present frame=\d+ pgoff=40 prot=none/, 'formatPtes shows a PROT_NONE page');
        } else {
          // 4.0: each page is its own mmap with its own protection (no two neighbours merge here).
          t.equal(vmaCount(p), 8, 'linux-4.0: a VMA per page');
          t.same(plan.map((_, i) => permsAt(p, win + i * PS)), ['---s', 'r--s', 'rw-s', 'r--s', '---s', 'rw-s', 'r--s', 'rw-s'],
            'linux-4.0: each VMA has the page\'s protection');
          t.notOk(vmFlagsAt(p, win).includes('nu'), 'linux-4.0: no VM_NONUNIFORM');
        }
        // Re-granting: the same page, a wider protection.
        p.remap_file_pages(win, PS, RW, 40, NOINHERIT);
        checkAccess(t, p, win, 40, 'rw', 'window page 0 after PROT_READ|PROT_WRITE');
        k.checkInvariants();
      });
    }
  }
});

t.test('the VMA\'s protection is no ceiling: VM_MAY* is', async (t) => {
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality });
      const { p, fd } = setup(t, k, 16);
      const ro = p.mmap(0, 4 * PS, PROT_READ, MAP_SHARED, fd, 0); // O_RDWR fd: VM_MAYWRITE
      p.remap_file_pages(ro + 2 * PS, PS, RW, 9, NOINHERIT);
      checkAccess(t, p, ro + 2 * PS, 9, 'rw', 'a read-write page in a PROT_READ mapping');
      checkAccess(t, p, ro + PS, 1, 'r', 'its neighbour keeps the VMA\'s PROT_READ');
      const none = p.mmap(0, 4 * PS, PROT_NONE, MAP_SHARED, fd, 0);
      p.remap_file_pages(none + PS, PS, PROT_READ, 1, NOINHERIT);
      checkAccess(t, p, none + PS, 1, 'r', 'a readable page at its own offset in a PROT_NONE mapping');
      checkAccess(t, p, none, 0, 'none', 'its neighbour keeps PROT_NONE');
      if (personality === 'linux-2.6') t.equal(vmaCount(p), 2, 'linux-2.6: still two VMAs');
      k.checkInvariants();
    });
  }
});

// ---------------------------------------------------------------- mprotect and the TLB

t.test('mprotect inside the window: PTEs on 2.6 (one maps() line), a split on 4.0; downgrades flush and shoot down', async (t) => {
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const native = personality === 'linux-2.6';
      const k = boot(t, { personality, cpus: 2 });
      const { p, fd } = setup(t, k, 64, 'tmpfs');
      p.setThreads(2);
      const win = p.mmap(0, 16 * PS, RW, MAP_SHARED, fd, 0);
      p.remap_file_pages(win, PS, 0, 20, 0); // page 0 ← file page 20: nonlinear on 2.6
      const pg = (i: number): number => (i === 0 ? 20 : i);
      for (let i = 0; i < 8; i++) p.store32(win + i * PS + 12, 0xc0de0000 + pg(i)); // TLB entries, writable
      k.checkInvariants();

      const vs0 = k.vmstatFields();
      p.mprotect(win + 4 * PS, 4 * PS, PROT_READ);
      const vs1 = k.vmstatFields();
      t.ok(vs1['tlb_flush_local']! > vs0['tlb_flush_local']!, 'the downgrade flushed the local TLB');
      t.ok(vs1['tlb_shootdowns']! > vs0['tlb_shootdowns']!, 'and shot down the other CPU\'s entries');
      if (native) {
        t.equal(vmaCount(p), 1, '2.6: no split, one maps() line');
        t.ok(vmFlagsAt(p, win).includes('nu'), '2.6: VmFlags nu');
        t.same(p.ptes(win + 3 * PS, 6 * PS).map((e) => e.prot), ['rw', 'r', 'r', 'r', 'r', '-'],
          '2.6: pages 4-7 read-only (page 8, never touched, has no PTE)');
      } else {
        t.equal(vmaCount(p), 4, '4.0: the remapped page, and the window split in three');
      }
      for (let i = 3; i < 8; i++) checkAccess(t, p, win + i * PS, pg(i), i >= 4 ? 'r' : 'rw', `page ${i}`);
      k.checkInvariants();

      // Over touched (6, 7) and never-touched pages (8, 9): the latter become file PTEs at their own offset.
      p.mprotect(win + 6 * PS, 4 * PS, PROT_NONE);
      if (native) {
        t.same(p.ptes(win + 6 * PS, 4 * PS).map((e) => [e.kind, e.pgoff, e.prot]),
          [['present', 6, 'none'], ['present', 7, 'none'], ['file', 8, 'none'], ['file', 9, 'none']],
          '2.6: present pages PROT_NONE, untouched ones file PTEs keeping offset and protection');
        t.equal(vmaCount(p), 1, '2.6: still one VMA');
      }
      for (let i = 6; i < 10; i++) checkAccess(t, p, win + i * PS, pg(i), 'none', `page ${i}`);
      k.checkInvariants();

      // Back up: the data written before is still there.
      p.mprotect(win + 4 * PS, 6 * PS, RW);
      for (let i = 4; i < 8; i++) t.equal(p.load32(win + i * PS + 12), 0xc0de0000 + i, `page ${i}: its data survived`);
      for (let i = 4; i < 10; i++) checkAccess(t, p, win + i * PS, pg(i), 'rw', `page ${i} after the upgrade`);
      k.checkInvariants();

      // A downgrade through remap_file_pages of the same page: rewritten in place, flushed.
      p.store32(win + 2 * PS, 2); // a writable TLB entry
      const vs2 = k.vmstatFields();
      p.remap_file_pages(win + 2 * PS, PS, PROT_READ, 2, NOINHERIT);
      t.ok(k.vmstatFields()['tlb_shootdowns']! > vs2['tlb_shootdowns']!, 'remap_file_pages\' downgrade shot down too');
      checkAccess(t, p, win + 2 * PS, 2, 'r', 'page 2 after the remap');
      k.checkInvariants();

      // The whole VMA: mprotect changes the VMA; every page takes it; uniform again.
      if (native) {
        p.ftruncate(fd, 128 * PS); // pages 64-127: holes, not in the page cache
        p.remap_file_pages(win + 12 * PS, PS, RW, 100, NOINHERIT | MAP_NONBLOCK); // a file PTE to rewrite
        p.mprotect(win, 16 * PS, PROT_READ);
        t.notOk(vmFlagsAt(p, win).includes('nu'), '2.6: a whole-VMA mprotect makes it uniform');
        t.ok(vmFlagsAt(p, win).includes('nl'), '2.6: (still nonlinear)');
        t.equal(permsAt(p, win), 'r--s', '2.6: maps() shows PROT_READ');
        const ptes = p.ptes(win, 16 * PS);
        t.same(ptes.filter((e) => e.kind !== 'none' && e.prot !== 'r').map((e) => e.addr), [], '2.6: every present and file PTE read-only');
        t.same([ptes[12]?.kind, ptes[12]?.pgoff], ['file', 100], '2.6: the file PTE keeps its offset');
        for (const i of [0, 5, 9]) checkAccess(t, p, win + i * PS, pg(i), 'r', `page ${i} after mprotect of the whole VMA`);
        t.equal(p.load32(win + 12 * PS), 0, 'page 12 (a hole) reads through its file PTE');
        expectAccErr(t, () => p.store8(win + 12 * PS, 1), win + 12 * PS, 'write', 'page 12 came in read-only');
      }
      k.checkInvariants();
    });
  }
});

// ---------------------------------------------------------------- the offset limits

t.test('pgoff limits with perPageProt, both sides: i386 2^27 (was 2^29), x86_64 2^46, i386-pae none', async (t) => {
  const LIMIT: Record<string, number> = { i386: 2 ** 27, x86_64: 2 ** 46, 'i386-pae': Infinity };
  for (const personality of PERSONALITIES) {
    for (const arch of ARCHES) {
      t.test(`${personality} ${arch}`, async (t) => {
        const native = personality === 'linux-2.6';
        const k = boot(t, { personality, arch });
        t.equal(k.core.arch.pteFileLimitPages, LIMIT[arch], `the machine's limit is ${LIMIT[arch]} pages`);
        const p = k.spawn();
        const fd = p.open('/dev/shm/huge', O_RDWR | O_CREAT, 0o600);
        const L = 2 ** 27;
        p.ftruncate(fd, (L + 16) * PS); // 512 GiB + 16 pages: sparse, pages appear when touched
        p.pwrite(fd, new Uint8Array([1, 0, 0, 0]), (L - 17) * PS);
        p.pwrite(fd, new Uint8Array([2, 0, 0, 0]), L * PS);
        const fresh = (): number => p.mmap(0, 16 * PS, RW, MAP_SHARED, fd, 0);

        // Below: pgoff + npages < 2^27 — fine everywhere, with or without a protection.
        const a = fresh();
        expectOk(t, () => p.remap_file_pages(a, 15 * PS, PROT_READ, L - 17, NOINHERIT), 'pgoff 2^27-17, 15 pages');
        t.equal(p.load32(a), 1, 'window page 0 shows page 2^27-17');
        expectAccErr(t, () => p.store8(a, 1), a, 'write', 'and is read-only');
        if (native) {
          // Protected file PTEs at the top: pgoff 2^27-2 with 1 page is the last call the check
          // (pgoff + npages >= 2^27) lets through; the encoding itself holds up to 2^27-1.
          const f = fresh();
          for (const [i, pgoff, prot, name] of [[0, L - 2, PROT_NONE, 'none'], [1, L - 20, PROT_READ, 'r'], [2, L - 21, RW, 'rw']] as const) {
            p.remap_file_pages(f + i * PS, PS, prot, pgoff, NOINHERIT | MAP_NONBLOCK);
            const e = p.ptes(f + i * PS, PS)[0];
            t.same([e?.kind, e?.pgoff, e?.prot], ['file', pgoff, name], `a file PTE holds pgoff ${pgoff} and ${name}`);
          }
          expectAccErr(t, () => p.load8(f + 8), f + 8, 'read', 'the PROT_NONE one refuses a read');
          t.equal(p.load8(f + PS), 0, 'a hole page comes in from the read-only file PTE');
          expectAccErr(t, () => p.store8(f + PS, 1), f + PS, 'write', 'with the protection the file PTE kept');
          p.store8(f + 2 * PS, 5);
          t.equal(p.load8(f + 2 * PS), 5, 'and the read-write one takes a write');
        }
        k.checkInvariants();

        // At and above 2^27: EINVAL on i386 (2.6) before the VMA is touched; accepted elsewhere.
        for (const [pgoff, n] of [[L - 16, 16], [L - 1, 1], [L, 16]] as [number, number][]) {
          const b = fresh();
          const what = `pgoff ${pgoff}, ${n} pages (sum ${pgoff + n})`;
          if (native && arch === 'i386') {
            expectErrno(t, () => p.remap_file_pages(b, n * PS, PROT_READ, pgoff, NOINHERIT), 'EINVAL', `i386: ${what}`);
            expectErrno(t, () => p.remap_file_pages(b, n * PS, 0, pgoff, 0), 'EINVAL', `i386: ${what}, even without a protection`);
            t.notOk(vmFlagsAt(p, b).includes('nl'), 'the limit is checked before the VMA turns nonlinear');
          } else {
            expectOk(t, () => p.remap_file_pages(b, n * PS, PROT_READ, pgoff, NOINHERIT), `${arch}: ${what}`);
          }
          p.munmap(b, 16 * PS);
        }
        if (native && arch !== 'i386') {
          const b = fresh();
          p.remap_file_pages(b, PS, RW, L, NOINHERIT);
          t.equal(p.load32(b), 2, 'page 2^27 reached');
        }

        // x86_64's limit and PAE's absence of one, told apart from the EOF check that follows
        // it: a refusal at the limit leaves the VMA linear, one at EOF leaves it nonlinear.
        if (native && arch !== 'i386') {
          const top = arch === 'x86_64' ? 2 ** 46 : 2 ** 32;
          const c = fresh();
          expectErrno(t, () => p.remap_file_pages(c, PS, PROT_READ, top - 2, NOINHERIT), 'EINVAL', `pgoff ${top - 2}: past EOF`);
          t.ok(vmFlagsAt(p, c).includes('nl'), `pgoff ${top - 2} passed the offset check (the VMA went nonlinear)`);
          const d = fresh();
          if (arch === 'x86_64') {
            expectErrno(t, () => p.remap_file_pages(d, PS, PROT_READ, top - 1, NOINHERIT), 'EINVAL', 'pgoff 2^46-1 + 1 page reaches 2^46');
            t.notOk(vmFlagsAt(p, d).includes('nl'), 'refused by the offset check (the VMA stayed linear)');
          } else {
            expectErrno(t, () => p.remap_file_pages(d, PS, PROT_READ, top - 1, NOINHERIT), 'EINVAL', 'pgoff 2^32-1: past EOF only');
            t.ok(vmFlagsAt(p, d).includes('nl'), 'PAE has no offset check');
          }
        }
        k.checkInvariants();
      });
    }
  }
  t.test('without perPageProt i386 keeps 2^29: pgoff 2^27 is fine there', async (t) => {
    const k = boot(t, { arch: 'i386', perPageProt: false });
    t.equal(k.core.arch.pteFileMaxBits, 29, 'PTE_FILE_MAX_BITS 29');
    const p = k.spawn();
    const fd = p.open('/dev/shm/huge', O_RDWR | O_CREAT, 0o600);
    p.ftruncate(fd, (2 ** 27 + 16) * PS);
    const a = p.mmap(0, 16 * PS, RW, MAP_SHARED, fd, 0);
    expectOk(t, () => p.remap_file_pages(a, 16 * PS, 0, 2 ** 27, 0), 'pgoff 2^27, 16 pages');
    k.checkInvariants();
  });
});

// ---------------------------------------------------------------- the two personalities' costs

t.test('linux-4.0 pays a VMA per run of equal protection; 2.6 pays none', async (t) => {
  const runs: [number, Prot][] = [[PROT_NONE, 'none'], [PROT_READ, 'r'], [RW, 'rw'], [PROT_READ, 'r']];
  for (const personality of PERSONALITIES) {
    t.test(personality, async (t) => {
      const k = boot(t, { personality });
      const { p, fd } = setup(t, k, 128, 'tmpfs');
      const win = p.mmap(0, 64 * PS, RW, MAP_SHARED, fd, 0);
      // Each page at its own offset, one call per page, in four runs of 16 pages.
      for (let i = 0; i < 64; i++) p.remap_file_pages(win + i * PS, PS, runs[i >> 4]![0], i, NOINHERIT);
      const km = k.kernelMemory();
      const want = personality === 'linux-2.6' ? 1 : runs.length;
      t.equal(km.vmaCount, want, `kernelMemory().vmaCount = ${want}`);
      t.equal(vmaCount(p), want, `maps() has ${want} line(s)`);
      t.equal(km.vmaBytes, want * k.core.arch.vmaStructBytes, 'vmaBytes = VMAs × sizeof(vm_area_struct)');
      for (const i of [0, 17, 40, 63]) checkAccess(t, p, win + i * PS, i, runs[i >> 4]![1], `page ${i}`);
      // Scattered offsets, alternating protections: every page its own VMA on 4.0.
      for (let i = 0; i < 64; i++) p.remap_file_pages(win + i * PS, PS, i & 1 ? PROT_READ : RW, 127 - i, NOINHERIT);
      const n = k.kernelMemory().vmaCount;
      t.equal(n, personality === 'linux-2.6' ? 1 : 64, `after scattered remaps: ${n} VMA(s)`);
      checkAccess(t, p, win + 5 * PS, 122, 'r', 'page 5');
      checkAccess(t, p, win + 6 * PS, 121, 'rw', 'page 6');
      k.checkInvariants();
    });
  }
});

// ---------------------------------------------------------------- the invariants watch it

t.test('checkInvariants catches a file PTE whose protection its uniform VMA does not give', async (t) => {
  const k = boot(t);
  const { p, fd } = setup(t, k, 16, 'tmpfs');
  p.ftruncate(fd, 32 * PS);
  const a = p.mmap(0, 4 * PS, PROT_READ, MAP_SHARED, fd, 0);
  p.remap_file_pages(a, PS, 0, 20, MAP_NONBLOCK); // a hole: nonlinear, uniform, a file PTE keeping PROT_READ
  t.same(p.ptes(a, PS).map((e) => [e.kind, e.prot]), [['file', 'r']], 'a file PTE keeping the VMA\'s PROT_READ');
  k.checkInvariants();
  const w = p.mm.ptePtrExisting(a / PS);
  const saved = [p.mm.pteLo(w), p.mm.pteHi(w)] as const;
  p.mm.setPte(w, fileLo(k.core.arch, 20, PP_RW), fileHi(k.core.arch, 20));
  t.throws(() => k.checkInvariants(), KernelAssertionError, 'a read-write file PTE in a uniform PROT_READ VMA is a bug');
  p.mm.setPte(w, saved[0], saved[1]);
  k.checkInvariants();
});
