/**
 * bufferpool/policies: which resident slot to evict next. Offers the ReplacementPolicy
 * interface and its contract (policy.ts), the policy vocabulary (PolicyName,
 * POLICY_NAMES — defined once, in policy.ts) and createPolicy(), the one place a
 * PolicyName becomes an instance:
 *   clock  PostgreSQL's clock sweep with usage counts, the default (clock.ts)
 *   lru    exact least-recently-used (lru.ts)
 *   2q     Johnson & Shasha's full 2Q (2q.ts)
 * Every policy implements ReplacementPolicy over typed arrays sized here.
 */

import { ClockPolicy } from './clock.js';
import { LruPolicy } from './lru.js';
import { TwoQPolicy } from './2q.js';
import { assertionFailed } from '../assert.js';
import type { PolicyName, ReplacementPolicy } from './policy.js';

export { POLICY_NAMES, type PolicyName, type ReplacementPolicy } from './policy.js';
export { CLOCK_MAX_USAGE, ClockPolicy } from './clock.js';
export { LruPolicy } from './lru.js';
export { TwoQPolicy } from './2q.js';

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
      return assertionFailed(`createPolicy: unknown policy ${String(unknown)}; openBufferPool checks it against POLICY_NAMES`);
    }
  }
}
