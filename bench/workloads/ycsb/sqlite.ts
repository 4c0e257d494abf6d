/**
 * YcsbAccess over SQLite (better-sqlite3) with YCSB's JDBC binding schema and
 * statements (JdbcDBClient / JdbcDBCreateTable):
 *   CREATE TABLE usertable (YCSB_KEY VARCHAR(255) PRIMARY KEY, FIELD0 TEXT, …, FIELD9 TEXT)
 *   read:   SELECT FIELD0, …, FIELDn FROM usertable WHERE YCSB_KEY = ?     (YCSB: SELECT *)
 *   update: UPDATE usertable SET FIELDi = ? WHERE YCSB_KEY = ?               (one statement per field)
 *   insert: INSERT INTO usertable (YCSB_KEY, FIELD0, …) VALUES (?, ?, …)
 *   scan:   SELECT … FROM usertable WHERE YCSB_KEY >= ? ORDER BY YCSB_KEY LIMIT ?
 * A VARCHAR primary key is SQLite's rowid table plus an automatic index on YCSB_KEY, as
 * the binding's schema gives any SQL engine. Text compares with the BINARY collation,
 * bytewise, as remapdb and LMDB order keys. Statements prepared once, .raw() rows.
 */

import type BetterSqlite3 from 'better-sqlite3';

import { type ScanVisitor, USERTABLE, type YcsbAccess } from './access.js';
import type { RecordData } from './values.js';

type Stmt = BetterSqlite3.Statement;

interface Statements {
  insert: Stmt;
  read: Stmt;
  update: Stmt[];
  scan: Stmt;
  scanAll: Stmt;
}

export class SqliteYcsb implements YcsbAccess {
  readonly #db: BetterSqlite3.Database;
  readonly #fieldCount: number;
  readonly #fieldLength: number;
  readonly #fields: string[];
  readonly #args: string[];
  #s: Statements | null = null;

  constructor(db: BetterSqlite3.Database, fieldCount: number, fieldLength: number) {
    this.#db = db;
    this.#fieldCount = fieldCount;
    this.#fieldLength = fieldLength;
    this.#fields = Array.from({ length: fieldCount }, (_, i) => `FIELD${i}`);
    this.#args = new Array<string>(fieldCount + 1).fill('');
  }

  get #stmts(): Statements {
    if (this.#s === null) {
      const db = this.#db;
      const cols = this.#fields.join(', ');
      this.#s = {
        insert: db.prepare(`INSERT INTO ${USERTABLE} (YCSB_KEY, ${cols}) VALUES (?${', ?'.repeat(this.#fieldCount)})`),
        read: db.prepare(`SELECT ${cols} FROM ${USERTABLE} WHERE YCSB_KEY = ?`).raw(),
        update: this.#fields.map((f) => db.prepare(`UPDATE ${USERTABLE} SET ${f} = ? WHERE YCSB_KEY = ?`)),
        // The key last: fields keep their positions 0..n−1, as RecordData wants.
        scan: db.prepare(`SELECT ${cols}, YCSB_KEY FROM ${USERTABLE} WHERE YCSB_KEY >= ? ORDER BY YCSB_KEY LIMIT ?`).raw(),
        scanAll: db.prepare(`SELECT ${cols}, YCSB_KEY FROM ${USERTABLE} ORDER BY YCSB_KEY`).raw(),
      };
    }
    return this.#s;
  }

  createSchema(): void {
    this.#db.exec(`CREATE TABLE ${USERTABLE} (YCSB_KEY VARCHAR(255) PRIMARY KEY, ${this.#fields.map((f) => `${f} TEXT`).join(', ')})`);
  }

  transaction(body: () => void): () => void {
    return this.#db.transaction(body);
  }

  #text(bytes: Uint8Array, from: number): string {
    return Buffer.from(bytes.buffer, bytes.byteOffset + from, this.#fieldLength).toString('latin1');
  }

  insert(key: string, record: Uint8Array): void {
    const args = this.#args;
    args[0] = key;
    for (let f = 0; f < this.#fieldCount; f++) args[f + 1] = this.#text(record, f * this.#fieldLength);
    this.#stmts.insert.run(args);
  }

  read(key: string): RecordData | undefined {
    return this.#stmts.read.get(key) as unknown[] | undefined;
  }

  updateField(key: string, field: number, value: Uint8Array): void {
    const stmt = this.#stmts.update[field];
    if (stmt === undefined) throw new RangeError(`ycsb: field ${field} is not in 0..${this.#fieldCount - 1}`);
    if (stmt.run(this.#text(value, 0), key).changes !== 1) throw new Error(`ycsb: update of missing key ${key}`);
  }

  #visitRows(rows: Iterable<unknown>, visit: ScanVisitor): number {
    let n = 0;
    for (const row of rows as Iterable<unknown[]>) {
      visit(row[this.#fieldCount] as string, row);
      n++;
    }
    return n;
  }

  scan(startKey: string, count: number, visit: ScanVisitor): number {
    return this.#visitRows(this.#stmts.scan.iterate(startKey, count), visit);
  }

  rowCount(): number {
    return this.#db.prepare(`SELECT count(*) FROM ${USERTABLE}`).pluck().get() as number;
  }

  scanAll(visit: ScanVisitor): number {
    return this.#visitRows(this.#stmts.scanAll.iterate(), visit);
  }
}
