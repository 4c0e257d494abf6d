/**
 * `remapdb check DIR`: is this database sound? Opens it (running recovery if it was not
 * closed cleanly, as any open does), then reports every check instead of stopping at the
 * first: the checksum of every page as it is in the file, the free list, each B+tree's
 * invariants (order, fill, links, depth, row counts, overflow chains) and each index
 * against its table, page accounting (superblock + trees + free = page count), the
 * catalog (meta.sqlite) against the schema tree, the WAL — and, when the directory holds a
 * loaded workload (its image.json, written by `remapdb load` and the benchmark), that
 * workload's consistency checks (TPC-C C1–C12, TPC-B balances, YCSB rows and values).
 *
 * Exit status: 0 when everything passed; CHECK_FAILED (5) when anything failed, the
 * database could not be opened because it is damaged, or is not a remapdb database;
 * LOCKED (6) when a running engine holds it.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { MANIFEST_FILE, readWorkloadManifest } from '../../bench/harness/images.js';
import type { ImageManifest } from '../../bench/harness/types.js';
import { workloadByName } from '../../bench/harness/registry.js';
import { DEFAULT_SPEC, type Store } from '../../bench/workloads/stores.js';
import { renderTable } from '../../bench/lib/format.js';
import { DATA_FILE } from '../../storage/index.js';
import type { FormatUpgrade, IntegrityCheck } from '../../storage/index.js';
import { open } from '../../src/index.js';
import type { RemapdbConfig } from '../../src/config/index.js';
import { CodedError, REMAPDB_CODES } from '../../src/index.js';
import { defineCommand } from '../command.js';

interface CheckReport {
  dir: string;
  ok: boolean;
  checks: (IntegrityCheck & { group: 'engine' | 'workload' })[];
  workload: { name: string; params: Record<string, unknown> } | null;
  /** Opening it upgraded an older page file in place (null: it was current). */
  upgraded: FormatUpgrade | null;
}

/** Run every check on the database in `dir` (not throwing for failed checks). */
export function checkDatabase(dir: string, o: { checksums: boolean; workload: boolean; config?: RemapdbConfig }): CheckReport {
  if (!fs.existsSync(dir)) throw new CodedError('ENOENT', `${dir}: no such directory`);
  if (!fs.statSync(dir).isDirectory()) throw new CodedError('ENOTDIR', `${dir}: not a directory (give a database directory)`);
  if (!fs.existsSync(path.join(dir, DATA_FILE))) {
    throw new CodedError(REMAPDB_CODES.CHECK_FAILED, `${dir} holds no ${DATA_FILE}: not a remapdb database`);
  }
  const report: CheckReport = { dir: path.resolve(dir), ok: true, checks: [], workload: null, upgraded: null };
  // The configuration's machine and pool settings (o.config), but a pool of at least 16384
  // slots: a large pool keeps the walk of every tree from evicting what it just read.
  const poolPages = Math.max(16384, o.config?.bufferpool.slots ?? 0);
  const db = open(dir, { ...(o.config === undefined ? {} : { config: o.config }), sync: 'off', poolPages, snapshotOnClose: false });
  try {
    report.upgraded = db.stats().upgraded;
    for (const c of db.integrityReport({ checksums: o.checksums }).checks) report.checks.push({ ...c, group: 'engine' });
    if (o.workload && fs.existsSync(path.join(dir, MANIFEST_FILE))) {
      let m: ImageManifest | null = null;
      try {
        m = readWorkloadManifest(dir);
      } catch (err) {
        report.checks.push({ id: MANIFEST_FILE, ok: false, detail: (err as Error).message, group: 'workload' });
      }
      if (m !== null) {
        report.workload = m.workload;
        try {
          const wl = workloadByName(m.workload.name);
          const store: Store = { kind: 'remapdb', spec: { ...DEFAULT_SPEC, kind: 'remapdb' }, dir, db };
          for (const c of wl.bind(store, wl.params(m.workload.params)).check()) report.checks.push({ ...c, group: 'workload' });
        } catch (err) {
          report.checks.push({ id: `${m.workload.name} checks`, ok: false, detail: err instanceof Error ? err.message : String(err), group: 'workload' });
        }
      }
    }
  } finally {
    db.close();
  }
  report.ok = report.checks.every((c) => c.ok);
  return report;
}

export const checkCommand = defineCommand({
  command: 'check <dir>',
  describe: 'Verify a database: page checksums, B+tree invariants, catalog against page file, and its workload\'s consistency checks',
  examples: [
    ['remapdb check remapdb-results/demo-db', 'every check on the demo database; exit 5 if any fails'],
    ['remapdb check DIR --json', 'the checks as JSON'],
    ['remapdb check DIR --no-checksums --no-workload', 'structure only (faster on big databases)'],
  ],
  builder: (y) => y
    .positional('dir', { type: 'string', demandOption: true, describe: 'database directory' })
    .option('checksums', { type: 'boolean', default: true, describe: 'read every page of the file and verify its checksum (--no-checksums: skip)' })
    .option('workload', { type: 'boolean', default: true, describe: "run the loaded workload's consistency checks (--no-workload: skip)" }),
  run(args, ctx) {
    const r = checkDatabase(args.dir, { checksums: args.checksums, workload: args.workload, config: ctx.config().config });
    const failed = r.checks.filter((c) => !c.ok);
    if (args.json) ctx.out(`${JSON.stringify(r, null, 2)}\n`);
    else {
      ctx.out(`${renderTable({
        title: `remapdb check ${r.dir}${r.workload === null ? '' : ` (workload ${r.workload.name} ${JSON.stringify(r.workload.params)})`}`,
        columns: ['', 'check', 'result'],
        rows: r.checks.map((c) => [c.ok ? 'ok' : 'FAIL', c.group === 'workload' ? `${c.id} (workload)` : c.id, c.detail]),
        notes: [
          ...(r.upgraded === null ? [] : [`the page file was upgraded from format ${r.upgraded.from} to ${r.upgraded.to} when opened ` +
            `(${r.upgraded.resealed} page checksums rewritten${r.upgraded.damaged.length === 0 ? '' : `; pages ${r.upgraded.damaged.join(', ')} damaged, left as they were`})`]),
          failed.length === 0 ? `all ${r.checks.length} checks passed` : `${failed.length} of ${r.checks.length} checks FAILED`,
        ],
      }, { box: true })}\n`);
    }
    if (failed.length > 0) {
      throw new CodedError(REMAPDB_CODES.CHECK_FAILED, `${r.dir}: ${failed.length} check(s) failed: ${failed.slice(0, 3).map((c) => `${c.id}: ${c.detail}`).join('; ')}`);
    }
  },
});
