/**
 * Physical memory: one ArrayBuffer of frames and the frame table (struct page) in
 * parallel typed arrays.
 *
 * Owns: the bytes of RAM, each frame's flags, refcount (page_count), mapcount
 * (page_mapcount: PTEs mapping it), pin count (get_user_pages references, a subset of
 * refcount), owner (inode id or -1 for anonymous / page tables) and index (pgoff for
 * file pages, virtual page for anonymous ones), and the free-frame stack.
 * Invariants (checkInvariants):
 *   1. A frame is on the free stack exactly when its flags are 0; free frames have
 *      refcount 0, mapcount 0, pin 0.
 *   2. A used frame has exactly one kind: PAGETABLE, PAGECACHE or ANON.
 *   3. refcount >= pin >= 0 and mapcount >= 0 for every frame.
 * Transitions: alloc() free -> used(kind); free() used -> free (asserts no refs).
 */

import { kassert } from '../errors.js';

export const PG_PAGETABLE = 1 << 0;
export const PG_PAGECACHE = 1 << 1;
export const PG_ANON = 1 << 2;
export const PG_KIND_MASK = PG_PAGETABLE | PG_PAGECACHE | PG_ANON;
export const PG_DIRTY = 1 << 3;
export const PG_UPTODATE = 1 << 4;
export const PG_REFERENCED = 1 << 5;
export const PG_ACTIVE = 1 << 6;
export const PG_LRU = 1 << 7;
export const PG_SWAPCACHE = 1 << 8;
export const PG_MLOCKED = 1 << 9;
export const PG_WRITEBACK = 1 << 10;
export const PG_ERROR = 1 << 11;
export const PG_SWAPBACKED = 1 << 12;

export class PhysMem {
  readonly pageSize: number;
  readonly pageShift: number;
  readonly frameCount: number;
  readonly buffer: ArrayBuffer;
  /** All of RAM as bytes: frame f occupies [f * pageSize, (f + 1) * pageSize). */
  readonly bytes: Uint8Array;
  /** All of RAM as 32-bit words (page-table entries are read and written through it). */
  readonly words: Uint32Array;
  readonly flags: Uint32Array;
  readonly refcount: Int32Array;
  readonly mapcount: Int32Array;
  readonly pin: Int32Array;
  readonly owner: Int32Array;
  readonly index: Float64Array;
  /** Simulated time the page was last dirtied (for write-back ageing). */
  readonly dirtiedAtNs: Float64Array;
  /** Mappings of the page from VM_LOCKED VMAs; > 0 means PG_MLOCKED (unevictable). */
  readonly mlock: Int32Array;
  /** Swap slot of a page in the swap cache, else -1. */
  readonly swapSlot: Int32Array;
  readonly #freeStack: Int32Array;
  #freeTop: number;

  constructor(ramBytes: number, pageSize: number) {
    kassert(ramBytes % pageSize === 0, 'ramBytes must be a multiple of pageSize');
    this.pageSize = pageSize;
    this.pageShift = Math.log2(pageSize);
    this.frameCount = ramBytes / pageSize;
    this.buffer = new ArrayBuffer(ramBytes);
    this.bytes = new Uint8Array(this.buffer);
    this.words = new Uint32Array(this.buffer);
    const n = this.frameCount;
    this.flags = new Uint32Array(n);
    this.refcount = new Int32Array(n);
    this.mapcount = new Int32Array(n);
    this.pin = new Int32Array(n);
    this.owner = new Int32Array(n).fill(-1);
    this.index = new Float64Array(n);
    this.dirtiedAtNs = new Float64Array(n);
    this.mlock = new Int32Array(n);
    this.swapSlot = new Int32Array(n).fill(-1);
    this.#freeStack = new Int32Array(n);
    // Low frames on top so allocation order is deterministic and readable in dumps.
    for (let i = 0; i < n; i++) this.#freeStack[i] = n - 1 - i;
    this.#freeTop = n;
  }

  get freeCount(): number {
    return this.#freeTop;
  }

  /** Take a free frame, zeroed if asked; -1 when none is free (the caller reclaims or fails). */
  alloc(kind: number, zero: boolean): number {
    if (this.#freeTop === 0) return -1;
    const f = this.#freeStack[--this.#freeTop] as number;
    kassert(this.flags[f] === 0, () => `frame ${f} on the free stack is in use`);
    this.flags[f] = kind;
    this.refcount[f] = 1;
    this.mapcount[f] = 0;
    this.pin[f] = 0;
    this.owner[f] = -1;
    this.index[f] = 0;
    this.mlock[f] = 0;
    this.swapSlot[f] = -1;
    if (zero) this.bytes.fill(0, f * this.pageSize, (f + 1) * this.pageSize);
    return f;
  }

  free(f: number): void {
    kassert(this.flags[f] !== 0, () => `double free of frame ${f}`);
    kassert(this.mapcount[f] === 0 && this.pin[f] === 0 && this.mlock[f] === 0 && this.swapSlot[f] === -1, () =>
      `freeing frame ${f} still mapped (${this.mapcount[f]}), pinned (${this.pin[f]}), mlocked (${this.mlock[f]}) ` +
      `or in the swap cache (slot ${this.swapSlot[f]})`);
    this.flags[f] = 0;
    this.refcount[f] = 0;
    this.owner[f] = -1;
    this.#freeStack[this.#freeTop++] = f;
  }

  /** Byte offset of frame f in `bytes`. */
  base(f: number): number {
    return f * this.pageSize;
  }

  countWhere(mask: number, value: number): number {
    let n = 0;
    const flags = this.flags;
    for (let i = 0; i < this.frameCount; i++) if (((flags[i] as number) & mask) === value) n++;
    return n;
  }

  checkInvariants(): void {
    const onStack = new Uint8Array(this.frameCount);
    for (let i = 0; i < this.#freeTop; i++) {
      const f = this.#freeStack[i] as number;
      kassert(onStack[f] === 0, `frame ${f} twice on the free stack`);
      onStack[f] = 1;
    }
    for (let f = 0; f < this.frameCount; f++) {
      const fl = this.flags[f] as number;
      const refs = this.refcount[f] as number;
      const maps = this.mapcount[f] as number;
      const pins = this.pin[f] as number;
      if (fl === 0) {
        kassert(onStack[f] === 1, `free frame ${f} missing from the free stack`);
        kassert(refs === 0 && maps === 0 && pins === 0, `free frame ${f} has refs ${refs} maps ${maps} pins ${pins}`);
        continue;
      }
      kassert(onStack[f] === 0, `used frame ${f} is on the free stack`);
      const kind = fl & PG_KIND_MASK;
      kassert(kind === PG_PAGETABLE || kind === PG_PAGECACHE || kind === PG_ANON, `frame ${f} has kind bits ${kind}`);
      kassert(refs >= pins && pins >= 0 && maps >= 0, `frame ${f}: refcount ${refs}, pins ${pins}, mapcount ${maps}`);
    }
  }
}
