/**
 * src/config — the remapdb configuration: schema, layered loading, errors.
 *
 * loadConfig / resolveConfig  build the effective config (default < profile < file < env < overrides)
 * listProfiles, readProfile   names of config/profiles/*.json; one profile's own data
 * toKernelConfig              the kernel section as sim-kernel's KernelConfig
 * configSchema, configSections  the zod schema (strict, built on first use) and its top-level sections
 * ConfigError                 every failure; codes REMAPDB_CONFIG_*
 * ENV_PROFILE, ENV_CONFIG     the REMAPDB_PROFILE / REMAPDB_CONFIG variable names
 * createLogger, LOG_LEVELS    the pino logger (stderr only) that logging.level configures
 * packageRoot, packageVersion where the package lives (config/ is found from it) and its version
 */

export { loadConfig, readProfile, resolveConfig, toKernelConfig, type LoadOptions, type ResolvedConfig } from './load.js';
export { configDir, listProfiles } from './profiles.js';
export { configSchema, configSections, type CostEntry, type KernelSection, type RemapdbConfig, type SectionName } from './schema.js';
export { CONFIG_ERROR_CODES, ConfigError, type ConfigErrorCode } from './errors.js';
export { ENV_CONFIG, ENV_PROFILE, envNameOf } from './env.js';
export { leaves } from './merge.js';
export { createLogger, LOG_LEVELS, type Logger, type LogLevel } from './log.js';
export { packageRoot, packageVersion } from './package-root.js';
export { type ConfigOpenOptions, OPEN_CONFIG_KEYS, optionsFromConfig } from './open-options.js';
