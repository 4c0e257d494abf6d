/**
 * Deep merge of configuration layers, remembering which layer set each key.
 *
 * A layer is plain JSON-like data plus an origin ("default", "profile test-min",
 * "file /etc/remapdb.json", "env REMAPDB_KERNEL_SEED", "overrides"). Layers merge in
 * order, later over earlier: objects merge key by key, anything else (numbers,
 * strings, arrays) replaces.
 *
 * Invariants:
 * 1. No input is mutated or aliased: the result is a fresh tree, so the caller's
 *    overrides object and a cached layer stay as they were.
 * 2. Keys are copied as own data properties, so a JSON key "__proto__" stays an
 *    ordinary (and then refused, unknown) key instead of changing a prototype.
 * 3. Every leaf path of the result has an origin: the index of the last layer that
 *    set it (or set an ancestor that replaced a whole subtree).
 * 4. Nesting is bounded (MAX_DEPTH); deeper data is refused, never recursed into.
 */

import { ConfigError } from './errors.js';

export interface Layer {
  /** Human-readable name of where the data came from, used in error messages. */
  readonly origin: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Merged {
  readonly data: Record<string, unknown>;
  /** Dotted key path → index into the layers of the last layer that set it. */
  readonly origins: ReadonlyMap<string, number>;
}

/** Config files are 3–4 levels deep (kernel.costs.ioRead.ns); 16 leaves room to grow. */
const MAX_DEPTH = 16;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function tooDeep(origin: string, path: string): ConfigError {
  return new ConfigError('REMAPDB_CONFIG_INVALID',
    `config: ${path} (set by ${origin}) is nested deeper than ${MAX_DEPTH} levels; allowed: the documented keys only`,
    { details: { key: path, origin } });
}

/** Copy `value`, recording `layerIndex` as the origin of every path under `path`. */
function cloneRecording(value: unknown, path: string, layerIndex: number, origins: Map<string, number>, depth: number,
  origin: string): unknown {
  origins.set(path, layerIndex);
  if (Array.isArray(value)) return [...(value as unknown[])];
  if (!isPlainObject(value)) return value;
  if (depth >= MAX_DEPTH) throw tooDeep(origin, path);
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    setOwn(out, key, cloneRecording(child, joinPath(path, key), layerIndex, origins, depth + 1, origin));
  }
  return out;
}

function forgetBelow(origins: Map<string, number>, path: string): void {
  const prefix = `${path}.`;
  for (const key of [...origins.keys()]) if (key.startsWith(prefix)) origins.delete(key);
}

function mergeInto(target: Record<string, unknown>, src: Readonly<Record<string, unknown>>, layerIndex: number,
  origin: string, path: string, origins: Map<string, number>, depth: number): void {
  if (depth >= MAX_DEPTH) throw tooDeep(origin, path);
  for (const [key, value] of Object.entries(src)) {
    const childPath = joinPath(path, key);
    const current = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isPlainObject(value) && isPlainObject(current)) {
      mergeInto(current, value, layerIndex, origin, childPath, origins, depth + 1);
    } else {
      forgetBelow(origins, childPath);
      setOwn(target, key, cloneRecording(value, childPath, layerIndex, origins, depth + 1, origin));
    }
  }
}

export function mergeLayers(layers: readonly Layer[]): Merged {
  const data: Record<string, unknown> = {};
  const origins = new Map<string, number>();
  layers.forEach((layer, i) => mergeInto(data, layer.data, i, layer.origin, '', origins, 0));
  return { data, origins };
}

/** The origin index of `path`: its own, else its nearest ancestor's; undefined if never set. */
export function originIndexOf(origins: ReadonlyMap<string, number>, path: string): number | undefined {
  for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const i = origins.get(p);
    if (i !== undefined) return i;
  }
  return undefined;
}

/** Every leaf (non-object value) of a tree as [dotted path, value], in key order. */
export function leaves(tree: Readonly<Record<string, unknown>>, path = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(tree)) {
    const childPath = joinPath(path, key);
    if (isPlainObject(value)) out.push(...leaves(value, childPath));
    else out.push([childPath, value]);
  }
  return out;
}

/** A tree holding one value at a dotted path: ('kernel.seed', 7) → { kernel: { seed: 7 } }. */
export function treeAt(path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let tree: unknown = value;
  for (let i = keys.length - 1; i >= 0; i--) {
    const node: Record<string, unknown> = {};
    setOwn(node, keys[i] ?? '', tree);
    tree = node;
  }
  return tree as Record<string, unknown>;
}
