/**
 * The LRU lists of reclaimable pages (mm/swap.c, mm/vmscan.c): active and inactive
 * lists for file pages and for swap-backed (anonymous and tmpfs) pages, and the
 * unevictable list for mlocked pages (2.6.28's split LRU, which names what 2.6's single
 * pair of lists did implicitly).
 *
 * Owns: intrusive doubly linked lists in typed arrays (prev/next per frame), a head
 * and a count per list, and each frame's list id (-1 when on none).
 * Invariants (checkInvariants):
 *   1. A frame is on at most one list; its id says which; counts match the lists.
 *   2. Lists are well linked (next.prev === self) and the head has no prev.
 * Transitions: add (to the head, i.e. most recent), remove, rotate to head, move.
 * Reclaim takes victims from the tail (the least recently added/rotated).
 */

import { kassert } from '../errors.js';

export const LRU_INACTIVE_ANON = 0;
export const LRU_ACTIVE_ANON = 1;
export const LRU_INACTIVE_FILE = 2;
export const LRU_ACTIVE_FILE = 3;
export const LRU_UNEVICTABLE = 4;
export const LRU_COUNT = 5;
export const LRU_NAMES = ['inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable'] as const;

export class Lru {
  readonly prev: Int32Array;
  readonly next: Int32Array;
  /** List a frame is on, or -1. */
  readonly list: Int8Array;
  readonly head = new Int32Array(LRU_COUNT).fill(-1);
  readonly tail = new Int32Array(LRU_COUNT).fill(-1);
  readonly count = new Int32Array(LRU_COUNT);

  constructor(frameCount: number) {
    this.prev = new Int32Array(frameCount).fill(-1);
    this.next = new Int32Array(frameCount).fill(-1);
    this.list = new Int8Array(frameCount).fill(-1);
  }

  /** Put f at the head (most recent end) of list l. */
  add(f: number, l: number): void {
    kassert(this.list[f] === -1, () => `frame ${f} already on LRU list ${this.list[f]}`);
    const h = this.head[l] as number;
    this.prev[f] = -1;
    this.next[f] = h;
    if (h >= 0) this.prev[h] = f;
    else this.tail[l] = f;
    this.head[l] = f;
    this.list[f] = l;
    (this.count[l] as number)++;
  }

  remove(f: number): void {
    const l = this.list[f] as number;
    if (l < 0) return;
    const p = this.prev[f] as number;
    const n = this.next[f] as number;
    if (p >= 0) this.next[p] = n;
    else this.head[l] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail[l] = p;
    this.prev[f] = -1;
    this.next[f] = -1;
    this.list[f] = -1;
    (this.count[l] as number)--;
  }

  /** Move f to the head of list l (rotate or change list). */
  moveToHead(f: number, l: number): void {
    this.remove(f);
    this.add(f, l);
  }

  checkInvariants(): void {
    const n = this.list.length;
    const seen = new Int32Array(LRU_COUNT);
    for (let l = 0; l < LRU_COUNT; l++) {
      let prev = -1;
      let steps = 0;
      for (let f = this.head[l] as number; f >= 0; f = this.next[f] as number) {
        kassert(this.list[f] === l, `frame ${f} on list ${l} says it is on ${this.list[f]}`);
        kassert(this.prev[f] === prev, `frame ${f} on list ${l}: bad prev link`);
        prev = f;
        kassert(++steps <= n, `LRU list ${l} has a cycle`);
      }
      kassert(this.tail[l] === prev, `LRU list ${l}: tail ${this.tail[l]} != last ${prev}`);
      seen[l] = steps;
      kassert(steps === this.count[l], `LRU list ${l} holds ${steps} frames, counted ${this.count[l]}`);
    }
    let onLists = 0;
    for (let f = 0; f < n; f++) if ((this.list[f] as number) >= 0) onLists++;
    kassert(onLists === seen.reduce((a, b) => a + b, 0), 'frames claim lists they are not on');
  }
}
