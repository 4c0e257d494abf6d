/**
 * `remapdb report [RUN...]`: a recorded run (default: the newest) as terminal tables and
 * a self-contained HTML report whose charts vega-lite draws to SVG in this process —
 * throughput per strategy and peer, latency percentiles per transaction type, VMAs and
 * kernel bytes against pool size, simulated kernel time by event, faults and evictions
 * over time. Several runs go into one report. `--screenshot PNG` renders the page in
 * headless Chromium (Debian's chromium package) to check it draws.
 */

import * as path from 'node:path';

import { renderRun } from '../../bench/harness/report.js';
import type { RunResult } from '../../bench/harness/types.js';
import { chromiumPath, screenshotHtml } from '../../bench/lib/screenshot.js';
import { CodedError, UsageError } from '../../src/index.js';
import { defineCommand } from '../command.js';
import { writeHtml } from './bench.js';
import { getRun, openResults, RESULTS_OPTION } from './runs.js';

export const reportCommand = defineCommand({
  command: 'report [runs..]',
  describe: 'Write the HTML report (vega-lite charts) of recorded runs and print their tables',
  examples: [
    ['remapdb report', 'the newest run: tables here, HTML in remapdb-results/report-<id>.html'],
    ['remapdb report 3 5 --out cmp.html', 'runs 3 and 5 in one report'],
    ['remapdb report --screenshot report.png', 'also render it in headless Chromium to a PNG'],
  ],
  builder: (y) => y
    .positional('runs', { type: 'number', array: true, describe: 'run ids (remapdb runs lists them); default the newest' })
    .option('results', RESULTS_OPTION)
    .option('out', { type: 'string', requiresArg: true, describe: 'HTML file to write (default remapdb-results/report-<ids>.html)' })
    .option('tables', { type: 'boolean', default: true, describe: 'print the terminal tables too (--no-tables: only the file)' })
    .option('screenshot', { type: 'string', requiresArg: true, describe: 'render the report in headless Chromium into this PNG' }),
  async run(args, ctx) {
    const db = openResults(args.results);
    let runs: RunResult[];
    try {
      let ids = args.runs ?? [];
      if (ids.length === 0) {
        const latest = db.latest();
        if (latest === null) throw new UsageError(`${args.results} holds no runs yet: run remapdb bench (or npm start) first`);
        ids = [latest];
      }
      runs = ids.map((id) => getRun(db, id));
    } finally {
      db.close();
    }
    const ids = runs.map((r) => r.runId ?? 0);
    const out = args.out ?? path.join(path.dirname(args.results), `report-${ids.join('-')}.html`);
    const file = await writeHtml(runs, out, `remapdb report — run${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`);
    let png: string | null = null;
    if (args.screenshot !== undefined) {
      if (chromiumPath() === null) {
        throw new CodedError('ENOENT', '--screenshot needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium)');
      }
      png = path.resolve(args.screenshot);
      await screenshotHtml(file, png, { width: 1280, height: 2400 });
    }
    if (args.json) {
      ctx.out(`${JSON.stringify({ runs: ids, html: file, screenshot: png }, null, 2)}\n`);
      return;
    }
    if (args.tables) for (const r of runs) ctx.out(`${renderRun(r, { box: true })}\n\n`);
    ctx.out(`HTML report: ${file}${png === null ? '' : `\nscreenshot: ${png}`}\n`);
  },
});
