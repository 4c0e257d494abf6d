/**
 * The CLI's commands, in `remapdb --help` order. Adding one: import it, add it here.
 */

import type { CliCommand } from '../command.js';
import { configCommand } from './config.js';
import { demoCommand } from './demo.js';
import { compareCommand, runsCommand } from './runs.js';

export const COMMANDS: readonly CliCommand[] = [
  demoCommand,
  runsCommand,
  compareCommand,
  configCommand,
];
