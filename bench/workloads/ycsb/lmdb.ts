/**
 * YcsbAccess over LMDB (lmdb-js): a named database usertable, keys the key string's
 * ASCII bytes (bytewise order), values the fields concatenated (fieldCount ×
 * fieldLength bytes); writes in env.transactionSync (then the store's LmdbFlusher,
 * bench/lib/peers.ts), reads with getBinary outside.
 *
 * An update reads the record, changes one field and writes it back, as YCSB's LMDB
 * binding does. Keys go through one scratch Buffer per key length (keys are "user" +
 * up to 19 digits), so building one allocates nothing.
 */

import type { Database, RootDatabase } from 'lmdb';

import type { LmdbFlusher } from '../../lib/peers.js';
import { type ScanVisitor, USERTABLE, type YcsbAccess } from './access.js';
import type { RecordData } from './values.js';

const NO_OVERWRITE = { noOverwrite: true };

export class LmdbYcsb implements YcsbAccess {
  readonly #env: RootDatabase<Buffer, Buffer>;
  readonly #flusher: LmdbFlusher;
  readonly #db: Database<Buffer, Buffer>;
  readonly #fieldLength: number;
  readonly #rec: Buffer;
  readonly #keyBufs: Buffer[] = [];

  constructor(env: RootDatabase<Buffer, Buffer>, flusher: LmdbFlusher, fieldCount: number, fieldLength: number) {
    this.#env = env;
    this.#flusher = flusher;
    this.#db = env.openDB<Buffer, Buffer>({ name: USERTABLE, encoding: 'binary', keyEncoding: 'binary' });
    this.#fieldLength = fieldLength;
    this.#rec = Buffer.alloc(fieldCount * fieldLength);
  }

  #key(key: string): Buffer {
    let b = this.#keyBufs[key.length];
    if (b === undefined) {
      b = Buffer.alloc(key.length);
      this.#keyBufs[key.length] = b;
    }
    b.write(key, 0, 'latin1');
    return b;
  }

  createSchema(): void {}

  transaction(body: () => void): () => void {
    const env = this.#env;
    const flusher = this.#flusher;
    return () => {
      env.transactionSync(body);
      flusher.committed();
    };
  }

  insert(key: string, record: Uint8Array): void {
    const wrote = this.#db.putSync(this.#key(key), record as Buffer, NO_OVERWRITE) as unknown as boolean;
    if (!wrote) throw new Error(`ycsb: insert of existing key ${key}`);
  }

  read(key: string): RecordData | undefined {
    return this.#db.getBinary(this.#key(key));
  }

  updateField(key: string, field: number, value: Uint8Array): void {
    const k = this.#key(key);
    const old = this.#db.getBinaryFast(k);
    if (old === undefined) throw new Error(`ycsb: update of missing key ${key}`);
    const rec = this.#rec;
    // getBinaryFast's buffer is lmdb-js's shared read buffer with `length` overridden; copy by typed-array set.
    rec.set(old.subarray(0, rec.length));
    rec.set(value, field * this.#fieldLength);
    this.#db.putSync(k, rec);
  }

  scan(startKey: string, count: number, visit: ScanVisitor): number {
    let n = 0;
    for (const { key, value } of this.#db.getRange({ start: this.#key(startKey), limit: count })) {
      visit(key.toString('latin1'), value);
      n++;
    }
    return n;
  }

  rowCount(): number {
    return this.#db.getCount();
  }

  scanAll(visit: ScanVisitor): number {
    let n = 0;
    for (const { key, value } of this.#db.getRange({})) {
      visit(key.toString('latin1'), value);
      n++;
    }
    return n;
  }
}
