/**
 * The replacement policies by name: the one place a PolicyName becomes an instance.
 * Every policy implements ReplacementPolicy (policy.ts) over typed arrays sized here.
 */

import { ClockPolicy } from './policy-clock.js';
import { LruPolicy } from './policy-lru.js';
import { TwoQPolicy } from './policy-2q.js';
import type { PolicyName, ReplacementPolicy } from './policy.js';

export { CLOCK_MAX_USAGE, ClockPolicy } from './policy-clock.js';
export { LruPolicy } from './policy-lru.js';
export { TwoQPolicy } from './policy-2q.js';

/** A new, empty policy for `slotCount` slots. */
export function createPolicy(name: PolicyName, slotCount: number): ReplacementPolicy {
  switch (name) {
    case 'clock':
      return new ClockPolicy(slotCount);
    case 'lru':
      return new LruPolicy(slotCount);
    case '2q':
      return new TwoQPolicy(slotCount);
    default: {
      const unknown: never = name;
      throw new Error(`createPolicy: unknown policy ${String(unknown)}; expected one of clock, lru, 2q`);
    }
  }
}
