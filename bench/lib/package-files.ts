/**
 * Where the benchmarks find remapdb's own files on disk, whether they run from the source
 * tree (tsx, `npm run bench`) or from the built package (`remapdb bench`, installed).
 *
 * Why not `import.meta.url` beside the caller: the package's JavaScript is bundled
 * (package.json "build"), so a benchmark module's code may sit in a shared chunk under
 * dist/chunks/, far from the script it means to spawn; only entry points (the cell
 * mains) keep their paths. The package root (src's packageRoot: the nearest folder above
 * the module whose package.json is named remapdb) is the same from a chunk, from
 * dist/bench and from bench/.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { packageRoot } from '../../src/index.js';

export { packageRoot };

/** remapdb's package.json, parsed. */
export function ownManifest(): { version?: string; peerDependencies?: Record<string, string> } {
  return JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: string; peerDependencies?: Record<string, string> };
}

/**
 * The file to run in a child process for the bench script `rel` (a path under bench/
 * without extension, e.g. 'harness/cell-main'): bench/<rel>.ts from source, where the
 * child inherits tsx's loader flags; dist/bench/<rel>.js from the package, where the
 * build makes every such script an entry point.
 */
export function benchScript(rel: string): string {
  const fromSource = import.meta.url.endsWith('.ts');
  return fromSource ? path.join(packageRoot(), 'bench', `${rel}.ts`) : path.join(packageRoot(), 'dist', 'bench', `${rel}.js`);
}
