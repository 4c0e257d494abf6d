/**
 * Tables and secondary indexes: typed keys and values over B+trees.
 *
 * A table is one B+tree (encoded key → encoded value). A secondary index is another
 * B+tree maintained in the same transaction as its table:
 *   non-unique: key = tuple(indexed fields…, primary-key parts…), value = empty
 *   unique:     key = tuple(indexed fields…),                     value = primary key
 *               (with a null field: the primary key appended too — SQL's NULL rule, index-table.ts)
 * so an index scan is a range scan, and a non-unique index keeps equal values in
 * primary-key order.
 *
 * Every change runs in the caller's transaction or, outside one, in its own (autocommit,
 * as SQLite does). Checks that can fail (key and value types and sizes, duplicate keys,
 * unique violations) run before anything changes; a failure after a change has started
 * (an I/O error, a full pool) aborts the whole transaction (TableHost.write).
 *
 * Index (index-table.ts) is maintained inside Table's changes and shares byteBounds and
 * jsonBytes from here.
 */

import { BTree, MAX_VALUE_BYTES, maxKeyBytes, PUT_EXISTS, PUT_INSERTED, PUT_MISSING, type RangeOptions as TreeRange } from './btree/tree.js';
import {
  decodeTableKey, decodeValue, encodeTableKey, encodeValue, type KeyBound, type KeyInput, type KeyType, type ValueEncoding,
} from './codec.js';
import { DB_CODES, dbError } from './errors.js';
import type { PageIO } from './file/page-io.js';
import type { Index } from './index-table.js';
import { decodeParts, type KeyPart, keyPrefixEnd, PROJECT_MAX_POSITION, spliceParts } from './tuple.js';

/** What a table needs from its database. */
export interface TableHost {
  readonly io: PageIO;
  /** Run a change in the open transaction, or in an autocommit one. */
  write<T>(what: string, fn: () => T): T;
  /** Throw unless the database is open. */
  checkOpen(): void;
}

export interface TableDef {
  kind: 'table';
  name: string;
  root: number;
  key: KeyType[];
  value: ValueEncoding;
}

export interface Row<V = unknown, K extends KeyInput = KeyInput> {
  key: K;
  value: V;
}

/**
 * Bounds of a range scan over keys K; a bound may be a key prefix (fewer parts than the
 * schema: KeyBound).
 */
export interface RangeOptions<K extends KeyInput = KeyInput> {
  gt?: KeyBound<K>;
  gte?: KeyBound<K>;
  lt?: KeyBound<K>;
  lte?: KeyBound<K>;
  /** Only keys that start with these parts. */
  prefix?: KeyBound<K>;
  reverse?: boolean;
  limit?: number;
  /**
   * Tuple tables: each row's value is only these columns, in this order (null past the
   * row's end) — the other columns are skipped, not decoded.
   */
  columns?: readonly number[];
}


/**
 * @internal Translate typed bounds (possibly prefixes) into byte bounds; encode(parts)
 * encodes a partial key. Shared with Index.
 */
export function byteBounds(opts: RangeOptions<KeyInput>, encode: (k: KeyInput) => Uint8Array): TreeRange {
  const b: TreeRange = {};
  const lower = (k: Uint8Array, inclusive: boolean): void => {
    const v = inclusive ? k : keyPrefixEnd(k);
    // keyPrefixEnd is null only for an all-0xFF prefix, which no tuple encoding starts with.
    if (v === null) b.gt = k;
    else if (b.gte === undefined || Buffer.compare(v, b.gte) > 0) b.gte = v;
  };
  const upper = (k: Uint8Array, inclusive: boolean): void => {
    const v = inclusive ? keyPrefixEnd(k) : k;
    if (v !== null && (b.lt === undefined || Buffer.compare(v, b.lt) < 0)) b.lt = v;
  };
  if (opts.gte !== undefined) lower(encode(opts.gte as KeyInput), true);
  if (opts.gt !== undefined) lower(encode(opts.gt as KeyInput), false);
  if (opts.lt !== undefined) upper(encode(opts.lt as KeyInput), false);
  if (opts.lte !== undefined) upper(encode(opts.lte as KeyInput), true);
  if (opts.prefix !== undefined) {
    const p = encode(opts.prefix as KeyInput);
    lower(p, true);
    upper(p, true);
  }
  if (opts.reverse === true) b.reverse = true;
  if (opts.limit !== undefined) {
    if (!(Number.isInteger(opts.limit) && opts.limit >= 0)) {
      throw dbError(DB_CODES.INVALID, `range limit ${String(opts.limit)} must be an integer >= 0`, { limit: opts.limit });
    }
    b.limit = opts.limit;
  }
  return b;
}

function partial(name: string, schema: readonly KeyType[], k: KeyInput): Uint8Array {
  const parts: readonly KeyPart[] = Array.isArray(k) ? k : [k as KeyPart];
  if (parts.length > schema.length) {
    throw dbError(DB_CODES.KEY_TYPE, `"${name}" keys have ${schema.length} part(s); a bound has ${parts.length}`, { parts: parts.length });
  }
  return encodeTableKey(name, schema.slice(0, parts.length), parts);
}

/**
 * A table: rows of (key, value) in key order, in one B+tree. Get one from
 * Database.createTable, Database.ensureTable or Database.table.
 *
 * V is the value type; K the key type, inferred from the key schema by createTable and
 * ensureTable (['string'] → string, ['int', 'int'] → readonly [number, number]; KeyOf),
 * so a key of the wrong type does not compile. V comes first, as it did before K
 * existed, so `Table<Item>` and `db.table<Item>(name)` keep their meaning (K = KeyInput).
 *
 * @example
 * const orders = db.createTable<{ cents: number }>('orders', { key: ['int', 'int'] });  // (customer, order)
 * orders.insert([7, 1], { cents: 1250 });
 * orders.upsert([7, 2], { cents: 90 });
 * orders.get([7, 1]);                                       // { cents: 1250 }
 * [...orders.range({ prefix: [7], reverse: true, limit: 1 })];  // [{ key: [7, 2], value: { cents: 90 } }]
 * orders.delete([7, 2]);                                    // true
 */
export class Table<V = unknown, K extends KeyInput = KeyInput> {
  readonly name: string;
  readonly keySchema: readonly KeyType[];
  readonly valueEncoding: ValueEncoding;
  readonly #host: TableHost;
  readonly #tree: BTree;
  readonly #maxKey: number;
  /** @internal the database keeps this list current (createIndex / dropIndex). */
  readonly indexes: Index<V, K>[] = [];

  /** @internal tables come from Database.createTable / Database.table. */
  constructor(host: TableHost, def: TableDef) {
    this.name = def.name;
    this.keySchema = def.key;
    this.valueEncoding = def.value;
    this.#host = host;
    this.#tree = new BTree(host.io, def.root);
    this.#maxKey = maxKeyBytes(host.io.pageSize);
  }

  /** @internal */
  get tree(): BTree {
    return this.#tree;
  }

  /** Rows in the table. */
  get count(): number {
    this.#host.checkOpen();
    return this.#tree.count;
  }

  /** @internal encode and size-check a full key. */
  encodeKey(key: KeyInput): Uint8Array {
    const k = encodeTableKey(this.name, this.keySchema, key);
    if (k.length > this.#maxKey) {
      throw dbError(DB_CODES.KEY_TOO_LARGE, `table "${this.name}": the key encodes to ${k.length} bytes; the limit for ` +
        `${this.#host.io.pageSize}-byte pages is ${this.#maxKey}`, { length: k.length, limit: this.#maxKey });
    }
    return k;
  }

  #encodeValue(value: V): Uint8Array {
    const v = encodeValue(this.name, this.valueEncoding, value);
    if (v.length > MAX_VALUE_BYTES) {
      throw dbError(DB_CODES.VALUE_TOO_LARGE, `table "${this.name}": the value encodes to ${v.length} bytes; the limit is ` +
        `${MAX_VALUE_BYTES} (1 MiB)`, { length: v.length, limit: MAX_VALUE_BYTES });
    }
    return v;
  }

  /** The value stored under key, or undefined. */
  get(key: K): V | undefined {
    this.#host.checkOpen();
    const v = this.#tree.get(this.encodeKey(key));
    return v === undefined ? undefined : (decodeValue(this.valueEncoding, v) as V);
  }

  has(key: K): boolean {
    this.#host.checkOpen();
    return this.#tree.has(this.encodeKey(key));
  }

  /** Add a row; REMAPDB_DUPLICATE_KEY if the key is present. */
  insert(key: K, value: V): void {
    this.#host.checkOpen();
    const k = this.encodeKey(key);
    const v = this.#encodeValue(value);
    this.#host.write(`insert into "${this.name}"`, () => {
      if (this.indexes.length === 0) {
        if (this.#tree.put(k, v, 'insert') === PUT_EXISTS) throw this.#duplicate(key);
        return;
      }
      if (this.#tree.has(k)) throw this.#duplicate(key);
      this.#insertIndexed(k, v, value);
    });
  }

  /** Replace a row's value; REMAPDB_KEY_NOT_FOUND if the key is absent. */
  update(key: K, value: V): void {
    this.#host.checkOpen();
    const k = this.encodeKey(key);
    const v = this.#encodeValue(value);
    this.#host.write(`update of "${this.name}"`, () => {
      if (this.indexes.length === 0) {
        if (this.#tree.put(k, v, 'update') === PUT_MISSING) throw this.#missing(key);
        return;
      }
      const old = this.#tree.get(k);
      if (old === undefined) throw this.#missing(key);
      this.#replace(k, v, value, old);
    });
  }

  /**
   * Columns of a tuple row, in the order asked (null past the row's end), or undefined if
   * there is no such row. Only those columns are decoded.
   *
   * @example
   * stock.getColumns([w, i], [0, 2]);   // [quantity, orderCount]
   */
  getColumns(key: K, columns: readonly number[]): KeyPart[] | undefined {
    this.#host.checkOpen();
    this.#checkColumns(columns);
    const v = this.#tree.get(this.encodeKey(key));
    return v === undefined ? undefined : decodeParts(v, columns);
  }

  /**
   * Set columns of a tuple row, as SQL's UPDATE … SET c = v: the other columns' bytes
   * are kept as stored (not decoded and re-encoded); a column past the row's end extends
   * it with nulls. REMAPDB_KEY_NOT_FOUND if there is no such row.
   *
   * @example
   * stock.setColumns([w, i], [0, 2], [quantity - 5, orderCount + 1]);
   */
  setColumns(key: K, columns: readonly number[], values: readonly KeyPart[]): void {
    this.#host.checkOpen();
    this.#checkColumns(columns);
    if (!Array.isArray(values) || values.length !== columns.length) {
      throw dbError(DB_CODES.INVALID, `setColumns on "${this.name}": ${columns.length} column(s) but ${Array.isArray(values) ? values.length : 'no array of'} value(s)`,
        { table: this.name });
    }
    const k = this.encodeKey(key);
    this.#host.write(`update of "${this.name}"`, () => {
      const old = this.#tree.get(k);
      if (old === undefined) throw this.#missing(key);
      let v: Uint8Array;
      try {
        v = spliceParts(old, columns, values);
      } catch (err) {
        throw dbError(DB_CODES.VALUE_TYPE, `table "${this.name}": ${(err as Error).message}`, { table: this.name }, err);
      }
      if (this.indexes.length === 0) this.#tree.put(k, v, 'update');
      else this.#replace(k, v, undefined, old);
    });
  }

  #checkColumns(columns: readonly number[]): void {
    if (this.valueEncoding !== 'tuple') {
      throw dbError(DB_CODES.INVALID, `table "${this.name}" stores ${this.valueEncoding} values: columns apply to tuple tables`, { table: this.name });
    }
    if (!Array.isArray(columns) || columns.length === 0 || columns.length > PROJECT_MAX_POSITION + 1) {
      throw dbError(DB_CODES.INVALID, `columns must be an array of 1 to ${PROJECT_MAX_POSITION + 1} column positions`, { table: this.name });
    }
    for (const c of columns) {
      if (!(Number.isInteger(c) && c >= 0 && c <= PROJECT_MAX_POSITION)) {
        throw dbError(DB_CODES.INVALID, `column ${String(c)} of "${this.name}" is not an integer from 0 to ${PROJECT_MAX_POSITION}`,
          { table: this.name, column: c });
      }
    }
  }

  /** Insert or replace; returns true when the row is new. */
  upsert(key: K, value: V): boolean {
    this.#host.checkOpen();
    const k = this.encodeKey(key);
    const v = this.#encodeValue(value);
    return this.#host.write(`upsert into "${this.name}"`, () => {
      if (this.indexes.length === 0) return this.#tree.put(k, v, 'upsert') === PUT_INSERTED;
      const old = this.#tree.get(k);
      if (old !== undefined) {
        this.#replace(k, v, value, old);
        return false;
      }
      this.#insertIndexed(k, v, value);
      return true;
    });
  }

  /** Insert an absent row and its index entries (unique checks first: nothing changes if one fails). */
  #insertIndexed(k: Uint8Array, v: Uint8Array, value: V): void {
    const entries = this.#entries(k, v, value);
    this.indexes.forEach((ix, i) => ix.checkUnique(entries[i] as Uint8Array, null));
    this.#tree.put(k, v, 'insert');
    this.indexes.forEach((ix, i) => ix.add(entries[i] as Uint8Array, k));
  }

  /**
   * The index entries of row k, whose encoded value is `encoded` (and decoded `value`, if
   * at hand): tuple rows' entries are projected from the bytes — an update that leaves
   * the indexed columns alone decodes nothing (TPC-C's Payment and Delivery) — others
   * are built from the value, decoded at most once.
   */
  #entries(k: Uint8Array, encoded: Uint8Array, value: V | undefined): Uint8Array[] {
    let decoded = value;
    return this.indexes.map((ix) => (ix.projects ? ix.projected(k, encoded) :
      ix.entry(k, (decoded ??= decodeValue(this.valueEncoding, encoded) as V))));
  }

  #replace(k: Uint8Array, v: Uint8Array, value: V | undefined, old: Uint8Array): void {
    const olds = this.#entries(k, old, undefined);
    const news = this.#entries(k, v, value);
    this.indexes.forEach((ix, i) => {
      if (Buffer.compare(olds[i] as Uint8Array, news[i] as Uint8Array) !== 0) ix.checkUnique(news[i] as Uint8Array, k);
    });
    this.#tree.put(k, v, 'update');
    this.indexes.forEach((ix, i) => {
      const o = olds[i] as Uint8Array;
      const n = news[i] as Uint8Array;
      if (Buffer.compare(o, n) === 0) return;
      ix.remove(o);
      ix.add(n, k);
    });
  }

  /** Delete a row; returns whether it was there. */
  delete(key: K): boolean {
    this.#host.checkOpen();
    const k = this.encodeKey(key);
    return this.#host.write(`delete from "${this.name}"`, () => {
      if (this.indexes.length === 0) return this.#tree.delete(k);
      const old = this.#tree.get(k);
      if (old === undefined) return false;
      const entries = this.#entries(k, old, undefined);
      this.#tree.delete(k);
      this.indexes.forEach((ix, i) => ix.remove(entries[i] as Uint8Array));
      return true;
    });
  }

  /**
   * Rows in key order (or reverse) between the bounds; see RangeOptions. Lazy: rows are
   * read as the iterator is advanced, and an iterator advanced after the database
   * closed throws REMAPDB_CLOSED at once (the tree's cursor holds a leaf's rows).
   */
  *range(opts: RangeOptions<K> = {}): IterableIterator<Row<V, K>> {
    this.#host.checkOpen();
    const b = byteBounds(opts as RangeOptions<KeyInput>, (k) => partial(this.name, this.keySchema, k));
    const n = this.keySchema.length;
    const cols = opts.columns;
    if (cols !== undefined) this.#checkColumns(cols);
    for (const [k, v] of this.#tree.range(b)) {
      this.#host.checkOpen();
      yield { key: decodeTableKey(n, k) as K, value: (cols === undefined ? decodeValue(this.valueEncoding, v) : decodeParts(v, cols)) as V };
    }
  }

  /** Every row (key order). */
  all(opts: { reverse?: boolean; limit?: number } = {}): Row<V, K>[] {
    return [...this.range(opts)];
  }

  /** A secondary index of this table. */
  index(name: string): Index<V, K> {
    this.#host.checkOpen();
    const ix = this.indexes.find((i) => i.name === name);
    if (ix === undefined) {
      throw dbError(DB_CODES.NO_INDEX, `table "${this.name}" has no index "${name}"; it has: ` +
        `${this.indexes.map((i) => i.name).join(', ') || 'none'}`, { table: this.name, index: name });
    }
    return ix;
  }

  /** @internal a row by encoded key (index lookups). */
  getEncoded(k: Uint8Array): Row<V, K> | undefined {
    const v = this.#tree.get(k);
    if (v === undefined) return undefined;
    return { key: decodeTableKey(this.keySchema.length, k) as K, value: decodeValue(this.valueEncoding, v) as V };
  }

  #duplicate(key: KeyInput): Error {
    return dbError(DB_CODES.DUPLICATE, `table "${this.name}" already has key ${JSON.stringify(key, jsonBytes)}`, { table: this.name });
  }

  #missing(key: KeyInput): Error {
    return dbError(DB_CODES.NOT_FOUND, `table "${this.name}" has no key ${JSON.stringify(key, jsonBytes)}`, { table: this.name });
  }
}

/** @internal JSON.stringify replacer for error messages: bytes print as their length. */
export function jsonBytes(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? `<${v.length} bytes>` : v;
}
