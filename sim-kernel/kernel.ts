/**
 * Kernel: one simulated machine — RAM, page cache, files and processes.
 *
 * Deterministic: the same config, seed and calls give the same state, counters and
 * simulated time. `new Kernel(config)` takes a partial config (defaults in config.ts).
 * Two ways to die (fs/disk-cache.ts says why they differ):
 *   - shutdown() without sync is a process crash: the simulated kernel lives in the
 *     program, so its dirty page-cache pages are lost; everything it wrote back to the
 *     host files (write-back, sync_file_range, fsync) is kept, as the host's page cache
 *     keeps what a killed program wrote.
 *   - powerCut() is a power failure: the page cache is lost too, and with
 *     `volatileDiskCache` each host write since its file's last fsync is kept, lost or
 *     torn by a seeded draw.
 */

import { type KernelConfig, type KernelConfigInput, resolveKernelConfig } from './config.js';
import { Core } from './core.js';
import { type PowerCutReport } from './fs/disk-cache.js';
import { syncAll } from './fs/pagecache.js';
import { installReclaim } from './mem/reclaim.js';
import type { Mm } from './mm/mm.js';
import { Process } from './process.js';
import { Prng } from './prng.js';
import * as views from './views.js';

export class Kernel {
  readonly config: KernelConfig;
  readonly #core: Core;
  readonly #procs: Process[] = [];
  #nextPid = 100;
  #shutdown = false;

  constructor(config: KernelConfigInput = {}) {
    this.config = resolveKernelConfig(config);
    this.#core = new Core(this.config);
    installReclaim(this.#core);
  }

  /** The shared machine state (for layers that model more of the kernel, and for tests). */
  get core(): Core {
    return this.#core;
  }

  /** Start a process with an empty address space. */
  spawn(): Process {
    const p = new Process(this.#nextPid++, this.#core);
    this.#procs.push(p);
    return p;
  }

  get processes(): readonly Process[] {
    return this.#procs.filter((p) => !p.exited);
  }

  #mms(): Mm[] {
    return this.processes.map((p) => p.mm);
  }

  /** Simulated time since boot, ns. */
  get nowNs(): number {
    return this.#core.acct.nowNs;
  }

  /** Simulated time spent in the kernel, ns (sum over events). */
  get kernelNs(): number {
    return this.#core.acct.kernelNs;
  }

  /** Let simulated time pass outside the kernel. */
  advance(ns: number): void {
    this.#core.acct.advance(ns);
    this.#core.background();
  }

  /** All of simulated RAM as bytes. */
  get physBytes(): Uint8Array {
    return this.#core.mem.bytes;
  }

  meminfo(): string {
    return views.meminfoText(this.meminfoFields());
  }

  meminfoFields(): views.MeminfoFields {
    return views.meminfoFields(this.#core, this.#mms());
  }

  vmstat(): string {
    return views.vmstatText(this.vmstatFields());
  }

  vmstatFields(): Record<string, number> {
    return views.vmstatFields(this.#core, this.#mms());
  }

  /** Simulated kernel time by event type: { event: { count, ns } }. */
  kernelTime(): Record<string, { count: number; ns: number }> {
    return this.#core.acct.timeByEvent();
  }

  /** Kernel memory held for mappings: VMA structs and page-table pages, bytes. */
  kernelMemory(): { vmaBytes: number; pageTableBytes: number; totalBytes: number } {
    let vmaBytes = 0;
    let pageTableBytes = 0;
    for (const mm of this.#mms()) {
      const k = mm.kernelBytes();
      vmaBytes += k.vmaBytes;
      pageTableBytes += k.pageTableBytes;
    }
    return { vmaBytes, pageTableBytes, totalBytes: vmaBytes + pageTableBytes };
  }

  /** sync(2): write back every dirty page of every host file and fsync it. */
  sync(): void {
    syncAll(this.#core);
  }

  /**
   * Stop the machine: processes exit and host files close. With `sync: true` dirty data
   * is written back first; without it, it is lost as on a power failure.
   */
  shutdown(options: { sync?: boolean } = {}): void {
    if (this.#shutdown) return;
    // Processes exit first: exit_mmap moves dirty bits from PTEs to pages, so an orderly
    // shutdown's sync sees stores made through mappings (as init's final sync does).
    for (const p of this.#procs) {
      if (!p.exited) p.exit();
    }
    if (options.sync === true) this.sync();
    this.#core.closeHostFiles();
    this.#shutdown = true;
  }

  /**
   * The power fails: processes die, the page cache is lost, and every host write not yet
   * covered by an fsync of its file is kept, lost or torn at sector granularity, drawn
   * from `seed` (default: the kernel's PRNG) — only with config.volatileDiskCache; without
   * it every host write is kept, as from a disk with no volatile cache. Host files close.
   */
  powerCut(seed?: number): PowerCutReport {
    if (this.#shutdown) throw new Error('powerCut: the machine is already shut down');
    for (const p of this.#procs) {
      if (!p.exited) p.exit();
    }
    const prng = seed === undefined ? this.#core.prng.fork(0xc0ffee) : new Prng(seed >>> 0);
    let report: PowerCutReport;
    try {
      report = this.#core.disk.cut(prng);
    } finally {
      this.#core.closeHostFiles();
      this.#shutdown = true;
    }
    return report;
  }

  /** Host writes not yet covered by an fsync, bytes (0 unless config.volatileDiskCache). */
  get unsyncedBytes(): number {
    return this.#core.disk.pendingBytes;
  }

  checkInvariants(): void {
    this.#core.checkInvariants();
    for (const p of this.processes) p.checkInvariants();
  }
}
