/**
 * `remapdb demo --window`: what nonlinear mappings buy, shown on the simulated kernel
 * alone (no database), in a second.
 *
 * 1. Ingo Molnar's remap_file_pages01 scenario: a 16-page window over a 1024-page file
 *    on /dev/shm, remapped in reversed pairs, under linux-2.6 (one VMA, file PTEs) and
 *    linux-4.0 (the emulation: a VMA per remap) — maps, PTEs and kernel memory printed.
 * 2. The seed's scenario: the same window on a machine with less RAM than the file;
 *    pages swap out, the window's PTEs keep their offsets as file PTEs, every page
 *    comes back right.
 * 3. What Linux never merged (kernel perPageProt): the same window with a protection per
 *    page — PROT_NONE, read-only, read-write — still one VMA (smaps "nu"), each PTE showing
 *    its protection, the SIGSEGVs a protected page gives, and what the same protections
 *    cost linux-4.0's emulation (a VMA per run); then the buffer pool's guard mode catching
 *    a use after unfix with the page, slot and fix history.
 */

import { openBufferPool } from '../../bufferpool/index.js';
import {
  Kernel, type KernelConfig, MAP_NOINHERIT, MAP_SHARED, O_CREAT, O_RDWR, PROT_NONE, PROT_READ, PROT_WRITE, formatPtes,
  PERSONALITY_NAMES, SegvError,
} from '../../sim-kernel/index.js';
import { toKernelConfig } from '../../src/config/index.js';
import { CodedError, REMAPDB_CODES } from '../../src/index.js';
import type { CliContext } from '../command.js';

const WINDOW_PAGES = 16;
const FILE_PAGES = 1024;

interface WindowRun {
  personality: string;
  correct: boolean;
  vmas: number;
  maps: string;
  ptes: string;
  /** Window PTEs that were file PTEs before the final touch. */
  filePtes: number;
  kernelBytes: { vmaBytes: number; pageTableBytes: number; totalBytes: number };
  kernelNs: number;
  vmstat: Record<string, number>;
  meminfo: string;
}

/** Window slot i shows file page target(i, round): reversed pairs walking through the file. */
function target(i: number, round: number): number {
  const base = (round * WINDOW_PAGES * 3) % (FILE_PAGES - WINDOW_PAGES);
  return base + (i % 2 === 0 ? i + 1 : i - 1);
}

function runWindow(cfg: KernelConfig, pressure: boolean): WindowRun {
  const k = new Kernel(pressure ? { ...cfg, ramBytes: 256 * cfg.pageSize, tlbEntries: 16, readaheadPages: 4,
    watermarkMinPages: 0, watermarkLowPages: 0, watermarkHighPages: 0, swapBytes: 2 * FILE_PAGES * cfg.pageSize } : cfg);
  const p = k.spawn();
  const ps = cfg.pageSize;
  const fd = p.open('/dev/shm/remapdb-demo', O_RDWR | O_CREAT, 0o600);
  const page = new Uint8Array(ps);
  for (let i = 0; i < FILE_PAGES; i++) {
    page.fill(i & 0xff);
    new DataView(page.buffer).setUint32(0, i, true);
    p.pwrite(fd, page, i * ps);
  }
  const win = p.mmap(0, WINDOW_PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  let correct = true;
  const rounds = pressure ? 8 : 4;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < WINDOW_PAGES; i++) p.remap_file_pages(win + i * ps, ps, 0, target(i, round), 0);
    for (let i = 0; i < WINDOW_PAGES; i++) if (p.load32(win + i * ps) !== target(i, round)) correct = false;
    if (pressure) for (let j = 0; j < FILE_PAGES; j += 3) p.pread(fd, page, j * ps);
  }
  const pteList = p.ptes(win, WINDOW_PAGES * ps);
  const ptes = formatPtes(pteList);
  const filePtes = pteList.filter((x) => x.kind === 'file').length;
  for (let i = 0; i < WINDOW_PAGES; i++) if (p.load32(win + i * ps) !== target(i, rounds - 1)) correct = false;
  k.checkInvariants();
  const run: WindowRun = {
    personality: cfg.personality,
    correct,
    vmas: p.mm.mapCount,
    maps: p.maps(),
    ptes,
    filePtes,
    kernelBytes: k.kernelMemory(),
    kernelNs: k.kernelNs,
    vmstat: k.vmstatFields(),
    meminfo: k.meminfo(),
  };
  k.shutdown();
  return run;
}

interface ProtRun {
  personality: string;
  vmas: number;
  maps: string;
  vmFlags: string;
  ptes: string;
  kernelBytes: number;
  /** The SIGSEGVs of a read of a PROT_NONE page and a store to a read-only page. */
  faults: string[];
  /** The buffer pool's guard mode on a use after unfix (linux-2.6 only). */
  guard: string;
}

const PROT_CYCLE = [PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ] as const;

/** Part 3: per-page protections in one window (perPageProt), and guard mode built on them. */
function runProt(cfg: KernelConfig): ProtRun {
  const k = new Kernel({ ...cfg, perPageProt: true });
  const p = k.spawn();
  const ps = cfg.pageSize;
  const fd = p.open('/dev/shm/remapdb-demo-prot', O_RDWR | O_CREAT, 0o600);
  p.ftruncate(fd, FILE_PAGES * ps);
  const win = p.mmap(0, WINDOW_PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  for (let i = 0; i < WINDOW_PAGES; i++) {
    p.remap_file_pages(win + i * ps, ps, PROT_CYCLE[i % 4] as number, target(i, 0), MAP_NOINHERIT);
  }
  const faults: string[] = [];
  for (const f of [() => p.load8(win), () => p.store8(win + ps, 1)]) {
    try {
      f();
      faults.push('no fault (wrong!)');
    } catch (err) {
      faults.push(err instanceof SegvError ? err.message : String(err));
    }
  }
  const smaps = p.smaps().split('\n');
  const at = smaps.findIndex((l) => l.startsWith(win.toString(16)));
  const shown = {
    vmas: p.mm.mapCount, maps: p.maps(), vmFlags: smaps.slice(at).find((l) => l.startsWith('VmFlags')) ?? '',
    ptes: formatPtes(p.ptes(win, WINDOW_PAGES * ps)), kernelBytes: k.kernelMemory().totalBytes,
  };
  let guard = '';
  if (cfg.personality === 'linux-2.6') {
    const dbFd = p.open('/dev/shm/remapdb-demo-guard', O_RDWR | O_CREAT, 0o600);
    p.ftruncate(dbFd, 64 * ps);
    const pool = openBufferPool(k, p, dbFd, { strategy: 'nonlinear', policy: 'clock', slots: 8, guard: true }, 64);
    const tok = pool.fix(42, 'shared');
    const addr = pool.addr(tok); // a pointer the program keeps
    pool.unfix(tok, false);
    try {
      p.load8(addr);
      guard = 'no fault (wrong!)';
    } catch (err) {
      const e = pool.diagnose(err);
      guard = e instanceof Error ? `${e.constructor.name} ${(e as { code?: string }).code ?? ''}: ${e.message}` : String(e);
    }
    pool.close();
  }
  k.checkInvariants();
  const run: ProtRun = { personality: cfg.personality, ...shown, faults, guard };
  k.shutdown();
  return run;
}

function section(title: string, body: string): string {
  return `\n== ${title}\n${body.trimEnd()}\n`;
}

/** Run the window scenario and print it (text or JSON). */
export function windowDemo(args: { json: boolean }, ctx: CliContext): void {
  const base = toKernelConfig(ctx.config().config);
  const log = ctx.log();
  const runs: WindowRun[] = [];
  for (const personality of PERSONALITY_NAMES) {
    for (const pressure of [false, true]) {
      log.info({ personality, pressure }, 'demo run');
      runs.push(runWindow({ ...base, personality }, pressure));
    }
  }
  const prot = PERSONALITY_NAMES.map((personality) => runProt({ ...base, personality }));
  if (args.json) {
    ctx.out(`${JSON.stringify({ kernel: base, runs: runs.map(({ meminfo: _m, ...r }) => r), perPageProt: prot }, null, 2)}\n`);
    return;
  }
  const [r26, r26p, r40, r40p] = runs as [WindowRun, WindowRun, WindowRun, WindowRun];
  let out = `remapdb demo — ${base.arch}, ${base.ramBytes / 1048576} MiB RAM, page ${base.pageSize} B\n`;
  out += `A ${WINDOW_PAGES}-page window over a ${FILE_PAGES}-page /dev/shm file, remapped in reversed pairs.\n`;
  out += section('linux-2.6: /proc/PID/maps (one VMA, however many remaps)', r26.maps);
  out += section('linux-2.6: the window\'s PTEs', r26.ptes);
  out += section('linux-4.0 (emulated remap_file_pages): /proc/PID/maps', r40.maps);
  out += section('Under memory pressure (RAM 256 pages < file 1024 pages), linux-2.6: the window\'s PTEs', r26p.ptes);
  out += section('Under memory pressure: /proc/meminfo (linux-2.6)', r26p.meminfo);
  const row = (name: string, r: WindowRun): string =>
    `${name.padEnd(24)} ${String(r.correct).padEnd(8)} ${String(r.vmas).padStart(5)} ${String(r.kernelBytes.totalBytes).padStart(12)} ` +
    `${(r.kernelNs / 1e6).toFixed(3).padStart(14)} ${String(r.vmstat.pswpout).padStart(8)} ${String(r.filePtes).padStart(10)}`;
  out += section('Summary', [
    `${'run'.padEnd(24)} ${'correct'.padEnd(8)} ${'VMAs'.padStart(5)} ${'kernel bytes'.padStart(12)} ${'kernel ms (sim)'.padStart(14)} ${'pswpout'.padStart(8)} ${'file PTEs'.padStart(10)}`,
    row('linux-2.6', r26), row('linux-2.6 + pressure', r26p), row('linux-4.0', r40), row('linux-4.0 + pressure', r40p),
  ].join('\n'));
  const [p26, p40] = prot as [ProtRun, ProtRun];
  out += section('What Linux never merged: a protection per page in one VMA (kernel perPageProt, linux-2.6)',
    `remap_file_pages(addr, page, prot, pgoff, MAP_NOINHERIT) with PROT_NONE / PROT_READ / PROT_READ|PROT_WRITE in turn:\n` +
    `${p26.maps.trimEnd()}\n${p26.vmFlags}   ("nu": the nonuniform mark)\n\n${p26.ptes.trimEnd()}\n\n` +
    `A read of the PROT_NONE page: ${p26.faults[0]}\nA store to the read-only page: ${p26.faults[1]}`);
  out += section('The same protections on linux-4.0 (emulated: a VMA per run of equal protection)',
    `${p40.maps.trimEnd()}\n${p40.vmas} VMAs and ${p40.kernelBytes} kernel bytes, against ${p26.vmas} and ${p26.kernelBytes} on linux-2.6`);
  out += section('Guard mode (the buffer pool on it): a pointer kept after unfix',
    `pool.fix(42) → addr; pool.unfix(); load through addr → SIGSEGV → pool.diagnose():\n${p26.guard}`);
  ctx.out(out);
  const protOk = prot.every((r) => r.faults.every((f) => f.startsWith('SIGSEGV'))) && /MISUSE/.test(p26.guard);
  if (!protOk) throw new CodedError(REMAPDB_CODES.CHECK_FAILED, 'demo: a protected page did not fault as it should');
  if (!runs.every((r) => r.correct)) {
    throw new CodedError(REMAPDB_CODES.CHECK_FAILED, 'demo: a window page read back the wrong file page');
  }
}
