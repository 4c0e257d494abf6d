/**
 * inject/: seeded, deterministic fault injection for host-file and swap I/O (the
 * SQLite-style sweeps that fail the 1st, 2nd, ... I/O in turn, and power cuts).
 * Owns no state here; FaultInjector (io-faults.ts) holds the plan and counters.
 */

export { DEFAULT_FAULTS, type FaultConfig, FaultInjector, IO_KINDS, type IoKind, type IoOutcome } from './io-faults.js';
