/**
 * Secondary indexes: a table's rows in the order of some value fields, in a B+tree of
 * their own, maintained by Table in the same transaction as every change of the table.
 *
 * Entry encoding (the index B+tree's key and value):
 *   non-unique: key = tuple(indexed fields…, primary-key parts…), value = empty
 *   unique:     key = tuple(indexed fields…),                     value = primary key
 *
 *   unique, a null among the indexed fields:
 *               key = tuple(indexed fields…, primary-key parts…), value = primary key
 * The last form is SQL's NULL rule (NULL is not equal to NULL, so UNIQUE allows any
 * number of rows whose indexed value has a NULL; a missing property counts as null): each
 * such row has an entry of its own, and get() with a null part finds nothing, as
 * `WHERE x = NULL` does. Files written before the rule hold at most one null entry per
 * value in the first form; remove() still finds it there.
 *
 * Numbers: any number but NaN, in numeric order (1 < 1.5 < 2): the tuple encoding writes
 * integers as it always did and fractions between them (tuple.ts), so indexes made before
 * fractions were allowed take them too, with no change to their entries.
 *
 * Invariants:
 *   1. Every row of the table has exactly one entry, and every entry names a row
 *      (range() reports an entry without its row as a corrupt index).
 *   2. A unique index has at most one entry per indexed value without a null
 *      (checkUnique runs before any change, so a violation changes nothing).
 *
 * Split from table.ts to keep each file to one concept: Table owns rows and drives
 * maintenance (add/remove/checkUnique); Index owns its entry encoding and lookups.
 */

import { allocBytes } from './file/bytes.js';
import { BTree } from './btree/tree.js';
import { type KeyInput, withKeyNames } from './codec.js';
import { DB_CODES, dbError } from './errors.js';
import { byteBounds, jsonBytes, type RangeOptions, type Row, type Table, type TableHost } from './table.js';
import { decodeKey, encodeKey, hasNullPart, type KeyPart, PROJECT_MAX_POSITION, projectParts, skipParts } from './tuple.js';

export interface IndexDef {
  kind: 'index';
  name: string;
  table: string;
  root: number;
  /** Property names (json values) or column positions (tuple values). */
  fields: (string | number)[];
  unique: boolean;
}

const EMPTY = new Uint8Array(0);

function describeType(p: unknown): string {
  if (typeof p !== 'object' || p === null) return typeof p;
  return `an object (${(p as object).constructor?.name ?? 'null prototype'})`;
}

/**
 * A secondary index: rows of its table in the order of some value fields. Made by
 * Database.createIndex, maintained with every change of the table.
 *
 * @example
 * const people = db.createTable<{ last: string; first: string; email: string }>('people', { key: ['int'] });
 * db.createIndex('people', 'by_name', { fields: ['last', 'first'] });
 * db.createIndex('people', 'by_email', { fields: ['email'], unique: true });
 * people.insert(1, { last: 'Lovelace', first: 'Ada', email: 'ada@example.org' });
 * people.index('by_name').find(['Lovelace']);        // rows with that last name, by first name
 * people.index('by_email').get('ada@example.org');   // { key: 1, value: { ... } }
 */
export class Index<V = unknown, K extends KeyInput = KeyInput> {
  readonly name: string;
  readonly fields: readonly (string | number)[];
  readonly unique: boolean;
  readonly #table: Table<V, K>;
  readonly #tree: BTree;
  readonly #host: TableHost;

  /**
   * @internal entries are projected from encoded rows (tuple values indexed by column
   * positions) rather than built from decoded values.
   */
  readonly projects: boolean;

  /** @internal */
  constructor(host: TableHost, table: Table<V, K>, def: IndexDef) {
    this.name = def.name;
    this.fields = def.fields;
    this.unique = def.unique;
    this.#table = table;
    this.#host = host;
    this.#tree = new BTree(host.io, def.root);
    this.projects = table.valueEncoding === 'tuple' &&
      def.fields.every((f) => typeof f === 'number' && Number.isInteger(f) && f >= 0 && f <= PROJECT_MAX_POSITION);
  }

  /** @internal */
  get tree(): BTree {
    return this.#tree;
  }

  /** Entries in the index (= rows of its table). */
  get count(): number {
    this.#host.checkOpen();
    return this.#tree.count;
  }

  /** @internal the indexed parts of a value. */
  parts(value: V): KeyPart[] {
    const out: KeyPart[] = [];
    for (const f of this.fields) {
      const raw = (value as Record<string | number, unknown> | null)?.[f];
      const p = raw === undefined ? null : raw;
      if (!(p === null || typeof p === 'boolean' || typeof p === 'string' || typeof p === 'number' || p instanceof Uint8Array)) {
        throw dbError(DB_CODES.VALUE_TYPE, `index "${this.name}" of table "${this.#table.name}" field ${JSON.stringify(f)} is ` +
          `${describeType(p)}: indexed fields must be null, boolean, number, string or Uint8Array`,
          { table: this.#table.name, index: this.name, field: f });
      }
      out.push(p);
    }
    return out;
  }

  /** @internal the index key of a row. */
  entry(pk: Uint8Array, value: V): Uint8Array {
    const parts = this.parts(value);
    const key = withKeyNames(() => encodeKey(parts), { table: this.#table.name, index: this.name, fields: this.fields });
    if (this.unique && !parts.includes(null)) return key;
    const out = allocBytes(key.length + pk.length);
    out.set(key, 0);
    out.set(pk, key.length);
    return out;
  }

  /** @internal the index key of a row projected from its encoded tuple (an index that `projects`). */
  projected(pk: Uint8Array, encoded: Uint8Array): Uint8Array {
    if (!this.unique) return projectParts(encoded, this.fields, pk);
    const key = projectParts(encoded, this.fields, null);
    return hasNullPart(key, this.fields.length) ? projectParts(encoded, this.fields, pk) : key;
  }

  /** @internal throw REMAPDB_UNIQUE_VIOLATION if another row has this entry (never for one with a null: SQL's rule). */
  checkUnique(entry: Uint8Array, self: Uint8Array | null): void {
    if (!this.unique || hasNullPart(entry, this.fields.length)) return;
    const owner = this.#tree.get(entry);
    if (owner !== undefined && (self === null || Buffer.compare(owner, self) !== 0)) {
      throw dbError(DB_CODES.UNIQUE, `unique index "${this.name}" already has ${JSON.stringify(decodeKey(entry), jsonBytes)}`,
        { index: this.name });
    }
  }

  /** @internal */
  add(entry: Uint8Array, pk: Uint8Array): void {
    this.#tree.put(entry, this.unique ? pk : EMPTY, 'upsert');
  }

  /** @internal */
  remove(entry: Uint8Array): void {
    if (this.#tree.delete(entry) || !this.unique || !hasNullPart(entry, this.fields.length)) return;
    // A null entry written before SQL's NULL rule: the indexed parts alone, the primary key as value.
    const at = skipParts(entry, this.fields.length);
    const old = entry.subarray(0, at);
    const owner = this.#tree.get(old);
    if (owner !== undefined && Buffer.compare(owner, entry.subarray(at)) === 0) this.#tree.delete(old);
  }

  #pk(k: Uint8Array, v: Uint8Array): Uint8Array {
    if (this.unique) return v;
    // The primary key is what follows the indexed parts in the entry.
    return k.subarray(skipParts(k, this.fields.length));
  }

  /** The row whose indexed fields equal `parts` (unique indexes; a null part matches nothing, as in SQL). */
  get(parts: KeyInput): Row<V, K> | undefined {
    this.#host.checkOpen();
    if (!this.unique) {
      throw dbError(DB_CODES.INVALID, `index "${this.name}" is not unique: use find() or range()`, { index: this.name });
    }
    const k = this.#encode(parts);
    const pk = this.#tree.get(k);
    return pk === undefined ? undefined : this.#table.getEncoded(pk);
  }

  /** Rows whose indexed fields start with `parts`, in index order, as an array (findIter: lazily). */
  find(parts: KeyInput, opts: { reverse?: boolean; limit?: number } = {}): Row<V, K>[] {
    return [...this.findIter(parts, opts)];
  }

  /**
   * Rows whose indexed fields start with `parts`, in index order, read as the iterator
   * is advanced: stop early and the rest is never read.
   */
  findIter(parts: KeyInput, opts: { reverse?: boolean; limit?: number } = {}): IterableIterator<Row<V, K>> {
    return this.range({ ...opts, prefix: parts });
  }

  /**
   * Rows in index order between bounds over the indexed fields (prefixes allowed). Lazy;
   * advanced after the database closed, it throws REMAPDB_CLOSED at once.
   */
  *range(opts: RangeOptions = {}): IterableIterator<Row<V, K>> {
    this.#host.checkOpen();
    const b = byteBounds(opts, (k) => this.#encode(k));
    for (const [k, v] of this.#tree.range(b)) {
      this.#host.checkOpen();
      const row = this.#table.getEncoded(this.#pk(k, v));
      if (row === undefined) {
        throw dbError(DB_CODES.FAILED, `index "${this.name}" points at a row its table does not have: the index is corrupt`,
          { index: this.name });
      }
      yield row;
    }
  }

  #encode(k: KeyInput): Uint8Array {
    const parts: readonly KeyPart[] = Array.isArray(k) ? k : [k as KeyPart];
    if (parts.length > this.fields.length) {
      throw dbError(DB_CODES.KEY_TYPE, `index "${this.name}" has ${this.fields.length} field(s); got ${parts.length}`,
        { index: this.name });
    }
    return withKeyNames(() => encodeKey(parts), { table: this.#table.name, index: this.name, fields: this.fields });
  }
}
