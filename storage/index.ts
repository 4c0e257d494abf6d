/**
 * storage: the embeddable engine (issue 5, in progress). What exists: the page-file
 * format (superblock and page headers with CRC32C, validated on read) and the
 * order-preserving tuple encoding of keys. The B+tree, WAL, transactions and catalog
 * come next.
 */

export { crc32c } from './crc32c.js';
export * from './format.js';
export { type KeyPart, KEY_ERROR_CODE, compareBytes, decodeKey, encodeKey } from './tuple.js';
