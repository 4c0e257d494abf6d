/**
 * The remapdb logger: pino, writing JSON lines to stderr (fd 2) and nowhere else.
 *
 * Why stderr only: stdout carries command output (`remapdb config --json | jq`), so a
 * log line there would corrupt it. Why synchronous: the CLI logs little and often
 * exits right after; an async buffer could lose the last lines on process exit.
 */

import { createRequire } from 'node:module';
import type { Logger, pino as Pino } from 'pino';

/** pino's levels, most to least severe; 'silent' turns logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type { Logger };

const STDERR_FD = 2;

/** pino is loaded on the first createLogger(): `import('remapdb')` and `remapdb --help` never log. */
let pinoLoaded: typeof Pino | undefined;

export function createLogger(opts: { level: LogLevel; name?: string }): Logger {
  pinoLoaded ??= (createRequire(import.meta.url)('pino') as { pino: typeof Pino }).pino;
  const pino = pinoLoaded;
  return pino({ level: opts.level, name: opts.name ?? 'remapdb' }, pino.destination({ fd: STDERR_FD, sync: true }));
}
