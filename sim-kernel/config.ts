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

export type ArchName = 'x86_64' | 'i386' | 'i386-pae';
export type PersonalityName = 'linux-2.6' | 'linux-4.0';

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
  'fsync',
  'rmapScanPte',
  'reclaimPage',
  'swapOut',
  'swapIn',
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
  // One fsync/fdatasync flush of the device cache (NVMe FLUSH, ~100 µs).
  fsync: 100000,
  // Visiting one PTE in an rmap walk or a nonlinear cluster scan (a pteUpdate-sized access).
  rmapScanPte: 20,
  // Reclaim bookkeeping per page taken off the LRU (isolate, unmap, free).
  reclaimPage: 300,
  // Writing one page to swap and reading one back: device time as ioWrite/ioRead.
  swapOut: 15000,
  swapIn: 15000,
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
  /** Free frames kept back from user allocations (min watermark), in pages. */
  minFreePages: number;
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
  minFreePages: 0,
  costs: { ...DEFAULT_COSTS_NS },
};

export type KernelConfigInput = Partial<Omit<KernelConfig, 'costs'>> & { costs?: Partial<CostModel> };

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
  const cfg: KernelConfig = { ...DEFAULT_KERNEL_CONFIG, ...input, costs };
  const check = (ok: boolean, key: string, value: unknown, allowed: string): void => {
    if (!ok) throw new KernelConfigError(key, value, allowed);
  };
  check(['x86_64', 'i386', 'i386-pae'].includes(cfg.arch), 'arch', cfg.arch, 'x86_64 | i386 | i386-pae');
  check(['linux-2.6', 'linux-4.0'].includes(cfg.personality), 'personality', cfg.personality, 'linux-2.6 | linux-4.0');
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
  check(Number.isInteger(cfg.minFreePages) && cfg.minFreePages >= 0 && cfg.minFreePages < cfg.ramBytes / cfg.pageSize / 2,
    'minFreePages', cfg.minFreePages, `an integer from 0 to ${cfg.ramBytes / cfg.pageSize / 2 - 1}`);
  for (const ev of COST_EVENTS) {
    const v = cfg.costs[ev];
    check(typeof v === 'number' && Number.isFinite(v) && v >= 0, `costs.${ev}`, v, 'a finite number of ns >= 0');
  }
  for (const key of Object.keys(cfg.costs)) {
    check((COST_EVENTS as readonly string[]).includes(key), `costs.${key}`, key, COST_EVENTS.join(' | '));
  }
  return cfg;
}
