/**
 * The measured loop of a cell: terminals take turns (one transaction at a time — every
 * engine compared has one writer), each transaction timed into its type's histogram,
 * outcomes counted, warm-up run but not counted, stop by duration or by count, a
 * progress line every few seconds and one sample per second of the figures that change
 * over time.
 *
 * Invariants:
 *  1. Every step() of the measured phase lands in exactly one of committed, rolledBack
 *     or errors of exactly one type (or of 'unattributed' errors when a terminal that
 *     threw could not say its type), and in that type's histogram.
 *  2. The warm-up's outcomes are kept apart (warmup*), but count toward the
 *     committed-since-load totals the consistency checks compare with.
 *  3. Timing reads performance.now() twice per transaction; nothing is allocated per
 *     transaction.
 *  4. The loop yields to the event loop every YIELD_MS (between transactions, never
 *     inside one), so a live inspection socket is answered during the run; the time an
 *     answer takes is part of the phase, as a pg_buffercache query's would be.
 */

import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

import type { Terminal, TxType } from '../workloads/types.js';
import { type Histogram, newHistogram } from './histogram.js';
import type { RunLimits } from './types.js';

/** A run stops itself after this many errors when they are more than 1 % of its transactions. */
export const MAX_ERRORS = 100;
/** How often the loop looks at the clock for progress and samples (transactions). */
const CLOCK_EVERY = 64;
/** How often the loop lets the event loop run (ms). */
export const YIELD_MS = 50;

export interface PhaseCounts {
  committed: Float64Array;
  rolledBack: Float64Array;
  errors: Float64Array;
  /** Errors of a terminal that threw without telling its type. */
  unattributed: number;
  errorSamples: string[];
  transactions: number;
  seconds: number;
}

export interface Measured {
  warmup: PhaseCounts;
  run: PhaseCounts;
  histograms: Histogram[];
  /** The run stopped early: why. */
  aborted: string | null;
}

function counts(n: number): PhaseCounts {
  return {
    committed: new Float64Array(n), rolledBack: new Float64Array(n), errors: new Float64Array(n), unattributed: 0,
    errorSamples: [], transactions: 0, seconds: 0,
  };
}

export interface MeasureHooks {
  /** Called about once a second of the measured phase with the seconds elapsed. */
  sample?: (second: number, committed: number) => void;
  /** A progress line (stderr). */
  progress?: (line: string) => void;
  /** Called between transactions about every CLOCK_EVERY steps with the phase and its elapsed seconds and transactions. */
  tick?: (phase: 'warmup' | 'run', seconds: number, transactions: number) => void;
  /** Checked with the clock: true ends the phase early (Ctrl-C in `remapdb serve`). Not an abort. */
  stop?: () => boolean;
  /** Called once after the warm-up, just before the measured phase starts. */
  startMeasure?: () => void;
}

/**
 * Run `terminals` through a warm-up then a measured phase. Errors thrown by a
 * transaction are counted (and the first few kept), not rethrown; after MAX_ERRORS
 * errors making up more than 1 % of the transactions the run stops.
 */
export async function measure(terminals: readonly Terminal[], types: readonly TxType[], limits: RunLimits, label: string,
  hooks: MeasureHooks = {}): Promise<Measured> {
  if (terminals.length === 0) throw new RangeError('measure: at least one terminal');
  const histograms = types.map(() => newHistogram());
  const m: Measured = { warmup: counts(types.length), run: counts(types.length), histograms, aborted: null };
  const step = (c: PhaseCounts, term: Terminal, record: boolean): void => {
    const t0 = performance.now();
    let type = -1;
    let failed = false;
    try {
      type = term.step();
    } catch (err) {
      failed = true;
      type = term.lastType ?? -1;
      if (c.errorSamples.length < 5) c.errorSamples.push(err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err));
    }
    const ns = (performance.now() - t0) * 1e6;
    c.transactions++;
    if (type < 0 || type >= types.length) {
      c.unattributed++;
      return;
    }
    if (record) (histograms[type] as Histogram).recordValue(ns < 100 ? 100 : Math.round(ns));
    const into = failed ? c.errors : term.rolledBack ? c.rolledBack : c.committed;
    into[type] = (into[type] as number) + 1;
  };
  const errorsOf = (c: PhaseCounts): number => c.unattributed + c.errors.reduce((a, b) => a + b, 0);
  const committedOf = (c: PhaseCounts): number => c.committed.reduce((a, b) => a + b, 0);
  const phase = async (c: PhaseCounts, seconds: number, maxTx: number, record: boolean): Promise<void> => {
    const start = performance.now();
    let nextYield = start + YIELD_MS;
    const endMs = seconds > 0 ? start + seconds * 1000 : Infinity;
    let nextProgress = limits.progressSeconds > 0 ? start + limits.progressSeconds * 1000 : Infinity;
    let nextSample = start + 1000;
    let i = 0;
    for (;;) {
      step(c, terminals[i % terminals.length] as Terminal, record);
      i++;
      if (maxTx > 0 && i >= maxTx) break;
      if (i % CLOCK_EVERY !== 0) continue;
      let now = performance.now();
      if (now >= nextYield) {
        await yieldToLoop();
        now = performance.now();
        nextYield = now + YIELD_MS;
      }
      hooks.tick?.(record ? 'run' : 'warmup', (now - start) / 1000, i);
      if (now >= endMs || hooks.stop?.() === true) break;
      const errs = errorsOf(c);
      if (errs >= MAX_ERRORS && errs > i / 100) {
        m.aborted = `${errs} errors in ${i} transactions (first: ${c.errorSamples[0] ?? '?'})`;
        break;
      }
      if (record && now >= nextSample) {
        hooks.sample?.(Math.round((now - start) / 1000), committedOf(c));
        nextSample += 1000;
      }
      if (now >= nextProgress) {
        const s = (now - start) / 1000;
        hooks.progress?.(`${label}: ${record ? 'run' : 'warm-up'} ${s.toFixed(0)} s, ${i} tx, ` +
          `${Math.round(i / s)} tx/s, ${committedOf(c)} committed, ${errs} errors`);
        nextProgress += limits.progressSeconds * 1000;
      }
    }
    c.seconds = (performance.now() - start) / 1000;
  };
  if (limits.warmupSeconds > 0) await phase(m.warmup, limits.warmupSeconds, 0, false);
  if (m.aborted === null) {
    hooks.startMeasure?.();
    await phase(m.run, limits.durationSeconds, limits.transactions, true);
  }
  return m;
}
