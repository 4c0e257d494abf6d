/**
 * What the child (child.ts) and the parent (round.ts) say to each other.
 *
 * Parent → child: one JSON argument, ChildJob. Child → parent: one line per event on
 * stdout, each written with a synchronous write(2) before the child goes on, so the
 * last line the parent reads after the child died is the last thing the child had
 * done (the pipe keeps what was written before the kill):
 *
 *   opening        about to open the database (recovery of the last kill runs now)
 *   start N        open; the next transaction is N (rows 1..N-1 are present)
 *   auto N         transaction N is expected to cross checkpointBytes, so its commit
 *                  runs an automatic checkpoint (remapdb only; a prediction)
 *   ack N          transaction N's commit returned
 *   ckpt N         an explicit checkpoint after transaction N begins
 *   ckpt-done N    … and returned
 *   idle N         the child reached its limit after N and waits to be killed
 *
 * stderr carries the child's errors; it is shown when a child dies on its own.
 */

import type { KillConfig } from './configs.js';

export interface ChildJob {
  config: KillConfig;
  dir: string;
  /** remapdb's checkpointBytes; SQLite's wal_autocheckpoint is the same bytes in pages. */
  checkpointBytes: number;
  /** Run an explicit checkpoint after every this many commits (0: never). */
  checkpointEvery: number;
  /** Stop committing after this transaction (the parent kills before; a bound, not a plan). */
  lastKey: number;
}

export type ChildEvent =
  | { kind: 'opening' }
  | { kind: 'start' | 'auto' | 'ack' | 'ckpt' | 'ckpt-done' | 'idle'; n: number };

const LINE = /^(opening|start|auto|ack|ckpt|ckpt-done|idle)(?: (\d+))?$/;

/** The event a line reports; null for a line that is none (a bug in the child). */
export function parseEvent(line: string): ChildEvent | null {
  const m = LINE.exec(line);
  if (m === null) return null;
  const kind = m[1] as ChildEvent['kind'];
  if (kind === 'opening') return m[2] === undefined ? { kind } : null;
  if (m[2] === undefined) return null;
  return { kind, n: Number(m[2]) };
}

export function formatEvent(e: ChildEvent): string {
  return e.kind === 'opening' ? 'opening\n' : `${e.kind} ${e.n}\n`;
}

/**
 * Where the child was when it died, from the last line it wrote: 'startup' (before it
 * opened anything), 'open' (opening or recovering), 'commit' (between commits or in one),
 * 'auto-checkpoint' (in a commit predicted to checkpoint), 'checkpoint' (in an explicit
 * one), 'idle'.
 */
export type Phase = 'startup' | 'open' | 'commit' | 'auto-checkpoint' | 'checkpoint' | 'idle';
export const PHASES: readonly Phase[] = ['startup', 'open', 'commit', 'auto-checkpoint', 'checkpoint', 'idle'];

export function phaseAfter(last: ChildEvent | null): Phase {
  if (last === null) return 'startup';
  switch (last.kind) {
    case 'opening': return 'open';
    case 'auto': return 'auto-checkpoint';
    case 'ckpt': return 'checkpoint';
    case 'idle': return 'idle';
    case 'start': case 'ack': case 'ckpt-done': return 'commit';
  }
}
