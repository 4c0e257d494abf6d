/**
 * The YCSB-like ops, written once over YcsbAccess, as YCSB's CoreWorkload runs them:
 *
 *   op       draws (in YCSB's order)                          engine work
 *   read     op, keynum                                       read all fields; verify each
 *   update   op, keynum, field                                one committed tx: set that field
 *   insert   op (keynum = the shared insert counter, ++)      one committed tx: insert the record
 *   scan     op, keynum, length uniform 1..maxScanLength     read up to length records in key order; verify
 *   rmw      op, keynum, field                                one committed tx: read all + verify, set the field
 *
 * Values are YCSB's deterministic ones (values.ts), also for updates, so reads verify
 * every field whatever ran before. With dataIntegrity off the same values are written
 * and nothing is verified.
 *
 * Invariants:
 *  1. A terminal's draws come from its own Rng (op, field, scan length) and a Prng
 *     seeded from it (the key chooser); the insert counter is the bound workload's.
 *  2. An op is one transaction: reads and scans read committed state outside a write
 *     transaction; update, insert and rmw commit exactly once.
 *  3. A read or scan that finds a field not holding its value throws IntegrityError
 *     (the harness counts an error) naming the key and the field.
 */

import { Prng } from '../../../sim-kernel/index.js';
import type { Rng } from '../rng.js';
import type { CheckResult, LoadProgress, Terminal } from '../types.js';
import type { RecordData } from './values.js';
import { IntegrityError, ValueBuilder } from './values.js';
import type { ScanVisitor, YcsbAccess } from './access.js';
import { type InsertCounter, type KeyChooser, keyChooser } from './generators.js';
import { keyName } from './keys.js';
import type { YcsbMix, YcsbOp, YcsbParams } from './params.js';

/**
 * Rows per load transaction. Keys arrive in hashed (random) order, so each row may dirty
 * its own leaf: 500 rows stay well inside a 1024-page pool's shadow frames.
 */
export const LOAD_BATCH_ROWS = 500;

/** YCSB's load phase: keynums 0 … recordCount − 1 in order (hashed keys: random key order). */
export function loadYcsb(a: YcsbAccess, p: YcsbParams, progress: LoadProgress): void {
  a.createSchema();
  const values = new ValueBuilder(p);
  const rec = new Uint8Array(p.fieldCount * p.fieldLength);
  for (let from = 0; from < p.recordCount; from += LOAD_BATCH_ROWS) {
    const to = Math.min(p.recordCount, from + LOAD_BATCH_ROWS);
    a.transaction(() => {
      for (let k = from; k < to; k++) {
        const key = keyName(k);
        a.insert(key, values.writeRecord(key, rec));
      }
    })();
    progress(to, p.recordCount);
  }
}

/** What the last step did (the same object every step; for tests and debugging). */
export interface YcsbStepInfo {
  op: YcsbOp;
  keynum: number;
  key: string;
  /** update / rmw: the field written; else −1. */
  field: number;
  /** scan: the drawn length, and the rows it returned. */
  scanLength: number;
  scanned: number;
}

export class YcsbTerminal implements Terminal {
  readonly rolledBack = false;
  readonly last: YcsbStepInfo = { op: 'read', keynum: 0, key: '', field: -1, scanLength: 0, scanned: 0 };
  readonly #a: YcsbAccess;
  readonly #p: YcsbParams;
  readonly #rng: Rng;
  readonly #counter: InsertCounter;
  readonly #keys: KeyChooser;
  readonly #values: ValueBuilder;
  readonly #ops: readonly YcsbOp[];
  /** Cumulative weights of #ops (the last is 100). */
  readonly #cumulative: readonly number[];
  readonly #record: Uint8Array;
  readonly #value: Uint8Array;
  readonly #update: () => void;
  readonly #insert: () => void;
  readonly #rmw: () => void;
  readonly #visit: ScanVisitor;

  constructor(access: YcsbAccess, params: YcsbParams, mix: YcsbMix, rng: Rng, counter: InsertCounter) {
    this.#a = access;
    this.#p = params;
    this.#rng = rng;
    this.#counter = counter;
    this.#keys = keyChooser(mix.distribution, counter, new Prng(rng.u32()));
    this.#values = new ValueBuilder(params);
    this.#ops = mix.ops.map((o) => o.name);
    let sum = 0;
    this.#cumulative = mix.ops.map((o) => (sum += o.weight));
    this.#record = new Uint8Array(params.fieldCount * params.fieldLength);
    this.#value = new Uint8Array(params.fieldLength);
    const last = this.last;
    // Made once: a step reuses these transaction functions and `last` (no per-op closure).
    this.#update = access.transaction(() => access.updateField(last.key, last.field, this.#value));
    this.#insert = access.transaction(() => access.insert(last.key, this.#record));
    this.#rmw = access.transaction(() => {
      this.#verifiedRead(last.key, 'read-modify-write');
      access.updateField(last.key, last.field, this.#value);
    });
    this.#visit = (key: string, rec: RecordData): void => {
      last.scanned++;
      this.#verify(key, rec, 'scan');
    };
  }

  step(): number {
    const u = this.#rng.float() * 100;
    let i = 0;
    while (i < this.#cumulative.length - 1 && u >= (this.#cumulative[i] as number)) i++;
    const op = this.#ops[i] as YcsbOp;
    const last = this.last;
    last.op = op;
    last.field = -1;
    last.scanLength = 0;
    last.scanned = 0;
    switch (op) {
      case 'read':
        this.#chooseKey();
        this.#verifiedRead(last.key, 'read');
        break;
      case 'update':
        this.#chooseKey();
        this.#chooseField();
        this.#update();
        break;
      case 'insert':
        last.keynum = this.#counter.next++;
        last.key = keyName(last.keynum);
        this.#values.writeRecord(last.key, this.#record);
        this.#insert();
        break;
      case 'scan':
        this.#chooseKey();
        last.scanLength = this.#rng.int(1, this.#p.maxScanLength);
        this.#a.scan(last.key, last.scanLength, this.#visit);
        break;
      case 'rmw':
        this.#chooseKey();
        this.#chooseField();
        this.#rmw();
        break;
    }
    return i;
  }

  #chooseKey(): void {
    this.last.keynum = this.#keys.next();
    this.last.key = keyName(this.last.keynum);
  }

  /** YCSB's buildSingleValue: a uniform field, its deterministic value. */
  #chooseField(): void {
    const f = this.#rng.int(0, this.#p.fieldCount - 1);
    this.last.field = f;
    this.#values.writeField(this.last.key, f, this.#value, 0);
  }

  #verifiedRead(key: string, what: string): void {
    const rec = this.#a.read(key);
    if (rec === undefined) throw new Error(`ycsb: ${what}: key ${key} is missing`);
    this.#verify(key, rec, what);
  }

  #verify(key: string, rec: RecordData, what: string): void {
    if (!this.#p.dataIntegrity) return;
    const bad = this.#values.firstBadField(key, rec);
    if (bad >= 0) throw new IntegrityError(key, bad, what);
  }
}

export function ycsbCounters(a: YcsbAccess): Record<string, number> {
  return { rows: a.rowCount() };
}

/**
 * The checks: the row count against recordCount + committed inserts (at least
 * recordCount without a committed count), and with dataIntegrity every field of every
 * record verified by a full scan.
 */
export function checkYcsb(a: YcsbAccess, p: YcsbParams, committed?: Readonly<Record<string, number>>): CheckResult[] {
  const out: CheckResult[] = [];
  const rows = a.rowCount();
  const inserts = committed === undefined ? undefined : (committed['insert'] ?? 0);
  out.push(inserts === undefined
    ? { id: 'ycsb-rows', ok: rows >= p.recordCount, detail: `rows ${rows}, recordCount ${p.recordCount} (no committed count given: want ≥)` }
    : { id: 'ycsb-rows', ok: rows === p.recordCount + inserts, detail: `rows ${rows}, recordCount ${p.recordCount} + committed inserts ${inserts}` });
  if (p.dataIntegrity) {
    const values = new ValueBuilder(p);
    let bad = 0;
    let first = '';
    const scanned = a.scanAll((key, rec) => {
      const f = values.firstBadField(key, rec);
      if (f < 0) return;
      if (bad++ === 0) first = `; first: key ${key} field${f}`;
    });
    out.push({ id: 'ycsb-integrity', ok: bad === 0, detail: `${scanned} records × ${p.fieldCount} fields verified, ${bad} bad${first}` });
  }
  return out;
}
