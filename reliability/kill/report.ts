/**
 * The kill test's output: a side-by-side table (cli-table3) of every configuration, or
 * the whole result as JSON; and the replay command a failure prints.
 */

import Table from 'cli-table3';

import type { ConfigResult } from './run.js';
import type { Phase } from './protocol.js';

export interface RunSummary {
  seed: number;
  /** The command that replays this run's plans. */
  replay: string;
  wallMs: number;
  results: ConfigResult[];
}

const PHASE_SHORT: Readonly<Record<Phase, string>> = {
  startup: 'start', open: 'open', commit: 'commit', 'auto-checkpoint': 'auto-ckpt', checkpoint: 'ckpt', idle: 'idle',
};

/** "open 2, commit 5, ckpt 3": the phases rounds were killed in, by the child's last line. */
function phases(r: ConfigResult): string {
  return Object.entries(r.phases).filter(([, n]) => n > 0).map(([p, n]) => `${PHASE_SHORT[p as Phase]} ${n}`).join(', ');
}

/** ok, or what broke the claim. */
export function resultOf(r: ConfigResult): string {
  if (r.ok) return 'ok';
  return r.lost > 0 ? 'FAIL: lost commits' : 'FAIL: a check';
}

export function formatTable(s: RunSummary): string {
  const t = new Table({
    head: ['engine', 'setting', 'claims on a process kill', 'rounds', 'killed in', 'acked', 'lost', 'gaps / partial', 'result'],
    colAligns: ['left', 'left', 'left', 'right', 'left', 'right', 'right', 'right', 'left'],
    style: { head: [], border: [] },
    wordWrap: true,
    colWidths: [9, 22, 34, null, 24, null, null, null, 13],
  });
  for (const r of s.results) {
    t.push([r.config.engine, r.setting, r.claim.text, r.rounds, phases(r), r.acks, r.lost, `${r.gaps} / ${r.partial}`, resultOf(r)]);
  }
  return t.toString();
}

/** Every problem of the configurations that failed, with the replay of each. */
export function formatProblems(s: RunSummary, replayOf: (r: ConfigResult) => string, limit = 10): string {
  const out: string[] = [];
  for (const r of s.results) {
    if (r.ok) continue;
    out.push(`${r.config.engine} ${r.setting}: ${r.lost} lost, ${r.gaps} gaps, ${r.partial} partial, ${r.problems.length} problems ` +
      `(directory ${r.dir})`);
    for (const p of r.problems.slice(0, limit)) out.push(`  ${p}`);
    if (r.problems.length > limit) out.push(`  … ${r.problems.length - limit} more (--json lists them all)`);
    const lossy = r.records.filter((x) => x.lost > 0).map((x) => `round ${x.round} (${x.phase}) ${x.lost}`);
    if (lossy.length > 0) out.push(`  lost by round: ${lossy.join(', ')}`);
    out.push(`  replay: ${replayOf(r)}`);
  }
  return out.join('\n');
}

export function toJson(s: RunSummary): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}
