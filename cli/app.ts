/**
 * The remapdb command line: global options, help, commands, and the one place where
 * an error becomes an exit code.
 *
 * Output discipline: stdout carries only command output (and --help / --version);
 * every diagnostic goes to stderr. A coded error (CodedError, a Node fs error) is one
 * line `remapdb: <message>` and the exit code from EXIT_CODES; anything uncoded is a
 * bug and prints its stack (exit 1), because a bug should crash loudly.
 */

import yargs, { type Argv } from 'yargs';
import type { ResolvedConfig } from '../src/config/index.js';
import { CodedError, UsageError } from '../src/errors.js';
import { createLogger, listProfiles, LOG_LEVELS, type Logger, packageVersion } from '../src/meta/index.js';
import { EXIT_CODE_TABLE, EXIT_CODES, type ExitCode, exitCodeFor } from './exit-codes.js';
import type { CliCommand, CliContext, GlobalArgs } from './command.js';
import { COMMANDS, type CommandEntry } from './commands/index.js';
import { usageMessage } from './usage.js';

const GLOBAL_GROUP = 'Global options:';

function commandName(command: string): string {
  return command.split(' ')[0] ?? command;
}

function epilogue(): string {
  const width = Math.max(...EXIT_CODE_TABLE.map((e) => e.name.length));
  return [
    'Environment:',
    '  REMAPDB_PROFILE=<name>   profile to use when --profile is not given',
    '  REMAPDB_CONFIG=<file>    config file to use when --config is not given',
    '  REMAPDB_<KEY_PATH>=<v>   set one key: REMAPDB_KERNEL_SEED=7, REMAPDB_LOG_LEVEL=debug',
    '',
    'Precedence, lowest first: config/default.json < profile < config file < environment < flags.',
    '',
    'Exit codes:',
    ...EXIT_CODE_TABLE.map((e) => `  ${e.code}  ${e.name.padEnd(width)}  ${e.meaning}`),
  ].join('\n');
}

/** The configuration loader (schema, kernel defaults): loaded with the command that runs, never for --help. */
type ConfigModule = typeof import('../src/config/index.js');

function makeContext(args: GlobalArgs, env: NodeJS.ProcessEnv, configModule: ConfigModule): CliContext {
  let resolved: ResolvedConfig | undefined;
  let logger: Logger | undefined;
  const load = (flags: object): ResolvedConfig => {
    const overrides = { ...flags, ...(args.logLevel === undefined ? {} : { log: { level: args.logLevel } }) };
    return configModule.resolveConfig({
      profile: args.profile,
      file: args.config,
      env,
      overrides: Object.keys(overrides).length === 0 ? undefined : overrides,
      overridesOrigin: 'flags',
    });
  };
  const config = (flags?: object): ResolvedConfig => {
    if (flags !== undefined) return load(flags);
    resolved ??= load({});
    return resolved;
  };
  return {
    out: (text) => {
      process.stdout.write(text);
    },
    config,
    log: () => {
      logger ??= createLogger({ level: config().config.log.level });
      return logger;
    },
  };
}

/** The options every command accepts; applied to the real parser and to probes. */
function withGlobalOptions(y: Argv) {
  return y
    .option('config', { type: 'string', requiresArg: true, group: GLOBAL_GROUP,
      describe: 'JSON config file merged over the default and profile', defaultDescription: '$REMAPDB_CONFIG' })
    .option('profile', { type: 'string', requiresArg: true, group: GLOBAL_GROUP,
      describe: `Named profile: ${listProfiles().join(', ')}`, defaultDescription: '$REMAPDB_PROFILE' })
    .option('log-level', { choices: LOG_LEVELS, requiresArg: true, group: GLOBAL_GROUP,
      describe: 'Log level (logs go to stderr)', defaultDescription: 'log.level from the config' })
    .option('json', { type: 'boolean', default: false, group: GLOBAL_GROUP, describe: 'Print command output as JSON' });
}

/** The command modules loaded for this run, by command name (see loadCommands). */
type Loaded = ReadonlyMap<string, CliCommand>;

/**
 * Load the module of every command named in `args` — the one yargs will run is among
 * them — and no other: `remapdb --help` loads none (commands/index.ts says why). With a
 * command comes the configuration loader, which every command's context offers.
 */
async function loadCommands(args: readonly string[]): Promise<{ loaded: Loaded; configModule: ConfigModule | undefined }> {
  const named = COMMANDS.filter((c) => args.includes(commandName(c.command)));
  if (named.length === 0) return { loaded: new Map(), configModule: undefined };
  const [configModule, ...modules] = await Promise.all([
    import('../src/config/index.js'),
    ...named.map(async (c) => [commandName(c.command), await c.load()] as const),
  ]);
  return { loaded: new Map(modules), configModule };
}

/** The loaded module of the command named in `args`, the way yargs picks it: first in order. */
function namedCommand(args: readonly string[], loaded: Loaded): CliCommand | undefined {
  const entry = COMMANDS.find((c) => args.includes(commandName(c.command)));
  return entry === undefined ? undefined : loaded.get(commandName(entry.command));
}

/** Long option names valid for the command named in `args` (or at top level). */
function validOptions(args: readonly string[], loaded: Loaded): string[] {
  const cmd = namedCommand(args, loaded);
  const probe = withGlobalOptions(yargs([]));
  if (cmd !== undefined) cmd.builder(probe as unknown as Argv<GlobalArgs>);
  // getOptions() is public in yargs but missing from @types/yargs; `key` lists every option.
  const known = (probe as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key;
  return [...new Set(Object.keys(known).filter((k) => k.length > 1 && !/[A-Z]/.test(k)))];
}

/**
 * A flag that takes one value, given twice, is a usage error: yargs would hand the
 * command an array, which none expects (--config a --config b reached path.resolve as an
 * array: an uncoded TypeError). Flags declared as arrays and boolean switches may repeat.
 */
function refuseRepeats(args: readonly string[], loaded: Loaded): void {
  const cmd = namedCommand(args, loaded);
  const probe = withGlobalOptions(yargs([]));
  if (cmd !== undefined) cmd.builder(probe as unknown as Argv<GlobalArgs>);
  const o = (probe as unknown as { getOptions(): { key: Record<string, unknown>; array: string[]; boolean: string[] } }).getOptions();
  const seen = new Map<string, number>();
  for (const a of args) {
    if (a === '--') break;
    const m = /^--?([^=]+)/.exec(a);
    const name = m?.[1];
    if (name === undefined || !(name in o.key) || o.array.includes(name) || o.boolean.includes(name)) continue;
    seen.set(name, (seen.get(name) ?? 0) + 1);
    if ((seen.get(name) ?? 0) > 1) throw new UsageError(`${name.length === 1 ? '-' : '--'}${name} is given more than once; give it once`);
  }
}

function usageError(message: string, args: readonly string[], loaded: Loaded): UsageError {
  const commands = COMMANDS.map((c) => commandName(c.command));
  const cmd = COMMANDS.find((c) => args.includes(commandName(c.command)));
  const positionals = cmd === undefined ? [] : [...cmd.command.matchAll(/[<[](\w+)(?:\.\.)?[>\]]/g)].map((m) => m[1] ?? '');
  return new UsageError(usageMessage(message, { args, commands, options: validOptions(args, loaded), positionals }));
}

/**
 * Register one command. A loaded one gets its builder, examples and run(); one not
 * named in the arguments only its line in the top-level help — yargs runs a command
 * only when its name is the first positional, which loadCommands has loaded.
 */
function addCommand(parser: Argv, entry: CommandEntry, cmd: CliCommand | undefined, env: NodeJS.ProcessEnv,
  configModule: ConfigModule | undefined): void {
  parser.example(entry.example[0], entry.example[1]);
  if (cmd === undefined || configModule === undefined) {
    parser.command(entry.command, entry.describe, (y) => y, () => {
      throw new Error(`assertion: command ${entry.command} runs without its module loaded`);
    });
    return;
  }
  // Examples show in the command's own --help; the top-level help shows each command's first.
  const builder = (y: Argv): Argv => {
    const b = (cmd.builder as (y: Argv) => Argv)(y);
    for (const [example, description] of cmd.examples) b.example(example, description);
    return b.epilogue(epilogue());
  };
  parser.command(cmd.command, cmd.describe, builder, async (argv) => {
    await cmd.run(argv, makeContext(argv as unknown as GlobalArgs, env, configModule));
  });
}

function buildParser(args: readonly string[], env: NodeJS.ProcessEnv, loaded: Loaded, configModule: ConfigModule | undefined): Argv {
  const commands = COMMANDS.map((c) => commandName(c.command));
  const parser = withGlobalOptions(yargs([...args]))
    .scriptName('remapdb')
    .usage('Usage: $0 <command> [options]\n\n' +
      'remapdb is an embeddable storage engine whose buffer pool remaps file pages with\n' +
      'remap_file_pages() on sim-kernel, a simulated Linux 2.6 memory manager.')
    .help()
    .alias('help', 'h')
    .group(['help', 'version'], GLOBAL_GROUP)
    .version(packageVersion())
    .strict()
    .middleware(() => refuseRepeats(args, loaded))
    .exitProcess(false)
    .showHelpOnFail(false)
    .fail((message, err) => {
      if (err !== undefined && err !== null) throw err;
      throw usageError(message, args, loaded);
    })
    .epilogue(epilogue())
    .wrap(Math.min(100, yargs().terminalWidth()));

  for (const entry of COMMANDS) addCommand(parser as unknown as Argv, entry, loaded.get(commandName(entry.command)), env, configModule);
  // Without a command: strict validation reports unknown flags first, then this.
  parser.command('$0', false, (y) => y, () => {
    throw new UsageError(`no command given; commands: ${commands.join(', ')} (see remapdb --help)`);
  });
  return parser as unknown as Argv;
}

/**
 * Coded: a CodedError, or a Node system error (fs, net: `errno` and `syscall` beside its
 * code). Anything else is a bug even with a string `code` — Node's ERR_INVALID_ARG_TYPE
 * from a value the CLI failed to check, a library's SQLITE_NOTADB it failed to wrap — and
 * must not pass for an error the user caused.
 */
function isCoded(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error) || typeof (err as { code?: unknown }).code !== 'string') return false;
  const e = err as { errno?: unknown; syscall?: unknown };
  return err instanceof CodedError || (typeof e.errno === 'number' && typeof e.syscall === 'string');
}

function report(err: unknown): ExitCode {
  const exitCode = exitCodeFor(err);
  if (isCoded(err)) {
    process.stderr.write(`remapdb: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
  } else {
    process.stderr.write(`remapdb: internal error (a bug, please report it): ${err instanceof Error ? err.stack : String(err)}\n`);
  }
  return exitCode;
}

/** Run the CLI on `args` (without node and script); resolves to the process exit code. */
/**
 * `--` ends the options in most tools and passes what follows on; yargs would drop those
 * arguments from the command's positionals and no command passes arguments on, so they
 * were ignored without a word (`remapdb check -- DIR` said DIR was missing). Refused,
 * with the way to name a path that starts with '-'.
 */
function refuseDoubleDash(args: readonly string[]): void {
  const at = args.indexOf('--');
  if (at < 0) return;
  const rest = args.slice(at + 1);
  throw new UsageError(`arguments after "--" are not taken (${rest.length === 0 ? 'none given' : rest.map((a) => JSON.stringify(a)).join(' ')}): ` +
    'no remapdb command passes arguments on; drop the "--" (a path that starts with "-" can be written ./-name)');
}

export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  let loaded: Loaded = new Map();
  try {
    refuseDoubleDash(args);
    const modules = await loadCommands(args);
    loaded = modules.loaded;
    await buildParser(args, env, loaded, modules.configModule).parseAsync();
    return EXIT_CODES.OK;
  } catch (err) {
    // Some yargs checks (a flag missing its value) throw a YError instead of calling fail().
    return report(err instanceof Error && err.name === 'YError' ? usageError(err.message, args, loaded) : err);
  }
}
