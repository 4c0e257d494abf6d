/**
 * What a remapdb CLI command is, and what it gets to work with.
 *
 * A command is a plain object made with defineCommand(): its yargs command string,
 * a one-line description, examples for `remapdb --help`, a builder adding its own
 * options, and run(). Registering it is one line in commands/index.ts.
 *
 * Contract of run(): write command output through ctx.out (stdout) only; logs go to
 * ctx.log() (stderr); report failures by throwing a CodedError (UsageError,
 * ConfigError, ...) — the app turns it into one stderr line and an exit code.
 */

import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { ResolvedConfig } from '../src/config/index.js';
import type { Logger, LogLevel } from '../src/config/index.js';

/** Options every command accepts (declared once, in app.ts). */
export interface GlobalArgs {
  config: string | undefined;
  profile: string | undefined;
  logLevel: LogLevel | undefined;
  json: boolean;
}

export interface CliContext {
  /** Write command output to stdout (a newline is not added). */
  out(text: string): void;
  /**
   * The effective configuration for the global flags; loaded once, throws ConfigError.
   * `flags`: a partial config from the command's own flags (--pool-pages → bufferpool.slots),
   * the highest layer ("flags"); given, the configuration is resolved again with it.
   */
  config(flags?: object): ResolvedConfig;
  /** The logger at the configured level, writing to stderr. */
  log(): Logger;
}

export interface CliCommand {
  readonly command: string;
  readonly describe: string;
  readonly examples: ReadonlyArray<readonly [command: string, description: string]>;
  readonly builder: (y: Argv<GlobalArgs>) => Argv<unknown>;
  readonly run: (args: unknown, ctx: CliContext) => void | Promise<void>;
}

/** Type the builder and run() together, then erase the per-command argument type. */
export function defineCommand<A>(spec: {
  command: string;
  describe: string;
  examples?: ReadonlyArray<readonly [string, string]>;
  builder: (y: Argv<GlobalArgs>) => Argv<A>;
  run: (args: ArgumentsCamelCase<A>, ctx: CliContext) => void | Promise<void>;
}): CliCommand {
  return {
    command: spec.command,
    describe: spec.describe,
    examples: spec.examples ?? [],
    builder: spec.builder as (y: Argv<GlobalArgs>) => Argv<unknown>,
    run: spec.run as (args: unknown, ctx: CliContext) => void | Promise<void>,
  };
}
