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
 *      commit LSN is past the superblock's checkpoint LSN (a torn tail is ignored)
 *      (steps 2–3: open-files.ts openFiles); if anything was redone, checkpoint;
 *   4. a page file of an older format is upgraded in place (checkpoint.ts upgradePageFile);
 *   5. open meta.sqlite and reconcile it with the schema tree.
 *
 * ## Checkpoint and format upgrade
 *   The I/O of both is in checkpoint.ts (writeCheckpoint, upgradePageFile); Database
 *   checks that one may run, records a failure as sticky and counts it.
 *
 * This file keeps the lifecycle (open in order, close, power failure) and one-line
 * delegations that keep Database's public API where it was; the schema, transactions,
 * integrity, inspection and stats, open wiring, checkpoint and format upgrade, and the
 * sticky failure live in schema.ts, transaction.ts, integrity.ts, introspect.ts,
 * open-files.ts, checkpoint.ts and failure.ts.
 */

import * as path from 'node:path';

import type { BufferPool } from '../bufferpool/index.js';
import { type Kernel, type Process, Prng } from '../sim-kernel/index.js';
import { isAssertionError } from './assert.js';
import { BTree } from './btree/index.js';
import { Catalog } from './catalog.js';
import { type FormatUpgrade, upgradePageFile, writeCheckpoint } from './checkpoint.js';
import type { KeyInput, KeyOf, KeyType } from './codec.js';
import { prepareDirectory } from './directory.js';
import { DB_CODES, dbError } from './errors.js';
import { StickyFailure } from './failure.js';
import { acquireDirLock, type DirLock, FORMAT_VERSION } from './file/index.js';
import { DATA_FILE, openPageFile, WAL_FILE } from './recovery.js';
import { type IntegrityCheck, integrityReport, pageOwners, verifyFile } from './integrity.js';
import { databaseStats, type DatabaseStats, type InspectState, inspectState } from './introspect.js';
import { checkFitsRam, type ResolvedOptions, resolveOptions, type StorageOptions } from './options.js';
import { type OpenedFiles, openFiles } from './open-files.js';
import type { Pager } from './pager.js';
import { type IndexSpec, Schema, SCHEMA_ROOT_PAGE, type TableSpec } from './schema.js';
import type { Index } from './index-table.js';
import type { Table, TableHost } from './table.js';
import { Transactions } from './transaction.js';
import { SYNC_MODES, type Wal } from './wal/index.js';

export { DATA_FILE, WAL_FILE };
export const META_FILE = 'meta.sqlite';
export { SCHEMA_ROOT_PAGE, SYNC_MODES };
export type { DatabaseStats, FormatUpgrade, IndexSpec, IntegrityCheck, StorageOptions, TableSpec };
export { defaultCheckpointBytes, defaultShadowPages } from './options.js';

/**
 * An open database directory. Use `open()` from the package root to get one.
 *
 * @example
 * import { open } from 'remapdb';
 * const db = open('/tmp/bank', { sync: 'full', strategy: 'nonlinear', poolPages: 8192 });
 * const acct = db.ensureTable<number, ['int']>('acct', { key: ['int'] });
 * db.transaction(() => { acct.upsert(1, 100); acct.upsert(2, 50); })();
 * console.log(db.stats().pool.hitRate, db.stats().wal.syncs);
 * db.checkpoint();
 * db.close();
 */
export class Database implements TableHost {
  readonly dir: string;
  readonly kernel: Kernel;
  readonly proc: Process;
  readonly options: ResolvedOptions;
  readonly pool: BufferPool;
  readonly wal: Wal;
  readonly catalog: Catalog;
  readonly #pager: Pager;
  readonly #lock: DirLock;
  readonly #fd: number;
  readonly #prng: Prng;
  readonly #schema: Schema;
  readonly #txns: Transactions;
  readonly #onClose: (() => void) | undefined;
  readonly #closeHooks: (() => void)[] = [];
  #closed = false;
  readonly #sticky = new StickyFailure();
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
    prepareDirectory(dir, opts);
    const lock = acquireDirLock(dir, opts.now);
    try {
      return new Database(kernel, proc, path.resolve(dir), opts, lock, onClose);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private constructor(kernel: Kernel, proc: Process, dir: string, opts: ResolvedOptions, lock: DirLock, onClose: (() => void) | undefined) {
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
    let files: OpenedFiles | undefined;
    try {
      files = openFiles(kernel, proc, this.#fd, dataPath, walPath, opts, this.#prng);
      const { sb, pool, wal, pager } = files;
      this.#seed = files.seed;
      this.pool = pool;
      this.wal = wal;
      this.#recovered = files.recovered;
      this.#pager = pager;
      this.#txns = new Transactions(pager, {
        checkOpen: () => this.checkOpen(),
        checkWritable: () => this.#checkWritable(),
        fail: (err, what) => this.#fail(err, what),
        afterCommit: () => this.#autoCheckpoint(),
      });
      if (this.#recovered.transactions > 0) this.checkpoint();
      if (sb.formatVersion < FORMAT_VERSION) {
        this.#upgradeFormat(sb.formatVersion);
        files.upgraded();
      }
      if (pager.pageCount === 1) {
        // A new database (or one whose first transaction never committed): make the schema tree.
        this.#txns.run(() => {
          const root = BTree.create(pager);
          if (root !== SCHEMA_ROOT_PAGE) throw new Error(`schema tree root is page ${root}, not ${SCHEMA_ROOT_PAGE}`);
        });
        this.checkpoint();
      }
      this.#schema = new Schema(this, (what, fn) => this.#ddl(what, fn));
      this.catalog = Catalog.open(path.join(dir, META_FILE), { salt: sb.salt, pageSize: opts.pageSize, create: true, now: opts.now });
    } catch (err) {
      try {
        files?.wal.close();
      } catch { /* already failing */ }
      try {
        files?.pool.close();
      } catch { /* already failing */ }
      proc.close(this.#fd);
      throw err;
    }
    try {
      // Also when an upgrade's open crashed after its checkpoint, before this line.
      if (this.catalog.formatVersion() !== FORMAT_VERSION) this.catalog.setFormatVersion(FORMAT_VERSION);
      this.catalog.reconcile(this.#schema.objects());
      this.#schema.load();
    } catch (err) {
      this.catalog.close();
      throw err;
    }
  }

  // ------------------------------------------------------------------ tables

  /**
   * Create a table. `key` is its key schema (default ['any']: one part of any type), and
   * the table's key type K follows from it (KeyOf: ['string'] → string); `value` its value
   * encoding (default 'msgpack'). Not allowed inside a transaction. REMAPDB_TABLE_EXISTS if
   * the name is taken (ensureTable: create if missing).
   */
  createTable<V = unknown, const S extends readonly KeyType[] = readonly KeyType[]>(name: string, opts: TableSpec<S> = {}): Table<V, KeyOf<S>> {
    return this.#schema.createTable<V, S>(name, opts);
  }

  /**
   * The table `name`, created as `spec` says if it is missing (one call in place of
   * `tables().includes(name) ? table(name) : createTable(name, spec)`). An existing table
   * whose key schema (or value encoding, if spec names one) differs is REMAPDB_TABLE_EXISTS.
   */
  ensureTable<V = unknown, const S extends readonly KeyType[] = readonly KeyType[]>(name: string, spec: TableSpec<S> = {}): Table<V, KeyOf<S>> {
    return this.#schema.ensureTable<V, S>(name, spec);
  }

  /**
   * Create a secondary index on `table` over `fields`: property names for object values
   * ('msgpack', 'json'), column positions for 'tuple' values. Existing rows are indexed in
   * the same transaction. A unique index allows many rows with a null or missing field (SQL).
   */
  createIndex(table: string, name: string, opts: IndexSpec): Index {
    return this.#schema.createIndex(table, name, opts);
  }

  /** The index `name` of `table`, created as `spec` says if missing; an existing one over other fields is REMAPDB_TABLE_EXISTS. */
  ensureIndex(table: string, name: string, spec: IndexSpec): Index {
    return this.#schema.ensureIndex(table, name, spec);
  }

  /** Drop a table and its indexes (their pages go to the free list). */
  dropTable(name: string): void {
    this.#schema.dropTable(name);
  }

  /** The table called `name` (its key type K unchecked: say it); REMAPDB_NO_SUCH_TABLE names the tables there are. */
  table<V = unknown, K extends KeyInput = KeyInput>(name: string): Table<V, K> {
    return this.#schema.table<V, K>(name);
  }

  /** Names of the tables. */
  tables(): string[] {
    return this.#schema.tables();
  }

  /** A schema change: its own transaction, made durable before the catalog mirror is told. */
  #ddl<T>(what: string, fn: () => T): T {
    if (this.#pager.inTransaction) {
      throw dbError(DB_CODES.TXN_STATE, `${what} inside a transaction: schema changes run on their own, outside transactions`);
    }
    const r = this.#txns.run(fn);
    // Always, even when the commit's automatic checkpoint already flushed: that checkpoint
    // may have failed after the commit (#autoCheckpoint does not throw I/O failures), and
    // a schema change is acknowledged only once the log holds it. A failed WAL throws
    // REMAPDB_FAILED here; a healthy one makes the change durable.
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
    return (...args: A): R => this.#txns.run(() => fn(...args));
  }

  get inTransaction(): boolean {
    return !this.#closed && this.#pager.inTransaction;
  }

  /**
   * After each commit: checkpoint once the WAL has grown past checkpointBytes. The
   * transaction is committed, so a failed automatic checkpoint must not make its caller
   * believe otherwise: an I/O failure is recorded (sticky, checkpoint() → #fail) and the
   * next change reports it. An assertion error is a bug: it is thrown as it is, and
   * recorded too, so no further change runs on a state that broke an invariant.
   */
  #autoCheckpoint(): void {
    const cb = this.options.checkpointBytes;
    if (cb > 0 && this.wal.sizeBytes >= cb) {
      try {
        this.checkpoint();
      } catch (err) {
        if (isAssertionError(err)) throw this.#sticky.record(err as Error);
      }
    }
  }

  /** @internal TableHost: a change in the open transaction, else autocommit. */
  write<T>(what: string, fn: () => T): T {
    return this.#txns.write(what, fn);
  }

  // ------------------------------------------------------------------ checkpoint, stats, close

  /** Upgrade an older page file in place, at open, after recovery (checkpoint.ts upgradePageFile). */
  #upgradeFormat(from: number): void {
    let up: FormatUpgrade;
    try {
      up = upgradePageFile(this.proc, this.#fd, this.pool, this.options.pageSize, this.#pager.pageCount, this.#seed, from);
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
      writeCheckpoint(this.pool, this.wal, this.#pager, this.options.pageSize, this.#seed, this.#prng);
    } catch (err) {
      throw this.#fail(err, 'checkpoint');
    }
    this.#checkpoints++;
    if (!this.#closed && this.catalog !== undefined) {
      this.catalog.setRowCounts(this.#schema.rowCounts());
    }
  }

  stats(): DatabaseStats {
    this.checkOpen();
    return databaseStats({
      dir: this.dir, options: this.options, pager: this.#pager, txns: this.#txns, checkpoints: this.#checkpoints,
      recovered: this.#recovered, upgraded: this.#upgraded, schema: this.#schema, wal: this.wal, pool: this.pool,
    });
  }

  /**
   * The engine as `remapdb inspect` shows it (storage/introspect.ts): pool summary and
   * occupied slots with their owners, database counters, the simulated machine's views.
   * `owners: false` skips naming owners (a cheaper picture for views that do not show them).
   */
  inspectState(label = 'live', opts: { owners?: boolean } = {}): InspectState {
    this.checkOpen();
    const db = this;
    return inspectState({
      dir: this.dir, kernel: this.kernel, proc: this.proc, options: this.options, pool: this.pool, wal: this.wal,
      schema: this.#schema, pageCount: this.#pager.pageCount, stats: () => db.stats(),
    }, label, opts);
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
          commits: this.#txns.commits, rollbacks: this.#txns.rollbacks, checkpoints: this.#checkpoints, pageCount: this.#pager.pageCount,
          freePages: this.#pager.freeCount, walBytesWritten: w.bytesWritten, walSyncs: w.syncs, poolHits: p.hits,
          poolMisses: p.misses, poolEvictions: p.evictions, kernelNs: p.kernelNs,
        });
      }
    } finally {
      this.#closed = true;
      const steps: (() => void)[] = [
        () => (this.#sticky.recorded === null ? this.pool.close() : undefined),
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
      if (first !== null && this.#sticky.recorded === null) throw first;
    }
  }

  /**
   * Testing and simulation: the machine dies now (default: Kernel.powerCut — a power cut;
   * pass `() => kernel.shutdown({ sync: false })` for a process crash). Nothing more is
   * written; the lock and meta.sqlite are released so the directory can be reopened — on a
   * new machine — to run recovery. `powerOff` is called instead of onClose.
   */
  simulatePowerFailure(powerOff: () => void = () => this.kernel.powerCut()): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sticky.recorded === null) this.#sticky.record(new Error('power failure'));
    for (const s of [powerOff, () => this.catalog.close(), () => this.#lock.release()]) {
      try {
        s();
      } catch { /* the machine is gone */ }
    }
  }

  get closed(): boolean { return this.#closed; }

  /** The first failed write or sync, if any (the database then refuses changes). */
  get failed(): Error | null { return this.#failure(); }

  /** The first failure, the WAL's and the pool's included (failure.ts StickyFailure.poll). */
  #failure(): Error | null { return this.#sticky.poll(this.wal, this.pool); }

  /** @internal TableHost */
  get io(): Pager { return this.#pager; }

  /** @internal TableHost */
  checkOpen(): void {
    if (this.#closed) throw dbError(DB_CODES.CLOSED, `the database ${this.dir} is closed`);
  }

  #checkWritable(): void { this.#sticky.checkWritable(this.wal, this.pool); }

  /** A failed write or sync of `what`: the REMAPDB_FAILED to throw (failure.ts StickyFailure.fail). */
  #fail(err: unknown, what: string): Error { return this.#sticky.fail(err, what); }

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
    const db = this;
    return integrityReport({
      pager: this.#pager, schema: this.#schema, catalog: this.catalog, wal: this.wal, verifyFile: () => db.verifyFile(),
    }, opts, ioErrors);
  }

  /** The pages of every tree, by owner (for `remapdb check`). */
  pageOwners(): Map<string, number[]> {
    this.checkOpen();
    return pageOwners(this.#schema);
  }

  /** Read and verify the checksum of every page as it is in the page file (bypassing the pool). */
  verifyFile(): { pages: number; errors: { page: number; code: string; message: string }[] } {
    this.checkOpen();
    return verifyFile(this.proc, this.#fd, this.options.pageSize, this.#pager, this.#seed);
  }
}
