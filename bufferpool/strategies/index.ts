/**
 * bufferpool/strategies: how a slot's page becomes addressable. Offers the Strategy
 * interface (strategy.ts), the strategy vocabulary (StrategyName, STRATEGY_NAMES — defined
 * once, in strategy.ts) and createStrategy(), the one place a StrategyName becomes an
 * instance:
 *   nonlinear   one MAP_SHARED window, remap_file_pages per miss (nonlinear.ts)
 *   multi-mmap  one mmap per resident page, munmap on eviction (multi-mmap.ts)
 *   pread       anonymous frames, pread in / pwrite out (pread.ts)
 */

import { assertionFailed } from '../assert.js';
import { MultiMmapStrategy } from './multi-mmap.js';
import { NonlinearStrategy } from './nonlinear.js';
import { PreadStrategy } from './pread.js';
import type { Strategy, StrategyContext, StrategyName } from './strategy.js';

export { STRATEGY_NAMES, type Strategy, type StrategyContext, type StrategyName } from './strategy.js';

/** A new strategy over ctx's file; it makes its mappings now. */
export function createStrategy(name: StrategyName, ctx: StrategyContext): Strategy {
  switch (name) {
    case 'nonlinear':
      return new NonlinearStrategy(ctx);
    case 'multi-mmap':
      return new MultiMmapStrategy(ctx);
    case 'pread':
      return new PreadStrategy(ctx);
    default: {
      const unknown: never = name;
      return assertionFailed(`createStrategy: unknown strategy ${String(unknown)}; openBufferPool checks it against STRATEGY_NAMES`);
    }
  }
}
