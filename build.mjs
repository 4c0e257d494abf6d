/**
 * `npm run build` (and `npm pack` or an install from git, through prepare): the package's dist/.
 *
 *   1. tsc -p tsconfig.build.json   declarations (.d.ts) of the library layers, for
 *                                    the "types" of ".", "./sim-kernel", "./bufferpool";
 *   2. esbuild                       the JavaScript: one ES module per entry point (the
 *                                    library's three faces, the CLI, the benchmark cell
 *                                    a child process runs) and shared chunks in
 *                                    dist/chunks/, code-split so that a class has one
 *                                    definition whichever face loads it.
 *
 * Why bundle (issue 18, start-up): Node 20 resolves, reads and compiles ES modules one
 * file at a time, and has no compile cache; the library is ~150 modules and yargs ~25.
 * Unbundled, `remapdb --help` took 0.4 s and `import('remapdb')` 150 ms; bundled they fit
 * their budgets (0.2 s, 60 ms; bench/startup.ts measures them). Identifiers are kept
 * (no name minification) so stack traces and error class names read as in the source.
 *
 * What is not bundled: packages with native code or their own worker files
 * (better-sqlite3, lmdb, msgpackr, pino), packages loaded lazily by name (zod, vega,
 * vega-lite, hdr-histogram-js, cli-table3, cli-progress) — they stay dependencies or
 * optional peers. yargs is bundled, with string-width replaced by
 * cli/render/terminal-width.ts (its header says why).
 */

import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const ENTRY_POINTS = [
  'src/index.ts', 'sim-kernel/index.ts', 'bufferpool/index.ts',
  'cli/main.ts',
  'bench/harness/cell-main.ts',
];

const EXTERNAL = [
  'better-sqlite3', 'lmdb', 'msgpackr', 'pino', 'zod', 'vega', 'vega-lite', 'hdr-histogram-js', 'cli-table3', 'cli-progress',
];

rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

const result = await build({
  entryPoints: ENTRY_POINTS,
  outdir: 'dist',
  outbase: '.',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: EXTERNAL,
  alias: { 'string-width': './cli/render/terminal-width.ts' },
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
const bytes = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
process.stderr.write(`build: ${outputs.length} JavaScript files, ${(bytes / 1024).toFixed(0)} KiB in dist/\n`);
