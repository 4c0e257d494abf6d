/**
 * Small byte arrays, fast. On Node 20 `new Uint8Array(n)` of a few hundred bytes costs
 * ~800 ns (each gets its own ArrayBuffer through the array-buffer allocator, zero-filled),
 * which made one value copy cost more than a whole B+tree descent (measured in bench
 * storage lookups, 2026-11-26). Node's Buffer pools small allocations in 8 KiB slabs for
 * this reason; allocBytes does the same but returns plain Uint8Arrays (whose slice()
 * copies, unlike Buffer's). A returned array keeps its 64 KiB slab alive while it lives.
 */

const SLAB_BYTES = 64 * 1024;
const MAX_POOLED = 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A new Uint8Array of n bytes (contents unspecified: the caller fills every byte). */
export function allocBytes(n: number): Uint8Array {
  if (n > MAX_POOLED) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab, used, n);
  used = (used + n + 7) & ~7;
  return out;
}

/** A copy of src[from, to) in a new array. */
export function copyBytes(src: Uint8Array, from: number, to: number): Uint8Array {
  const out = allocBytes(to - from);
  out.set(src.subarray(from, to));
  return out;
}
