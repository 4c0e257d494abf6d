/**
 * What one simulator seed reports: its configuration, whether it passed (else where it
 * failed and how to replay it), and its counts — steps, commits, recoveries by cause,
 * faults injected and I/O seen by its machines, reopen (recovery) times.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';

import type { IoKind } from '../../sim-kernel/index.js';
import type { Kernel } from '../../sim-kernel/index.js';
import type { SimConfig } from './config.js';

export const DEFAULT_STEPS = 150;

export interface SeedFailure {
  step: number;
  message: string;
  replay: string;
  dir: string;
}

export interface SeedReport {
  seed: number;
  config: SimConfig;
  ok: boolean;
  failure: SeedFailure | null;
  steps: number;
  /** Transactions acknowledged (kv and TPC-B), explicit and savepoint rollbacks, REMAPDB_TXN_TOO_LARGE. */
  commits: number;
  rollbacks: number;
  txnTooLarge: number;
  checkpoints: number;
  /** Recoveries verified after a power cut, a process crash (kill), a REMAPDB_FAILED, a clean close; failed opens under faults. */
  crashes: number;
  kills: number;
  failures: number;
  cleanReopens: number;
  failedOpens: number;
  machines: number;
  /** The transaction in flight was found committed after recovery. */
  inFlightPresent: number;
  /** Acknowledged commits recovery legitimately dropped ('normal'/'off' lose the last ones). */
  lostCommits: number;
  /** sync 'off' databases a crash or failure left in no allowed state (allowed for 'off'; created anew). */
  offLost: number;
  /** Unsynced host writes power cuts kept, lost and tore (sim-kernel fs/disk-cache.ts), truncates kept/undone. */
  diskCut: { kept: number; lost: number; torn: number; truncatesKept: number; truncatesLost: number };
  /** Faults injected, by outcome, summed over the machines; power cuts that fired. */
  injected: { EIO: number; ENOSPC: number; torn: number; short: number; powerCuts: number };
  /** Plans armed by steps: failNth by I/O kind and outcome, powerCutAt by kind. */
  armed: Record<string, number>;
  /** Host and swap I/O seen by the fault injectors, by kind. */
  io: Record<IoKind, number>;
  /** Codes of the errors operations threw under faults. */
  errorCodes: Record<string, number>;
  /** Reopens on a fresh machine (recovery included), wall ms. */
  reopen: { count: number; totalMs: number; maxMs: number };
  /** WAL transactions redone by those reopens. */
  redone: number;
  wallMs: number;
}

/** An empty report for `seed`. */
export function newReport(seed: number, config: SimConfig): SeedReport {
  return {
    seed, config, ok: true, failure: null, steps: 0, commits: 0, rollbacks: 0, txnTooLarge: 0, checkpoints: 0,
    crashes: 0, kills: 0, diskCut: { kept: 0, lost: 0, torn: 0, truncatesKept: 0, truncatesLost: 0 }, failures: 0, cleanReopens: 0, failedOpens: 0, machines: 0, inFlightPresent: 0, lostCommits: 0, offLost: 0,
    injected: { EIO: 0, ENOSPC: 0, torn: 0, short: 0, powerCuts: 0 }, armed: {},
    io: { read: 0, write: 0, fsync: 0, swapRead: 0, swapWrite: 0 }, errorCodes: {}, reopen: { count: 0, totalMs: 0, maxMs: 0 },
    redone: 0, wallMs: 0,
  };
}

/** Add a retired machine's fault injector counters (faults injected, power cut, I/O seen) to `r`. */
export function countMachine(r: SeedReport, k: Kernel): void {
  const f = k.core.faults;
  r.injected.EIO += f.injected.EIO;
  r.injected.ENOSPC += f.injected.ENOSPC;
  r.injected.torn += f.injected.torn;
  r.injected.short += f.injected.short;
  if (f.dead) r.injected.powerCuts++;
  for (const kind of Object.keys(r.io) as IoKind[]) r.io[kind] += f.seen[kind];
}

/** r[key] += n. */
export function bump(r: Record<string, number>, key: string, n = 1): void {
  r[key] = (r[key] ?? 0) + n;
}

/**
 * Where seeds keep their databases: $REMAPDB_SIM_DIR, else /dev/shm when there is one,
 * else the OS's temporary directory. Why /dev/shm: the simulated machine's crashes lose
 * sim-kernel's page cache, never the host's, so a host fsync buys the simulation nothing —
 * and on a disk it costs ~8 ms, 80 % of a seed's wall time. A subdirectory of /dev/shm is
 * a host file to sim-kernel (only /dev/shm/NAME itself is its tmpfs: core.ts isTmpfsPath).
 */
export function defaultTmpDir(): string {
  const env = process.env['REMAPDB_SIM_DIR'];
  if (env !== undefined && env !== '') return env;
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch { /* none here */ }
  return os.tmpdir();
}

/** The command that replays `seed`. */
export function replayCommand(seed: number, steps: number): string {
  return `REMAPDB_SIM_SEED=${seed} npx tsx reliability/sim/main.ts${steps === DEFAULT_STEPS ? '' : ` --steps ${steps}`}`;
}
