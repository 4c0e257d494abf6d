/**
 * `remapdb kernel <view> [DIR] [--live SOCKET]`: the simulated machine under a database,
 * as /proc shows a real one — maps, smaps, meminfo, vmstat — plus the PTEs behind the
 * buffer pool's slots and the simulated kernel time by event. From the database's newest
 * snapshot, or live from a running engine.
 */

import { UsageError } from '../../src/index.js';
import type { PtesView, SummaryView } from '../../src/inspect/index.js';
import { defineCommand } from '../command.js';
import { labelMaps, renderFields, renderKernelTime, renderPtes } from '../render/inspect.js';
import { openSource } from '../inspect-source.js';
import { SOURCE_OPTIONS, WATCH_OPTIONS, watchLoop } from './inspect.js';

const KERNEL_VIEWS = ['maps', 'smaps', 'meminfo', 'vmstat', 'ptes', 'time'] as const;

export const kernelCommand = defineCommand({
  command: 'kernel <view> [dir]',
  describe: "The simulated kernel's views of a database's process: maps, smaps, meminfo, vmstat, ptes, time",
  examples: [
    ['remapdb kernel maps remapdb-results/demo-db', "the process's VMAs (/proc/PID/maps) when the demo database closed"],
    ['remapdb kernel ptes DIR --limit 0', 'the PTE (present, file PTE, swap entry) behind every occupied slot'],
    ['remapdb kernel time --live /tmp/rdb.sock --watch', 'simulated kernel time by event, live'],
    ['remapdb kernel vmstat DIR --json', 'vmstat counters as JSON'],
  ],
  builder: (y) => y
    .positional('view', { choices: KERNEL_VIEWS, demandOption: true, describe: 'which view' })
    .positional('dir', { type: 'string', describe: 'database directory (reads its newest snapshot)' })
    .options(SOURCE_OPTIONS)
    .option('limit', { type: 'number', default: 50, requiresArg: true, describe: 'ptes: at most this many rows (0 = all)' })
    .options(WATCH_OPTIONS),
  async run(args, ctx) {
    // Checked for every view (only ptes uses it), so a bad value is never accepted unnoticed.
    if (!(Number.isSafeInteger(args.limit) && args.limit >= 0)) throw new UsageError(`--limit ${String(args.limit)}: an integer >= 0 (0 = all)`);
    const src = await openSource({ dir: args.dir, live: args.live, snapshot: args.snapshot });
    try {
      await watchLoop(src, args, async () => {
        const v = args.view;
        const name = v === 'time' ? 'kernel' : v;
        const x = await src.get(name, v === 'ptes' ? { limit: args.limit } : {});
        if (args.json) return `${JSON.stringify(x, null, args.watch ? 0 : 2)}\n`;
        switch (v) {
          case 'maps': {
            const summary = await src.get('summary', {}) as SummaryView;
            return `/proc/${summary.pid}/maps — ${src.describe()}\n${labelMaps((x as { maps: string }).maps, summary)}\n`;
          }
          case 'smaps':
            return `${(x as { smaps: string }).smaps.trimEnd()}\n`;
          case 'meminfo':
            return `${renderFields(x as Record<string, number>, 'kB')}\n`;
          case 'vmstat':
            return `${renderFields(x as Record<string, number>, '')}\n`;
          case 'ptes':
            return `${renderPtes(x as PtesView)}\n`;
          case 'time':
            return `${renderKernelTime(x as Parameters<typeof renderKernelTime>[0])}\n`;
        }
      }, ctx.out);
    } finally {
      src.close();
    }
  },
});
