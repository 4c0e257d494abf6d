/**
 * Page tables of one address space: a real radix tree whose table pages are frames of
 * simulated RAM (PG_PAGETABLE, counted in meminfo PageTables), entries encoded as x86.
 *
 * Owns: the top-level table (pgd) frame, the used-entry count of each table, and the
 * allocation / freeing of table pages (pte_alloc_map, free_pgtables).
 * Invariants (checkInvariants):
 *   1. An upper-level entry is either 0 or PTE_TABLE pointing at a PG_PAGETABLE frame.
 *   2. used[t] equals the number of non-zero entries of table t.
 *   3. Every table frame is reachable from the pgd exactly once.
 * Transitions: ptePtr(alloc=true) allocates missing tables (ENOMEM → -2);
 *   freeTables(range, floor, ceiling) frees tables wholly inside [floor, ceiling) —
 *   the part of the address space no VMA covers — as free_pgtables does.
 */

import {
  type Arch, type Geometry, PTE_TABLE, presentLo, presentHi, pfnOf,
} from '../arch.js';
import { kassert } from '../errors.js';
import { PG_PAGETABLE, type PhysMem } from '../mem/physmem.js';

/** Returned by ptePtr when a table page could not be allocated. */
export const PT_ENOMEM = -2;
/** Returned by ptePtr(alloc=false) when a level is missing. */
export const PT_NONE = -1;

export class PageTables {
  readonly pgd: number;
  readonly #mem: PhysMem;
  readonly #arch: Arch;
  readonly #geo: Geometry;
  /** Words per PTE (1 or 2), and the word index stride. */
  readonly #wordsPerPte: number;
  /** Used entries per table frame (indexed by frame). */
  readonly #used: Int32Array;
  /** Called to free a frame when allocation failed once (reclaim); returns true if it freed something. */
  #tables = 1;
  /** One-entry cache of the last leaf table: its index (vpn / entries) and frame. */
  #leafKey = -1;
  #leafFrame = -1;
  /** Frame allocator (the kernel's: it reclaims when RAM is short) and its free. */
  readonly #alloc: (kind: number, zero: boolean) => number;
  readonly #free: (f: number) => void;

  constructor(mem: PhysMem, arch: Arch, geo: Geometry, used: Int32Array,
    alloc: (kind: number, zero: boolean) => number = (k, z) => mem.alloc(k, z), free: (f: number) => void = (f) => mem.free(f)) {
    this.#alloc = alloc;
    this.#free = free;
    this.#mem = mem;
    this.#arch = arch;
    this.#geo = geo;
    this.#wordsPerPte = arch.pteBytes / 4;
    this.#used = used;
    const pgd = this.#allocTable();
    kassert(pgd >= 0, 'no frame for the pgd');
    this.pgd = pgd;
  }

  /** Number of table pages (pgd included) this address space holds. */
  get tableCount(): number {
    return this.#tables;
  }

  #allocTable(): number {
    const f = this.#alloc(PG_PAGETABLE, true);
    if (f >= 0) this.#used[f] = 0;
    return f;
  }

  /** Word index (into PhysMem.words) of entry `idx` of table frame `t`. */
  #entryWord(t: number, idx: number): number {
    return (t * this.#mem.pageSize) / 4 + idx * this.#wordsPerPte;
  }

  /**
   * Word index of the PTE for virtual page `vpn`, walking from the pgd. With alloc,
   * missing tables are created (and `onAlloc` is told, so the cost can be charged).
   * Returns PT_NONE when a level is absent (alloc=false) or PT_ENOMEM.
   */
  ptePtr(vpn: number, alloc: boolean, onAlloc?: () => void): number {
    const entriesPerTable = this.#geo.entriesPerTable;
    const leafKey = Math.floor(vpn / entriesPerTable);
    if (leafKey === this.#leafKey) return this.#entryWord(this.#leafFrame, vpn - leafKey * entriesPerTable);
    const words = this.#mem.words;
    const levels = this.#arch.levels;
    const spans = this.#geo.levelSpanPages;
    const entries = this.#geo.entriesPerTable;
    let t = this.pgd;
    for (let level = 0; level < levels - 1; level++) {
      const idx = Math.floor(vpn / (spans[level] as number)) % (level === 0 ? 2 ** (this.#geo.levelBits[0] as number) : entries);
      const w = this.#entryWord(t, idx);
      const lo = words[w] as number;
      if (lo === 0) {
        if (!alloc) return PT_NONE;
        const nt = this.#allocTable();
        if (nt < 0) return PT_ENOMEM;
        this.#tables++;
        if (onAlloc) onAlloc();
        words[w] = presentLo(nt, PTE_TABLE);
        if (this.#wordsPerPte === 2) words[w + 1] = presentHi(this.#arch, nt, false);
        (this.#used[t] as number)++;
        t = nt;
      } else {
        t = pfnOf(this.#arch, lo, this.#wordsPerPte === 2 ? (words[w + 1] as number) : 0);
      }
    }
    this.#leafKey = leafKey;
    this.#leafFrame = t;
    return this.#entryWord(t, vpn - leafKey * entries);
  }

  /** Adjust the used count of the PTE table holding word `w` (+1 none→set, -1 set→none). */
  adjustUsed(w: number, delta: number): void {
    const t = Math.floor((w * 4) / this.#mem.pageSize);
    (this.#used[t] as number) += delta;
  }

  /**
   * free_pgtables: free every table whose whole span lies inside [floorVpn, ceilVpn)
   * and overlaps [startVpn, endVpn). Such tables must be empty (no VMA covers them).
   * Returns the number of table pages freed.
   */
  freeTables(startVpn: number, endVpn: number, floorVpn: number, ceilVpn: number): number {
    if (startVpn >= endVpn) return 0;
    const before = this.#tables;
    this.#freeLevel(this.pgd, 0, 0, startVpn, endVpn, floorVpn, ceilVpn);
    return before - this.#tables;
  }

  #freeLevel(t: number, level: number, baseVpn: number, s: number, e: number, floor: number, ceil: number): void {
    const span = this.#geo.levelSpanPages[level] as number;
    const n = level === 0 ? 2 ** (this.#geo.levelBits[0] as number) : this.#geo.entriesPerTable;
    const words = this.#mem.words;
    const first = Math.max(0, Math.floor((s - baseVpn) / span));
    const last = Math.min(n - 1, Math.floor((e - 1 - baseVpn) / span));
    for (let i = first; i <= last; i++) {
      const w = this.#entryWord(t, i);
      const lo = words[w] as number;
      if (lo === 0 || level === this.#arch.levels - 1) continue;
      const child = pfnOf(this.#arch, lo, this.#wordsPerPte === 2 ? (words[w + 1] as number) : 0);
      const cs = baseVpn + i * span;
      if (level + 1 < this.#arch.levels - 1) this.#freeLevel(child, level + 1, cs, s, e, floor, ceil);
      if (cs >= floor && cs + span <= ceil) {
        kassert(this.#used[child] === 0, () => `freeing page table frame ${child} with ${this.#used[child]} used entries`);
        words[w] = 0;
        if (this.#wordsPerPte === 2) words[w + 1] = 0;
        (this.#used[t] as number)--;
        this.#leafKey = -1; // the cached leaf may be the table just freed
        this.#free(child);
        this.#tables--;
      }
    }
  }

  /** Free every table (exit_mmap). Leaf entries must already be zapped. */
  destroy(): void {
    this.#freeLevel(this.pgd, 0, 0, 0, Number.MAX_SAFE_INTEGER, 0, Number.MAX_SAFE_INTEGER);
    kassert(this.#used[this.pgd] === 0, 'pgd still has entries after destroy');
    this.#leafKey = -1;
    this.#free(this.pgd);
    this.#tables = 0;
  }

  /** Visit every present leaf-table word index with its vpn (for dumps and checks). */
  forEachPte(startVpn: number, endVpn: number, fn: (vpn: number, w: number) => void): void {
    this.#walk(this.pgd, 0, 0, startVpn, endVpn, fn);
  }

  #walk(t: number, level: number, baseVpn: number, s: number, e: number, fn: (vpn: number, w: number) => void): void {
    const span = this.#geo.levelSpanPages[level] as number;
    const n = level === 0 ? 2 ** (this.#geo.levelBits[0] as number) : this.#geo.entriesPerTable;
    const words = this.#mem.words;
    const first = Math.max(0, Math.floor((s - baseVpn) / span));
    const last = Math.min(n - 1, Math.floor((e - 1 - baseVpn) / span));
    for (let i = first; i <= last; i++) {
      const w = this.#entryWord(t, i);
      if (level === this.#arch.levels - 1) {
        fn(baseVpn + i, w);
        continue;
      }
      const lo = words[w] as number;
      if (lo === 0) continue;
      const child = pfnOf(this.#arch, lo, this.#wordsPerPte === 2 ? (words[w + 1] as number) : 0);
      this.#walk(child, level + 1, baseVpn + i * span, s, e, fn);
    }
  }

  checkInvariants(): void {
    let tables = 0;
    const visit = (t: number, level: number): void => {
      tables++;
      kassert(((this.#mem.flags[t] as number) & PG_PAGETABLE) !== 0, `table frame ${t} is not PG_PAGETABLE`);
      const n = level === 0 ? 2 ** (this.#geo.levelBits[0] as number) : this.#geo.entriesPerTable;
      let used = 0;
      for (let i = 0; i < n; i++) {
        const w = this.#entryWord(t, i);
        const lo = this.#mem.words[w] as number;
        const hi = this.#wordsPerPte === 2 ? (this.#mem.words[w + 1] as number) : 0;
        if (lo === 0 && hi === 0) continue;
        used++;
        if (level < this.#arch.levels - 1) {
          kassert((lo & 0xfff) === PTE_TABLE, `upper entry ${i} of table ${t} has flags 0x${(lo & 0xfff).toString(16)}`);
          visit(pfnOf(this.#arch, lo, hi), level + 1);
        }
      }
      kassert(used === this.#used[t], `table ${t} has ${used} used entries, counted ${this.#used[t]}`);
    };
    visit(this.pgd, 0);
    kassert(tables === this.#tables, `reachable tables ${tables} != counted ${this.#tables}`);
  }
}
