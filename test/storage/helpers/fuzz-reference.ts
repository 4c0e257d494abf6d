/**
 * Corrupt-input fuzzing, part 1 (not a test file): reference databases whose every row
 * is known, their file images and page/WAL layout, and the judge that opens a damaged
 * copy and says whether the outcome is allowed.
 *
 * Allowed outcomes (issue 8): a coded error (a CodedError — DbError, … —
 * with a string code) at open, at a read or at close; or the database opens and every row
 * equals what was written; or the rows differ and db.integrityReport() reports a failed
 * check. Anything else — an uncoded exception, silently wrong rows, a runaway scan — is a
 * bug. Damage to the WAL may also lose un-checkpointed commits: a damaged record is
 * indistinguishable from a torn tail (wal.ts: recovery stops at the first break), so there
 * the rows may equal any committed state from the checkpoint on, not only the last.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { open, type OpenOptions } from '../../../src/db.js';
import { CodedError } from '../../../sim-kernel/index.js';
import { type Database, META_FILE, PAGE_TYPE, type Table, WAL_FILE } from '../../../storage/index.js';
import { WAL_HEADER_BYTES, WAL_RECORD_HEADER_BYTES } from '../../../storage/wal/wal.js';

/** Table name → JSON of the key → JSON of the value. */
export type Model = Map<string, Map<string, string>>;

/** A database directory as bytes: file name → contents (the lock files are left out). */
export type Files = Map<string, Uint8Array>;

export interface WalRecord {
  off: number;
  len: number;
  type: number;
  pageId: number;
}

export interface Reference {
  name: 'clean' | 'wal';
  files: Files;
  /** Committed states, oldest first: [the checkpoint's, after each later commit]; the last is the truth. */
  states: Model[];
  pageSize: number;
  pageCount: number;
  /** Page ids by page type, from the page file as it is on disk. */
  pages: { leaf: number[]; internal: number[]; overflow: number[]; free: number[] };
  walRecords: WalRecord[];
}

export const PAGE_SIZE = 4096;
/** Small machines for thousands of opens: ~8 ms each (32 MiB of RAM costs ~20 ms). */
export const FUZZ_OPEN: OpenOptions = { kernel: { ramBytes: 4 * 1024 * 1024 }, poolPages: 64, shadowPages: 32 };
export const STRATEGIES = ['nonlinear', 'multi-mmap', 'pread'] as const;

const DATA_FILES = ['data.rdb', WAL_FILE, META_FILE, `${META_FILE}-wal`, `${META_FILE}-shm`];

function snapshot(dir: string): Files {
  const files: Files = new Map();
  for (const f of DATA_FILES) {
    const p = path.join(dir, f);
    if (fs.existsSync(p)) files.set(f, new Uint8Array(fs.readFileSync(p)));
  }
  return files;
}

/** Replace the database files in `dir` with `files` (a file absent from the map is deleted). */
export function writeFiles(dir: string, files: Files): void {
  for (const f of DATA_FILES) {
    const bytes = files.get(f);
    const p = path.join(dir, f);
    if (bytes === undefined) fs.rmSync(p, { force: true, recursive: true });
    else fs.writeFileSync(p, bytes);
  }
}

function cloneModel(m: Model): Model {
  return new Map([...m].map(([t, rows]) => [t, new Map(rows)]));
}

/** Writes to the database and to the model side by side; once `states` is set, the model after each commit goes there. */
class Writer {
  readonly model: Model = new Map();
  states: Model[] | null = null;
  constructor(readonly db: Database) {}

  create(name: string, opts: Parameters<Database['createTable']>[1]): void {
    this.db.createTable(name, opts);
    this.model.set(name, new Map());
    this.#committed();
  }

  drop(name: string): void {
    this.db.dropTable(name);
    this.model.delete(name);
    this.#committed();
  }

  #committed(): void {
    this.states?.push(cloneModel(this.model));
  }

  put(table: string, key: unknown, value: unknown): void {
    this.db.table(table).upsert(key as never, value);
    this.model.get(table)?.set(JSON.stringify(key), JSON.stringify(value));
  }

  del(table: string, key: unknown): void {
    this.db.table(table).delete(key as never);
    this.model.get(table)?.delete(JSON.stringify(key));
  }

  txn(fn: () => void): void {
    this.db.transaction(fn)();
    this.#committed();
  }
}

/** A few tables, an index, overflow chains, deletes and a dropped table (free pages). */
function fill(w: Writer, salt: string): void {
  w.create('users', { key: ['int'] });
  w.db.createIndex('users', 'users_by_name', { fields: ['name'] });
  w.create('blobs', { key: ['string'], value: 'string' });
  w.create('kv', { key: ['int', 'string'], value: 'tuple' });
  w.create('scratch', { key: ['int'], value: 'string' });
  w.txn(() => {
    for (let i = 0; i < 300; i++) w.put('users', i, { name: `${salt}user-${i}`, age: i % 90, tags: i % 3 === 0 ? ['a', 'b'] : [] });
    for (let i = 0; i < 6; i++) w.put('blobs', `b${i}`, `${salt}${i}:`.padEnd(900 + i * 2600, String.fromCharCode(97 + i)));
    for (let i = 0; i < 200; i++) w.put('kv', [i, `k${i}`], [i, `${salt}v${i}`, i % 2 === 0]);
    for (let i = 0; i < 120; i++) w.put('scratch', i, 's'.repeat(200));
  });
  w.txn(() => {
    for (let i = 0; i < 300; i += 7) w.del('users', i);
    w.del('blobs', 'b2');
  });
  w.drop('scratch');
}

/** Commits after the checkpoint (left in the WAL by the 'wal' variant): updates, deletes, a split, a chain rewrite, DDL. */
function moreCommits(w: Writer, salt: string): void {
  const steps: (() => void)[] = [
    () => w.txn(() => {
      for (let i = 1; i < 40; i += 2) w.put('users', i, { name: `${salt}user-${i}`, age: 100 + i, tags: ['upd'] });
    }),
    () => w.txn(() => {
      for (let i = 50; i < 60; i++) w.del('users', i);
      w.put('blobs', 'b1', `${salt}b1 again`.padEnd(7000, 'q'));
    }),
    () => w.txn(() => {
      for (let i = 200; i < 320; i++) w.put('kv', [i, `k${i}`], [i, `${salt}late${i}`, false]);
    }),
    () => {
      w.create('late', { key: ['string'], value: 'json' });
      w.txn(() => {
        for (let i = 0; i < 30; i++) w.put('late', `l${i}`, { i, s: salt });
      });
    },
    () => w.txn(() => {
      w.put('blobs', 'b3', `${salt}3:`.padEnd(900 + 3 * 2600, 'Z'));
      w.put('users', 1000, { name: `${salt}newcomer`, age: 1, tags: [] });
    }),
  ];
  for (const step of steps) step();
}

/**
 * Build the reference database in `dir`: 'clean' closed cleanly; 'wal' checkpointed and
 * then left with committed transactions only in its WAL by a power failure (sync 'full').
 */
export function buildReference(dir: string, name: Reference['name'], salt = ''): Reference {
  const db = open(dir, { kernel: { ramBytes: 8 * 1024 * 1024 }, poolPages: 256, shadowPages: 128, sync: 'full', checkpointBytes: 0 });
  const w = new Writer(db);
  fill(w, salt);
  const states: Model[] = [];
  if (name === 'clean') {
    states.push(cloneModel(w.model));
    db.close();
  } else {
    db.checkpoint();
    states.push(cloneModel(w.model));
    w.states = states;
    moreCommits(w, salt);
    db.simulatePowerFailure();
  }
  const files = snapshot(dir);
  return { name, files, states, pageSize: PAGE_SIZE, ...pageLayout(files), walRecords: walRecords(files.get(WAL_FILE)) };
}

function pageLayout(files: Files): { pageCount: number; pages: Reference['pages'] } {
  const data = files.get('data.rdb') as Uint8Array;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const pageCount = dv.getUint32(16, true);
  const pages: Reference['pages'] = { leaf: [], internal: [], overflow: [], free: [] };
  for (let p = 1; p < pageCount; p++) {
    const type = data[p * PAGE_SIZE];
    if (type === PAGE_TYPE.LEAF) pages.leaf.push(p);
    else if (type === PAGE_TYPE.INTERNAL) pages.internal.push(p);
    else if (type === PAGE_TYPE.OVERFLOW) pages.overflow.push(p);
    else if (type === PAGE_TYPE.FREE || type === PAGE_TYPE.FREELIST) pages.free.push(p);
  }
  return { pageCount, pages };
}

export function walRecords(wal: Uint8Array | undefined): WalRecord[] {
  const out: WalRecord[] = [];
  if (wal === undefined) return out;
  const dv = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  for (let off = WAL_HEADER_BYTES; off + WAL_RECORD_HEADER_BYTES <= wal.length;) {
    const type = wal[off] as number;
    const len = dv.getUint16(off + 2, true);
    if (type < 1 || type > 3 || off + WAL_RECORD_HEADER_BYTES + len > wal.length) break;
    out.push({ off, len: WAL_RECORD_HEADER_BYTES + len, type, pageId: dv.getUint32(off + 4, true) });
    off += WAL_RECORD_HEADER_BYTES + len;
  }
  return out;
}

// ---------------------------------------------------------------------------- the judge

export interface Verdict {
  /** What happened, for the tally: 'ok', 'ok: lost un-checkpointed commits', an error code, 'integrity: <check>'. */
  outcome: string;
  /** Why this outcome is not allowed, or null. */
  bug: string | null;
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message).split('\n').slice(0, 6).join('\n') : String(err);
}

/** A coded error is an allowed outcome; anything else thrown is a bug. */
function codedOutcome(err: unknown, when: string): Verdict {
  if (err instanceof CodedError && typeof err.code === 'string') return { outcome: `${when}: ${err.code}`, bug: null };
  return { outcome: `${when}: UNCODED`, bug: `uncoded error at ${when}: ${describe(err)}` };
}

/** More rows than this in one scan means a cycle (a corrupt sibling link followed forever): a bug. */
const SCAN_LIMIT_ROWS = 100_000;

class RunawayScan extends Error {}

function rowsOf(t: Table, problems: string[]): Map<string, string> {
  const m = new Map<string, string>();
  let n = 0;
  for (const row of t.range()) {
    const k = JSON.stringify(row.key) as string | undefined;
    if (k === undefined) problems.push(`a row of ${t.name} has a key with no JSON form`);
    else m.set(k, JSON.stringify(row.value));
    if (++n > SCAN_LIMIT_ROWS) throw new RunawayScan(`runaway scan of table ${t.name}: over ${SCAN_LIMIT_ROWS} rows`);
  }
  if (n !== m.size && problems.length === 0) problems.push(`a scan of ${t.name} returned ${n} rows for ${m.size} keys`);
  return m;
}

/**
 * Every table's rows; then the index scanned and point lookups made, each checked against
 * the table scan (a disagreement goes to `problems`: it must be caught by integrityReport).
 */
function readAll(db: Database, problems: string[]): Model {
  const got: Model = new Map();
  for (const name of db.tables()) got.set(name, rowsOf(db.table(name), problems));
  const users = got.get('users');
  if (users !== undefined) {
    let n = 0;
    for (const row of db.table('users').index('users_by_name').range()) {
      if (users.get(JSON.stringify(row.key)) !== JSON.stringify(row.value)) problems.push(`index row ${JSON.stringify(row.key)} disagrees with its table`);
      if (++n > SCAN_LIMIT_ROWS) throw new RunawayScan('runaway scan of index users_by_name');
    }
    if (n !== users.size) problems.push(`index users_by_name has ${n} rows, its table ${users.size}`);
  }
  for (const [name, rows] of got) {
    const t = db.table(name);
    for (const [k, v] of [...rows].slice(0, 5)) {
      if (JSON.stringify(t.get(JSON.parse(k) as never)) !== v) problems.push(`get(${k}) of ${name} disagrees with its scan`);
    }
  }
  return got;
}

function sameModel(a: Model, b: Model): boolean {
  if (a.size !== b.size) return false;
  for (const [t, rows] of a) {
    const other = b.get(t);
    if (other === undefined || other.size !== rows.size) return false;
    for (const [k, v] of rows) if (other.get(k) !== v) return false;
  }
  return true;
}

function short(s: string | undefined): string {
  return s === undefined ? 'absent' : s.length > 60 ? `${s.slice(0, 57)}... (${s.length} chars)` : s;
}

function firstDifference(want: Model, got: Model): string {
  for (const [t, rows] of want) {
    const other = got.get(t);
    if (other === undefined) return `table ${t} is missing`;
    for (const [k, v] of rows) if (other.get(k) !== v) return `${t}[${k}] = ${short(other.get(k))}, written ${short(v)}`;
    for (const k of other.keys()) if (!rows.has(k)) return `${t}[${k}] was never written`;
  }
  for (const t of got.keys()) if (!want.has(t)) return `table ${t} was never created`;
  return 'no difference';
}

/**
 * Open the database in `dir`, read everything back, run integrityReport() and close it.
 * `states`: the acceptable contents, the truth last; `tailLoss`: whether earlier states
 * are acceptable too (WAL damage).
 */
export function judge(dir: string, states: readonly Model[], tailLoss: boolean, opts: OpenOptions): Verdict {
  let db: Database;
  try {
    db = open(dir, opts);
  } catch (err) {
    return codedOutcome(err, 'open');
  }
  let verdict: Verdict;
  try {
    verdict = inspect(db, states, tailLoss);
  } catch (err) {
    verdict = codedOutcome(err, 'read');
  }
  try {
    db.close();
  } catch (err) {
    const v = codedOutcome(err, 'close');
    if (verdict.bug === null && v.bug !== null) verdict = v;
    else if (verdict.outcome.startsWith('ok')) verdict = { outcome: `${verdict.outcome}, then ${v.outcome}`, bug: verdict.bug };
  } finally {
    if (!db.closed) db.simulatePowerFailure();
  }
  return verdict;
}

function inspect(db: Database, states: readonly Model[], tailLoss: boolean): Verdict {
  const problems: string[] = [];
  const got = readAll(db, problems);
  const truth = states[states.length - 1] as Model;
  const matched = sameModel(truth, got) ? states.length - 1 : tailLoss ? states.findIndex((s) => sameModel(s, got)) : -1;
  if (matched === -1) problems.push(firstDifference(truth, got));
  const failed = db.integrityReport().checks.filter((c) => !c.ok);
  if (failed.length > 0) return { outcome: `integrity: ${(failed[0] as { id: string }).id}`, bug: null };
  if (problems.length > 0) return { outcome: 'WRONG DATA', bug: `opened and every check passed, but ${problems.join('; ')}` };
  return { outcome: matched === states.length - 1 ? 'ok' : 'ok: lost un-checkpointed commits', bug: null };
}
