/**
 * The configuration a CLI command opens a database or builds a machine with: the
 * profile, config file and REMAPDB_* variables (ctx.config) with the command's own flags
 * as the highest layer, and what each key is read by (for `remapdb config`).
 *
 * Precedence, lowest first (README "Configuration"): config/default.json < profile <
 * config file < REMAPDB_* environment < flags. A flag with a yargs default would always
 * win over the environment, so the flags that stand for config keys have no default:
 * absent, the key's value comes from the layers beneath.
 */

import type { RemapdbConfig, ResolvedConfig } from '../src/config/index.js';
import { type StrategyName, UsageError } from '../src/index.js';
import type { CliContext } from './command.js';

/** Flags that stand for config keys; undefined = not given. */
export interface PoolFlags {
  poolPages?: number | undefined;
  strategy?: StrategyName | undefined;
}

/** The flags as a partial config (the "flags" layer). */
export function flagsLayer(f: PoolFlags): object {
  const bufferpool: Record<string, unknown> = {};
  if (f.poolPages !== undefined) bufferpool.slots = f.poolPages;
  if (f.strategy !== undefined) bufferpool.strategy = f.strategy;
  return Object.keys(bufferpool).length === 0 ? {} : { bufferpool };
}

/** Pool slots a command that loads or serves takes: enough for a B+tree walk, within the window's 22 bits. */
export const POOL_PAGES_RANGE = { min: 64, max: 2 ** 22 - 1 } as const;

/**
 * The effective configuration for a command that opens a database, flags included. A bad
 * flag is a usage error naming the flag; a bad value from a lower layer names its layer.
 */
export function engineConfig(ctx: CliContext, f: PoolFlags = {}): ResolvedConfig {
  const { min, max } = POOL_PAGES_RANGE;
  const inRange = (n: number): boolean => Number.isInteger(n) && n >= min && n <= max;
  if (f.poolPages !== undefined && !inRange(f.poolPages)) {
    throw new UsageError(`--pool-pages ${String(f.poolPages)}: an integer from ${min} to ${max}`);
  }
  const resolved = ctx.config(flagsLayer(f));
  const slots = resolved.config.bufferpool.slots;
  if (!inRange(slots)) {
    throw new UsageError(`bufferpool.slots = ${slots}${originNote(resolved, 'bufferpool.slots')}: this command needs an integer from ${min} to ${max} ` +
      '(give --pool-pages)');
  }
  return resolved;
}

/** " (set by env REMAPDB_BUFFERPOOL_SLOTS)" for a key not at its default, for messages. */
export function originNote(resolved: ResolvedConfig, key: string): string {
  const o = resolved.originOf(key);
  return o === undefined || o === 'default' ? '' : ` (set by ${o})`;
}

/** One line for stderr: what a command opens with, so a run says which settings it honoured. */
export function describeEngine(cfg: RemapdbConfig): string {
  const b = cfg.bufferpool;
  return `${b.strategy}, ${b.slots} slots, ${b.policy}${b.guard ? ', guard' : ''}${b.dirtyTracking === 'explicit' ? '' : `, ${b.dirtyTracking} dirty tracking`}; ` +
    `kernel ${cfg.kernel.personality} ${cfg.kernel.arch}, ${(cfg.kernel.ramBytes / 2 ** 20).toFixed(0)} MiB RAM`;
}

/** Commands that open a database through open({ config }): every kernel.* and open()'s bufferpool keys. */
export const OPENING_COMMANDS = ['init', 'load', 'serve', 'check', 'tables', 'schema', 'get', 'scan', 'dump', 'import', 'bench', 'demo'] as const;

/**
 * Who reads a key: the commands, for `remapdb config`. A key no command reads is not
 * shown. bench and demo run a matrix: their strategies, pool sizes, RAM (sized from the
 * pool) and mlock are the matrix's own (bench: --strategies, --pool-pages, --ram-mib,
 * --mlock), so those keys are not theirs; kernel.personality and kernel.arch are their
 * default axes (bench: when --personality / --arch are absent).
 */
export function readersOf(key: string): string[] {
  if (key === 'log.level') return ['every command'];
  const matrix = ['bench', 'demo'];
  const axes = new Set(['bufferpool.strategy', 'bufferpool.slots', 'kernel.ramBytes', 'bufferpool.mlock']);
  const opening = OPENING_COMMANDS.filter((c) => !(matrix.includes(c) && axes.has(key)));
  if (key.startsWith('kernel.')) return [...opening, 'demo --window'];
  if (['bufferpool.strategy', 'bufferpool.slots', 'bufferpool.policy', 'bufferpool.shadowSlots', 'bufferpool.mlock',
    'bufferpool.guard', 'bufferpool.dirtyTracking'].includes(key)) return [...opening];
  return [];
}
