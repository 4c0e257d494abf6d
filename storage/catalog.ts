/**
 * The catalog mirror, `meta.sqlite`. The page file holds the authoritative list of tables
 * and indexes (a system B+tree: name → definition with root page); this SQLite file
 * mirrors that list and keeps what need not be crash-atomic with the page file: row
 * counts as of the last checkpoint, statistics, buffer-pool snapshots. After a crash
 * between a page-file change and the matching catalog change, the engine calls
 * reconcile() on open with the page file's list. Being a mirror, `synchronous = NORMAL`
 * in WAL mode is enough: a lost tail is repaired by the next reconcile().
 *
 * File identity: `PRAGMA application_id` = CATALOG_APPLICATION_ID ('RMDB'),
 * `PRAGMA user_version` = CATALOG_SCHEMA_VERSION. Schema version 1 (all tables STRICT):
 *
 *   TABLE      COLUMN       TYPE                     DESCRIPTION
 *   meta       key          TEXT PRIMARY KEY         'salt', 'page_size', 'created_at', 'format_version' (the page
 *                                                     file's, updated when it is upgraded)
 *              value        TEXT NOT NULL            decimal integers (created_at: ms since epoch)
 *   objects    name         TEXT PRIMARY KEY         table or index name
 *              kind         TEXT                     'table' | 'index'
 *              table_name   TEXT NULL                an index's table; NULL for a table
 *              root_page    INTEGER                  root page of its B+tree in the page file (≥ 1)
 *              definition   TEXT                     canonical JSON object (keys sorted)
 *              row_count    INTEGER                  rows as of the last checkpoint (≥ 0)
 *              updated_at   INTEGER                  ms since epoch
 *   stats      name         TEXT PRIMARY KEY         statistic name
 *              value        REAL                     finite
 *              updated_at   INTEGER                  ms since epoch
 *   snapshots  id           INTEGER PK AUTOINCREMENT never reused
 *              taken_at     INTEGER                  ms since epoch
 *              label        TEXT
 *              strategy     TEXT                     buffer-pool strategy name
 *              summary      TEXT                     JSON
 *              slots        TEXT                     JSON
 *              kernel       TEXT                     JSON
 *
 * Invariants:
 *   1. An open Catalog's file has our application_id and schema version, and its meta
 *      salt and page_size equal the page file's. open() refuses any other file before
 *      writing a byte to it (the switch to WAL included).
 *   2. objects: kind = 'table' ⇔ table_name IS NULL (a CHECK); row_count ≥ 0; definition
 *      is canonicalJson() of an object, so equal definitions are equal strings.
 *   3. snapshots holds at most keepSnapshots rows, the newest.
 *   4. Every change that touches more than one row is one SQLite transaction.
 *   5. Every SQLite error leaves as DbError REMAPDB_CATALOG naming the file, with the
 *      SQLite error as its cause.
 *
 * States: (file) ──Catalog.open(): probe → create if empty and asked → verify──▶ open
 *         ──close()──▶ closed (every method but close() then throws REMAPDB_CLOSED).
 *
 * readSnapshots (reading snapshots without opening the database) is in
 * catalog-snapshots.ts, with the Snapshot type.
 */

import type Database from 'better-sqlite3';
import { sqlite } from './sqlite.js';

import { assert } from './assert.js';
import { DB_CODES, DbError, dbError } from './errors.js';
import type { Snapshot, SnapshotRow } from './catalog-snapshots.js';
import { FORMAT_VERSION } from './file/format.js';

/** 'RMDB' as a big-endian 32-bit integer; fits SQLite's signed application_id. */
export const CATALOG_APPLICATION_ID = 0x524d4442;
export const CATALOG_SCHEMA_VERSION = 1;
export const DEFAULT_KEEP_SNAPSHOTS = 8;

export interface CatalogObject {
  name: string;
  kind: 'table' | 'index';
  tableName: string | null;
  rootPage: number;
  definition: Record<string, unknown>;
  rowCount: number;
}

export type CatalogTruth = Omit<CatalogObject, 'rowCount'> & { rowCount?: number };

export interface CatalogOptions {
  /** The page file's salt; a catalog with another salt belongs to another database. */
  salt: number;
  pageSize: number;
  /** Initialize a missing or empty file; otherwise it must already be a catalog. */
  create: boolean;
  /** Timestamps only; defaults to Date.now (metadata, not engine logic). */
  now?: () => number;
  keepSnapshots?: number;
}

export interface ReconcileResult { added: string[]; removed: string[]; updated: string[] }

const TABLES = ['meta', 'objects', 'snapshots', 'stats'] as const;

const SCHEMA_SQL = `
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE objects(
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('table', 'index')),
  table_name TEXT NULL,
  root_page INTEGER NOT NULL CHECK (root_page >= 1),
  definition TEXT NOT NULL,
  row_count INTEGER NOT NULL CHECK (row_count >= 0),
  updated_at INTEGER NOT NULL,
  CHECK ((kind = 'table') = (table_name IS NULL))
) STRICT;
CREATE TABLE stats(name TEXT PRIMARY KEY, value REAL NOT NULL, updated_at INTEGER NOT NULL) STRICT;
CREATE TABLE snapshots(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  taken_at INTEGER NOT NULL,
  label TEXT NOT NULL,
  strategy TEXT NOT NULL,
  summary TEXT NOT NULL,
  slots TEXT NOT NULL,
  kernel TEXT NOT NULL
) STRICT;
`;

interface ObjectRow {
  name: string; kind: string; tableName: string | null; rootPage: number; definition: string; rowCount: number;
}

const OBJECT_COLUMNS = 'name, kind, table_name AS tableName, root_page AS rootPage, definition, row_count AS rowCount';

export class Catalog {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #opts: CatalogOptions;
  readonly #keepSnapshots: number;
  #closed = false;

  private constructor(path: string, db: Database.Database, opts: CatalogOptions, keepSnapshots: number) {
    this.path = path;
    this.#db = db;
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#keepSnapshots = keepSnapshots;
  }

  static open(path: string, opts: CatalogOptions): Catalog {
    assert(Number.isInteger(opts.salt) && opts.salt >= 0 && opts.salt <= 0xffffffff, `Catalog invariant: salt ${opts.salt} not a u32`);
    assert(Number.isInteger(opts.pageSize) && opts.pageSize > 0, `Catalog invariant: page size ${opts.pageSize}`);
    const keep = opts.keepSnapshots ?? DEFAULT_KEEP_SNAPSHOTS;
    assert(Number.isInteger(keep) && keep >= 1, `Catalog invariant: keepSnapshots ${keep} must be an integer ≥ 1`);
    const now = opts.now ?? Date.now;
    let db: Database.Database;
    try {
      db = new (sqlite())(path, { fileMustExist: !opts.create });
    } catch (e) {
      throw catalogError(path, opts.create ? 'could not be opened or created' : 'could not be opened (create: false)', e);
    }
    try {
      const fresh = probe(path, db, opts.create);
      // Only now, with the file known to be ours or empty, may we write to it (invariant 1).
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      if (fresh) initialize(db, opts, now);
      verifyMeta(path, db, opts);
    } catch (e) {
      db.close();
      if (e instanceof DbError) throw e;
      if (e instanceof sqlite().SqliteError && e.code === 'SQLITE_NOTADB') {
        throw catalogError(path, 'is not a SQLite database (a foreign file, or damaged past its header)', e);
      }
      throw catalogError(path, 'could not be opened', e);
    }
    return new Catalog(path, db, opts, keep);
  }

  list(): CatalogObject[] {
    return this.#sql('list', () =>
      this.#db.prepare<[], ObjectRow>(`SELECT ${OBJECT_COLUMNS} FROM objects ORDER BY name`).all()
        .map((r) => this.#toObject(r)));
  }

  get(name: string): CatalogObject | undefined {
    return this.#sql(`get ${name}`, () => {
      const r = this.#db.prepare<[string], ObjectRow>(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE name = ?`).get(name);
      return r === undefined ? undefined : this.#toObject(r);
    });
  }

  /** Insert or replace. */
  put(obj: CatalogObject): void {
    checkObject(obj);
    assert(Number.isSafeInteger(obj.rowCount) && obj.rowCount >= 0, `Catalog invariant: ${obj.name}: row count ${obj.rowCount}`);
    this.#sql(`put ${obj.name}`, () => this.#upsert(obj, canonicalJson(obj.definition), obj.rowCount));
  }

  remove(name: string): void {
    this.#sql(`remove ${name}`, () => this.#db.prepare('DELETE FROM objects WHERE name = ?').run(name));
  }

  /** The page file's format version as recorded (meta format_version), or null if absent or not a number. */
  formatVersion(): number | null {
    return this.#sql('formatVersion', () => {
      const v = this.#db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'format_version'").get()?.value;
      const n = Number(v);
      return v === undefined || !Number.isSafeInteger(n) ? null : n;
    });
  }

  /** Record the page file's format version (meta format_version) after an upgrade. */
  setFormatVersion(version: number): void {
    assert(Number.isSafeInteger(version) && version >= 1, `Catalog invariant: format version ${version}`);
    this.#sql('setFormatVersion', () => {
      this.#db.prepare("INSERT INTO meta(key, value) VALUES ('format_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .run(String(version));
    });
  }

  /** Row counts as of a checkpoint, in one transaction; an unknown name aborts it. */
  setRowCounts(counts: ReadonlyArray<[string, number]>): void {
    for (const [name, n] of counts) assert(Number.isSafeInteger(n) && n >= 0, `Catalog invariant: ${name}: row count ${n}`);
    this.#sql('setRowCounts', () => this.#db.transaction(() => {
      const at = this.#timestamp();
      const stmt = this.#db.prepare('UPDATE objects SET row_count = ?, updated_at = ? WHERE name = ?');
      for (const [name, n] of counts) {
        if (stmt.run(n, at, name).changes !== 1) {
          throw catalogError(this.path, `has no object named ${JSON.stringify(name)} (setRowCounts; reconcile first)`);
        }
      }
    })());
  }

  /**
   * Bring the mirror into line with the page file's list, in one transaction. An object
   * is updated when its kind, tableName, rootPage or definition (canonical JSON) differ;
   * a given rowCount is written either way but alone does not count as an update, and a
   * missing one keeps the stored count (0 for an added object). Stored definitions are
   * compared as strings, not parsed, so a damaged one is repaired rather than fatal.
   */
  reconcile(truth: ReadonlyArray<CatalogTruth>): ReconcileResult {
    const seen = new Set<string>();
    for (const t of truth) {
      checkObject(t);
      assert(!seen.has(t.name), `Catalog invariant: reconcile: ${t.name} listed twice`);
      const n = t.rowCount;
      if (n !== undefined) assert(Number.isSafeInteger(n) && n >= 0, `Catalog invariant: ${t.name}: row count ${n}`);
      seen.add(t.name);
    }
    return this.#sql('reconcile', () => this.#db.transaction(() => {
      const have = new Map(this.#db.prepare<[], ObjectRow>(`SELECT ${OBJECT_COLUMNS} FROM objects`).all()
        .map((r) => [r.name, r]));
      const result: ReconcileResult = { added: [], removed: [], updated: [] };
      for (const t of truth) {
        const def = canonicalJson(t.definition);
        const cur = have.get(t.name);
        have.delete(t.name);
        if (cur === undefined) {
          this.#upsert(t, def, t.rowCount ?? 0);
          result.added.push(t.name);
        } else if (cur.kind !== t.kind || cur.tableName !== t.tableName || cur.rootPage !== t.rootPage ||
          cur.definition !== def) {
          this.#upsert(t, def, t.rowCount ?? cur.rowCount);
          result.updated.push(t.name);
        } else if (t.rowCount !== undefined && t.rowCount !== cur.rowCount) {
          this.#db.prepare('UPDATE objects SET row_count = ?, updated_at = ? WHERE name = ?')
            .run(t.rowCount, this.#timestamp(), t.name);
        }
      }
      const drop = this.#db.prepare('DELETE FROM objects WHERE name = ?');
      for (const name of have.keys()) {
        drop.run(name);
        result.removed.push(name);
      }
      result.added.sort();
      result.removed.sort();
      result.updated.sort();
      return result;
    })());
  }

  putStats(stats: Record<string, number>): void {
    const entries = Object.entries(stats);
    for (const [name, v] of entries) assert(Number.isFinite(v), `Catalog invariant: stat ${name} = ${v} is not finite`);
    this.#sql('putStats', () => this.#db.transaction(() => {
      const at = this.#timestamp();
      const stmt = this.#db.prepare('INSERT OR REPLACE INTO stats(name, value, updated_at) VALUES (?, ?, ?)');
      for (const [name, v] of entries) stmt.run(name, v, at);
    })());
  }

  stats(): Record<string, number> {
    return this.#sql('stats', () => {
      const rows = this.#db.prepare<[], { name: string; value: number }>('SELECT name, value FROM stats ORDER BY name').all();
      return Object.fromEntries(rows.map((r) => [r.name, r.value]));
    });
  }

  /** Store a snapshot and drop all but the newest keepSnapshots; returns its id. */
  saveSnapshot(s: { label: string; strategy: string; summary: unknown; slots: unknown; kernel: unknown }): number {
    const summary = toJson(s.summary, 'summary');
    const slots = toJson(s.slots, 'slots');
    const kernel = toJson(s.kernel, 'kernel');
    return this.#sql('saveSnapshot', () => this.#db.transaction(() => {
      const r = this.#db.prepare('INSERT INTO snapshots(taken_at, label, strategy, summary, slots, kernel) ' +
        'VALUES (?, ?, ?, ?, ?, ?)').run(this.#timestamp(), s.label, s.strategy, summary, slots, kernel);
      this.#db.prepare('DELETE FROM snapshots WHERE id NOT IN (SELECT id FROM snapshots ORDER BY id DESC LIMIT ?)')
        .run(this.#keepSnapshots);
      return Number(r.lastInsertRowid);
    })());
  }

  latestSnapshot(): Snapshot | undefined {
    return this.#sql('latestSnapshot', () => {
      const r = this.#db.prepare<[], SnapshotRow>('SELECT id, taken_at AS takenAt, label, strategy, summary, slots, kernel ' +
        'FROM snapshots ORDER BY id DESC LIMIT 1').get();
      if (r === undefined) return undefined;
      return {
        id: r.id, takenAt: r.takenAt, label: r.label, strategy: r.strategy,
        summary: this.#parse(r.summary, `snapshot ${r.id} summary`), slots: this.#parse(r.slots, `snapshot ${r.id} slots`),
        kernel: this.#parse(r.kernel, `snapshot ${r.id} kernel`),
      };
    });
  }

  /** Invariants 1–3, read back from the file (tests call it after each step). */
  checkInvariants(): void {
    this.#sql('checkInvariants', () => {
      assert(this.#db.pragma('application_id', { simple: true }) === CATALOG_APPLICATION_ID, 'Catalog invariant: application_id');
      assert(this.#db.pragma('user_version', { simple: true }) === CATALOG_SCHEMA_VERSION, 'Catalog invariant: user_version');
      verifyMeta(this.path, this.#db, this.#opts);
      for (const r of this.#db.prepare<[], ObjectRow>(`SELECT ${OBJECT_COLUMNS} FROM objects`).all()) {
        assert((r.kind === 'table') === (r.tableName === null), `Catalog invariant: ${r.name}: kind ${r.kind}, table ${r.tableName}`);
        assert(r.rowCount >= 0 && r.rootPage >= 1, `Catalog invariant: ${r.name}: row count ${r.rowCount}, root ${r.rootPage}`);
        assert(canonicalJson(this.#toObject(r).definition) === r.definition, `Catalog invariant: ${r.name}: definition not canonical`);
      }
      const n = this.#db.prepare<[], { n: number }>('SELECT count(*) AS n FROM snapshots').get()?.n ?? 0;
      assert(n <= this.#keepSnapshots, `Catalog invariant: ${n} snapshots kept, limit ${this.#keepSnapshots}`);
    });
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#db.close();
    } catch (e) {
      throw catalogError(this.path, 'failed to close', e);
    }
  }

  #upsert(o: Omit<CatalogObject, 'rowCount'>, definitionJson: string, rowCount: number): void {
    this.#db.prepare('INSERT OR REPLACE INTO objects(name, kind, table_name, root_page, definition, row_count, updated_at) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?)').run(o.name, o.kind, o.tableName, o.rootPage, definitionJson, rowCount, this.#timestamp());
  }

  #toObject(r: ObjectRow): CatalogObject {
    const definition = this.#parse(r.definition, `object ${r.name} definition`);
    if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
      throw catalogError(this.path, `is damaged: object ${r.name} definition is not a JSON object`);
    }
    assert(r.kind === 'table' || r.kind === 'index', `Catalog invariant: ${r.name}: kind ${r.kind}`); // the CHECK constraint
    return {
      name: r.name, kind: r.kind, tableName: r.tableName, rootPage: r.rootPage,
      definition: definition as Record<string, unknown>, rowCount: r.rowCount,
    };
  }

  #parse(text: string, what: string): unknown {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw catalogError(this.path, `is damaged: ${what} is not JSON`, e);
    }
  }

  #timestamp(): number {
    const t = this.#now();
    assert(Number.isSafeInteger(t), `Catalog invariant: now() returned ${t}, want integer milliseconds`);
    return t;
  }

  /** Run `fn` on the open connection; SQLite errors become REMAPDB_CATALOG (invariant 5). */
  #sql<T>(what: string, fn: () => T): T {
    if (this.#closed) throw dbError(DB_CODES.CLOSED, `catalog ${this.path} is closed (${what})`, { path: this.path });
    try {
      return fn();
    } catch (e) {
      if (e instanceof sqlite().SqliteError) throw catalogError(this.path, `failed in ${what}`, e);
      throw e;
    }
  }
}

/**
 * Decide what the file is without writing to it. Returns true for an empty file that
 * `create` allows us to initialize; throws CATALOG for anything that is not our catalog.
 */
export function probe(path: string, db: Database.Database, create: boolean): boolean {
  const appId = db.pragma('application_id', { simple: true }) as number; // SQLITE_NOTADB here for a foreign file
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all().map((r) => r.name);
  if (appId === 0 && version === 0 && tables.length === 0) {
    if (create) return true;
    throw catalogError(path, 'is an empty SQLite database, not a remapdb catalog (opened with create: false)');
  }
  if (appId !== CATALOG_APPLICATION_ID) {
    throw catalogError(path, `is not a remapdb catalog: application_id ${hex32(appId)} (remapdb uses ` +
      `${hex32(CATALOG_APPLICATION_ID)} 'RMDB'), tables: ${tables.join(', ') || 'none'}`);
  }
  if (version > CATALOG_SCHEMA_VERSION) {
    throw catalogError(path, `was created by a newer remapdb (catalog schema version ${version}; this build reads ` +
      `up to ${CATALOG_SCHEMA_VERSION}): open it with a newer remapdb`);
  }
  if (version < CATALOG_SCHEMA_VERSION) {
    throw catalogError(path, `has catalog schema version ${version}, which this build cannot read ` +
      `(it reads ${CATALOG_SCHEMA_VERSION})`);
  }
  const missing = TABLES.filter((t) => !tables.includes(t));
  if (missing.length > 0) throw catalogError(path, `is damaged: missing table(s) ${missing.join(', ')}`);
  return false;
}

/** Schema, meta rows and both identity pragmas in one transaction: a crash leaves an empty file. */
function initialize(db: Database.Database, opts: CatalogOptions, now: () => number): void {
  const createdAt = now();
  assert(Number.isSafeInteger(createdAt), `Catalog invariant: now() returned ${createdAt}, want integer milliseconds`);
  db.transaction(() => {
    db.exec(SCHEMA_SQL);
    const put = db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)');
    put.run('salt', String(opts.salt));
    put.run('page_size', String(opts.pageSize));
    put.run('created_at', String(createdAt));
    put.run('format_version', String(FORMAT_VERSION));
    db.pragma(`application_id = ${CATALOG_APPLICATION_ID}`);
    db.pragma(`user_version = ${CATALOG_SCHEMA_VERSION}`);
  })();
}

function verifyMeta(path: string, db: Database.Database, opts: CatalogOptions): void {
  const meta = new Map(db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all()
    .map((r) => [r.key, r.value]));
  const num = (key: string): number => {
    const v = meta.get(key);
    const n = v === undefined ? NaN : Number(v);
    if (!Number.isSafeInteger(n)) throw catalogError(path, `is damaged: meta ${key} = ${JSON.stringify(v ?? null)}`);
    return n;
  };
  const salt = num('salt');
  if (salt !== opts.salt) {
    throw catalogError(path, `belongs to another database: salt ${hex32(salt)}, page file salt ${hex32(opts.salt)}`,
      undefined, { salt, pageFileSalt: opts.salt });
  }
  const pageSize = num('page_size');
  if (pageSize !== opts.pageSize) {
    throw catalogError(path, `belongs to another database: page size ${pageSize}, page file page size ${opts.pageSize}`,
      undefined, { pageSize, pageFilePageSize: opts.pageSize });
  }
}

function checkObject(o: Omit<CatalogObject, 'rowCount'>): void {
  assert(typeof o.name === 'string' && o.name.length > 0, `Catalog invariant: object name ${JSON.stringify(o.name)}`);
  assert(o.kind === 'table' || o.kind === 'index', `Catalog invariant: ${o.name}: kind ${String(o.kind)}`);
  assert((o.kind === 'table') === (o.tableName === null), `Catalog invariant: ${o.name}: a ${o.kind} with table ${o.tableName}`);
  assert(Number.isSafeInteger(o.rootPage) && o.rootPage >= 1, `Catalog invariant: ${o.name}: root page ${o.rootPage}`);
}

/** JSON with object keys sorted at every depth, so equal values give equal strings. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(canonical(v, '$'));
}

function canonical(v: unknown, at: string): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    assert(Number.isFinite(v), `Catalog invariant: ${at} = ${v} has no JSON form`);
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => canonical(x, `${at}[${i}]`));
  assert(typeof v === 'object', `Catalog invariant: ${at} is a ${typeof v}, which has no JSON form`);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = canonical(x, `${at}.${k}`);
  }
  return out;
}

function toJson(v: unknown, what: string): string {
  const s = JSON.stringify(v);
  assert(typeof s === 'string', `Catalog invariant: snapshot ${what} has no JSON form`);
  return s;
}

function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** @internal the REMAPDB_CATALOG error for `path`, with `cause`'s message appended. */
export function catalogError(path: string, what: string, cause?: unknown, details: Record<string, unknown> = {}): DbError {
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return dbError(DB_CODES.CATALOG, `catalog ${path} ${what}${why}`, { path, ...details }, cause);
}
