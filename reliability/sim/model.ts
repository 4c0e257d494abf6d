/**
 * The simulator's reference model: the exact contents the database must hold.
 *
 * A KvState is the kv table (key → string value) plus the TPC-B-like figures the
 * model tracks (history rows and Σ delta), with an order-independent hash kept up to date
 * on every change, so comparing a recovered state with each prefix of the acknowledged
 * commits costs a hash compare per prefix and one full compare at a match.
 *
 * SimModel holds the last verified state (base), the commits acknowledged since (log) and
 * base + log applied (live, what reads must see now). After a crash, recovery must
 * produce:
 *  - sync 'full': base + the whole log, or that plus the one transaction in flight;
 *  - 'normal' / 'off': base + a prefix of the log at least as long as the part known
 *    durable (a successful checkpoint or clean close makes every commit before it
 *    durable), or the whole log plus the transaction in flight.
 * Never anything else: no partial transaction, no lost durable commit, no reordering.
 *
 * Invariants:
 *  1. live = base with every commit of log applied in order; hashes equal a recompute.
 *  2. 0 <= floor <= log.length.
 */

import type { SyncMode } from '../../storage/index.js';

/** One change: value null deletes the key. */
export interface KvOp {
  readonly key: number;
  readonly value: string | null;
}

/** One acknowledged transaction: its kv changes in order, and a TPC-B transaction's delta (null: none). */
export interface Commit {
  readonly ops: readonly KvOp[];
  readonly tpcbDelta: number | null;
}

/** A commit in a trace line: key=serial: per change ('' an empty value, del a delete), tpcb delta. */
export function describeCommit(c: Commit): string {
  const ops = c.ops.map((o) => `${o.key}=${o.value === null ? 'del' : o.value.slice(0, o.value.indexOf(':') + 1) || "''"}`);
  return `${ops.join(' ')}${c.tpcbDelta === null ? '' : ` tpcb ${c.tpcbDelta}`}`;
}

let h1 = 0;
let h2 = 0;

/** Two independent 32-bit hashes of (key, value) into h1, h2 (FNV-1a and a multiply-xorshift). */
function entryHash(key: number, value: string): void {
  let a = (0x811c9dc5 ^ key) >>> 0;
  let b = Math.imul(key + 0x9e3779b9, 0x85ebca6b) >>> 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ (b >>> 15) ^ c, 0x2c1b3c6d);
  }
  h1 = (a ^ (a >>> 13)) >>> 0;
  h2 = (b ^ (b >>> 16) ^ value.length) >>> 0;
}

export class KvState {
  readonly rows: Map<number, string>;
  #hashA = 0;
  #hashB = 0;
  tpcbRows = 0;
  tpcbSum = 0;

  constructor(rows: Map<number, string> = new Map(), tpcbRows = 0, tpcbSum = 0) {
    this.rows = new Map();
    for (const [k, v] of rows) this.set(k, v);
    this.tpcbRows = tpcbRows;
    this.tpcbSum = tpcbSum;
  }

  clone(): KvState {
    return new KvState(this.rows, this.tpcbRows, this.tpcbSum);
  }

  set(key: number, value: string | null): void {
    const old = this.rows.get(key);
    if (old !== undefined) {
      entryHash(key, old);
      this.#hashA = (this.#hashA - h1) >>> 0;
      this.#hashB = (this.#hashB - h2) >>> 0;
      this.rows.delete(key);
    }
    if (value === null) return;
    entryHash(key, value);
    this.#hashA = (this.#hashA + h1) >>> 0;
    this.#hashB = (this.#hashB + h2) >>> 0;
    this.rows.set(key, value);
  }

  apply(c: Commit): void {
    for (const op of c.ops) this.set(op.key, op.value);
    if (c.tpcbDelta !== null) {
      this.tpcbRows++;
      this.tpcbSum += c.tpcbDelta;
    }
  }

  /** Same rows and TPC-B figures (hash first, then every row). */
  sameAs(o: KvState): boolean {
    if (this.#hashA !== o.#hashA || this.#hashB !== o.#hashB || this.rows.size !== o.rows.size) return false;
    if (this.tpcbRows !== o.tpcbRows || this.tpcbSum !== o.tpcbSum) return false;
    for (const [k, v] of this.rows) if (o.rows.get(k) !== v) return false;
    return true;
  }

  /** How `o` differs from this state, briefly (for failure messages). */
  describeDifference(o: KvState): string {
    const diffs: string[] = [];
    let n = 0;
    const show = (v: string | undefined): string => (v === undefined ? 'absent' : `${v.slice(0, 16)}…(${v.length})`);
    for (const k of new Set([...this.rows.keys(), ...o.rows.keys()])) {
      const a = this.rows.get(k);
      const b = o.rows.get(k);
      if (a === b) continue;
      if (n++ < 3) diffs.push(`key ${k}: expected ${show(a)}, found ${show(b)}`);
    }
    const tp = this.tpcbRows !== o.tpcbRows || this.tpcbSum !== o.tpcbSum
      ? `; tpcb history rows/Σdelta expected ${this.tpcbRows}/${this.tpcbSum}, found ${o.tpcbRows}/${o.tpcbSum}` : '';
    return `${n} keys differ${n > 0 ? ` (${diffs.join('; ')})` : ''}${tp}`;
  }
}

export class SimModel {
  #base: KvState;
  #live: KvState;
  #log: Commit[] = [];
  #floor = 0;

  constructor(base: KvState) {
    this.#base = base;
    this.#live = base.clone();
  }

  /** What reads must see now. */
  get live(): KvState {
    return this.#live;
  }

  /** Commits acknowledged since the last verified state. */
  get pending(): number {
    return this.#log.length;
  }

  ack(c: Commit): void {
    this.#live.apply(c);
    this.#log.push(c);
  }

  /** Every commit acknowledged so far is durable (a checkpoint or a clean close succeeded). */
  markDurable(): void {
    this.#floor = this.#log.length;
  }

  /**
   * The number of log commits (log.length + 1: with the one in flight) whose result equals
   * `recovered` and that the durability mode allows, or -1; the smallest such if several.
   */
  match(recovered: KvState, inFlight: Commit | null, sync: SyncMode): number {
    const seq = inFlight === null ? this.#log : [...this.#log, inFlight];
    const lo = sync === 'full' ? this.#log.length : this.#floor;
    const w = this.#base.clone();
    for (let k = 0; k <= seq.length; k++) {
      if (k >= lo && w.sameAs(recovered)) return k;
      if (k < seq.length) w.apply(seq[k] as Commit);
    }
    return -1;
  }

  /** A failure message's account of a mismatch: against the newest allowed state. */
  explain(recovered: KvState, inFlight: Commit | null, sync: SyncMode): string {
    const lo = sync === 'full' ? this.#log.length : this.#floor;
    return `${this.#log.length} commits acknowledged since the last verified state (${lo} known durable` +
      `${inFlight === null ? '' : ', 1 in flight'}); against all of them: ${this.#live.describeDifference(recovered)}`;
  }

  /** Recovery was verified: `recovered` is the new base; nothing is pending. */
  adopt(recovered: KvState): void {
    this.#base = recovered;
    this.#live = recovered.clone();
    this.#log = [];
    this.#floor = 0;
  }
}
