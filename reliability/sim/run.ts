/**
 * One seed of the whole-system simulator (see sim.ts for the overview and the CLI).
 *
 * A run is a sequence of machines ("epochs"). Each epoch runs the workload on one
 * simulated machine until it ends: the power is cut (an armed powerCutAt fires, or a step
 * pulls the plug between operations; the disk's volatile cache then keeps, drops or tears
 * each unsynced host write), the program is killed (a process crash: the simulated kernel
 * dies, the host files keep what it wrote to them), an injected fault leaves the database failed
 * (REMAPDB_FAILED: it is then closed or abandoned), or a step closes it cleanly. The
 * directory is then reopened on a NEW machine without faults and verified
 * (verify.ts); the next epoch continues on that database, or — when it draws fault
 * rates — closes it and reopens on a machine that injects them (an open that fails there
 * is one more crash to recover from).
 *
 * Invariants:
 *  1. Every draw comes from one Rng seeded with the seed, in step order, and every
 *     machine's seed is drawn from it: a seed replays the same operations, faults and
 *     crash points.
 *  2. An operation that throws must throw a coded error (err.code a string), and only
 *     when a fault was injected on the machine (REMAPDB_TXN_TOO_LARGE excepted); a
 *     wrong answer, an uncoded exception or a failed verification ends the seed as a failure.
 *  3. Every machine is shut down and its fault counters added to the report exactly once.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import type { FaultConfig } from '../../sim-kernel/index.js';
import { Kernel } from '../../sim-kernel/index.js';
import { type Database, DB_CODES, type SyncMode } from '../../storage/index.js';
import { WAL_HEADER_BYTES } from '../../storage/index.js';
import { Rng } from '../../bench/workloads/rng.js';
import { chooseConfig, chooseFaultRates, describeConfig, hasRates, kernelConfig, type SimConfig } from './config.js';
import { armFault, armPowerCut, Hog, pressMemory } from './faults.js';
import { type Commit, describeCommit, KvState, SimModel } from './model.js';
import { bindTpcb, KV_TABLE, SimFailure, SimWorkload } from './ops.js';
import {
  bump, countMachine, DEFAULT_STEPS, defaultTmpDir, newReport, replayCommand, type SeedReport,
} from './report.js';
import { openSimDb, type Verified, verifyRecovered } from './verify.js';

export { DEFAULT_STEPS, replayCommand, type SeedFailure, type SeedReport } from './report.js';

/** Errors in a row, on a database that is not (yet) failed, before the epoch is ended as failed. */
const MAX_ERRORS_IN_A_ROW = 4;

export interface SimOptions {
  /** Steps (operations) per seed; default DEFAULT_STEPS. */
  steps?: number;
  /** Progress lines (the seed's configuration, each failure); default none. */
  log?: (line: string) => void;
  /** Parent of the seed's temporary directory (default: defaultTmpDir()). */
  tmpDir?: string;
  /** Every step's operation and outcome (REMAPDB_SIM_TRACE=1 in the CLI); default none. */
  trace?: (line: string) => void;
  /** Before each reopen, copy the directory as the crash left it to `<dir>.crash` (REMAPDB_SIM_KEEP_CRASH=1). */
  keepCrashImage?: boolean;
}

type Outcome = 'ok' | 'crash' | 'kill' | 'failed' | 'clean';
/** How a machine ends: orderly shutdown with sync, a process crash, a power cut. */
type Ending = 'sync' | 'kill' | 'power';

/** The configuration seed `seed` runs (its first draws), without running it. */
export function configOf(seed: number): SimConfig {
  return chooseConfig(new Rng(seed));
}

class SeedRun {
  readonly seed: number;
  readonly steps: number;
  readonly rng: Rng;
  readonly cfg: SimConfig;
  readonly dir: string;
  readonly report: SeedReport;
  readonly #log: (line: string) => void;
  readonly #trace: ((line: string) => void) | null;
  readonly #keepCrashImage: boolean;
  #model: SimModel = new SimModel(new KvState());
  #step = 0;
  #kernel: Kernel | null = null;
  #hog: Hog | null = null;
  #work: SimWorkload | null = null;
  #inFlight: Commit | null = null;
  #errorsInARow = 0;
  #serial = 0;
  /** A verified database was just opened: the next epoch starts (startEpoch). */
  #fresh = false;

  constructor(seed: number, opts: SimOptions) {
    this.seed = seed >>> 0;
    this.steps = opts.steps ?? DEFAULT_STEPS;
    this.rng = new Rng(this.seed);
    this.cfg = chooseConfig(this.rng);
    this.#log = opts.log ?? ((): void => {});
    this.#trace = opts.trace ?? null;
    this.#keepCrashImage = opts.keepCrashImage ?? false;
    this.dir = fs.mkdtempSync(path.join(opts.tmpDir ?? defaultTmpDir(), `remapdb-sim-${this.seed}-`));
    this.report = newReport(this.seed, this.cfg);
  }

  run(): SeedReport {
    const t0 = performance.now();
    try {
      this.#log(`seed ${this.seed}: ${describeConfig(this.cfg)}`);
      this.#setup();
      while (this.#step < this.steps) {
        if (this.#fresh) {
          this.#fresh = false;
          this.#startEpoch();
          continue;
        }
        this.#step++;
        const outcome = this.#doStep();
        if (outcome !== 'ok') {
          this.#trace?.(`step ${this.#step}: epoch ends: ${outcome}${this.#inFlight === null ? '' : ' (a commit in flight)'}`);
          this.#endEpoch(outcome);
        }
      }
      // The end: a clean close must keep every acknowledged commit, in every mode.
      this.#step++;
      this.#endEpoch('clean');
      this.#close(this.#takeWork().db, true);
    } catch (err) {
      const message = err instanceof SimFailure ? err.message
        : `unexpected exception: ${(err as Error)?.stack ?? String(err)}`;
      this.report.ok = false;
      this.report.failure = { step: this.#step, message, replay: replayCommand(this.seed, this.steps), dir: this.dir };
      this.#log(`seed ${this.seed} FAILED at step ${this.#step}: ${message}\n  replay: ${this.report.failure.replay}\n` +
        `  directory kept: ${this.dir}`);
    } finally {
      this.#abandonAll();
      this.report.steps = this.#step;
      this.report.wallMs = performance.now() - t0;
      if (this.report.ok) {
        fs.rmSync(this.dir, { recursive: true, force: true });
        fs.rmSync(`${this.dir}.crash`, { recursive: true, force: true });
      }
    }
    return this.report;
  }

  // ---------------------------------------------------------------- machines

  #newKernel(faults: Partial<FaultConfig>): Kernel {
    if (this.#kernel !== null) throw new Error('a machine is still running');
    const k = new Kernel(kernelConfig(this.cfg, this.rng.u32(), faults));
    this.#kernel = k;
    this.#hog = null;
    this.report.machines++;
    return k;
  }

  /** End the machine (idempotent) and add its fault counters (and a power cut's draws) to the report. */
  #retire(how: Ending): void {
    const k = this.#kernel;
    if (k === null) return;
    this.#kernel = null;
    this.#hog = null;
    if (how === 'power') {
      const cut = k.powerCut(this.rng.u32());
      const d = this.report.diskCut;
      d.kept += cut.kept;
      d.lost += cut.lost;
      d.torn += cut.torn;
      d.truncatesKept += cut.truncatesKept;
      d.truncatesLost += cut.truncatesLost;
      this.#trace?.(`power cut: unsynced host writes ${JSON.stringify(cut)}`);
    } else {
      k.shutdown({ sync: how === 'sync' });
    }
    countMachine(this.report, k);
  }

  /** The database dies with its machine: `how` a kill or a power cut. */
  #crash(db: Database, how: 'kill' | 'power'): void {
    db.simulatePowerFailure(() => undefined);
    this.#retire(how);
  }

  #abandonAll(): void {
    const w = this.#work;
    this.#work = null;
    try {
      if (w !== null && !w.db.closed) w.db.simulatePowerFailure(() => undefined);
    } catch { /* reported already */ }
    try {
      this.#retire('kill');
    } catch { /* reported already */ }
  }

  /** Close `db` (no faults expected) and shut its machine down with sync. */
  #close(db: Database, markDurable: boolean): void {
    db.close();
    if (markDurable) this.#model.markDurable();
    this.#retire('sync');
  }

  // ---------------------------------------------------------------- epochs

  /** The open workload, detached; its counters carry over to the next one. */
  #takeWork(): SimWorkload {
    const w = this.#work as SimWorkload;
    this.#work = null;
    this.#serial = w.serial;
    this.report.rollbacks += w.rollbacks;
    return w;
  }

  /** Create the database: the kv table and the TPC-B-like tables, then the first verified reopen. */
  #setup(): void {
    const k = this.#newKernel({});
    const db = openSimDb(this.dir, this.cfg, k, this.seed);
    db.createTable<string>(KV_TABLE, { key: ['int'], value: 'string' });
    if (this.cfg.tpcbAccounts > 0) bindTpcb(db, this.cfg).load(() => {});
    this.#close(db, false);
    this.#reopenAndVerify('creation');
  }

  /** A verified database is open on a fault-free machine; switch to a faulty one if the epoch draws rates. */
  #startEpoch(): void {
    const rates = chooseFaultRates(this.rng);
    if (!hasRates(rates) && this.#work !== null) return;
    if (this.#work !== null) this.#close(this.#takeWork().db, true);
    const k = this.#newKernel(rates);
    this.#trace?.(`step ${this.#step}: a new machine with fault rates ${JSON.stringify(rates)}`);
    let db: Database;
    try {
      db = openSimDb(this.dir, this.cfg, k, this.seed);
    } catch (err) {
      this.#step++;
      this.#judgeError(err, 'open on a faulty machine');
      this.report.failedOpens++;
      this.#retire('power');
      this.#reopenAndVerify('an open that failed under injected faults', this.cfg.sync === 'off');
      return;
    }
    this.#work = new SimWorkload(db, this.rng, this.cfg, this.#model, this.#serial);
  }

  #endEpoch(outcome: Exclude<Outcome, 'ok'>): void {
    const w = this.#takeWork();
    let what: string = outcome;
    if (outcome === 'clean') {
      try {
        w.db.close();
        this.#model.markDurable();
        this.#retire('sync');
        this.report.cleanReopens++;
        what = 'a clean close';
      } catch (err) {
        this.#judgeError(err, 'close');
        this.#trace?.(`step ${this.#step}: close threw ${(err as { code?: string }).code ?? ''}: ${(err as Error).message}`);
        outcome = 'failed';
      }
    }
    if (outcome === 'failed') {
      this.report.failures++;
      if (this.rng.float() < 0.5) {
        what = 'REMAPDB_FAILED, then a power cut';
        this.#crash(w.db, 'power');
      } else {
        const sync = this.rng.float() < 0.5;
        what = `REMAPDB_FAILED, then close() and shutdown (sync ${String(sync)})`;
        try {
          w.db.close();
        } catch (err) {
          this.#judgeError(err, 'close of a failed database');
        }
        this.#retire(sync ? 'sync' : 'kill');
      }
    } else if (outcome === 'crash') {
      this.report.crashes++;
      what = 'a power cut';
      this.#crash(w.db, 'power');
    } else if (outcome === 'kill') {
      // A process crash loses nothing acknowledged at any sync level: judged as 'full'.
      this.report.kills++;
      what = 'a process crash (kill)';
      this.#crash(w.db, 'kill');
      this.#reopenAndVerify(what, false, 'full');
      return;
    }
    this.#reopenAndVerify(what, this.cfg.sync === 'off' && outcome !== 'clean');
  }

  /**
   * Reopen the directory on a fresh machine without faults and verify it against the
   * model. `lenient`: sync 'off' after a power cut or a failure, which promises nothing
   * (it installs pages before their log records are written, README "Durability"): a
   * database that does not recover to an allowed state is counted and created anew.
   */
  #reopenAndVerify(what: string, lenient = false, judgeAs: SyncMode = this.cfg.sync): void {
    const inFlight = this.#inFlight;
    this.#inFlight = null;
    this.#errorsInARow = 0;
    if (this.#keepCrashImage) {
      fs.rmSync(`${this.dir}.crash`, { recursive: true, force: true });
      fs.cpSync(this.dir, `${this.dir}.crash`, { recursive: true });
    }
    const k = this.#newKernel({});
    const t0 = performance.now();
    let db: Database;
    try {
      db = openSimDb(this.dir, this.cfg, k, this.seed);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (lenient && typeof code === 'string') {
        this.#offLost(`reopen failed: ${code}: ${(err as Error).message}`);
        return;
      }
      throw new SimFailure(`reopen after ${what} failed: ${typeof code === 'string' ? code : 'uncoded'}: ${(err as Error).message}`);
    }
    const ms = performance.now() - t0;
    const r = this.report.reopen;
    r.count++;
    r.totalMs += ms;
    r.maxMs = Math.max(r.maxMs, ms);
    this.report.redone += db.stats().recovered.transactions;
    const w = new SimWorkload(db, this.rng, this.cfg, this.#model, this.#serial);
    this.#work = w;
    this.#fresh = true;
    let v: Verified;
    try {
      v = verifyRecovered(w, this.#model, inFlight, judgeAs, what);
    } catch (err) {
      if (!lenient || !(err instanceof SimFailure)) throw err;
      this.#offLost(err.message);
      return;
    }
    this.#trace?.(`step ${this.#step}: verified after ${what}: ${v.prefix} of ${v.pending} pending commits` +
      `${inFlight === null ? '' : ' (+1 in flight)'} recovered; ${db.stats().recovered.transactions} redone`);
    if (inFlight !== null && v.prefix === v.pending + 1) this.report.inFlightPresent++;
    this.report.lostCommits += Math.max(0, v.pending - v.prefix);
  }

  /** sync 'off' lost the database to a crash (allowed): note it, and start again from an empty directory. */
  #offLost(why: string): void {
    this.report.offLost++;
    this.#trace?.(`step ${this.#step}: sync 'off' did not survive: ${why}; the database is created anew`);
    const w = this.#work;
    if (w !== null) {
      this.#takeWork();
      w.db.simulatePowerFailure(() => undefined);
    }
    this.#retire('power');
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir);
    this.#model = new SimModel(new KvState());
    this.#setup();
  }

  // ---------------------------------------------------------------- steps

  #doStep(): Outcome {
    const w = this.#work as SimWorkload;
    const k = this.#kernel as Kernel;
    const rng = this.rng;
    const r = rng.int(0, 99);
    let op = '';
    try {
      if (r < 34) {
        op = 'kv transaction';
        this.#acked(w, w.kvTransaction());
      } else if (r < 42) {
        op = 'autocommit';
        this.#acked(w, w.autocommit());
      } else if (r < 56) {
        op = w.tpcb === null ? 'kv transaction' : 'tpcb';
        this.#acked(w, w.tpcb === null ? w.kvTransaction() : w.tpcbTransaction());
      } else if (r < 64) {
        op = 'read';
        w.readCheck(false);
      } else if (r < 66) {
        op = 'scan';
        w.readCheck(true);
      } else if (r < 71) {
        op = 'checkpoint';
        w.db.checkpoint();
        op = `checkpoint (WAL base LSN now ${w.db.wal.baseLsn})`;
        this.report.checkpoints++;
        this.#model.markDurable();
      } else if (r < 77) {
        op = 'memory pressure';
        pressMemory(rng, k, this.cfg.hogPages, () => (this.#hog ??= new Hog(k, this.cfg.hogPages)));
      } else if (r < 84) {
        op = 'arm a fault';
        op = armFault(rng, k, this.report.armed);
      } else if (r < 89) {
        op = 'arm a power cut';
        op = armPowerCut(rng, k, this.report.armed);
      } else if (r < 92) {
        return rng.int(0, 1) === 0 ? 'kill' : 'crash';
      } else if (r < 94) {
        return 'clean';
      } else if (r < 97) {
        op = 'invariants';
        w.db.checkInvariants();
      } else {
        op = 'read';
        w.readCheck(false);
      }
    } catch (err) {
      this.#trace?.(`step ${this.#step}: ${op}: threw ${(err as { code?: string }).code ?? 'uncoded'}: ${(err as Error).message}`);
      return this.#onError(err, op);
    }
    this.#trace?.(`step ${this.#step}: ${op} ok`);
    this.#errorsInARow = 0;
    if (k.core.faults.dead) return 'crash';
    if (w.db.failed !== null) return 'failed';
    return 'ok';
  }

  #acked(w: SimWorkload, c: Commit | null): void {
    if (c === null) return;
    this.#trace?.(`step ${this.#step}: commit ${describeCommit(c)}`);
    this.#model.ack(c);
    this.report.commits++;
    // An automatic checkpoint ran after this commit iff the WAL was reset.
    if (this.cfg.checkpointBytes > 0 && w.db.failed === null && w.db.wal.sizeBytes <= WAL_HEADER_BYTES) {
      this.report.checkpoints++;
      this.#model.markDurable();
    }
  }

  /** An operation threw: judge it (invariant 2) and say how the epoch goes on. */
  #onError(err: unknown, op: string): Outcome {
    const w = this.#work as SimWorkload;
    const k = this.#kernel as Kernel;
    const code = this.#judgeError(err, op);
    const attempt = w.attempt;
    w.attempt = null;
    if (code === DB_CODES.TXN_TOO_LARGE && w.db.failed === null) {
      this.report.txnTooLarge++;
      return k.core.faults.dead ? 'crash' : 'ok';
    }
    if (w.db.failed !== null || k.core.faults.dead) this.#inFlight = attempt;
    if (k.core.faults.dead) return 'crash';
    if (w.db.failed !== null) return 'failed';
    return ++this.#errorsInARow >= MAX_ERRORS_IN_A_ROW ? 'failed' : 'ok';
  }

  /** The error's code; SimFailure if it is a wrong answer, uncoded, or came without an injected fault. */
  #judgeError(err: unknown, op: string): string {
    if (err instanceof SimFailure) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string') {
      throw new SimFailure(`${op} threw an uncoded exception: ${(err as Error)?.stack ?? String(err)}`);
    }
    if (code === DB_CODES.TXN_TOO_LARGE) return code;
    const f = (this.#kernel as Kernel).core.faults;
    if (f.injected.EIO + f.injected.ENOSPC + f.injected.torn === 0 && !f.dead) {
      throw new SimFailure(`${op} threw ${code} but no fault was injected on this machine: ${(err as Error).message}`);
    }
    bump(this.report.errorCodes, code);
    return code;
  }
}

/** Run one seed; never throws (a failure is in the report, with its step and replay command). */
export function runSeed(seed: number, opts: SimOptions = {}): SeedReport {
  return new SeedRun(seed, opts).run();
}
