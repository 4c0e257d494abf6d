/**
 * The kill test's log: pino JSON lines on stderr (fd 2), synchronously — stdout carries
 * only the table or the JSON, and a run that ends in process.exit keeps its last lines.
 * (src/config's createLogger is the same; reliability reaches src only through its
 * package entry, which does not export it.)
 */

import { type Logger, pino } from 'pino';

export type { Logger };

const STDERR_FD = 2;

export function killLogger(level: string): Logger {
  return pino({ level, name: 'kill' }, pino.destination({ fd: STDERR_FD, sync: true }));
}
