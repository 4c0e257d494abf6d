/**
 * Keys and values between the command line, JSON and a table: `remapdb get`, `scan`,
 * `dump` and `import`.
 *
 * A key on the command line is parsed by the table's key types (Table.keySchema):
 *   - one part:   int `42`, float `1.5` (or `-Infinity`), string `apple` (as written), bool `true`, bytes `0x0a0b`,
 *                 any: JSON if it parses as a scalar (42, true, null, "x"), else the text;
 *   - composite:  a JSON array with one element per part, `[1, "x"]`; scan bounds and
 *                 --prefix may give fewer parts (a prefix of the key).
 * A key that does not fit is a usage error naming the table, its key types and an example.
 *
 * In JSON output (and in dumps) values JSON would change are tagged (toJson: {"$hex"}, {"$date"},
 * {"$bigint"}, {"$num"}, {"$map"}, {"$set"}, {"$typed"}); import turns them back.
 */

import type { KeyInput, KeyPart, KeyType } from '../src/index.js';
import { UsageError } from '../src/index.js';

const EXAMPLE: Readonly<Record<KeyType, string>> = {
  int: '42', float: '1.5', string: '"apple"', bool: 'true', bytes: '"0x0a0b"', any: '42',
};

function describeKey(table: string, schema: readonly KeyType[]): string {
  const example = schema.length === 1 ? (EXAMPLE[schema[0] as KeyType]).replace(/^"(.*)"$/, '$1') : `[${schema.map((t) => EXAMPLE[t]).join(',')}]`;
  return `table "${table}" has key (${schema.join(', ')}); e.g. ${example}`;
}

function article(t: KeyType): string {
  return t === 'int' || t === 'any' ? `an ${t}` : t === 'bytes' ? 'bytes (0xHEX)' : `a ${t}`;
}

function hexBytes(s: string): Uint8Array | undefined {
  const m = /^0x((?:[0-9a-fA-F]{2})*)$/.exec(s);
  return m === null ? undefined : Uint8Array.from((m[1] ?? '').match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** One part from a JSON element (or a bare command-line word, `fromText`); undefined if it does not fit `type`. */
function part(type: KeyType, v: unknown, fromText: boolean): KeyPart | undefined {
  switch (type) {
    case 'int': {
      const n = fromText && typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
      return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
    }
    case 'float': {
      // Any number but NaN (the float key part's domain); on the command line also Infinity / -Infinity.
      const n = fromText && typeof v === 'string' && /^(-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|-?Infinity)$/.test(v) ? Number(v) : v;
      return typeof n === 'number' && !Number.isNaN(n) ? n : undefined;
    }
    case 'string':
      return typeof v === 'string' ? v : undefined;
    case 'bool':
      if (fromText) return v === 'true' ? true : v === 'false' ? false : undefined;
      return typeof v === 'boolean' ? v : undefined;
    case 'bytes':
      return typeof v === 'string' ? hexBytes(v) : undefined;
    case 'any': {
      if (fromText && typeof v === 'string') {
        try {
          return part('any', JSON.parse(v), false) ?? v;
        } catch {
          return v;
        }
      }
      if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    }
  }
}

/**
 * The key `text` names in table `table` (key types `schema`); `prefix`: fewer parts allowed.
 * `what` names the argument in errors ("KEY", "--gte").
 */
export function parseKeyArg(text: string, schema: readonly KeyType[], o: { table: string; what: string; prefix?: boolean }): KeyInput {
  const bad = (why: string): never => {
    throw new UsageError(`${o.what} ${JSON.stringify(text)}: ${why}; ${describeKey(o.table, schema)}` +
      `${schema.length > 1 ? ' (a JSON array, one element per part' + (o.prefix === true ? ', or fewer for a prefix)' : ')') : ''}`);
  };
  const one = schema.length === 1;
  if (one && !text.trimStart().startsWith('[')) {
    const p = part(schema[0] as KeyType, text, true);
    return p === undefined ? bad(`not ${article(schema[0] as KeyType)}`) : p;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return bad('not a JSON array');
  }
  if (!Array.isArray(parsed)) return bad('not a JSON array');
  const arr: unknown[] = parsed;
  if (arr.length > schema.length || arr.length === 0 || (arr.length < schema.length && o.prefix !== true)) {
    return bad(`${arr.length} part(s) where the key has ${schema.length}`);
  }
  const parts = arr.map((v, i) => {
    const p = part(schema[i] as KeyType, v, false);
    return p === undefined ? bad(`part ${i + 1} (${JSON.stringify(v)}) is not ${article(schema[i] as KeyType)}`) : p;
  });
  return one ? (parts[0] as KeyPart) : parts;
}

/**
 * JSON.stringify keeping what msgpack tables store and JSON would change, as one-key tagged
 * objects: Uint8Array/Buffer {"$hex"}, other typed arrays {"$typed": name, "$hex"}, Date
 * {"$date": ISO}, bigint {"$bigint": decimal}, NaN and ±Infinity {"$num"}, Map {"$map":
 * [[k, v], …]}, Set {"$set": […]}. fromJson turns each back.
 */
export function toJson(v: unknown, space?: number): string {
  return JSON.stringify(v, function replace(this: unknown, k: string, x: unknown): unknown {
    const orig = (this as Record<string, unknown>)[k]; // before toJSON (a Date's)
    if (orig instanceof Date) return { $date: Number.isNaN(orig.getTime()) ? null : orig.toISOString() };
    if (x instanceof Uint8Array) return { $hex: Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex') };
    if (ArrayBuffer.isView(x)) return { $typed: x.constructor.name, $hex: Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex') };
    if (typeof x === 'bigint') return { $bigint: x.toString() };
    if (typeof x === 'number' && !Number.isFinite(x)) return { $num: String(x) };
    if (x instanceof Map) return { $map: [...x.entries()] };
    if (x instanceof Set) return { $set: [...x.values()] };
    return x;
  }, space);
}

const TYPED: Readonly<Record<string, (b: ArrayBuffer) => ArrayBufferView>> = {
  Int8Array: (b) => new Int8Array(b), Uint8ClampedArray: (b) => new Uint8ClampedArray(b), Int16Array: (b) => new Int16Array(b),
  Uint16Array: (b) => new Uint16Array(b), Int32Array: (b) => new Int32Array(b), Uint32Array: (b) => new Uint32Array(b),
  Float32Array: (b) => new Float32Array(b), Float64Array: (b) => new Float64Array(b), BigInt64Array: (b) => new BigInt64Array(b),
  BigUint64Array: (b) => new BigUint64Array(b), DataView: (b) => new DataView(b),
};

/** JSON.parse turning toJson's tagged objects back into what they stand for. */
export function fromJson(text: string): unknown {
  return JSON.parse(text, (_k, x: unknown) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) return x;
    const o = x as Record<string, unknown>;
    const keys = Object.keys(o);
    const hex = o['$hex'];
    const okHex = typeof hex === 'string' && /^(?:[0-9a-fA-F]{2})*$/.test(hex);
    if (keys.length === 1) {
      if (okHex) return Uint8Array.from(Buffer.from(hex, 'hex'));
      if ('$date' in o && (typeof o['$date'] === 'string' || o['$date'] === null)) return new Date(o['$date'] === null ? Number.NaN : (o['$date'] as string));
      if (typeof o['$bigint'] === 'string' && /^-?\d+$/.test(o['$bigint'])) return BigInt(o['$bigint']);
      if (o['$num'] === 'NaN' || o['$num'] === 'Infinity' || o['$num'] === '-Infinity') return Number(o['$num']);
      if (Array.isArray(o['$map'])) return new Map(o['$map'] as [unknown, unknown][]);
      if (Array.isArray(o['$set'])) return new Set(o['$set'] as unknown[]);
    }
    if (keys.length === 2 && okHex && typeof o['$typed'] === 'string') {
      const make = TYPED[o['$typed']];
      if (make !== undefined) {
        const bytes = Buffer.from(hex, 'hex');
        return make(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      }
    }
    return x;
  });
}
