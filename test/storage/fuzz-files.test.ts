/**
 * Corrupt-input fuzzing of a database directory (issue 8, part 3). A small reference
 * database — tables, an index, overflow chains, deletes, a dropped table — is built twice:
 * 'clean' (closed cleanly) and 'wal' (checkpointed, then five more commits under sync
 * 'full' left only in the WAL by a power failure); a second database ('other', another
 * salt) supplies foreign pages, frames and catalogs. Each case damages one copy with a
 * seeded mutator, then opens it, reads every row back and runs integrityReport()
 * (fuzz-reference.ts judges). Targets, a fifth of the cases each:
 *   superblock  each field of copy A, copy B or both: a flipped bit, random bytes, a
 *               plausible wrong value, sometimes resealed (a wrong superblock with valid
 *               checksums); one damaged copy must be rescued by the other
 *   pages       header fields (type, flags, checksum, LSN, page id) and bodies of leaf,
 *               internal, overflow and free pages: bit flips, overwritten ranges, zeroed,
 *               swapped, duplicated, another database's page
 *   page file   truncation, garbage or zeros appended, deleted, another database's file
 *   wal         header fields, record headers, checksums, payloads, a torn tail, garbage,
 *               a frame or a whole WAL from another database, replayed/swapped records
 *   catalog     meta.sqlite with random byte damage, truncated, empty, garbage, a foreign
 *               SQLite file, another database's catalog, wrong application_id or
 *               user_version, a missing table, damaged rows, deleted
 *
 * Every case must end in a coded error, a failed integrity check, or exactly the rows as
 * written — never an uncoded exception, a runaway scan or silently wrong rows. Two kinds
 * of damage passed for sound before page file format 2 (23 of 20,000 cases): another
 * database's page of the same number (page checksums now bind the salt), and damage under
 * a page the WAL patches (a page's first change after a checkpoint is now logged whole,
 * and a page redo patches with a delta is verified first); the regressions subtest
 * replays each of those 23 cases.
 *
 * The summary comment tallies the outcomes per target (quoted by the README); the
 * regressions subtest replays the exact damage behind each bug the fuzzer found.
 * Replay: REMAPDB_SEED=<seed> [REMAPDB_FUZZ_CASES=<n>] [REMAPDB_FUZZ_ONLY=<case>] npx tap test/storage/fuzz-files.test.ts
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import Sqlite from 'better-sqlite3';
import t, { type Test } from 'tap';

import { open } from '../../src/db.js';
import { Prng } from '../../sim-kernel/index.js';
import { crc32c, META_FILE, WAL_FILE } from '../../storage/index.js';
import { WAL_HEADER_BYTES } from '../../storage/wal/wal.js';
import {
  buildReference, type Files, FUZZ_OPEN, judge, type Reference, STRATEGIES, type Verdict, writeFiles,
} from './helpers/index.js';
import { tempDir } from './helpers/index.js';

function envInt(name: string): number | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : Number(v);
}

const SEED = (envInt('REMAPDB_SEED') ?? 20261201) >>> 0;
/** 1,500 cases take ~25 s of CPU on tmpfs; REMAPDB_FUZZ_CASES=20000 for a long run. */
const CASES = envInt('REMAPDB_FUZZ_CASES') ?? 1500;
const ONLY = envInt('REMAPDB_FUZZ_ONLY');
/** REMAPDB_FUZZ_TRACE=1: name each case on stderr before it runs (to find a hang). */
const TRACE = process.env['REMAPDB_FUZZ_TRACE'] === '1';
/** A case slower than this is reported as a (near-)hang. */
const SLOW_CASE_MS = 10_000;
const DATA = 'data.rdb';
const PS = 4096;

interface Case {
  what: string;
  ref: Reference;
  files: Files;
  /** WAL damage: earlier committed states are acceptable too (a damaged record is a torn tail). */
  tailLoss: boolean;
  /** The damage must not stop the database from opening with every row intact. */
  mustOpen: boolean;
}

interface World {
  refs: { clean: Reference; wal: Reference };
  other: { clean: Reference; wal: Reference };
  /** meta.sqlite images damaged through SQL, per variant. */
  catalogs: { clean: [string, Uint8Array][]; wal: [string, Uint8Array][] };
  foreignSqlite: Uint8Array;
}

// ---------------------------------------------------------------------------- byte mutators

function pick<T>(rng: Prng, xs: readonly T[]): T {
  if (xs.length === 0) throw new Error('pick from an empty list');
  return xs[rng.int(0, xs.length - 1)] as T;
}

function randomBytes(rng: Prng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.nextU32() & 0xff;
  return b;
}

/** Damage bytes [off, off + len) of b in place; returns what was done. */
function damage(rng: Prng, b: Uint8Array, off: number, len: number): string {
  const kind = rng.int(0, 3);
  if (kind <= 1) {
    const at = off + rng.int(0, len - 1);
    const bit = rng.int(0, 7);
    b[at] = (b[at] as number) ^ (1 << bit);
    return `flip bit ${bit} of byte ${at}`;
  }
  if (kind === 2) {
    b.set(randomBytes(rng, len), off);
    return `random bytes over ${off}..${off + len - 1}`;
  }
  b.fill(rng.int(0, 1) === 0 ? 0 : 0xff, off, off + len);
  return `${b[off] === 0 ? 'zeros' : '0xff'} over ${off}..${off + len - 1}`;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function withFile(files: Files, name: string, bytes: Uint8Array | null): Files {
  const out = new Map(files);
  if (bytes === null) out.delete(name);
  else out.set(name, bytes);
  return out;
}

function fileOf(files: Files, name: string): Uint8Array {
  const b = files.get(name);
  if (b === undefined) throw new Error(`reference has no ${name}`);
  return b.slice();
}

// ---------------------------------------------------------------------------- targets

const SB_FIELDS: readonly [name: string, off: number, len: number][] = [
  ['magic', 0, 8], ['format version', 8, 4], ['page size', 12, 4], ['page count', 16, 8], ['checkpoint LSN', 24, 8],
  ['free-list head', 32, 8], ['free count', 40, 8], ['salt', 48, 4], ['flags', 52, 4], ['reserved', 56, 64], ['checksum', 120, 4],
];

/** A plausible wrong value for a superblock field (a u32 or the low half of a u64). */
function plausible(rng: Prng, field: string, cur: number, ref: Reference): number {
  switch (field) {
    case 'format version': return pick(rng, [0, 2, 0xffffffff]);
    case 'page size': return pick(rng, [8192, 16384, 2048, 0, 4097]);
    case 'page count': return pick(rng, [0, 1, cur - 1, cur + 1, 65, 0xffffffff]);
    case 'checkpoint LSN': return pick(rng, [0, cur + 1, cur + 20, 0xffffffff]);
    case 'free-list head': return pick(rng, [0, 1, ...ref.pages.leaf.slice(0, 2), cur + 1, ref.pageCount]);
    case 'free count': return pick(rng, [0, cur + 1, Math.max(cur - 1, 0), ref.pageCount]);
    default: return rng.nextU32();
  }
}

function superblockCase(rng: Prng, w: World): Case {
  const ref = pick(rng, [w.refs.clean, w.refs.wal]);
  const data = fileOf(ref.files, DATA);
  const dv = new DataView(data.buffer);
  if (rng.int(0, 9) === 0) {
    // Page 0 past the two copies is unused (zeros): damage there changes nothing.
    const off = pick(rng, [124, PS / 2 + 124]) + rng.int(0, PS / 2 - 125);
    const what = damage(rng, data, off, 1);
    return { what: `superblock padding: ${what}`, ref, files: withFile(ref.files, DATA, data), tailLoss: false, mustOpen: true };
  }
  const [field, foff, flen] = pick(rng, SB_FIELDS);
  const where = pick(rng, ['copy A', 'copy B', 'both copies'] as const);
  const copies = where === 'copy A' ? [0] : where === 'copy B' ? [PS / 2] : [0, PS / 2];
  let what: string;
  if (rng.int(0, 2) === 0 && flen <= 8 && field !== 'magic' && field !== 'checksum') {
    const v = plausible(rng, field, dv.getUint32(foff, true), ref) >>> 0;
    for (const c of copies) dv.setUint32(c + foff, v, true);
    what = `set to ${v}`;
  } else {
    const sub = rng.int(0, flen - 1);
    const len = Math.min(flen - sub, rng.int(1, 4));
    const first = damage(rng, data, copies[0] as number + foff + sub, len);
    // Both copies get the same damage: a second mutation would be a different experiment.
    for (const c of copies.slice(1)) data.copyWithin(c + foff + sub, foff + sub, foff + sub + len);
    what = first.replace(/\d+\.\.\d+|byte \d+/, (m) => `${m} (field offset ${sub})`);
  }
  const resealed = where === 'both copies' && field !== 'checksum' && rng.int(0, 3) === 0;
  if (resealed) for (const c of copies) dv.setUint32(c + 120, crc32c(data, c, c + 120), true);
  return {
    what: `superblock ${field}, ${where}${resealed ? ' (resealed)' : ''}: ${what}`, ref, files: withFile(ref.files, DATA, data),
    tailLoss: false, mustOpen: where !== 'both copies',
  };
}

const PAGE_REGIONS: readonly [name: string, off: number, len: number][] = [
  ['type', 0, 1], ['flags', 1, 1], ['reserved', 2, 2], ['checksum', 4, 4], ['LSN', 8, 8], ['page id', 16, 8], ['body', 24, PS - 24],
];

function pagesCase(rng: Prng, w: World): Case {
  const ref = pick(rng, [w.refs.clean, w.refs.wal]);
  const other = ref.name === 'clean' ? w.other.clean : w.other.wal;
  const data = fileOf(ref.files, DATA);
  const kind = pick(rng, ['leaf', 'leaf', 'internal', 'overflow', 'overflow', 'free', 'past the page count'] as const);
  const pageCount = ref.pageCount;
  const filePages = Math.floor(data.length / PS);
  const ids = kind === 'past the page count' ? Array.from({ length: filePages - pageCount }, (_, i) => pageCount + i) : ref.pages[kind];
  const page = pick(rng, ids);
  const at = page * PS;
  const op = rng.int(0, 9);
  let what: string;
  let q = page;
  if (op <= 5) {
    const [region, roff, rlen] = pick(rng, PAGE_REGIONS);
    const sub = rng.int(0, rlen - 1);
    what = `${region}: ${damage(rng, data, at + roff + sub, Math.min(rlen - sub, rng.int(1, 64)))}`;
  } else if (op === 6) {
    data.fill(0, at, at + PS);
    what = 'zeroed';
  } else if (op === 7) {
    q = pick(rng, [...ref.pages.leaf, ...ref.pages.internal, ...ref.pages.overflow].filter((x) => x !== page));
    const tmp = data.slice(at, at + PS);
    data.copyWithin(at, q * PS, q * PS + PS);
    data.set(tmp, q * PS);
    what = `swapped with page ${q}`;
  } else if (op === 8) {
    const src = pick(rng, [...ref.pages.leaf, ...ref.pages.overflow].filter((x) => x !== page));
    data.copyWithin(at, src * PS, src * PS + PS);
    what = `overwritten by a copy of page ${src}`;
  } else {
    const od = fileOf(other.files, DATA);
    data.set(od.subarray(at, at + PS), at);
    what = "replaced by the other database's page of the same number";
  }
  return { what: `${kind} page ${page}: ${what}`, ref, files: withFile(ref.files, DATA, data), tailLoss: false, mustOpen: false };
}

function pageFileCase(rng: Prng, w: World): Case {
  const ref = pick(rng, [w.refs.clean, w.refs.wal]);
  const other = ref.name === 'clean' ? w.other.clean : w.other.wal;
  const data = fileOf(ref.files, DATA);
  const used = ref.pageCount * PS;
  const op = rng.int(0, 7);
  let bytes: Uint8Array | null;
  let what: string;
  if (op === 0) {
    const len = rng.int(0, used - 1);
    bytes = data.slice(0, len);
    what = `truncated to ${len} bytes (${ref.pageCount} pages in use)`;
  } else if (op === 1) {
    const len = rng.int(0, ref.pageCount - 1) * PS;
    bytes = data.slice(0, len);
    what = `truncated to ${len / PS} whole pages`;
  } else if (op === 2) {
    const len = pick(rng, [0, 1, 100, 123, 124, 2047, PS - 1, PS, PS + 1]);
    bytes = data.slice(0, len);
    what = `truncated to ${len} bytes (at the superblock)`;
  } else if (op === 3) {
    const n = rng.int(1, 3 * PS);
    bytes = concat(data, randomBytes(rng, n));
    what = `${n} bytes of garbage appended`;
  } else if (op === 4) {
    const n = rng.int(1, 2) * PS;
    bytes = concat(data, new Uint8Array(n));
    what = `${n} zero bytes appended`;
  } else if (op === 5) {
    bytes = data.slice(0, rng.int(used, data.length));
    what = `cut to ${bytes.length} bytes, past the pages in use (harmless)`;
  } else if (op === 6) {
    bytes = null;
    what = 'deleted';
  } else {
    bytes = fileOf(other.files, DATA);
    what = "replaced by the other database's page file";
  }
  return { what: `page file ${what}`, ref, files: withFile(ref.files, DATA, bytes), tailLoss: false, mustOpen: op === 5 };
}

const WAL_HEADER_FIELDS: readonly [name: string, off: number, len: number][] = [
  ['magic', 0, 8], ['version', 8, 4], ['page size', 12, 4], ['salt1', 16, 4], ['salt2', 20, 4], ['base LSN', 24, 8],
  ['header bytes', 32, 4], ['reserved', 36, 24], ['checksum', 60, 4], ['padding', 64, WAL_HEADER_BYTES - 64],
];
const RECORD_FIELDS: readonly [name: string, off: number, len: number][] = [
  ['type', 0, 1], ['reserved', 1, 1], ['length', 2, 2], ['page/txn id', 4, 8], ['checksum', 12, 4],
];

function walCase(rng: Prng, w: World): Case {
  const ref = rng.int(0, 3) === 0 ? w.refs.clean : w.refs.wal;
  const other = w.other.wal;
  const wal = fileOf(ref.files, WAL_FILE);
  const recs = ref.walRecords;
  const op = recs.length === 0 ? rng.int(0, 1) * 9 : rng.int(0, 11);
  let bytes: Uint8Array | null = wal;
  let what: string;
  if (op === 0) {
    const [field, off, len] = pick(rng, WAL_HEADER_FIELDS);
    const sub = rng.int(0, len - 1);
    what = `header ${field}: ${damage(rng, wal, off + sub, Math.min(len - sub, rng.int(1, 4)))}`;
  } else if (op === 1 || op === 2) {
    const r = pick(rng, recs);
    const [field, off, len] = pick(rng, RECORD_FIELDS);
    const sub = rng.int(0, len - 1);
    what = `record at ${r.off} (type ${r.type}, page/txn ${r.pageId}) ${field}: ${damage(rng, wal, r.off + off + sub, Math.min(len - sub, 2))}`;
  } else if (op === 3) {
    const r = pick(rng, recs);
    const sub = rng.int(16, r.len - 1);
    what = `record at ${r.off} (type ${r.type}) payload: ${damage(rng, wal, r.off + sub, Math.min(r.len - sub, rng.int(1, 32)))}`;
  } else if (op === 4) {
    const len = rng.int(WAL_HEADER_BYTES, wal.length - 1);
    bytes = wal.slice(0, len);
    what = `torn tail: cut to ${len} of ${wal.length} bytes`;
  } else if (op === 5) {
    const r = pick(rng, recs);
    bytes = wal.slice(0, r.off);
    what = `cut at the record boundary ${r.off}`;
  } else if (op === 6) {
    const n = rng.int(1, 2 * PS);
    bytes = concat(wal, rng.int(0, 1) === 0 ? randomBytes(rng, n) : new Uint8Array(n));
    what = `${n} bytes appended (${bytes[wal.length] === 0 && bytes[bytes.length - 1] === 0 ? 'zeros' : 'garbage'})`;
  } else if (op === 7) {
    const r = pick(rng, recs);
    const o = pick(rng, other.walRecords);
    const od = fileOf(other.files, WAL_FILE);
    const foreign = od.subarray(o.off, o.off + o.len);
    bytes = concat(concat(wal.subarray(0, r.off), foreign), wal.subarray(r.off + r.len));
    what = `record at ${r.off} replaced by a frame of another database (type ${o.type})`;
  } else if (op === 8) {
    const r = pick(rng, recs);
    bytes = concat(wal, wal.subarray(r.off, r.off + r.len));
    what = `record at ${r.off} (type ${r.type}) appended again`;
  } else if (op === 9) {
    bytes = rng.int(0, 2) === 0 ? null : pick(rng, [fileOf(other.files, WAL_FILE), wal.slice(0, rng.int(0, 63)), new Uint8Array(rng.int(1, 3) * PS)]);
    what = bytes === null ? 'deleted' : bytes.length < 64 ? `cut to ${bytes.length} bytes (inside the header)` :
      bytes[0] === 0 ? `replaced by ${bytes.length} zero bytes` : "replaced by the other database's WAL";
  } else if (op === 10) {
    const i = rng.int(0, recs.length - 2 < 0 ? 0 : recs.length - 2);
    const a = recs[i];
    const b = recs[i + 1];
    if (a === undefined || b === undefined) return walCase(rng, w);
    bytes = concat(concat(wal.subarray(0, a.off), wal.subarray(b.off, b.off + b.len)), concat(wal.subarray(a.off, a.off + a.len), wal.subarray(b.off + b.len)));
    what = `records at ${a.off} and ${b.off} swapped`;
  } else {
    const at = rng.int(WAL_HEADER_BYTES, wal.length - 1);
    const len = Math.min(wal.length - at, rng.int(1, PS));
    what = `zeros over ${at}..${at + len - 1}`;
    wal.fill(0, at, at + len);
  }
  return { what: `${ref.name} WAL: ${what}`, ref, files: withFile(ref.files, WAL_FILE, bytes), tailLoss: true, mustOpen: false };
}

function catalogCase(rng: Prng, w: World): Case {
  const ref = pick(rng, [w.refs.clean, w.refs.wal]);
  const other = ref.name === 'clean' ? w.other.clean : w.other.wal;
  const meta = fileOf(ref.files, META_FILE);
  const op = rng.int(0, 9);
  let bytes: Uint8Array | null = meta;
  let what: string;
  if (op <= 2) {
    const n = rng.int(1, 8);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const inHeader = rng.int(0, 3) === 0;
      const off = inHeader ? rng.int(0, 99) : rng.int(0, meta.length - 1);
      parts.push(damage(rng, meta, off, Math.min(meta.length - off, inHeader ? 1 : rng.int(1, 512))));
    }
    what = `random damage: ${parts.join(', ')}`;
  } else if (op === 3) {
    bytes = meta.slice(0, rng.int(0, meta.length - 1));
    what = `truncated to ${bytes.length} bytes`;
  } else if (op === 4) {
    bytes = pick(rng, [new Uint8Array(0), randomBytes(rng, rng.int(1, 2 * PS)), w.foreignSqlite]);
    what = bytes.length === 0 ? 'empty' : bytes === w.foreignSqlite ? 'a foreign SQLite database' : `${bytes.length} bytes of garbage`;
  } else if (op === 5) {
    bytes = fileOf(other.files, META_FILE);
    what = "another remapdb database's catalog";
  } else if (op === 6) {
    bytes = null;
    what = 'deleted';
  } else {
    const [name, image] = pick(rng, w.catalogs[ref.name]);
    bytes = image.slice();
    what = name;
  }
  return { what: `${ref.name} catalog: ${what}`, ref, files: withFile(ref.files, META_FILE, bytes), tailLoss: false, mustOpen: false };
}

const TARGETS = [
  ['superblock', superblockCase], ['pages', pagesCase], ['page file', pageFileCase], ['wal', walCase], ['catalog', catalogCase],
] as const;

// ---------------------------------------------------------------------------- the world

/** meta.sqlite images damaged through SQL: identity pragmas, a missing table, damaged rows. */
function sqlDamagedCatalogs(scratch: string, meta: Uint8Array): [string, Uint8Array][] {
  const edits: [string, string][] = [
    ['application_id 0', 'PRAGMA application_id = 0'],
    ['application_id of another program', 'PRAGMA application_id = 1234'],
    ['user_version 0', 'PRAGMA user_version = 0'],
    ['user_version 2 (a newer catalog)', 'PRAGMA user_version = 2'],
    ...['meta', 'objects', 'stats', 'snapshots'].map((tb): [string, string] => [`table ${tb} missing`, `DROP TABLE ${tb}`]),
    ['meta salt damaged', "UPDATE meta SET value = 'x' WHERE key = 'salt'"],
    ['meta salt of another database', "UPDATE meta SET value = '12345' WHERE key = 'salt'"],
    ['meta page_size wrong', "UPDATE meta SET value = '8192' WHERE key = 'page_size'"],
    ['meta rows deleted', 'DELETE FROM meta'],
    ['object definitions not JSON', "UPDATE objects SET definition = '{not json'"],
    ['object root pages wrong', 'UPDATE objects SET root_page = root_page + 7'],
    ['object rows deleted', 'DELETE FROM objects'],
    ['an object the page file lacks', "INSERT INTO objects VALUES ('ghost', 'table', NULL, 3, '{}', 5, 0)"],
    ['row counts wrong', 'UPDATE objects SET row_count = 999999'],
    ['snapshot JSON damaged', "UPDATE snapshots SET summary = '[', slots = 'x'"],
  ];
  const out: [string, Uint8Array][] = [];
  for (const [name, sql] of edits) {
    const file = path.join(scratch, `edit-${out.length}.sqlite`);
    fs.writeFileSync(file, meta);
    const db = new Sqlite(file);
    db.exec(sql);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    out.push([name, new Uint8Array(fs.readFileSync(file))]);
  }
  return out;
}

function makeWorld(root: string): World {
  const dir = (name: string): string => {
    const d = path.join(root, name);
    fs.mkdirSync(d);
    return d;
  };
  const refs = { clean: buildReference(dir('clean'), 'clean'), wal: buildReference(dir('wal'), 'wal') };
  const other = { clean: buildReference(dir('other-clean'), 'clean', 'o:'), wal: buildReference(dir('other-wal'), 'wal', 'o:') };
  const scratch = dir('scratch');
  const foreign = path.join(scratch, 'foreign.sqlite');
  const f = new Sqlite(foreign);
  f.exec("CREATE TABLE accounts(id INTEGER PRIMARY KEY, owner TEXT); INSERT INTO accounts VALUES (1, 'ada');");
  f.close();
  return {
    refs, other, foreignSqlite: new Uint8Array(fs.readFileSync(foreign)),
    catalogs: { clean: sqlDamagedCatalogs(scratch, fileOf(refs.clean.files, META_FILE)), wal: sqlDamagedCatalogs(scratch, fileOf(refs.wal.files, META_FILE)) },
  };
}

// ---------------------------------------------------------------------------- the run

/** A directory on tmpfs when there is one: each case fsyncs several times (~5x faster than on disk). */
function caseDir(t: Test): string {
  const shm = '/dev/shm';
  let root: string;
  try {
    fs.accessSync(shm, fs.constants.W_OK);
    root = fs.mkdtempSync(path.join(shm, 'remapdb-fuzz-'));
    t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  } catch {
    root = tempDir(t, 'remapdb-fuzz-');
  }
  return root;
}

let shared: { root: string; w: World; dir: string } | undefined;

/** The references, built once for every subtest, and the directory cases are written to. */
function world(): { root: string; w: World; dir: string } {
  if (shared === undefined) {
    const root = caseDir(t);
    const dir = path.join(root, 'case');
    fs.mkdirSync(dir);
    shared = { root, w: makeWorld(root), dir };
  }
  return shared;
}

function caseSeed(i: number): number {
  return (SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
}

function runCase(dir: string, c: Case, i: number): Verdict {
  writeFiles(dir, c.files);
  // Every strategy in turn; the buffer-pool snapshot at close (a walk of every tree) every 4th case, for time.
  const v = judge(dir, c.ref.states, c.tailLoss, {
    ...FUZZ_OPEN, strategy: STRATEGIES[i % STRATEGIES.length] as (typeof STRATEGIES)[number], snapshotOnClose: i % 4 === 0,
  });
  if (v.bug === null && c.mustOpen && v.outcome !== 'ok') return { ...v, bug: `must open with every row intact, got ${v.outcome}` };
  return v;
}

t.comment(`seed ${SEED}, ${CASES} cases (replay: REMAPDB_SEED=${SEED} REMAPDB_FUZZ_CASES=${CASES}; one case: REMAPDB_FUZZ_ONLY=<case>)`);

t.test('the undamaged references open with every row', async (t) => {
  const { w, dir } = world();
  for (const ref of [w.refs.clean, w.refs.wal, w.other.clean, w.other.wal]) {
    writeFiles(dir, ref.files);
    t.same(judge(dir, ref.states, false, FUZZ_OPEN), { outcome: 'ok', bug: null }, `${ref.name}: ${ref.pageCount} pages, ${ref.walRecords.length} WAL records`);
  }
  t.ok(w.refs.wal.walRecords.length > 10 && w.refs.clean.walRecords.length === 0, 'the wal variant has commits in its WAL, the clean one none');
  const p = w.refs.clean.pages;
  t.ok(p.leaf.length > 0 && p.internal.length > 0 && p.overflow.length > 0 && p.free.length > 0, 'every page type is there to damage');
});

/** Both superblock copies of a page file are intact and equal (a checkpoint wrote page 0 back from the pool). */
function superblockCopiesIntact(data: Uint8Array, pageSize: number): boolean {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const a = data.subarray(0, 124);
  const b = data.subarray(pageSize / 2, pageSize / 2 + 124);
  return dv.getUint32(120, true) === crc32c(data, 0, 120) && a.every((x, i) => x === b[i]);
}

/** The WAL reference's data.rdb with its checkpoint LSN set to `lsn` in both copies, resealed (a wrong but valid superblock). */
function withCheckpointLsn(ref: Reference, lsn: number): Files {
  const data = fileOf(ref.files, DATA);
  const dv = new DataView(data.buffer);
  for (const c of [0, PS / 2]) {
    dv.setUint32(c + 24, lsn % 2 ** 32, true);
    dv.setUint32(c + 28, Math.floor(lsn / 2 ** 32), true);
    dv.setUint32(c + 120, crc32c(data, c, c + 120), true);
  }
  return withFile(ref.files, DATA, data);
}

// Every bug the fuzzer found, replayed as the exact damage that found it (the seeded run
// finds them again only while the generators stay as they are).
t.test('regressions: the damage that found each bug', async (t) => {
  const { root, w, dir } = world();
  const run = (c: Case): Verdict => runCase(dir, c, 0);

  // Found as silently wrong rows by REMAPDB_FUZZ_CASES=20000 at seed 20261201 (format 1):
  // 22 cases of an overflow page replaced by the other database's page of the same number
  // (it passed its checksum: the salt was not in it), and case 16846, a bit flipped in
  // leaf page 4, which the WAL then patched with a delta and the recovery checkpoint
  // resealed. Format 2: the foreign pages fail their checksum; the leaf's first change
  // after the checkpoint is a full image in the log, which replaces the damaged copy.
  const FORMAT1_WRONG_DATA = [2506, 2671, 3391, 5766, 6086, 6211, 6366, 9616, 9706, 9716, 9866, 10101, 10766, 11581, 11981, 12276,
    12906, 14721, 14781, 16846, 16976, 18031, 19186];
  if (SEED === 20261201) {
    for (const i of FORMAT1_WRONG_DATA) {
      const [target, gen] = TARGETS[i % TARGETS.length] as (typeof TARGETS)[number];
      const c = gen(new Prng(caseSeed(i)), w);
      const v = runCase(dir, c, i);
      // The generators must still make the damage each case made under format 1.
      if (i === 16846) t.equal(c.what, 'leaf page 4: body: flip bit 5 of byte 19682', `case ${i} is still the same damage`);
      else t.match(c.what, /^overflow page (18|21|25): replaced by the other database's page of the same number$/, `case ${i} is still the same damage`);
      const page = Number(/page (\d+):/.exec(c.what)?.[1]);
      const imaged = c.ref.walRecords.some((r) => r.type === 1 && r.pageId === page);
      t.equal(v.bug, null, `case ${i} [${target}] ${c.what} (${c.ref.name}): ${v.outcome}`);
      if (imaged) t.equal(v.outcome, 'ok', `case ${i}: the WAL images page ${page}, which replaces the bad copy: the rows as written`);
      else t.not(v.outcome, 'ok', `case ${i}: the foreign page is refused, not read`);
    }
  }

  // Found as a hang (seed 20261201, case 80): redo read the page count at copy A's offset
  // of page 0 as loaded — 2^28 + 35 pages from a damaged copy A — and a checkpoint would
  // have resealed the damage into both copies. Page 0 now enters the pool repaired.
  for (const ref of [w.refs.wal, w.refs.clean]) {
    const data = fileOf(ref.files, DATA);
    data[19] = (data[19] as number) ^ 0x10;
    t.same(run({ what: 'copy A page count', ref, files: withFile(ref.files, DATA, data), tailLoss: false, mustOpen: true }),
      { outcome: 'ok', bug: null }, `${ref.name}: copy A's page count + 2^28 is rescued by copy B`);
    t.ok(superblockCopiesIntact(new Uint8Array(fs.readFileSync(path.join(dir, DATA))), PS), `${ref.name}: and repaired on disk`);
  }
  // One damaged copy, any field, either copy: the other rescues it.
  let rescued = 0;
  let tried = 0;
  for (const ref of [w.refs.clean, w.refs.wal]) {
    for (const [, off, len] of SB_FIELDS) {
      for (const copy of [0, PS / 2]) {
        const data = fileOf(ref.files, DATA);
        data[copy + off + len - 1] = (data[copy + off + len - 1] as number) ^ 0x21;
        tried++;
        if (run({ what: 'one copy', ref, files: withFile(ref.files, DATA, data), tailLoss: false, mustOpen: true }).outcome === 'ok') rescued++;
      }
    }
  }
  t.equal(rescued, tried, `every field of either copy damaged alone is rescued by the other (${tried} cases)`);

  // Found by reading the code the hang led to: open() took the machine's page size from
  // copy A's bytes 12..15 alone, so damage there sent a 16 KiB database to a 4 KiB
  // machine and copy B could not rescue it (REMAPDB_CORRUPT).
  const big = path.join(root, 'big');
  const db = open(big, { pageSize: 16384, kernel: { ramBytes: 16 * 1024 * 1024 }, poolPages: 64, shadowPages: 32 });
  const tb = db.createTable<string>('t', { key: ['int'], value: 'string' });
  db.transaction(() => { for (let i = 0; i < 50; i++) tb.upsert(i, `v${i}`); })();
  db.close();
  for (const bad of [8192, 4096, 0xdead]) {
    const file = path.join(big, DATA);
    const data = new Uint8Array(fs.readFileSync(file));
    new DataView(data.buffer).setUint32(12, bad, true);
    fs.writeFileSync(file, data);
    const again = open(big, { kernel: { ramBytes: 16 * 1024 * 1024 }, poolPages: 64, shadowPages: 32 });
    t.same([again.options.pageSize, again.table<string>('t').get(49)], [16384, 'v49'], `16 KiB pages, copy A's page size ${bad}: copy B rescues it`);
    again.close();
  }

  // Found as a runaway scan (case 906: kv's leaf 27 from the other database linked back to
  // an earlier leaf), uncoded assertions (an overflow chain, the descent, a root's row
  // count) and a JSON SyntaxError (case 1451): every page replaced by the other database's
  // page of the same number now ends in REMAPDB_CORRUPT, a failed check or the rows.
  for (const ref of [w.refs.clean, w.refs.wal]) {
    const other = ref.name === 'clean' ? w.other.clean : w.other.wal;
    const bad: string[] = [];
    for (let page = 1; page < ref.pageCount; page++) {
      const data = fileOf(ref.files, DATA);
      data.set(fileOf(other.files, DATA).subarray(page * PS, page * PS + PS), page * PS);
      const v = run({ what: `page ${page}`, ref, files: withFile(ref.files, DATA, data), tailLoss: false, mustOpen: false });
      if (v.bug !== null) bad.push(`page ${page}: ${v.bug}`);
    }
    t.same(bad, [], `${ref.name}: each of ${ref.pageCount - 1} pages replaced by the other database's`);
  }

  // Found as silently lost commits (case 16065): a superblock resealed with its checkpoint
  // LSN moved into the WAL skipped the commits before it and applied the ones after.
  const wal = w.refs.wal;
  const base = new DataView(fileOf(wal.files, WAL_FILE).buffer).getUint32(24, true);
  const firstCommit = wal.walRecords.find((r) => r.type === 3) as { off: number; len: number };
  for (const [lsn, why] of [
    [base + 1, 'inside the first record'], [base + firstCommit.off + firstCommit.len - WAL_HEADER_BYTES - 1, 'just before the first commit ends'],
    [base + 0x7fff_ffff, 'past the end of the log'], [base - 1, 'before the log starts'],
  ] as const) {
    t.equal(run({ what: why, ref: wal, files: withCheckpointLsn(wal, lsn), tailLoss: false, mustOpen: false }).outcome,
      'open: REMAPDB_WAL_CORRUPT', `checkpoint LSN ${why}: refused`);
  }
  // The checkpoint LSN exactly at the end of a commit is a crash between a checkpoint's
  // superblock write and its WAL reset: the commits up to it are in the page file already.
  const atCommit = base + firstCommit.off + firstCommit.len - WAL_HEADER_BYTES;
  t.not(run({ what: 'at a commit', ref: wal, files: withCheckpointLsn(wal, atCommit), tailLoss: false, mustOpen: false }).outcome,
    'open: REMAPDB_WAL_CORRUPT', 'checkpoint LSN at the end of a commit: a legal state, opened');

  // A page file restored from an older copy under the current WAL: redo would apply the
  // newer log's deltas to pages that lack the changes before it.
  const later = path.join(root, 'later');
  fs.mkdirSync(later);
  writeFiles(later, wal.files);
  const db2 = open(later, { ...FUZZ_OPEN, checkpointBytes: 0 });
  db2.table('users').upsert(5000, { name: 'late', age: 5, tags: [] });
  db2.simulatePowerFailure();
  const newerWal = new Uint8Array(fs.readFileSync(path.join(later, WAL_FILE)));
  t.equal(run({ what: 'stale page file', ref: wal, files: withFile(wal.files, WAL_FILE, newerWal), tailLoss: false, mustOpen: false }).outcome,
    'open: REMAPDB_WAL_CORRUPT', 'a page file older than its WAL: refused');
});

t.test('seeded damage ends in a coded error or the rows as written', async (t) => {
  const { w, dir } = world();
  const tally = new Map<string, Map<string, number>>(TARGETS.map(([name]) => [name, new Map()]));
  const bugs: string[] = [];
  let slowest = 0;
  const t0 = performance.now();
  for (let i = 0; i < CASES; i++) {
    if (ONLY !== undefined && i !== ONLY) continue;
    const [target, gen] = TARGETS[i % TARGETS.length] as (typeof TARGETS)[number];
    const c = gen(new Prng(caseSeed(i)), w);
    if (TRACE) process.stderr.write(`case ${i} [${target}] ${c.what} (${c.ref.name}, ${STRATEGIES[i % STRATEGIES.length]}; files in ${dir})\n`);
    const c0 = performance.now();
    const v = runCase(dir, c, i);
    const ms = performance.now() - c0;
    slowest = Math.max(slowest, ms);
    if (ms > SLOW_CASE_MS) bugs.push(`case ${i} (${c.what}): took ${ms.toFixed(0)} ms`);
    const counts = tally.get(target) as Map<string, number>;
    counts.set(v.outcome, (counts.get(v.outcome) ?? 0) + 1);
    if (v.bug !== null) bugs.push(`case ${i} [${target}] ${c.what}: ${v.bug}`);
    if (ONLY !== undefined) t.comment(`case ${i}: ${c.what} → ${v.outcome}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const b of bugs.slice(0, 20)) t.fail(b);
  t.equal(bugs.length, 0, `no uncoded error, wrong data or hang in ${CASES} cases (REMAPDB_SEED=${SEED}; replay one with REMAPDB_FUZZ_ONLY=<case>)`);
  const lines = [`corrupt-input fuzzing: ${ONLY === undefined ? CASES : 1} cases in ${seconds.toFixed(1)} s (slowest ${slowest.toFixed(0)} ms), seed ${SEED}`];
  const all = new Map<string, number>();
  for (const [target, counts] of tally) {
    const n = [...counts.values()].reduce((a, b) => a + b, 0);
    const sorted = [...counts].sort((a, b) => b[1] - a[1]);
    lines.push(`  ${target.padEnd(10)} ${String(n).padStart(6)} cases: ${sorted.map(([o, k]) => `${o} ${k}`).join(' · ')}`);
    for (const [o, k] of counts) all.set(o, (all.get(o) ?? 0) + k);
  }
  lines.push(`  ${'all'.padEnd(10)} ${String(CASES).padStart(6)} cases: ${[...all].sort((a, b) => b[1] - a[1]).map(([o, k]) => `${o} ${k}`).join(' · ')}`);
  t.comment(lines.join('\n'));
});
