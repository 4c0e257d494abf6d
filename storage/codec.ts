/**
 * Key schemas and value encodings: how a table's typed keys and values become the bytes
 * its B+tree stores. A key schema is a list of part types ('int', 'string', 'bytes',
 * 'bool' or 'any'); a key is one part or an array of parts, encoded with the
 * order-preserving tuple encoding (tuple.ts), so composite keys sort part by part.
 *
 * Value encodings: 'bytes' (Uint8Array as is), 'string' (UTF-8), 'json'
 * (JSON.stringify), 'tuple' (an array of key parts, tuple-encoded: compact, and lets
 * secondary indexes name columns by position).
 */

import { CodedError } from '../sim-kernel/index.js';
import { DB_CODES, DbError, dbError } from './errors.js';
import { decodeKey, encodeKey, type KeyPart } from './tuple.js';

export type KeyType = 'int' | 'string' | 'bytes' | 'bool' | 'any';
export const KEY_TYPES: readonly KeyType[] = ['int', 'string', 'bytes', 'bool', 'any'];
export type ValueEncoding = 'bytes' | 'string' | 'json' | 'tuple';
export const VALUE_ENCODINGS: readonly ValueEncoding[] = ['bytes', 'string', 'json', 'tuple'];

/** A key as the API takes it: one part, or the parts of a composite key. */
export type KeyInput = KeyPart | readonly KeyPart[];

const utf8d = new TextDecoder('utf-8', { fatal: true });
const EMPTY = new Uint8Array(0);

function typeOk(t: KeyType, p: KeyPart): boolean {
  switch (t) {
    case 'any': return true;
    case 'int': return typeof p === 'number';
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
  return encodeKey(parts);
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
    case 'json': {
      let s: string | undefined;
      try {
        s = JSON.stringify(value);
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

/** A stored value as the API returns it; REMAPDB_CORRUPT if its bytes cannot be one (they passed their page's checksum). */
export function decodeValue(enc: ValueEncoding, bytes: Uint8Array): unknown {
  try {
    switch (enc) {
      case 'bytes': return bytes;
      case 'string': return utf8d.decode(bytes);
      case 'json': return JSON.parse(utf8d.decode(bytes)) as unknown;
      case 'tuple': return decodeKey(bytes);
    }
  } catch (err) {
    if (err instanceof CodedError) throw err;
    throw new DbError(DB_CODES.CORRUPT, `a stored ${enc} value of ${bytes.length} bytes does not decode ` +
      `(${(err as Error).message}): the database is damaged (remapdb check shows where)`, { cause: err });
  }
}

/** The smallest byte string greater than every string that starts with `prefix` (null: none). */
export function prefixEnd(prefix: Uint8Array): Uint8Array | null {
  let n = prefix.length;
  while (n > 0 && prefix[n - 1] === 0xff) n--;
  if (n === 0) return null;
  const out = prefix.slice(0, n);
  out[n - 1] = (out[n - 1] as number) + 1;
  return out;
}
