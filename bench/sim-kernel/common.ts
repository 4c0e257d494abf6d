/**
 * Shared set-up for the sim-kernel benchmarks: machines, resident tmpfs files, and the
 * adaptor from a Kernel to the harness's simulated clock.
 */

import {
  DEFAULT_COSTS_NS, DEFAULT_KERNEL_CONFIG, Kernel, type KernelConfigInput, O_CREAT, O_RDWR, type Process, resolveKernelConfig,
} from '../../sim-kernel/index.js';
import type { SimClock } from '../lib/harness.js';

export const PAGE = 4096;
export const MiB = 1024 * 1024;

/** The base machine of the suite: the default config with these overrides. */
export const BASE_CONFIG: KernelConfigInput = { arch: 'x86_64', personality: 'linux-2.6', pageSize: PAGE };

export function machine(overrides: KernelConfigInput): Kernel {
  return new Kernel({ ...BASE_CONFIG, ...overrides });
}

/** "x86_64 linux-2.6 64 MiB" plus any non-default TLB / map-count settings. */
export function describe(overrides: KernelConfigInput): string {
  const c = { ...DEFAULT_KERNEL_CONFIG, ...BASE_CONFIG, ...overrides };
  const parts = [c.arch, c.personality, `${c.ramBytes / MiB} MiB`];
  if (c.tlbEntries !== DEFAULT_KERNEL_CONFIG.tlbEntries) parts.push(`TLB ${c.tlbEntries}`);
  if (c.maxMapCount !== DEFAULT_KERNEL_CONFIG.maxMapCount) parts.push(`max_map_count ${c.maxMapCount}`);
  if (c.cpus !== DEFAULT_KERNEL_CONFIG.cpus) parts.push(`${c.cpus} CPUs`);
  return parts.join(' ');
}

export function simClock(k: Kernel): SimClock {
  return { kernelNs: () => k.kernelNs, byEvent: () => k.kernelTime() };
}

/**
 * Create /dev/shm/<name> of `pages` pages and write every page, so all of it is in the
 * page cache (tmpfs pages live only in RAM). The first word of page i holds the stamp
 * i ^ STAMP, so a read through a mapping can tell which file page it reached.
 */
export const STAMP = 0x5a5a0000;

export function residentTmpfsFile(p: Process, name: string, pages: number): number {
  const fd = p.open(`/dev/shm/${name}`, O_RDWR | O_CREAT, 0o600);
  const chunkPages = 256;
  const buf = new Uint8Array(chunkPages * PAGE);
  const view = new DataView(buf.buffer);
  for (let first = 0; first < pages; first += chunkPages) {
    const n = Math.min(chunkPages, pages - first);
    for (let i = 0; i < n; i++) view.setUint32(i * PAGE, ((first + i) ^ STAMP) >>> 0, true);
    p.pwrite(fd, n === chunkPages ? buf : buf.subarray(0, n * PAGE), first * PAGE);
  }
  return fd;
}

/** The file page a mapped address shows, by its stamp (reads through the MMU). */
export function pageAt(p: Process, addr: number): number {
  return (p.load32(addr) ^ STAMP) >>> 0;
}

export function check(ok: boolean, msg: () => string): void {
  if (!ok) throw new Error(msg());
}

/**
 * The environment block of a suite run on BASE_CONFIG: the resolved kernel configuration,
 * the cost model (named when it is the default, else the overridden events), and what
 * each suite adds (`extra`).
 */
export function kernelEnvironment(extra: Record<string, unknown>): Record<string, unknown> {
  const { costs, ...cfg } = resolveKernelConfig(BASE_CONFIG);
  const custom = Object.entries(costs).filter(([ev, ns]) => DEFAULT_COSTS_NS[ev as keyof typeof DEFAULT_COSTS_NS] !== ns);
  return {
    'kernel config (base)': cfg,
    'cost model': custom.length === 0 ? 'DEFAULT_COSTS_NS (sim-kernel/config.ts, from refs/costs-measured.md)' : Object.fromEntries(custom),
    costsNs: costs,
    ...extra,
  };
}
