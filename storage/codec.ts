/**
 * Key schemas and value encodings: how a table's typed keys and values become the bytes
 * its B+tree stores. A key schema is a list of part types ('int', 'float', 'string',
 * 'bytes', 'bool' or 'any'); a key is one part or an array of parts, encoded with the
 * order-preserving tuple encoding (tuple.ts), so composite keys sort part by part.
 * Numbers are any number but NaN, in numeric order (tuple.ts: an integer keeps the bytes
 * it had before fractions were allowed); an 'int' part takes safe integers only
 * (REMAPDB_KEY_TYPE otherwise), a 'float' part any number.
 *
 * Value encodings, chosen per table and recorded in its definition (so a table keeps
 * the encoding it was made with, and files written before 'msgpack' existed read as
 * they did): 'msgpack' (the default since it existed: MessagePack through msgpackr,
 * value-codec.ts — Date, typed arrays, Buffer, Map, Set, NaN, ±Infinity, bigint and
 * undefined properties round-trip), 'json' (JSON.stringify, the default before;
 * refuses those rather than change them), 'bytes' (Uint8Array as is), 'string' (UTF-8), 'tuple' (an array of
 * key parts, tuple-encoded: compact, and lets secondary indexes name columns by position).
 */

import { DB_CODES, DbError, dbError } from './errors.js';
import { decodeKey, encodeKey, type KeyPart } from './tuple.js';
import { packValue, unpackValue } from './value-codec.js';

export type KeyType = 'int' | 'float' | 'string' | 'bytes' | 'bool' | 'any';
export const KEY_TYPES: readonly KeyType[] = ['int', 'float', 'string', 'bytes', 'bool', 'any'];
export type ValueEncoding = 'bytes' | 'string' | 'json' | 'msgpack' | 'tuple';
export const VALUE_ENCODINGS: readonly ValueEncoding[] = ['bytes', 'string', 'json', 'msgpack', 'tuple'];
/** The value encoding of a table created without one. */
export const DEFAULT_VALUE_ENCODING: ValueEncoding = 'msgpack';

/** A key as the API takes it: one part, or the parts of a composite key. */
export type KeyInput = KeyPart | readonly KeyPart[];

/** The key a part type takes (Table<K, V>'s K for a one-part schema). */
export interface KeyTypeMap {
  int: number;
  float: number;
  string: string;
  bytes: Uint8Array;
  bool: boolean;
  any: KeyPart;
}

/**
 * The key of a table with key schema S: one part's type for a one-part schema, a tuple
 * of them for a composite one, KeyInput when the schema is not known at compile time.
 */
export type KeyOf<S extends readonly KeyType[]> = number extends S['length'] ? KeyInput
  : S extends readonly [infer T extends KeyType] ? KeyTypeMap[T]
  : { readonly [I in keyof S]: S[I] extends KeyType ? KeyTypeMap[S[I]] : never };

/**
 * A bound of a range scan over keys K: the whole key or, for composite keys, a prefix of
 * its parts.
 */
export type KeyBound<K> = K extends readonly unknown[] ? K | Prefixes<K> : K | readonly [K];

/** The leading parts of tuple T: [], [T0], [T0, T1], … */
export type Prefixes<T extends readonly unknown[]> = T extends readonly [...infer Init, unknown]
  ? Readonly<Init> | Prefixes<Init> : readonly [];

const utf8d = new TextDecoder('utf-8', { fatal: true });
const EMPTY = new Uint8Array(0);

function typeOk(t: KeyType, p: KeyPart): boolean {
  switch (t) {
    case 'any': return true;
    case 'int': return Number.isSafeInteger(p);
    case 'float': return typeof p === 'number';
    case 'string': return typeof p === 'string';
    case 'bytes': return p instanceof Uint8Array;
    case 'bool': return typeof p === 'boolean';
  }
}

function describe(p: unknown): string {
  if (p instanceof Uint8Array) return `bytes(${p.length})`;
  if (typeof p === 'string') return JSON.stringify(p.length > 40 ? `${p.slice(0, 40)}…` : p);
  return `${typeof p} ${String(p)}`;
}

/** Encode a key against a schema: the number and types of parts must match. */
export function encodeTableKey(table: string, schema: readonly KeyType[], key: KeyInput): Uint8Array {
  const parts: readonly KeyPart[] = Array.isArray(key) ? key : [key as KeyPart];
  if (parts.length !== schema.length) {
    throw dbError(DB_CODES.KEY_TYPE, `table "${table}" has ${schema.length}-part keys (${schema.join(', ')}); got ` +
      `${parts.length} part(s)`, { table, expected: schema, parts: parts.length });
  }
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as KeyPart;
    if (!typeOk(schema[i] as KeyType, p)) {
      throw dbError(DB_CODES.KEY_TYPE, `table "${table}" key part ${i} must be ${schema[i]}; got ${describe(p)}`,
        { table, part: i, expected: schema[i] });
    }
  }
  return withKeyNames(() => encodeKey(parts), { table });
}

/**
 * Run an encoding; a REMAPDB_KEY_INVALID it raises is raised again naming where the key
 * belongs (table, index, field), with the part's own message and the original as cause.
 */
export function withKeyNames<T>(fn: () => T, where: { table: string; index?: string; fields?: readonly (string | number)[] }): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof DbError) || err.code !== DB_CODES.KEY_INVALID) throw err;
    const m = /^key part (\d+)/.exec(err.message);
    const part = m === null ? undefined : Number(m[1]);
    const field = part === undefined || where.fields === undefined ? undefined : where.fields[part];
    const place = where.index === undefined ? `table "${where.table}"` : `index "${where.index}" of table "${where.table}"`;
    const what = field === undefined ? '' : ` field ${JSON.stringify(field)}:`;
    throw dbError(DB_CODES.KEY_INVALID, `${place}:${what} ${err.message}`,
      { ...err.details, table: where.table, ...(where.index === undefined ? {} : { index: where.index }),
        ...(part === undefined ? {} : { part }), ...(field === undefined ? {} : { field }) }, err);
  }
}

/** Decode a table key: one part for one-part schemas, else the array of parts. */
export function decodeTableKey(schemaLength: number, bytes: Uint8Array): KeyInput {
  const parts = decodeKey(bytes);
  return schemaLength === 1 ? (parts[0] as KeyPart) : parts;
}

export function encodeValue(table: string, enc: ValueEncoding, value: unknown): Uint8Array {
  switch (enc) {
    case 'bytes':
      if (!(value instanceof Uint8Array)) {
        throw dbError(DB_CODES.VALUE_TYPE, `table "${table}" stores bytes: the value must be a Uint8Array, got ${describe(value)}`, { table });
      }
      return value;
    case 'string':
      if (typeof value !== 'string') {
        throw dbError(DB_CODES.VALUE_TYPE, `table "${table}" stores strings: got ${describe(value)}`, { table });
      }
      // Buffer.from pools small strings (a fresh Uint8Array costs ~800 ns: see bytes.ts); the
      // bytes are copied into a page, never handed back.
      return value.length === 0 ? EMPTY : Buffer.from(value, 'utf8');
    case 'msgpack':
      return packValue(table, value);
    case 'json': {
      let s: string | undefined;
      try {
        s = JSON.stringify(value, refuseLossy);
      } catch (err) {
        throw dbError(DB_CODES.VALUE_TYPE, `table "${table}" stores JSON: the value cannot be serialised: ${(err as Error).message}`, { table }, err);
      }
      if (s === undefined) throw dbError(DB_CODES.VALUE_TYPE, `table "${table}" stores JSON: ${describe(value)} has no JSON form`, { table });
      return Buffer.from(s, 'utf8');
    }
    case 'tuple':
      if (!Array.isArray(value)) {
        throw dbError(DB_CODES.VALUE_TYPE, `table "${table}" stores tuples: the value must be an array of key parts, got ${describe(value)}`,
          { table });
      }
      try {
        return encodeKey(value as KeyPart[]);
      } catch (err) {
        throw dbError(DB_CODES.VALUE_TYPE, `table "${table}": ${(err as Error).message}`, { table }, err);
      }
  }
}

/**
 * JSON.stringify replacer of 'json' tables: a value JSON would change without a word (a
 * Date into a string, a typed array into {"0":…}, a Map or Set into {}, NaN and ±Infinity
 * into null) is refused, naming where it is and what keeps it ('msgpack' tables).
 * `this[key]` is the value before its toJSON (a Date's).
 */
function refuseLossy(this: unknown, key: string, value: unknown): unknown {
  const orig = (this as Record<string, unknown>)[key];
  let what: string | undefined;
  if (orig instanceof Date) what = 'a Date (JSON makes it a string)';
  else if (ArrayBuffer.isView(orig) || orig instanceof ArrayBuffer) what = `a ${orig.constructor.name} (JSON makes it an object of indexes)`;
  else if (orig instanceof Map || orig instanceof Set) what = `a ${orig.constructor.name} (JSON makes it {})`;
  else if (typeof orig === 'number' && !Number.isFinite(orig)) what = `${orig} (JSON makes it null)`;
  if (what !== undefined) {
    throw new TypeError(`${key === '' ? 'the value' : `property ${JSON.stringify(key)}`} is ${what}: it would not read back as written; ` +
      "store it in a 'msgpack' table (the default), which keeps it");
  }
  return value;
}

/** A stored value as the API returns it; REMAPDB_CORRUPT if its bytes cannot be one (they passed their page's checksum). */
export function decodeValue(enc: ValueEncoding, bytes: Uint8Array): unknown {
  try {
    switch (enc) {
      case 'bytes': return bytes;
      case 'string': return utf8d.decode(bytes);
      case 'json': return JSON.parse(utf8d.decode(bytes)) as unknown;
      case 'msgpack': return unpackValue(bytes);
      case 'tuple': return decodeKey(bytes);
    }
  } catch (err) {
    if (err instanceof DbError) throw err;
    throw new DbError(DB_CODES.CORRUPT, `a stored ${enc} value of ${bytes.length} bytes does not decode ` +
      `(${(err as Error).message}): the database is damaged (remapdb check shows where)`, { cause: err });
  }
}
