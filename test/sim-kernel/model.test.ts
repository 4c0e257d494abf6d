/**
 * Seeded model-based test of sim-kernel's memory mappings against reference-model.ts.
 *
 * For every arch × personality, a Prng drives random steps — mmap (anonymous private,
 * shared and private file mappings of a host file and of tmpfs files, through a
 * read-only fd too, shared anonymous, MAP_FIXED over existing ones), munmap, mprotect,
 * remap_file_pages, loads and stores (inside and outside mappings), pwrite/pread — and
 * each result (value, or errno / signal with si_code and address) is compared with the
 * model, then the kernel's invariants are checked. Every CHECK_EVERY steps the whole
 * content of every mapping and every file is compared.
 *
 * Replay: REMAPDB_SEED=<seed> [REMAPDB_MODEL_STEPS=<n>] [REMAPDB_MODEL_ONLY=x86_64/linux-2.6]
 *   npx tap test/sim-kernel/model.test.ts
 * More knobs: REMAPDB_MODEL_HISTORY=<n> operations in a failure report (10);
 *   REMAPDB_MODEL_TRACE=<file> appends every call, as code (p.mmap(...); rb(seed, n) for
 *   random bytes), to a file from which a failure can be minimised; REMAPDB_MODEL_STATS=1
 *   prints outcome counts per operation.
 *
 * Regressions it found (fixed in sim-kernel): a store through a TLB entry refilled from a
 * dirty read-only PTE (store, mprotect(PROT_READ), load, store) succeeded; the 4.0
 * remap_file_pages emulation freed an unlinked shmem file (shared anonymous memory) when
 * the remap covered its last mapping; MAP_NONBLOCK populate wrote file PTEs into linear VMAs.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import t from 'tap';

import {
  type ArchName, BusError, Kernel, KernelError, MAP_ANONYMOUS, MAP_FIXED, MAP_NONBLOCK, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED,
  O_CREAT, O_RDONLY, O_RDWR, type PersonalityName, type Process as SimProcess, Prng, SegvError, getArch,
} from '../../sim-kernel/index.js';
import {
  type Expectation, type MmapRequest, ModelFile, type Outcome, PROT_NONE, PROT_READ, PROT_WRITE, ReferenceModel, err, okv,
} from './reference-model.js';

const DEFAULT_SEED = 0x26051d0e;
const PS = 4096;
const RAM_BYTES = 64 * 1024 * 1024;
const CHECK_EVERY = 100;
const HISTORY = Math.max(1, Math.floor(envIntEarly('REMAPDB_MODEL_HISTORY') ?? 10));
/** MAP_FIXED mappings and hints go here; non-hinted mappings go where the kernel puts them. */
const ARENA_BASE = 0x40000000;
const ARENA_PAGES = 768;
/** Above this many mapped pages the generator prefers munmap. */
const MAX_MAPPED_PAGES = 1400;

function envIntEarly(name: string): number | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : Number(v);
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name} is not a number: ${v}`);
  return n;
}

const SEED = (envInt('REMAPDB_SEED') ?? DEFAULT_SEED) >>> 0;
const STEPS = Math.max(1, Math.floor(envInt('REMAPDB_MODEL_STEPS') ?? 1500));
const ONLY = process.env['REMAPDB_MODEL_ONLY'];
/** Append every call, as code, to this file (for minimising a failure). */
const TRACE = process.env['REMAPDB_MODEL_TRACE'];

const ARCHES: ArchName[] = ['x86_64', 'i386', 'i386-pae'];
const PERSONALITIES: PersonalityName[] = ['linux-2.6', 'linux-4.0'];

class Mismatch extends Error {}

/** n bytes from a Prng seeded with `seed` (the trace's rb(seed, n)). */
function rb(seed: number, n: number): Uint8Array {
  const g = new Prng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = g.nextU32();
    b[i] = v & 0xff;
    if (i + 1 < n) b[i + 1] = (v >>> 8) & 0xff;
    if (i + 2 < n) b[i + 2] = (v >>> 16) & 0xff;
    if (i + 3 < n) b[i + 3] = v >>> 24;
  }
  return b;
}

function hex(n: number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}

function protName(p: number): string {
  if (p === PROT_NONE) return 'NONE';
  return [p & PROT_READ ? 'R' : '', p & PROT_WRITE ? 'W' : '', p & ~3 ? `|${hex(p & ~3)}` : ''].join('');
}

function mapFlagsName(f: number): string {
  const parts: string[] = [];
  if (f & MAP_SHARED) parts.push('SHARED');
  if (f & MAP_PRIVATE) parts.push('PRIVATE');
  if (f & MAP_FIXED) parts.push('FIXED');
  if (f & MAP_ANONYMOUS) parts.push('ANON');
  if (f & MAP_POPULATE) parts.push('POPULATE');
  if (f & MAP_NONBLOCK) parts.push('NONBLOCK');
  const rest = f & ~(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_POPULATE | MAP_NONBLOCK);
  if (rest !== 0 || parts.length === 0) parts.push(hex(rest));
  return parts.join('|');
}

/** Run a kernel call and turn its error into an Outcome; anything else (assertions) propagates. */
function cap<T>(fn: () => T): Outcome<T> {
  try {
    return okv(fn());
  } catch (e) {
    if (e instanceof SegvError || e instanceof BusError) return err(e.code, e.siCode, e.addr);
    if (e instanceof KernelError) return err(e.code);
    throw e;
  }
}

function fmt(o: Outcome<unknown>): string {
  if (!o.ok) {
    let s = o.code;
    if (o.siCode !== undefined) s += ` si_code=${o.siCode}`;
    if (o.addr !== undefined) s += ` addr=${hex(o.addr)}`;
    return s;
  }
  const v = o.value;
  if (v === undefined) return 'ok';
  if (typeof v === 'number') return `ok ${hex(v)}`;
  if (v === null) return 'ok (kernel chooses)';
  if (v instanceof Uint8Array) return `ok ${v.length} bytes`;
  return `ok ${String(v)}`;
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** null when the kernel's outcome is what the model expects, else why not. */
function compareOutcome(model: Outcome<unknown>, kernel: Outcome<unknown>): string | null {
  if (model.ok !== kernel.ok || (!model.ok && !kernel.ok && model.code !== kernel.code)) {
    return `model: ${fmt(model)}; kernel: ${fmt(kernel)}`;
  }
  if (!model.ok && !kernel.ok) {
    if ((model.siCode !== undefined && model.siCode !== kernel.siCode) || (model.addr !== undefined && model.addr !== kernel.addr)) {
      return `model: ${fmt(model)}; kernel: ${fmt(kernel)}`;
    }
    return null;
  }
  if (model.ok && kernel.ok) {
    const a = model.value;
    const b = kernel.value;
    if (a instanceof Uint8Array && b instanceof Uint8Array) {
      const d = firstDiff(a, b);
      if (d < 0) return null;
      const show = (x: Uint8Array): string => Array.from(x.subarray(d, d + 8), (y) => y.toString(16).padStart(2, '0')).join(' ');
      return `bytes differ at +${hex(d)} (lengths model ${a.length}, kernel ${b.length}): model [${show(a)}], kernel [${show(b)}]`;
    }
    if (a !== b) return `model: ${fmt(model)}; kernel: ${fmt(kernel)}`;
  }
  return null;
}

interface FileH {
  name: string;
  model: ModelFile;
  fd: number;
  /** An O_RDONLY descriptor of the same file (host file only). */
  fdRO: number | null;
  /** The huge sparse tmpfs file: offsets are drawn near interesting page numbers. */
  big: boolean;
  /** Growth limit for pwrite (pages). */
  maxPages: number;
  /** Page numbers worth aiming at (bit boundaries of the file-PTE layouts, EOF). */
  hotPages: number[];
}

interface Run {
  vpn: number;
  n: number;
}

class ModelRun {
  readonly arch: ArchName;
  readonly personality: PersonalityName;
  readonly seed: number;
  readonly rng: Prng;
  readonly k: Kernel;
  readonly p: SimProcess;
  readonly model: ReferenceModel;
  readonly taskSize: number;
  readonly files: FileH[] = [];
  readonly tmpDir: string;
  readonly history: string[] = [];
  step = 0;
  #runsVersion = -1;
  #runs: Run[] = [];
  #tagRuns: Run[] = [];
  #sharedRuns: Run[] = [];
  #sharedTagRuns: Run[] = [];
  stats = { ops: new Map<string, number>(), outcomes: new Map<string, number>(), errors: 0, signals: 0, fullChecks: 0 };

  constructor(arch: ArchName, personality: PersonalityName, seed: number, comboIndex: number) {
    this.arch = arch;
    this.personality = personality;
    this.seed = seed;
    this.rng = new Prng((seed ^ Math.imul(comboIndex + 1, 0x9e3779b1)) >>> 0);
    const a = getArch(arch);
    this.taskSize = a.taskSize;
    this.k = new Kernel({ arch, personality, ramBytes: RAM_BYTES, pageSize: PS, maxMapCount: 65530, seed: seed & 0x7fffffff });
    this.p = this.k.spawn();
    this.model = new ReferenceModel({ pageSize: PS, personality, taskSize: a.taskSize, pteFileMaxBits: a.pteFileMaxBits });
    this.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-model-'));
    this.#setupFiles();
  }

  // ------------------------------------------------------------------ setup

  /** n random bytes from a fresh seed; `code` is how the trace writes them (rb(seed, n)). */
  #randomBytes(n: number): { bytes: Uint8Array; code: string } {
    const s = this.rng.nextU32();
    return { bytes: rb(s, n), code: `rb(${hex(s)}, ${n})` };
  }

  #setupFiles(): void {
    const rng = this.rng;
    const p = this.p;
    // A real host file whose size ends inside a page (the tail of the last page is beyond EOF).
    const hostPages = rng.int(64, 256);
    const hostSize = hostPages * PS - rng.int(1, PS - 1);
    const hostPath = path.join(this.tmpDir, 'host.bin');
    const hostBytes = this.#randomBytes(hostSize);
    fs.writeFileSync(hostPath, hostBytes.bytes);
    const host = new ModelFile('host', PS);
    host.write(hostBytes.bytes, 0);
    const hostFd = p.open(hostPath, O_RDWR, 0o600);
    const hostRO = p.open(hostPath, O_RDONLY);
    this.#trace(`// new Kernel({ arch: '${this.arch}', personality: '${this.personality}', ramBytes: ${RAM_BYTES} }), p = k.spawn()`);
    this.#trace(`fs.writeFileSync(HOST, ${hostBytes.code}); p.open(HOST, O_RDWR) /* fd ${hostFd} */; p.open(HOST, O_RDONLY) /* fd ${hostRO} */`);
    this.files.push({ name: 'host', model: host, fd: hostFd, fdRO: hostRO, big: false, maxPages: 320, hotPages: [] });

    // A tmpfs file of whole pages.
    const shmPages = rng.int(64, 256);
    const shm = new ModelFile('shm', PS);
    const shmFd = p.open('/dev/shm/model-shm', O_RDWR | O_CREAT, 0o600);
    const shmBytes = this.#randomBytes(shmPages * PS);
    p.pwrite(shmFd, shmBytes.bytes, 0);
    shm.write(shmBytes.bytes, 0);
    this.#trace(`p.open('/dev/shm/model-shm', O_RDWR | O_CREAT) /* fd ${shmFd} */; p.pwrite(${shmFd}, ${shmBytes.code}, 0)`);
    this.files.push({ name: 'shm', model: shm, fd: shmFd, fdRO: null, big: false, maxPages: 320, hotPages: [] });

    // A huge sparse tmpfs file, to aim file PTEs at large offsets: just past 2^29 pages on
    // 32-bit (i386's PTE_FILE_MAX_BITS = 29), 2^26 pages on x86_64 (2.6 shmem's limit is ~2^26).
    // Hot pages stay clear of [64, 2^22): the page-cache index is a dense array below 2^22
    // pages, and one page near 2^22 would make every checkInvariants() walk 4M slots.
    const bigPages = this.arch === 'x86_64' ? 2 ** 26 : 2 ** 29 + 64;
    const big = new ModelFile('big', PS);
    const bigFd = p.open('/dev/shm/model-big', O_RDWR | O_CREAT, 0o600);
    const hot = [0, 31, 32, 2 ** 22 + 64, 2 ** 24, 2 ** 26 - 64, 2 ** 28, 2 ** 29 - 16, 2 ** 29, bigPages - 16]
      .filter((x) => x >= 0 && x < bigPages);
    const last = new Uint8Array([0x5a]);
    p.pwrite(bigFd, last, bigPages * PS - 1);
    big.write(last, bigPages * PS - 1);
    this.#trace(`p.open('/dev/shm/model-big', O_RDWR | O_CREAT) /* fd ${bigFd} */; p.pwrite(${bigFd}, new Uint8Array([0x5a]), ${hex(bigPages * PS - 1)})`);
    for (const h of hot) {
      const b = this.#randomBytes(PS);
      p.pwrite(bigFd, b.bytes, h * PS);
      big.write(b.bytes, h * PS);
      this.#trace(`p.pwrite(${bigFd}, ${b.code}, ${hex(h * PS)})`);
    }
    this.files.push({ name: 'big', model: big, fd: bigFd, fdRO: null, big: true, maxPages: bigPages, hotPages: hot });
  }

  /** Shut the machine down; after a failure its state may be broken, so errors are then ignored. */
  cleanup(quiet: boolean): void {
    try {
      this.k.shutdown();
    } catch (e) {
      if (!quiet) throw e;
    } finally {
      fs.rmSync(this.tmpDir, { recursive: true, force: true });
    }
  }

  // ------------------------------------------------------------------ helpers

  get label(): string {
    return `${this.arch}/${this.personality}`;
  }

  trace(line: string): void {
    this.#trace(line);
  }

  #trace(line: string): void {
    if (TRACE !== undefined && TRACE !== '') fs.appendFileSync(TRACE, `${line}\n`);
  }

  /** Record an operation (as the call it makes) in the history and the trace. */
  #note(desc: string): void {
    this.history.push(`#${this.step} ${desc}`);
    if (this.history.length > HISTORY) this.history.shift();
    this.#trace(`/* #${this.step} */ ${desc}`);
  }

  /** Append the outcome to the last recorded operation. */
  #noteResult(what: string): void {
    if (this.history.length > 0) this.history[this.history.length - 1] += ` // -> ${what}`;
    this.#trace(`// -> ${what}`);
  }

  #count(name: string): void {
    this.stats.ops.set(name, (this.stats.ops.get(name) ?? 0) + 1);
    this.#currentOp = name;
  }

  #currentOp = '';

  #expect(what: string, model: Outcome<unknown>, kernel: Outcome<unknown>, addrForContext?: number): void {
    if (!kernel.ok) {
      if (kernel.code === 'SIGSEGV' || kernel.code === 'SIGBUS') this.stats.signals++;
      else this.stats.errors++;
    }
    if (this.#currentOp !== '') {
      const key = `${this.#currentOp} -> ${kernel.ok ? 'ok' : kernel.code + (kernel.siCode !== undefined ? `/${kernel.siCode}` : '')}`;
      this.stats.outcomes.set(key, (this.stats.outcomes.get(key) ?? 0) + 1);
    }
    const why = compareOutcome(model, kernel);
    if (why !== null) this.#mismatch(`${what}: ${why}`, addrForContext);
  }

  #mismatch(msg: string, addr?: number): never {
    let ctx = '';
    if (addr !== undefined && addr >= 0) {
      const vpn = Math.floor(addr / PS);
      ctx = `\n  model page ${hex(vpn * PS)}: ${this.model.describe(vpn)}`;
    }
    throw new Mismatch(msg + ctx);
  }

  #pick<T>(xs: readonly T[]): T {
    return xs[this.rng.int(0, xs.length - 1)] as T;
  }

  #chance(p: number): boolean {
    return this.rng.next() < p;
  }

  /** Contiguous mapped runs; same-tag runs; shared-file runs (same file, prot); and same-tag shared runs. */
  #layout(): void {
    if (this.#runsVersion === this.model.layoutVersion) return;
    this.#runsVersion = this.model.layoutVersion;
    const vpns = this.model.sortedVpns();
    const runs: Run[] = [];
    const tagRuns: Run[] = [];
    const sharedRuns: Run[] = [];
    const sharedTagRuns: Run[] = [];
    let cur: Run | null = null;
    let curTag: Run | null = null;
    let curShared: Run | null = null;
    let curSharedTag: Run | null = null;
    let prev = -2;
    let prevPg: ReturnType<ReferenceModel['pages']['get']>;
    for (const vpn of vpns) {
      const pg = this.model.pages.get(vpn);
      if (pg === undefined) continue;
      const adj = vpn === prev + 1 && prevPg !== undefined;
      if (!adj || cur === null) {
        cur = { vpn, n: 0 };
        runs.push(cur);
      }
      cur.n++;
      if (!adj || curTag === null || prevPg?.tag !== pg.tag) {
        curTag = { vpn, n: 0 };
        tagRuns.push(curTag);
      }
      curTag.n++;
      const sh = pg.kind === 'file-shared' && !pg.readOnlyFile;
      if (sh) {
        const cont = adj && curShared !== null && prevPg !== undefined && prevPg.kind === 'file-shared' && !prevPg.readOnlyFile &&
          prevPg.file === pg.file && prevPg.prot === pg.prot;
        if (!cont || curShared === null) {
          curShared = { vpn, n: 0 };
          sharedRuns.push(curShared);
        }
        curShared.n++;
        if (!cont || curSharedTag === null || prevPg?.tag !== pg.tag) {
          curSharedTag = { vpn, n: 0 };
          sharedTagRuns.push(curSharedTag);
        }
        curSharedTag.n++;
      } else {
        curShared = null;
        curSharedTag = null;
      }
      prev = vpn;
      prevPg = pg;
    }
    this.#runs = runs;
    this.#tagRuns = tagRuns;
    this.#sharedRuns = sharedRuns;
    this.#sharedTagRuns = sharedTagRuns;
  }

  /** A sub-range of a run: whole, head, tail or middle. */
  #subRange(r: Run): { vpn: number; n: number } {
    const mode = this.rng.int(0, 3);
    if (r.n === 1 || mode === 0) return { vpn: r.vpn, n: r.n };
    if (mode === 1) return { vpn: r.vpn, n: this.rng.int(1, r.n - 1) };
    if (mode === 2) {
      const k = this.rng.int(1, r.n - 1);
      return { vpn: r.vpn + k, n: r.n - k };
    }
    const a = this.rng.int(0, r.n - 1);
    const b = this.rng.int(a + 1, r.n);
    return { vpn: r.vpn + a, n: b - a };
  }

  /** A length in bytes covering n pages, sometimes not a multiple of the page size. */
  #lenFor(n: number): number {
    return this.#chance(0.25) ? n * PS - this.rng.int(0, PS - 1) : n * PS;
  }

  #pickAddr(): number {
    this.#layout();
    const r = this.rng.next();
    if (this.#tagRuns.length > 0 && r < 0.85) {
      const run = this.#pick(this.#tagRuns);
      return (run.vpn + this.rng.int(0, run.n - 1)) * PS + this.rng.int(0, PS - 1);
    }
    if (this.#runs.length > 0 && r < 0.95) {
      const run = this.#pick(this.#runs);
      const vpn = this.#chance(0.5) ? run.vpn - 1 : run.vpn + run.n;
      return vpn * PS + this.rng.int(0, PS - 1);
    }
    const w = this.rng.int(0, 3);
    if (w === 0) return this.taskSize + this.rng.int(0, 16 * PS);
    if (w === 1) return this.rng.int(0, 0xffff);
    return ARENA_BASE + this.rng.int(0, ARENA_PAGES * PS - 1);
  }

  /** A page number of file f for mmap or remap offsets. */
  #pickPgoff(f: FileH, n: number): number {
    const eof = f.model.eofPages;
    if (f.big) {
      const h = this.#pick(f.hotPages);
      return Math.max(0, Math.min(f.maxPages - 1, h + this.rng.int(-n - 2, 4)));
    }
    const r = this.rng.next();
    if (r < 0.1) return eof - n + this.rng.int(1, 6); // wholly or partly past EOF
    if (r < 0.2) return Math.max(0, eof - this.rng.int(1, n)); // straddles EOF
    return this.rng.int(0, Math.max(0, eof - n));
  }

  // ------------------------------------------------------------------ operations

  opLoad(): void {
    const which = this.rng.int(0, 2);
    let addr = this.#pickAddr();
    if (which === 0) {
      this.#count('load8');
      this.#note(`p.load8(${hex(addr)})`);
      this.#expect(`load8(${hex(addr)})`, this.model.load8(addr), cap(() => this.p.load8(addr)), addr);
    } else if (which === 1) {
      this.#count('load32');
      if (this.#chance(0.15)) addr = Math.floor(addr / PS) * PS + PS - this.rng.int(1, 3); // straddles two pages
      else if (this.#chance(0.8)) addr -= addr % 4;
      this.#note(`p.load32(${hex(addr)})`);
      this.#expect(`load32(${hex(addr)})`, this.model.load32(addr), cap(() => this.p.load32(addr)), addr);
    } else {
      this.#count('read');
      const n = this.rng.int(1, 2 * PS + 16);
      this.#note(`p.read(${hex(addr)}, ${n})`);
      this.#expect(`read(${hex(addr)}, ${n})`, this.model.read(addr, n), cap(() => this.p.read(addr, n)), addr);
    }
  }

  opStore(): void {
    const which = this.rng.int(0, 2);
    let addr = this.#pickAddr();
    if (which === 1) {
      if (this.#chance(0.15)) addr = Math.floor(addr / PS) * PS + PS - this.rng.int(1, 3);
      else if (this.#chance(0.8)) addr -= addr % 4;
    }
    const span = which === 0 ? 1 : which === 1 ? 4 : 2 * PS + 16;
    if (which === 0) {
      this.#count('store8');
      const v = this.rng.int(0, 255);
      this.#note(`p.store8(${hex(addr)}, ${hex(v)})`);
      this.#expect(`store8(${hex(addr)})`, this.model.store8(addr, v), cap(() => this.p.store8(addr, v)), addr);
    } else if (which === 1) {
      this.#count('store32');
      const v = this.rng.nextU32();
      this.#note(`p.store32(${hex(addr)}, ${hex(v)})`);
      this.#expect(`store32(${hex(addr)})`, this.model.store32(addr, v), cap(() => this.p.store32(addr, v)), addr);
    } else {
      this.#count('write');
      const n = this.rng.int(1, 2 * PS + 16);
      const bytes = this.#randomBytes(n);
      this.#note(`p.write(${hex(addr)}, ${bytes.code})`);
      this.#expect(`write(${hex(addr)}, ${n})`, this.model.write(addr, bytes.bytes), cap(() => this.p.write(addr, bytes.bytes)), addr);
    }
  }

  opMmap(): void {
    const rng = this.rng;
    this.#layout();
    const kindRoll = rng.next();
    let flags: number;
    let fh: FileH | null = null;
    let fd = -1;
    let fdCanWrite = true;
    let offset = 0;
    let npages = rng.int(1, 24);
    let prot = this.#pick([PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE]);
    let kind: string;
    if (kindRoll < 0.25) {
      kind = 'anon-private';
      flags = MAP_PRIVATE | MAP_ANONYMOUS;
    } else if (kindRoll < 0.3) {
      kind = 'anon-shared';
      flags = MAP_SHARED | MAP_ANONYMOUS;
    } else {
      fh = this.files[rng.int(0, 9) < 4 ? 0 : rng.int(0, 9) < 7 ? 1 : 2] as FileH;
      const shared = rng.next() < 0.6;
      flags = shared ? MAP_SHARED : MAP_PRIVATE;
      kind = `${fh.name}-${shared ? 'shared' : 'private'}`;
      fd = fh.fd;
      if (fh.fdRO !== null && rng.next() < 0.2) {
        fd = fh.fdRO;
        fdCanWrite = false;
        kind += '-rofd';
        if (shared && rng.next() < 0.8) prot &= ~PROT_WRITE; // else EACCES
      }
      if (fh.big) npages = rng.int(1, 8);
      offset = this.#pickPgoff(fh, npages) * PS;
    }
    let length = this.#lenFor(npages);
    let addr = 0;
    const where = rng.next();
    if (where < 0.5) {
      flags |= MAP_FIXED;
      // Often right next to, or over, an existing mapping, so merges and replacements happen.
      if (this.#runs.length > 0 && rng.next() < 0.5) {
        const run = this.#pick(this.#runs);
        addr = (rng.next() < 0.5 ? run.vpn + run.n : run.vpn - npages + rng.int(0, npages)) * PS;
      } else {
        addr = ARENA_BASE + rng.int(0, ARENA_PAGES - npages) * PS;
      }
    } else if (where < 0.75) {
      addr = ARENA_BASE + rng.int(0, ARENA_PAGES * PS - 1); // a hint
    }
    // MAP_POPULATE only prefaults, except that on a writable MAP_PRIVATE file mapping it
    // breaks COW at once (2.6.23+; 2.6.11 ignored it): not generated there.
    if (rng.next() < 0.15 && !(fh !== null && (flags & MAP_PRIVATE) !== 0 && (prot & PROT_WRITE) !== 0)) {
      flags |= MAP_POPULATE;
      if (rng.next() < 0.5) {
        flags |= MAP_NONBLOCK;
      }
    }
    // A few clearly invalid calls.
    const bad = rng.next();
    let badFd = false;
    if (bad < 0.02) {
      length = 0;
    } else if (bad < 0.04 && fh !== null) {
      offset += rng.int(1, PS - 1);
    } else if (bad < 0.06 && fh !== null) {
      fd = 999;
      badFd = true;
    } else if (bad < 0.07) {
      flags &= ~(MAP_SHARED | MAP_PRIVATE);
    } else if (bad < 0.08 && (flags & MAP_FIXED) !== 0) {
      addr += rng.int(1, PS - 1);
    } else if (bad < 0.09) {
      flags |= MAP_FIXED;
      addr = Math.floor(this.taskSize / PS) * PS - PS;
      length = 2 * PS;
    }
    this.#count(`mmap ${kind}`);
    const req: MmapRequest = {
      addr, length, prot, flags, file: fh === null ? null : fh.model, fdCanWrite, badFd, offset,
    };
    const desc = `p.mmap(${hex(addr)}, ${hex(length)}, ${prot}, ${hex(flags)}, ${fd}, ${hex(offset)}) /* ${protName(prot)} ` +
      `${mapFlagsName(flags)} ${fh === null ? 'anon' : `${fh.name}${fdCanWrite ? '' : ' O_RDONLY'}`} */`;
    this.#note(desc);
    const exp = this.model.mmapExpect(req);
    const got = cap(() => this.p.mmap(addr, length, prot, flags, fd, offset));
    this.#noteResult(fmt(got));
    if (!exp.ok || !got.ok) {
      this.#expect(desc, exp, got);
      return;
    }
    if (exp.value !== null && exp.value !== got.value) {
      this.#mismatch(`${desc}: kernel returned ${hex(got.value)}, expected ${hex(exp.value)} (MAP_FIXED or a free hint)`);
    }
    const complaint = this.model.mmapCommit(req, got.value);
    if (complaint !== null) this.#mismatch(`${desc}: ${complaint}`);
  }

  /** A range for munmap/mprotect: within a mapping, over several, or partly over holes. */
  #pickRange(): { vpn: number; n: number } {
    this.#layout();
    const rng = this.rng;
    if (this.#tagRuns.length === 0) return { vpn: ARENA_BASE / PS + rng.int(0, ARENA_PAGES - 8), n: rng.int(1, 8) };
    const roll = rng.next();
    if (roll < 0.7) return this.#subRange(this.#pick(this.#tagRuns));
    if (roll < 0.85) {
      const run = this.#pick(this.#runs);
      return this.#subRange(run);
    }
    // Spanning: from inside one run to past its end (holes or neighbours).
    const run = this.#pick(this.#tagRuns);
    const s = run.vpn + rng.int(0, run.n - 1);
    return { vpn: s, n: run.vpn + run.n - s + rng.int(1, 8) };
  }

  opMunmap(): void {
    const rng = this.rng;
    const { vpn, n } = this.#pickRange();
    let addr = vpn * PS;
    let len = this.#lenFor(n);
    const bad = rng.next();
    if (bad < 0.03) addr += rng.int(1, PS - 1);
    else if (bad < 0.05) len = 0;
    this.#count('munmap');
    const desc = `p.munmap(${hex(addr)}, ${hex(len)})`;
    this.#note(desc);
    this.#expect(desc, this.model.munmap(addr, len), cap(() => this.p.munmap(addr, len)));
  }

  opMprotect(): void {
    const rng = this.rng;
    const r = this.rng.next() < 0.1 ? { vpn: Math.floor(this.#pickAddr() / PS), n: rng.int(1, 4) } : this.#pickRange();
    let addr = r.vpn * PS;
    let len = this.#lenFor(r.n);
    let prot = this.#pick([PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ, PROT_READ, PROT_NONE]);
    const bad = rng.next();
    if (bad < 0.03) addr += rng.int(1, PS - 1);
    else if (bad < 0.05) prot |= 0x100;
    else if (bad < 0.07) len = 0;
    this.#count('mprotect');
    const desc = `p.mprotect(${hex(addr)}, ${hex(len)}, ${prot}) /* ${protName(prot)} */`;
    this.#note(desc);
    this.#expect(desc, this.model.mprotect(addr, len, prot), cap(() => this.p.mprotect(addr, len, prot)), addr);
  }

  opRemap(): void {
    const rng = this.rng;
    this.#layout();
    const native = this.personality === 'linux-2.6';
    const pool = native && rng.next() < 0.8 ? this.#sharedTagRuns : this.#sharedRuns;
    let vpn: number;
    let n: number;
    let fh: FileH | undefined;
    let variant = 'valid';
    if (pool.length === 0 || rng.next() < 0.08) {
      // Over anything: usually EINVAL (private, anonymous, holes).
      const r = this.#pickRange();
      vpn = r.vpn;
      n = r.n;
      variant = 'any';
    } else {
      const run = this.#pick(pool);
      const sub = this.#subRange(run);
      vpn = sub.vpn;
      n = sub.n;
      if (rng.next() < 0.05) {
        n += rng.int(1, 4); // runs past the mapping
        variant = 'past-end';
      }
    }
    const first = this.model.pages.get(vpn);
    if (first !== undefined && first.file !== null) fh = this.files.find((f) => f.model === first.file);
    let pgoff: number;
    if (fh !== undefined) pgoff = this.#pickPgoff(fh, n);
    else if (first !== undefined && first.file !== null) {
      // Shared anonymous memory: its hidden file is as long as the mapping.
      const eof = first.file.eofPages;
      pgoff = rng.next() < 0.1 ? eof - n + rng.int(1, 3) : rng.int(0, Math.max(0, eof - n));
    } else pgoff = rng.int(0, 64);
    if (pgoff < 0) pgoff = 0;
    let start = vpn * PS;
    let size = n * PS;
    let prot = 0;
    let flags = rng.next() < 0.3 ? MAP_NONBLOCK : 0;
    const roll = rng.next();
    if (roll < 0.12) {
      // start and size are rounded down to pages, not rejected.
      start += rng.int(1, PS - 1);
      size += rng.int(0, PS - 1);
    } else if (roll < 0.15) {
      prot = PROT_READ;
      variant = 'prot';
    } else if (roll < 0.17) {
      size = rng.int(0, PS - 1);
      variant = 'tiny';
    } else if (roll < 0.19) {
      flags |= MAP_PRIVATE | MAP_FIXED; // flags other than MAP_NONBLOCK are ignored
    }
    this.#count(`remap ${variant}`);
    const desc = `p.remap_file_pages(${hex(start)}, ${hex(size)}, ${prot}, ${hex(pgoff)}, ${hex(flags)})`;
    this.#note(desc);
    const exp: Expectation = this.model.remapExpect(start, size, prot, pgoff);
    const got = cap(() => this.p.remap_file_pages(start, size, prot, pgoff, flags));
    this.#noteResult(`${fmt(got)}${exp === 'either' ? ' (model: ok or EINVAL)' : ''}`);
    if (exp === 'ok') this.#expect(desc, okv(undefined), got, start);
    else if (exp === 'either') {
      this.#count(`remap ${variant} (model: ok or EINVAL)`);
      this.#expect(desc, got.ok || got.code !== 'EINVAL' ? okv(undefined) : err('EINVAL'), got, start);
    } else this.#expect(desc, err(exp.code), got, start);
    if (got.ok) this.model.remapApply(start, size, pgoff);
  }

  opFileIo(): void {
    const rng = this.rng;
    const fh = this.#pick(this.files);
    const m = fh.model;
    let offset: number;
    let len: number;
    if (fh.big) {
      offset = Math.max(0, (this.#pick(fh.hotPages) + rng.int(-2, 2)) * PS + rng.int(0, PS - 1));
      len = rng.int(1, 2 * PS);
      if (offset + len > m.size) offset = Math.max(0, m.size - len);
    } else {
      offset = rng.int(0, m.size + 2 * PS);
      len = rng.int(1, 2 * PS + 100);
      if (offset + len > fh.maxPages * PS) offset = Math.max(0, fh.maxPages * PS - len);
    }
    if (rng.next() < 0.5) {
      let fd = fh.fd;
      let canWrite = true;
      const bad = rng.next();
      if (bad < 0.03 && fh.fdRO !== null) {
        fd = fh.fdRO;
        canWrite = false;
      } else if (bad < 0.05) offset = -PS;
      const buf = this.#randomBytes(len);
      this.#count('pwrite');
      const desc = `p.pwrite(${fd}, ${buf.code}, ${hex(offset)}) /* ${fh.name}${canWrite ? '' : ' O_RDONLY'} */`;
      this.#note(desc);
      this.#expect(desc, this.model.pwrite(m, canWrite, buf.bytes, offset), cap(() => this.p.pwrite(fd, buf.bytes, offset)));
    } else {
      const fd = fh.fdRO !== null && rng.next() < 0.3 ? fh.fdRO : fh.fd;
      if (rng.next() < 0.03) offset = -1;
      this.#count('pread');
      const desc = `p.pread(${fd}, new Uint8Array(${len}), ${hex(offset)}) /* ${fh.name} */`;
      this.#note(desc);
      const buf = new Uint8Array(len);
      const got = cap(() => {
        const nread = this.p.pread(fd, buf, offset);
        return buf.slice(0, nread);
      });
      this.#expect(desc, this.model.pread(m, len, offset), got);
    }
  }

  /** Compare every mapped page and every file with the model. */
  fullCheck(): void {
    this.stats.fullChecks++;
    this.#currentOp = '';
    this.#trace(`/* #${this.step} full check */`);
    for (const vpn of this.model.sortedVpns()) {
      const addr = vpn * PS;
      this.#trace(`p.read(${hex(addr)}, ${PS})`);
      this.#expect(`full check: page ${hex(addr)} (${this.model.describe(vpn)})`, this.model.pageContents(vpn),
        cap(() => this.p.read(addr, PS)), addr);
    }
    for (const fh of this.files) {
      const m = fh.model;
      const st = this.p.fstat(fh.fd);
      if (st.size !== m.size) this.#mismatch(`full check: ${fh.name} size: model ${m.size}, kernel ${st.size}`);
      if (!fh.big) {
        const buf = new Uint8Array(m.size + PS);
        const got = cap(() => buf.slice(0, this.p.pread(fh.fd, buf, 0)));
        this.#expect(`full check: pread(${fh.name}, all)`, okv(m.read(0, m.size + PS)), got);
        continue;
      }
      const pgoffs = new Set<number>(m.pages.keys());
      for (let i = 0; i < 8; i++) pgoffs.add(this.rng.int(0, m.eofPages - 1));
      for (const pg of pgoffs) {
        const buf = new Uint8Array(PS);
        const got = cap(() => buf.slice(0, this.p.pread(fh.fd, buf, pg * PS)));
        this.#expect(`full check: pread(${fh.name}, page ${hex(pg)})`, okv(m.read(pg * PS, PS)), got);
      }
    }
  }

  doStep(): void {
    const mapped = this.model.pages.size;
    let r = this.rng.next();
    if (mapped > MAX_MAPPED_PAGES && r < 0.5) r = 0.12; // shed mappings
    if (mapped === 0 && r > 0.2) r = 0.0; // nothing to touch: map something
    if (r < 0.1) this.opMmap();
    else if (r < 0.16) this.opMunmap();
    else if (r < 0.24) this.opMprotect();
    else if (r < 0.36) this.opRemap();
    else if (r < 0.6) this.opStore();
    else if (r < 0.88) this.opLoad();
    else this.opFileIo();
  }

  /** The failure: a one-line title (seed, step, what differed) and the details to replay it. */
  failureReport(e: unknown): { title: string; extra: Record<string, unknown> } {
    const what = e instanceof Mismatch ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const extra: Record<string, unknown> = {
      diagnostic: true,
      seed: this.seed,
      step: this.step,
      mismatch: what,
      replay: `REMAPDB_SEED=${this.seed} REMAPDB_MODEL_STEPS=${STEPS} REMAPDB_MODEL_ONLY=${this.label} npx tap test/sim-kernel/model.test.ts`,
      lastOperations: [...this.history],
    };
    if (!(e instanceof Mismatch) && e instanceof Error && e.stack !== undefined) extra['kernelStack'] = e.stack;
    const firstLine = what.split('\n')[0] ?? what;
    return {
      title: `model mismatch on ${this.label}, seed ${this.seed}, step ${this.step}: ${firstLine} (replay and last ` +
        `${this.history.length} operations below)`,
      extra,
    };
  }
}

t.comment(`model test seed ${SEED} (${hex(SEED)}), ${STEPS} steps per combination; replay with REMAPDB_SEED=${SEED}`);

let combo = 0;
for (const arch of ARCHES) {
  for (const personality of PERSONALITIES) {
    const index = combo++;
    const label = `${arch}/${personality}`;
    if (ONLY !== undefined && ONLY !== '' && ONLY !== label) continue;
    t.test(label, async (tt) => {
      const run = new ModelRun(arch, personality, SEED, index);
      let failure: { title: string; extra: Record<string, unknown> } | null = null;
      tt.teardown(() => run.cleanup(failure !== null));
      const t0 = performance.now();
      for (run.step = 1; run.step <= STEPS; run.step++) {
        try {
          run.doStep();
          run.k.checkInvariants();
          if (run.step % CHECK_EVERY === 0 || run.step === STEPS) {
            run.history.push(`#${run.step} // full check: every mapped page read, every file pread`);
            if (run.history.length > HISTORY) run.history.shift();
            run.fullCheck();
            run.k.checkInvariants();
          }
        } catch (e) {
          failure = run.failureReport(e);
          break;
        }
      }
      const ms = performance.now() - t0;
      const ops = [...run.stats.ops].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
      tt.comment(`${label}: ${run.step - 1} steps in ${ms.toFixed(0)} ms; ${run.stats.errors} errno results, ` +
        `${run.stats.signals} signals, ${run.stats.fullChecks} full checks; ${run.model.pages.size} pages mapped at the end`);
      tt.comment(`ops: ${ops}`);
      if (process.env['REMAPDB_MODEL_STATS'] === '1') {
        tt.comment(`outcomes: ${[...run.stats.outcomes].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
      }
      if (failure !== null) {
        tt.comment(`replay: ${String(failure.extra['replay'])}`);
        for (const h of run.history) tt.comment(`  ${h}`);
        tt.fail(failure.title, failure.extra);
      } else tt.pass(`${STEPS} steps agree with the reference model`);
    });
  }
}
