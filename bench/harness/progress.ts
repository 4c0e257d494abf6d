/**
 * Progress of a harness job, from its child process to the parent's progress bars: one
 * stderr line per event, prefixed so the parent tells it from the log (child.ts parses
 * it; anything else on stderr is a log line). Emitted at most every PROGRESS_EVERY_MS.
 */

export const PROGRESS_PREFIX = '@@remapdb-progress ';
export const PROGRESS_EVERY_MS = 250;

export type ProgressEvent =
  | { kind: 'load'; workload: string; engine: string; done: number; total: number }
  | {
    kind: 'cell'; label: string; phase: 'warmup' | 'run'; seconds: number;
    /** The phase's length in seconds (0: count-limited). */
    phaseSeconds: number;
    transactions: number;
    /** The run's transaction limit (0: time-limited). */
    maxTransactions: number;
  };

export function emitProgress(e: ProgressEvent): void {
  process.stderr.write(`${PROGRESS_PREFIX}${JSON.stringify(e)}\n`);
}

/** The event in a stderr line, or null when the line is a log line (or a garbled event). */
export function parseProgress(line: string): ProgressEvent | null {
  if (!line.startsWith(PROGRESS_PREFIX)) return null;
  try {
    const e = JSON.parse(line.slice(PROGRESS_PREFIX.length)) as ProgressEvent;
    return e.kind === 'load' || e.kind === 'cell' ? e : null;
  } catch {
    return null;
  }
}
