/**
 * Where the configuration lives (config/ in the package) and which profiles it has:
 * what the CLI needs to print its help, kept apart from the loader (load.ts), which
 * brings the schema and the kernel's defaults with it.
 */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { packageRoot } from './package-root.js';

export function configDir(): string {
  return join(packageRoot(), 'config');
}

/** Names of the profiles in config/profiles/, sorted. */
export function listProfiles(): string[] {
  const dir = join(configDir(), 'profiles');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new ConfigError('REMAPDB_CONFIG_FILE', `config: cannot list profiles in ${dir}: ${errText(err)}`, { cause: err, details: { path: dir } });
  }
  return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)).sort();
}

/** A file-system error's message without Node's trailing ", open '/path'" (the caller names the path). */
export function errText(err: unknown): string {
  return err instanceof Error ? err.message.replace(/, \w+ '[^']*'$/, '') : String(err);
}
