/**
 * The integrity report behind Database.checkInvariants and integrityReport (`remapdb
 * check`): every structural check of a database, each reported rather than thrown — page
 * checksums in the file, the free list, each tree's invariants and an index's entry count
 * against its table's rows, page accounting (every page is the superblock, in exactly one
 * tree, or free), the catalog against the schema tree, and the WAL.
 */

import { BufferPoolError, POOL_ERROR_CODES } from '../bufferpool/index.js';
import { BUS_OBJERR, BusError, KernelError, type Process } from '../sim-kernel/index.js';
import type { BTree } from './btree/index.js';
import type { Catalog } from './catalog.js';
import type { DbError } from './errors.js';
import { verifyFilePage } from './file/index.js';
import type { Pager } from './pager.js';
import type { Schema } from './schema.js';
import type { Wal } from './wal/index.js';

export interface IntegrityCheck {
  id: string;
  ok: boolean;
  detail: string;
}

export interface IntegrityReport {
  checks: IntegrityCheck[];
  freePages: number;
  treePages: number;
}

/** What the checks read. */
export interface IntegritySubject {
  readonly pager: Pager;
  readonly schema: Schema;
  readonly catalog: Catalog;
  readonly wal: Wal;
  verifyFile(): { pages: number; errors: { page: number; code: string; message: string }[] };
}

/** Run every check; `ioErrors` collects, by check id, the I/O errors that failed checks. */
export function integrityReport(db: IntegritySubject, opts: { checksums?: boolean }, ioErrors: Map<string, Error> | null): IntegrityReport {
  const checks: IntegrityCheck[] = [];
  const run = (id: string, fn: () => string): boolean => {
    try {
      checks.push({ id, ok: true, detail: fn() });
      return true;
    } catch (err) {
      if (ioErrors !== null && isIoError(err)) ioErrors.set(id, err as Error);
      checks.push({ id, ok: false, detail: err instanceof Error ? err.message : String(err) });
      return false;
    }
  };
  if (opts.checksums !== false) {
    run('page checksums', () => {
      const v = db.verifyFile();
      if (v.errors.length > 0) {
        throw new Error(`${v.errors.length} of ${v.pages} pages fail: ${v.errors.slice(0, 3).map((e) => `page ${e.page} ${e.code}: ${e.message}`).join('; ')}`);
      }
      return `${v.pages} pages read from the file and verified`;
    });
  }
  let freePages = 0;
  const freeOk = run('free list', () => {
    freePages = db.pager.checkInvariants().freePages;
    return `${freePages} free pages, each once`;
  });
  const owner = new Map<number, string>();
  const claim = (ids: number[], who: string): void => {
    for (const id of ids) {
      const prev = owner.get(id);
      if (prev !== undefined) throw new Error(`page ${id} belongs to both ${prev} and ${who}`);
      owner.set(id, who);
    }
  };
  let treesOk = true;
  const tree = (id: string, t: BTree, extra?: () => void): void => {
    treesOk = run(id, () => {
      const st = t.checkInvariants();
      claim(t.pageIds(), id);
      extra?.();
      return `${st.rows} rows, depth ${st.depth}, ${st.pages} pages (${st.leaves} leaves, ${st.internals} internal, ${st.overflowPages} overflow)`;
    }) && treesOk;
  };
  tree('schema tree', db.schema.tree);
  for (const t of db.schema.tableObjects()) {
    tree(`table ${t.name}`, t.tree);
    for (const ix of t.indexes) {
      tree(`index ${ix.name}`, ix.tree, () => {
        if (ix.tree.count !== t.tree.count) throw new Error(`index "${ix.name}" has ${ix.tree.count} entries, its table ${t.tree.count} rows`);
      });
    }
  }
  if (freeOk && treesOk) {
    run('page accounting', () => {
      const n = db.pager.pageCount;
      if (1 + owner.size + freePages !== n) {
        throw new Error(`${n} pages = 1 superblock + ${owner.size} in trees + ${freePages} free? (${1 + owner.size + freePages}): ` +
          'pages leaked or double-counted');
      }
      return `${n} pages = 1 superblock + ${owner.size} in trees + ${freePages} free`;
    });
  }
  run('catalog', () => {
    db.catalog.checkInvariants();
    const truth = db.schema.objects();
    const mirror = new Map(db.catalog.list().map((o) => [o.name, o]));
    for (const o of truth) {
      const m = mirror.get(o.name);
      if (m === undefined || m.rootPage !== o.rootPage || m.kind !== o.kind) throw new Error(`catalog disagrees with the schema tree on "${o.name}"`);
      mirror.delete(o.name);
    }
    if (mirror.size > 0) throw new Error(`catalog has objects the schema tree does not: ${[...mirror.keys()].join(', ')}`);
    return `${truth.length} objects agree with the schema tree`;
  });
  run('WAL', () => {
    db.wal.checkInvariants();
    return `${db.wal.sizeBytes} bytes, end LSN ${db.wal.endLsn}, durable LSN ${db.wal.durableLsn}`;
  });
  return { checks, freePages, treePages: owner.size };
}

/** Read and verify the checksum of every page as it is in the page file (bypassing the pool). */
export function verifyFile(
  proc: Process, fd: number, pageSize: number, pager: Pager, seed: number,
): { pages: number; errors: { page: number; code: string; message: string }[] } {
  const ps = pageSize;
  const buf = new Uint8Array(ps);
  const errors: { page: number; code: string; message: string }[] = [];
  for (let p = 0; p < pager.pageCount; p++) {
    if (!pager.mustBeSealed(p)) continue;
    proc.pread(fd, buf, p * ps);
    try {
      verifyFilePage(buf, 0, ps, p, seed);
    } catch (err) {
      errors.push({ page: p, code: (err as DbError).code, message: (err as Error).message });
    }
  }
  return { pages: pager.pageCount, errors };
}

/** A failed read or write as the kernel or the pool reports it (coded), not a broken structure. */
export function isIoError(err: unknown): boolean {
  return err instanceof KernelError || (err instanceof BusError && err.siCode === BUS_OBJERR) ||
    (err instanceof BufferPoolError && (err.code === POOL_ERROR_CODES.KERNEL || err.code === POOL_ERROR_CODES.FAILED));
}

/** The pages of every tree, by owner (for `remapdb check`). */
export function pageOwners(schema: Schema): Map<string, number[]> {
  const m = new Map<string, number[]>();
  m.set('schema', schema.tree.pageIds());
  for (const t of schema.tableObjects()) {
    m.set(t.name, t.tree.pageIds());
    for (const ix of t.indexes) m.set(ix.name, ix.tree.pageIds());
  }
  return m;
}
