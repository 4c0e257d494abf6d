/**
 * sim-kernel: a simulated Linux 2.6 memory manager with nonlinear mappings.
 *
 * `new Kernel(config)` is one machine; `kernel.spawn()` a process whose methods are the
 * system calls by their Linux names and argument order. Constants carry their Linux
 * names; failed calls throw KernelError (code = errno name), bad accesses SegvError or
 * BusError. This file is the layer's public face: code outside sim-kernel/ imports
 * only from here.
 *
 * Inside, by Linux's own layout: the machine and its processes here (kernel.ts,
 * process.ts, core.ts); mm/ the address space (VMAs, page tables, TLB, faults);
 * syscalls/ the mapping system calls (mmap, remap_file_pages, mlock, madvise); mem/
 * physical memory (frames, LRU, reclaim, swap); fs/ files, the page cache and the disk's
 * volatile write cache (power cuts); inject/ I/O fault injection.
 */

export * from './constants.js';
export {
  AssertionFailure, BUS_ADRERR, BUS_OBJERR, BusError, CodedError, ERRNO, type ErrnoName, KernelAssertionError, KernelError,
  SEGV_ACCERR, SEGV_MAPERR, SIGBUS, SIGSEGV, SegvError,
} from './errors.js';
export {
  ARCH_NAMES, type ArchName, COST_EVENTS, type CostEvent, type CostModel, DEFAULT_COSTS_NS, DEFAULT_KERNEL_CONFIG, type KernelConfig,
  KernelConfigError, type KernelConfigInput, type PersonalityName, PERSONALITY_NAMES, resolveKernelConfig,
} from './config.js';
export { Kernel } from './kernel.js';
export { Process } from './process.js';
export { type PteInfo, formatPtes, type MeminfoFields } from './views.js';
export { getArch, type Arch, type PteKind } from './arch.js';
export { mulberry32, Prng } from './prng.js';
export { VMSTAT_NAMES } from './accounting.js';
export { type PowerCutReport, SECTOR_BYTES } from './fs/disk-cache.js';
export { type FaultConfig, type IoKind, type IoOutcome } from './inject/index.js';
