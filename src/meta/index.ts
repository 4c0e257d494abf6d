/**
 * src/meta — what a program can know about remapdb without loading the engine: the
 * package's version and root, the configuration profiles' names, the log levels and the
 * logger. The CLI builds its parser and prints `--help` from this face and src/errors.ts
 * alone, so `remapdb --help` loads neither the kernel nor the storage engine (issue 18:
 * start-up); a command's own module and the configuration loader come when it runs.
 *
 * Invariant: nothing here imports sim-kernel, bufferpool, storage, zod or pino at load.
 */

export { configDir, listProfiles } from '../config/profiles.js';
export { createLogger, LOG_LEVELS, type Logger, type LogLevel } from '../config/log.js';
export { packageRoot, packageVersion } from '../config/package-root.js';
