/**
 * sim-kernel configuration: the shape of one simulated machine and its defaults.
 *
 * `new Kernel(config)` accepts a partial config; every field has a default here.
 * The CLI and the embedding API load the same fields from config/*.json and validate
 * them with a schema (src/config); this module only asserts what the kernel itself
 * cannot run without, so a kernel built directly from code is checked too.
 *
 * Cost model: simulated nanoseconds charged per kernel event. Each default cites its
 * source (../shared/refs/costs-measured.md, measured on a 2-vCPU VM running Linux 6.18,
 * 4 KiB pages). Figures for the 2.6 personality are derived from those measurements
 * as the refs say: native remap is page-table work only, so no VMA cost is charged.
 */

import { CodedError } from './errors.js';
import { DEFAULT_FAULTS, type FaultConfig } from './inject/io-faults.js';

/** The architectures sim-kernel models (arch.ts): page-table shape, PTE size, user space. */
export const ARCH_NAMES = ['x86_64', 'i386', 'i386-pae'] as const;
export type ArchName = (typeof ARCH_NAMES)[number];
/** linux-2.6: native nonlinear VMAs and file PTEs; linux-4.0: remap_file_pages emulated by a VMA per call. */
export const PERSONALITY_NAMES = ['linux-2.6', 'linux-4.0'] as const;
export type PersonalityName = (typeof PERSONALITY_NAMES)[number];

/** Kernel events that cost simulated time. Index into the cost and counter arrays. */
export const COST_EVENTS = [
  'syscallEntry',
  'vmaAlloc',
  'vmaFree',
  'treeStep',
  'pageTableAlloc',
  'pteUpdate',
  'tlbFlushLocal',
  'tlbShootdown',
  'pageWalk',
  'minorFault',
  'majorFault',
  'zeroFill',
  'pageCopy',
  'ioRead',
  'ioWrite',
  'ioSubmit',
  'fsync',
  'rmapScanPte',
  'reclaimPage',
  'swapOut',
  'swapIn',
  'signalDeliver',
] as const;
export type CostEvent = (typeof COST_EVENTS)[number];

export type CostModel = Record<CostEvent, number>;

/** Default simulated cost of each event, in ns, with its source. */
export const DEFAULT_COSTS_NS: CostModel = {
  // Syscall entry+exit on a current x86_64 kernel with mitigations; the remainder of
  // "mmap + munmap, page not touched = 1.2 µs" after VMA and tree work (costs-measured.md).
  syscallEntry: 100,
  // kmem_cache_alloc of a vm_area_struct plus its initialisation; the share of the
  // 1.2 µs mmap+munmap pair left after two syscall entries and the unmap (costs-measured.md).
  vmaAlloc: 300,
  vmaFree: 150,
  // One rbtree/VMA-tree node visited (a cache line); estimated, ~20 ns per dependent miss.
  treeStep: 20,
  // Allocate and zero one page-table page (a zeroed 4 KiB page ~ zero-fill cost minus fault entry).
  pageTableAlloc: 500,
  // Set or clear one PTE: "madvise(DONTNEED) over a whole mapping 80 ns/page" includes
  // the zap, rmap and free; the store itself is charged a quarter of it (costs-measured.md).
  pteUpdate: 20,
  // invlpg of one page on the local CPU.
  tlbFlushLocal: 100,
  // One remote shootdown IPI: "madvise(DONTNEED) one page 1.2 µs alone, 2.4 µs with a
  // second thread" — the 1.2 µs difference (costs-measured.md).
  tlbShootdown: 1200,
  // "touch an already-mapped page 36 ns" — a TLB miss and hardware page walk (costs-measured.md).
  pageWalk: 36,
  // "file-backed minor fault in an existing mapping 0.27 µs" (costs-measured.md).
  minorFault: 270,
  // A major fault's kernel-side work; the device time is ioRead (costs-measured.md: minor fault
  // path plus a page allocation, ~1 µs).
  majorFault: 1000,
  // "anonymous zero-fill first-touch fault 1.9 µs" (costs-measured.md), fault entry included.
  zeroFill: 1900,
  // Copy one page in the kernel (copy_to_user / COW): pread of 4 KiB from the page cache
  // is 2.4 µs with a syscall and an anonymous fault; the copy itself ~250 ns.
  pageCopy: 250,
  // Device time for one page read: NVMe 4 KiB random read ≈ 10–20 µs (costs-measured.md).
  ioRead: 15000,
  // Device time for one page written back (NVMe write into its cache).
  ioWrite: 15000,
  // Starting write-back of one page without waiting for the device (sync_file_range
  // SYNC_FILE_RANGE_WRITE): writepage, a bio built and queued. Estimated, ~1 µs: the
  // page-cache work of a pread of one page (2.4 µs with a syscall and a fault,
  // costs-measured.md) without the copy; the device time runs in the background.
  ioSubmit: 1000,
  // One fsync/fdatasync flush of the device cache (NVMe FLUSH, ~100 µs).
  fsync: 100000,
  // Visiting one PTE in an rmap walk or a nonlinear cluster scan (a pteUpdate-sized access).
  rmapScanPte: 20,
  // Reclaim bookkeeping per page taken off the LRU (isolate, unmap, free).
  reclaimPage: 300,
  // Writing one page to swap and reading one back: device time as ioWrite/ioRead.
  swapOut: 15000,
  swapIn: 15000,
  // Delivering SIGSEGV / SIGBUS to a user handler and its sigreturn (a memory debugger or a
  // write-fault tracker handles it and carries on). Estimated, ~1.5 µs: two kernel entries
  // (fault, sigreturn) with signal-frame set-up and restore on x86_64 with mitigations; not
  // among costs-measured.md's figures.
  signalDeliver: 1500,
};

export interface KernelConfig {
  /** CPU architecture whose page tables and PTE encoding are modelled. */
  arch: ArchName;
  /** How remap_file_pages behaves: native nonlinear VMAs (2.6) or the 4.0 emulation. */
  personality: PersonalityName;
  /** Simulated physical memory, bytes (a multiple of pageSize). */
  ramBytes: number;
  /** Page size in bytes, a power of two in [4096, 65536]. */
  pageSize: number;
  /** vm.max_map_count: mmap refuses once map_count > this (65530 on Linux today). */
  maxMapCount: number;
  /** Seed of the kernel's PRNG (everything random in the kernel derives from it). */
  seed: number;
  /** Entries in each simulated CPU's TLB (direct-mapped; a power of two). */
  tlbEntries: number;
  /** Simulated CPUs; a process's threads on other CPUs receive TLB shootdowns. */
  cpus: number;
  /** Zone watermarks in free pages: below low kswapd wakes, at min allocations reclaim directly, kswapd stops at high. 0 = derived from RAM as Linux derives min_free_kbytes. */
  watermarkMinPages: number;
  watermarkLowPages: number;
  watermarkHighPages: number;
  /** Swap device size in bytes (0 = no swap). */
  swapBytes: number;
  /** Host file backing swap; '' = a private temporary file, unlinked at once. */
  swapPath: string;
  /** Dirty page-cache pages older than this are written back by pdflush (dirty_expire_centisecs, 30 s). */
  dirtyExpireNs: number;
  /** How often pdflush wakes (dirty_writeback_centisecs, 5 s). */
  dirtyWritebackIntervalNs: number;
  /** Readahead window on linear file faults and reads, pages (128 KiB at 4 KiB pages); 0 = off. */
  readaheadPages: number;
  /** RLIMIT_MEMLOCK in bytes; -1 = unlimited (RLIM_INFINITY). */
  memlockLimitBytes: number;
  /** The process has CAP_IPC_LOCK (mlock beyond RLIMIT_MEMLOCK). */
  capIpcLock: boolean;
  /**
   * Model the disk's volatile write cache (fs/disk-cache.ts): host writes since a file's
   * last fsync may be lost, kept or torn by Kernel.powerCut(). Off by default: every host
   * write is then durable when made (and a power cut loses only the page cache).
   * Costs real reads (each host write first saves what it overwrites): for tests.
   */
  volatileDiskCache: boolean;
  /**
   * Per-page protection inside one nonlinear VMA, as the never-merged 2005 series
   * "remap_file_pages protection support" (Ingo Molnar, Paolo Giarrusso) gives it
   * (syscalls/fremap-prot.ts says what changes). Off by default: then a non-zero prot to
   * remap_file_pages is EINVAL and every page takes its VMA's protection, as in every
   * merged kernel. On: file PTEs also hold a protection, which costs offset bits on i386
   * (arch.ts: PTE_FILE_MAX_BITS 29 → 27).
   */
  perPageProt: boolean;
  /** Injected I/O faults (all off by default). */
  faults: FaultConfig;
  /** Simulated ns charged per kernel event. */
  costs: CostModel;
}

export const DEFAULT_KERNEL_CONFIG: KernelConfig = {
  arch: 'x86_64',
  personality: 'linux-2.6',
  ramBytes: 256 * 1024 * 1024,
  pageSize: 4096,
  maxMapCount: 65530,
  seed: 1,
  tlbEntries: 1024,
  cpus: 1,
  watermarkMinPages: 0,
  watermarkLowPages: 0,
  watermarkHighPages: 0,
  swapBytes: 64 * 1024 * 1024,
  swapPath: '',
  dirtyExpireNs: 30e9,
  dirtyWritebackIntervalNs: 5e9,
  readaheadPages: 32,
  memlockLimitBytes: -1,
  capIpcLock: false,
  volatileDiskCache: false,
  perPageProt: false,
  faults: { ...DEFAULT_FAULTS },
  costs: { ...DEFAULT_COSTS_NS },
};

export type KernelConfigInput = Partial<Omit<KernelConfig, 'costs' | 'faults'>> & {
  costs?: Partial<CostModel>;
  faults?: Partial<FaultConfig>;
};

/**
 * Watermarks as mm/page_alloc.c sets them: min_free_kbytes = sqrt(lowmem_kbytes * 16)
 * clamped to [128, 65536] kB; low = min + min/4; high = min + min/2.
 */
export function deriveWatermarks(ramBytes: number, pageSize: number): { min: number; low: number; high: number } {
  const ramKb = ramBytes / 1024;
  const minKb = Math.min(65536, Math.max(128, Math.floor(Math.sqrt(ramKb * 16))));
  const frames = ramBytes / pageSize;
  const min = Math.max(1, Math.min(Math.floor(frames / 8), Math.floor((minKb * 1024) / pageSize)));
  return { min, low: min + Math.floor(min / 4), high: min + Math.floor(min / 2) };
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Error for a config value the kernel cannot run with; names key, value and range. */
export class KernelConfigError extends CodedError {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super('REMAPDB_CONFIG_INVALID', `kernel config: ${key} = ${JSON.stringify(value)} is invalid; allowed: ${allowed}`, {
      details: { key, value, allowed },
    });
  }
}

/** Merge an input over the defaults and check every field; throws KernelConfigError. */
export function resolveKernelConfig(input: KernelConfigInput = {}): KernelConfig {
  const costs: CostModel = { ...DEFAULT_COSTS_NS, ...(input.costs ?? {}) };
  const faults: FaultConfig = { ...DEFAULT_FAULTS, ...(input.faults ?? {}) };
  const cfg: KernelConfig = { ...DEFAULT_KERNEL_CONFIG, ...input, costs, faults };
  const check = (ok: boolean, key: string, value: unknown, allowed: string): void => {
    if (!ok) throw new KernelConfigError(key, value, allowed);
  };
  check(ARCH_NAMES.includes(cfg.arch), 'arch', cfg.arch, ARCH_NAMES.join(' | '));
  check(PERSONALITY_NAMES.includes(cfg.personality), 'personality', cfg.personality, PERSONALITY_NAMES.join(' | '));
  check(isPowerOfTwo(cfg.pageSize) && cfg.pageSize >= 4096 && cfg.pageSize <= 65536, 'pageSize', cfg.pageSize,
    'a power of two from 4096 to 65536');
  // 16 pages: the top-level table, one table per lower level and a few data pages.
  check(Number.isInteger(cfg.ramBytes) && cfg.ramBytes >= 16 * cfg.pageSize, 'ramBytes', cfg.ramBytes,
    `an integer >= 16 pages (${16 * cfg.pageSize} bytes at pageSize ${cfg.pageSize})`);
  check(cfg.ramBytes % cfg.pageSize === 0, 'ramBytes', cfg.ramBytes, `a multiple of pageSize (${cfg.pageSize})`);
  check(cfg.ramBytes <= 2 ** 32 - cfg.pageSize, 'ramBytes', cfg.ramBytes, `at most ${2 ** 32 - cfg.pageSize} (one ArrayBuffer)`);
  check(Number.isInteger(cfg.maxMapCount) && cfg.maxMapCount >= 1 && cfg.maxMapCount <= 2 ** 31 - 1, 'maxMapCount',
    cfg.maxMapCount, 'an integer from 1 to 2147483647');
  check(Number.isInteger(cfg.seed) && cfg.seed >= 0 && cfg.seed <= 0xffffffff, 'seed', cfg.seed, 'an integer from 0 to 4294967295');
  check(isPowerOfTwo(cfg.tlbEntries) && cfg.tlbEntries <= 1 << 20, 'tlbEntries', cfg.tlbEntries, 'a power of two from 1 to 1048576');
  check(Number.isInteger(cfg.cpus) && cfg.cpus >= 1 && cfg.cpus <= 64, 'cpus', cfg.cpus, 'an integer from 1 to 64');
  const frames = cfg.ramBytes / cfg.pageSize;
  for (const key of ['watermarkMinPages', 'watermarkLowPages', 'watermarkHighPages'] as const) {
    check(Number.isInteger(cfg[key]) && cfg[key] >= 0 && cfg[key] < frames / 2, key, cfg[key],
      `an integer from 0 (derive from RAM) to ${frames / 2 - 1} (less than half of RAM)`);
  }
  if (cfg.watermarkMinPages === 0) {
    const w = deriveWatermarks(cfg.ramBytes, cfg.pageSize);
    cfg.watermarkMinPages = w.min;
    if (cfg.watermarkLowPages === 0) cfg.watermarkLowPages = w.low;
    if (cfg.watermarkHighPages === 0) cfg.watermarkHighPages = w.high;
  }
  if (cfg.watermarkLowPages === 0) cfg.watermarkLowPages = cfg.watermarkMinPages + Math.floor(cfg.watermarkMinPages / 4);
  if (cfg.watermarkHighPages === 0) cfg.watermarkHighPages = cfg.watermarkMinPages + Math.floor(cfg.watermarkMinPages / 2);
  check(cfg.watermarkMinPages <= cfg.watermarkLowPages && cfg.watermarkLowPages <= cfg.watermarkHighPages,
    'watermarkLowPages', cfg.watermarkLowPages,
    `min <= low <= high (min ${cfg.watermarkMinPages}, low ${cfg.watermarkLowPages}, high ${cfg.watermarkHighPages})`);
  check(Number.isInteger(cfg.swapBytes) && cfg.swapBytes >= 0 && (cfg.swapBytes === 0 || cfg.swapBytes >= 2 * cfg.pageSize) &&
    cfg.swapBytes / cfg.pageSize <= 65535 * 1024, 'swapBytes', cfg.swapBytes,
    `0 (no swap) or an integer >= 2 pages (${2 * cfg.pageSize} bytes)`);
  check(typeof cfg.swapPath === 'string', 'swapPath', cfg.swapPath, "a path, or '' for a private temporary file");
  check(Number.isFinite(cfg.dirtyExpireNs) && cfg.dirtyExpireNs >= 0, 'dirtyExpireNs', cfg.dirtyExpireNs, 'a number of ns >= 0');
  check(Number.isFinite(cfg.dirtyWritebackIntervalNs) && cfg.dirtyWritebackIntervalNs > 0, 'dirtyWritebackIntervalNs',
    cfg.dirtyWritebackIntervalNs, 'a number of ns > 0');
  check(Number.isInteger(cfg.readaheadPages) && cfg.readaheadPages >= 0 && cfg.readaheadPages <= 1024, 'readaheadPages',
    cfg.readaheadPages, 'an integer from 0 (off) to 1024');
  check(Number.isInteger(cfg.memlockLimitBytes) && cfg.memlockLimitBytes >= -1, 'memlockLimitBytes', cfg.memlockLimitBytes,
    '-1 (unlimited) or an integer number of bytes >= 0');
  check(typeof cfg.capIpcLock === 'boolean', 'capIpcLock', cfg.capIpcLock, 'true or false');
  check(typeof cfg.perPageProt === 'boolean', 'perPageProt', cfg.perPageProt, 'true or false');
  for (const [key, v] of Object.entries(cfg.faults)) {
    if (key === 'enospcAfterBytes') {
      check(Number.isInteger(v) && v >= -1, 'faults.enospcAfterBytes', v, '-1 (off) or an integer number of bytes >= 0');
    } else {
      check(key in DEFAULT_FAULTS, `faults.${key}`, key, Object.keys(DEFAULT_FAULTS).join(' | '));
      check(typeof v === 'number' && v >= 0 && v <= 1, `faults.${key}`, v, 'a probability from 0 to 1');
    }
  }
  for (const ev of COST_EVENTS) {
    const v = cfg.costs[ev];
    check(typeof v === 'number' && Number.isFinite(v) && v >= 0, `costs.${ev}`, v, 'a finite number of ns >= 0');
  }
  for (const key of Object.keys(cfg.costs)) {
    check((COST_EVENTS as readonly string[]).includes(key), `costs.${key}`, key, COST_EVENTS.join(' | '));
  }
  return cfg;
}
