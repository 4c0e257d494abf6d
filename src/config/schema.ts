/**
 * The remapdb configuration schema: what config/default.json, a profile, a --config
 * file, REMAPDB_* variables and overrides may set, after they are merged.
 *
 * Invariants:
 * 1. Every object is strict: an unknown key is refused, and the refusal lists the
 *    known keys (a typo must never be silently ignored).
 * 2. Every issue message is only the *allowed* range ("an integer from 1 to 64");
 *    load.ts prefixes the key path, the value and the layer that set it.
 * 3. The file format is SECTIONS: adding a top-level section (bufferpool, storage,
 *    bench) is one entry there, with its own strict schema.
 * 4. The kernel section has exactly the fields of sim-kernel's KernelConfig (checked
 *    at compile time below) and the same ranges as resolveKernelConfig, which load.ts
 *    still runs afterwards as a second line of defence.
 */

import { createRequire } from 'node:module';
import type { z } from 'zod';
import { ARCH_NAMES, COST_EVENTS, type CostEvent, type KernelConfig, PERSONALITY_NAMES } from '../../sim-kernel/index.js';
import { DIRTY_TRACKING_NAMES, POLICY_NAMES, STRATEGY_NAMES } from '../../bufferpool/index.js';
import { LOG_LEVELS } from './log.js';

/** Page-table pages a kernel needs before it can map anything: one per level and data pages. */
export const MIN_RAM_PAGES = 16;
/** RAM is one ArrayBuffer indexed by 32-bit physical addresses (sim-kernel/config.ts). */
const MAX_RAM_END_BYTES = 2 ** 32;

let zodLoaded: typeof z | undefined;
/**
 * zod, loaded when a configuration is first validated: importing it costs ~40 ms that
 * `import('remapdb')` and `remapdb --help` should not pay (issue 18). Synchronous
 * (require of zod's CommonJS build) because loadConfig() is.
 */
function zod(): typeof z {
  zodLoaded ??= (createRequire(import.meta.url)('zod') as { z: typeof z }).z;
  return zodLoaded;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** A strict object whose own issues say which keys are known. */
function strictSection<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(', ');
  return zod().strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `one of the known keys: ${known}` : `an object with keys ${known}`),
  });
}

function intIn(min: number, max: number) {
  const allowed = `an integer from ${min} to ${max}`;
  return zod().number({ error: allowed }).int({ error: allowed }).min(min, { error: allowed }).max(max, { error: allowed });
}

function powerOfTwoIn(min: number, max: number) {
  const allowed = `a power of two from ${min} to ${max}`;
  return zod().number({ error: allowed }).refine((v) => isPowerOfTwo(v) && v >= min && v <= max, { error: allowed });
}

function oneOf<const T extends string>(values: readonly T[]) {
  return zod().enum(values as readonly [T, ...T[]], { error: `one of ${values.join(' | ')}` });
}

/** The schema, built once on first use (it needs zod; see zod()). */
function buildSchema() {
  const costEntry = strictSection({
    ns: zod().number({ error: 'a finite number of ns >= 0' }).min(0, { error: 'a finite number of ns >= 0' }),
    source: zod().string({ error: 'a non-empty string saying where the figure comes from' })
      .min(1, { error: 'a non-empty string saying where the figure comes from' }),
  });

  const costsShape = Object.fromEntries(COST_EVENTS.map((ev) => [ev, costEntry])) as Record<CostEvent, typeof costEntry>;

  const probability = zod().number({ error: 'a probability from 0 to 1' }).min(0, { error: 'a probability from 0 to 1' })
    .max(1, { error: 'a probability from 0 to 1' });
  const faultsShape = {
    readEioRate: probability,
    writeEioRate: probability,
    fsyncEioRate: probability,
    swapReadEioRate: probability,
    swapWriteEioRate: probability,
    tornWriteRate: probability,
    shortWriteRate: probability,
    enospcAfterBytes: intIn(-1, 2 ** 52),
  };

  const RAM_ALLOWED = `an integer number of bytes: a multiple of pageSize, at least ${MIN_RAM_PAGES} pages`;

  const kernelSection = strictSection({
    arch: oneOf(ARCH_NAMES),
    personality: oneOf(PERSONALITY_NAMES),
    ramBytes: zod().number({ error: RAM_ALLOWED }).int({ error: RAM_ALLOWED }).min(0, { error: RAM_ALLOWED }),
    pageSize: powerOfTwoIn(4096, 65536),
    maxMapCount: intIn(1, 2 ** 31 - 1),
    seed: intIn(0, 2 ** 32 - 1),
    tlbEntries: powerOfTwoIn(1, 1 << 20),
    cpus: intIn(1, 64),
    watermarkMinPages: intIn(0, 2 ** 31 - 1),
    watermarkLowPages: intIn(0, 2 ** 31 - 1),
    watermarkHighPages: intIn(0, 2 ** 31 - 1),
    swapBytes: intIn(0, 2 ** 40),
    swapPath: zod().string({ error: "a host path, or '' for a private temporary file" }),
    dirtyExpireNs: zod().number({ error: 'a number of ns >= 0' }).min(0, { error: 'a number of ns >= 0' }),
    dirtyWritebackIntervalNs: zod().number({ error: 'a number of ns > 0' }).positive({ error: 'a number of ns > 0' }),
    readaheadPages: intIn(0, 1024),
    memlockLimitBytes: intIn(-1, 2 ** 52),
    capIpcLock: zod().boolean({ error: 'true or false' }),
    volatileDiskCache: zod().boolean({ error: 'true or false' }),
    perPageProt: zod().boolean({ error: 'true or false' }),
    faults: strictSection(faultsShape),
    costs: strictSection(costsShape),
  }).superRefine((k, ctx) => {
    // Cross-field checks; only meaningful once the fields themselves are valid (zod may
    // run this refinement even when a field already failed).
    if (!isPowerOfTwo(k.pageSize) || k.pageSize < 4096 || k.pageSize > 65536 || !Number.isInteger(k.ramBytes)) return;
    const minBytes = MIN_RAM_PAGES * k.pageSize;
    if (k.ramBytes < minBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['ramBytes'],
        input: k.ramBytes,
        message: `at least ${MIN_RAM_PAGES} pages (${minBytes} bytes at pageSize ${k.pageSize}): ` +
          'RAM smaller than that cannot hold one page table per level plus data pages',
      });
      return;
    }
    if (k.ramBytes % k.pageSize !== 0) {
      ctx.addIssue({ code: 'custom', path: ['ramBytes'], input: k.ramBytes,
        message: `a multiple of pageSize (${k.pageSize}); nearest: ${k.ramBytes - (k.ramBytes % k.pageSize)}` });
      return;
    }
    if (k.ramBytes > MAX_RAM_END_BYTES - k.pageSize) {
      ctx.addIssue({ code: 'custom', path: ['ramBytes'], input: k.ramBytes,
        message: `at most ${MAX_RAM_END_BYTES - k.pageSize} bytes (4 GiB minus one page: RAM is one ArrayBuffer)` });
      return;
    }
    const halfPages = k.ramBytes / k.pageSize / 2;
    for (const key of ['watermarkMinPages', 'watermarkLowPages', 'watermarkHighPages'] as const) {
      if (Number.isInteger(k[key]) && k[key] >= halfPages) {
        ctx.addIssue({ code: 'custom', path: [key], input: k[key],
          message: `an integer from 0 (derive from RAM) to ${halfPages - 1} (less than half of RAM's ${halfPages * 2} pages)` });
      }
    }
    if (k.swapBytes !== 0 && k.swapBytes < 2 * k.pageSize) {
      ctx.addIssue({ code: 'custom', path: ['swapBytes'], input: k.swapBytes,
        message: `0 (no swap) or at least 2 pages (${2 * k.pageSize} bytes): a header slot and one data slot` });
    }
  });

  const bufferpoolSection = strictSection({
    strategy: oneOf(STRATEGY_NAMES),
    slots: intIn(1, 2 ** 22 - 1),
    policy: oneOf(POLICY_NAMES),
    shadowSlots: intIn(0, 2 ** 22 - 1),
    mlock: zod().boolean({ error: 'true or false' }),
    evictBatch: intIn(1, 4096),
    growPages: intIn(1, 1 << 20),
    debug: zod().boolean({ error: 'true or false' }),
    guard: zod().boolean({ error: 'true or false' }),
    dirtyTracking: oneOf(DIRTY_TRACKING_NAMES),
  });

  const logSection = strictSection({
    level: oneOf(LOG_LEVELS),
  });

  /** The top-level sections of a config file, in print order. One entry per section. */
  const SECTIONS = {
    kernel: kernelSection,
    bufferpool: bufferpoolSection,
    log: logSection,
  };

  const ConfigSchema = strictSection(SECTIONS);
  return { costEntry, kernelSection, bufferpoolSection, SECTIONS, ConfigSchema };
}

type Built = ReturnType<typeof buildSchema>;
let built: Built | undefined;

/** The zod schema of a whole (merged) configuration, strict. */
export function configSchema(): Built['ConfigSchema'] {
  built ??= buildSchema();
  return built.ConfigSchema;
}

/** The top-level sections of a config file and their schemas, in print order. */
export function configSections(): Built['SECTIONS'] {
  built ??= buildSchema();
  return built.SECTIONS;
}

export type CostEntry = z.infer<Built['costEntry']>;
export type KernelSection = z.infer<Built['kernelSection']>;
export type BufferpoolSection = z.infer<Built['bufferpoolSection']>;
export type SectionName = keyof Built['SECTIONS'];
export type RemapdbConfig = z.infer<Built['ConfigSchema']>;

// Compile-time check of invariant 4: the kernel section and KernelConfig have the same keys.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const kernelKeysMatch: SameKeys<KernelSection, KernelConfig> = true;
void kernelKeysMatch;
