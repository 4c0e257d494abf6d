/**
 * MemPageIO: a PageIO over one ArrayBuffer for storage tests (not a test file). It is
 * deliberately hostile, so the B+tree is tested against everything the contract in
 * storage/page-io.ts allows and catches what it forbids:
 *
 *   1. Copy-on-fix, exaggerated: every fixWrite moves the page to a fresh frame, and (with
 *      `moveAll`, the default) every fix or allocPage moves EVERY fixed page to a fresh
 *      frame, poisoning the old location with 0xA5 — a stale offset reads garbage.
 *      A page returns to its home slot when its last fix goes.
 *   2. Fix discipline: outstanding fixes are counted (`outstandingFixes`), bounded by
 *      `maxFixes` (the real pool's bounded pins), and an unknown or twice-released token,
 *      a fix of a page not in use, a free of a fixed page, or a dirtied unfix of a read
 *      fix throws.
 *   3. Bytes changed without a dirtied write fix, or in the pager's header bytes 1..23,
 *      are detected when the page's last fix goes (it is compared with its image at the
 *      first fix).
 *
 * Page 0 is reserved (the superblock's place); `pagesInUse` counts pages handed out by
 * allocPage and not yet freed, page 0 excluded. Frees are reused last-in first-out.
 */

import { PAGE_HEADER_BYTES } from '../../../storage/file/format.js';
import type { PageIO } from '../../../storage/file/page-io.js';

const POISON = 0xa5;

export interface MemPageIOOptions {
  /** Pages the file may hold, page 0 included (default 4096). */
  maxPages?: number;
  /** Fixes that may be outstanding at once (default 8). */
  maxFixes?: number;
  /** Move every fixed page on every fix and allocation (default true). */
  moveAll?: boolean;
}

export class MemPageIO implements PageIO {
  readonly bytes: Uint8Array;
  readonly pageSize: number;
  readonly maxPages: number;
  readonly maxFixes: number;
  readonly moveAll: boolean;
  /** Fixes taken in total, and the most outstanding at once (for tests that bound them). */
  fixesTotal = 0;
  maxOutstanding = 0;

  readonly #frames: number;
  readonly #framesBase: number;
  readonly #freeFrames: number[] = [];
  /** Where each page lives now: its home slot or a frame. */
  readonly #loc: Int32Array;
  readonly #pins: Int32Array;
  readonly #inUse: Uint8Array;
  /** Page image at its first fix, and whether a dirtied write fix ended since. */
  readonly #snap = new Map<number, { image: Uint8Array; dirtied: boolean }>();
  /** Spare snapshot buffers: a fix copies a page, it need not allocate one. */
  readonly #spareImages: Uint8Array[] = [];
  readonly #tokens = new Map<number, { page: number; write: boolean }>();
  #nextToken = 1;
  #nextPage = 1;
  readonly #free: number[] = [];
  #inUseCount = 0;

  constructor(pageSize: number, opts: MemPageIOOptions = {}) {
    this.pageSize = pageSize;
    this.maxPages = opts.maxPages ?? 4096;
    this.maxFixes = opts.maxFixes ?? 8;
    this.moveAll = opts.moveAll ?? true;
    // Each fixed page may need a frame, plus one while it moves.
    this.#frames = this.maxFixes + 2;
    this.#framesBase = this.maxPages * pageSize;
    this.bytes = new Uint8Array((this.maxPages + this.#frames) * pageSize);
    for (let f = this.#frames - 1; f >= 0; f--) this.#freeFrames.push(this.#framesBase + f * pageSize);
    this.#loc = new Int32Array(this.maxPages);
    this.#pins = new Int32Array(this.maxPages);
    this.#inUse = new Uint8Array(this.maxPages);
    for (let i = 0; i < this.maxPages; i++) this.#loc[i] = i * pageSize;
  }

  get outstandingFixes(): number {
    return this.#tokens.size;
  }

  get pagesInUse(): number {
    return this.#inUseCount;
  }

  /** Pages freed and not reused yet. */
  get freePages(): number {
    return this.#free.length;
  }

  /** Whether page id is allocated (handed out and not freed). */
  isInUse(page: number): boolean {
    return this.#inUse[page] === 1;
  }

  fixRead(pageId: number): number {
    return this.#fix(pageId, false);
  }

  fixWrite(pageId: number, _ranged = false): number {
    return this.#fix(pageId, true);
  }

  /** Declared ranges are checked for shape only here; the pager checks their content (checkDeclaredWrites). */
  noteWrite(pageId: number, from: number, to: number): void {
    if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to <= this.pageSize)) {
      throw new Error(`MemPageIO: noteWrite(${pageId}, ${from}, ${to}) is not a range of a page`);
    }
    const fixedForWrite = [...this.#tokens.values()].some((t) => t.page === pageId && t.write);
    if (!fixedForWrite) throw new Error(`MemPageIO: noteWrite of page ${pageId}, which is not fixed for writing`);
  }

  offset(token: number): number {
    const t = this.#tokens.get(token);
    if (t === undefined) throw new Error(`MemPageIO: offset of unknown token ${token}`);
    return this.#loc[t.page] as number;
  }

  unfix(token: number, dirtied: boolean): void {
    const t = this.#tokens.get(token);
    if (t === undefined) throw new Error(`MemPageIO: unfix of unknown (or already released) token ${token}`);
    if (dirtied && !t.write) throw new Error(`MemPageIO: page ${t.page} unfixed dirtied through a read fix`);
    this.#tokens.delete(token);
    const snap = this.#snap.get(t.page);
    if (snap === undefined) throw new Error(`MemPageIO: page ${t.page} has no snapshot`);
    if (dirtied) snap.dirtied = true;
    const pins = (this.#pins[t.page] as number) - 1;
    this.#pins[t.page] = pins;
    if (pins > 0) return;
    const ps = this.pageSize;
    const at = this.#loc[t.page] as number;
    const now = this.bytes.subarray(at, at + ps);
    for (let i = 1; i < PAGE_HEADER_BYTES; i++) {
      if (now[i] !== snap.image[i]) throw new Error(`MemPageIO: page ${t.page}: header byte ${i} (the pager's) was changed`);
    }
    if (!snap.dirtied && Buffer.compare(now, snap.image) !== 0) {
      const i = now.findIndex((v, j) => v !== snap.image[j]);
      throw new Error(`MemPageIO: page ${t.page}: byte ${i} changed without a dirtied write fix`);
    }
    this.#snap.delete(t.page);
    this.#spareImages.push(snap.image);
    const home = t.page * ps;
    if (at !== home) {
      this.bytes.copyWithin(home, at, at + ps);
      this.#releaseFrame(at);
      this.#loc[t.page] = home;
    }
  }

  allocPage(): number {
    this.#shuffle();
    let page = this.#free.pop();
    if (page === undefined) {
      if (this.#nextPage >= this.maxPages) throw new Error(`MemPageIO: out of pages (maxPages ${this.maxPages})`);
      page = this.#nextPage++;
    }
    const at = page * this.pageSize;
    this.bytes.fill(0, at, at + this.pageSize);
    // The pager's header: a recognisable pattern the page's owner must not touch.
    for (let i = 1; i < PAGE_HEADER_BYTES; i++) this.bytes[at + i] = (page * 7 + i) & 0xff;
    this.#inUse[page] = 1;
    this.#inUseCount++;
    return page;
  }

  freePage(pageId: number): void {
    this.#checkPage(pageId, 'free');
    if ((this.#pins[pageId] as number) > 0) throw new Error(`MemPageIO: free of page ${pageId} while it is fixed`);
    this.#inUse[pageId] = 0;
    this.#inUseCount--;
    const at = pageId * this.pageSize;
    this.bytes.fill(POISON, at, at + this.pageSize);
    this.#free.push(pageId);
  }

  #fix(page: number, write: boolean): number {
    this.#checkPage(page, write ? 'fixWrite' : 'fixRead');
    if (this.#tokens.size >= this.maxFixes) {
      throw new Error(`MemPageIO: fix of page ${page} would make ${this.#tokens.size + 1} outstanding fixes (max ${this.maxFixes})`);
    }
    this.#shuffle();
    if ((this.#pins[page] as number) === 0) {
      const at = this.#loc[page] as number;
      const image = this.#spareImages.pop() ?? new Uint8Array(this.pageSize);
      image.set(this.bytes.subarray(at, at + this.pageSize));
      this.#snap.set(page, { image, dirtied: false });
    }
    this.#pins[page] = (this.#pins[page] as number) + 1;
    if (write) this.#move(page);
    const token = this.#nextToken++;
    this.#tokens.set(token, { page, write });
    this.fixesTotal++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.#tokens.size);
    return token;
  }

  #checkPage(page: number, what: string): void {
    if (!Number.isInteger(page) || page <= 0 || page >= this.maxPages || this.#inUse[page] !== 1) {
      throw new Error(`MemPageIO: ${what} of page ${page}, which is not in use`);
    }
  }

  /** Copy-on-fix everywhere: every fixed page moves to a fresh frame. */
  #shuffle(): void {
    if (!this.moveAll) return;
    for (const page of this.#snap.keys()) this.#move(page);
  }

  #move(page: number): void {
    const ps = this.pageSize;
    const from = this.#loc[page] as number;
    const to = this.#freeFrames.pop();
    if (to === undefined) throw new Error('MemPageIO: out of frames');
    this.bytes.copyWithin(to, from, from + ps);
    this.bytes.fill(POISON, from, from + ps);
    if (from >= this.#framesBase) this.#releaseFrame(from);
    this.#loc[page] = to;
  }

  #releaseFrame(at: number): void {
    this.bytes.fill(POISON, at, at + this.pageSize);
    this.#freeFrames.unshift(at);
  }
}
