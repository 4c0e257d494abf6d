/**
 * Run a harness job in a child Node process with this process's loader flags (tsx when
 * run from source): its stderr lines (progress, errors) go to `onLine` — the run's log —
 * except progress events (progress.ts), which go to `onProgress`; the one JSON line it
 * prints on stdout is its result.
 */

import { spawn } from 'node:child_process';

import { CodedError } from '../../src/index.js';
import type { Job } from './cell.js';
import { benchScript } from '../lib/package-files.js';
import { type ProgressEvent, PROGRESS_PREFIX, parseProgress } from './progress.js';

/** A job that takes longer than its limits plus this is killed and reported as failed. */
export const JOB_GRACE_MS = 15 * 60 * 1000;

export function runJob<T>(job: Job, timeoutMs: number, onLine: (line: string) => void, onProgress?: (e: ProgressEvent) => void): Promise<T> {
  const script = benchScript('harness/cell-main');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', script, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => { out += s; });
    let partial = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      const lines = (partial + s).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        if (!l.startsWith(PROGRESS_PREFIX)) onLine(l);
        else {
          const e = parseProgress(l);
          if (e !== null) onProgress?.(e);
        }
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      if (partial !== '') onLine(partial);
      const last = out.trim().split('\n').pop() ?? '';
      let msg: { ok?: T; error?: string; code?: string; details?: Record<string, unknown> } = {};
      try {
        msg = JSON.parse(last) as typeof msg;
      } catch {
        // fall through: no result line
      }
      if (msg.ok !== undefined) resolve(msg.ok);
      else if (msg.code !== undefined && msg.error !== undefined) reject(new CodedError(msg.code, msg.error, { details: msg.details ?? {} }));
      else reject(new Error(msg.error ?? `${job.phase} job exited with ${signal !== null ? `signal ${signal}` : `status ${String(status)}`} and no result`));
    });
  });
}
