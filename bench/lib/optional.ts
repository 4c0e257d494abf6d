/**
 * The benchmarks' optional packages, loaded when first needed. A library user installs
 * remapdb for open(); the peers (lmdb), the HTML report's charts (vega, vega-lite) and
 * the latency histograms (hdr-histogram-js) are optional peer dependencies (issue 18:
 * they were ~98 MB of every install): npm does not install an optional peer on its own,
 * so `npm install remapdb` stays small, and a command that needs one fails with
 * REMAPDB_MISSING_DEPENDENCY naming the package to install, instead of
 * ERR_MODULE_NOT_FOUND from deep inside a benchmark.
 */

import { createRequire } from 'node:module';
import { CodedError, REMAPDB_CODES } from '../../src/index.js';
import { ownManifest } from './package-files.js';

/** The optional packages, and what needs each (for the message). */
export const OPTIONAL_PACKAGES = {
  'lmdb': 'the LMDB peer of the benchmarks',
  'vega': "the HTML report's charts",
  'vega-lite': "the HTML report's charts",
  'hdr-histogram-js': 'the latency histograms of the benchmarks',
} as const;
export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES;

const requireHere = createRequire(import.meta.url);

function isNotFound(err: unknown, name: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : '';
  // Only the package itself missing: a dependency of it missing is its own bug to report.
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') &&
    (message.includes(`'${name}'`) || message.includes(`"${name}"`));
}

/** `name@range` as remapdb's package.json declares the peer (found above this file), or the bare name. */
function installSpec(name: OptionalPackage): string {
  let range: string | undefined;
  try {
    range = ownManifest().peerDependencies?.[name];
  } catch {
    // a broken install: the bare name still tells what to install
  }
  return range === undefined ? name : `${name}@${range}`;
}

export function missingDependency(name: OptionalPackage, cause: unknown): CodedError {
  return new CodedError(REMAPDB_CODES.MISSING_DEPENDENCY,
    `${OPTIONAL_PACKAGES[name]} need${name === 'vega' || name === 'vega-lite' ? '' : 's'} the optional package ${name}, ` +
    `which is not installed: run npm install ${installSpec(name)} in your project`,
    { cause, details: { package: name } });
}

/** A CommonJS optional package, synchronously (for code paths that are synchronous). */
export function requireOptional<T>(name: OptionalPackage): T {
  try {
    return requireHere(name) as T;
  } catch (err) {
    if (isNotFound(err, name)) throw missingDependency(name, err);
    throw err;
  }
}

/** Rethrow a failed `import(name)` as REMAPDB_MISSING_DEPENDENCY when the package is absent. */
export function rethrowMissing(name: OptionalPackage, err: unknown): never {
  if (isNotFound(err, name)) throw missingDependency(name, err);
  throw err;
}
