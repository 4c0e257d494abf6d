/**
 * YCSB-like ops on every engine at a tiny record count: load and checks; update changes
 * one field only; insert adds "user" + fnv(recordCount); scan returns keys in order
 * with the drawn length; rmw; reads throw naming key and field on a corrupt field; the
 * checks catch a corrupt field and a deleted row; achieved mix and scan lengths; and a
 * short run of two terminals per workload whose checks pass with the committed counts.
 *
 * Seeded: SEED below (printed); REMAPDB_SEED=<n> replays another.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import t from 'tap';

import { closeStore, DEFAULT_SPEC, ENGINE_KINDS, type EngineKind, openStore, type Store } from '../../../../bench/workloads/stores.js';
import {
  type BoundYcsb, IntegrityError, keyName, type RecordData, ValueBuilder, ycsb, type YcsbLetter, type YcsbParams,
} from '../../../../bench/workloads/ycsb/index.js';

// remapdb checks at every commit that pages changed only where the B+tree declared (storage/pager.ts).
process.env.REMAPDB_CHECK_WRITES = '1';

const SEED = (Number(process.env.REMAPDB_SEED ?? 0x1c5b) >>> 0);
t.comment(`seed ${SEED} (REMAPDB_SEED=${SEED} replays)`);

const RECORDS = 200;
const PARAMS: YcsbParams = ycsb.a.params({ recordCount: RECORDS });
const values = new ValueBuilder(PARAMS);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ycsb-test-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;

/** The tx type name of a step's return value. */
function txName(letter: YcsbLetter, index: number): string {
  const tx = ycsb[letter].txTypes[index];
  if (tx === undefined) throw new Error(`step returned ${index}: not a tx type of ycsb-${letter}`);
  return tx.name;
}

async function withLoaded(kind: EngineKind, letter: YcsbLetter, fn: (w: BoundYcsb, store: Store) => void): Promise<void> {
  const dir = path.join(tmp, `${kind}-${dirs++}`);
  const store = openStore(dir, { ...DEFAULT_SPEC, kind, sync: 'off', poolPages: 1024 }, true);
  try {
    const w = ycsb[letter].bind(store, PARAMS);
    w.load(() => {});
    fn(w, store);
  } finally {
    await closeStore(store);
  }
}

/** Field i of a record as a string, whatever the engine returned. */
function field(rec: RecordData, f: number): string {
  if (rec instanceof Uint8Array) return Buffer.from(rec.subarray(f * 100, f * 100 + 100)).toString('latin1');
  return rec[f] as string;
}

function failed(w: BoundYcsb, committed?: Record<string, number>): string[] {
  return w.check(committed).filter((c) => !c.ok).map((c) => c.id);
}

/** Write a record with field `f` wrong (or delete it), natively. */
function corrupt(store: Store, key: string, f: number | 'delete'): void {
  const rec = values.writeRecord(key, new Uint8Array(1000));
  if (f !== 'delete') rec[f * 100 + 10] = 0x21;
  switch (store.kind) {
    case 'remapdb': {
      const u = store.db.table<Uint8Array>('usertable');
      if (f === 'delete') u.delete(key);
      else u.update(key, rec);
      return;
    }
    case 'sqlite':
      if (f === 'delete') store.db.prepare('DELETE FROM usertable WHERE YCSB_KEY = ?').run(key);
      else store.db.prepare(`UPDATE usertable SET FIELD${f} = ? WHERE YCSB_KEY = ?`).run(Buffer.from(rec.subarray(f * 100, f * 100 + 100)).toString('latin1'), key);
      return;
    case 'lmdb': {
      const u = store.env.openDB<Buffer, Buffer>({ name: 'usertable', encoding: 'binary', keyEncoding: 'binary' });
      if (f === 'delete') u.removeSync(Buffer.from(key, 'latin1'));
      else u.putSync(Buffer.from(key, 'latin1'), Buffer.from(rec));
      return;
    }
  }
}

for (const kind of ENGINE_KINDS) {
  t.test(`${kind}: load, checks, every key readable`, async (t) => {
    await withLoaded(kind, 'a', (w) => {
      t.same(failed(w, { read: 0, update: 0 }), []);
      t.same(w.counters(), { rows: RECORDS });
      t.match(w.check().find((c) => c.id === 'ycsb-integrity')?.detail, `${RECORDS} records × 10 fields verified, 0 bad`);
      for (const k of [0, 1, RECORDS - 1]) t.equal(values.firstBadField(keyName(k), w.access.read(keyName(k)) as RecordData), -1);
      t.equal(w.access.read(keyName(RECORDS)), undefined);
    });
  });

  t.test(`${kind}: update changes one field only; rmw; insert adds user+fnv(recordCount)`, async (t) => {
    await withLoaded(kind, 'a', (w) => {
      const key = keyName(3);
      // Put a marker in field 4 so an update's rewrite is visible.
      const marker = new Uint8Array(100).fill(0x2a);
      w.access.transaction(() => w.access.updateField(key, 4, marker))();
      let rec = w.access.read(key) as RecordData;
      t.equal(field(rec, 4), '*'.repeat(100));
      t.equal(field(rec, 5), values.fieldString(key, 5));
      const restored = new Uint8Array(100);
      values.writeField(key, 4, restored, 0);
      w.access.transaction(() => w.access.updateField(key, 4, restored))();
      rec = w.access.read(key) as RecordData;
      t.equal(values.firstBadField(key, rec), -1);

      // A terminal's update: exactly the drawn field of the drawn key is rewritten (the same value).
      const [term] = w.terminals(1, SEED);
      if (term === undefined) throw new Error('no terminal');
      let updates = 0;
      for (let i = 0; i < 50 && updates < 5; i++) {
        if (txName('a', term.step()) !== 'update') continue;
        updates++;
        t.ok(term.last.field >= 0 && term.last.field < 10);
        t.equal(values.firstBadField(term.last.key, w.access.read(term.last.key) as RecordData), -1);
      }
      t.equal(updates, 5);
    });
    await withLoaded(kind, 'f', (w) => {
      const [term] = w.terminals(1, SEED);
      let rmw = 0;
      for (let i = 0; i < 40; i++) if (txName('f', term?.step() ?? -1) === 'rmw') rmw++;
      t.ok(rmw > 5, `${rmw} rmw ops`);
      t.same(failed(w, { read: 40 - rmw, rmw }), []);
    });
    await withLoaded(kind, 'd', (w) => {
      const [term] = w.terminals(1, SEED);
      if (term === undefined) throw new Error('no terminal');
      let inserted = -1;
      for (let i = 0; i < 200 && inserted < 0; i++) {
        if (txName('d', term.step()) === 'insert') inserted = term.last.keynum;
      }
      t.equal(inserted, RECORDS, 'the first insert takes keynum recordCount');
      t.equal(term.last.key, keyName(RECORDS));
      t.equal(w.counter.next, RECORDS + 1);
      t.equal(values.firstBadField(keyName(RECORDS), w.access.read(keyName(RECORDS)) as RecordData), -1);
      t.same(failed(w, { insert: 1 }), []);
      t.same(failed(w, { insert: 0 }), ['ycsb-rows']);
    });
  });

  t.test(`${kind}: scan returns keys in order with the drawn length; mix and lengths`, async (t) => {
    await withLoaded(kind, 'e', (w) => {
      const all: string[] = [];
      w.access.scanAll((k) => all.push(k));
      t.same(all, [...all].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), 'scanAll in bytewise key order');
      const got: string[] = [];
      const start = keyName(11);
      const n = w.access.scan(start, 7, (k, rec) => {
        got.push(k);
        t.equal(values.firstBadField(k, rec), -1);
      });
      const from = all.indexOf(start);
      t.equal(n, 7);
      t.same(got, all.slice(from, from + 7));
      const [term] = w.terminals(1, SEED);
      if (term === undefined) throw new Error('no terminal');
      const counts: Record<string, number> = { scan: 0, insert: 0 };
      let lengthsOk = true;
      let minLen = 100;
      let maxLen = 1;
      for (let i = 0; i < 400; i++) {
        const name = txName('e', term.step());
        counts[name] = (counts[name] ?? 0) + 1;
        if (name === 'insert') {
          all.length = 0;
          w.access.scanAll((k) => all.push(k));
        }
        if (name !== 'scan') continue;
        const { scanLength, scanned, key } = term.last;
        minLen = Math.min(minLen, scanLength);
        maxLen = Math.max(maxLen, scanLength);
        const left = all.length - all.indexOf(key);
        if (!(scanLength >= 1 && scanLength <= 100 && scanned === Math.min(scanLength, left))) lengthsOk = false;
      }
      t.ok(lengthsOk, 'every scan length in 1..100 and rows = min(length, rows from the start key)');
      t.ok(minLen <= 10 && maxLen >= 90, `lengths spread over 1..100 (${minLen}..${maxLen})`);
      t.ok(Math.abs((counts['scan'] as number) / 400 - 0.95) < 0.04, `scan share ${counts['scan']}/400`);
      t.same(failed(w, { scan: counts['scan'] as number, insert: counts['insert'] as number }), []);
    });
  });

  t.test(`${kind}: a corrupt field makes reads throw and the checks fail; a deleted row fails the count`, async (t) => {
    await withLoaded(kind, 'c', (w, store) => {
      const [term] = w.terminals(1, SEED);
      if (term === undefined) throw new Error('no terminal');
      term.step();
      const hot = term.last.key;
      corrupt(store, hot, 6);
      t.throws(() => { for (let i = 0; i < 10_000; i++) term.step(); }, new IntegrityError(hot, 6, 'read'));
      const bad = w.check().filter((c) => !c.ok);
      t.same(bad.map((c) => c.id), ['ycsb-integrity']);
      t.match(bad[0]?.detail, `1 bad; first: key ${hot} field6`);
      corrupt(store, hot, 'delete');
      t.same(failed(w, { read: 1 }), ['ycsb-rows']);
      t.same(failed(w), ['ycsb-rows'], 'fewer rows than recordCount fails without a committed count too');
    });
  });

  for (const letter of ['a', 'b', 'c', 'd', 'e', 'f'] as const) {
    t.test(`${kind} ycsb-${letter}: two terminals × 200 ops, checks pass with the committed counts`, async (t) => {
      await withLoaded(kind, letter, (w) => {
        const terms = w.terminals(2, SEED);
        const committed: Record<string, number> = {};
        for (const tx of ycsb[letter].txTypes) committed[tx.name] = 0;
        for (let i = 0; i < 200; i++) {
          for (const term of terms) {
            const name = txName(letter, term.step());
            committed[name] = (committed[name] ?? 0) + 1;
          }
        }
        for (const tx of ycsb[letter].txTypes) {
          const share = (committed[tx.name] as number) / 400;
          t.ok(Math.abs(share - tx.weight / 100) < 0.08, `${tx.name}: ${(share * 100).toFixed(1)} % vs ${tx.weight} %`);
        }
        t.same(failed(w, committed), []);
        t.equal(w.counters()['rows'], RECORDS + (committed['insert'] ?? 0));
      });
    });
  }
}
