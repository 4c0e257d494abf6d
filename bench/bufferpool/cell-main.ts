/**
 * Child entry of the `strategies` report: run one cell (personality, slots, strategy) in
 * this fresh process and print its StrategyCell as one JSON line on stdout, so one cell's
 * JIT state, garbage and 1 GiB of simulated RAM cannot skew the next (as bench/run.ts
 * isolates benchmarks). Usage: <node + loader flags> cell-main.ts '{"personality":…,"slots":…,"strategy":…}'
 */

import type { StrategyName } from '../../bufferpool/index.js';
import type { PersonalityName } from '../../sim-kernel/index.js';
import { runCell } from './strategies.js';

const arg = JSON.parse(process.argv[2] ?? '{}') as { personality: PersonalityName; slots: number; strategy: StrategyName };
process.stdout.write(`${JSON.stringify(runCell(arg.personality, arg.slots, arg.strategy))}\n`);
