/**
 * `remapdb inspect [DIR] [--live SOCKET]`: the buffer pool as pg_buffercache and
 * INNODB_BUFFER_POOL_STATS show theirs, plus the window, PTEs, VMAs and kernel figures —
 * from the newest snapshot in DIR/meta.sqlite (stored at every close; the engine may be
 * running) or live from a running engine's inspection socket. `--watch` redraws like
 * top; `--json` prints the view objects (one line per refresh with --watch).
 */

import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { META_FILE, readSnapshots } from '../../storage/index.js';

import { UsageError } from '../../src/index.js';
import type { PtesView, SlotsView, SummaryView, ViewName } from '../../src/inspect/index.js';
import { defineCommand } from '../command.js';
import { labelMaps, renderPtes, renderSlots, renderSummary, renderUsage } from '../render/inspect.js';
import { type RelationsView, relationsView, renderRelations } from '../render/relations.js';
import { openSource, type Source } from '../inspect-source.js';

const INSPECT_VIEWS = ['summary', 'relations', 'slots', 'usage', 'ptes', 'maps', 'all'] as const;
type InspectView = (typeof INSPECT_VIEWS)[number];

/** "100-200" or "100": an inclusive page-id range. */
export function parsePages(s: string): { from: number; to: number } {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim());
  const from = Number(m?.[1]);
  const to = m?.[2] === undefined ? from : Number(m[2]);
  if (m === null || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from > to) {
    throw new UsageError(`--pages ${s}: a page id or an inclusive range FROM-TO of page ids (e.g. 100-200)`);
  }
  return { from, to };
}

export const WATCH_OPTIONS = {
  watch: { type: 'boolean', default: false, describe: 'redraw every --interval seconds until Ctrl-C (with --json: one line per refresh)' },
  interval: { type: 'number', default: 2, requiresArg: true, describe: 'seconds between refreshes with --watch (0.2..3600)' },
} as const;

export const SOURCE_OPTIONS = {
  live: { type: 'string', requiresArg: true, describe: 'inspection socket of a running engine (remapdb bench --inspect-socket PATH)' },
  snapshot: { type: 'number', requiresArg: true, describe: 'a stored snapshot by id instead of the newest (DIR only)' },
} as const;

/** Draw `frame()` once, or every interval seconds until Ctrl-C with --watch. */
export async function watchLoop(src: Source, o: { watch: boolean; interval: number; json: boolean }, frame: () => Promise<string>,
  out: (s: string) => void): Promise<void> {
  if (!(Number.isFinite(o.interval) && o.interval >= 0.2 && o.interval <= 3600)) {
    throw new UsageError(`--interval ${String(o.interval)}: seconds from 0.2 to 3600`);
  }
  if (!o.watch) {
    out(await frame());
    return;
  }
  let stop = false;
  const onInt = (): void => { stop = true; };
  process.once('SIGINT', onInt);
  try {
    while (!stop) {
      await src.refresh();
      const text = await frame();
      // Clear the screen and home the cursor, as top does; JSON lines are appended.
      out(o.json ? text : `\x1b[2J\x1b[H${src.describe()} — every ${o.interval} s, Ctrl-C to stop\n\n${text}`);
      const until = Date.now() + o.interval * 1000;
      while (!stop && Date.now() < until) await sleep(Math.min(100, until - Date.now()));
    }
  } finally {
    process.removeListener('SIGINT', onInt);
  }
}

export const inspectCommand = defineCommand({
  command: 'inspect [dir]',
  describe: 'Show a buffer pool: summary, slots, usage counts, PTEs and maps — from its last snapshot or live',
  examples: [
    ['remapdb inspect remapdb-results/demo-db', 'the summary of the demo database (its last snapshot)'],
    ['remapdb inspect DIR --view relations', 'buffers, dirty and pinned per table and index (pg_buffercache by relation)'],
    ['remapdb inspect DIR --view slots --dirty --table stock', 'dirty resident pages of table stock'],
    ['remapdb inspect DIR --view slots --pages 100-200 --limit 0', 'every resident page with id 100..200'],
    ['remapdb inspect --live /tmp/rdb.sock --watch', 'a running engine, redrawn every 2 s'],
    ['remapdb inspect DIR --view all --json', 'every view as one JSON object'],
  ],
  builder: (y) => y
    .positional('dir', { type: 'string', describe: 'database directory (reads its newest snapshot from meta.sqlite)' })
    .options(SOURCE_OPTIONS)
    .option('view', { choices: INSPECT_VIEWS, default: 'summary' as InspectView, requiresArg: true,
      describe: 'summary (pg_buffercache_summary + INNODB_BUFFER_POOL_STATS + kernel), relations (buffers, dirty, pinned per table/index), ' +
        'slots, usage, ptes, maps, all' })
    .option('dirty', { type: 'boolean', describe: 'slots: only dirty pages (--no-dirty: only clean)' })
    .option('pinned', { type: 'boolean', describe: 'slots: only pinned pages (--no-pinned: only unpinned)' })
    .option('pages', { type: 'string', requiresArg: true, describe: 'slots: page ids FROM-TO (or one id)' })
    .option('table', { type: 'string', requiresArg: true, describe: 'slots: pages of this table or index' })
    .option('limit', { type: 'number', default: 50, requiresArg: true, describe: 'slots, ptes: at most this many rows (0 = all)' })
    .option('list-snapshots', { type: 'boolean', default: false, describe: 'DIR: list the stored snapshots' })
    .option('save', { type: 'boolean', default: false, describe: '--live: ask the engine to store a snapshot now (printed id)' })
    .options(WATCH_OPTIONS),
  async run(args, ctx) {
    if (!(Number.isSafeInteger(args.limit) && args.limit >= 0)) throw new UsageError(`--limit ${String(args.limit)}: an integer >= 0 (0 = all)`);
    const filter: Record<string, unknown> = { limit: args.limit };
    if (args.dirty !== undefined) filter.dirty = args.dirty;
    if (args.pinned !== undefined) filter.pinned = args.pinned;
    if (args.table !== undefined) filter.table = args.table;
    if (args.pages !== undefined) Object.assign(filter, parsePages(args.pages));
    const src = await openSource({ dir: args.dir, live: args.live, snapshot: args.snapshot });
    try {
      if (args.listSnapshots || args.save) {
        await oneShot(src, args, ctx.out);
        return;
      }
      const wanted: ViewName[] = args.view === 'all' ? ['summary', 'usage', 'slots', 'ptes', 'maps'] : args.view === 'relations' ? [] : [args.view];
      const withRelations = args.view === 'all' || args.view === 'relations';
      await watchLoop(src, args, async () => {
        const got: Partial<Record<ViewName | 'relations', unknown>> = {};
        for (const v of wanted) got[v] = await src.get(v, v === 'slots' ? filter : v === 'ptes' ? { limit: args.limit } : {});
        let relations: RelationsView | undefined;
        if (withRelations) {
          const s = (got.summary ?? await src.get('summary', {})) as SummaryView;
          // Every occupied slot, whatever --limit says: the groups must count them all.
          relations = relationsView(await src.get('slots', { limit: 0 }) as SlotsView, s.innodb.POOL_SIZE);
          got.relations = relations;
        }
        if (args.json) return `${JSON.stringify(args.view === 'all' ? { source: src.describe(), ...got } : got[args.view], null, args.watch ? 0 : 2)}\n`;
        const summary = (got.summary ?? await src.get('summary', {})) as SummaryView;
        const parts = wanted.map((v) => render(v, got[v], summary));
        if (relations !== undefined) parts.splice(args.view === 'all' ? 1 : 0, 0, renderRelations(relations));
        return `${args.watch ? '' : `${src.describe()}\n\n`}${parts.join('\n\n')}\n`;
      }, ctx.out);
    } finally {
      src.close();
    }
  },
});

function render(v: ViewName, x: unknown, summary: SummaryView): string {
  switch (v) {
    case 'summary':
      return renderSummary(x as SummaryView);
    case 'slots':
      return renderSlots(x as SlotsView);
    case 'usage':
      return renderUsage(x as Parameters<typeof renderUsage>[0]);
    case 'ptes':
      return renderPtes(x as PtesView);
    default: {
      const m = x as { vmaCount: number; maps: string };
      return `/proc/${summary.pid}/maps — ${m.vmaCount} VMA(s)\n${labelMaps(m.maps, summary)}`;
    }
  }
}

async function oneShot(src: Source, args: { listSnapshots: boolean; save: boolean; live?: string | undefined; dir?: string | undefined; json: boolean },
  out: (s: string) => void): Promise<void> {
  if (args.save) {
    if (args.live === undefined) throw new UsageError('--save asks a running engine for a snapshot: give --live SOCKET');
    const r = await src.get('snapshot' as ViewName, { label: 'cli' }) as { id: number };
    out(args.json ? `${JSON.stringify(r)}\n` : `stored snapshot ${r.id} in the engine's meta.sqlite\n`);
    return;
  }
  if (args.dir === undefined) throw new UsageError('--list-snapshots reads a database directory: give DIR');
  const { list } = readSnapshots(path.join(args.dir, META_FILE));
  if (args.json) {
    out(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  const header = `${'id'.padStart(6)}  ${'taken at'.padEnd(24)}  ${'label'.padEnd(8)}  strategy`;
  const rows = list.map((s) => `${String(s.id).padStart(6)}  ${new Date(s.takenAt).toISOString()}  ${s.label.padEnd(8)}  ${s.strategy}`);
  out(`${[header, ...rows].join('\n')}\n${list.length === 0 ? '(no snapshots yet: one is stored when the database closes)\n' : ''}`);
}
