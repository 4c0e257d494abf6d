/**
 * Buffers by relation, as pg_buffercache's usual query shows them
 *
 *   SELECT n.nspname, c.relname, count(*) AS buffers, ... FROM pg_buffercache b JOIN pg_class c
 *   ON b.relfilenode = pg_relation_filenode(c.oid) ... GROUP BY ... ORDER BY 3 DESC;
 *
 * here over the slots view's rows (every occupied slot with its owner: a table, an index,
 * the schema tree, the superblock, the free list or overflow pages): per owner the
 * resident buffers, how many are dirty and pinned, and their share of the pool.
 */

import { int, renderTable } from '../../bench/lib/format.js';
import type { SlotsView } from '../../src/inspect/index.js';

export interface RelationRow { owner: string; buffers: number; dirty: number; pinned: number; poolShare: number }

export interface RelationsView { poolSlots: number; occupied: number; relations: RelationRow[] }

/** Group every occupied slot (a slots view taken with limit 0) by owner, most buffers first. */
export function relationsView(slots: SlotsView, poolSlots: number): RelationsView {
  const by = new Map<string, RelationRow>();
  for (const r of slots.rows) {
    const owner = r.owner === '' ? '(unknown)' : r.owner;
    const row = by.get(owner) ?? { owner, buffers: 0, dirty: 0, pinned: 0, poolShare: 0 };
    row.buffers++;
    if (r.dirty) row.dirty++;
    if (r.pins > 0) row.pinned++;
    by.set(owner, row);
  }
  const relations = [...by.values()].sort((a, b) => b.buffers - a.buffers || (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
  for (const r of relations) r.poolShare = poolSlots === 0 ? 0 : r.buffers / poolSlots;
  return { poolSlots, occupied: slots.occupied, relations };
}

export function renderRelations(v: RelationsView): string {
  return renderTable({
    title: `Buffers by relation — pg_buffercache grouped by relation: ${int(v.occupied)} of ${int(v.poolSlots)} slots occupied`,
    columns: ['relation', 'buffers', 'dirty', 'pinned', '% of pool'],
    rightAlign: [1, 2, 3, 4],
    rows: v.relations.map((r) => [r.owner, int(r.buffers), int(r.dirty), int(r.pinned), `${(100 * r.poolShare).toFixed(1)} %`]),
  });
}
