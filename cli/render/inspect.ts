/**
 * Terminal text for the inspector's views (src/inspect/views.ts): boxed tables
 * (cli-table3) for people; `--json` prints the view objects themselves instead.
 */

import { bytes, duration, int, joinWrapped, renderTable } from '../../bench/lib/format.js';
import type { PtesView, SlotsView, SummaryView } from '../../src/inspect/index.js';

const box = { box: true };
const hex = (n: number): string => (n < 0 ? '-' : `0x${n.toString(16).padStart(8, '0')}`);
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

function kv(title: string, rows: [string, string][], numeric = true): string {
  return renderTable({ title, columns: ['field', 'value'], rows, rightAlign: numeric ? [1] : [] }, box);
}

export function renderSummary(v: SummaryView): string {
  const b = v.buffercache;
  const n = v.innodb;
  const k = v.kernel;
  const d = v.db;
  return [
    `strategy ${v.strategy} on ${v.personality}/${v.arch}, pid ${v.pid}, taken ${v.takenAt} (${v.label})`,
    kv('Buffer pool — pg_buffercache_summary', [
      ['buffers_used', int(b.buffers_used)], ['buffers_unused', int(b.buffers_unused)], ['buffers_dirty', int(b.buffers_dirty)],
      ['buffers_pinned', int(b.buffers_pinned)], ['usagecount_avg', b.usagecount_avg.toFixed(2)],
    ]),
    kv('Buffer pool — INNODB_BUFFER_POOL_STATS', [
      ['POOL_SIZE', int(n.POOL_SIZE)], ['FREE_BUFFERS', int(n.FREE_BUFFERS)], ['DATABASE_PAGES', int(n.DATABASE_PAGES)],
      ['MODIFIED_DATABASE_PAGES', int(n.MODIFIED_DATABASE_PAGES)], ['NUMBER_PAGES_READ', int(n.NUMBER_PAGES_READ)],
      ['NUMBER_PAGES_CREATED', int(n.NUMBER_PAGES_CREATED)], ['NUMBER_PAGES_WRITTEN', int(n.NUMBER_PAGES_WRITTEN)],
      ['NUMBER_PAGES_GET', int(n.NUMBER_PAGES_GET)], ['HIT_RATE', pct(n.HIT_RATE)],
    ]),
    kv('I/O since open — pg_stat_io', [
      ['fixes (gets)', int(v.io.fixes)], ['hits', int(v.io.hits)], ['misses (reads + new pages)', int(v.io.misses)], ['evictions', int(v.io.evictions)],
      ['writebacks', int(v.io.writebacks)], ['installs', int(v.io.installs)], ['preads', int(v.io.preads)], ['pwrites', int(v.io.pwrites)],
    ]),
    kv('Kernel — what only remapdb shows', [
      ['window', k.window === null ? `none (${v.strategy})` : `${hex(k.window.addr)}, ${int(k.window.pages)} pages`],
      ['VMAs', int(k.vmaCount)], ['kernel memory (VMAs + page tables)', bytes(k.kernelBytes)],
      ['remap_file_pages calls', int(k.remaps)], ['mmap / munmap calls', `${int(k.mmaps)} / ${int(k.munmaps)}`],
      ['minor faults', int(k.minorFaults)], ['major faults', int(k.majorFaults)], ['TLB shootdowns', int(k.tlbShootdowns)],
      ['TLB local flushes', int(k.tlbFlushes)], ['swap-outs', int(k.swapOuts)], ['simulated kernel time (remapdb kernel time)', `${duration(k.kernelNsTotal)} since the machine started, ${duration(k.kernelNs)} since the pool opened`],
      ['kernel time per miss', duration(k.kernelNsPerMiss)],
    ]),
    kv('Database', [
      ['directory (when taken)', d.dir], ['page size', `${d.pageSize} B`], ['sync', d.sync], ['pages', `${int(d.pageCount)} (${int(d.freePages)} free)`],
      ['commits / rollbacks since open', `${int(d.commits)} / ${int(d.rollbacks)}`], ['checkpoints since open', int(d.checkpoints)], ['WAL', bytes(d.walBytes)],
      ['tables (rows)', joinWrapped(Object.entries(d.tables).map(([t, rows]) => `${t} ${int(rows)}`), 72) || 'none'],
    ], false),
  ].join('\n\n');
}

export function renderSlots(v: SlotsView): string {
  const f = Object.entries(v.filter).map(([k, x]) => `${k}=${String(x)}`).join(' ');
  return renderTable({
    title: `${int(v.matched)} of ${int(v.occupied)} occupied slots match${f === '' ? '' : ` (${f})`}; showing ${int(v.rows.length)}`,
    columns: ['slot', 'page', 'owner', 'pins', 'dirty', 'usage', 'page LSN', 'copies', 'PTE', 'prot', 'frame', 'address', 'PTE pgoff'],
    rightAlign: [0, 1, 3, 5, 6, 10, 12],
    rows: v.rows.map((r) => [String(r.slot), String(r.pageId), r.owner, String(r.pins), r.dirty ? 'yes' : '', String(r.usage),
      r.pageLsn === null ? '' : String(r.pageLsn), r.state, r.pte, r.prot, r.frame < 0 ? '' : String(r.frame), hex(r.addr),
      r.pgoff < 0 ? '' : String(r.pgoff)]),
    notes: ['copies: w working copy (uncommitted), p pending (logged, waiting for the log), s served from a shadow frame',
      'prot: the protection of the slot\'s page as its PTE gives it — rw normally; under guard mode none (unfixed) or r (fixed ' +
      'for reading), a file PTE keeping it when the page is out (perPageProt)'],
  }, box);
}

export function renderUsage(rows: { usage_count: number; buffers: number; dirty: number; pinned: number }[]): string {
  const max = Math.max(1, ...rows.map((r) => r.buffers));
  return renderTable({
    title: 'Usage counts — pg_buffercache_usage_counts',
    columns: ['usage_count', 'buffers', 'dirty', 'pinned', ''],
    rightAlign: [0, 1, 2, 3],
    rows: rows.map((r) => [String(r.usage_count), int(r.buffers), int(r.dirty), int(r.pinned), '#'.repeat(Math.ceil((40 * r.buffers) / max))]),
  }, box);
}

export function renderPtes(v: PtesView): string {
  const c = v.counts;
  const head = `PTEs behind the ${int(c.present + c.file + c.swap + c.none)} occupied slots (${v.strategy}` +
    `${v.window === null ? '' : `, window ${hex(v.window.addr)} × ${v.window.pages} pages`}): present ${int(c.present)}, ` +
    `file PTE ${int(c.file)}, swap entry ${int(c.swap)}, none ${int(c.none)}; PTEs naming another page than the slot's: ${v.mismatched}`;
  return `${head}\n${renderTable({
    title: '', columns: ['slot', 'address', 'page', 'PTE', 'prot', 'frame', 'pgoff'], rightAlign: [0, 2, 5, 6],
    rows: v.rows.map((r) => [String(r.slot), hex(r.addr), String(r.pageId), r.pte, r.prot, r.frame < 0 ? '' : String(r.frame),
      r.pgoff < 0 ? '' : String(r.pgoff)]),
  }, box)}`;
}

export function renderKernelTime(v: { personality: string; arch: string; kernelMemory: { vmaBytes: number; pageTableBytes: number; totalBytes: number };
  kernelTime: Record<string, { count: number; ns: number }>; }): string {
  const total = Object.values(v.kernelTime).reduce((a, e) => a + e.ns, 0);
  const rows = Object.entries(v.kernelTime).filter(([, e]) => e.count > 0).sort((a, b) => b[1].ns - a[1].ns);
  return [
    `${v.personality}/${v.arch}: kernel memory ${bytes(v.kernelMemory.totalBytes)} (VMAs ${bytes(v.kernelMemory.vmaBytes)}, ` +
      `page tables ${bytes(v.kernelMemory.pageTableBytes)})`,
    renderTable({
      title: `Simulated kernel time by event since the machine started: ${duration(total)}`,
      columns: ['event', 'count', 'time', 'share', 'per event'], rightAlign: [1, 2, 3, 4],
      rows: rows.map(([name, e]) => [name, int(e.count), duration(e.ns), total === 0 ? '' : pct(e.ns / total), duration(e.ns / e.count)]),
    }, box),
  ].join('\n');
}

/** meminfo and vmstat the way /proc prints them. */
export function renderFields(fields: Record<string, number>, unit: 'kB' | ''): string {
  const w = Math.max(...Object.keys(fields).map((k) => k.length)) + 1;
  return Object.entries(fields).map(([k, x]) => (unit === 'kB' ? `${`${k}:`.padEnd(w)} ${String(x).padStart(10)} kB` : `${k} ${x}`)).join('\n');
}

/**
 * /proc/PID/maps with the pool's VMAs named: the nonlinear window (its start is the
 * summary's window address) and the anonymous VMAs — the shadow frames (pages a
 * transaction changes, copied before the change), and under pread/vmcache also the pool's
 * own frames, which the kernel merges with them into one VMA when they are adjacent.
 */
export function labelMaps(maps: string, v: Pick<SummaryView, 'strategy' | 'kernel'>): string {
  const window = v.kernel.window;
  const anonymous = v.strategy === 'pread' || v.strategy === 'vmcache' ? 'pool frames + shadow frames (anonymous)' : 'shadow frames (anonymous)';
  return maps.trimEnd().split('\n').map((line) => {
    const m = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(\S*)\s*$/.exec(line);
    if (m === null) return line;
    const start = parseInt(m[1] ?? '', 16);
    if (window !== null && start === window.addr) return `${line.trimEnd()}   <- buffer-pool window (${int(window.pages)} slots)`;
    if (m[2] === '0' && (m[3] ?? '') === '') return `${line.trimEnd()}   <- ${anonymous}`;
    return line;
  }).join('\n');
}
