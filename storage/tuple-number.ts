/**
 * Numbers in the tuple encoding (tuple.ts has the table): integers as they always were,
 * a fraction as its floor + the marker T_FRACTION + the number as an ordered double,
 * numbers beyond ±(2^53 − 1) and ±Infinity as T_NUM_NEG_HUGE / T_NUM_POS_HUGE + the
 * ordered double. Split from tuple.ts to keep each file to one concept.
 */

export const T_INT_ZERO = 0x14;
export const T_NUM_NEG_HUGE = 0x0C;
export const T_NUM_POS_HUGE = 0x1C;
/** Follows a number's floor when it has a fraction; above every tag that may follow a part. */
export const T_FRACTION = 0x30;
export const DOUBLE_BYTES = 8;

/** Bytes of |v| as a big-endian integer (0 for 0). */
export function intBytes(abs: number): number {
  let n = 0;
  for (let v = abs; v >= 1; v = Math.floor(v / 256)) n++;
  return n;
}

const doubleScratch = new DataView(new ArrayBuffer(DOUBLE_BYTES));

/** Write v as an ordered double at out[o]: 8 bytes big-endian, sign bit flipped if positive, all bits inverted if negative. */
function putOrdered(out: Uint8Array, o: number, v: number): void {
  doubleScratch.setFloat64(0, v);
  const negative = v < 0;
  for (let j = 0; j < DOUBLE_BYTES; j++) {
    const b = doubleScratch.getUint8(j);
    out[o + j] = negative ? 255 - b : j === 0 ? b ^ 0x80 : b;
  }
}

/** The number putOrdered wrote at key[i]. */
export function getOrdered(key: Uint8Array, i: number): number {
  const negative = ((key[i] as number) & 0x80) === 0;
  for (let j = 0; j < DOUBLE_BYTES; j++) {
    const b = key[i + j] as number;
    doubleScratch.setUint8(j, negative ? 255 - b : j === 0 ? b ^ 0x80 : b);
  }
  return doubleScratch.getFloat64(0);
}

/** Bytes a number part takes (tag included). */
export function numberBytes(p: number): number {
  if (Number.isSafeInteger(p)) return 1 + intBytes(Math.abs(p));
  if (!(Math.abs(p) <= Number.MAX_SAFE_INTEGER)) return 1 + DOUBLE_BYTES;
  return 1 + intBytes(Math.abs(Math.floor(p))) + 1 + DOUBLE_BYTES;
}

/** Write the safe integer v (tag and bytes) at out[o]; returns the new position. */
function putInt(out: Uint8Array, o: number, v: number): number {
  const abs = Math.abs(v);
  const n = intBytes(abs);
  out[o++] = v >= 0 ? T_INT_ZERO + n : T_INT_ZERO - n;
  // Negative: the one's complement of |v| in n bytes, byte by byte (exact past 2^53).
  let rest = abs;
  for (let j = n - 1; j >= 0; j--) {
    const byte = rest % 256;
    out[o + j] = v >= 0 ? byte : 255 - byte;
    rest = Math.floor(rest / 256);
  }
  return o + n;
}

/** Write any number but NaN at out[o] (the table in the header); returns the new position. */
export function putNumber(out: Uint8Array, o: number, p: number): number {
  if (Number.isSafeInteger(p)) return putInt(out, o, p === 0 ? 0 : p);
  if (!(Math.abs(p) <= Number.MAX_SAFE_INTEGER)) {
    out[o++] = p > 0 ? T_NUM_POS_HUGE : T_NUM_NEG_HUGE;
    putOrdered(out, o, p);
    return o + DOUBLE_BYTES;
  }
  o = putInt(out, o, Math.floor(p));
  out[o++] = T_FRACTION;
  putOrdered(out, o, p);
  return o + DOUBLE_BYTES;
}
