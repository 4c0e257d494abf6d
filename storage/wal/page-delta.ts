/**
 * Page deltas: the payload of a WAL DELTA record — the runs of bytes in which a page's
 * after-image differs from its before-image. A TPC-B transaction changes ~100 bytes in
 * each of ~4 pages; a delta logs those bytes plus 4 bytes per run instead of 4 KiB per
 * page (storage/wal.ts argues the whole log design).
 *
 * Payload (all integers little-endian), repeated until the payload ends:
 * | OFFSET | SIZE | DESCRIPTION                                                      |
 * |--------|------|------------------------------------------------------------------|
 * | 0      | 2    | run offset in the page, bytes (u16: pages are at most 16384)    |
 * | 2      | 2    | run length n, bytes, 1 <= n and offset + n <= page size          |
 * | 4      | n    | the run's bytes, taken from the after-image                      |
 *
 * Invariants:
 *   1. Runs are non-empty, lie inside the page and are in increasing offset order
 *      without overlap (offset >= previous offset + previous length). checkDelta()
 *      refuses anything else, so a delta that passed its checksum but is malformed
 *      (a bug, or a foreign writer) cannot write outside the page.
 *   2. Applying encodeDelta(before, after) to before yields after on every diffed
 *      byte; bytes outside the diffed range are left as they are.
 *   3. Two runs of the encoder in [from, pageSize) are separated by more than
 *      DELTA_MERGE_GAP_BYTES equal bytes: a smaller gap costs less inside one run than a
 *      new 4-byte run header. (The byte-0 run of from > 0 stands apart.)
 *   4. Nothing here allocates per call (the word views are cached per ArrayBuffer).
 */

/** Bytes of a run header: offset u16 + length u16. */
export const DELTA_RUN_HEADER_BYTES = 4;
/**
 * Equal bytes up to this many between two changes are logged inside one run: merging
 * costs the gap, splitting costs a run header (4 bytes), so 4 is the break-even point.
 */
export const DELTA_MERGE_GAP_BYTES = 4;

// Word views over the backing ArrayBuffers, so equal stretches compare 4 bytes at a
// time. Two slots: before and after images usually live in one or two buffers (the
// simulated machine's RAM, a shadow frame); a third buffer evicts the older slot.
let slot0Buffer: ArrayBufferLike | null = null;
let slot0Words: Int32Array<ArrayBufferLike> = new Int32Array(0);
let slot1Buffer: ArrayBufferLike | null = null;
let slot1Words: Int32Array<ArrayBufferLike> = new Int32Array(0);
let nextSlot = 0;

function wordsOf(bytes: Uint8Array): Int32Array<ArrayBufferLike> {
  const b = bytes.buffer;
  if (b === slot0Buffer) return slot0Words;
  if (b === slot1Buffer) return slot1Words;
  const words = new Int32Array(b, 0, Math.floor(b.byteLength / 4));
  if (nextSlot === 0) {
    slot0Buffer = b;
    slot0Words = words;
  } else {
    slot1Buffer = b;
    slot1Words = words;
  }
  nextSlot ^= 1;
  return words;
}

/**
 * Encode the delta from before[beforeOff, +pageSize) to after[afterOff, +pageSize) into
 * out[outOff...]. The diffed range is [from, pageSize) and, when from > 0, byte 0 too
 * (bytes 1..from-1 are the pager's header: checksum and LSN change on every write and
 * are recomputed on recovery, while byte 0, the page type, belongs to the page's owner).
 * Returns the payload bytes (0: nothing changed), or -1 as soon as the payload would
 * exceed limitBytes (the caller logs a full page image instead). out must have room
 * for limitBytes bytes at outOff.
 */
export function encodeDelta(
  before: Uint8Array, beforeOff: number, after: Uint8Array, afterOff: number, from: number, pageSize: number,
  out: Uint8Array, outOff: number, limitBytes: number,
): number {
  let n = 0;
  if (from > 0 && before[beforeOff] !== after[afterOff]) {
    if (DELTA_RUN_HEADER_BYTES + 1 > limitBytes) return -1;
    out[outOff] = 0;
    out[outOff + 1] = 0;
    out[outOff + 2] = 1;
    out[outOff + 3] = 0;
    out[outOff + 4] = after[afterOff] as number;
    n = DELTA_RUN_HEADER_BYTES + 1;
  }
  return encodeSpan(before, beforeOff, after, afterOff, from, pageSize, out, outOff, n, limitBytes);
}

/**
 * A delta of only the byte ranges [ranges[rOff + 2k], ranges[rOff + 2k + 1]) for k <
 * count — the ranges a writer declared it changed (pager.ts noteWrite), sorted, disjoint
 * and more than DELTA_MERGE_GAP_BYTES apart, so the runs keep invariants 1 and 3. Bytes
 * outside them must be equal in both images (the pager checks that in its checking mode).
 * Returns as encodeDelta.
 */
export function encodeRanges(
  before: Uint8Array, beforeOff: number, after: Uint8Array, afterOff: number, ranges: Int32Array, rOff: number, count: number,
  out: Uint8Array, outOff: number, limitBytes: number,
): number {
  let n = 0;
  for (let k = 0; k < count; k++) {
    n = encodeSpan(before, beforeOff, after, afterOff, ranges[rOff + 2 * k] as number, ranges[rOff + 2 * k + 1] as number,
      out, outOff, n, limitBytes);
    if (n < 0) return -1;
  }
  return n;
}

/** The runs of [from, to) appended at out[outOff + n]; returns the payload bytes so far, or -1 past limitBytes. */
function encodeSpan(
  before: Uint8Array, beforeOff: number, after: Uint8Array, afterOff: number, from: number, to: number,
  out: Uint8Array, outOff: number, n: number, limitBytes: number,
): number {
  const pageSize = to;
  const beforeBase = before.byteOffset + beforeOff;
  const afterBase = after.byteOffset + afterOff;
  // Word compares need both images 4-byte aligned in their buffers (pages in RAM and in
  // shadow frames are); otherwise compare bytes.
  const useWords = ((beforeBase | afterBase) & 3) === 0;
  const wb = useWords ? wordsOf(before) : slot0Words;
  const wa = useWords ? wordsOf(after) : slot0Words;
  let i = from;
  while (i < pageSize) {
    // Skip the equal stretch: bytes up to a word boundary, then words, then bytes.
    if (useWords) {
      while ((i & 3) !== 0 && i < pageSize && before[beforeOff + i] === after[afterOff + i]) i++;
      if ((i & 3) === 0 && i < pageSize) {
        // Small-integer word indexes (>>> 2, one induction variable) keep V8 on its fast path.
        const first = (beforeBase + i) >>> 2;
        const stop = (beforeBase + pageSize) >>> 2;
        const shift = ((afterBase >>> 2) - (beforeBase >>> 2)) | 0;
        let w = first;
        // Four words per step (a measured ~20% on equal stretches), then single words.
        while (w + 4 <= stop) {
          const v = w + shift;
          const diff = ((wb[w] as number) ^ (wa[v] as number)) | ((wb[w + 1] as number) ^ (wa[v + 1] as number)) |
            ((wb[w + 2] as number) ^ (wa[v + 2] as number)) | ((wb[w + 3] as number) ^ (wa[v + 3] as number));
          if (diff !== 0) break;
          w += 4;
        }
        while (w < stop && wb[w] === wa[w + shift]) w++;
        i += (w - first) << 2;
      }
    }
    while (i < pageSize && before[beforeOff + i] === after[afterOff + i]) i++;
    if (i >= pageSize) break;
    // A run: extend while bytes differ or the equal gap is at most DELTA_MERGE_GAP_BYTES.
    const start = i;
    let last = i;
    for (i++; i < pageSize; i++) {
      if (before[beforeOff + i] !== after[afterOff + i]) last = i;
      else if (i - last > DELTA_MERGE_GAP_BYTES) break;
    }
    const len = last - start + 1;
    if (n + DELTA_RUN_HEADER_BYTES + len > limitBytes) return -1;
    let p = outOff + n;
    out[p] = start & 0xff;
    out[p + 1] = start >>> 8;
    out[p + 2] = len & 0xff;
    out[p + 3] = len >>> 8;
    p += DELTA_RUN_HEADER_BYTES;
    const src = afterOff + start;
    for (let k = 0; k < len; k++) out[p + k] = after[src + k] as number;
    n += DELTA_RUN_HEADER_BYTES + len;
  }
  return n;
}

/** Whether payload[off, off + len) is a well-formed delta for pages of pageSize bytes (invariant 1). */
export function checkDelta(payload: Uint8Array, off: number, len: number, pageSize: number): boolean {
  const end = off + len;
  let p = off;
  let prevEnd = 0;
  while (p < end) {
    if (p + DELTA_RUN_HEADER_BYTES > end) return false;
    const at = (payload[p] as number) | ((payload[p + 1] as number) << 8);
    const n = (payload[p + 2] as number) | ((payload[p + 3] as number) << 8);
    p += DELTA_RUN_HEADER_BYTES;
    if (n === 0 || at < prevEnd || at + n > pageSize || p + n > end) return false;
    p += n;
    prevEnd = at + n;
  }
  return true;
}

/**
 * Patch page[pageOff, +pageSize) with the runs of payload[off, off + len). Returns false,
 * leaving the page untouched, if the delta is malformed.
 */
export function applyDelta(payload: Uint8Array, off: number, len: number, page: Uint8Array, pageOff: number, pageSize: number): boolean {
  if (!checkDelta(payload, off, len, pageSize)) return false;
  applyCheckedDelta(payload, off, len, page, pageOff);
  return true;
}

/**
 * applyDelta of a delta that has passed checkDelta already (recovery checks each once as
 * it reads the log: recover.ts R1).
 */
export function applyCheckedDelta(payload: Uint8Array, off: number, len: number, page: Uint8Array, pageOff: number): void {
  const end = off + len;
  let p = off;
  while (p < end) {
    const at = (payload[p] as number) | ((payload[p + 1] as number) << 8);
    const n = (payload[p + 2] as number) | ((payload[p + 3] as number) << 8);
    p += DELTA_RUN_HEADER_BYTES;
    const dst = pageOff + at;
    for (let k = 0; k < n; k++) page[dst + k] = payload[p + k] as number;
    p += n;
  }
}
