/**
 * The LMDB implementation's byte formats: order-preserving keys and compact records.
 *
 * Keys are big-endian fixed-width integers (w u16, d u8, c/o/i/h u32, ol u8) so bytewise
 * order is key order; the customer-name index key pads C_LAST and C_FIRST with 0x00 to
 * 16 bytes each (names are ASCII without NUL, so padding keeps their order).
 *
 * Records: numeric fields first at fixed offsets (i32, u8, f64 for money and dates: exact
 * integers up to 2^53; NaN encodes a null date), then strings as u16 length + latin1
 * bytes. Fixed offsets let an update patch a copy of the stored record in place.
 *
 * Invariant: a Writer's bytes are valid until its next reset(); lmdb-js copies keys and
 * values inside a transactionSync (write.js writes them at once), so one Writer per use
 * is reused for every call.
 */

export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(bytes = 4096) {
    this.buf = Buffer.alloc(bytes);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  u8(v: number): this {
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  i32(v: number): this {
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
    return this;
  }

  f64(v: number | null): this {
    this.buf.writeDoubleLE(v === null ? NaN : v, this.pos);
    this.pos += 8;
    return this;
  }

  str(s: string): this {
    const n = this.buf.write(s, this.pos + 2, 'latin1');
    this.buf.writeUInt16LE(n, this.pos);
    this.pos += 2 + n;
    return this;
  }

  /** A name padded with 0x00 to `width` bytes (index keys). */
  padded(s: string, width: number): this {
    const n = this.buf.write(s, this.pos, width, 'latin1');
    this.buf.fill(0, this.pos + n, this.pos + width);
    this.pos += width;
    return this;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class Reader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;

  at(buf: Buffer, pos = 0): this {
    this.buf = buf;
    this.pos = pos;
    return this;
  }

  u8(): number {
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  f64n(): number | null {
    const v = this.f64();
    return Number.isNaN(v) ? null : v;
  }

  str(): string {
    const n = this.buf.readUInt16LE(this.pos);
    const s = this.buf.toString('latin1', this.pos + 2, this.pos + 2 + n);
    this.pos += 2 + n;
    return s;
  }

  skipStr(): void {
    this.pos += 2 + this.buf.readUInt16LE(this.pos);
  }
}

/** Width of C_LAST / C_FIRST in the customer-name index key (TPC-C: at most 16 characters). */
export const NAME_KEY_BYTES = 16;
