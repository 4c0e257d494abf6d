/**
 * Replacement policies: which resident slot to evict next. Shared by every strategy.
 *
 * A policy sees slots (0 .. slotCount-1) and page ids, never bytes or the kernel. The
 * pool tells it when a slot is filled with a page (`insert`), when a resident page is
 * fixed again (`hit`), and when a slot is emptied (`remove`); it asks for victims in
 * batches (`pickVictims`), skipping any slot the pool says cannot be evicted now
 * (pinned, or dirty with an unlogged change). Policies keep their state in typed arrays
 * sized at construction; no method allocates.
 *
 * Contract:
 *   - insert(slot, pageId): slot was empty; it now holds pageId.
 *   - hit(slot): the page in slot was fixed again.
 *   - remove(slot): slot is empty from now on (after eviction or a drop).
 *   - pickVictims(out, max, evictable): write up to `max` distinct resident slots for
 *     which evictable(slot) is true into out[0..n); return n. It must not call remove —
 *     the pool does, for each victim it actually evicts. It must terminate even when no
 *     slot is evictable (return 0), in bounded work (at most a few passes over the slots).
 *   - usage(slot): a small integer for introspection (usage count, or list position class).
 *   - checkInvariants(): throws on any broken internal invariant.
 */

export interface ReplacementPolicy {
  readonly name: PolicyName;
  insert(slot: number, pageId: number): void;
  hit(slot: number): void;
  remove(slot: number): void;
  pickVictims(out: Int32Array, max: number, evictable: (slot: number) => boolean): number;
  usage(slot: number): number;
  checkInvariants(): void;
}

export type PolicyName = 'clock' | 'lru' | '2q';
export const POLICY_NAMES: readonly PolicyName[] = ['clock', 'lru', '2q'];
