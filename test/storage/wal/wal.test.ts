/**
 * The write-ahead log (storage/wal.ts) and its delta codec (storage/page-delta.ts):
 * round trips in every sync mode, deltas that apply back exactly, torn tails cut at
 * every byte, uncommitted and stale records ignored, foreign and damaged headers
 * refused, durableLsn per mode, sticky failures under injected I/O faults, and power
 * failures (the Kernel abandoned without sync, a fresh one on the same host files).
 * Seeded: REMAPDB_SEED replays a randomized test from the seed it prints.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import t, { type Test } from 'tap';

import { Kernel, KernelError, O_CREAT, O_RDWR, O_TRUNC, type Process, Prng } from '../../../sim-kernel/index.js';
import { crc32c } from '../../../storage/file/crc32c.js';
import { DB_CODES, DbError } from '../../../storage/errors.js';
import { applyDelta, checkDelta, DELTA_MERGE_GAP_BYTES, encodeDelta } from '../../../storage/wal/page-delta.js';
import {
  type RecordKind, type SyncMode, Wal, WAL_COMMIT_RECORD_BYTES, WAL_HEADER_BYTES, WAL_RECORD_HEADER_BYTES, type WalOptions,
} from '../../../storage/wal/wal.js';
import { WAL_DROP_BYTES } from '../../../storage/wal/log-buffer.js';

const PS = 4096;
const SALT1 = 0x5eed0001;
const SALT2 = 0x0000a11c;
/** A base LSN past 2^32, so both halves of the on-disk field matter. */
const BASE = 2 ** 33 + 17;
const MODES: readonly SyncMode[] = ['full', 'normal', 'off'];

function seedFromEnv(defaultSeed: number): number {
  const env = process.env['REMAPDB_SEED'];
  if (env === undefined || env === '') return defaultSeed;
  const n = Number(env);
  if (!Number.isInteger(n)) throw new Error(`REMAPDB_SEED must be an integer, got ${env}`);
  return n >>> 0;
}

// ---------------------------------------------------------------- machines

interface Env {
  dir: string;
  file: string;
  k: Kernel;
  p: Process;
}

/** The disk's volatile cache is modelled: powerFail() drops, keeps or tears unsynced host writes. */
function newKernel(): Kernel {
  return new Kernel({ ramBytes: 16 * 1024 * 1024, volatileDiskCache: true });
}

/** A kernel and process over a fresh host directory; the kernel is dropped (no sync) and the directory removed at the end. */
function env(t: Test): Env {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remapdb-wal-'));
  const k = newKernel();
  const e: Env = { dir, file: path.join(dir, 'wal.rdb'), k, p: k.spawn() };
  t.teardown(() => {
    try {
      e.k.shutdown({ sync: false });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  return e;
}

/** Power failure: the page cache is lost; a fresh machine boots on the same host files. */
function powerFail(e: Env, seed?: number): void {
  e.k.powerCut(seed);
  e.k = newKernel();
  e.p = e.k.spawn();
}

/** The program dies, the host lives: the simulated kernel (its page cache) is lost, the host files keep what reached them. */
function crash(e: Env): void {
  e.k.shutdown({ sync: false });
  e.k = newKernel();
  e.p = e.k.spawn();
}

/** Orderly shutdown (sync) and a fresh machine. */
function reboot(e: Env): void {
  e.k.shutdown({ sync: true });
  e.k = newKernel();
  e.p = e.k.spawn();
}

function open(e: Env, sync: SyncMode, over: Partial<WalOptions> = {}, create = { baseLsn: BASE, salt2: SALT2 }): Wal {
  return Wal.open(e.p, e.file, { pageSize: PS, sync, salt1: SALT1, ...over }, create);
}

function fsyncs(e: Env): number {
  return e.k.vmstatFields()['nr_fsyncs'] as number;
}

/** The file's bytes as the simulated process sees them. */
function readFile(e: Env): Uint8Array {
  const fd = e.p.open(e.file, O_RDWR);
  const out = new Uint8Array(e.p.fstat(fd).size);
  e.p.pread(fd, out, 0);
  e.p.close(fd);
  return out;
}

/** Replace the file's contents (through the simulated page cache). */
function writeFile(e: Env, bytes: Uint8Array): void {
  const fd = e.p.open(e.file, O_RDWR | O_CREAT | O_TRUNC, 0o644);
  if (bytes.length > 0) e.p.pwrite(fd, bytes, 0);
  e.p.close(fd);
}

function code(err: unknown): string {
  return err instanceof DbError ? err.code : err === null ? 'no error' : `not a DbError: ${String(err)}`;
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return null;
}

// ---------------------------------------------------------------- transactions: a model

interface Rec {
  pageId: number;
  kind: RecordKind;
  /** Page image before (deltas) and after. */
  before: Uint8Array;
  after: Uint8Array;
}

interface Txn {
  id: number;
  recs: Rec[];
  lsn: number;
}

function randomPage(rng: Prng): Uint8Array {
  const p = new Uint8Array(PS);
  for (let i = 0; i < PS; i += 4) {
    const w = rng.nextU32();
    p[i] = w & 0xff;
    p[i + 1] = (w >>> 8) & 0xff;
    p[i + 2] = (w >>> 16) & 0xff;
    p[i + 3] = w >>> 24;
  }
  return p;
}

/** A copy of page with a few small edits (the TPC-B shape: ~100 bytes changed). */
function edit(rng: Prng, page: Uint8Array, edits = rng.int(1, 4)): Uint8Array {
  const q = page.slice();
  for (let e = 0; e < edits; e++) {
    const len = rng.int(1, 40);
    const at = rng.int(0, PS - len);
    for (let i = at; i < at + len; i++) q[i] = (q[i] as number) ^ (1 + rng.int(0, 254));
  }
  return q;
}

/** Stage a random transaction (FPIs and deltas) in wal; returns its records. */
function stageRandom(rng: Prng, wal: Wal, maxRecs = 4): Rec[] {
  const recs: Rec[] = [];
  const n = rng.int(1, maxRecs);
  for (let r = 0; r < n; r++) {
    const pageId = rng.int(1, 2 ** 40);
    if (rng.next() < 0.3) {
      const after = randomPage(rng);
      wal.addFullPage(pageId, after, 0);
      recs.push({ pageId, kind: 'full', before: new Uint8Array(PS), after });
    } else {
      const before = randomPage(rng);
      const after = edit(rng, before);
      const bytes = wal.addPageDelta(pageId, before, 0, after, 0, 0);
      recs.push({ pageId, kind: bytes === PS ? 'full' : 'delta', before, after });
    }
  }
  return recs;
}

function commitRandom(rng: Prng, wal: Wal, id: number, maxRecs = 4): Txn {
  const recs = stageRandom(rng, wal, maxRecs);
  const lsn = wal.commit(id);
  wal.checkInvariants();
  return { id, recs, lsn };
}

interface Recovered {
  txns: { lsn: number; recs: { pageId: number; kind: RecordKind; payload: Uint8Array }[] }[];
  stats: ReturnType<Wal['recover']>;
}

function recover(wal: Wal): Recovered {
  const txns: Recovered['txns'] = [];
  const stats = wal.recover((pageId, kind, payload, off, len, commitLsn) => {
    let last = txns[txns.length - 1];
    if (last === undefined || last.lsn !== commitLsn) {
      last = { lsn: commitLsn, recs: [] };
      txns.push(last);
    }
    last.recs.push({ pageId, kind, payload: payload.slice(off, off + len) });
  });
  wal.checkInvariants();
  return { txns, stats };
}

/** Whether recovered transaction r is exactly model transaction m (LSN, pages, kinds, and applying gives the after-images). */
function sameTxn(r: Recovered['txns'][number], m: Txn): string | null {
  if (r.lsn !== m.lsn) return `commit LSN ${r.lsn}, expected ${m.lsn}`;
  if (r.recs.length !== m.recs.length) return `${r.recs.length} records, expected ${m.recs.length}`;
  for (let i = 0; i < m.recs.length; i++) {
    const a = r.recs[i];
    const b = m.recs[i];
    if (a === undefined || b === undefined) return 'missing record';
    if (a.pageId !== b.pageId || a.kind !== b.kind) return `record ${i}: page ${a.pageId} ${a.kind}, expected ${b.pageId} ${b.kind}`;
    const page = b.before.slice();
    Wal.applyRecord(a.kind, a.payload, 0, a.payload.length, page, 0, PS);
    if (Buffer.compare(page, b.after) !== 0) return `record ${i}: page ${a.pageId} does not apply back to its after-image`;
  }
  return null;
}

/** Asserts the recovered transactions are exactly model[0 .. n) for some n in [min, model.length]; returns n. */
function expectPrefix(t: Test, got: Recovered, model: readonly Txn[], min: number, msg: string): number {
  const n = got.txns.length;
  t.ok(n >= min && n <= model.length, `${msg}: ${n} transactions recovered, in [${min}, ${model.length}]`);
  for (let i = 0; i < Math.min(n, model.length); i++) {
    const problem = sameTxn(got.txns[i] as Recovered['txns'][number], model[i] as Txn);
    if (problem !== null) {
      t.fail(`${msg}: transaction ${i}: ${problem}`);
      return n;
    }
  }
  t.equal(got.stats.transactions, n, `${msg}: stats count the transactions`);
  t.equal(got.stats.lastCommitLsn, n === 0 ? BASE : (model[n - 1] as Txn).lsn, `${msg}: lastCommitLsn`);
  return n;
}

// ---------------------------------------------------------------- the delta codec

t.test('deltas: random edits apply back exactly', async (t) => {
  const seed = seedFromEnv(0xde17a);
  t.comment(`seed ${seed} (REMAPDB_SEED=${seed} replays)`);
  const rng = new Prng(seed);
  const out = new Uint8Array(PS + 64);
  const pages = new Uint8Array(4 * PS + 8);
  let cases = 0;
  const check = (name: string, before: Uint8Array, bo: number, after: Uint8Array, ao: number, from: number): void => {
    const n = encodeDelta(before, bo, after, ao, from, PS, out, 3, PS - 1);
    const page = before.slice(bo, bo + PS);
    if (n >= 0) {
      t.ok(checkDelta(out, 3, n, PS) || n === 0, `${name}: well-formed`);
      t.ok(applyDelta(out, 3, n, page, 0, PS), `${name}: applies`);
    } else {
      page.set(after.subarray(ao, ao + PS));
    }
    const want = after.slice(ao, ao + PS);
    if (from > 0) want.set(before.subarray(bo + 1, bo + from), 1); // the pager's header bytes are not diffed
    if (Buffer.compare(page, want) !== 0) t.fail(`${name}: the patched page differs from the after-image`);
    // Invariant 3: runs are separated by more than DELTA_MERGE_GAP_BYTES equal bytes (the
    // byte-0 run of from > 0 stands apart: the header bytes between are not diffed).
    let prevEnd = -1000;
    for (let p = 3; n > 0 && p < 3 + n;) {
      const at = (out[p] as number) | ((out[p + 1] as number) << 8);
      const len = (out[p + 2] as number) | ((out[p + 3] as number) << 8);
      if (at >= from && prevEnd > from && at - prevEnd <= DELTA_MERGE_GAP_BYTES) {
        t.fail(`${name}: runs at ${prevEnd} and ${at} should have merged`);
      }
      prevEnd = at + len;
      p += 4 + len;
    }
    cases++;
  };
  for (let round = 0; round < 300; round++) {
    const before = randomPage(rng);
    const after = edit(rng, before, rng.int(1, 12));
    const from = [0, 24, 1, 7][round % 4] as number;
    check(`round ${round} from ${from}`, before, 0, after, 0, from);
    // The same images at unaligned offsets (byte-compare path) and in one shared buffer.
    const bo = rng.int(0, 3);
    const ao = 2 * PS + rng.int(0, 3);
    pages.set(before, bo);
    pages.set(after, ao);
    check(`round ${round} unaligned ${bo}/${ao}`, pages, bo, pages, ao, from);
  }
  const base = randomPage(rng);
  const flip = (at: number[]): Uint8Array => {
    const q = base.slice();
    for (const i of at) q[i] = (q[i] as number) ^ 0xff;
    return q;
  };
  check('first byte', base, 0, flip([0]), 0, 0);
  check('first byte with from 24 (page type)', base, 0, flip([0]), 0, 24);
  check('last byte', base, 0, flip([PS - 1]), 0, 24);
  check('first and last', base, 0, flip([0, PS - 1]), 0, 0);
  check('byte at from', base, 0, flip([24]), 0, 24);
  check('header bytes 1..23 are not diffed', base, 0, flip([1, 5, 23]), 0, 24);
  const gap = flip([100, 105, 200, 206]);
  check('gaps of 4 and 5 equal bytes', base, 0, gap, 0, 0);
  t.equal(encodeDelta(base, 0, gap, 0, 0, PS, out, 0, PS - 1), 4 + 6 + 4 + 1 + 4 + 1, 'a 4-byte gap merges, a 5-byte gap splits');
  t.equal(encodeDelta(base, 0, base, 0, 0, PS, out, 0, PS - 1), 0, 'equal pages: an empty delta');
  const all = base.map((b) => b ^ 0x5a);
  t.equal(encodeDelta(base, 0, all, 0, 0, PS, out, 0, PS - 1), -1, 'an all-changed page does not fit a delta');
  check('all changed', base, 0, all, 0, 0);
  t.comment(`${cases} deltas checked`);
});

t.test('deltas: malformed payloads are refused without touching the page', async (t) => {
  const page = new Uint8Array(PS).fill(7);
  const bad = (name: string, bytes: number[]): void => {
    const p = Uint8Array.from(bytes);
    t.notOk(checkDelta(p, 0, p.length, PS), `${name}: refused`);
    t.notOk(applyDelta(p, 0, p.length, page, 0, PS), `${name}: not applied`);
    t.throws(() => Wal.applyRecord('delta', p, 0, p.length, page, 0, PS), { code: DB_CODES.WAL_CORRUPT }, `${name}: WAL_CORRUPT`);
  };
  bad('zero-length run', [0, 0, 0, 0]);
  bad('run past the page', [0xff, 0x0f, 2, 0, 1, 2]);
  bad('truncated run header', [1, 0, 1]);
  bad('run longer than the payload', [1, 0, 5, 0, 1]);
  bad('overlapping runs', [10, 0, 2, 0, 1, 1, 11, 0, 1, 0, 1]);
  t.ok(page.every((b) => b === 7), 'the page is untouched');
  t.throws(() => Wal.applyRecord('full', page, 0, 100, page, 0, PS), { code: DB_CODES.WAL_CORRUPT }, 'a short full image');
});

// ---------------------------------------------------------------- round trips

for (const mode of MODES) {
  t.test(`round trip in sync '${mode}': append, commit, close, reopen, recover`, async (t) => {
    const seed = seedFromEnv(0x7001 + MODES.indexOf(mode));
    t.comment(`seed ${seed}`);
    const rng = new Prng(seed);
    const e = env(t);
    // A small buffer: commits in 'normal'/'off' are written as it fills, and big transactions grow it.
    let wal = open(e, mode, { bufferBytes: 3 * PS });
    t.equal(wal.baseLsn, BASE, 'a new WAL starts at the given base LSN');
    t.equal(wal.endLsn, BASE, 'and is empty');
    t.equal(wal.sizeBytes, WAL_HEADER_BYTES, 'of one header block');
    const model: Txn[] = [];
    let lsn = BASE;
    for (let i = 0; i < 40; i++) {
      const txn = commitRandom(rng, wal, 1000 + i, i % 10 === 9 ? 6 : 4);
      let bytes = WAL_COMMIT_RECORD_BYTES;
      for (const r of txn.recs) bytes += WAL_RECORD_HEADER_BYTES + (r.kind === 'full' ? PS : 0);
      t.ok(txn.lsn > lsn && txn.lsn - lsn >= bytes, `txn ${i}: the LSN grows by at least its records`);
      t.equal(wal.endLsn, txn.lsn, `txn ${i}: endLsn is the commit LSN`);
      t.equal(wal.sizeBytes, WAL_HEADER_BYTES + txn.lsn - BASE, `txn ${i}: size follows the LSN`);
      lsn = txn.lsn;
      model.push(txn);
    }
    const st = wal.stats();
    t.equal(st.commits, 40, 'stats: commits');
    t.equal(st.fullPages + st.deltas, st.records, 'stats: records are images plus deltas');
    t.ok(st.deltas > 0 && st.fullPages > 0, 'both record kinds were logged');
    wal.close();
    wal.close(); // idempotent
    t.equal(code(caught(() => wal.commit(1))), DB_CODES.CLOSED, 'a closed WAL refuses commits');
    if (mode === 'off') reboot(e); // 'off' never syncs: an orderly shutdown writes the page cache back

    wal = open(e, mode, {}, { baseLsn: 1, salt2: 99 });
    t.equal(wal.baseLsn, BASE, 'reopening keeps the header (the create arguments are ignored)');
    t.equal(code(caught(() => wal.addFullPage(1, new Uint8Array(PS), 0))), DB_CODES.TXN_STATE, 'no appends before recover()');
    const got = recover(wal);
    expectPrefix(t, got, model, model.length, 'all transactions');
    t.equal(got.stats.records, st.records, 'every record');
    t.equal(got.stats.tornTailBytes, 0, 'no torn tail');
    t.equal(wal.endLsn, lsn, 'positioned after the last commit');
    // Appending after recovery continues the chain.
    const more = commitRandom(rng, wal, 2000);
    t.equal(code(caught(() => wal.recover(() => undefined))), DB_CODES.TXN_STATE, 'recover() only before appends');
    model.push(more);
    wal.close();
    if (mode === 'off') reboot(e);
    wal = open(e, mode);
    expectPrefix(t, recover(wal), model, model.length, 'after reopen and one more transaction');
    wal.close();
  });
}

t.test('abort drops staged records; empty commits log nothing', async (t) => {
  const rng = new Prng(11);
  const e = env(t);
  let wal = open(e, 'full');
  const model = [commitRandom(rng, wal, 1)];
  stageRandom(rng, wal);
  wal.abort();
  wal.checkInvariants();
  t.equal(wal.endLsn, (model[0] as Txn).lsn, 'abort leaves the log end');
  const before = fsyncs(e);
  t.equal(wal.commit(2), (model[0] as Txn).lsn, 'a commit with nothing staged returns endLsn');
  t.equal(fsyncs(e), before, 'and neither writes nor syncs');
  const page = randomPage(rng);
  t.equal(wal.addPageDelta(5, page, 0, page.slice(), 0, 24), 0, 'an unchanged page stages nothing');
  model.push(commitRandom(rng, wal, 3));
  wal.close();
  powerFail(e);
  wal = open(e, 'full');
  expectPrefix(t, recover(wal), model, 2, 'aborted records are not in the log');
  wal.close();
});

t.test('written-back log pages leave the page cache (posix_fadvise DONTNEED per MiB); recovery reads them from the file', async (t) => {
  for (const sync of ['full', 'normal'] as const) {
    const rng = new Prng(23);
    const e = env(t);
    let wal = open(e, sync);
    const model: Txn[] = [];
    for (let i = 0; i < 800; i++) model.push(commitRandom(rng, wal, 4 + i));
    const fd = e.p.open(e.file, O_RDWR, 0o600);
    const inode = e.p.file(fd, 'test').inode;
    const pages = Math.ceil(inode.size / PS);
    t.ok(pages > 2 * (WAL_DROP_BYTES / PS), `${sync}: the log is ${pages} pages long`);
    t.ok(inode.pages.size <= WAL_DROP_BYTES / PS + 16 + 1,
      `${sync}: at most a megabyte of it stays cached (${inode.pages.size} of ${pages} pages)`);
    e.p.close(fd);
    wal.close();
    crash(e); // the program dies: what recovery finds is what reached the host file
    wal = open(e, sync);
    expectPrefix(t, recover(wal), model, model.length, `${sync}: every transaction recovered from the file`);
    wal.close();
  }
});

t.test('recovery across read-window refills: transactions straddling windows, one larger than a window, a torn tail', async (t) => {
  const seed = seedFromEnv(4242);
  t.comment(`seed ${seed} (replay: REMAPDB_SEED=${seed})`);
  const rng = new Prng(seed);
  const e = env(t);
  let wal = open(e, 'normal');
  const model: Txn[] = [];
  // ~5 KiB a transaction: a few hundred KiB of them straddle the 256 KiB read windows.
  for (let i = 0; i < 120; i++) model.push(commitRandom(rng, wal, model.length + 1, 6));
  // 90 page images, ~370 KiB: larger than a window, so recovery stages it.
  const big: Rec[] = [];
  for (let i = 0; i < 90; i++) {
    const after = randomPage(rng);
    wal.addFullPage(5000 + i, after, 0);
    big.push({ pageId: 5000 + i, kind: 'full', before: new Uint8Array(PS), after });
  }
  model.push({ id: model.length + 1, recs: big, lsn: wal.commit(model.length + 1) });
  const bigEnd = WAL_HEADER_BYTES + (model.at(-1) as Txn).lsn - BASE;
  for (let i = 0; i < 60; i++) model.push(commitRandom(rng, wal, model.length + 1, 6));
  wal.close();
  t.ok(fs.statSync(e.file).size > 4 * 256 * 1024, 'the log spans several read windows', { bytes: fs.statSync(e.file).size });
  wal = open(e, 'normal');
  expectPrefix(t, recover(wal), model, model.length, 'every transaction, in order, exactly');
  wal.close();
  const small = open(e, 'normal', { maxTxnBytes: 64 * 1024 });
  t.match(caught(() => small.recover(() => undefined)),
    { code: DB_CODES.WAL_CORRUPT, message: /exceeds maxTxnBytes 65536: reopen with the maxTxnBytes it was written with/ },
    'reopened with a smaller maxTxnBytes, the large transaction is refused by name');
  small.close();
  // Torn inside the large transaction: everything before it, nothing of it.
  const bytes = readFile(e);
  writeFile(e, bytes.subarray(0, bigEnd - 200 * 1024));
  wal = open(e, 'normal');
  t.equal(expectPrefix(t, recover(wal), model, 120, 'torn inside the large transaction'), 120, 'everything before it, nothing of it');
  wal.close();
});

t.test('buffer growth and the transaction size limit', async (t) => {
  const rng = new Prng(12);
  const e = env(t);
  const minBuffer = 2 * (WAL_RECORD_HEADER_BYTES + PS) + WAL_COMMIT_RECORD_BYTES;
  // Room for 7 page images and a commit record, not for 8.
  let wal = open(e, 'normal', { bufferBytes: minBuffer, maxTxnBytes: 8 * (WAL_RECORD_HEADER_BYTES + PS) });
  const model: Txn[] = [];
  const recs: Rec[] = [];
  for (let i = 0; i < 6; i++) {
    const after = randomPage(rng);
    wal.addFullPage(i, after, 0);
    recs.push({ pageId: i, kind: 'full', before: new Uint8Array(PS), after });
  }
  model.push({ id: 1, recs, lsn: wal.commit(1) });
  wal.checkInvariants();
  t.pass('a transaction of 6 page images grows a 2-image buffer');
  for (let i = 0; i < 7; i++) wal.addFullPage(100 + i, randomPage(rng), 0);
  const err = caught(() => wal.addFullPage(200, randomPage(rng), 0));
  t.equal(code(err), DB_CODES.TXN_TOO_LARGE, 'the 8th image passes maxTxnBytes');
  t.match((err as Error).message, /maxTxnBytes 32896/, 'the message names the limit');
  wal.abort();
  model.push(commitRandom(rng, wal, 2));
  wal.close();
  wal = open(e, 'normal');
  expectPrefix(t, recover(wal), model, 2, 'the large transaction and the next');
  wal.close();
  t.equal(code(caught(() => open(e, 'full', { bufferBytes: 100 }))), DB_CODES.INVALID, 'a buffer below two images is refused');
  t.equal(code(caught(() => open(e, 'full', { pageSize: 1000 }))), DB_CODES.INVALID, 'a bad page size is refused');
});

// ---------------------------------------------------------------- torn and foreign logs

/** A WAL with three transactions (the last: an image and two deltas); returns its bytes and commit file offsets. */
function threeTxnLog(e: Env, rng: Prng): { bytes: Uint8Array; model: Txn[]; ends: number[] } {
  const wal = open(e, 'full');
  const model: Txn[] = [];
  model.push(commitRandom(rng, wal, 1, 2));
  model.push(commitRandom(rng, wal, 2, 2));
  const recs: Rec[] = [];
  const img = randomPage(rng);
  wal.addFullPage(7, img, 0);
  recs.push({ pageId: 7, kind: 'full', before: new Uint8Array(PS), after: img });
  for (const id of [8, 9]) {
    const before = randomPage(rng);
    const after = edit(rng, before, 2);
    wal.addPageDelta(id, before, 0, after, 0, 0);
    recs.push({ pageId: id, kind: 'delta', before, after });
  }
  model.push({ id: 3, recs, lsn: wal.commit(3) });
  wal.close();
  return { bytes: readFile(e), model, ends: model.map((m) => WAL_HEADER_BYTES + m.lsn - BASE) };
}

t.test('torn tail: a cut at every byte of the last transaction recovers the earlier ones', async (t) => {
  const rng = new Prng(seedFromEnv(21));
  const e = env(t);
  const { bytes, model, ends } = threeTxnLog(e, rng);
  const [, end2, end3] = ends as [number, number, number];
  t.equal(bytes.length, end3, 'the file ends at the last commit');
  let bad = 0;
  for (let cut = end2; cut <= end3; cut++) {
    writeFile(e, bytes.subarray(0, cut));
    const wal = open(e, 'full', { bufferBytes: 3 * PS });
    const got = recover(wal);
    const want = cut === end3 ? 3 : 2;
    if (got.txns.length !== want || got.stats.tornTailBytes !== (cut === end3 ? 0 : cut - end2) ||
      wal.endLsn !== (model[want - 1] as Txn).lsn) {
      t.fail(`cut at ${cut}: ${got.txns.length} transactions, torn tail ${got.stats.tornTailBytes}, end ${wal.endLsn}`);
      bad++;
    }
    if (cut % 509 === 0 || cut === end3 - 1) {
      // Appending after a torn tail cuts it and continues the chain from the last commit.
      const next = commitRandom(rng, wal, 50, 2);
      wal.close();
      const again = open(e, 'full');
      expectPrefix(t, recover(again), [...model.slice(0, want), next], want + 1, `cut at ${cut}, then one more commit`);
      t.equal(readFile(e).length, WAL_HEADER_BYTES + next.lsn - BASE, `cut at ${cut}: the torn tail is gone from the file`);
      again.close();
    } else {
      wal.close();
    }
  }
  t.equal(bad, 0, `${end3 - end2 + 1} cuts, each recovered exactly the complete transactions`);
});

t.test('uncommitted records, zeros and garbage after the end are ignored', async (t) => {
  const rng = new Prng(22);
  const e = env(t);
  const { bytes, model, ends } = threeTxnLog(e, rng);
  const end3 = ends[2] as number;
  const tails: [string, Uint8Array, number][] = [
    ['complete records without their commit record', bytes.subarray(0, end3 - WAL_COMMIT_RECORD_BYTES), 2],
    ['a zero-filled tail', concat(bytes, new Uint8Array(3 * PS)), 3],
    ['random garbage', concat(bytes, randomPage(rng)), 3],
    ['a record header claiming a huge payload', concat(bytes, Uint8Array.from([2, 0, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])), 3],
    ['an unknown record type', concat(bytes, Uint8Array.from([9, 0, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0])), 3],
    ['the commit record zeroed', concat(bytes.subarray(0, end3 - WAL_COMMIT_RECORD_BYTES), new Uint8Array(WAL_COMMIT_RECORD_BYTES)), 2],
    ['a repeated transaction (its checksums do not chain)', concat(bytes, bytes.subarray(ends[1] as number, end3)), 3],
  ];
  for (const [name, file, want] of tails) {
    writeFile(e, file);
    const wal = open(e, 'normal');
    const got = recover(wal);
    expectPrefix(t, got, model, want, name);
    t.equal(got.txns.length, want, `${name}: ${want} transactions`);
    t.equal(got.stats.tornTailBytes, file.length - (ends[want - 1] as number), `${name}: the rest is the torn tail`);
    wal.close();
  }
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

t.test('records of an earlier generation (stale salt2) are ignored after a reset', async (t) => {
  const rng = new Prng(23);
  const e = env(t);
  const { bytes: old } = threeTxnLog(e, rng);
  let wal = open(e, 'full');
  recover(wal);
  const newBase = wal.endLsn + 1000;
  wal.reset(newBase, 0xbeef);
  t.equal(wal.baseLsn, newBase, 'reset: new base');
  t.equal(wal.endLsn, newBase, 'reset: empty');
  t.equal(readFile(e).length, WAL_HEADER_BYTES, 'reset: the file is one header block');
  const fresh = commitRandom(rng, wal, 77, 1);
  wal.close();
  const now = readFile(e);
  // The new generation's records followed by the old one's (as if the reset had not cut them).
  writeFile(e, concat(now, old.subarray(now.length)));
  wal = open(e, 'full');
  let got = recover(wal);
  t.equal(got.txns.length, 1, 'only the new generation\'s transaction');
  t.equal(got.txns[0]?.lsn, fresh.lsn, 'at its LSN');
  t.equal(got.stats.tornTailBytes, old.length - now.length, 'the old records are a torn tail');
  wal.close();
  // The new header over the old records: nothing chains to it.
  writeFile(e, concat(now.subarray(0, WAL_HEADER_BYTES), old.subarray(WAL_HEADER_BYTES)));
  wal = open(e, 'full');
  got = recover(wal);
  t.equal(got.txns.length, 0, 'old records under a new header: none recovered');
  t.equal(got.stats.lastCommitLsn, newBase, 'lastCommitLsn is the base when nothing is recovered');
  t.equal(code(caught(() => wal.reset(newBase - 1, 1))), DB_CODES.INVALID, 'reset below endLsn is refused');
  wal.close();
});

t.test('headers: foreign, damaged, empty', async (t) => {
  const rng = new Prng(24);
  const e = env(t);
  const { bytes } = threeTxnLog(e, rng);
  let err = caught(() => open(e, 'full', { salt1: 0x12345678 }));
  t.equal(code(err), DB_CODES.WAL_CORRUPT, 'another salt1: WAL_CORRUPT');
  t.match((err as Error).message, /salt1 0x5eed0001 .* 0x12345678/, 'naming both salts');
  err = caught(() => open(e, 'full', { pageSize: 8192 }));
  t.equal(code(err), DB_CODES.WAL_CORRUPT, 'another page size: WAL_CORRUPT');
  t.match((err as Error).message, /4096-byte pages .* 8192-byte pages/, 'naming both sizes');
  const flipped = bytes.slice();
  flipped[20] = (flipped[20] as number) ^ 1;
  writeFile(e, flipped);
  t.match(caught(() => open(e, 'full')), { code: DB_CODES.WAL_CORRUPT, message: /header checksum/ }, 'a flipped header bit');
  const foreign = bytes.slice();
  foreign.set(new TextEncoder().encode('SQLite format 3\0'), 0);
  writeFile(e, foreign);
  err = caught(() => open(e, 'full'));
  t.equal(code(err), DB_CODES.WAL_CORRUPT, 'no magic: WAL_CORRUPT');
  t.match((err as Error).message, new RegExp(e.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'naming the file');
  const newer = bytes.slice();
  newer[8] = 2;
  new DataView(newer.buffer).setUint32(60, crc32c(newer, 0, 60), true);
  writeFile(e, newer);
  t.match(caught(() => open(e, 'full')), { code: DB_CODES.WAL_CORRUPT, message: /version 2/ }, 'a newer version');
  const zeroHeader = bytes.slice();
  zeroHeader.fill(0, 0, WAL_HEADER_BYTES);
  writeFile(e, zeroHeader);
  t.match(caught(() => open(e, 'full')), { code: DB_CODES.WAL_CORRUPT, message: /zeroed header but nonzero bytes at offset 4096/ },
    'a zeroed header over records');
  const empties: [string, Uint8Array][] = [
    ['an empty file', new Uint8Array(0)], ['a header cut short', bytes.subarray(0, 40)], ['all zeros', new Uint8Array(3 * PS)],
  ];
  for (const [name, file] of empties) {
    writeFile(e, file);
    const wal = open(e, 'full', {}, { baseLsn: 555, salt2: 6 });
    t.equal(wal.baseLsn, 555, `${name}: recreated with the create base LSN`);
    t.equal(recover(wal).txns.length, 0, `${name}: empty`);
    t.equal(readFile(e).length, WAL_HEADER_BYTES, `${name}: one header block on disk`);
    wal.close();
  }
});

t.test('a record with intact checksums but wrong contents is WAL_CORRUPT', async (t) => {
  const rng = new Prng(25);
  const e = env(t);
  const { bytes, ends } = threeTxnLog(e, rng);
  // Rewrite the first commit record's count and reseal it with the chained checksum.
  const at = (ends[0] as number) - WAL_COMMIT_RECORD_BYTES;
  const bad = bytes.slice(0, ends[0]);
  const dv = new DataView(bad.buffer);
  let prev = dv.getUint32(60, true);
  for (let p = WAL_HEADER_BYTES; p < at;) {
    const len = dv.getUint16(p + 2, true);
    prev = dv.getUint32(p + 12, true);
    p += WAL_RECORD_HEADER_BYTES + len;
  }
  dv.setUint32(at + 16, 99, true);
  dv.setUint32(at + 12, crc32c(bad, at + 16, at + 20, crc32c(bad, at, at + 12, prev)), true);
  writeFile(e, bad);
  const wal = open(e, 'full');
  t.match(caught(() => wal.recover(() => undefined)), { code: DB_CODES.WAL_CORRUPT, message: /counts 99 page records/ },
    'a commit counting records that are not there');
  wal.close();
});

// ---------------------------------------------------------------- durability per sync mode

t.test('durableLsn and fdatasync per sync mode', async (t) => {
  const rng = new Prng(31);
  t.test('full: every commit is synced', async (t) => {
    const e = env(t);
    const wal = open(e, 'full');
    for (let i = 0; i < 3; i++) {
      const n = fsyncs(e);
      const txn = commitRandom(rng, wal, i);
      t.equal(fsyncs(e), n + 1, `commit ${i}: one fdatasync`);
      t.equal(wal.durableLsn, txn.lsn, `commit ${i}: durable at its LSN`);
    }
    const n = fsyncs(e);
    wal.flush();
    wal.close();
    t.equal(fsyncs(e), n, 'flush and close have nothing left to sync');
    t.equal(wal.stats().syncs, 4, 'stats: the header and three commits');
  });
  t.test('normal: synced on flush and close only', async (t) => {
    const e = env(t);
    const wal = open(e, 'normal');
    const n0 = fsyncs(e);
    const a = commitRandom(rng, wal, 1);
    const b = commitRandom(rng, wal, 2);
    t.equal(fsyncs(e), n0, 'commits do not sync');
    t.equal(wal.durableLsn, BASE, 'nothing durable yet');
    t.ok(wal.stats().bytesWritten > WAL_HEADER_BYTES, 'commits are written at commit');
    t.equal(e.k.vmstatFields()['nr_sync_file_range'], 2, 'and handed to the host file: one sync_file_range each');
    wal.flush(a.lsn);
    t.equal(fsyncs(e), n0 + 1, 'flush(lsn): one fdatasync');
    t.ok(wal.durableLsn >= a.lsn, 'durable up to at least the LSN');
    t.equal(wal.durableLsn, b.lsn, '(all written commits)');
    wal.flush(a.lsn);
    wal.flush();
    t.equal(fsyncs(e), n0 + 1, 'flushing what is durable does nothing');
    t.equal(code(caught(() => wal.flush(b.lsn + 1))), DB_CODES.INVALID, 'flush beyond the end is refused');
    const c = commitRandom(rng, wal, 3);
    t.equal(wal.durableLsn, b.lsn, 'a new commit is not durable');
    wal.close();
    t.equal(fsyncs(e), n0 + 2, 'close syncs');
    powerFail(e);
    const again = open(e, 'normal');
    expectPrefix(t, recover(again), [a, b, c], 3, 'close made every commit durable');
    again.close();
  });
  for (const mode of ['normal', 'off'] as const) {
    t.test(`${mode}: a killed program loses no commit; a power cut keeps a prefix`, async (t) => {
      const e = env(t);
      let wal = open(e, mode);
      const model = [commitRandom(rng, wal, 1), commitRandom(rng, wal, 2), commitRandom(rng, wal, 3)];
      t.equal(e.k.unsyncedBytes > 0, true, 'the commits are on the host, not yet synced');
      crash(e);
      wal = open(e, mode);
      expectPrefix(t, recover(wal), model, 3, 'after a process crash every acknowledged commit');
      model.push(commitRandom(rng, wal, 4), commitRandom(rng, wal, 5));
      powerFail(e, 7);
      wal = open(e, mode);
      // The records of 1–3 were synced by nothing either ('normal' syncs on flush): a power cut may take any suffix.
      expectPrefix(t, recover(wal), model, 0, 'after a power cut a prefix');
      wal.close();
    });
  }
  t.test('off: nothing is waited for', async (t) => {
    const e = env(t);
    const wal = open(e, 'off');
    const n0 = fsyncs(e);
    const a = commitRandom(rng, wal, 1);
    t.equal(wal.durableLsn, a.lsn, 'durableLsn is endLsn');
    wal.flush();
    t.equal(fsyncs(e), n0, 'flush writes without fdatasync');
    t.ok(wal.stats().bytesWritten > WAL_HEADER_BYTES, 'but writes');
    wal.flush(undefined, true);
    t.equal(fsyncs(e), n0 + 1, 'flush(force) syncs');
    commitRandom(rng, wal, 2);
    wal.reset(wal.endLsn, 3);
    t.equal(fsyncs(e), n0 + 2, 'reset syncs even in off');
    commitRandom(rng, wal, 3);
    wal.close();
    t.equal(fsyncs(e), n0 + 2, 'close does not sync');
  });
});

// ---------------------------------------------------------------- failures

t.test('sticky failures', async (t) => {
  const cases: [string, 'write' | 'fsync', 'EIO' | 'ENOSPC' | 'torn'][] = [
    ['fdatasync EIO', 'fsync', 'EIO'], ['write-back EIO', 'write', 'EIO'], ['write-back ENOSPC', 'write', 'ENOSPC'],
    ['torn write-back', 'write', 'torn'],
  ];
  for (const [name, kind, outcome] of cases) {
    t.test(name, async (t) => {
      const rng = new Prng(41);
      const e = env(t);
      let wal = open(e, 'full');
      const a = commitRandom(rng, wal, 1);
      e.k.core.faults.failNth(kind, 1, outcome);
      const staged = stageRandom(rng, wal);
      const err = caught(() => wal.commit(2));
      const failed: Txn = { id: 2, recs: staged, lsn: wal.endLsn };
      t.equal(code(err), DB_CODES.FAILED, 'the commit throws FAILED');
      const cause = (err as Error).cause;
      t.ok(cause instanceof KernelError && cause.code === (outcome === 'ENOSPC' ? 'ENOSPC' : 'EIO'), 'caused by the kernel error');
      t.equal(wal.durableLsn, a.lsn, 'durableLsn stays at the last good sync');
      wal.abort();
      for (const [op, fn] of [
        ['addFullPage', () => wal.addFullPage(1, new Uint8Array(PS), 0)], ['commit', () => wal.commit(3)], ['flush', () => wal.flush()],
        ['reset', () => wal.reset(wal.endLsn, 1)],
      ] as [string, () => unknown][]) {
        const again = caught(fn);
        t.equal(code(again), DB_CODES.FAILED, `then ${op} throws FAILED`);
        t.equal((again as Error).cause, cause, `${op}: naming the original error`);
      }
      t.equal(wal.failure, cause, 'failure exposes the error');
      wal.close();
      powerFail(e);
      wal = open(e, 'full');
      const got = recover(wal);
      const n = expectPrefix(t, got, [a, failed], 1, 'after a power failure');
      // A failed fdatasync may still have written the pages (Linux reports write-back errors
      // at the next sync); a failed write-back never did.
      if (kind === 'write') t.equal(n, 1, 'the failed commit is not recovered');
      // The reopened WAL works again.
      const b = commitRandom(rng, wal, 5);
      wal.close();
      wal = open(e, 'full');
      expectPrefix(t, recover(wal), [...[a, failed].slice(0, n), b], n + 1, 'reopened, the WAL takes commits again');
      wal.close();
    });
  }
});

t.test('fault sweep: the n-th write or fdatasync fails, then power fails', async (t) => {
  const seed = seedFromEnv(42);
  t.comment(`seed ${seed}`);
  const outcomes: ['write' | 'fsync', 'EIO' | 'ENOSPC' | 'torn' | 'short'][] = [
    ['write', 'EIO'], ['write', 'ENOSPC'], ['write', 'torn'], ['write', 'short'], ['fsync', 'EIO'],
  ];
  let runs = 0;
  for (const [kind, outcome] of outcomes) {
    for (let nth = 1; nth <= 12; nth++) {
      const rng = new Prng(seed + nth);
      const e = env(t);
      let wal = open(e, 'full', { bufferBytes: 3 * PS });
      e.k.core.faults.failNth(kind, nth, outcome);
      const model: Txn[] = [];
      let acked = 0;
      for (let i = 0; i < 8; i++) {
        const recs = stageRandom(rng, wal, 3);
        const txn: Txn = { id: i, recs, lsn: wal.endLsn };
        try {
          txn.lsn = wal.commit(i);
          model.push(txn);
          acked++;
        } catch (err) {
          if (code(err) !== DB_CODES.FAILED) throw err;
          // Its LSN: the end it would have had (the commit record was appended before the write).
          txn.lsn = wal.endLsn;
          model.push(txn);
          break;
        }
      }
      wal.close();
      powerFail(e);
      wal = open(e, 'full');
      const got = recover(wal);
      const n = expectPrefix(t, got, model, acked, `${kind} ${outcome} #${nth}`);
      if (outcome === 'short') t.equal(n, 8, `${kind} ${outcome} #${nth}: a short write is harmless`);
      wal.close();
      runs++;
    }
  }
  t.comment(`${runs} runs`);
});

// ---------------------------------------------------------------- power failures

t.test('power failure: full keeps every acknowledged commit', async (t) => {
  const seed = seedFromEnv(51);
  t.comment(`seed ${seed}`);
  const rng = new Prng(seed);
  const e = env(t);
  const model: Txn[] = [];
  for (let round = 0; round < 5; round++) {
    const wal = open(e, 'full');
    expectPrefix(t, recover(wal), model, model.length, `round ${round}: everything acknowledged before`);
    const n = rng.int(1, 10);
    for (let i = 0; i < n; i++) model.push(commitRandom(rng, wal, model.length));
    stageRandom(rng, wal); // staged, never committed: must leave no trace
    powerFail(e); // no close
  }
});

for (const mode of ['normal', 'off'] as const) {
  t.test(`power failure in '${mode}': what was synced survives, never a partial transaction`, async (t) => {
    const seed = seedFromEnv(mode === 'normal' ? 61 : 62);
    t.comment(`seed ${seed}`);
    const rng = new Prng(seed);
    const e = env(t);
    let lost = 0;
    for (let round = 0; round < 12; round++) {
      e.file = path.join(e.dir, `wal-${round}.rdb`); // a new WAL (base BASE) each round
      const wal = open(e, mode, { bufferBytes: 3 * PS });
      const got = recover(wal);
      t.equal(got.txns.length, 0, `round ${round}: starts empty`);
      const model: Txn[] = [];
      let synced = 0;
      const n = rng.int(5, 30);
      for (let i = 0; i < n; i++) {
        model.push(commitRandom(rng, wal, i));
        const dice = rng.next();
        if (dice < 0.1) {
          wal.flush(undefined, true);
          synced = model.length;
        } else if (dice < 0.15) {
          // pdflush: dirty WAL pages reach the disk in the background (possibly mid-transaction).
          e.k.advance(40e9);
        }
      }
      powerFail(e);
      const again = open(e, mode);
      const r = recover(again);
      const kept = expectPrefix(t, r, model, synced, `round ${round}`);
      lost += model.length - kept;
      // Start the next round from an empty log.
      again.reset(again.endLsn + 1, round);
      again.close();
      powerFail(e);
      const check = open(e, mode);
      t.equal(recover(check).txns.length, 0, `round ${round}: the reset is durable`);
      check.close();
    }
    t.comment(`${lost} unsynced transactions lost across 12 power failures`);
  });
}

t.test('a reset cut short by a power failure leaves an empty WAL', async (t) => {
  for (const outcome of ['EIO', 'torn'] as const) {
    const rng = new Prng(71);
    const e = env(t);
    const wal = open(e, 'full');
    commitRandom(rng, wal, 1);
    e.k.core.faults.failNth('write', 1, outcome);
    t.equal(code(caught(() => wal.reset(wal.endLsn + 10, 9))), DB_CODES.FAILED, `${outcome}: the reset fails`);
    wal.close();
    powerFail(e);
    const again = open(e, 'full', {}, { baseLsn: 12345, salt2: 1 });
    const got = recover(again);
    t.equal(got.txns.length, 0, `${outcome}: no transaction survives the reset`);
    t.ok(again.baseLsn === 12345 || again.baseLsn > BASE, `${outcome}: recreated from the create base, or the new header made it`);
    again.close();
  }
});

t.test('argument and state errors carry stable codes', async (t) => {
  const rng = new Prng(81);
  const e = env(t);
  const bad = (name: string, want: string, fn: () => unknown): void => {
    t.equal(code(caught(fn)), want, `${name}: ${want}`);
  };
  bad('sync mode', DB_CODES.INVALID, () => open(e, 'always' as SyncMode));
  bad('salt1', DB_CODES.INVALID, () => open(e, 'full', { salt1: -1 }));
  bad('maxTxnBytes', DB_CODES.INVALID, () => open(e, 'full', { maxTxnBytes: 2 ** 31 }));
  bad('create base LSN', DB_CODES.INVALID, () => open(e, 'full', {}, { baseLsn: -5, salt2: 1 }));
  bad('create salt2', DB_CODES.INVALID, () => open(e, 'full', {}, { baseLsn: 0, salt2: 2 ** 32 }));
  threeTxnLog(e, rng);
  let wal = open(e, 'full');
  bad('reset before recover()', DB_CODES.TXN_STATE, () => wal.reset(BASE + 10 ** 6, 1));
  recover(wal);
  const page = randomPage(rng);
  bad('page id', DB_CODES.INVALID, () => wal.addFullPage(-1, page, 0));
  bad('delta range', DB_CODES.INVALID, () => wal.addPageDelta(1, page, 0, page, 0, PS + 1));
  bad('transaction id', DB_CODES.INVALID, () => wal.commit(1.5));
  const all = page.map((b) => b ^ 1);
  t.equal(wal.addPageDelta(3, page, 0, all, 0, 0), PS, 'an all-changed page is logged as a full image');
  bad('reset while staged', DB_CODES.TXN_STATE, () => wal.reset(wal.endLsn, 1));
  const lsn = wal.commit(4);
  t.equal(wal.stats().fullPages, 1, 'counted as a full image');
  wal.close();
  wal = open(e, 'full');
  const got = recover(wal);
  t.equal(got.txns[3]?.lsn, lsn, 'recovered at its commit LSN');
  t.equal(got.txns[3]?.recs[0]?.kind, 'full', 'as a full image');
  wal.close();
  // A log whose transaction is larger than this open's maxTxnBytes: say so rather than guess.
  e.p.unlink(e.file);
  wal = open(e, 'full');
  for (let i = 0; i < 3; i++) wal.addFullPage(i, page, 0);
  wal.commit(9);
  wal.close();
  const small = 2 * (WAL_RECORD_HEADER_BYTES + PS) + WAL_COMMIT_RECORD_BYTES;
  wal = open(e, 'full', { bufferBytes: small, maxTxnBytes: small });
  t.match(caught(() => wal.recover(() => undefined)), { code: DB_CODES.WAL_CORRUPT, message: /maxTxnBytes 8244/ },
    'a transaction beyond maxTxnBytes in the log');
  wal.close();
});

t.test('a delta with intact checksums but malformed runs is WAL_CORRUPT', async (t) => {
  const e = env(t);
  let wal = open(e, 'full');
  const before = new Uint8Array(PS);
  const after = before.slice();
  after[100] = 1;
  wal.addPageDelta(1, before, 0, after, 0, 0);
  wal.commit(1);
  wal.close();
  const bytes = readFile(e);
  const dv = new DataView(bytes.buffer);
  const at = WAL_HEADER_BYTES;
  t.equal(bytes[at], 2, 'the first record is a delta');
  dv.setUint16(at + 16, PS, true); // its run now ends past the page
  dv.setUint32(at + 12, crc32c(bytes, at + 16, at + 21, crc32c(bytes, at, at + 12, dv.getUint32(60, true))), true);
  writeFile(e, bytes.subarray(0, at + 21));
  wal = open(e, 'full');
  t.match(caught(() => wal.recover(() => undefined)), { code: DB_CODES.WAL_CORRUPT, message: /malformed runs/ }, 'refused');
  wal.close();
});
