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
 * | 0x0C       | number < −(2^53 − 1)      | ordered double (below; −Infinity first)                 |
 * | 0x1C       | number > 2^53 − 1         | ordered double (below; +Infinity last)                  |
 * | 0x26/0x27  | false / true              | —                                                       |
 *
 * A number that is not an integer is its floor, written as an integer above, followed
 * by the fraction marker 0x30 and the number itself as an ordered double (its 8 bytes
 * big-endian, the sign bit flipped if positive, every bit inverted if negative — the
 * number, not x − floor(x), which rounds: −1e−20 − (−1) is 1). So an integer keeps
 * exactly the bytes it always had (no file changes, fault-sweep write counts stay), and
 * every number sorts numerically among all others: 1 < 1.25 < 1.5 < 2 and −2 < −1.5 < −1
 * — the floor decides first; with equal floors the integer itself ends there or is
 * followed by the next part's tag (≤ 0x27), both below 0x30; then the ordered doubles.
 * Beyond ±(2^53 − 1) every double is an integer: those and ±Infinity take the 0x0C/0x1C
 * tags (then the ordered double), outside the integer tags on each side. NaN has no place in that order and is
 * REMAPDB_KEY_INVALID; −0 is the key 0, as −0.0 = 0.0 in SQL. Types order as their tags:
 * null < bytes < strings < numbers < booleans. Strings compare by UTF-8 bytes, which is
 * code-point order.
 */

import { DB_CODES, DbError } from './errors.js';
import { allocBytes } from './file/bytes.js';
import { DOUBLE_BYTES, getOrdered, intBytes, numberBytes, putNumber, T_FRACTION, T_INT_ZERO, T_NUM_NEG_HUGE, T_NUM_POS_HUGE } from './tuple-number.js';

export type KeyPart = null | boolean | number | string | Uint8Array;

export const KEY_ERROR_CODE = DB_CODES.KEY_INVALID;

const T_NULL = 0x00;
const T_BYTES = 0x01;
const T_STRING = 0x02;
const T_FALSE = 0x26;
const T_TRUE = 0x27;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

function keyError(message: string, part: unknown): DbError {
  return new DbError(KEY_ERROR_CODE, message, { details: { part: String(part) } });
}

function checkPart(p: unknown, index: number): asserts p is KeyPart {
  if (p === null || typeof p === 'boolean' || typeof p === 'string' || p instanceof Uint8Array) return;
  if (typeof p === 'number') {
    if (Number.isNaN(p)) throw keyError(`key part ${index} is NaN: NaN has no place in key order (allowed: any other number)`, p);
    return;
  }
  throw keyError(`key part ${index} has type ${typeof p}; allowed: null, boolean, number (not NaN), string, Uint8Array`, p);
}

/** Strings up to this long are checked char by char for the ASCII fast paths (longer: the native encoder wins). */
const ASCII_FAST_CHARS = 64;

/** Whether s is short, ASCII and NUL-free: its UTF-8 encoding is its char codes, unescaped. */
function isPlainAscii(s: string): boolean {
  if (s.length > ASCII_FAST_CHARS) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c >= 0x80) return false;
  }
  return true;
}

/** NUL characters in a string: each becomes a 0x00 byte that needs an escape (no other UTF-8 byte is 0). */
function nulCount(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\0'); i >= 0; i = s.indexOf('\0', i + 1)) n++;
  return n;
}

/** Bytes the encoding of `parts` takes (validating each part). */
function encodedLength(parts: readonly KeyPart[]): number {
  let len = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    checkPart(p, i);
    if (p === null || typeof p === 'boolean') len += 1;
    else if (typeof p === 'number') len += numberBytes(p);
    else if (typeof p === 'string') len += 2 + (isPlainAscii(p) ? p.length : Buffer.byteLength(p, 'utf8') + nulCount(p));
    else {
      let zeros = 0;
      for (let j = 0; j < p.length; j++) if (p[j] === 0) zeros++;
      len += 2 + p.length + zeros;
    }
  }
  return len;
}

/** Write bytes[from, to) escaped (0x00 → 0x00 0xFF) at out[o]; returns the new position. */
function putEscaped(out: Uint8Array, o: number, b: Uint8Array, from: number, to: number): number {
  for (let j = from; j < to; j++) {
    const c = b[j] as number;
    out[o++] = c;
    if (c === 0) out[o++] = 0xff;
  }
  return o;
}

/** Encode a composite key. Allocation: the result only (no per-part temporaries). */
export function encodeKey(parts: readonly KeyPart[]): Uint8Array {
  const out = allocBytes(encodedLength(parts));
  let o = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as KeyPart;
    if (p === null) out[o++] = T_NULL;
    else if (p === false) out[o++] = T_FALSE;
    else if (p === true) out[o++] = T_TRUE;
    else if (typeof p === 'number') o = putNumber(out, o, p);
    else if (typeof p === 'string' && isPlainAscii(p)) {
      // Short ASCII without NUL (most strings): one byte per char, no encoder call.
      out[o++] = T_STRING;
      for (let j = 0; j < p.length; j++) out[o++] = p.charCodeAt(j);
      out[o++] = 0x00;
    } else if (typeof p === 'string') {
      out[o++] = T_STRING;
      const at = o;
      const { written } = utf8.encodeInto(p, out.subarray(at));
      o += written;
      // Rare: NULs inside the string. Re-lay the written bytes with escapes, back to front.
      const zeros = nulCount(p);
      if (zeros > 0) {
        let r = o - 1;
        let w = o - 1 + zeros;
        while (r >= at) {
          const c = out[r--] as number;
          if (c === 0) out[w--] = 0xff;
          out[w--] = c;
        }
        o += zeros;
      }
      out[o++] = 0x00;
    } else {
      out[o++] = T_BYTES;
      o = putEscaped(out, o, p, 0, p.length);
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
    parts.push(readPart(key, i));
    i = readEnd;
  }
  return parts;
}

/** Where the part readPart last read ends (module scratch: no tuple per part). */
let readEnd = 0;

/** The part that starts at key[i]; sets readEnd past it. Throws REMAPDB_KEY_INVALID on malformed bytes. */
function readPart(key: Uint8Array, i: number): KeyPart {
  const tag = key[i++] as number;
  if (tag === T_NULL || tag === T_FALSE || tag === T_TRUE) {
    readEnd = i;
    return tag === T_NULL ? null : tag === T_TRUE;
  }
  if (tag === T_BYTES || tag === T_STRING) {
    // Fast path: a part without escaped zeros is one contiguous run up to its 0x00
    // terminator — decode it in place (a values' 84-byte filler string was 8 % of a
    // TPC-B transaction when it went byte by byte through an array).
    let end = i;
    let high = 0;
    for (let c = key[end]; end < key.length && c !== 0; c = key[++end]) high |= c as number;
    if (end < key.length && key[end + 1] !== 0xff) {
      readEnd = end + 1;
      return tag === T_BYTES ? key.slice(i, end) : (high & 0x80) === 0 ? asciiString(key, i, end) : utf8d.decode(key.subarray(i, end));
    }
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
    readEnd = i;
    const b = Uint8Array.from(bytes);
    return tag === T_STRING ? utf8d.decode(b) : b;
  }
  if (tag >= T_INT_ZERO - 7 && tag <= T_INT_ZERO + 7) {
    const n = Math.abs(tag - T_INT_ZERO);
    if (i + n > key.length) throw keyError(`integer part at byte ${i - 1} needs ${n} bytes`, tag);
    const neg = tag < T_INT_ZERO;
    let v = 0;
    for (let j = 0; j < n; j++) v = v * 256 + (neg ? 255 - (key[i + j] as number) : (key[i + j] as number));
    if (v > Number.MAX_SAFE_INTEGER) throw keyError(`integer part at byte ${i - 1} is outside ±(2^53 − 1)`, tag);
    const int = neg ? -v : v;
    i += n;
    if (key[i] !== T_FRACTION) {
      readEnd = i;
      return int;
    }
    if (i + 1 + DOUBLE_BYTES > key.length) throw keyError(`number part at byte ${i} needs ${DOUBLE_BYTES} fraction bytes`, tag);
    readEnd = i + 1 + DOUBLE_BYTES;
    return getOrdered(key, i + 1);
  }
  if (tag === T_NUM_NEG_HUGE || tag === T_NUM_POS_HUGE) {
    if (i + DOUBLE_BYTES > key.length) throw keyError(`number part at byte ${i - 1} needs ${DOUBLE_BYTES} bytes`, tag);
    readEnd = i + DOUBLE_BYTES;
    return getOrdered(key, i);
  }
  throw keyError(`unknown key tag 0x${tag.toString(16)} at byte ${i - 1}`, tag);
}

/**
 * Parts `positions` of the encoded tuple (a position past its end gives null), decoded
 * — the others are skipped, not decoded (a column read that needs 1 of 17 parts).
 */
export function decodeParts(tuple: Uint8Array, positions: readonly number[]): KeyPart[] {
  const out: KeyPart[] = new Array<KeyPart>(positions.length).fill(null);
  let need = -1;
  for (const p of positions) if (p > need) need = p;
  let at = 0;
  for (let k = 0; k <= need && at < tuple.length; k++) {
    let wanted = false;
    for (let j = 0; j < positions.length; j++) {
      if (positions[j] === k) {
        out[j] = readPart(tuple, at);
        wanted = true;
      }
    }
    at = wanted ? readEnd : partEnd(tuple, at);
  }
  return out;
}

/**
 * The encoded tuple with parts `positions` replaced by `values` (encoded as encodeKey
 * does; positions past the end extend the tuple with nulls) — the other parts' bytes are
 * copied, not decoded and re-encoded.
 */
export function spliceParts(tuple: Uint8Array, positions: readonly number[], values: readonly KeyPart[]): Uint8Array {
  if (positions.length !== values.length || positions.length > PROJECT_MAX_POSITION + 1) {
    throw new RangeError(`spliceParts: ${positions.length} positions and ${values.length} values (equal, at most ${PROJECT_MAX_POSITION + 1})`);
  }
  for (const k of positions) {
    if (!(Number.isInteger(k) && k >= 0 && k <= PROJECT_MAX_POSITION)) throw new RangeError(`spliceParts: position ${k} is not in 0..${PROJECT_MAX_POSITION}`);
  }
  const fresh = encodeKey(values);
  // Part boundaries of the stored tuple and of the fresh values, one walk each.
  const starts = spliceStarts;
  const count = partStarts(tuple, starts, PROJECT_MAX_POSITION + 1);
  if ((starts[count] as number) < tuple.length) throw new RangeError(`spliceParts: tuples of more than ${PROJECT_MAX_POSITION + 1} parts`);
  const fstarts = projStarts;
  partStarts(fresh, fstarts, values.length);
  // Which value replaces position k (the last one named wins), -1: kept.
  const by = spliceBy;
  let parts = count;
  for (let j = 0; j < positions.length; j++) {
    const k = positions[j] as number;
    by[k] = j;
    if (k + 1 > parts) parts = k + 1;
  }
  let len = 0;
  for (let k = 0; k < parts; k++) {
    const j = by[k] as number;
    len += j >= 0 ? (fstarts[j + 1] as number) - (fstarts[j] as number) : k < count ? (starts[k + 1] as number) - (starts[k] as number) : 1;
  }
  const out = allocBytes(len);
  let o = 0;
  for (let k = 0; k < parts; k++) {
    const j = by[k] as number;
    if (j >= 0) {
      const a = fstarts[j] as number;
      const b = fstarts[j + 1] as number;
      out.set(fresh.subarray(a, b), o);
      o += b - a;
      by[k] = -1;
    } else if (k < count) {
      const a = starts[k] as number;
      const b = starts[k + 1] as number;
      out.set(tuple.subarray(a, b), o);
      o += b - a;
    } else {
      out[o++] = T_NULL;
    }
  }
  return out;
}

/**
 * The byte offset just past the part that starts at `at` in a valid encoding (bytes and
 * strings: past the terminator, skipping escaped zeros; integers: past their n bytes).
 * Lets callers take parts as byte ranges without decoding them.
 */
export function partEnd(key: Uint8Array, at: number): number {
  const tag = key[at] as number;
  let i = at + 1;
  if (tag === T_BYTES || tag === T_STRING) {
    for (;;) {
      while (i < key.length && key[i] !== 0) i++;
      if (i >= key.length) throw keyError(`unterminated ${tag === T_STRING ? 'string' : 'bytes'} part at byte ${at}`, tag);
      if (key[i + 1] === 0xff) {
        i += 2;
        continue;
      }
      return i + 1;
    }
  }
  if (tag >= T_INT_ZERO - 7 && tag <= T_INT_ZERO + 7) {
    i += Math.abs(tag - T_INT_ZERO);
    if (key[i] === T_FRACTION) i += 1 + DOUBLE_BYTES;
  } else if (tag === T_NUM_NEG_HUGE || tag === T_NUM_POS_HUGE) i += DOUBLE_BYTES;
  else if (tag !== T_NULL && tag !== T_FALSE && tag !== T_TRUE) throw keyError(`unknown key tag 0x${tag.toString(16)} at byte ${at}`, tag);
  if (i > key.length) throw keyError(`number part at byte ${at} needs ${i - at - 1} bytes`, tag);
  return i;
}

/**
 * The smallest byte string above every key whose leading parts are exactly the parts
 * encoded in `prefix` (null: none) — a bound's end for byteBounds. Bytewise that is
 * prefixEnd, except after an integer part: 1 is a byte prefix of 1.5 (its floor, then
 * the fraction marker), so the keys that start with the part 1 end just below the marker.
 */
export function keyPrefixEnd(prefix: Uint8Array): Uint8Array | null {
  let last = -1;
  for (let i = 0; i < prefix.length; i = partEnd(prefix, i)) last = i;
  const tag = prefix[last];
  if (tag !== undefined && tag >= T_INT_ZERO - 7 && tag <= T_INT_ZERO + 7 && partEnd(prefix, last) === last + 1 + Math.abs(tag - T_INT_ZERO)) {
    const out = allocBytes(prefix.length + 1);
    out.set(prefix, 0);
    out[prefix.length] = T_FRACTION;
    return out;
  }
  let n = prefix.length;
  while (n > 0 && prefix[n - 1] === 0xff) n--;
  if (n === 0) return null;
  const out = prefix.slice(0, n);
  out[n - 1] = (out[n - 1] as number) + 1;
  return out;
}

/** Whether one of the first `n` parts of an encoded key is null (SQL's NULL rule for unique indexes). */
export function hasNullPart(key: Uint8Array, n: number): boolean {
  let i = 0;
  for (let k = 0; k < n && i < key.length; k++) {
    if (key[i] === T_NULL) return true;
    i = partEnd(key, i);
  }
  return false;
}

/** The byte offset after the first `n` parts (key.length if it has fewer). */
export function skipParts(key: Uint8Array, n: number): number {
  let i = 0;
  for (let k = 0; k < n && i < key.length; k++) i = partEnd(key, i);
  return i;
}

/**
 * The encoding of the tuple made of parts `positions` of the encoded tuple `tuple` (a
 * missing or non-integer position gives null), followed by `suffix` — as
 * encodeKey(positions.map(p => decodeKey(tuple)[p] ?? null)) + suffix, without decoding.
 */
export function projectParts(tuple: Uint8Array, positions: readonly (string | number)[], suffix: Uint8Array | null): Uint8Array {
  const starts = projStarts;
  let need = -1;
  for (const p of positions) if (typeof p === 'number' && p > need) need = p;
  if (need > PROJECT_MAX_POSITION) throw new RangeError(`projectParts: position ${need} is beyond ${PROJECT_MAX_POSITION}`);
  const count = partStarts(tuple, starts, need + 1);
  let len = suffix === null ? 0 : suffix.length;
  for (const p of positions) {
    len += typeof p === 'number' && Number.isInteger(p) && p >= 0 && p < count ? (starts[p + 1] as number) - (starts[p] as number) : 1;
  }
  const out = allocBytes(len);
  let o = 0;
  for (const p of positions) {
    if (typeof p === 'number' && Number.isInteger(p) && p >= 0 && p < count) {
      const s = starts[p] as number;
      const e = starts[p + 1] as number;
      out.set(tuple.subarray(s, e), o);
      o += e - s;
    } else {
      out[o++] = T_NULL;
    }
  }
  if (suffix !== null) out.set(suffix, o);
  return out;
}

/**
 * Where each of the first `max` parts of `tuple` starts (starts[0..count)) and where the
 * last of them ends (starts[count]); returns count. `starts` has room for max + 1.
 */
function partStarts(tuple: Uint8Array, starts: Int32Array, max: number): number {
  let count = 0;
  let at = 0;
  while (at < tuple.length && count < max) {
    starts[count++] = at;
    at = partEnd(tuple, at);
  }
  starts[count] = at;
  return count;
}

/** Part start offsets for projectParts: positions up to PROJECT_MAX_POSITION. */
export const PROJECT_MAX_POSITION = 255;
const projStarts = new Int32Array(PROJECT_MAX_POSITION + 2);
/** spliceParts' scratch: the stored tuple's part starts, and the value replacing each position (-1: none; left all -1). */
const spliceStarts = new Int32Array(PROJECT_MAX_POSITION + 2);
const spliceBy = new Int16Array(PROJECT_MAX_POSITION + 1).fill(-1);

/** A Buffer over the last ArrayBuffer an ASCII string was decoded from (latin1 = ASCII there). */
let asciiBuffer: ArrayBufferLike | null = null;
let asciiView: Buffer = Buffer.alloc(0);

/**
 * ASCII bytes key[from, to) as a string: a few chars by String.fromCharCode, longer runs by
 * Buffer's latin1 decoder over a cached view (~130 ns for any length up to a page, where
 * char-by-char concatenation cost ~8 ns a char and TextDecoder ~220 ns; scratch-measured).
 */
function asciiString(key: Uint8Array, from: number, to: number): string {
  if (to - from <= 12) {
    let s = '';
    for (let j = from; j < to; j++) s += String.fromCharCode(key[j] as number);
    return s;
  }
  if (key.buffer !== asciiBuffer) {
    asciiBuffer = key.buffer;
    asciiView = Buffer.from(key.buffer);
  }
  return asciiView.toString('latin1', key.byteOffset + from, key.byteOffset + to);
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
