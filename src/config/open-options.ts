/**
 * From a loaded configuration to open()'s options: the one place that says which config
 * key reaches which engine option. The library never reads the environment or the config
 * files on its own; a program (or the CLI) loads a configuration with loadConfig() and
 * hands it to open(dir, { config }) or spreads optionsFromConfig(cfg).
 *
 *   config key                 open() option          note
 *   kernel.*                   kernel                 the whole simulated machine (costs as ns)
 *   bufferpool.strategy        strategy
 *   bufferpool.slots           poolPages              default 4096 in both places
 *   bufferpool.policy          policy
 *   bufferpool.shadowSlots     shadowPages            0 = open()'s default, max(1024, poolPages / 4)
 *   bufferpool.mlock           mlock
 *   bufferpool.guard           guard
 *   bufferpool.dirtyTracking   dirtyTracking
 *
 * bufferpool.evictBatch, growPages and debug are not engine options of open() (the pool
 * uses its own values); OPEN_CONFIG_KEYS lists what open() reads so `remapdb config` can
 * show only keys something reads.
 */

import { COST_EVENTS, type CostModel, type KernelConfigInput } from '../../sim-kernel/index.js';
import type { StorageOptions } from '../../storage/index.js';
// Types only: open() must not load zod (the schema) to take a configuration already loaded.
import type { RemapdbConfig } from './schema.js';

/** The options optionsFromConfig sets: storage options plus the machine's kernel configuration. */
export type ConfigOpenOptions = Pick<StorageOptions, 'strategy' | 'policy' | 'poolPages' | 'shadowPages' | 'mlock' | 'guard' | 'dirtyTracking'>
  & { kernel: KernelConfigInput };

/** Config key paths (prefixes) that open() reads through optionsFromConfig. */
export const OPEN_CONFIG_KEYS: readonly string[] = [
  'kernel.', 'bufferpool.strategy', 'bufferpool.slots', 'bufferpool.policy', 'bufferpool.shadowSlots', 'bufferpool.mlock',
  'bufferpool.guard', 'bufferpool.dirtyTracking',
];

/** open()'s options for a loaded configuration (see the table in this file's header). */
export function optionsFromConfig(cfg: RemapdbConfig): ConfigOpenOptions {
  const b = cfg.bufferpool;
  const o: ConfigOpenOptions = {
    strategy: b.strategy, policy: b.policy, poolPages: b.slots, mlock: b.mlock, guard: b.guard, dirtyTracking: b.dirtyTracking,
    kernel: kernelInput(cfg),
  };
  if (b.shadowSlots > 0) o.shadowPages = b.shadowSlots;
  return o;
}

/** The kernel section as sim-kernel takes it: costs as plain ns (as toKernelConfig, without validating again). */
function kernelInput(cfg: RemapdbConfig): KernelConfigInput {
  const { costs, ...rest } = cfg.kernel;
  return { ...rest, costs: Object.fromEntries(COST_EVENTS.map((ev) => [ev, costs[ev].ns])) as CostModel };
}
