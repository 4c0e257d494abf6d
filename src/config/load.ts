/**
 * Loading the effective remapdb configuration.
 *
 * Layers, lowest precedence first (each deep-merged over the ones before):
 *   1. config/default.json                        (in the package, not the cwd)
 *   2. config/profiles/<name>.json                opts.profile, else $REMAPDB_PROFILE
 *   3. a JSON file                                opts.file, else $REMAPDB_CONFIG (relative to the cwd)
 *   4. REMAPDB_<KEY_PATH> environment variables   opts.env, else process.env (see env.ts)
 *   5. opts.overrides                             (the CLI's flags)
 *
 * Then: cost entries whose `ns` was overridden by a later layer than their `source`
 * get the source "set by <layer>"; the zod schema validates the whole tree (strict);
 * sim-kernel's resolveKernelConfig checks the kernel section again. Every failure is
 * a ConfigError with a one-line message naming key path, value, origin and what is
 * allowed.
 */

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { COST_EVENTS, resolveKernelConfig, type CostModel, type KernelConfig } from '../../sim-kernel/index.js';
import { CodedError } from '../../sim-kernel/index.js';
import { configDir, errText, listProfiles } from './profiles.js';
import { ENV_CONFIG, ENV_PROFILE, envLayers, envValue } from './env.js';
import { ConfigError } from './errors.js';
import { isPlainObject, mergeLayers, originIndexOf, type Layer, type Merged } from './merge.js';
import { configSchema, type RemapdbConfig } from './schema.js';

export interface LoadOptions {
  /** Profile name (config/profiles/<name>.json); default $REMAPDB_PROFILE. */
  profile?: string | undefined;
  /** Path of a JSON config file, relative to the cwd; default $REMAPDB_CONFIG. */
  file?: string | undefined;
  /** Environment to read REMAPDB_* from; default process.env. Pass {} to ignore it. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Highest-precedence partial config, e.g. from command-line flags. */
  overrides?: object | undefined;
  /** Name of the overrides layer in messages and origins; default "overrides" (the CLI: "flags"). */
  overridesOrigin?: string | undefined;
}

export interface ResolvedConfig {
  readonly config: RemapdbConfig;
  /** The kernel section as sim-kernel takes it (costs as plain ns). */
  readonly kernel: KernelConfig;
  readonly profile: string | undefined;
  /** Absolute path of the config file used, if any. */
  readonly file: string | undefined;
  /** Origins of the layers applied, lowest precedence first. */
  readonly layers: readonly string[];
  /** Which layer set a dotted key path ("default", "profile test-min", "env REMAPDB_KERNEL_SEED", ...). */
  originOf(path: string): string | undefined;
}


/** " (line 2, column 5)" for a JSON.parse message that gives "at position N". */
function jsonPosition(text: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  if (m === null || /line \d+/.test(message)) return '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return ` (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
}

function readJsonLayer(path: string, origin: string): Layer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('REMAPDB_CONFIG_FILE', `config: cannot read config file ${path}: ${errText(err)}`,
      { cause: err, details: { path, origin } });
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ConfigError('REMAPDB_CONFIG_FILE',
      `config: ${path} is not valid JSON: ${errText(err)}${jsonPosition(text, errText(err))}`, { cause: err, details: { path, origin } });
  }
  if (!isPlainObject(data)) {
    throw new ConfigError('REMAPDB_CONFIG_INVALID',
      `config: ${path} holds ${Array.isArray(data) ? 'an array' : JSON.stringify(data)}; allowed: a JSON object such as {"kernel": {...}}`,
      { details: { path, origin } });
  }
  return { origin, data };
}

function profileLayer(name: string, via: string): Layer {
  const available = listProfiles();
  if (!available.includes(name)) {
    throw new ConfigError('REMAPDB_CONFIG_PROFILE_UNKNOWN',
      `config: unknown profile ${JSON.stringify(name)}${via}; available profiles: ${available.join(', ')}`,
      { details: { profile: name, available } });
  }
  return readJsonLayer(join(configDir(), 'profiles', `${name}.json`), `profile ${name}${via}`);
}

/** The data of one profile as written (not merged over the default); throws ConfigError. */
export function readProfile(name: string): Readonly<Record<string, unknown>> {
  return profileLayer(name, '').data;
}

/** A later layer that changed a cost's ns without giving its source invalidates the old source. */
function fixCostSources(merged: Merged, layers: readonly Layer[]): void {
  const costs = (merged.data['kernel'] as Record<string, unknown> | undefined)?.['costs'];
  if (!isPlainObject(costs)) return;
  for (const ev of COST_EVENTS) {
    const entry = costs[ev];
    if (!isPlainObject(entry)) continue;
    const nsFrom = originIndexOf(merged.origins, `kernel.costs.${ev}.ns`) ?? -1;
    const sourceFrom = originIndexOf(merged.origins, `kernel.costs.${ev}.source`) ?? -1;
    if (nsFrom > sourceFrom) entry['source'] = `no source given (set by ${layers[nsFrom]?.origin ?? 'a later layer'})`;
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function valueAt(tree: unknown, path: readonly PropertyKey[]): unknown {
  let node = tree;
  for (const key of path) node = isPlainObject(node) && typeof key === 'string' && Object.hasOwn(node, key) ? node[key] : undefined;
  return node;
}

/** One refused key: where, what, what is allowed, who set it, and the one-line description. */
interface Problem {
  key: string;
  value: unknown;
  allowed: string;
  origin: string | undefined;
  message: string;
}

function problem(key: string, value: unknown, allowed: string, origin: string | undefined, what = 'is invalid'): Problem {
  const from = origin === undefined ? '' : ` (set by ${origin})`;
  const message = value === undefined ? `${key} is missing${from}; allowed: ${allowed}`
    : `${key} = ${show(value)} ${what}${from}; allowed: ${allowed}`;
  return { key, value, allowed, origin, message };
}

/** One problem per offending key, in the schema's order. */
function problems(issues: readonly z.core.$ZodIssue[], merged: Merged, layers: readonly Layer[]): Problem[] {
  const originOf = (path: string): string | undefined => {
    const i = originIndexOf(merged.origins, path);
    return i === undefined ? undefined : layers[i]?.origin;
  };
  const out: Problem[] = [];
  for (const iss of issues) {
    const base = iss.path.map(String);
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) {
        const path = [...base, key].join('.');
        out.push(problem(path, valueAt(merged.data, [...base, key]), iss.message, originOf(path), 'is not a known key'));
      }
    } else {
      const path = base.join('.') || '(top level)';
      out.push(problem(path, valueAt(merged.data, iss.path), iss.message, originOf(path)));
    }
  }
  return out;
}

function invalid(found: readonly Problem[], details: Record<string, unknown>, cause?: unknown): ConfigError {
  const [first, ...rest] = found;
  const more = rest.length === 0 ? '' : ` (and ${rest.length} more: ${rest.map((p) => p.key).join(', ')})`;
  return new ConfigError('REMAPDB_CONFIG_INVALID', `config: ${first?.message ?? 'invalid'}${more}`, {
    cause,
    details: { ...details, key: first?.key, value: first?.value, allowed: first?.allowed, origin: first?.origin, problems: found },
  });
}

/** The kernel section as sim-kernel's KernelConfig, checked by resolveKernelConfig. */
export function toKernelConfig(cfg: RemapdbConfig): KernelConfig {
  const { costs, ...rest } = cfg.kernel;
  const ns = Object.fromEntries(COST_EVENTS.map((ev) => [ev, costs[ev].ns])) as CostModel;
  return resolveKernelConfig({ ...rest, costs: ns });
}

export function resolveConfig(opts: LoadOptions = {}): ResolvedConfig {
  const env = opts.env ?? process.env;
  const defaults = readJsonLayer(join(configDir(), 'default.json'), 'default');
  const layers: Layer[] = [defaults];

  const envProfile = envValue(env, ENV_PROFILE);
  const profile = opts.profile ?? envProfile;
  if (profile !== undefined) layers.push(profileLayer(profile, opts.profile === undefined ? ` (from ${ENV_PROFILE})` : ''));

  const fileArg = opts.file ?? envValue(env, ENV_CONFIG);
  const file = fileArg === undefined ? undefined : resolve(fileArg);
  if (file !== undefined) layers.push(readJsonLayer(file, `file ${file}${opts.file === undefined ? ` (from ${ENV_CONFIG})` : ''}`));

  layers.push(...envLayers(env, defaults.data));
  if (opts.overrides !== undefined) {
    if (!isPlainObject(opts.overrides)) {
      throw new ConfigError('REMAPDB_CONFIG_INVALID', `config: overrides = ${show(opts.overrides)} is invalid; allowed: a plain object`);
    }
    layers.push({ origin: opts.overridesOrigin ?? 'overrides', data: opts.overrides });
  }

  const merged = mergeLayers(layers);
  fixCostSources(merged, layers);
  const parsed = configSchema().safeParse(merged.data);
  if (!parsed.success) throw invalid(problems(parsed.error.issues, merged, layers), { layers: layers.map((l) => l.origin) });

  let kernel: KernelConfig;
  try {
    kernel = toKernelConfig(parsed.data);
  } catch (err) {
    // Second line of defence: the schema should already refuse what sim-kernel refuses.
    if (!(err instanceof CodedError)) throw err;
    const key = `kernel.${String(err.details['key'])}`;
    throw invalid([problem(key, err.details['value'], String(err.details['allowed']), undefined)], {}, err);
  }

  return {
    config: parsed.data,
    kernel,
    profile,
    file,
    layers: layers.map((l) => l.origin),
    originOf: (path) => {
      const i = originIndexOf(merged.origins, path);
      return i === undefined ? undefined : layers[i]?.origin;
    },
  };
}

/** The effective configuration; throws ConfigError. See resolveConfig for layers and origins. */
export function loadConfig(opts: LoadOptions = {}): RemapdbConfig {
  return resolveConfig(opts).config;
}
