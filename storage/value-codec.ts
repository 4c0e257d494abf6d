/**
 * The 'msgpack' value encoding (codec.ts): MessagePack through msgpackr, configured so a
 * value comes back as it went in — Date, Uint8Array / Buffer / other typed arrays, Map,
 * Set, NaN, ±Infinity, bigint, undefined properties — where JSON turns a Date into a
 * string, a Uint8Array into {"0":1,…} and NaN into null without a word.
 *
 * Why these msgpackr options:
 * - `useRecords: true` keeps a Map and a plain object apart (with records off, msgpackr
 *   writes both as a MessagePack map and reads both back as one kind);
 * - `maxSharedStructures: 0` writes each record's definition inside the value that uses
 *   it, so every stored value decodes on its own — in another process, after a restart,
 *   in any order — with no structure table to keep beside the data;
 * - `moreTypes: true` keeps Set, Error, RegExp and the typed arrays by their class;
 * - `int64AsType: 'bigint'` reads a 64-bit integer back as the bigint it was written from.
 *
 * What does not round-trip: -0 reads back as 0 (MessagePack writes it as the integer 0);
 * functions, symbols and class instances other than those above are written as plain
 * objects of their own enumerable properties (as structuredClone would refuse or
 * flatten them). A value msgpackr cannot write is REMAPDB_VALUE_TYPE naming the table,
 * and so is undefined as a whole value (store null, or delete the row).
 */

import { createRequire } from 'node:module';
import type { Packr } from 'msgpackr';

import { DB_CODES, dbError } from './errors.js';

/**
 * msgpackr is loaded on the first value packed or unpacked, not with the module: it costs
 * ~25 ms that `import('remapdb')` should not pay (issue 18: the import budget is 60 ms),
 * and a database whose tables all store JSON never needs it. The codec is synchronous,
 * so the load is a synchronous require of msgpackr's CommonJS build.
 */
let PackrClass: typeof Packr | undefined;

/** A new Packr for each direction: msgpackr keeps per-instance state between calls, and options objects are mutated by it. */
function packr(): Packr {
  PackrClass ??= (createRequire(import.meta.url)('msgpackr') as { Packr: typeof Packr }).Packr;
  return new PackrClass({ useRecords: true, maxSharedStructures: 0, moreTypes: true, int64AsType: 'bigint' });
}

let writer: Packr | undefined;
let reader: Packr | undefined;

/** The MessagePack bytes of `value` (a copy the caller may keep). */
export function packValue(table: string, value: unknown): Uint8Array {
  if (value === undefined) {
    throw dbError(DB_CODES.VALUE_TYPE, `table "${table}": undefined is not a value (store null, or delete the row)`, { table });
  }
  try {
    // pack() returns a view of msgpackr's reused buffer, overwritten by the next pack: copy it.
    writer ??= packr();
    const packed = writer.pack(value);
    const out = new Uint8Array(packed.length);
    out.set(packed);
    return out;
  } catch (err) {
    throw dbError(DB_CODES.VALUE_TYPE, `table "${table}" stores MessagePack: the value cannot be encoded: ${(err as Error).message}`,
      { table }, err);
  }
}

/** The value `bytes` hold; throws (a plain Error) if they are not one packValue wrote. */
export function unpackValue(bytes: Uint8Array): unknown {
  reader ??= packr();
  return reader.unpack(bytes);
}
