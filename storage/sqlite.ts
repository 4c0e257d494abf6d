/**
 * better-sqlite3, loaded on first use. It is core (the catalog and the lock live in
 * SQLite files), but loading its native addon costs ~13 ms that `import('remapdb')`
 * should not pay before a database is opened (issue 18: the import budget is 60 ms).
 * The storage API is synchronous, so the load is a synchronous require of the CommonJS
 * package rather than an `await import()`.
 */

import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

let loaded: typeof BetterSqlite3 | undefined;

/** The better-sqlite3 Database constructor (with SqliteError on it). */
export function sqlite(): typeof BetterSqlite3 {
  loaded ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return loaded;
}
