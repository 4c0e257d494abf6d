/**
 * Start-up cost of the built package (issue 18, part 3): medians of N spawned runs of
 *   node -e 0                                   the floor: Node itself
 *   node dist/cli/main.js --help                budget 0.2 s
 *   node dist/cli/main.js inspect DIR           budget 0.35 s (DIR: a fresh `init`)
 *   node -e "await import('remapdb')"           the whole process, and the import alone
 *                                               timed inside it (budget 60 ms)
 * Run after `npm run build`:   npx tsx bench/startup.ts [--runs 21] [--json]
 *
 * Wall-clock medians of whole processes, so the figures move with the machine's load:
 * the load average is printed beside them, and runs alternate between the cases so a
 * burst of load hits all of them alike.
 */

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { median } from './lib/chunks.js';
import { packageRoot } from './lib/package-files.js';

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly budgetMs: number | undefined;
}

interface Result {
  readonly name: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly budgetMs: number | undefined;
}

const IMPORT_PROBE = "const t = performance.now(); await import('remapdb'); " +
  'process.stdout.write(String(performance.now() - t));';


/** One spawned run: wall milliseconds, and stdout (the import probe prints its own time). */
function timeRun(root: string, args: readonly string[]): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`bench/startup: node ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function parseArgs(argv: readonly string[]): { runs: number; json: boolean } {
  let runs = 21;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--runs') runs = Number(argv[++i]);
    else throw new Error(`bench/startup: unknown argument ${String(a)}; usage: bench/startup.ts [--runs N] [--json]`);
  }
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000) throw new Error(`bench/startup: --runs ${runs}: an integer from 1 to 1000`);
  return { runs, json };
}

function main(): void {
  const { runs, json } = parseArgs(process.argv.slice(2));
  const root = packageRoot();
  const cli = path.join(root, 'dist', 'cli', 'main.js');
  if (!fs.existsSync(cli)) throw new Error(`bench/startup: ${cli} is missing; run npm run build first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-startup-'));
  try {
    const db = path.join(dir, 'db');
    timeRun(root, [cli, 'init', db]);
    const cases: Case[] = [
      { name: 'node -e 0', args: ['-e', '0'], budgetMs: undefined },
      { name: 'remapdb --help', args: [cli, '--help'], budgetMs: 200 },
      { name: 'remapdb inspect DIR', args: [cli, 'inspect', db], budgetMs: 350 },
      { name: "node -e \"await import('remapdb')\"", args: ['--input-type=module', '-e', IMPORT_PROBE], budgetMs: undefined },
    ];
    const wall = cases.map((): number[] => []);
    const importOnly: number[] = [];
    timeRun(root, cases[1]?.args ?? []); // warm the file cache once
    for (let run = 0; run < runs; run++) {
      cases.forEach((c, i) => {
        const r = timeRun(root, c.args);
        wall[i]?.push(r.ms);
        if (c.args[0] === '--input-type=module') importOnly.push(Number(r.stdout));
      });
    }
    const results: Result[] = cases.map((c, i) => {
      const ms = wall[i] ?? [];
      return { name: c.name, medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), budgetMs: c.budgetMs };
    });
    results.push({ name: "  import('remapdb') alone (in-process)", medianMs: median(importOnly),
      minMs: Math.min(...importOnly), maxMs: Math.max(...importOnly), budgetMs: 60 });
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    if (json) {
      process.stdout.write(`${JSON.stringify({ runs, node: process.version, cpus: os.cpus().length, loadAverage: load, results })}\n`);
      return;
    }
    process.stdout.write(`start-up, median of ${runs} runs (node ${process.version}, ${os.cpus().length} CPUs, load average ${load})\n`);
    const width = Math.max(...results.map((r) => r.name.length));
    for (const r of results) {
      const budget = r.budgetMs === undefined ? '' : `  budget ${r.budgetMs} ms: ${r.medianMs <= r.budgetMs ? 'met' : 'OVER'}`;
      process.stdout.write(`  ${r.name.padEnd(width)}  ${r.medianMs.toFixed(0).padStart(5)} ms  (min ${r.minMs.toFixed(0)}, max ${r.maxMs.toFixed(0)})${budget}\n`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
