/**
 * sim-kernel: a simulated Linux 2.6 memory manager with nonlinear mappings.
 *
 * `new Kernel(config)` is one machine; `kernel.spawn()` a process whose methods are the
 * system calls by their Linux names and argument order. Constants carry their Linux
 * names; failed calls throw KernelError (code = errno name), bad accesses SegvError or
 * BusError.
 */

export * from './constants.js';
export {
  BUS_ADRERR, BUS_OBJERR, BusError, CodedError, ERRNO, type ErrnoName, KernelAssertionError, KernelError,
  SEGV_ACCERR, SEGV_MAPERR, SIGBUS, SIGSEGV, SegvError,
} from './errors.js';
export {
  type ArchName, COST_EVENTS, type CostEvent, type CostModel, DEFAULT_COSTS_NS, DEFAULT_KERNEL_CONFIG, type KernelConfig,
  KernelConfigError, type KernelConfigInput, type PersonalityName, resolveKernelConfig,
} from './config.js';
export { Kernel } from './kernel.js';
export { Process } from './process.js';
export { type PteInfo, formatPtes, type MeminfoFields } from './views.js';
export { getArch, type Arch, type PteKind } from './arch.js';
export { mulberry32, Prng } from './prng.js';
export { VMSTAT_NAMES } from './accounting.js';
export { type FaultConfig, type IoKind, type IoOutcome } from './inject/io-faults.js';
