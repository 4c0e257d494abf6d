/**
 * ConfigError: a configuration that cannot be loaded or is not valid.
 *
 * Codes (stable; the CLI maps every REMAPDB_CONFIG_* code to exit code 3):
 * - REMAPDB_CONFIG_INVALID          a value or key is refused; details: key, value, allowed, origin
 * - REMAPDB_CONFIG_PROFILE_UNKNOWN  no such profile; details: profile, available
 * - REMAPDB_CONFIG_FILE             a config file cannot be read or is not JSON; details: path
 *
 * Messages are one line and name the key path, the value and what is allowed.
 */

import { CodedError } from '../../sim-kernel/errors.js';

export const CONFIG_ERROR_CODES = [
  'REMAPDB_CONFIG_INVALID',
  'REMAPDB_CONFIG_PROFILE_UNKNOWN',
  'REMAPDB_CONFIG_FILE',
] as const;
export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

export class ConfigError extends CodedError {
  declare readonly code: ConfigErrorCode;
  constructor(code: ConfigErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
  }
}
