/**
 * One-line usage errors from yargs' validation messages.
 *
 * yargs reports "Unknown argument: bogus" (dashes stripped, and unknown commands
 * reported the same way), "Invalid values:\n  Argument: ..." (multi-line) and
 * "Not enough arguments following: config". The CLI promises one line naming the
 * value and what is allowed, so each known shape is rewritten; anything else is
 * collapsed to one line as is.
 */

export interface UsageFacts {
  /** The raw command-line arguments, to tell a stray positional from a flag. */
  readonly args: readonly string[];
  /** Names of the registered commands. */
  readonly commands: readonly string[];
  /** Long option names valid where the error happened, without dashes. */
  readonly options: readonly string[];
  /** Positional argument names of the command being run (`kernel <view> [dir]`: view, dir). */
  readonly positionals?: readonly string[];
}

function flag(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

function unknown(name: string, facts: UsageFacts): string {
  const at = facts.args.indexOf(name);
  if (at === -1) {
    const command = facts.args.find((a) => facts.commands.includes(a));
    const allowed = facts.options.map(flag).join(', ');
    return `unknown option ${flag(name)}; allowed: ${allowed} (see remapdb ${command === undefined ? '' : `${command} `}--help)`;
  }
  const command = facts.args.slice(0, at).find((a) => facts.commands.includes(a));
  if (command === undefined) {
    return `unknown command ${JSON.stringify(name)}; commands: ${facts.commands.join(', ')} (see remapdb --help)`;
  }
  return `unexpected argument ${JSON.stringify(name)} after "${command}"; see remapdb ${command} --help`;
}

export function usageMessage(message: string, facts: UsageFacts): string {
  const unknownArgs = /^Unknown arguments?: (.+)$/s.exec(message);
  if (unknownArgs?.[1] !== undefined) {
    const names = unknownArgs[1].split(', ');
    const more = names.length > 1 ? ` (and ${names.length - 1} more: ${names.slice(1).map((n) => (facts.args.includes(n) ? n : flag(n))).join(', ')})` : '';
    return unknown(names[0] ?? '', facts) + more;
  }
  const invalid = /Argument: (\S+), Given: (.+?), Choices: (.+)$/s.exec(message);
  if (invalid !== null) {
    const choices = (invalid[3] ?? '').split(', ').map((c) => c.replace(/^"|"$/g, '')).join(' | ');
    const name = invalid[1] ?? '';
    // A positional is named as the help shows it (<view>), not as a --flag it cannot be given as.
    const shown = facts.positionals?.includes(name) === true ? `<${name}>` : flag(name);
    return `${shown} ${invalid[2] ?? ''} is not allowed; allowed: ${choices}`;
  }
  const noValue = /^Not enough arguments following: (\S+)$/.exec(message);
  if (noValue !== null) return `${flag(noValue[1] ?? '')} needs a value`;
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
