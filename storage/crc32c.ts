/**
 * CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78) — the checksum of
 * iSCSI, ext4 metadata, LevelDB/RocksDB blocks and the page and WAL checksums here.
 * Table-driven slicing-by-4 over a Uint8Array range; allocation-free. Node 20 has no
 * built-in CRC32C (zlib's crc32 is the other polynomial and arrives in Node 22).
 */

const POLY = 0x82f63b78;

const T = new Uint32Array(4 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[i] = c >>> 0;
}
for (let i = 0; i < 256; i++) {
  for (let s = 1; s < 4; s++) {
    const prev = T[(s - 1) * 256 + i] as number;
    T[s * 256 + i] = ((prev >>> 8) ^ (T[prev & 0xff] as number)) >>> 0;
  }
}

/** CRC32C of bytes[start, end), continuing from `crc` (0 to start). */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = ~crc >>> 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    c = ((T[768 + (c & 0xff)] as number) ^ (T[512 + ((c >>> 8) & 0xff)] as number) ^
      (T[256 + ((c >>> 16) & 0xff)] as number) ^ (T[c >>> 24] as number)) >>> 0;
  }
  for (; i < end; i++) c = ((T[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8)) >>> 0;
  return ~c >>> 0;
}
