/**
 * Running the real `remapdb` binary from tests: the source entry point under tsx, in the
 * repository root, with no REMAPDB_* variables leaking in from the caller's environment.
 */

import { spawn, type ChildProcess, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as fs from 'node:fs';
import * as os from 'node:os';

import type { Test } from 'tap';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = join(ROOT, 'cli/main.ts');
const TSX = import.meta.resolve('tsx');

export interface CliResult { status: number | null; stdout: string; stderr: string }

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REMAPDB_') && k !== 'CI')), ...extra };
}

export function remapdb(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: ROOT, env: cleanEnv(opts.env), encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Start the binary without waiting (a long-running bench for the live inspector). */
export function remapdbChild(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The CLI's contract for an error: nothing on stdout, one `remapdb: …` line on stderr. */
export function oneLine(t: Test, r: { stdout: string; stderr: string }): void {
  t.equal(r.stdout, '');
  t.match(r.stderr, /^remapdb: [^\n]+\n$/);
}

/** A temporary directory removed when `t` ends. */
export function tmp(t: Test, name: string): string {
  const dir = fs.mkdtempSync(join(os.tmpdir(), `remapdb-${name}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type Json = Record<string, unknown>;
export const json = (s: string): Json => JSON.parse(s) as Json;
