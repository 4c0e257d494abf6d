/**
 * One round: spawn the child (child.ts) on the configuration's directory, follow its
 * lines (protocol.ts), send SIGKILL where the plan aims (plan.ts), and read what the
 * child wrote before it died. The result says which transactions were acknowledged —
 * every `ack` written before the kill, including those read after it — and where the
 * child was when it died.
 *
 * Timing: the kill is sent from the 'data' handler that read the aimed-at line, after
 * the plan's delay — a timer for delays of a few milliseconds or more, a spin on
 * performance.now() below that (timers have a 1 ms grain; a checkpoint takes about that).
 */

import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { KillPlan } from './plan.js';
import { type ChildEvent, type ChildJob, parseEvent, type Phase, phaseAfter } from './protocol.js';

/** A child that writes nothing for this long is killed and the round fails (a hang, or a stuck open). */
export const STALL_MS = 30_000;
/** Below this delay the kill spins instead of arming a timer. */
const SPIN_BELOW_MS = 4;
/** Lines of the child's stderr kept to explain a child that died on its own. */
const STDERR_LINES = 20;
/** Protocol problems kept per round (one broken line is a bug; a thousand say no more). */
const PROBLEMS_MAX = 10;

export interface RoundLog {
  /** The child's `start`: the first key it committed; null if it died before opening finished. */
  start: number | null;
  /** Acknowledged transactions: start..lastAck (lastAck = start - 1 when none). */
  acks: number;
  lastAck: number | null;
  /** The last line the child wrote, and the phase it puts the child in at its death. */
  lastEvent: ChildEvent | null;
  phase: Phase;
  /** Why the kill was sent: the plan's line came, or the plan's line never came and the round hit its bound. */
  trigger: 'plan' | 'bound' | 'stall' | 'none';
  /** How the child ended (SIGKILL expected). */
  signal: string | null;
  exitCode: number | null;
  /** Phase durations seen (ms, parent's clock) for PhaseTimes. */
  openMs: number | null;
  checkpointMs: number[];
  autoMs: number[];
  /** Protocol violations and a child that died on its own (with its stderr). */
  problems: string[];
}

export interface RoundInput {
  job: ChildJob;
  plan: KillPlan;
  /** The plan's delay, resolved: fraction × the phase's mean so far (ms). */
  delayMs: number;
  /** Kill after this many acks if the plan's line has not come. */
  boundAcks: number;
}

const CHILD = fileURLToPath(new URL(`child${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/**
 * The child's Node flags: this process's own (tsx's loader when run from source by `npm
 * run kill`), except under tap, whose loader (ts-node) compiles every module again in
 * each process — about 10 s for remapdb's graph on the 2-core VM, per round — where the
 * child gets tsx, which keeps its transforms in a disk cache (~1 s).
 */
function childExecArgv(): string[] {
  if (!process.execArgv.some((a) => a.includes('@tapjs/'))) return [...process.execArgv];
  return ['--import', import.meta.resolve('tsx')];
}

export function runRound(input: RoundInput): Promise<RoundLog> {
  const { job, plan } = input;
  const log: RoundLog = {
    start: null, acks: 0, lastAck: null, lastEvent: null, phase: 'startup', trigger: 'none', signal: null, exitCode: null,
    openMs: null, checkpointMs: [], autoMs: [], problems: [],
  };
  const child = spawn(process.execPath, [...childExecArgv(), CHILD, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let killed = false;
  const kill = (why: RoundLog['trigger']): void => {
    if (killed) return;
    killed = true;
    log.trigger = why;
    child.kill('SIGKILL');
  };
  const killAfter = (ms: number): void => {
    if (ms >= SPIN_BELOW_MS) {
      setTimeout(() => kill('plan'), ms);
      return;
    }
    const until = performance.now() + ms;
    while (performance.now() < until) { /* spin: a timer would wait a whole millisecond */ }
    kill('plan');
  };

  let stall = setTimeout(() => kill('stall'), STALL_MS);
  let openAt = 0;
  let phaseAt = 0;
  let checkpoints = 0;
  let autos = 0;
  const problem = (p: string): void => {
    if (log.problems.length < PROBLEMS_MAX) log.problems.push(p);
  };
  const onEvent = (e: ChildEvent): void => {
    const now = performance.now();
    const prev = log.lastEvent;
    log.lastEvent = e;
    switch (e.kind) {
      case 'opening':
        openAt = now;
        if (!killed && plan.target === 'open') killAfter(input.delayMs);
        break;
      case 'start':
        if (log.start !== null) problem(`a second start line (${e.n})`);
        log.start = e.n;
        log.lastAck = e.n - 1;
        log.openMs = now - openAt;
        break;
      case 'auto':
        phaseAt = now;
        if (!killed && plan.target === 'auto-checkpoint' && ++autos === plan.nth) killAfter(input.delayMs);
        break;
      case 'ack':
        if (log.lastAck === null || e.n !== log.lastAck + 1) problem(`ack ${e.n} after ${String(log.lastAck)}`);
        log.lastAck = e.n;
        log.acks++;
        if (prev?.kind === 'auto') log.autoMs.push(now - phaseAt);
        if (!killed && plan.target === 'commit' && log.acks === plan.nth) kill('plan');
        if (!killed && log.acks >= input.boundAcks) kill('bound');
        break;
      case 'ckpt':
        phaseAt = now;
        if (!killed && plan.target === 'checkpoint' && ++checkpoints === plan.nth) killAfter(input.delayMs);
        break;
      case 'ckpt-done':
        log.checkpointMs.push(now - phaseAt);
        break;
      case 'idle':
        kill('bound');
        break;
    }
  };

  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s: string) => {
    clearTimeout(stall);
    if (!killed) stall = setTimeout(() => kill('stall'), STALL_MS);
    const lines = (partial + s).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const e = parseEvent(line);
      if (e === null) problem(`unreadable line from the child: ${JSON.stringify(line.slice(0, 200))}`);
      else onEvent(e);
    }
  });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr.push(...s.split('\n').filter((l) => l !== ''));
    if (stderr.length > STDERR_LINES) stderr.splice(0, stderr.length - STDERR_LINES);
  });

  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(stall);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(stall);
      // A line cut by the kill is not a line the child finished writing: it is dropped.
      log.signal = signal;
      log.exitCode = code;
      log.phase = phaseAfter(log.lastEvent);
      if (!killed || signal !== 'SIGKILL') {
        log.problems.push(`the child ended on its own (${signal !== null ? `signal ${signal}` : `exit ${String(code)}`}) in phase ` +
          `${log.phase}${stderr.length > 0 ? `; its stderr:\n    ${stderr.join('\n    ')}` : ''}`);
      }
      if (log.trigger === 'stall') log.problems.push(`the child wrote nothing for ${STALL_MS} ms in phase ${log.phase}`);
      resolve(log);
    });
  });
}
