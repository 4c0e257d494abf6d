/**
 * The inspector's state and views in-process: owners of resident pages agree with a full
 * walk of every tree (both the node-only walk of large databases and the full walk of
 * small ones), the snapshot stored at close reads back as the same views, filters and
 * their refusals, usage counts cover the pool, and the live server answers views.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';

import t from 'tap';

import { open } from '../../src/db.js';
import { serveInspection } from '../../src/inspect/serve.js';
import { inspectOnce } from '../../src/inspect/socket.js';
import { parseSlotFilter, slotsView, summaryView, usageView, view, ptesView } from '../../src/inspect/views.js';
import { asState, loadSnapshotState } from '../../src/inspect/index.js';
import type { Database } from '../../storage/index.js';
import { FULL_OWNER_WALK_PAGES, OTHER_OWNER } from '../../storage/index.js';
import { defaultSocketPath, ensureRuntimeDir, runtimeDir } from '../../src/inspect/paths.js';

function fill(db: Database, rows: number, bigValues: boolean): void {
  const a = db.createTable<Uint8Array>('alpha', { key: ['int'], value: 'bytes' });
  const b = db.createTable<{ n: number; s: string }>('beta', { key: ['int'] });
  db.createIndex('beta', 'beta_by_s', { fields: ['s'] });
  const value = new Uint8Array(bigValues ? 6000 : 40).fill(7);
  for (let from = 0; from < rows; from += 100) {
    db.transaction(() => {
      for (let i = from; i < Math.min(rows, from + 100); i++) {
        a.insert(i, value);
        b.insert(i, { n: i, s: `name-${i % 977}-${i}` });
      }
    })();
  }
}

function ownersByWalk(db: Database): Map<number, string> {
  const m = new Map<number, string>();
  for (const [who, ids] of db.pageOwners()) for (const id of ids) m.set(id, who);
  return m;
}

t.test('owners of resident pages agree with a full walk; snapshot views equal live ones', async (t) => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'rdb-views-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = open(dir, { poolPages: 512, sync: 'off' });
  fill(db, 3000, true);
  t.ok(db.stats().pageCount <= FULL_OWNER_WALK_PAGES, 'small enough for the full owner walk');
  const st = db.inspectState('test');
  const truth = ownersByWalk(db);
  let checked = 0;
  for (let i = 0; i < st.slots.count; i++) {
    const id = st.slots.pageId[i] as number;
    const want = truth.get(id) === 'schema' ? 'schema' : truth.get(id);
    if (want === undefined) continue;
    t.equal(st.slots.owner[i], want, `page ${id}`);
    checked++;
  }
  t.ok(checked > 100, `${checked} resident pages named`);
  t.ok(st.slots.owner.includes('beta_by_s'), 'index pages are named by the index');
  const noOwners = db.inspectState('test', { owners: false });
  t.ok(noOwners.slots.owner.every((o) => o === ''), 'owners: false names none');

  const sum = summaryView(st);
  t.equal(sum.innodb.POOL_SIZE, 512);
  t.equal(sum.buffercache.buffers_used + sum.buffercache.buffers_unused, 512);
  t.equal(usageView(st).reduce((a, u) => a + u.buffers, 0), 512, 'usage counts cover every buffer, free ones at 0');
  const pt = ptesView(st);
  t.equal(pt.mismatched, 0, "every window PTE names the slot's page");
  t.equal(pt.counts.present + pt.counts.file + pt.counts.swap + pt.counts.none, st.slots.count);

  const alpha = slotsView(st, { table: 'alpha', limit: 0 });
  t.ok(alpha.rows.length > 0 && alpha.rows.every((r) => r.owner === 'alpha'));
  const range = slotsView(st, { from: 10, to: 20, limit: 0 });
  t.ok(range.rows.every((r) => r.pageId >= 10 && r.pageId <= 20));
  t.ok(alpha.rows.every((r) => r.prot === 'rw'), 'without guard mode every resident window page is read-write');
  const limited = slotsView(st, { limit: 3 });
  t.equal(limited.rows.length, 3);
  t.equal(limited.matched, st.slots.count, 'matched counts past the limit');

  db.close();
  const snap = loadSnapshotState(dir);
  t.equal(snap.state.label, 'close');
  t.same(Object.keys(view(snap.state, 'summary') as object).sort(), Object.keys(sum).sort(), 'the snapshot gives the same summary shape');
  t.ok((view(snap.state, 'slots', { table: 'beta' }) as { rows: unknown[] }).rows.length > 0);
  t.match(view(snap.state, 'maps'), { vmaCount: Number, maps: /rw-s/ });
});

t.test('the PostgreSQL/InnoDB names are the views\' alone; version 1 states (names stored) read the same', async (t) => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'rdb-views-v1-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const strategy of ['nonlinear', 'pread'] as const) {
    const db = open(join(dir, strategy), { poolPages: 256, sync: 'off', strategy });
    fill(db, 1500, false);
    const st = db.inspectState('test');
    db.close();
    t.equal(st.version, 2);
    t.notOk('buffers_used' in st.summary || 'POOL_SIZE' in st.summary, `${strategy}: the engine's state carries raw counters only`);
    t.equal(st.copiesPages, strategy === 'pread', `${strategy}: copiesPages from the strategy`);
    // A state as remapdb stored it before version 2: the summary under the view's names.
    const m = st.summary;
    const { copiesPages: _dropped, ...rest } = st;
    const v1 = {
      ...rest, version: 1,
      summary: {
        buffers_used: m.usedSlots, buffers_unused: m.slotCount - m.usedSlots, buffers_dirty: m.dirtySlots, buffers_pinned: m.pinnedSlots,
        usagecount_avg: m.usedSlots === 0 ? 0 : m.usageCountSum / m.usedSlots, POOL_SIZE: m.slotCount, FREE_BUFFERS: m.slotCount - m.usedSlots,
        DATABASE_PAGES: m.usedSlots, MODIFIED_DATABASE_PAGES: m.dirtySlots, NUMBER_PAGES_READ: m.misses, NUMBER_PAGES_CREATED: m.createdPages,
        NUMBER_PAGES_WRITTEN: m.writebacks, NUMBER_PAGES_GET: m.fixes, HIT_RATE: m.fixes === 0 ? 0 : m.hits / m.fixes,
        ...(Object.fromEntries(Object.entries(m).filter(([k]) => !['slotCount', 'usedSlots', 'dirtySlots', 'pinnedSlots', 'usageCountSum', 'createdPages'].includes(k)))),
      },
    };
    const old = asState(JSON.parse(JSON.stringify(v1)), 'v1');
    const now = summaryView(st);
    const then = summaryView(old);
    t.same({ ...then.buffercache, usagecount_avg: 0 }, { ...now.buffercache, usagecount_avg: 0 }, `${strategy}: pg_buffercache names`);
    t.ok(Math.abs(then.buffercache.usagecount_avg - now.buffercache.usagecount_avg) < 1e-9, `${strategy}: usagecount_avg`);
    t.same(then.innodb, now.innodb, `${strategy}: InnoDB names`);
    t.same(then.io, now.io, `${strategy}: io`);
    t.same(usageView(old), usageView(st), `${strategy}: usage counts`);
    t.same(ptesView(old), ptesView(st), `${strategy}: PTE view (copiesPages from the v1 strategy name)`);
  }
});

t.test('guard mode: the slot and PTE views show each page\'s protection', async (t) => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'rdb-views-guard-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = open(dir, { poolPages: 256, sync: 'off', guard: true, kernel: { perPageProt: true } });
  fill(db, 800, false);
  const st = db.inspectState('test');
  const rows = slotsView(st, { limit: 0 }).rows;
  t.ok(rows.length > 0 && rows.every((r) => r.prot === 'none'), 'nothing fixed: every resident page is PROT_NONE');
  t.ok(ptesView(st).rows.every((r) => r.prot === 'none'), 'the PTE view says so too');
  t.equal(st.kernel.maps.trim().split('\n').length, 2, 'the window and the shadow region: one VMA each');
  db.close();
  const snap = loadSnapshotState(dir);
  t.ok((view(snap.state, 'slots', { limit: 0 }) as { rows: { prot: string }[] }).rows.every((r) => r.prot === 'none'),
    'the stored snapshot keeps the protections');
  // A snapshot stored before the field existed reads as '-'.
  const { prot: _p, ...old } = st.slots;
  t.ok(slotsView({ ...st, slots: old }, { limit: 0 }).rows.every((r) => r.prot === '-'), 'older snapshots: prot "-"');
});

t.test('a large database names nodes by the internal-node walk and the rest as overflow', async (t) => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'rdb-views-big-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = open(dir, { poolPages: 2048, sync: 'off' });
  // 6000-byte values overflow: ~2 pages per row pushes past FULL_OWNER_WALK_PAGES.
  fill(db, 9000, true);
  t.ok(db.stats().pageCount > FULL_OWNER_WALK_PAGES, `${db.stats().pageCount} pages: the node-only walk`);
  const st = db.inspectState('test');
  const truth = ownersByWalk(db);
  const nodes = new Set<number>();
  for (const [, ids] of db.pageOwners()) for (const id of ids) nodes.add(id);
  let named = 0;
  let other = 0;
  for (let i = 0; i < st.slots.count; i++) {
    const o = st.slots.owner[i] as string;
    if (o === OTHER_OWNER) {
      other++;
      continue;
    }
    named++;
    const id = st.slots.pageId[i] as number;
    t.equal(o, id === 0 ? 'superblock' : truth.get(id), `page ${id}`);
  }
  t.ok(named > 0 && other > 0, `${named} named nodes, ${other} overflow pages`);
  db.close();
});

t.test('slot filters refuse bad values, naming them', async (t) => {
  t.throws(() => parseSlotFilter({ dirty: 'yes' }), { code: 'REMAPDB_INSPECT_BAD_PARAMS', message: /dirty must be true or false/ });
  t.throws(() => parseSlotFilter({ limit: -1 }), { message: /limit must be an integer >= 0, got -1/ });
  t.throws(() => parseSlotFilter({ from: 9, to: 3 }), { message: /from 9 is after to 3/ });
  t.throws(() => parseSlotFilter({ table: '' }), { message: /table must be a name/ });
  t.throws(() => parseSlotFilter({ colour: 'red' }), { message: /unknown slot filter "colour"/ });
  t.same(parseSlotFilter({ dirty: true, from: 1, to: 2, table: 'x', limit: 0 }), { dirty: true, from: 1, to: 2, table: 'x', limit: 0 });
});

t.test('serveInspection answers views and closes with the database', async (t) => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'rdb-serve-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = open(join(dir, 'db'), { poolPages: 256, sync: 'off' });
  fill(db, 500, false);
  const sock = join(dir, 's.sock');
  await serveInspection(db, sock);
  const sum = await inspectOnce(sock, 'summary') as { label: string; innodb: { POOL_SIZE: number } };
  t.equal(sum.label, 'live');
  t.equal(sum.innodb.POOL_SIZE, 256);
  const slots = await inspectOnce(sock, 'slots', { table: 'beta', limit: 2 }) as { rows: { owner: string }[] };
  t.same(slots.rows.map((r) => r.owner), ['beta', 'beta']);
  await t.rejects(inspectOnce(sock, 'slots', { limit: 'x' }), { code: 'REMAPDB_INSPECT_BAD_PARAMS' });
  await t.rejects(inspectOnce(sock, 'format-disk'), { code: 'REMAPDB_INSPECT_UNKNOWN_METHOD' });
  const { id } = await inspectOnce(sock, 'snapshot', { label: 'asked' }) as { id: number };
  t.type(id, 'number');
  const state = await inspectOnce(sock, 'state', { owners: false }) as { version: number };
  t.equal(state.version, 2, 'inspection state version 2: raw counters');
  db.close();
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(fs.existsSync(sock), 'the socket is gone with the database');
  await t.rejects(inspectOnce(sock, 'summary'), { code: 'REMAPDB_INSPECT_NOT_RUNNING' });
});

t.test('default sockets live in a per-user 0700 directory', async (t) => {
  const root = fs.mkdtempSync(join(os.tmpdir(), 'rdb-rt-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  t.equal(runtimeDir({ XDG_RUNTIME_DIR: '/run/user/7' }), '/run/user/7/remapdb');
  t.match(runtimeDir({}), new RegExp(`remapdb-${os.userInfo().uid}$`));
  t.equal(defaultSocketPath('bench', { XDG_RUNTIME_DIR: root }), join(root, 'remapdb', 'bench.sock'));
  const dir = join(root, 'remapdb');
  ensureRuntimeDir(dir);
  t.equal(fs.statSync(dir).mode & 0o777, 0o700, 'created owner-only');
  fs.chmodSync(dir, 0o755);
  t.throws(() => ensureRuntimeDir(dir), { code: 'EACCES', message: /mode 755: others can reach sockets in it/ });
  fs.rmdirSync(dir);
  fs.writeFileSync(dir, '');
  t.throws(() => ensureRuntimeDir(dir), { code: /EEXIST|ENOTDIR/ });
});
