/**
 * What per-page protection costs the buffer pool (bufferpool/guard.ts), on a kernel with the
 * unmerged protection series (perPageProt):
 *
 *   1. Guard mode against no checks and against `debug` (generation checks, no protection):
 *      fix + offset + unfix per second (host wall clock, median of chunks) and simulated kernel
 *      ns per fix, shared and exclusive, per strategy × personality; mprotect calls per fix;
 *      the VMAs and kernel bytes of the process while every other hot page is held fixed
 *      (protections alternate along the pool: the worst case for VMA splitting).
 *   2. Write-fault dirty tracking against explicit marking: exclusive fixes of which half
 *      store, committed in groups of 8 and checkpointed; an explicit caller that says
 *      "dirtied" for every exclusive fix (the cautious one) installs and writes back every
 *      page, write-fault tracking only the stored ones. Faults, write-back bytes and rate.
 *   3. TPC-B-like (bench/workloads/tpcb) through the whole engine, guard / write-fault on and
 *      off: transactions per second, minor faults, mprotect calls and write faults per
 *      transaction, VMAs at the end.
 *
 * Each cell boots its own kernel; rates are host wall clock, so compare them within one run.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { type BufferPool, type BufferPoolOptions, type FixMode, openBufferPool, type StrategyName } from '../../bufferpool/index.js';
import type { Kernel, PersonalityName } from '../../sim-kernel/index.js';
import { open as openRemapdb } from '../../src/index.js';
import { timeChunks } from '../lib/chunks.js';
import { bytes, int, si } from '../lib/format.js';
import type { ReportBench, ReportOutput, TableSpec } from '../lib/harness.js';
import { tpcb } from '../workloads/tpcb/index.js';
import { DEFAULT_SPEC, type Store } from '../workloads/stores.js';
import { machine, residentTmpfsFile } from '../sim-kernel/common.js';
import { check, MiB, PAGE, PERSONALITIES, shortPersonality, STRATEGIES } from './common.js';

const SLOTS = 1024;
const HOT = 512;
const HELD = 64;
const RAM = 64 * MiB;
const TIMING = { minWarmMs: 150, maxWarmMs: 800, chunks: 5, chunkMs: 60 };

export type GuardMode = 'off' | 'debug' | 'guard' | 'write-fault' | 'guard+write-fault';

function poolOptions(mode: GuardMode): Partial<BufferPoolOptions> {
  switch (mode) {
    case 'off': return {};
    case 'debug': return { debug: true };
    case 'guard': return { guard: true };
    case 'write-fault': return { dirtyTracking: 'write-fault' };
    case 'guard+write-fault': return { guard: true, dirtyTracking: 'write-fault' };
  }
}

interface Rig {
  k: Kernel;
  pool: BufferPool;
  durable: number;
}

function rig(personality: PersonalityName, strategy: StrategyName, mode: GuardMode, pages: number): Rig {
  const k = machine({ personality, ramBytes: RAM, perPageProt: true });
  const p = k.spawn();
  const fd = residentTmpfsFile(p, `guard-${strategy}`, pages);
  const r: Rig = { k, pool: undefined as unknown as BufferPool, durable: 0 };
  r.pool = openBufferPool(k, p, fd, {
    strategy, slots: SLOTS, policy: 'clock', shadowSlots: 64,
    wal: { durableLsn: () => r.durable, flushLog: (lsn) => { r.durable = Math.max(r.durable, lsn); } },
    ...poolOptions(mode),
  }, pages);
  return r;
}

// ------------------------------------------------------------------ 1. hit path

export interface HitCell {
  personality: PersonalityName;
  strategy: StrategyName;
  mode: GuardMode;
  sharedPerSec: number;
  sharedSimNs: number;
  exclusivePerSec: number;
  exclusiveSimNs: number;
  protChangesPerFix: number;
  vmasHeld: number;
  kernelBytesHeld: number;
  cpuShare: number;
}

export function hitCell(personality: PersonalityName, strategy: StrategyName, mode: GuardMode): HitCell {
  const { k, pool } = rig(personality, strategy, mode, SLOTS);
  try {
    let c = 0;
    const cycle = (mode: FixMode) => (n: number): void => {
      for (let i = 0; i < n; i++) {
        const tok = pool.fix(c++ & (HOT - 1), mode);
        pool.offset(tok);
        pool.unfix(tok, false);
      }
    };
    const shared = cycle('shared');
    const exclusive = cycle('exclusive');
    shared(HOT);
    let ns0 = 0;
    let st0 = pool.stats();
    const ts = timeChunks(shared, TIMING, () => { ns0 = k.kernelNs; st0 = pool.stats(); });
    const st1 = pool.stats();
    const sharedSimNs = (k.kernelNs - ns0) / ts.ops;
    const protChangesPerFix = (st1.protChanges - st0.protChanges) / ts.ops;
    const tx = timeChunks(exclusive, TIMING, () => { ns0 = k.kernelNs; });
    const exclusiveSimNs = (k.kernelNs - ns0) / tx.ops;
    check(pool.stats().misses === HOT, () => `${pool.stats().misses} misses on the hit path`);
    // Every other hot page held fixed: protections alternate along the pool.
    const held: number[] = [];
    for (let i = 0; i < 2 * HELD; i += 2) held.push(pool.fix(i, 'shared'));
    const km = k.kernelMemory();
    const vmasHeld = pool.stats().vmaCount;
    for (const tok of held) pool.unfix(tok, false);
    pool.checkInvariants();
    pool.close();
    k.checkInvariants();
    return {
      personality, strategy, mode, sharedPerSec: ts.median, sharedSimNs, exclusivePerSec: tx.median, exclusiveSimNs,
      protChangesPerFix, vmasHeld, kernelBytesHeld: km.totalBytes, cpuShare: Math.min(ts.cpuShare, tx.cpuShare),
    };
  } finally {
    k.shutdown();
  }
}

// ------------------------------------------------------------------ 2. dirty tracking

export interface DirtyCell {
  strategy: StrategyName;
  tracking: 'explicit (cautious)' | 'explicit (exact)' | 'write-fault';
  fixesPerSec: number;
  writeFaultsPer1k: number;
  installsPer1k: number;
  writeBackBytesPer1k: number;
  protChangesPer1k: number;
}

const GROUP = 8;
const DIRTY_FIXES = 8192;

export function dirtyCell(strategy: StrategyName, tracking: DirtyCell['tracking']): DirtyCell {
  const r = rig('linux-2.6', strategy, tracking === 'write-fault' ? 'write-fault' : 'off', SLOTS);
  const { k, pool } = r;
  try {
    let c = 0;
    const touched = new Int32Array(GROUP);
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const id = (c * 7919) & (HOT - 1);
        const tok = pool.fix(id, 'exclusive');
        const store = (c & 1) === 0; // half the exclusive fixes change the page
        if (store) pool.bytes[pool.writeOffset(tok) + 64] = c & 0xff;
        else pool.offset(tok);
        pool.unfix(tok, tracking === 'explicit (cautious)' ? true : tracking === 'explicit (exact)' ? store : false);
        touched[c % GROUP] = id;
        c++;
        if (c % GROUP === 0) {
          r.durable++;
          for (let g = 0; g < GROUP; g++) pool.markLsn(touched[g] as number, r.durable);
          pool.logDurable(r.durable);
        }
        if (c % 1024 === 0) pool.flush();
      }
    };
    const s0 = pool.stats();
    const t0 = process.hrtime.bigint();
    run(DIRTY_FIXES);
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    const s1 = pool.stats();
    const per1k = (x: number): number => (x * 1000) / DIRTY_FIXES;
    pool.checkInvariants();
    pool.close();
    k.checkInvariants();
    return {
      strategy, tracking, fixesPerSec: DIRTY_FIXES / sec, writeFaultsPer1k: per1k(s1.writeFaults - s0.writeFaults),
      installsPer1k: per1k(s1.installs - s0.installs), writeBackBytesPer1k: per1k((s1.writebacks - s0.writebacks) * PAGE),
      protChangesPer1k: per1k(s1.protChanges - s0.protChanges),
    };
  } finally {
    k.shutdown();
  }
}

// ------------------------------------------------------------------ 3. TPC-B-like

export interface TpcbCell {
  personality: PersonalityName;
  strategy: StrategyName;
  mode: GuardMode;
  txPerSec: number;
  /** Simulated kernel time per transaction (deterministic, unlike tx/s). */
  simUsPerTx: number;
  minorFaultsPerTx: number;
  protChangesPerTx: number;
  writeFaultsPerTx: number;
  vmas: number;
  checksOk: boolean;
}

const TPCB_TX = 10_000;
const TPCB_PARAMS = { scale: 1, accountsPerBranch: 20_000 };

export function tpcbCell(personality: PersonalityName, strategy: StrategyName, mode: GuardMode): TpcbCell {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-guard-tpcb-'));
  try {
    const po = poolOptions(mode);
    const db = openRemapdb(dir, {
      strategy, sync: 'off', poolPages: SLOTS, guard: po.guard ?? false, dirtyTracking: po.dirtyTracking ?? 'explicit',
      kernel: { personality, ramBytes: 128 * MiB, perPageProt: true },
    });
    const store: Store = { kind: 'remapdb', spec: { ...DEFAULT_SPEC, strategy, personality, poolPages: SLOTS }, dir, db };
    try {
      const params = tpcb.params(TPCB_PARAMS);
      const bound = tpcb.bind(store, params);
      bound.load(() => undefined);
      const [term] = bound.terminals(1, 20261207);
      if (term === undefined) throw new Error('no terminal');
      for (let i = 0; i < 200; i++) term.step();
      const k = db.kernel;
      const vm0 = k.vmstatFields();
      const st0 = db.pool.stats();
      const ns0 = k.kernelNs;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < TPCB_TX; i++) term.step();
      const sec = Number(process.hrtime.bigint() - t0) / 1e9;
      const simUsPerTx = (k.kernelNs - ns0) / 1000 / TPCB_TX;
      const vm1 = k.vmstatFields();
      const st1 = db.pool.stats();
      const checks = bound.check({ tpcb: TPCB_TX + 200 });
      const minor = ((vm1['pgfault'] ?? 0) - (vm0['pgfault'] ?? 0)) - ((vm1['pgmajfault'] ?? 0) - (vm0['pgmajfault'] ?? 0));
      return {
        personality, strategy, mode, txPerSec: TPCB_TX / sec, simUsPerTx, minorFaultsPerTx: minor / TPCB_TX,
        protChangesPerTx: (st1.protChanges - st0.protChanges) / TPCB_TX, writeFaultsPerTx: (st1.writeFaults - st0.writeFaults) / TPCB_TX,
        vmas: st1.vmaCount, checksOk: checks.every((c) => c.ok),
      };
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ the report

const HIT_MODES: readonly GuardMode[] = ['off', 'debug', 'guard'];
const TPCB_MODES: readonly GuardMode[] = ['off', 'guard', 'write-fault', 'guard+write-fault'];

function hitTable(cells: HitCell[]): TableSpec {
  const base = (c: HitCell): HitCell | undefined => cells.find((o) => o.personality === c.personality && o.strategy === c.strategy && o.mode === 'off');
  return {
    title: 'Guard mode: fix + offset + unfix of resident pages (perPageProt kernel; rates host wall clock, median of chunks)',
    columns: ['kernel', 'strategy', 'mode', 'shared fixes/s', 'vs off', 'sim ns/fix', 'exclusive fixes/s', 'sim ns/fix', 'mprotect/fix',
      `VMAs, ${HELD} held`, 'kernel bytes'],
    rightAlign: [3, 4, 5, 6, 7, 8, 9, 10],
    rows: cells.map((c) => [
      shortPersonality(c.personality), c.strategy, c.mode, si(c.sharedPerSec),
      `${((c.sharedPerSec / (base(c)?.sharedPerSec ?? c.sharedPerSec)) * 100).toFixed(0)} %`, c.sharedSimNs.toFixed(0),
      si(c.exclusivePerSec), c.exclusiveSimNs.toFixed(0), c.protChangesPerFix.toFixed(2), int(c.vmasHeld), bytes(c.kernelBytesHeld),
    ]),
    notes: [
      `A pool of ${SLOTS} slots over a resident tmpfs file, ${HOT} hot pages cycled; exclusive = a shadow copy per fix, unfixed unchanged.`,
      '"off": no checks; "debug": handle generations (no protection); "guard": every handle access a load or store through the ' +
      'simulated MMU, unfixed pages PROT_NONE, read fixes read-only (bufferpool/guard.ts).',
      `VMAs / kernel bytes: the process's map count and VMA + page-table bytes while every other one of ${2 * HELD} hot pages is ` +
      'held fixed shared, so protections alternate: linux-2.6 with perPageProt keeps the window one VMA, the others split.',
    ],
  };
}

function dirtyTable(cells: DirtyCell[]): TableSpec {
  return {
    title: 'Write-fault dirty tracking vs explicit marking (half the exclusive fixes store; commit every 8, checkpoint every 1024)',
    columns: ['strategy', 'tracking', 'fixes/s', 'write faults /1k', 'installs /1k', 'write-back /1k fixes', 'mprotect /1k'],
    rightAlign: [2, 3, 4, 5, 6],
    rows: cells.map((c) => [c.strategy, c.tracking, si(c.fixesPerSec), c.writeFaultsPer1k.toFixed(0), c.installsPer1k.toFixed(0),
      bytes(c.writeBackBytesPer1k), c.protChangesPer1k.toFixed(0)]),
    notes: [
      `${DIRTY_FIXES} exclusive fixes over ${HOT} hot pages on linux-2.6 with perPageProt. "cautious": the caller says dirtied for ` +
      'every exclusive fix (it cannot tell); "exact": only when it stored (the ideal a missed flag falls short of); "write-fault": ' +
      'the caller says nothing, the first store through writeOffset() faults and marks the page.',
    ],
  };
}

function tpcbTable(cells: TpcbCell[]): TableSpec {
  return {
    title: `TPC-B-like through the engine, guard and write-fault tracking on and off (${int(TPCB_TX)} transactions, sync off)`,
    columns: ['kernel', 'strategy', 'mode', 'tx/s', 'sim µs/tx', 'minor faults/tx', 'mprotect/tx', 'write faults/tx', 'VMAs', 'checks'],
    rightAlign: [3, 4, 5, 6, 7, 8],
    rows: cells.map((c) => [shortPersonality(c.personality), c.strategy, c.mode, si(c.txPerSec), c.simUsPerTx.toFixed(2), c.minorFaultsPerTx.toFixed(2),
      c.protChangesPerTx.toFixed(1), c.writeFaultsPerTx.toFixed(2), int(c.vmas), c.checksOk ? 'ok' : 'FAILED']),
    notes: [
      `scale ${TPCB_PARAMS.scale}, ${int(TPCB_PARAMS.accountsPerBranch)} accounts, pool ${SLOTS} pages, 128 MiB RAM, perPageProt; ` +
      'after a 200-transaction warm-up (and one unrecorded cell first, for the JIT). The same work in every row (same seed, one ' +
      'terminal); tx/s is host wall clock (noisy between rows), sim µs/tx the simulated kernel time (deterministic). ' +
      'Write faults are SIGSEGVs the pool handles (each charged signalDeliver, 1.5 µs, estimated); they count as minor faults too.',
    ],
  };
}

export const guardReport: ReportBench = {
  kind: 'report',
  id: 'guard',
  title: 'Per-page protection in the buffer pool: guard mode and write-fault dirty tracking, cost per strategy × personality',
  config: `perPageProt kernel, ${RAM / MiB} MiB RAM, ${SLOTS} slots, CLOCK; personality ${PERSONALITIES.join(' | ')}`,
  run(log): ReportOutput {
    const hits: HitCell[] = [];
    for (const pers of PERSONALITIES) {
      for (const s of STRATEGIES) {
        for (const m of HIT_MODES) {
          const c = hitCell(pers, s, m);
          log(`  guard: hit ${pers} ${s} ${m}: ${si(c.sharedPerSec)} shared fixes/s, ${c.vmasHeld} VMAs held`);
          hits.push(c);
        }
      }
    }
    const dirty: DirtyCell[] = [];
    for (const s of STRATEGIES) {
      for (const tr of ['explicit (cautious)', 'explicit (exact)', 'write-fault'] as const) {
        const c = dirtyCell(s, tr);
        log(`  guard: dirty ${s} ${tr}: ${bytes(c.writeBackBytesPer1k)} written back per 1k fixes`);
        dirty.push(c);
      }
    }
    const tx: TpcbCell[] = [];
    tpcbCell('linux-2.6', 'nonlinear', 'off'); // warm the JIT: the first cell would pay for it
    for (const s of STRATEGIES) {
      for (const m of TPCB_MODES) {
        const c = tpcbCell('linux-2.6', s, m);
        log(`  guard: tpcb 2.6 ${s} ${m}: ${si(c.txPerSec)} tx/s, ${c.protChangesPerTx.toFixed(1)} mprotect/tx`);
        tx.push(c);
      }
    }
    for (const m of ['off', 'guard'] as const) tx.push(tpcbCell('linux-4.0', 'nonlinear', m));
    return { tables: [hitTable(hits), dirtyTable(dirty), tpcbTable(tx)], data: { hits, dirty, tpcb: tx } };
  },
};
