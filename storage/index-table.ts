/**
 * Secondary indexes: a table's rows in the order of some value fields, in a B+tree of
 * their own, maintained by Table in the same transaction as every change of the table.
 *
 * Entry encoding (the index B+tree's key and value):
 *   non-unique: key = tuple(indexed fields…, primary-key parts…), value = empty
 *   unique:     key = tuple(indexed fields…),                     value = primary key
 *
 * Invariants:
 *   1. Every row of the table has exactly one entry, and every entry names a row
 *      (range() reports an entry without its row as a corrupt index).
 *   2. A unique index has at most one entry per indexed value (checkUnique runs before
 *      any change, so a violation changes nothing).
 *
 * Split from table.ts to keep each file to one concept: Table owns rows and drives
 * maintenance (add/remove/checkUnique); Index owns its entry encoding and lookups.
 */

import { allocBytes } from './file/bytes.js';
import { BTree } from './btree/tree.js';
import type { KeyInput } from './codec.js';
import { DB_CODES, dbError } from './errors.js';
import { byteBounds, jsonBytes, type RangeOptions, type Row, type Table, type TableHost } from './table.js';
import { decodeKey, encodeKey, type KeyPart, PROJECT_MAX_POSITION, projectParts, skipParts } from './tuple.js';

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
export class Index<V = unknown> {
  readonly name: string;
  readonly fields: readonly (string | number)[];
  readonly unique: boolean;
  readonly #table: Table<V>;
  readonly #tree: BTree;
  readonly #host: TableHost;

  /**
   * @internal entries are projected from encoded rows (tuple values indexed by column
   * positions) rather than built from decoded values.
   */
  readonly projects: boolean;

  /** @internal */
  constructor(host: TableHost, table: Table<V>, def: IndexDef) {
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
        throw dbError(DB_CODES.VALUE_TYPE, `index "${this.name}" field ${JSON.stringify(f)} is ${typeof p}: indexed fields ` +
          'must be null, boolean, integer, string or Uint8Array', { index: this.name, field: f });
      }
      out.push(p);
    }
    return out;
  }

  /** @internal the index key of a row. */
  entry(pk: Uint8Array, value: V): Uint8Array {
    const key = encodeKey(this.parts(value));
    if (this.unique) return key;
    const out = allocBytes(key.length + pk.length);
    out.set(key, 0);
    out.set(pk, key.length);
    return out;
  }

  /** @internal the index key of a row projected from its encoded tuple (an index that `projects`). */
  projected(pk: Uint8Array, encoded: Uint8Array): Uint8Array {
    return projectParts(encoded, this.fields, this.unique ? null : pk);
  }

  /** @internal throw REMAPDB_UNIQUE_VIOLATION if another row has this entry. */
  checkUnique(entry: Uint8Array, self: Uint8Array | null): void {
    if (!this.unique) return;
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
    this.#tree.delete(entry);
  }

  #pk(k: Uint8Array, v: Uint8Array): Uint8Array {
    if (this.unique) return v;
    // The primary key is what follows the indexed parts in the entry.
    return k.subarray(skipParts(k, this.fields.length));
  }

  /** The row whose indexed fields equal `parts` (unique indexes). */
  get(parts: KeyInput): Row<V> | undefined {
    this.#host.checkOpen();
    if (!this.unique) {
      throw dbError(DB_CODES.INVALID, `index "${this.name}" is not unique: use find() or range()`, { index: this.name });
    }
    const k = this.#encode(parts);
    const pk = this.#tree.get(k);
    return pk === undefined ? undefined : this.#table.getEncoded(pk);
  }

  /** Rows whose indexed fields start with `parts`, in index order. */
  find(parts: KeyInput, opts: { reverse?: boolean; limit?: number } = {}): Row<V>[] {
    return [...this.range({ ...opts, prefix: parts })];
  }

  /** Rows in index order between bounds over the indexed fields (prefixes allowed). */
  *range(opts: RangeOptions = {}): IterableIterator<Row<V>> {
    this.#host.checkOpen();
    const b = byteBounds(opts, (k) => this.#encode(k));
    for (const [k, v] of this.#tree.range(b)) {
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
    return encodeKey(parts);
  }
}
