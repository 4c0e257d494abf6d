/**
 * The package as a user gets it from the registry (issue 18, parts 1 and 2): `npm pack`
 * (which builds on prepare), a fresh project that installs the tarball, then
 * - the tarball holds the library, the CLI and config/ — no tests, no source maps;
 * - the README's embedding example runs as plain JavaScript (ESM; the README's
 *   TypeScript with the types stripped by typescript's transpileModule), twice (the
 *   second run reopens the database), and from CommonJS through require();
 * - the same example type-checks under strict TypeScript with moduleResolution
 *   nodenext, bundler and node10, without skipLibCheck (the shipped .d.ts are checked);
 * - the installed bin answers `remapdb --help`, every command's --help (each command
 *   module loads from the tarball) and runs `remapdb demo --window`;
 * - `remapdb --help` and `import('remapdb')` load none of the heavy packages, and the
 *   optional peers (lmdb, vega, …) are not installed.
 *
 * Needs the npm registry (better-sqlite3 and the other dependencies come from it;
 * better-sqlite3 may compile from source, ~60 s): when `npm ping` fails, it skips, saying
 * why. Slow (1–4 min), so everything shares one install.
 */

import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NPM_TIMEOUT_MS = 300_000;
/** Packages a library user or `--help` must not load (issue 18: they cost ~0.5 s). */
const HEAVY = ['better-sqlite3', 'lmdb', 'zod', 'pino', 'hdr-histogram-js', 'vega', 'vega-lite'];
const OPTIONAL_PEERS = ['lmdb', 'vega', 'vega-lite', 'hdr-histogram-js'];

interface Run { status: number | null; stdout: string; stderr: string }

function run(cmd: string, args: readonly string[], cwd: string, timeoutMs = 120_000): Run {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REMAPDB_') && !k.startsWith('npm_')));
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr + (r.error === undefined ? '' : `\n${r.error.message}`) };
}

function registryUnreachable(): string | false {
  const r = run('npm', ['ping'], ROOT, 30_000);
  return r.status === 0 ? false : `the npm registry is unreachable (npm ping: ${r.stderr.trim().split('\n').slice(-1)[0] ?? 'no answer'})`;
}

/** The first ```ts block after "## Embedding remapdb" in README.md. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.indexOf('\n## Embedding remapdb');
  const m = /```ts\n([^]*?)```/.exec(readme.slice(section));
  if (section < 0 || m?.[1] === undefined) throw new Error('README.md: no ```ts block under "## Embedding remapdb"');
  return m[1];
}

/** The modules a node process loads, by a resolve hook that prints each URL to stderr. */
function loadedUrls(project: string, args: readonly string[]): string[] {
  const hooks = path.join(project, 'trace-hooks.mjs');
  const register = path.join(project, 'trace-register.mjs');
  fs.writeFileSync(hooks, "export async function load(url, context, next) { process._rawDebug('LOADED ' + url); return next(url, context); }\n");
  fs.writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(new URL(`file://${hooks}`).href)});\n`);
  const r = run(process.execPath, ['--import', register, ...args], project);
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
  return r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length));
}

function heavyIn(urls: readonly string[]): string[] {
  return HEAVY.filter((name) => urls.some((u) => u.includes(`/node_modules/${name}/`)));
}

const skip = registryUnreachable();

t.test('the packed tarball installs and runs in a fresh project', { skip, timeout: 600_000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-install-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

  // npm pack runs prepare (npm run build) and prints the file list as JSON.
  const pack = run('npm', ['pack', '--json', '--pack-destination', tmp], ROOT, NPM_TIMEOUT_MS);
  t.equal(pack.status, 0, 'npm pack succeeds', { stderr: pack.stderr });
  const packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{
    filename: string; size: number; unpackedSize: number; entryCount: number; files: Array<{ path: string }>;
  }>)[0];
  if (packed === undefined) throw new Error('npm pack --json printed no package');
  const files = packed.files.map((f) => f.path);
  t.comment(`tarball ${packed.filename}: ${(packed.size / 1024).toFixed(0)} KiB, ${packed.entryCount} files, ` +
    `${(packed.unpackedSize / 1024 / 1024).toFixed(1)} MiB unpacked`);
  for (const f of ['package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/cli/main.js', 'config/default.json']) {
    t.ok(files.includes(f), `the tarball holds ${f}`);
  }
  t.same(files.filter((f) => /(^|\/)test\/|\.test\.|\.map$|^dist\/reliability\/|\.ts$/.test(f) && !f.endsWith('.d.ts')), [],
    'no tests, no source maps, no sources, no reliability tools');

  const project = path.join(tmp, 'project');
  fs.mkdirSync(project);
  // npm 11 runs unreviewed install scripts with a notice; allowScripts reviews the one we need.
  fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({
    name: 'remapdb-install-check', private: true, type: 'module', allowScripts: { 'better-sqlite3': true },
  }, null, 2)}\n`);
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, packed.filename)], project, NPM_TIMEOUT_MS);
  t.equal(install.status, 0, 'npm install <tarball> succeeds', { stderr: install.stderr });
  if (install.status !== 0) return;
  const nodeModules = path.join(project, 'node_modules');
  for (const peer of OPTIONAL_PEERS) t.notOk(fs.existsSync(path.join(nodeModules, peer)), `optional peer ${peer} is not installed`);

  t.test('the README example runs as JavaScript (ESM), twice', async (t) => {
    const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
    const source = readmeExample().replace("'/tmp/shop'", JSON.stringify(path.join(tmp, 'shop')));
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    }).outputText;
    fs.writeFileSync(path.join(project, 'example.mjs'), js);
    const expected = "{ cents: 120, tags: [ 'fruit' ] }\n[ 'apple', 'pear' ]\n[ 'pear' ]\napple\n"; // the findIter line prints 'apple'
    for (const round of ['first', 'second (reopens)']) {
      const r = run(process.execPath, ['example.mjs'], project);
      t.equal(r.status, 0, `${round} run exits 0`, { stderr: r.stderr });
      t.equal(r.stdout, expected, `${round} run prints what the README's comments say`);
    }
  });

  t.test('CommonJS: require("remapdb") loads the ESM package (Node >= 20.19)', async (t) => {
    fs.writeFileSync(path.join(project, 'require.cjs'),
      "const { open, DbError } = require('remapdb');\nconsole.log(typeof open, typeof DbError);\n");
    const r = run(process.execPath, ['require.cjs'], project);
    t.equal(r.status, 0, 'exits 0', { stderr: r.stderr });
    t.equal(r.stdout, 'function function\n');
  });

  t.test('the README example type-checks in strict TypeScript', async (t) => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    fs.writeFileSync(path.join(project, 'example.ts'), readmeExample());
    // @types/node comes from this repository (a user has their own); nothing else does:
    // the package must bring the types its declarations name.
    fs.writeFileSync(path.join(project, 'tsconfig.json'), `${JSON.stringify({
      compilerOptions: {
        strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: false,
        target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', noEmit: true,
        typeRoots: [path.join(ROOT, 'node_modules', '@types')], types: ['node'],
      },
      files: ['example.ts'],
    }, null, 2)}\n`);
    const modes: Array<[string, string[]]> = [
      ['nodenext', []],
      ['bundler', ['--module', 'preserve', '--moduleResolution', 'bundler']],
      // node10 reads "main"/"types"; zod's and pino's own .d.cts need esModuleInterop there.
      ['node10', ['--module', 'commonjs', '--moduleResolution', 'node10', '--esModuleInterop']],
    ];
    for (const [mode, flags] of modes) {
      const r = run(process.execPath, [tsc, '-p', '.', ...flags], project);
      t.equal(r.status, 0, `tsc --noEmit, moduleResolution ${mode}`, { stdout: r.stdout });
    }
  });

  t.test('the installed bin: --help, every command\'s --help, demo --window', async (t) => {
    const bin = path.join(nodeModules, '.bin', 'remapdb');
    const help = run(bin, ['--help'], project);
    t.equal(help.status, 0, 'remapdb --help exits 0', { stderr: help.stderr });
    t.match(help.stdout, /^Usage: remapdb <command> \[options\]/);
    const commands = [...help.stdout.matchAll(/^ {2}remapdb (\w+)/gm)].map((m) => m[1] as string);
    t.ok(commands.length >= 10, `the help lists the commands (${commands.join(', ')})`);
    for (const command of new Set(commands)) {
      const r = run(bin, [command, '--help'], project);
      t.equal(r.status, 0, `remapdb ${command} --help loads its module`, { stderr: r.stderr });
    }
    const demo = run(bin, ['demo', '--window'], project, 120_000);
    t.equal(demo.status, 0, 'remapdb demo --window exits 0', { stderr: demo.stderr });
    t.match(demo.stdout, /remap_file_pages/, 'and tells the window scenario');
  });

  t.test('start-up loads only what it needs', async (t) => {
    const cli = path.join(nodeModules, 'remapdb', 'dist', 'cli', 'main.js');
    const help = loadedUrls(project, [cli, '--help']);
    t.same(heavyIn(help), [], `remapdb --help loads none of ${HEAVY.join(', ')}`);
    // The build code-splits each command into a chunk named after its module (dist/chunks/<command>-<hash>.js).
    // Not `config`: esbuild names the configuration loader's chunk (src/config/index.ts) after its folder too.
    const commandChunk = /\/dist\/chunks\/(?:init|load|bench|runs|inspect|tables|schema|get|scan|dump|import|serve|kernel|check|report|demo)-[A-Z0-9]+\.js$/;
    t.same(help.filter((u) => commandChunk.test(u)), [], 'and no command module');
    const ours = help.filter((u) => u.includes('/node_modules/remapdb/'));
    t.ok(ours.length <= 6, `--help loads ${ours.length} of remapdb's files: ${ours.map((u) => u.replace(/.*\/node_modules\/remapdb\//, '')).join(', ')}`);
    const inspect = loadedUrls(project, [cli, 'inspect', '--help']);
    t.same(inspect.filter((u) => commandChunk.test(u)).map((u) => path.basename(u).replace(/-[A-Z0-9]+\.js$/, '')), ['inspect'],
      'remapdb inspect --help loads its own command chunk and no other');
    const lib = loadedUrls(project, ['--input-type=module', '-e', "await import('remapdb')"]);
    t.same(heavyIn(lib), [], "import('remapdb') loads none of them either");
  });

  t.test('a missing optional peer is a coded error naming the install', async (t) => {
    // `remapdb bench` runs each cell in a child process (the bundled dist/bench/harness/cell-main.js):
    // the LMDB cell needs lmdb, the latency histograms hdr-histogram-js — neither is installed here.
    const bin = path.join(nodeModules, '.bin', 'remapdb');
    const r = run(bin, ['bench', 'tpcb', '--engines', 'lmdb', '--scale', '1', '--duration', '0', '--count', '20', '--warmup', '0',
      '--results', '', '--progress', '0', '--work-dir', path.join(tmp, 'bench-work')], project, 120_000);
    t.not(r.status, 0, 'the run fails', { stdout: r.stdout });
    t.match(r.stdout + r.stderr, /optional package (lmdb|hdr-histogram-js), which is not installed: run npm install (lmdb@\^3|hdr-histogram-js@\^3)/,
      'naming the package and the npm install to run');
    t.notMatch(r.stderr, /internal error/, 'not a bug report');
  });
});
