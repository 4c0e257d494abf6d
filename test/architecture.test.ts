/**
 * The house rules of the tree, checked on every test run so they cannot rot
 * (README "Architecture"):
 *
 *   1. Imports only point down: cli → reliability → bench → src → storage → bufferpool →
 *      sim-kernel. config/ is data anyone may read; nothing imports cli.
 *   2. A lower layer is entered only through its face: from another top-level folder,
 *      sim-kernel, bufferpool and storage are imported through their index.ts, or through
 *      their errors.ts — the light face of error classes and code tables, which imports
 *      only other errors.ts files, so a failure can be classified without loading the
 *      engine; bench and reliability (embedders) reach src only through src/index.ts (the
 *      package "."); the CLI through src's index files (src/index.ts, src/config/index.ts,
 *      src/inspect/index.ts, src/meta/index.ts) and src/errors.ts.
 *   3. Tests mirror the layers: test/<layer>/ imports product code of its own layer and the
 *      layers below, plus the public API (src) that drives any layer; test helpers only of
 *      its own layer and below. Never above: no storage test importing a benchmark or the CLI.
 *   4. No product file in sim-kernel, bufferpool, storage, src or cli over 500 lines unless
 *      its header says why ("over 500 lines" in its first 40 lines).
 *   5. One vocabulary: SyncMode, the strategy, policy and personality name lists are each
 *      written once in product code.
 *   6. The CLI starts light: what cli/main.ts loads before it knows which command runs (its
 *      static imports, followed transitively; `import type` and `import()` excluded) holds
 *      no module of sim-kernel, bufferpool or storage but their errors.ts, no src module
 *      outside src/errors.ts, src/meta and the config files those use, and no package but
 *      yargs (issue 18: `remapdb --help` ≤ 0.2 s).
 *
 * The checker is a pure function over file texts, so the test also shows it catching a
 * planted upward import.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import t from 'tap';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Layer ranks: a folder may import only folders of lower or equal rank. */
const RANK: Readonly<Record<string, number>> = {
  config: -1, 'sim-kernel': 0, bufferpool: 1, storage: 2, src: 3, bench: 4, reliability: 5, cli: 6,
};
const PRODUCT = Object.keys(RANK).filter((d) => d !== 'config');
const FACED = new Set(['sim-kernel', 'bufferpool', 'storage']);
const MAX_LINES = 500;

type Files = ReadonlyMap<string, string>;

/** Relative import specifiers of a TypeScript text: static, re-export, type-only and dynamic. */
function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2]) as string);
  return out;
}

const topOf = (rel: string): string => rel.split('/')[0] as string;

/** The rule violations in `files` (repo-relative path → text), one line each. */
export function violations(files: Files): string[] {
  const bad: string[] = [];
  for (const [file, text] of files) {
    const isTest = file.startsWith('test/');
    const from = isTest ? (file.split('/')[1] as string) : topOf(file);
    const fromRank = RANK[from];
    if (fromRank === undefined) continue; // test/*.test.ts at the root of test/: cross-cutting checks
    for (const spec of importsOf(text)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      const targetIsTest = target.startsWith('test/');
      const to = targetIsTest ? (target.split('/')[1] as string) : topOf(target);
      const toRank = RANK[to];
      if (toRank === undefined) {
        if (!(isTest && targetIsTest)) bad.push(`${file}: imports ${spec}, outside the layers`);
        continue;
      }
      if (targetIsTest && !isTest) { bad.push(`${file}: product code imports a test (${spec})`); continue; }
      const allowed = isTest && !targetIsTest ? Math.max(fromRank, RANK.src as number) : fromRank;
      if (toRank > allowed) { bad.push(`${file}: imports ${target} — ${to} is above ${from} (rule 1: imports point down)`); continue; }
      if (isTest || to === from) continue;
      if (FACED.has(to) && target !== `${to}/index.ts` && target !== `${to}/errors.ts`) {
        bad.push(`${file}: imports ${target} — enter ${to} through ${to}/index.ts (rule 2)`);
      } else if (to === 'src' && from !== 'cli' && target !== 'src/index.ts') {
        bad.push(`${file}: imports ${target} — ${from} embeds remapdb through src/index.ts (rule 2)`);
      } else if (to === 'src' && from === 'cli' && !/^src\/(?:(?:[a-z-]+\/)?index|errors)\.ts$/.test(target)) {
        bad.push(`${file}: imports ${target} — the CLI enters src through its index files (rule 2)`);
      }
    }
    if (!isTest && ['sim-kernel', 'bufferpool', 'storage', 'src', 'cli'].includes(from)) {
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      if (lines > MAX_LINES && !/over (?:STYLE\.md's )?500 lines/i.test(text.split('\n').slice(0, 40).join('\n'))) {
        bad.push(`${file}: ${lines} lines, over ${MAX_LINES} without saying why in its header (rule 4)`);
      }
    }
  }
  return bad;
}

const ERRORS_FACE = /^(?:sim-kernel|bufferpool|storage|src)\/(?:[a-z-]+\/)?errors\.ts$/;

/** Rule 2's errors faces importing anything but another errors.ts: each would drag its layer in. */
export function heavyErrorFaces(files: Files): string[] {
  const bad: string[] = [];
  for (const [file, text] of files) {
    if (!ERRORS_FACE.test(file)) continue;
    for (const spec of importsOf(text)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      if (!ERRORS_FACE.test(target)) bad.push(`${file}: imports ${target} — an errors.ts face imports only errors.ts faces (rule 2)`);
    }
  }
  return bad;
}

/** Static, value imports of a text (relative and package): what evaluating the module loads. */
function loadedBy(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[;\s])(?:import|export)\s(?!type\s)[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2]) as string);
  return out;
}

/** Rule 6: every module cli/main.ts loads at start, and the packages among them. */
export function startupGraph(files: Files, entry = 'cli/main.ts'): { modules: string[]; packages: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of loadedBy(files.get(file) ?? '')) {
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) { packages.add(spec.split('/')[0] as string); continue; }
      visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
    }
  };
  visit(entry);
  return { modules: [...seen].sort(), packages: [...packages].sort() };
}

const STARTUP_ALLOWED = [/^cli\/(?!commands\/(?!index\.ts$))/, ERRORS_FACE, /^src\/meta\//, /^src\/config\/(?:profiles|log|package-root|errors)\.ts$/];

export function heavyStartup(files: Files): string[] {
  const { modules, packages } = startupGraph(files);
  return [
    ...modules.filter((m) => !STARTUP_ALLOWED.some((re) => re.test(m))).map((m) => `cli/main.ts loads ${m} at start-up (rule 6)`),
    ...packages.filter((p) => p !== 'yargs').map((p) => `cli/main.ts loads the package ${p} at start-up (rule 6)`),
  ];
}

/** Definitions that must be written once in product code (rule 5). */
const VOCABULARY: ReadonlyArray<[string, RegExp]> = [
  ['the SyncMode type', /\btype SyncMode\s*=/],
  ['the strategy name list', /\[\s*'nonlinear',\s*'multi-mmap',\s*'pread'\s*\]/],
  ['the policy name list', /\[\s*'clock',\s*'lru',\s*'2q'\s*\]/],
  ['the personality name list', /\[\s*'linux-2\.6',\s*'linux-4\.0'\s*\]/],
  ['the error-code table of the storage engine', /\bDB_CODES\s*=\s*\{/],
];

export function vocabularyCounts(files: Files): Map<string, string[]> {
  const where = new Map<string, string[]>(VOCABULARY.map(([name]) => [name, []]));
  for (const [file, text] of files) {
    if (file.startsWith('test/')) continue;
    for (const [name, re] of VOCABULARY) {
      const n = text.match(new RegExp(re.source, 'g'))?.length ?? 0;
      for (let i = 0; i < n; i++) where.get(name)?.push(file);
    }
  }
  return where;
}

function readTree(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'fixtures') walk(r);
      } else if (e.name.endsWith('.ts')) {
        files.set(r, fs.readFileSync(path.join(ROOT, r), 'utf8'));
      }
    }
  };
  for (const d of [...PRODUCT, 'test']) if (fs.existsSync(path.join(ROOT, d))) walk(d);
  return files;
}

const tree = readTree();

t.test('the tree keeps the house rules', async (t) => {
  t.ok(tree.size > 200, `${tree.size} TypeScript files read`);
  const found = violations(tree);
  t.same(found, [], 'no violations');
});

t.test('errors faces stay light and the CLI starts without the engine (rules 2 and 6)', async (t) => {
  t.same(heavyErrorFaces(tree), [], 'every errors.ts imports only errors.ts faces');
  const { modules, packages } = startupGraph(tree);
  t.ok(modules.includes('cli/app.ts') && modules.includes('src/errors.ts') && modules.includes('cli/commands/index.ts'),
    `the start-up graph is followed (${modules.length} modules: ${modules.join(', ')})`);
  t.same(packages, ['yargs'], 'yargs is the one package loaded at start-up');
  t.same(heavyStartup(tree), [], 'no engine module, no config loader, no other package before a command runs');
  const plant = (file: string, line: string): Map<string, string> => new Map([...tree, [file, `${line}\n${tree.get(file) ?? ''}`]]);
  const heavy = heavyStartup(plant('cli/app.ts', "import { open } from '../src/index.js';"));
  t.ok(heavy.includes('cli/main.ts loads src/index.ts at start-up (rule 6)') && heavy.includes('cli/main.ts loads storage/pager.ts at start-up (rule 6)'),
    `a static import of the library from cli/app.ts is caught, with what it drags in (${heavy.length} modules)`);
  t.match(heavyStartup(plant('src/config/log.ts', "import { pino } from 'pino';")), [/loads the package pino/],
    'a package loaded at start-up two steps away is caught');
  t.same(heavyStartup(plant('cli/app.ts', "import type { Database } from '../src/index.js';")), [], 'a type-only import loads nothing');
  t.same(heavyStartup(plant('cli/app.ts', "const m = await import('../src/index.js');")), [], 'a dynamic import loads when it runs');
  t.match(heavyErrorFaces(plant('storage/errors.ts', "import { Pager } from './pager.js';")), [/an errors\.ts face imports only errors\.ts faces/],
    'an errors face importing its layer is caught');
});

t.test('one vocabulary: each definition written once in product code', async (t) => {
  for (const [name, files] of vocabularyCounts(tree)) {
    t.equal(files.length, 1, `${name}: ${files.join(', ') || 'nowhere'}`);
  }
});

t.test('the checker catches what it forbids', async (t) => {
  const before = new Set(violations(tree));
  /** The violations that planting `line` in `file` adds. */
  const planted = (file: string, line: string): string[] =>
    violations(new Map([...tree, [file, `${tree.get(file) ?? ''}\n${line}\n`]])).filter((v) => !before.has(v));
  t.match(planted('storage/pager.ts', "import { open } from '../src/index.js';"), [/storage\/pager\.ts: imports src\/index\.ts — src is above storage/],
    'an upward import (storage → src)');
  t.match(planted('sim-kernel/kernel.ts', "import type { BufferPool } from '../bufferpool/index.js';"), [/bufferpool is above sim-kernel/],
    'an upward import (sim-kernel → bufferpool)');
  t.match(planted('src/db.ts', "import { runCli } from '../cli/app.js';"), [/cli is above src/], 'the library importing the CLI');
  t.match(planted('bench/workload.ts', "export { x } from '../storage/pager.js';"), [/enter storage through storage\/index\.ts/],
    'a re-export past a layer\'s face');
  t.match(planted('bench/workload.ts', "const m = await import('../src/db.js');"), [/embeds remapdb through src\/index\.ts/],
    'a dynamic import past src/index.ts');
  t.match(planted('cli/app.ts', "import { x } from '../src/inspect/views.js';"), [/the CLI enters src through its index files/],
    'the CLI past src\'s index files');
  t.match(planted('test/storage/catalog.test.ts', "import { x } from '../../bench/workloads/stores.js';"), [/bench is above storage/],
    'a storage test importing a benchmark');
  t.match(planted('test/src/config.test.ts', "import { x } from '../../cli/app.js';"), [/cli is above src/], 'a library test importing the CLI');
  t.same(planted('test/storage/catalog.test.ts', "import { open } from '../../src/index.js';"), [], 'a storage test driving the public API');
  t.match(planted('storage/pager.ts', "import { x } from '../test/storage/helpers.js';"), [/product code imports a test/],
    'product code importing a test helper');
  const long = violations(new Map([['bufferpool/huge.ts', '// a file\n'.repeat(MAX_LINES + 1)]]));
  t.match(long, [/over 500 without saying why/], 'a long file without a reason');
  t.same(violations(new Map([['bufferpool/huge.ts', `/** Why over 500 lines: one state machine. */\n${'x;\n'.repeat(MAX_LINES)}`]])), [],
    'a long file that says why');
  const dup = vocabularyCounts(new Map([...tree, ['bench/extra.ts', "export type SyncMode = 'off' | 'full';"]]));
  t.equal(dup.get('the SyncMode type')?.length, 2, 'a second SyncMode is counted');
});
