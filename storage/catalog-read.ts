/**
 * The catalog mirror read without opening the database: the tables and indexes listed in
 * meta.sqlite, opened read-only (as readSnapshots does), so `remapdb tables` and `remapdb
 * schema` work while an engine holds the database. The mirror is told of every schema
 * change after it is durable in the page file (database.ts #ddl); row counts are as of
 * the last close or checkpoint that stored them.
 */

import type Database from 'better-sqlite3';

import { type CatalogObject, catalogError, probe } from './catalog.js';
import { sqlite } from './sqlite.js';

/**
 * meta.sqlite opened read-only and checked to be ours (probe); REMAPDB_CATALOG if it is
 * missing or foreign. The caller closes it. Shared with readSnapshots (catalog-snapshots.ts).
 */
export function openCatalogReadOnly(path: string): Database.Database {
  let db: Database.Database;
  try {
    db = new (sqlite())(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw catalogError(path, 'could not be opened read-only', e, { code: (e as { code?: string }).code });
  }
  try {
    probe(path, db, false);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** The catalog's objects, by name; throws REMAPDB_CATALOG if meta.sqlite is missing or not ours. */
export function readCatalogObjects(path: string): CatalogObject[] {
  const db = openCatalogReadOnly(path);
  try {
    const rows = db.prepare<[], { name: string; kind: 'table' | 'index'; tableName: string | null; rootPage: number; definition: string;
      rowCount: number; }>('SELECT name, kind, table_name AS tableName, root_page AS rootPage, definition, row_count AS rowCount ' +
      'FROM objects ORDER BY name').all();
    return rows.map((r) => {
      let definition: Record<string, unknown>;
      try {
        definition = JSON.parse(r.definition) as Record<string, unknown>;
      } catch (e) {
        throw catalogError(path, `has a damaged definition of ${r.name}`, e);
      }
      return { name: r.name, kind: r.kind, tableName: r.tableName, rootPage: r.rootPage, definition, rowCount: r.rowCount };
    });
  } finally {
    db.close();
  }
}
