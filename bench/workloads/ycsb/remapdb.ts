/**
 * YcsbAccess over remapdb's public API: usertable with key ['string'] and value 'bytes'
 * (the fields concatenated, fieldCount × fieldLength bytes; 'tuple' would decode every
 * field byte by byte through storage/tuple.ts on each read, as TPC-B measured).
 *
 * An update reads the record, changes one field and writes it back — what YCSB's
 * key-value bindings (RocksDB, LMDB) do for a one-field update.
 */

import type { Database, Table } from '../../../storage/index.js';
import { type ScanVisitor, USERTABLE, type YcsbAccess } from './access.js';
import type { RecordData } from './values.js';

export class RemapdbYcsb implements YcsbAccess {
  readonly #db: Database;
  readonly #fieldLength: number;
  #t: Table<Uint8Array> | null = null;

  constructor(db: Database, fieldLength: number) {
    this.#db = db;
    this.#fieldLength = fieldLength;
  }

  get #table(): Table<Uint8Array> {
    if (this.#t === null) this.#t = this.#db.table<Uint8Array>(USERTABLE);
    return this.#t;
  }

  createSchema(): void {
    this.#t = this.#db.createTable<Uint8Array>(USERTABLE, { key: ['string'], value: 'bytes' });
  }

  transaction(body: () => void): () => void {
    return this.#db.transaction(body);
  }

  insert(key: string, record: Uint8Array): void {
    this.#table.insert(key, record);
  }

  read(key: string): RecordData | undefined {
    return this.#table.get(key);
  }

  updateField(key: string, field: number, value: Uint8Array): void {
    const t = this.#table;
    const rec = t.get(key);
    if (rec === undefined) throw new Error(`ycsb: update of missing key ${key}`);
    rec.set(value, field * this.#fieldLength);
    t.update(key, rec);
  }

  scan(startKey: string, count: number, visit: ScanVisitor): number {
    let n = 0;
    for (const row of this.#table.range({ gte: startKey, limit: count })) {
      visit(row.key as string, row.value);
      n++;
    }
    return n;
  }

  rowCount(): number {
    return this.#table.count;
  }

  scanAll(visit: ScanVisitor): number {
    let n = 0;
    for (const row of this.#table.range()) {
      visit(row.key as string, row.value);
      n++;
    }
    return n;
  }
}
