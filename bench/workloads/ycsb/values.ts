/**
 * YCSB's deterministic field values (CoreWorkload.buildDeterministicValue, used with
 * dataintegrity=true):
 *   sb = key + ":" + fieldkey;  while (sb.length() < size) { sb.append(':'); sb.append(sb.toString().hashCode()); }
 *   sb.setLength(size)
 * with fieldkey = "field" + i and Java's String.hashCode (h = 31·h + c over UTF-16 code
 * units, int32). hashCode is a left fold, so the running hash is extended per appended
 * character instead of rehashing the whole string: O(size) per field, and the digits
 * are written straight into bytes (keys are ASCII, so one byte per char).
 *
 * Invariants:
 *  1. value(key, field) depends on nothing else: loads, updates and inserts write it, so
 *     every stored field stays verifiable after any number of updates.
 *  2. A record is fieldCount values of fieldLength bytes, field i at i × fieldLength.
 */

import type { YcsbParams } from './params.js';

const COLON = 58;
/** ":field" (the field number follows). */
const FIELD_INFIX = [58, 102, 105, 101, 108, 100];

/** A stored record as an engine returns it: remapdb and LMDB the concatenated bytes, SQLite one string per field. */
export type RecordData = Uint8Array | readonly unknown[];

export class ValueBuilder {
  readonly fieldCount: number;
  readonly fieldLength: number;
  /** Scratch: the value being built (room for one more ":" + int32 past fieldLength or the prefix). */
  #buf: Uint8Array;

  constructor(p: Pick<YcsbParams, 'fieldCount' | 'fieldLength'>) {
    this.fieldCount = p.fieldCount;
    this.fieldLength = p.fieldLength;
    this.#buf = new Uint8Array(p.fieldLength + 64);
  }

  /**
   * Build field `field`'s value of `key` in the scratch; returns the scratch (its first
   * fieldLength bytes). One function with locals: a version with a method per char and
   * `%` on doubles took 21 µs per 10-field record (scratch/vb.ts).
   */
  #build(key: string, field: number): Uint8Array {
    const size = this.fieldLength;
    if (this.#buf.length < key.length + 6 + 11 + 12) this.#buf = new Uint8Array(key.length + 6 + 11 + 12 + size);
    const b = this.#buf;
    let n = 0;
    let h = 0;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      b[n++] = c;
      h = (Math.imul(h, 31) + c) | 0;
    }
    for (let i = 0; i < FIELD_INFIX.length; i++) {
      const c = FIELD_INFIX[i] as number;
      b[n++] = c;
      h = (Math.imul(h, 31) + c) | 0;
    }
    // Then the field number, then ":" + hashCode until the value is long enough.
    let v = field;
    for (let first = true; first || n < size; first = false) {
      if (!first) {
        b[n++] = COLON;
        h = (Math.imul(h, 31) + COLON) | 0;
        v = h;
      }
      // Java Integer.toString(v) writes what V8's does for an int32 (its fast path; a digit
      // loop with float division cost 3× more).
      const digits = '' + v;
      for (let i = 0; i < digits.length; i++) {
        const c = digits.charCodeAt(i);
        b[n++] = c;
        h = (Math.imul(h, 31) + c) | 0;
      }
    }
    return b;
  }

  /** Field `field`'s value of `key` written at out[off, off + fieldLength). */
  writeField(key: string, field: number, out: Uint8Array, off: number): void {
    out.set(this.#build(key, field).subarray(0, this.fieldLength), off);
  }

  /** Field `field`'s value as a string (SQLite's TEXT columns). */
  fieldString(key: string, field: number): string {
    const b = this.#build(key, field);
    return Buffer.from(b.buffer, b.byteOffset, this.fieldLength).toString('latin1');
  }

  /** The whole record of `key` in `out` (fieldCount × fieldLength bytes). */
  writeRecord(key: string, out: Uint8Array): Uint8Array {
    for (let f = 0; f < this.fieldCount; f++) this.writeField(key, f, out, f * this.fieldLength);
    return out;
  }

  /** Whether field `field` of a stored record holds its value. */
  fieldMatches(key: string, field: number, rec: RecordData): boolean {
    const want = this.#build(key, field);
    const len = this.fieldLength;
    if (rec instanceof Uint8Array) {
      if (rec.length !== this.fieldCount * len) return false;
      const off = field * len;
      for (let i = 0; i < len; i++) if (rec[off + i] !== want[i]) return false;
      return true;
    }
    const s = rec[field];
    if (typeof s !== 'string' || s.length !== len) return false;
    for (let i = 0; i < len; i++) if (s.charCodeAt(i) !== want[i]) return false;
    return true;
  }

  /** The first field of the record that does not hold its value, or −1. */
  firstBadField(key: string, rec: RecordData): number {
    for (let f = 0; f < this.fieldCount; f++) if (!this.fieldMatches(key, f, rec)) return f;
    return -1;
  }
}

/** A read's integrity failure: names the key and the field. */
export class IntegrityError extends Error {
  readonly code = 'YCSB_DATA_INTEGRITY';
  constructor(readonly key: string, readonly field: number, what: string) {
    super(`ycsb: ${what}: key ${key} field${field} does not hold its deterministic value`);
  }
}
