/**
 * The CLI's commands, in `remapdb --help` order. Adding one: import it, add it here.
 */

import type { CliCommand } from '../command.js';
import { benchCommand } from './bench.js';
import { checkCommand } from './check.js';
import { configCommand } from './config.js';
import { demoCommand } from './demo.js';
import { dumpCommand } from './dump.js';
import { getCommand } from './get.js';
import { importCommand } from './import.js';
import { initCommand } from './init.js';
import { inspectCommand } from './inspect.js';
import { kernelCommand } from './kernel.js';
import { loadCommand } from './load.js';
import { reportCommand } from './report.js';
import { scanCommand } from './scan.js';
import { schemaCommand } from './schema.js';
import { compareCommand, runsCommand } from './runs.js';
import { serveCommand } from './serve.js';
import { tablesCommand } from './tables.js';

export const COMMANDS: readonly CliCommand[] = [
  initCommand,
  loadCommand,
  benchCommand,
  compareCommand,
  runsCommand,
  inspectCommand,
  tablesCommand,
  schemaCommand,
  getCommand,
  scanCommand,
  dumpCommand,
  importCommand,
  serveCommand,
  kernelCommand,
  checkCommand,
  reportCommand,
  demoCommand,
  configCommand,
];
