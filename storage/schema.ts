/**
 * The schema: the schema tree (a B+tree rooted at page 1, SCHEMA_ROOT_PAGE) maps each
 * table's and index's name to its definition (JSON, with its root page), and this module
 * keeps the open Table and Index objects that match it. Schema changes (DDL) run as their
 * own transactions (the host's `ddl`) and are durable before the catalog mirror is told.
 *
 * Invariants:
 *   1. `tables` holds exactly the tables of the schema tree, each with exactly its indexes.
 *   2. A name is a table's or an index's, never both, never twice.
 */

import { BTree } from './btree/index.js';
import type { Catalog, CatalogObject } from './catalog.js';
import { DEFAULT_VALUE_ENCODING, type KeyInput, type KeyOf, KEY_TYPES, type KeyType, VALUE_ENCODINGS, type ValueEncoding } from './codec.js';
import { DB_CODES, dbError } from './errors.js';
import { corruptPage, type PageIO } from './file/index.js';
import { Index, type IndexDef } from './index-table.js';
import { Table, type TableDef, type TableHost } from './table.js';
import { encodeKey } from './tuple.js';

export const SCHEMA_ROOT_PAGE = 1;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** What the schema needs from its database. */
export interface SchemaHost extends TableHost {
  readonly dir: string;
  readonly catalog: Catalog;
  readonly io: PageIO & { readonly pageCount: number };
}

/** Run `fn` as a schema change: its own transaction, durable when this returns. */
export type Ddl = <T>(what: string, fn: () => T) => T;

/** What createTable and ensureTable take: the key schema (default ['any']) and value encoding (default 'msgpack'). */
export interface TableSpec<S extends readonly KeyType[] = readonly KeyType[]> {
  key?: S;
  value?: ValueEncoding;
}

/** What createIndex and ensureIndex take: property names (object values) or column positions (tuple values). */
export interface IndexSpec {
  fields: (string | number)[];
  unique?: boolean;
}

export class Schema {
  /** The schema tree. */
  readonly tree: BTree;
  readonly #host: SchemaHost;
  readonly #ddl: Ddl;
  readonly #tables = new Map<string, Table>();

  /** `host` is the tables' host too. */
  constructor(host: SchemaHost, ddl: Ddl) {
    this.#host = host;
    this.#ddl = ddl;
    this.tree = new BTree(host.io, SCHEMA_ROOT_PAGE);
  }

  /** The open tables (invariant 1). */
  tableObjects(): IterableIterator<Table> {
    return this.#tables.values();
  }

  /** Row counts of every table and index, by name (for the catalog mirror). */
  rowCounts(): [string, number][] {
    const out: [string, number][] = [];
    for (const t of this.#tables.values()) {
      out.push([t.name, t.tree.count]);
      for (const ix of t.indexes) out.push([ix.name, ix.tree.count]);
    }
    return out;
  }

  /** Every table and index of the schema tree, as catalog objects with their row counts. */
  objects(): CatalogObject[] {
    const io = this.#host.io;
    const out: CatalogObject[] = [];
    for (const [, v] of this.tree.range({})) {
      const def = schemaDef(v, io.pageCount);
      const obj: CatalogObject = {
        name: def.name, kind: def.kind, tableName: def.kind === 'index' ? def.table : null, rootPage: def.root,
        definition: def as unknown as Record<string, unknown>, rowCount: 0,
      };
      out.push(obj);
    }
    for (const o of out) o.rowCount = new BTree(io, o.rootPage).count;
    return out;
  }

  /** (Re)build the Table and Index objects from the schema tree. */
  load(): void {
    const defs = this.objects().map((o) => o.definition as unknown as TableDef | IndexDef);
    this.#tables.clear();
    for (const d of defs) if (d.kind === 'table') this.#tables.set(d.name, new Table(this.#host, d));
    for (const d of defs) {
      if (d.kind !== 'index') continue;
      const t = this.#tables.get(d.table);
      if (t === undefined) throw dbError(DB_CODES.CATALOG, `index "${d.name}" belongs to a missing table "${d.table}"`, { index: d.name });
      t.indexes.push(new Index(this.#host, t, d));
    }
  }

  /** Database.ensureTable: the table, created as `spec` says if missing; an existing one must match spec. */
  ensureTable<V, S extends readonly KeyType[]>(name: string, spec: TableSpec<S>): Table<V, KeyOf<S>> {
    this.#host.checkOpen();
    const t = this.#tables.get(name);
    if (t === undefined) return this.createTable<V, S>(name, spec);
    const key = spec.key ?? ['any'];
    const value = spec.value ?? DEFAULT_VALUE_ENCODING;
    if (JSON.stringify(key) !== JSON.stringify(t.keySchema) || (spec.value !== undefined && value !== t.valueEncoding)) {
      throw dbError(DB_CODES.EXISTS, `table "${name}" exists with key ${JSON.stringify(t.keySchema)} and ${t.valueEncoding} values; ` +
        `ensureTable asked for key ${JSON.stringify(key)}${spec.value === undefined ? '' : ` and ${value} values`}`,
        { table: name, key: t.keySchema, value: t.valueEncoding });
    }
    return t as unknown as Table<V, KeyOf<S>>;
  }

  /** Database.ensureIndex: the index, created as `spec` says if missing; an existing one must match spec. */
  ensureIndex(table: string, name: string, spec: IndexSpec): Index {
    const t = this.table(table);
    const ix = t.indexes.find((i) => i.name === name);
    if (ix === undefined) return this.createIndex(table, name, spec);
    if (JSON.stringify(ix.fields) !== JSON.stringify(spec.fields) || ix.unique !== (spec.unique === true)) {
      throw dbError(DB_CODES.EXISTS, `index "${name}" of table "${table}" exists over ${JSON.stringify(ix.fields)}` +
        `${ix.unique ? ' (unique)' : ''}; ensureIndex asked for ${JSON.stringify(spec.fields)}${spec.unique === true ? ' (unique)' : ''}`,
        { table, index: name, fields: ix.fields, unique: ix.unique });
    }
    return ix;
  }

  /** Database.createTable. */
  createTable<V, S extends readonly KeyType[]>(name: string, opts: TableSpec<S> = {}): Table<V, KeyOf<S>> {
    const host = this.#host;
    host.checkOpen();
    this.#checkName(name);
    if (this.#tables.has(name) || this.#indexNamed(name) !== undefined) {
      throw dbError(DB_CODES.EXISTS, `"${name}" already exists in ${host.dir}`, { name });
    }
    const key: readonly KeyType[] = opts.key ?? ['any'];
    if (!Array.isArray(key) || key.length === 0 || key.some((k) => !KEY_TYPES.includes(k))) {
      throw dbError(DB_CODES.INVALID, `key schema ${JSON.stringify(key)} is invalid: a non-empty list of ${KEY_TYPES.join(', ')}`,
        { key });
    }
    const value = opts.value ?? DEFAULT_VALUE_ENCODING;
    if (!VALUE_ENCODINGS.includes(value)) {
      throw dbError(DB_CODES.INVALID, `value encoding ${JSON.stringify(value)} is invalid; allowed: ${VALUE_ENCODINGS.join(', ')}`,
        { value });
    }
    const def = this.#ddl(`create table "${name}"`, () => {
      const d: TableDef = { kind: 'table', name, root: BTree.create(host.io), key: [...key], value };
      this.tree.put(encodeKey([name]), utf8.encode(JSON.stringify(d)), 'insert');
      return d;
    });
    const t = new Table<V, KeyOf<S>>(host, def);
    this.#tables.set(name, t as unknown as Table);
    host.catalog.put({ name, kind: 'table', tableName: null, rootPage: def.root, definition: { ...def }, rowCount: 0 });
    return t;
  }

  /** Database.createIndex. */
  createIndex(table: string, name: string, opts: IndexSpec): Index {
    const host = this.#host;
    host.checkOpen();
    this.#checkName(name);
    const t = this.table(table);
    if (this.#tables.has(name) || this.#indexNamed(name) !== undefined) {
      throw dbError(DB_CODES.EXISTS, `"${name}" already exists in ${host.dir}`, { name });
    }
    if (t.valueEncoding !== 'json' && t.valueEncoding !== 'msgpack' && t.valueEncoding !== 'tuple') {
      throw dbError(DB_CODES.INVALID, `table "${table}" stores ${t.valueEncoding} values; indexes need 'msgpack', 'json' or 'tuple' values`,
        { table });
    }
    const fields = opts.fields;
    const want = t.valueEncoding === 'tuple' ? 'number' : 'string';
    if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== want)) {
      throw dbError(DB_CODES.INVALID, `index fields ${JSON.stringify(fields)}: a non-empty list of ` +
        `${want === 'string' ? 'property names' : 'column positions'} for ${t.valueEncoding} values`, { fields });
    }
    let ix!: Index;
    let rows = 0;
    const def = this.#ddl(`create index "${name}"`, () => {
      const d: IndexDef = { kind: 'index', name, table, root: BTree.create(host.io), fields: [...fields], unique: opts.unique === true };
      this.tree.put(encodeKey([name]), utf8.encode(JSON.stringify(d)), 'insert');
      ix = new Index(host, t, d);
      for (const row of t.range()) {
        const pk = t.encodeKey(row.key);
        const e = ix.entry(pk, row.value);
        ix.checkUnique(e, null);
        ix.add(e, pk);
        rows++;
      }
      return d;
    });
    // Nothing below may read a page: the index is committed and durable, so a read error
    // here would report a failure for it and leave the catalog mirror without it (the row
    // count comes from the build above, not from t.count).
    t.indexes.push(ix);
    host.catalog.put({ name, kind: 'index', tableName: table, rootPage: def.root, definition: { ...def }, rowCount: rows });
    return ix;
  }

  /** Database.dropTable. */
  dropTable(name: string): void {
    const host = this.#host;
    host.checkOpen();
    const t = this.table(name);
    this.#ddl(`drop table "${name}"`, () => {
      for (const ix of t.indexes) {
        ix.tree.destroy();
        this.tree.delete(encodeKey([ix.name]));
      }
      t.tree.destroy();
      this.tree.delete(encodeKey([name]));
    });
    this.#tables.delete(name);
    for (const ix of t.indexes) host.catalog.remove(ix.name);
    host.catalog.remove(name);
  }

  /** Database.table. */
  table<V = unknown, K extends KeyInput = KeyInput>(name: string): Table<V, K> {
    this.#host.checkOpen();
    const t = this.#tables.get(name);
    if (t === undefined) {
      throw dbError(DB_CODES.NO_TABLE, `no table "${name}" in ${this.#host.dir}; tables: ${[...this.#tables.keys()].join(', ') || 'none'}`,
        { table: name });
    }
    return t as unknown as Table<V, K>;
  }

  /** Database.tables. */
  tables(): string[] {
    this.#host.checkOpen();
    return [...this.#tables.keys()].sort();
  }

  #indexNamed(name: string): Index | undefined {
    for (const t of this.#tables.values()) for (const ix of t.indexes) if (ix.name === name) return ix;
    return undefined;
  }

  #checkName(name: string): void {
    if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
      throw dbError(DB_CODES.INVALID, `name ${JSON.stringify(name)} must be a string of 1 to 128 characters`, { name });
    }
  }
}

/**
 * A schema-tree value as a definition. Its page passed its checksum, yet it may be
 * another database's page or damage redo resealed: anything but a well-formed definition
 * is REMAPDB_CORRUPT, never an assertion further on.
 */
export function schemaDef(v: Uint8Array, pageCount: number): TableDef | IndexDef {
  let d: Partial<TableDef> & Partial<Omit<IndexDef, 'kind'>> & { kind?: unknown };
  try {
    d = JSON.parse(utf8d.decode(v)) as typeof d;
  } catch (err) {
    throw corruptPage(SCHEMA_ROOT_PAGE, `the schema tree holds a definition that is not JSON (${(err as Error).message})`);
  }
  const ok = typeof d === 'object' && d !== null && typeof d.name === 'string' && d.name.length > 0 &&
    Number.isSafeInteger(d.root) && (d.root as number) > SCHEMA_ROOT_PAGE && (d.root as number) < pageCount &&
    (d.kind === 'table' ? Array.isArray(d.key) && d.key.length > 0 && d.key.every((k) => KEY_TYPES.includes(k)) &&
      VALUE_ENCODINGS.includes(d.value as ValueEncoding)
      : d.kind === 'index' && typeof d.table === 'string' && Array.isArray(d.fields) && typeof d.unique === 'boolean');
  if (!ok) throw corruptPage(SCHEMA_ROOT_PAGE, `the schema tree holds a malformed definition ${JSON.stringify(d).slice(0, 200)}`);
  return d as TableDef | IndexDef;
}
