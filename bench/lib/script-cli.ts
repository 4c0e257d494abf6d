/**
 * The entry point of a bench script parsed with node:util parseArgs: `--help` (or `-h`)
 * prints its usage; a bad flag or value (parseArgs' ERR_PARSE_ARGS_* errors, the
 * script's own RangeErrors) prints one line naming it and the usage hint, exit 2 —
 * instead of a Node stack trace.
 */
export async function runScript(name: string, usage: string, main: () => void | Promise<void>): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${usage.trim()}\n`);
    return;
  }
  try {
    await main();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof RangeError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`${name}: ${(err as Error).message} (${name} --help lists the options)\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
