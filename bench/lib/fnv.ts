/**
 * YCSB's Utils.fnvhash64: FNV-1a over the 8 little-endian bytes of v (xor, then
 * × 0x100000001b3 mod 2^64), then Java's Math.abs of the signed long (Long.MIN_VALUE maps
 * to 0). fnvhash64 is the BigInt reference; the hot paths (key choice, key names) use the
 * BigInt-free versions over two 32-bit halves, which the tests check against it.
 */

const FNV_OFFSET_64 = 0xcbf29ce484222325n;
const FNV_PRIME_64 = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;

/** YCSB's Utils.fnvhash64: FNV-1a (xor, then multiply) over the 8 little-endian bytes of v, as a non-negative Java long. */
export function fnvhash64(v: number): bigint {
  let val = BigInt(v);
  let h = FNV_OFFSET_64;
  for (let i = 0; i < 8; i++) {
    h ^= val & 0xffn;
    val >>= 8n;
    h = (h * FNV_PRIME_64) & MASK_64;
  }
  const signed = BigInt.asIntN(64, h);
  // Java's Math.abs(Long.MIN_VALUE) stays negative (and YCSB's index with it); map it to 0.
  return signed < 0n ? (signed === -(1n << 63n) ? 0n : -signed) : signed;
}

/** The halves of the last fnv64 (module scratch: nothing allocated per call). */
let outHi = 0;
let outLo = 0;

/** fnv64(v) into outHi/outLo. v: a non-negative safe integer. */
function fnv64Halves(v: number): void {
  let lo = v >>> 0;
  let hi = Math.floor(v / 4294967296) >>> 0;
  let hLo = 0x84222325;
  let hHi = 0xcbf29ce4;
  for (let i = 0; i < 8; i++) {
    const octet = lo & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) >>> 0;
    hi >>>= 8;
    hLo = (hLo ^ octet) >>> 0;
    // × 0x100000001b3 = × 0x1b3 + × 2^40 (2^40 shifts the low half's byte 0..2 into the high half).
    const p = hLo * 0x1b3;
    const carry = Math.floor(p / 4294967296);
    hHi = (Math.imul(hHi, 0x1b3) + carry + (hLo << 8)) >>> 0;
    hLo = p >>> 0;
  }
  if (hHi >= 0x80000000) {
    hLo = (~hLo + 1) >>> 0;
    hHi = (~hHi + (hLo === 0 ? 1 : 0)) >>> 0;
    if (hHi >= 0x80000000) hHi = hLo = 0;
  }
  outHi = hHi;
  outLo = hLo;
}

/** fnv64(v) mod n, exact while n² < 2^53. */
export function fnv64Mod(v: number, n: number): number {
  fnv64Halves(v);
  return ((outHi % n) * (4294967296 % n) + outLo) % n;
}

/** The decimal string of fnv64(v) (16-bit limbs divided by 10^4: every step stays below 2^30). */
export function fnv64Decimal(v: number): string {
  fnv64Halves(v);
  let l3 = outHi >>> 16;
  let l2 = outHi & 0xffff;
  let l1 = outLo >>> 16;
  let l0 = outLo & 0xffff;
  let s = '';
  for (;;) {
    let r = l3 % 10000;
    l3 = Math.floor(l3 / 10000);
    let c = r * 65536 + l2;
    l2 = Math.floor(c / 10000);
    r = c % 10000;
    c = r * 65536 + l1;
    l1 = Math.floor(c / 10000);
    r = c % 10000;
    c = r * 65536 + l0;
    l0 = Math.floor(c / 10000);
    r = c % 10000;
    if ((l3 | l2 | l1 | l0) === 0) return String(r) + s;
    s = String(r).padStart(4, '0') + s;
  }
}

