/**
 * Where the remapdb package lives on disk, found from this module's own URL.
 *
 * Why not the cwd: `remapdb` runs from anywhere (npx, a global install, a test's
 * temporary directory), and config/ ships beside dist/ in the package. The same
 * walk works from src/ under tsx and from dist/src/ after `npm run build`.
 *
 * Invariant: the root is the nearest ancestor directory holding a package.json
 * whose "name" is "remapdb"; it is searched once and cached.
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'remapdb';
/** src/ and dist/src/ are at most 2 levels deep; 8 bounds the walk with room to spare. */
const MAX_ANCESTORS = 8;

let cachedRoot: string | undefined;

function readPackageJson(dir: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}

/** Absolute path of the package root; throws if this file is not inside remapdb (a broken install). */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < MAX_ANCESTORS; i++) {
    if (readPackageJson(dir)?.name === PACKAGE_NAME) {
      cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`remapdb: no package.json named "${PACKAGE_NAME}" above ${fileURLToPath(import.meta.url)}; the installation is broken`);
}

/** The "version" field of remapdb's package.json. */
export function packageVersion(): string {
  const version = readPackageJson(packageRoot())?.version;
  if (typeof version !== 'string') throw new Error('remapdb: package.json has no version string');
  return version;
}
