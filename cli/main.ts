#!/usr/bin/env node
/**
 * The `remapdb` executable: runs the CLI on the process arguments and sets the exit
 * code (process.exitCode, not process.exit(), so stdout is flushed when piped).
 */

import { hideBin } from 'yargs/helpers';
import { runCli } from './app.js';

// `remapdb config | head -1` closes stdout early: that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await runCli(hideBin(process.argv));
