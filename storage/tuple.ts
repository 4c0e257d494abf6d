/**
 * The order-preserving tuple encoding of keys: a composite key sorts, compared bytewise,
 * exactly as its parts compare one after another (the layout of FoundationDB's tuple
 * layer). B+tree keys are plain bytes; this is how typed keys become bytes.
 *
 * | tag        | part                      | encoding after the tag                                  |
 * |------------|---------------------------|---------------------------------------------------------|
 * | 0x00       | null                      | —                                                       |
 * | 0x01       | bytes (Uint8Array)        | content, each 0x00 written 0x00 0xFF, then 0x00         |
 * | 0x02       | string                    | UTF-8, escaped and terminated as bytes                  |
 * | 0x0D..0x13 | negative integer, 7..1 B  | big-endian |v| in n bytes, each byte inverted (one's complement) |
 * | 0x14       | integer 0                 | —                                                       |
 * | 0x15..0x1B | positive integer, 1..7 B  | big-endian |v| in n bytes                               |
 * | 0x26/0x27  | false / true              | —                                                       |
 *
 * Integers are JS safe integers (|v| ≤ 2^53 − 1, so at most 7 bytes). Types order as
 * their tags: null < bytes < strings < integers < booleans. Strings compare by UTF-8
 * bytes, which is code-point order.
 */

import { CodedError } from '../sim-kernel/index.js';

export type KeyPart = null | boolean | number | string | Uint8Array;

export const KEY_ERROR_CODE = 'REMAPDB_KEY_INVALID';

const T_NULL = 0x00;
const T_BYTES = 0x01;
const T_STRING = 0x02;
const T_INT_ZERO = 0x14;
const T_FALSE = 0x26;
const T_TRUE = 0x27;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

function keyError(message: string, part: unknown): CodedError {
  return new CodedError(KEY_ERROR_CODE, message, { details: { part: String(part) } });
}

function intBytes(abs: number): number {
  let n = 0;
  for (let v = abs; v >= 1; v = Math.floor(v / 256)) n++;
  return n;
}

/** Bytes the encoding of `parts` takes (to size a buffer without encoding twice). */
function encodedLength(parts: readonly KeyPart[], strings: (Uint8Array | null)[]): number {
  let len = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as KeyPart;
    if (p === null || typeof p === 'boolean') len += 1;
    else if (typeof p === 'number') len += 1 + intBytes(Math.abs(p));
    else {
      const b = typeof p === 'string' ? (strings[i] as Uint8Array) : p;
      let zeros = 0;
      for (let j = 0; j < b.length; j++) if (b[j] === 0) zeros++;
      len += 2 + b.length + zeros;
    }
  }
  return len;
}

function checkPart(p: unknown, index: number): asserts p is KeyPart {
  if (p === null || typeof p === 'boolean' || typeof p === 'string' || p instanceof Uint8Array) return;
  if (typeof p === 'number') {
    if (!Number.isSafeInteger(p)) {
      throw keyError(`key part ${index} = ${p} is not an integer in ±(2^53 − 1) (floats and larger integers are not keys)`, p);
    }
    return;
  }
  throw keyError(`key part ${index} has type ${typeof p}; allowed: null, boolean, safe integer, string, Uint8Array`, p);
}

/** Encode a composite key. */
export function encodeKey(parts: readonly KeyPart[]): Uint8Array {
  const strings: (Uint8Array | null)[] = parts.map((p, i) => {
    checkPart(p, i);
    return typeof p === 'string' ? utf8.encode(p) : null;
  });
  const out = new Uint8Array(encodedLength(parts, strings));
  let o = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as KeyPart;
    if (p === null) out[o++] = T_NULL;
    else if (p === false) out[o++] = T_FALSE;
    else if (p === true) out[o++] = T_TRUE;
    else if (typeof p === 'number') {
      const abs = Math.abs(p);
      const n = intBytes(abs);
      out[o++] = p >= 0 ? T_INT_ZERO + n : T_INT_ZERO - n;
      // Negative: the one's complement of |v| in n bytes, byte by byte (exact past 2^53).
      let v = abs;
      for (let j = n - 1; j >= 0; j--) {
        const byte = v % 256;
        out[o + j] = p >= 0 ? byte : 255 - byte;
        v = Math.floor(v / 256);
      }
      o += n;
    } else {
      const b = typeof p === 'string' ? (strings[i] as Uint8Array) : p;
      out[o++] = typeof p === 'string' ? T_STRING : T_BYTES;
      for (let j = 0; j < b.length; j++) {
        const c = b[j] as number;
        out[o++] = c;
        if (c === 0) out[o++] = 0xff;
      }
      out[o++] = 0x00;
    }
  }
  return out;
}

/** Decode a key made by encodeKey; throws REMAPDB_KEY_INVALID on malformed bytes. */
export function decodeKey(key: Uint8Array): KeyPart[] {
  const parts: KeyPart[] = [];
  let i = 0;
  while (i < key.length) {
    const tag = key[i++] as number;
    if (tag === T_NULL) parts.push(null);
    else if (tag === T_FALSE) parts.push(false);
    else if (tag === T_TRUE) parts.push(true);
    else if (tag === T_BYTES || tag === T_STRING) {
      const bytes: number[] = [];
      for (;;) {
        if (i >= key.length) throw keyError(`unterminated ${tag === T_STRING ? 'string' : 'bytes'} part at byte ${i}`, tag);
        const c = key[i++] as number;
        if (c !== 0) {
          bytes.push(c);
          continue;
        }
        if (key[i] === 0xff) {
          bytes.push(0);
          i++;
          continue;
        }
        break;
      }
      const b = Uint8Array.from(bytes);
      parts.push(tag === T_STRING ? utf8d.decode(b) : b);
    } else if (tag >= T_INT_ZERO - 7 && tag <= T_INT_ZERO + 7) {
      const n = Math.abs(tag - T_INT_ZERO);
      if (i + n > key.length) throw keyError(`integer part at byte ${i - 1} needs ${n} bytes`, tag);
      const neg = tag < T_INT_ZERO;
      let v = 0;
      for (let j = 0; j < n; j++) v = v * 256 + (neg ? 255 - (key[i + j] as number) : (key[i + j] as number));
      i += n;
      if (v > Number.MAX_SAFE_INTEGER) throw keyError(`integer part at byte ${i - n - 1} is outside ±(2^53 − 1)`, tag);
      parts.push(neg ? -v : v);
    } else {
      throw keyError(`unknown key tag 0x${tag.toString(16)} at byte ${i - 1}`, tag);
    }
  }
  return parts;
}

/** Bytewise comparison: negative, 0 or positive, as memcmp then length. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
