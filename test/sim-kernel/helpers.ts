/**
 * Helpers shared by the sim-kernel tests (not a test file: tap runs only `*.test.ts`):
 * booting a Kernel torn down with the test, errno and signal expectations, VMA
 * introspection through /proc-style views, the file-page byte pattern, byte comparison,
 * host / tmpfs test files, and a tiny seeded PRNG independent of sim-kernel's Prng.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Test } from 'tap';

import {
  type ArchName, BusError, ERRNO, type ErrnoName, Kernel, KernelError, type KernelConfigInput, MAP_ANONYMOUS, MAP_PRIVATE,
  O_CREAT, O_RDWR, type PersonalityName, PROT_READ, PROT_WRITE, type Process, SEGV_ACCERR, SEGV_MAPERR, SegvError,
} from '../../sim-kernel/index.js';

// ---------------------------------------------------------------- constants

/** The page size of every test machine. */
export const PS = 4096;
/** PROT_READ | PROT_WRITE. */
export const RW = PROT_READ | PROT_WRITE;
/** MAP_PRIVATE | MAP_ANONYMOUS. */
export const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
/** Every simulated architecture. */
export const ARCHES: readonly ArchName[] = ['x86_64', 'i386', 'i386-pae'];
/** Both kernel personalities: 2.6 (nonlinear VMAs) and the 4.0 emulation (a VMA per remap). */
export const PERSONALITIES: readonly PersonalityName[] = ['linux-2.6', 'linux-4.0'];

// ---------------------------------------------------------------- machines

/** The default test machine: 16 MiB of RAM, sim-kernel's defaults otherwise. */
export const DEFAULT_MACHINE: KernelConfigInput = { ramBytes: 16 * 1024 * 1024 };

/** Boots a Kernel (`cfg` over the machine's defaults) that is shut down, without sync, when `t` ends. */
export type Boot = (t: Test, cfg?: KernelConfigInput) => Kernel;

/** A {@link Boot} for machines of `defaults` (e.g. a tiny machine for the pressure tests). */
export function bootWith(defaults: KernelConfigInput): Boot {
  return (t, cfg = {}) => {
    const k = new Kernel({ ...defaults, ...cfg });
    t.teardown(() => k.shutdown());
    return k;
  };
}

/** Boots a {@link DEFAULT_MACHINE} (with `cfg` over it), shut down without sync when `t` ends. */
export const boot: Boot = bootWith(DEFAULT_MACHINE);

// ---------------------------------------------------------------- errors and signals

/** What fn threw, or null when it returned. */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return null;
}

/** Extra options of an assertion: `todo` marks a known divergence from Linux. */
export interface AssertExtra {
  todo?: string;
}

/** Asserts that fn fails as a system call with errno `code` (name and number). */
export function expectErrno(t: Test, fn: () => unknown, code: ErrnoName, msg: string, extra: AssertExtra = {}): void {
  const err = caught(fn);
  if (err instanceof KernelError) {
    t.same({ code: err.code, errno: err.errno }, { code, errno: ERRNO[code] }, `${msg}: ${code}`, extra);
  } else {
    t.fail(`${msg}: expected ${code}, got ${err === null ? 'success' : String(err)}`, extra);
  }
}

/** Asserts that fn succeeds (reporting the error if it does not); returns whether it did. */
export function expectOk(t: Test, fn: () => unknown, msg: string, extra: AssertExtra = {}): boolean {
  const err = caught(fn);
  t.equal(err === null ? 'ok' : String(err), 'ok', msg, extra);
  return err === null;
}

/** Asserts that fn raises SIGSEGV with si_code `siCode` (SEGV_MAPERR or SEGV_ACCERR). */
export function expectSegv(t: Test, fn: () => unknown, siCode: typeof SEGV_MAPERR | typeof SEGV_ACCERR, msg: string): void {
  const err = caught(fn);
  const name = siCode === SEGV_MAPERR ? 'SEGV_MAPERR' : 'SEGV_ACCERR';
  t.ok(err instanceof SegvError && err.code === 'SIGSEGV' && err.siCode === siCode, `${msg}: SIGSEGV ${name}`, { found: String(err) });
}

/** Asserts that fn raises SIGBUS. */
export function expectSigbus(t: Test, fn: () => unknown, msg: string): void {
  const err = caught(fn);
  t.ok(err instanceof BusError && err.code === 'SIGBUS', `${msg}: SIGBUS`, { found: String(err) });
}

// ---------------------------------------------------------------- VMAs

/** The number of VMAs of p (lines of /proc/PID/maps). */
export function vmaCount(p: Process): number {
  return p.maps().split('\n').filter((l) => l !== '').length;
}

/** An smaps entry: its `kB` fields by name, and its VmFlags. */
export interface SmapsEntry {
  fields: Record<string, number>;
  flags: string[];
}

/** The smaps entry of the VMA containing addr, or null when no VMA does. */
export function smapsAt(p: Process, addr: number): SmapsEntry | null {
  let inside = false;
  let out: SmapsEntry | null = null;
  for (const line of p.smaps().split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m !== null) {
      inside = parseInt(m[1] as string, 16) <= addr && addr < parseInt(m[2] as string, 16);
      if (inside) out = { fields: {}, flags: [] };
      continue;
    }
    if (!inside || out === null) continue;
    if (line.startsWith('VmFlags:')) out.flags = line.slice('VmFlags:'.length).trim().split(/\s+/);
    else {
      const f = /^(\w+):\s+(\d+) kB$/.exec(line);
      if (f !== null) out.fields[f[1] as string] = Number(f[2]);
    }
  }
  return out;
}

/** The VmFlags of the smaps entry of the VMA containing addr ([] when none). */
export function vmFlagsAt(p: Process, addr: number): string[] {
  return smapsAt(p, addr)?.flags ?? [];
}

// ---------------------------------------------------------------- bytes

/** Byte `b` of file page `i`: the first four bytes hold i (LE), the rest mix i and b. */
export function patternByte(i: number, b: number): number {
  if (b < 4) return (i >>> (8 * b)) & 0xff;
  return (i * 131 + b * 7 + (i >>> 8) * 29) & 0xff;
}

/** File page `i` of the pattern. */
export function patternPage(i: number): Uint8Array {
  const out = new Uint8Array(PS);
  for (let b = 0; b < PS; b++) out[b] = patternByte(i, b);
  return out;
}

/** The first `pages` pages of the pattern. */
export function patternFile(pages: number): Uint8Array {
  const out = new Uint8Array(pages * PS);
  for (let i = 0; i < pages; i++) out.set(patternPage(i), i * PS);
  return out;
}

/** `pages` pages, page i filled with the byte `byteOf(i)`. */
export function pagesFilled(pages: number, byteOf: (i: number) => number): Uint8Array {
  const data = new Uint8Array(pages * PS);
  for (let i = 0; i < pages; i++) data.fill(byteOf(i), i * PS, (i + 1) * PS);
  return data;
}

/** Index of the first differing byte (the shorter length when one is a prefix of the other), or -1 when equal. */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Asserts equal bytes, reporting only the first difference (not 64 KiB of diff). */
export function sameBytes(t: Test, found: Uint8Array, wanted: Uint8Array, msg: string): void {
  const diff = firstDiff(found, wanted);
  t.equal(diff, -1, msg, diff < 0 ? {} : {
    found: `byte ${diff} = ${found[diff]} (page ${Math.floor(diff / PS)})`,
    wanted: `byte ${diff} = ${wanted[diff]}`,
  });
}

// ---------------------------------------------------------------- files

/** A fresh host directory, removed when `t` ends. */
export function tmpDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-sim-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `data` with node:fs to a host file `name` in a fresh tmpDir; returns its path. */
export function writeHostFile(t: Test, name: string, data: Uint8Array): string {
  const file = path.join(tmpDir(t), name);
  fs.writeFileSync(file, data);
  return file;
}

/**
 * Where a test file lives: on the host (written with node:fs, so its pages start uncached
 * and are read from disk) or on tmpfs under /dev/shm (its pages live only in simulated RAM).
 */
export type FileKind = 'host' | 'tmpfs';

export interface CreateFileOptions {
  /** The tmpfs file's path (default `/dev/shm/<name>`). */
  shmPath?: string;
  /** Fill a tmpfs file with one pwrite per page instead of one pwrite of all of `data`. */
  pwritePerPage?: boolean;
}

/**
 * A file holding `data`, opened O_RDWR by p: a host file (see {@link writeHostFile}), or a
 * tmpfs file created and filled with pwrite (none for empty data). `written` is the byte
 * count pwrite reported (data.length for a host file).
 */
export function createFile(
  t: Test, p: Process, kind: FileKind, name: string, data: Uint8Array, opts: CreateFileOptions = {},
): { fd: number; file: string; written: number } {
  if (kind === 'host') {
    const file = writeHostFile(t, name, data);
    return { fd: p.open(file, O_RDWR, 0o600), file, written: data.length };
  }
  const file = opts.shmPath ?? `/dev/shm/${name}`;
  const fd = p.open(file, O_RDWR | O_CREAT, 0o600);
  let written = 0;
  if (opts.pwritePerPage === true) {
    for (let off = 0; off < data.length; off += PS) written += p.pwrite(fd, data.subarray(off, off + PS), off);
  } else if (data.length > 0) {
    written = p.pwrite(fd, data, 0);
  }
  return { fd, file, written };
}

// ---------------------------------------------------------------- randomness

export { mulberry32 } from '../../sim-kernel/prng.js';

/** Distinct scattered file offsets for the window, never a page's own linear offset. */
export function scatteredOffsets(prng: { int(lo: number, hi: number): number }, n: number, filePages: number): number[] {
  const used = new Set<number>();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let o: number;
    do o = prng.int(0, filePages - 1); while (used.has(o) || o === i);
    used.add(o);
    out.push(o);
  }
  return out;
}
