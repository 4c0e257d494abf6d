/**
 * Environment variables that configure remapdb.
 *
 * - REMAPDB_PROFILE=<name>  picks a profile (a --profile flag / `profile` option wins).
 * - REMAPDB_CONFIG=<file>   picks a config file (a --config flag / `file` option wins).
 * - REMAPDB_<KEY_PATH>=<v>  sets one key: the dotted path in UPPER_SNAKE_CASE, e.g.
 *   kernel.ramBytes → REMAPDB_KERNEL_RAM_BYTES, log.level → REMAPDB_LOG_LEVEL,
 *   kernel.costs.ioRead.ns → REMAPDB_KERNEL_COSTS_IO_READ_NS.
 *
 * The settable keys are the leaves of config/default.json, so a new section gets its
 * variables with no code here. A value is a number where the default is a number (if
 * it parses as one), true/false where the default is a boolean ('true' or 'false');
 * otherwise it is passed on as text and the schema names it. An
 * empty value counts as unset. A REMAPDB_<SECTION>_* variable that names no key is
 * refused, so a misspelt variable is never silently ignored; other REMAPDB_* names
 * are left alone for other tools.
 */

import { ConfigError } from './errors.js';
import { leaves, treeAt, type Layer } from './merge.js';

export const ENV_PROFILE = 'REMAPDB_PROFILE';
export const ENV_CONFIG = 'REMAPDB_CONFIG';
const PREFIX = 'REMAPDB_';

/** 'ramBytes' → 'RAM_BYTES'; 'ioRead' → 'IO_READ'; 'x86_64' stays 'X86_64'. */
function upperSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase();
}

export function envNameOf(path: string): string {
  return PREFIX + path.split('.').map(upperSnake).join('_');
}

/** Read a non-empty variable; empty counts as unset. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

function parseAs(defaultValue: unknown, text: string): unknown {
  // Without this, REMAPDB_BUFFERPOOL_GUARD=true reached the schema as the string "true" and was refused.
  if (typeof defaultValue === 'boolean') return text.trim() === 'true' ? true : text.trim() === 'false' ? false : text;
  if (typeof defaultValue !== 'number') return text;
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/** Edit distance, for "did you mean"; names are short (< 64 chars) so O(n·m) is fine. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * One layer per REMAPDB_<KEY_PATH> variable that is set, in the order of the
 * defaults' keys. `defaults` is the default layer, whose leaves are the settable keys.
 */
export function envLayers(env: NodeJS.ProcessEnv, defaults: Readonly<Record<string, unknown>>): Layer[] {
  const settable = new Map<string, [path: string, defaultValue: unknown]>();
  for (const [path, value] of leaves(defaults)) settable.set(envNameOf(path), [path, value]);
  const sectionPrefixes = Object.keys(defaults).map((s) => `${envNameOf(s)}_`);

  for (const name of Object.keys(env).sort()) {
    if (settable.has(name) || !sectionPrefixes.some((p) => name.startsWith(p))) continue;
    if (envValue(env, name) === undefined) continue;
    const best = [...settable.keys()].map((k) => [k, distance(name, k)] as const).sort((x, y) => x[1] - y[1])[0];
    const hint = best !== undefined && best[1] <= 3 ? `did you mean ${best[0]}? ` : '';
    throw new ConfigError('REMAPDB_CONFIG_INVALID',
      `config: environment variable ${name} names no setting; ${hint}allowed: REMAPDB_ + a key path in ` +
      'UPPER_SNAKE_CASE (kernel.ramBytes → REMAPDB_KERNEL_RAM_BYTES; `remapdb config` lists the keys)',
      { details: { key: name, value: env[name], origin: `env ${name}` } });
  }

  const layers: Layer[] = [];
  for (const [name, [path, defaultValue]] of settable) {
    const text = envValue(env, name);
    if (text !== undefined) layers.push({ origin: `env ${name}`, data: treeAt(path, parseAs(defaultValue, text)) });
  }
  return layers;
}
