/**
 * Database: one directory, opened by one process at a time.
 *
 *   <dir>/data.rdb     the page file (superblock at page 0, the schema tree's root at page 1)
 *   <dir>/wal.rdb      the write-ahead log (wal.ts)
 *   <dir>/meta.sqlite  the catalog mirror, statistics and buffer-pool snapshots (catalog.ts)
 *   <dir>/lock         the directory lock (lock.ts)
 *
 * The schema tree (a B+tree rooted at page 1) maps each table's and index's name to its
 * definition (JSON, with its root page). It lives in the page file, so creating or
 * dropping a table is one page-file transaction like any other and survives a crash
 * exactly as data does; meta.sqlite mirrors it and is reconciled with it on open.
 *
 * ## States
 *   closed ← close() ← open ⇄ in transaction (begin: transaction()/autocommit; commit or rollback)
 *   open → failed: a write or sync failed (WAL or data file); every later change throws
 *   REMAPDB_FAILED naming the first failure, reads still work; reopen to recover.
 *
 * ## Open (recovery)
 *   1. lock the directory; open the page file, creating it if it is missing or its
 *      creation was cut short (recovery.ts);
 *   2. read and validate the superblock (foreign file, newer format, page size, truncation);
 *   3. open the buffer pool, then the WAL, and redo every committed transaction whose
 *      commit LSN is past the superblock's checkpoint LSN (a torn tail is ignored); if
 *      anything was redone, checkpoint;
 *   4. a page file of an older format is upgraded in place (#upgradeFormat);
 *   5. open meta.sqlite and reconcile it with the schema tree.
 *
 * ## Checkpoint
 *   WAL synced → pool.flush (every change installed, sealed with its checksum, written,
 *   fsynced) → superblock's checkpoint LSN = WAL end, written and fsynced → WAL reset.
 *   A crash anywhere in between replays the WAL again (redo is idempotent, and each page
 *   it changes starts from its full image in the log, so torn pages are replaced: wal.ts).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  type BufferPool, BufferPoolError, openBufferPool, POOL_ERROR_CODES, type PolicyName, type StrategyName,
} from '../bufferpool/index.js';
import { BUS_OBJERR, BusError, type Kernel, KernelError, type Process, Prng } from '../sim-kernel/index.js';
import { BTree } from './btree/tree.js';
import { Catalog, type CatalogObject } from './catalog.js';
import { KEY_TYPES, type KeyType, VALUE_ENCODINGS, type ValueEncoding } from './codec.js';
import { DB_CODES, dbError, DbError } from './errors.js';
import {
  corruptPage, FORMAT_VERSION, LEGACY_CHECKSUM_SEED, PAGE_SIZES, pageChecksumSeed, putSuperField, putSuperVersion,
  repairSuperblock, SB, sealFilePage, verifyFilePage,
} from './file/format.js';
import { FULL_OWNER_WALK_PAGES, INSPECT_STATE_VERSION, type InspectState, OTHER_OWNER, slotColumns } from './introspect.js';
import { acquireDirLock, type DirLock } from './file/lock.js';
import { Pager } from './pager.js';
import { DATA_FILE, openPageFile, readPageFileSuperblock, redo, resealPageChecksums, WAL_FILE } from './file/recovery.js';
import { Index, type IndexDef, Table, type TableDef, type TableHost } from './table.js';
import { encodeKey } from './tuple.js';
import { type SyncMode, Wal } from './wal/wal.js';

export { DATA_FILE, WAL_FILE };
export const META_FILE = 'meta.sqlite';
export const SCHEMA_ROOT_PAGE = 1;
export const SYNC_MODES: readonly SyncMode[] = ['full', 'normal', 'off'];

export interface StorageOptions {
  /** Create the database if the directory has none (default true). */
  create?: boolean;
  /** Page size at creation: 4096 (default), 8192 or 16384; must equal the kernel's page size. */
  pageSize?: number;
  /** WAL durability, as SQLite's synchronous in WAL mode (default 'full'). */
  sync?: SyncMode;
  strategy?: StrategyName;
  policy?: PolicyName;
  /** Buffer-pool slots (default 4096 pages). */
  poolPages?: number;
  /** Pages a transaction may change, = the pool's shadow frames (default max(1024, poolPages / 4)). */
  shadowPages?: number;
  /** nonlinear strategy: mlock the window (default true). */
  mlock?: boolean;
  /**
   * WAL size in bytes that triggers an automatic checkpoint after a commit (0 = never).
   * Default: twice the pool's bytes, at least 64 MiB and at most 1 GiB — a page's first
   * change after a checkpoint is logged whole (wal.ts), so an interval shorter than the
   * images of the pages a workload keeps changing would log nearly every change whole.
   */
  checkpointBytes?: number;
  /** Verify page checksums when pages come in from the file (default true). */
  verifyChecksums?: boolean;
  /** Seed of the salts the WAL draws at each reset (default 1). */
  seed?: number;
  /**
   * Debugging aid (default false): at every commit, check that pages written through
   * declared byte ranges (pager.ts invariant 5) changed nowhere else — a page compare per
   * such page. The engine's tests turn it on.
   */
  checkDeclaredWrites?: boolean;
  /**
   * Store a buffer-pool snapshot in meta.sqlite at close (default true), for `remapdb
   * inspect DIR`. `remapdb check` turns it off so the snapshot stays the workload's.
   */
  snapshotOnClose?: boolean;
  /**
   * Wall-clock milliseconds for metadata timestamps only — a snapshot's takenAt, the
   * catalog's created_at (default Date.now). Engine logic runs on simulated time; tests
   * pass a fixed clock to make snapshots byte-for-byte reproducible.
   */
  now?: () => number;
}

export interface DatabaseStats {
  dir: string;
  pageSize: number;
  sync: SyncMode;
  pageCount: number;
  freePages: number;
  commits: number;
  rollbacks: number;
  checkpoints: number;
  recovered: { transactions: number; records: number; tornTailBytes: number };
  /** The page file's format was upgraded when this handle opened it (null: it was current). */
  upgraded: FormatUpgrade | null;
  tables: Record<string, number>;
  wal: ReturnType<Wal['stats']> & { sizeBytes: number; endLsn: number; durableLsn: number };
  pool: ReturnType<BufferPool['stats']>;
}

type Resolved = Required<StorageOptions>;

/** What opening a page file of an older format did to it (Database #upgradeFormat). */
export interface FormatUpgrade {
  from: number;
  to: number;
  /** Pages whose checksum was rewritten (salted). */
  resealed: number;
  /** Pages that passed neither checksum and were left as they were (they fail when read, as before). */
  damaged: number[];
}

/** The default checkpointBytes (StorageOptions): 2 × the pool's bytes, within [64 MiB, 1 GiB]. */
export function defaultCheckpointBytes(poolPages: number, pageSize: number): number {
  return Math.min(1024 * 1024 * 1024, Math.max(64 * 1024 * 1024, 2 * poolPages * pageSize));
}

/**
 * The pool's shadow frames are pinned anonymous pages taken when it opens, so they must fit
 * the machine's RAM. Beyond it the open would end in the kernel's ENOMEM partway through
 * building the pool (at the CLI's largest --pool-pages, after pinning a gigabyte of
 * simulated frames); this says which option and by how much. (A window larger than RAM
 * is allowed: its pages come and go, mlocked ones as they are faulted in.)
 */
function checkFitsRam(o: Resolved, ramBytes: number): void {
  const ramPages = Math.floor(ramBytes / o.pageSize);
  if (o.shadowPages <= ramPages) return;
  const mib = (pages: number): string => `${((pages * o.pageSize) / 2 ** 20).toFixed(0)} MiB`;
  throw dbError(DB_CODES.INVALID, `option shadowPages = ${o.shadowPages} (${mib(o.shadowPages)} of pinned shadow frames) is more than ` +
    `the machine's RAM (${ramPages} pages, ${mib(ramPages)}): lower shadowPages (default a quarter of poolPages, ${o.poolPages}) ` +
    'or raise kernel.ramBytes', { poolPages: o.poolPages, shadowPages: o.shadowPages, ramPages });
}

function resolveOptions(o: StorageOptions, kernelPageSize: number): Resolved {
  const bad = (key: string, value: unknown, allowed: string): never => {
    throw dbError(DB_CODES.INVALID, `option ${key} = ${JSON.stringify(value)} is invalid; allowed: ${allowed}`, { key, value, allowed });
  };
  const poolPages = o.poolPages ?? 4096;
  if (!Number.isInteger(poolPages) || poolPages < 16) bad('poolPages', poolPages, 'an integer >= 16');
  const shadowPages = o.shadowPages ?? Math.max(1024, Math.floor(poolPages / 4));
  if (!Number.isInteger(shadowPages) || shadowPages < 8) bad('shadowPages', shadowPages, 'an integer >= 8');
  const sync = o.sync ?? 'full';
  if (!SYNC_MODES.includes(sync)) bad('sync', sync, SYNC_MODES.join(' | '));
  const pageSize = o.pageSize ?? kernelPageSize;
  if (!(PAGE_SIZES as readonly number[]).includes(pageSize)) bad('pageSize', pageSize, PAGE_SIZES.join(' | '));
  if (pageSize !== kernelPageSize) {
    bad('pageSize', pageSize, `the kernel's page size ${kernelPageSize} (database pages are mapped 1:1 onto kernel pages)`);
  }
  const checkpointBytes = o.checkpointBytes ?? defaultCheckpointBytes(poolPages, pageSize);
  if (!Number.isInteger(checkpointBytes) || checkpointBytes < 0) bad('checkpointBytes', checkpointBytes, 'an integer >= 0');
  return {
    create: o.create ?? true,
    pageSize,
    sync,
    strategy: o.strategy ?? 'nonlinear',
    policy: o.policy ?? 'clock',
    poolPages,
    shadowPages,
    mlock: o.mlock ?? true,
    checkpointBytes,
    verifyChecksums: o.verifyChecksums ?? true,
    seed: o.seed ?? 1,
    checkDeclaredWrites: o.checkDeclaredWrites ?? false,
    snapshotOnClose: o.snapshotOnClose ?? true,
    now: o.now ?? Date.now,
  };
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** Handle a failed transaction function: the error, and whether the transaction is poisoned. */
interface Poison {
  error: Error;
  depth: number;
}

/**
 * An open database directory. Use `open()` from the package root to get one.
 *
 * @example
 * import { open } from 'remapdb';
 * const db = open('/tmp/bank', { sync: 'full', strategy: 'nonlinear', poolPages: 8192 });
 * const acct = db.tables().includes('acct') ? db.table<number>('acct') : db.createTable<number>('acct', { key: ['int'] });
 * db.transaction(() => { acct.upsert(1, 100); acct.upsert(2, 50); })();
 * console.log(db.stats().pool.hitRate, db.stats().wal.syncs);
 * db.checkpoint();
 * db.close();
 */
export class Database implements TableHost {
  readonly dir: string;
  readonly kernel: Kernel;
  readonly proc: Process;
  readonly options: Resolved;
  readonly pool: BufferPool;
  readonly wal: Wal;
  readonly catalog: Catalog;
  readonly #pager: Pager;
  readonly #lock: DirLock;
  readonly #fd: number;
  readonly #prng: Prng;
  readonly #schema: BTree;
  readonly #tables = new Map<string, Table>();
  readonly #onClose: (() => void) | undefined;
  readonly #closeHooks: (() => void)[] = [];
  #closed = false;
  #failed: Error | null = null;
  #poison: Poison | null = null;
  #txnId = 0;
  #commits = 0;
  #rollbacks = 0;
  #checkpoints = 0;
  #recovered = { transactions: 0, records: 0, tornTailBytes: 0 };
  #upgraded: FormatUpgrade | null = null;
  /** Page checksum seed (format.ts pageChecksumSeed of the salt). */
  readonly #seed: number;

  /**
   * Open (or create) the database in `dir` on process `proc` of `kernel`. Prefer
   * `open()` from the package root, which builds the simulated machine for you.
   * `onClose` runs after close() (e.g. to shut the machine down).
   */
  static open(kernel: Kernel, proc: Process, dir: string, options: StorageOptions = {}, onClose?: () => void): Database {
    const opts = resolveOptions(options, proc.pageSize);
    checkFitsRam(opts, kernel.config.ramBytes);
    fs.mkdirSync(dir, { recursive: true });
    const lock = acquireDirLock(dir);
    try {
      return new Database(kernel, proc, path.resolve(dir), opts, lock, onClose);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private constructor(kernel: Kernel, proc: Process, dir: string, opts: Resolved, lock: DirLock, onClose: (() => void) | undefined) {
    this.dir = dir;
    this.kernel = kernel;
    this.proc = proc;
    this.options = opts;
    this.#lock = lock;
    this.#onClose = onClose;
    this.#prng = new Prng(opts.seed);
    const dataPath = path.join(dir, DATA_FILE);
    const walPath = path.join(dir, WAL_FILE);
    this.#fd = openPageFile(proc, dir, opts);
    let pool: BufferPool | undefined;
    let wal: Wal | undefined;
    try {
      const sb = readPageFileSuperblock(proc, this.#fd, dataPath, opts.pageSize);
      const seed = pageChecksumSeed(sb.salt);
      this.#seed = seed;
      // A format 1 file's pages carry unsalted checksums until #upgradeFormat reseals them:
      // both are accepted until then. Pages are always sealed salted.
      let orSeed = sb.formatVersion < FORMAT_VERSION ? LEGACY_CHECKSUM_SEED : seed;
      // Checksums of pages loaded through the pool are checked from the end of recovery on
      // (redo verifies the pages it patches itself: recovery.ts).
      let pager: Pager | null = null;
      pool = openBufferPool(kernel, proc, this.#fd, {
        strategy: opts.strategy,
        slots: opts.poolPages,
        policy: opts.policy,
        shadowSlots: opts.shadowPages,
        mlock: opts.mlock,
        wal: { durableLsn: () => this.wal.durableLsn, flushLog: (lsn) => this.wal.flush(lsn) },
        onLoad: (pageId, bytes, off) => {
          // One damaged superblock copy is rescued by the other here, not only at open (format.ts).
          if (pageId === 0) repairSuperblock(bytes, off, opts.pageSize);
          else if (opts.verifyChecksums && pager !== null && pager.mustBeSealed(pageId)) verifyFilePage(bytes, off, opts.pageSize, pageId, seed, orSeed);
        },
        beforeWriteBack: (pageId, bytes, off, lsn) => sealFilePage(bytes, off, opts.pageSize, pageId, lsn, seed),
      }, sb.pageCount);
      this.pool = pool;
      wal = Wal.open(proc, walPath, { pageSize: opts.pageSize, sync: opts.sync, salt1: sb.salt },
        { baseLsn: sb.checkpointLsn, salt2: this.#prng.nextU32() });
      this.wal = wal;
      // A format 1 log may patch pages with deltas from their first change on (no full image
      // after a checkpoint), so their file copies cannot be verified before redo.
      const verify = opts.verifyChecksums && sb.formatVersion >= FORMAT_VERSION
        ? (pageId: number, bytes: Uint8Array, off: number) => verifyFilePage(bytes, off, opts.pageSize, pageId, seed) : null;
      const redone = redo(pool, wal, sb, verify);
      this.#recovered = redone.recovered;
      pager = new Pager(pool, wal, redone.superblock, opts.shadowPages, opts.checkDeclaredWrites);
      this.#pager = pager;
      if (this.#recovered.transactions > 0) this.checkpoint();
      if (sb.formatVersion < FORMAT_VERSION) {
        this.#upgradeFormat(sb.formatVersion);
        orSeed = seed;
      }
      if (pager.pageCount === 1) {
        // A new database (or one whose first transaction never committed): make the schema tree.
        this.#run(() => {
          const root = BTree.create(pager as Pager);
          if (root !== SCHEMA_ROOT_PAGE) throw new Error(`schema tree root is page ${root}, not ${SCHEMA_ROOT_PAGE}`);
        });
        this.checkpoint();
      }
      this.#schema = new BTree(pager, SCHEMA_ROOT_PAGE);
      this.catalog = Catalog.open(path.join(dir, META_FILE), { salt: sb.salt, pageSize: opts.pageSize, create: true, now: opts.now });
    } catch (err) {
      try {
        wal?.close();
      } catch { /* already failing */ }
      try {
        pool?.close();
      } catch { /* already failing */ }
      proc.close(this.#fd);
      throw err;
    }
    try {
      // Also when an upgrade's open crashed after its checkpoint, before this line.
      if (this.catalog.formatVersion() !== FORMAT_VERSION) this.catalog.setFormatVersion(FORMAT_VERSION);
      this.catalog.reconcile(this.#schemaObjects());
      this.#loadTables();
    } catch (err) {
      this.catalog.close();
      throw err;
    }
  }

  // ------------------------------------------------------------------ tables

  #schemaObjects(): CatalogObject[] {
    const out: CatalogObject[] = [];
    for (const [, v] of this.#schema.range({})) {
      const def = schemaDef(v, this.#pager.pageCount);
      const obj: CatalogObject = {
        name: def.name, kind: def.kind, tableName: def.kind === 'index' ? def.table : null, rootPage: def.root,
        definition: def as unknown as Record<string, unknown>, rowCount: 0,
      };
      out.push(obj);
    }
    for (const o of out) o.rowCount = new BTree(this.#pager, o.rootPage).count;
    return out;
  }

  #loadTables(): void {
    const defs = this.#schemaObjects().map((o) => o.definition as unknown as TableDef | IndexDef);
    this.#tables.clear();
    for (const d of defs) if (d.kind === 'table') this.#tables.set(d.name, new Table(this, d));
    for (const d of defs) {
      if (d.kind !== 'index') continue;
      const t = this.#tables.get(d.table);
      if (t === undefined) throw dbError(DB_CODES.CATALOG, `index "${d.name}" belongs to a missing table "${d.table}"`, { index: d.name });
      t.indexes.push(new Index(this, t, d));
    }
  }

  /**
   * Create a table. `key` is its key schema (default ['any']: one part of any type);
   * `value` its value encoding (default 'json'). Not allowed inside a transaction.
   */
  createTable<V = unknown>(name: string, opts: { key?: KeyType[]; value?: ValueEncoding } = {}): Table<V> {
    this.checkOpen();
    this.#checkName(name);
    if (this.#tables.has(name) || this.#indexNamed(name) !== undefined) {
      throw dbError(DB_CODES.EXISTS, `"${name}" already exists in ${this.dir}`, { name });
    }
    const key = opts.key ?? ['any'];
    if (!Array.isArray(key) || key.length === 0 || key.some((k) => !KEY_TYPES.includes(k))) {
      throw dbError(DB_CODES.INVALID, `key schema ${JSON.stringify(key)} is invalid: a non-empty list of ${KEY_TYPES.join(', ')}`,
        { key });
    }
    const value = opts.value ?? 'json';
    if (!VALUE_ENCODINGS.includes(value)) {
      throw dbError(DB_CODES.INVALID, `value encoding ${JSON.stringify(value)} is invalid; allowed: ${VALUE_ENCODINGS.join(', ')}`,
        { value });
    }
    const def = this.#ddl(`create table "${name}"`, () => {
      const d: TableDef = { kind: 'table', name, root: BTree.create(this.#pager), key: [...key], value };
      this.#schema.put(encodeKey([name]), utf8.encode(JSON.stringify(d)), 'insert');
      return d;
    });
    const t = new Table<V>(this, def);
    this.#tables.set(name, t as Table);
    this.catalog.put({ name, kind: 'table', tableName: null, rootPage: def.root, definition: { ...def }, rowCount: 0 });
    return t;
  }

  /**
   * Create a secondary index on `table` over `fields`: property names for 'json' values,
   * column positions for 'tuple' values. Existing rows are indexed in the same transaction.
   */
  createIndex(table: string, name: string, opts: { fields: (string | number)[]; unique?: boolean }): Index {
    this.checkOpen();
    this.#checkName(name);
    const t = this.table(table);
    if (this.#tables.has(name) || this.#indexNamed(name) !== undefined) {
      throw dbError(DB_CODES.EXISTS, `"${name}" already exists in ${this.dir}`, { name });
    }
    if (t.valueEncoding !== 'json' && t.valueEncoding !== 'tuple') {
      throw dbError(DB_CODES.INVALID, `table "${table}" stores ${t.valueEncoding} values; indexes need 'json' or 'tuple' values`,
        { table });
    }
    const fields = opts.fields;
    const want = t.valueEncoding === 'json' ? 'string' : 'number';
    if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== want)) {
      throw dbError(DB_CODES.INVALID, `index fields ${JSON.stringify(fields)}: a non-empty list of ` +
        `${want === 'string' ? 'property names' : 'column positions'} for ${t.valueEncoding} values`, { fields });
    }
    let ix!: Index;
    let rows = 0;
    const def = this.#ddl(`create index "${name}"`, () => {
      const d: IndexDef = { kind: 'index', name, table, root: BTree.create(this.#pager), fields: [...fields], unique: opts.unique === true };
      this.#schema.put(encodeKey([name]), utf8.encode(JSON.stringify(d)), 'insert');
      ix = new Index(this, t, d);
      for (const row of t.range()) {
        const pk = t.encodeKey(row.key);
        const e = ix.entry(pk, row.value);
        ix.checkUnique(e, null);
        ix.add(e, pk);
        rows++;
      }
      return d;
    });
    // Nothing below may read a page: the index is committed and durable, and a read error
    // here (t.count did one) reported a failure for it and left the catalog mirror without
    // it (found by the fault sweep: multi-mmap, read #701 EIO).
    t.indexes.push(ix);
    this.catalog.put({ name, kind: 'index', tableName: table, rootPage: def.root, definition: { ...def }, rowCount: rows });
    return ix;
  }

  /** Drop a table and its indexes (their pages go to the free list). */
  dropTable(name: string): void {
    this.checkOpen();
    const t = this.table(name);
    this.#ddl(`drop table "${name}"`, () => {
      for (const ix of t.indexes) {
        ix.tree.destroy();
        this.#schema.delete(encodeKey([ix.name]));
      }
      t.tree.destroy();
      this.#schema.delete(encodeKey([name]));
    });
    this.#tables.delete(name);
    for (const ix of t.indexes) this.catalog.remove(ix.name);
    this.catalog.remove(name);
  }

  /** The table called `name`; REMAPDB_NO_SUCH_TABLE names the tables there are. */
  table<V = unknown>(name: string): Table<V> {
    this.checkOpen();
    const t = this.#tables.get(name);
    if (t === undefined) {
      throw dbError(DB_CODES.NO_TABLE, `no table "${name}" in ${this.dir}; tables: ${[...this.#tables.keys()].join(', ') || 'none'}`,
        { table: name });
    }
    return t as Table<V>;
  }

  /** Names of the tables. */
  tables(): string[] {
    this.checkOpen();
    return [...this.#tables.keys()].sort();
  }

  #indexNamed(name: string): Index | undefined {
    for (const t of this.#tables.values()) for (const ix of t.indexes) if (ix.name === name) return ix;
    return undefined;
  }

  #checkName(name: string): void {
    if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
      throw dbError(DB_CODES.INVALID, `name ${JSON.stringify(name)} must be a string of 1 to 128 characters`, { name });
    }
  }

  /** A schema change: its own transaction, made durable before the catalog mirror is told. */
  #ddl<T>(what: string, fn: () => T): T {
    if (this.#pager.inTransaction) {
      throw dbError(DB_CODES.TXN_STATE, `${what} inside a transaction: schema changes run on their own, outside transactions`);
    }
    const r = this.#run(fn);
    // Unconditionally: an automatic checkpoint after the commit may have failed (#commit
    // swallows it) and skipping the flush then acknowledged a schema change the log did
    // not hold at sync 'normal' (found by the fault sweep: test/storage/fault-sweep.test.ts).
    // A failed WAL throws REMAPDB_FAILED here; a healthy one makes the change durable.
    this.wal.flush(this.wal.endLsn, true);
    return r;
  }

  // ------------------------------------------------------------------ transactions

  /**
   * Wrap `fn` in a transaction, as better-sqlite3 does: calling the returned function
   * runs fn; it commits when fn returns and rolls back when fn throws. Called inside
   * another transaction it is a savepoint (its own changes roll back on throw). fn must
   * be synchronous.
   *
   * @example
   * const transfer = db.transaction((from: number, to: number, cents: number) => {
   *   const a = accounts.get(from) as { balance: number };
   *   accounts.update(from, { balance: a.balance - cents });
   *   const b = accounts.get(to) as { balance: number };
   *   accounts.update(to, { balance: b.balance + cents });
   * });
   * transfer(1, 2, 500);
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    if (typeof fn !== 'function') throw dbError(DB_CODES.INVALID, 'transaction() takes a function');
    return (...args: A): R => this.#run(() => fn(...args));
  }

  get inTransaction(): boolean {
    return !this.#closed && this.#pager.inTransaction;
  }

  #run<R>(fn: () => R): R {
    this.checkOpen();
    const pager = this.#pager;
    if (pager.inTransaction) {
      pager.savepoint();
      const depth = pager.savepointDepth;
      let r: R;
      try {
        r = fn();
        this.#checkResult(r);
      } catch (err) {
        pager.rollbackTo();
        if (this.#poison !== null && this.#poison.depth >= depth) this.#poison = null;
        throw err;
      }
      pager.release();
      return r;
    }
    this.#checkWritable();
    pager.begin(++this.#txnId);
    let r: R;
    try {
      r = fn();
      this.#checkResult(r);
      if (this.#poison !== null) {
        throw dbError(DB_CODES.TXN_STATE, `the transaction was aborted by an earlier error: ${this.#poison.error.message}`, {},
          this.#poison.error);
      }
    } catch (err) {
      this.#poison = null;
      pager.rollback();
      this.#rollbacks++;
      throw this.#translate(err);
    }
    this.#commit();
    return r;
  }

  #checkResult(r: unknown): void {
    if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
      throw dbError(DB_CODES.TXN_STATE, 'a transaction function returned a promise: transactions are synchronous ' +
        '(finish async work before, or after, the transaction)');
    }
  }

  #commit(): void {
    try {
      this.#pager.commit();
    } catch (err) {
      this.#rollbacks++;
      // The pool out of slots for page 0 (the superblock's fields) at commit is the
      // transaction's size, like running out while it ran: rolled back, the database sound.
      throw this.#fail(this.#translate(err), 'commit');
    }
    this.#commits++;
    const cb = this.options.checkpointBytes;
    if (cb > 0 && this.wal.sizeBytes >= cb) {
      // The transaction is committed: a failed automatic checkpoint must not make its
      // caller believe otherwise. The failure is sticky and the next change reports it.
      try {
        this.checkpoint();
      } catch { /* recorded in #failed by checkpoint() */ }
    }
  }

  /** @internal TableHost: a change in the open transaction, else autocommit. */
  write<T>(what: string, fn: () => T): T {
    if (!this.#pager.inTransaction) return this.#run(fn);
    if (this.#poison !== null) {
      throw dbError(DB_CODES.TXN_STATE, `${what}: the transaction was aborted by an earlier error: ${this.#poison.error.message}`, {},
        this.#poison.error);
    }
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof DbError) || !PRECHECK_CODES.has(err.code)) {
        this.#poison = { error: err as Error, depth: this.#pager.savepointDepth };
      }
      throw this.#translate(err);
    }
  }

  #translate(err: unknown): unknown {
    if (err instanceof BufferPoolError && err.code === POOL_ERROR_CODES.EXHAUSTED) {
      return dbError(DB_CODES.TXN_TOO_LARGE, `the transaction needs more buffer-pool pages than there are: ${err.message}`, {}, err);
    }
    return err;
  }

  // ------------------------------------------------------------------ checkpoint, stats, close

  /**
   * Upgrade an older page file in place, at open, after recovery (every page in the file is
   * then sealed and the WAL holds nothing past the checkpoint). 1 → 2: every page's checksum
   * is rewritten to bind the salt (format.ts pageChecksumSeed), the file fsynced, then the
   * superblock's version set to 2 by a checkpoint. A crash part-way is harmless: a rewrite
   * changes only the checksum field (bytes 4..7), so a torn write of the page leaves the
   * old checksum, the new one, or — torn inside the field, as the simulated device may
   * tear at any byte — the new one's low bytes over the old one's high bytes; all are
   * accepted (and resealed) until the superblock says 2. A page that passes none is left
   * as it is: it fails its check when read, as it did before.
   */
  #upgradeFormat(from: number): void {
    const ps = this.options.pageSize;
    let up: FormatUpgrade;
    try {
      up = { from, to: FORMAT_VERSION, ...resealPageChecksums(this.proc, this.#fd, ps, this.#pager.pageCount, this.#seed) };
      const t = this.pool.fix(0, 'exclusive');
      putSuperVersion(new DataView(this.pool.bytes.buffer, this.pool.bytes.byteOffset), this.pool.offset(t), ps, FORMAT_VERSION);
      this.pool.unfix(t, true);
    } catch (err) {
      throw this.#fail(err, `upgrade of the page file from format ${from} to ${FORMAT_VERSION}`);
    }
    this.checkpoint();
    this.#upgraded = up;
  }

  /** Write every committed change into the page file and empty the WAL. */
  checkpoint(): void {
    this.checkOpen();
    this.#checkWritable();
    if (this.#pager.inTransaction) throw dbError(DB_CODES.TXN_STATE, 'checkpoint inside a transaction');
    try {
      const wal = this.wal;
      wal.flush(wal.endLsn, true);
      this.pool.flush();
      const end = wal.endLsn;
      const t = this.pool.fix(0, 'exclusive');
      const off = this.pool.offset(t);
      putSuperField(new DataView(this.pool.bytes.buffer, this.pool.bytes.byteOffset), off, this.options.pageSize, SB.CHECKPOINT_LSN, end);
      // Sealed before it is installed: the kernel may write a mapped page 0 back before flush() would seal it (pager.ts).
      sealFilePage(this.pool.bytes, off, this.options.pageSize, 0, end, this.#seed);
      this.pool.unfix(t, true);
      this.pool.markLsn(0, end);
      this.pool.flush();
      wal.reset(end, this.#prng.nextU32());
      this.#pager.checkpointed();
    } catch (err) {
      throw this.#fail(err, 'checkpoint');
    }
    this.#checkpoints++;
    if (!this.#closed && this.catalog !== undefined) {
      this.catalog.setRowCounts(this.#rowCounts());
    }
  }

  #rowCounts(): [string, number][] {
    const out: [string, number][] = [];
    for (const t of this.#tables.values()) {
      out.push([t.name, t.tree.count]);
      for (const ix of t.indexes) out.push([ix.name, ix.tree.count]);
    }
    return out;
  }

  stats(): DatabaseStats {
    this.checkOpen();
    const tables: Record<string, number> = {};
    for (const t of this.#tables.values()) tables[t.name] = t.tree.count;
    return {
      dir: this.dir,
      pageSize: this.options.pageSize,
      sync: this.options.sync,
      pageCount: this.#pager.pageCount,
      freePages: this.#pager.freeCount,
      commits: this.#commits,
      rollbacks: this.#rollbacks,
      checkpoints: this.#checkpoints,
      recovered: { ...this.#recovered },
      upgraded: this.#upgraded === null ? null : { ...this.#upgraded, damaged: [...this.#upgraded.damaged] },
      tables,
      wal: { ...this.wal.stats(), sizeBytes: this.wal.sizeBytes, endLsn: this.wal.endLsn, durableLsn: this.wal.durableLsn },
      pool: this.pool.stats(),
    };
  }

  /**
   * The engine as `remapdb inspect` shows it (storage/introspect.ts): pool summary and
   * occupied slots with their owners, database counters, the simulated machine's views.
   * `owners: false` skips naming owners (a cheaper picture for views that do not show them).
   */
  inspectState(label = 'live', opts: { owners?: boolean } = {}): InspectState {
    this.checkOpen();
    const snap = this.pool.snapshot();
    const owners = opts.owners === false ? null : this.#ownerIndex();
    const stats = this.stats();
    const w = this.wal.stats();
    const cfg = this.kernel.config;
    return {
      version: INSPECT_STATE_VERSION, takenAt: this.options.now(), label, strategy: this.options.strategy, pid: process.pid,
      summary: { ...snap.summary, ...stats.pool },
      db: {
        dir: this.dir, pageSize: this.options.pageSize, sync: this.options.sync, pageCount: stats.pageCount, freePages: stats.freePages,
        commits: stats.commits, rollbacks: stats.rollbacks, checkpoints: stats.checkpoints, walBytes: this.wal.sizeBytes,
        walSyncs: w.syncs, tables: stats.tables,
      },
      slots: slotColumns(snap.slots, (id) => (owners === null ? '' : owners.get(id) ?? (id === 0 ? 'superblock' : OTHER_OWNER))),
      kernel: {
        personality: cfg.personality, arch: cfg.arch, meminfo: this.kernel.meminfoFields(), vmstat: this.kernel.vmstatFields(),
        kernelMemory: this.kernel.kernelMemory(), kernelTime: this.kernel.kernelTime(), maps: this.proc.maps(), smaps: this.proc.smaps(),
        window: snap.window,
      },
    };
  }

  /**
   * Owner of each page: every tree's nodes; overflow pages too when the database is small.
   * A tree whose walk meets a damaged page (a coded error) names none of its pages: the
   * view of a damaged database is what one wants to inspect, and `remapdb check` reports
   * the damage.
   */
  #ownerIndex(): Map<number, string> {
    const m = new Map<number, string>();
    const full = this.#pager.pageCount <= FULL_OWNER_WALK_PAGES;
    const add = (tree: BTree, who: string): void => {
      let ids: number[];
      try {
        ids = full ? tree.pageIds() : tree.nodeIds();
      } catch (err) {
        if (typeof (err as { code?: unknown }).code !== 'string') throw err;
        return;
      }
      for (const id of ids) m.set(id, who);
    };
    add(this.#schema, 'schema');
    for (const t of this.#tables.values()) {
      add(t.tree, t.name);
      for (const ix of t.indexes) add(ix.tree, ix.name);
    }
    return m;
  }

  /** Store inspectState() in meta.sqlite as a snapshot for `remapdb inspect DIR`; returns its id. */
  saveSnapshot(label = 'manual'): number {
    const st = this.inspectState(label);
    const { summary, slots, ...rest } = st;
    return this.catalog.saveSnapshot({ label, strategy: st.strategy, summary, slots, kernel: rest });
  }

  /** Run `fn` once the database has closed (after the machine is shut down); e.g. an inspection server's close. */
  onClosed(fn: () => void): void {
    if (this.#closed) {
      fn();
      return;
    }
    this.#closeHooks.push(fn);
  }

  /**
   * Checkpoint, store a buffer-pool snapshot and row counts in meta.sqlite, release the
   * pool, the WAL and the lock. A transaction still open is rolled back. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    try {
      if (this.#pager.inTransaction) this.#pager.rollback();
      if (this.#failure() === null) {
        this.checkpoint();
        if (this.options.snapshotOnClose) this.saveSnapshot('close');
        const w = this.wal.stats();
        const p = this.pool.stats();
        this.catalog.putStats({
          commits: this.#commits, rollbacks: this.#rollbacks, checkpoints: this.#checkpoints, pageCount: this.#pager.pageCount,
          freePages: this.#pager.freeCount, walBytesWritten: w.bytesWritten, walSyncs: w.syncs, poolHits: p.hits,
          poolMisses: p.misses, poolEvictions: p.evictions, kernelNs: p.kernelNs,
        });
      }
    } finally {
      this.#closed = true;
      const steps: (() => void)[] = [
        () => (this.#failed === null ? this.pool.close() : undefined),
        () => this.wal.close(),
        () => this.proc.close(this.#fd),
        () => this.catalog.close(),
        () => this.#lock.release(),
        () => this.#onClose?.(),
        ...this.#closeHooks.splice(0),
      ];
      let first: unknown = null;
      for (const s of steps) {
        try {
          s();
        } catch (err) {
          first ??= err;
        }
      }
      if (first !== null && this.#failed === null) throw first;
    }
  }

  /**
   * Testing and simulation: the machine loses power now. Nothing more is written through
   * the simulated kernel (its page cache is lost with it); the lock and meta.sqlite are
   * released so the directory can be reopened — on a new machine — to run recovery.
   * `powerOff` is called instead of onClose (default: shut the kernel down without sync).
   */
  simulatePowerFailure(powerOff: () => void = () => this.kernel.shutdown({ sync: false })): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failed ??= new Error('power failure');
    for (const s of [powerOff, () => this.catalog.close(), () => this.#lock.release()]) {
      try {
        s();
      } catch { /* the machine is gone */ }
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The first failed write or sync, if any (the database then refuses changes). */
  get failed(): Error | null {
    return this.#failure();
  }

  /**
   * The first failure, the WAL's and the pool's included: they fail sticky on their own
   * when a write or sync fails under a transaction (the pool forcing the log for the WAL
   * rule, a schema change's WAL flush, a write-back at eviction), and the database must
   * then refuse changes as REMAPDB_FAILED and say so in `failed` (found by the fault
   * sweep: test/storage/fault-sweep.test.ts).
   */
  #failure(): Error | null {
    this.#failed ??= this.wal.failure ?? this.pool.failed;
    return this.#failed;
  }

  /** @internal TableHost */
  get io(): Pager {
    return this.#pager;
  }

  /** @internal TableHost */
  checkOpen(): void {
    if (this.#closed) throw dbError(DB_CODES.CLOSED, `the database ${this.dir} is closed`);
  }

  #checkWritable(): void {
    const failed = this.#failure();
    if (failed !== null) {
      throw dbError(DB_CODES.FAILED, `the database refuses changes after a failed write: ${failed.message}; close and ` +
        'reopen it (recovery redoes every committed transaction)', {}, failed);
    }
  }

  #fail(err: unknown, what: string): Error {
    if (err instanceof DbError && (err.code === DB_CODES.TXN_TOO_LARGE || err.code === DB_CODES.TXN_STATE)) return err;
    const e = err as Error;
    this.#failed ??= e;
    if (err instanceof DbError && err.code === DB_CODES.FAILED) return err;
    return dbError(DB_CODES.FAILED, `${what} failed; the database refuses changes until reopened: ${e.message}`, {}, e);
  }

  /**
   * Check every layer: the pager (free list), every tree (order, fill, links), the
   * catalog against the schema tree, free-page accounting (every page is the superblock,
   * in exactly one tree, or free), the buffer pool and the kernel. Throws on the first
   * failure, naming it (integrityReport() reports them all instead).
   */
  checkInvariants(): { pages: number; freePages: number; treePages: number } {
    const ioErrors = new Map<string, Error>();
    const report = this.#integrity({ checksums: false }, ioErrors);
    const bad = report.checks.find((c) => !c.ok);
    // A read that failed while checking breaks no invariant: it is thrown as the coded I/O error it is.
    if (bad !== undefined) throw ioErrors.get(bad.id) ?? new Error(`Database invariant: ${bad.id}: ${bad.detail}`);
    if (!this.#pager.inTransaction) this.pool.checkInvariants();
    this.kernel.checkInvariants();
    return { pages: this.#pager.pageCount, freePages: report.freePages, treePages: report.treePages };
  }

  /**
   * Every structural check, each reported rather than thrown (for `remapdb check`):
   * page checksums in the file (unless `checksums: false`), the free list, each tree's
   * invariants and an index's entry count against its table's rows, page accounting,
   * the catalog against the schema tree, and the WAL.
   */
  integrityReport(opts: { checksums?: boolean } = {}): { checks: IntegrityCheck[]; freePages: number; treePages: number } {
    return this.#integrity(opts, null);
  }

  /** integrityReport(); `ioErrors` collects, by check id, the I/O errors that failed checks. */
  #integrity(opts: { checksums?: boolean }, ioErrors: Map<string, Error> | null): ReturnType<Database['integrityReport']> {
    this.checkOpen();
    const checks: IntegrityCheck[] = [];
    const run = (id: string, fn: () => string): boolean => {
      try {
        checks.push({ id, ok: true, detail: fn() });
        return true;
      } catch (err) {
        if (ioErrors !== null && isIoError(err)) ioErrors.set(id, err as Error);
        checks.push({ id, ok: false, detail: err instanceof Error ? err.message : String(err) });
        return false;
      }
    };
    if (opts.checksums !== false) {
      run('page checksums', () => {
        const v = this.verifyFile();
        if (v.errors.length > 0) {
          throw new Error(`${v.errors.length} of ${v.pages} pages fail: ${v.errors.slice(0, 3).map((e) => `page ${e.page} ${e.code}: ${e.message}`).join('; ')}`);
        }
        return `${v.pages} pages read from the file and verified`;
      });
    }
    let freePages = 0;
    const freeOk = run('free list', () => {
      freePages = this.#pager.checkInvariants().freePages;
      return `${freePages} free pages, each once`;
    });
    const owner = new Map<number, string>();
    const claim = (ids: number[], who: string): void => {
      for (const id of ids) {
        const prev = owner.get(id);
        if (prev !== undefined) throw new Error(`page ${id} belongs to both ${prev} and ${who}`);
        owner.set(id, who);
      }
    };
    let treesOk = true;
    const tree = (id: string, t: BTree, extra?: () => void): void => {
      treesOk = run(id, () => {
        const st = t.checkInvariants();
        claim(t.pageIds(), id);
        extra?.();
        return `${st.rows} rows, depth ${st.depth}, ${st.pages} pages (${st.leaves} leaves, ${st.internals} internal, ${st.overflowPages} overflow)`;
      }) && treesOk;
    };
    tree('schema tree', this.#schema);
    for (const t of this.#tables.values()) {
      tree(`table ${t.name}`, t.tree);
      for (const ix of t.indexes) {
        tree(`index ${ix.name}`, ix.tree, () => {
          if (ix.tree.count !== t.tree.count) throw new Error(`index "${ix.name}" has ${ix.tree.count} entries, its table ${t.tree.count} rows`);
        });
      }
    }
    if (freeOk && treesOk) {
      run('page accounting', () => {
        const n = this.#pager.pageCount;
        if (1 + owner.size + freePages !== n) {
          throw new Error(`${n} pages = 1 superblock + ${owner.size} in trees + ${freePages} free? (${1 + owner.size + freePages}): ` +
            'pages leaked or double-counted');
        }
        return `${n} pages = 1 superblock + ${owner.size} in trees + ${freePages} free`;
      });
    }
    run('catalog', () => {
      this.catalog.checkInvariants();
      const truth = this.#schemaObjects();
      const mirror = new Map(this.catalog.list().map((o) => [o.name, o]));
      for (const o of truth) {
        const m = mirror.get(o.name);
        if (m === undefined || m.rootPage !== o.rootPage || m.kind !== o.kind) throw new Error(`catalog disagrees with the schema tree on "${o.name}"`);
        mirror.delete(o.name);
      }
      if (mirror.size > 0) throw new Error(`catalog has objects the schema tree does not: ${[...mirror.keys()].join(', ')}`);
      return `${truth.length} objects agree with the schema tree`;
    });
    run('WAL', () => {
      this.wal.checkInvariants();
      return `${this.wal.sizeBytes} bytes, end LSN ${this.wal.endLsn}, durable LSN ${this.wal.durableLsn}`;
    });
    return { checks, freePages, treePages: owner.size };
  }

  /** The pages of every tree, by owner (for `remapdb check`). */
  pageOwners(): Map<string, number[]> {
    this.checkOpen();
    const m = new Map<string, number[]>();
    m.set('schema', this.#schema.pageIds());
    for (const t of this.#tables.values()) {
      m.set(t.name, t.tree.pageIds());
      for (const ix of t.indexes) m.set(ix.name, ix.tree.pageIds());
    }
    return m;
  }

  /** Read and verify the checksum of every page as it is in the page file (bypassing the pool). */
  verifyFile(): { pages: number; errors: { page: number; code: string; message: string }[] } {
    this.checkOpen();
    const ps = this.options.pageSize;
    const buf = new Uint8Array(ps);
    const errors: { page: number; code: string; message: string }[] = [];
    for (let p = 0; p < this.#pager.pageCount; p++) {
      if (!this.#pager.mustBeSealed(p)) continue;
      this.proc.pread(this.#fd, buf, p * ps);
      try {
        verifyFilePage(buf, 0, ps, p, this.#seed);
      } catch (err) {
        errors.push({ page: p, code: (err as DbError).code, message: (err as Error).message });
      }
    }
    return { pages: this.#pager.pageCount, errors };
  }
}

export interface IntegrityCheck {
  id: string;
  ok: boolean;
  detail: string;
}

/** A failed read or write as the kernel or the pool reports it (coded), not a broken structure. */
function isIoError(err: unknown): boolean {
  return err instanceof KernelError || (err instanceof BusError && err.siCode === BUS_OBJERR) ||
    (err instanceof BufferPoolError && (err.code === POOL_ERROR_CODES.KERNEL || err.code === POOL_ERROR_CODES.FAILED));
}

/**
 * A schema-tree value as a definition. Its page passed its checksum, yet it may be
 * another database's page or damage redo resealed: anything but a well-formed definition
 * is REMAPDB_CORRUPT, never an assertion further on.
 */
function schemaDef(v: Uint8Array, pageCount: number): TableDef | IndexDef {
  let d: Partial<TableDef> & Partial<Omit<IndexDef, 'kind'>> & { kind?: unknown };
  try {
    d = JSON.parse(utf8d.decode(v)) as typeof d;
  } catch (err) {
    throw corruptPage(SCHEMA_ROOT_PAGE, `the schema tree holds a definition that is not JSON (${(err as Error).message})`);
  }
  const ok = typeof d === 'object' && d !== null && typeof d.name === 'string' && d.name.length > 0 &&
    Number.isSafeInteger(d.root) && (d.root as number) > SCHEMA_ROOT_PAGE && (d.root as number) < pageCount &&
    (d.kind === 'table' ? Array.isArray(d.key) && d.key.length > 0 && d.key.every((k) => KEY_TYPES.includes(k)) &&
      VALUE_ENCODINGS.includes(d.value as ValueEncoding)
      : d.kind === 'index' && typeof d.table === 'string' && Array.isArray(d.fields) && typeof d.unique === 'boolean');
  if (!ok) throw corruptPage(SCHEMA_ROOT_PAGE, `the schema tree holds a malformed definition ${JSON.stringify(d).slice(0, 200)}`);
  return d as TableDef | IndexDef;
}

/** Errors a table operation raises before it changes anything: they do not abort the transaction. */
const PRECHECK_CODES = new Set<string>([
  DB_CODES.DUPLICATE, DB_CODES.NOT_FOUND, DB_CODES.UNIQUE, DB_CODES.KEY_TOO_LARGE, DB_CODES.VALUE_TOO_LARGE, DB_CODES.KEY_TYPE,
  DB_CODES.VALUE_TYPE,
]);

