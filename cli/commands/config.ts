/**
 * `remapdb config`: print the effective configuration, or list the profiles.
 *
 * Only keys some command reads are shown, under a `# read by:` comment naming the
 * commands (engine-config.ts readersOf); the rest are listed as not shown.
 * Text output is one `key = value` line per setting, keys as dotted paths (the same
 * paths REMAPDB_* variables and error messages use); a comment names where a value
 * came from when it is not the default, and each cost's source. `--json` prints the
 * configuration as JSON in the config-file format, so it can be saved and passed back
 * with --config.
 */

import { leaves, listProfiles, readProfile, type ResolvedConfig } from '../../src/config/index.js';
import { defineCommand } from '../command.js';
import { readersOf } from '../engine-config.js';

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** kernel.costs.<event>.ns / .source: the source is printed beside its ns. */
const COST_KEY = /^kernel\.costs\.(\w+)\.(ns|source)$/;

/** Keys of the configuration no command reads: accepted in files (compatibility), never shown. */
export function unreadKeys(resolved: ResolvedConfig): string[] {
  return leaves(resolved.config).map(([k]) => k).filter((k) => readersOf(k.replace(/\.source$/, '.ns')).length === 0);
}

/** The configuration without the keys nothing reads (still a valid --config file: the default fills them). */
function readTree(resolved: ResolvedConfig): unknown {
  const hidden = new Set(unreadKeys(resolved));
  const prune = (node: unknown, at: string): unknown => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return node;
    return Object.fromEntries(Object.entries(node).filter(([k]) => !hidden.has(at + k)).map(([k, v]) => [k, prune(v, `${at}${k}.`)]));
  };
  return prune(resolved.config, '');
}

function configLines(resolved: ResolvedConfig): string[] {
  const costs: Readonly<Record<string, { source: string }>> = resolved.config.kernel.costs;
  const rows: Array<[key: string, value: string, note: string]> = [];
  const hidden = new Set(unreadKeys(resolved));
  const readers: string[] = [];
  for (const [key, value] of leaves(resolved.config)) {
    const cost = COST_KEY.exec(key);
    if (cost?.[2] === 'source' || hidden.has(key)) continue;
    readers.push(readersOf(key).join(', '));
    const origin = resolved.originOf(key);
    const from = origin === undefined || origin === 'default' ? '' : `from ${origin}`;
    const source = cost === null ? undefined : costs[cost[1] ?? '']?.source;
    const note = source === undefined ? from : `${source}${from === '' || source.includes(origin ?? '') ? '' : ` (${from})`}`;
    rows.push([key, text(value), note]);
  }
  const keyWidth = Math.max(...rows.map(([k]) => k.length));
  const valueWidth = Math.max(...rows.map(([, v]) => v.length));
  const header = `# remapdb configuration; layers, lowest precedence first: ${resolved.layers.join(' < ')}`;
  const lines = [header];
  // A "read by" comment wherever the readers change: which commands honour the keys below it.
  rows.forEach(([k, v, n], i) => {
    if (readers[i] !== readers[i - 1]) lines.push(`# read by: ${readers[i] ?? ''}`);
    lines.push(`${k.padEnd(keyWidth)} = ${n === '' ? v : `${v.padEnd(valueWidth)}  # ${n}`}`);
  });
  if (hidden.size > 0) lines.push(`# not shown: ${[...hidden].join(', ')} (accepted in config files; no command reads them)`);
  return lines;
}

function profileLines(json: boolean): string[] {
  const names = listProfiles();
  if (json) return [JSON.stringify(Object.fromEntries(names.map((n) => [n, readProfile(n)])), null, 2)];
  const width = Math.max(...names.map((n) => n.length));
  return names.map((name) => {
    const sets = leaves(readProfile(name)).filter(([k]) => !k.endsWith('.source')).map(([k, v]) => `${k}=${text(v)}`);
    return `${name.padEnd(width)}  ${sets.join(' ')}`;
  });
}

export const configCommand = defineCommand({
  command: 'config',
  describe: 'Print the effective configuration (default < profile < file < env < flags), or list the profiles',
  examples: [
    ['$0 config', 'show every setting, where it came from, and each cost figure\'s source'],
    ['$0 config --profile i386-vlm --json', 'the 32-bit VLM machine as JSON (a valid --config file)'],
    ['$0 config --profiles', 'list the named profiles and what each one sets'],
    ['REMAPDB_KERNEL_SEED=7 $0 config', 'override one key from the environment'],
  ],
  builder: (y) => y.option('profiles', {
    type: 'boolean',
    default: false,
    describe: 'List the profiles in config/profiles/ instead',
  }),
  run: (args, ctx) => {
    const lines = args.profiles ? profileLines(args.json) : undefined;
    if (lines !== undefined) {
      ctx.out(`${lines.join('\n')}\n`);
      return;
    }
    const resolved = ctx.config();
    ctx.log().debug({ layers: resolved.layers }, 'configuration loaded');
    ctx.out(args.json ? `${JSON.stringify(readTree(resolved), null, 2)}\n` : `${configLines(resolved).join('\n')}\n`);
  },
});
