/**
 * The environment a benchmark run happened in: Node, V8, OS, CPU, memory, checkout.
 */

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { ownManifest, packageRoot } from './package-files.js';

export interface Environment {
  date: string;
  node: string;
  v8: string;
  platform: string;
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
  /** 1/5/15-minute load averages when the run started (other work on the machine skews timings). */
  loadAverage: number[];
  git: string | null;
  argv: string[];
  execArgv: string[];
}

function gitRevision(): string | null {
  try {
    // Read-only: the commit checked out (the working tree may hold uncommitted edits).
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function environment(): Environment {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model.trim()))];
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()} ${process.arch}`,
    cpuModel: models.join(' + ') || 'unknown',
    cpus: cpus.length,
    memoryBytes: os.totalmem(),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    git: gitRevision(),
    argv: process.argv.slice(2),
    execArgv: process.execArgv,
  };
}

/** Current 1/5/15-minute load averages, rounded. */
export function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

/**
 * The installed version of a dependency ('unknown' if it cannot be read): its package.json
 * in the node_modules folders Node would search from remapdb's root (hoisted or nested).
 */
export function packageVersion(name: string): string {
  const from = createRequire(path.join(packageRoot(), 'package.json'));
  for (const dir of from.resolve.paths(name) ?? []) {
    try {
      return (JSON.parse(fs.readFileSync(path.join(dir, name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // not in this folder: the next one up
    }
  }
  return 'unknown';
}

/** remapdb's own version and the engines' and harness libraries' versions, for run records. */
export function packageVersions(): Record<string, string> {
  const own = (): string => ownManifest().version ?? 'unknown';
  return {
    remapdb: own(), 'better-sqlite3': packageVersion('better-sqlite3'), lmdb: packageVersion('lmdb'),
    'hdr-histogram-js': packageVersion('hdr-histogram-js'), node: process.version,
  };
}
