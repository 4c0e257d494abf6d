/**
 * Progress bars (cli-progress) for loads and benchmark cells, on stderr, only when a
 * person is watching: stderr is a terminal, not --json, not CI. Otherwise the events are
 * dropped and the log lines are printed as they come, so CI logs stay plain.
 *
 * One bar per load or cell, in order; a log line printed while a bar is drawn goes
 * above it (MultiBar.log) instead of tearing it.
 */

import cliProgress from 'cli-progress';

import type { ProgressEvent } from '../../bench/harness/progress.js';
import { int } from '../../bench/lib/format.js';

export interface Progress {
  /** A progress event: draws or advances the bar of its load or cell. */
  event(e: ProgressEvent): void;
  /** A log line (stderr), printed above the bars. */
  log(line: string): void;
  stop(): void;
}

/** Whether bars make sense here. */
export function wantBars(json: boolean, env: NodeJS.ProcessEnv = process.env, stream: NodeJS.WriteStream = process.stderr): boolean {
  return !json && stream.isTTY && (env.CI === undefined || env.CI === '' || env.CI === 'false') && env.TERM !== 'dumb';
}

export function createProgress(enabled: boolean, quiet = false): Progress {
  const write = (line: string): void => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  if (!enabled) return { event: () => undefined, log: write, stop: () => undefined };
  const multi = new cliProgress.MultiBar({
    stream: process.stderr, hideCursor: true, clearOnComplete: false, stopOnComplete: false, barsize: 30, fps: 8,
    format: '{name} |{bar}| {percentage}% {detail}', autopadding: true,
  }, cliProgress.Presets.shades_classic);
  let key = '';
  let bar: cliProgress.SingleBar | null = null;
  const finish = (): void => {
    if (bar === null) return;
    bar.update(bar.getTotal());
    bar.stop();
    bar = null;
  };
  return {
    event(e): void {
      const k = e.kind === 'load' ? `load ${e.workload} ${e.engine}` : `${e.label} ${e.phase}`;
      const total = e.kind === 'load' ? e.total : e.phaseSeconds > 0 ? Math.round(e.phaseSeconds * 10) : e.maxTransactions;
      const value = e.kind === 'load' ? e.done : e.phaseSeconds > 0 ? Math.round(e.seconds * 10) : e.transactions;
      const detail = e.kind === 'load'
        ? `${int(e.done)} of ${int(e.total)} rows`
        : `${e.seconds.toFixed(0)} s, ${int(e.transactions)} tx (${int(e.transactions / Math.max(e.seconds, 1e-3))} tx/s)`;
      const name = e.kind === 'load' ? `load ${e.workload} on ${e.engine}` : `${e.label} ${e.phase === 'warmup' ? 'warm-up' : 'run'}`;
      if (k !== key) {
        finish();
        key = k;
        bar = multi.create(Math.max(total, 1), 0, { name, detail });
      }
      bar?.setTotal(Math.max(total, 1));
      bar?.update(Math.min(value, Math.max(total, 1)), { name, detail });
    },
    log(line): void {
      if (!quiet) multi.log(`${line}\n`);
    },
    stop(): void {
      finish();
      multi.stop();
    },
  };
}
