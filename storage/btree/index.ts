/**
 * storage/btree: the B+tree over pages (tree.ts: API and descent, its numbered invariants
 * and checkInvariants; split.ts: insertion and splits; merge.ts: deletion, merges and root
 * collapse; scan.ts: range scans), its node layout (node.ts), overflow chains for large
 * values (overflow.ts) and the structure checks (check.ts).
 */

export { BTree, MAX_DEPTH, MAX_VALUE_BYTES, maxKeyBytes, PUT_EXISTS, PUT_INSERTED, PUT_MISSING, PUT_REPLACED } from './tree.js';
export type { BTreeStats, PutMode, RangeOptions } from './tree.js';
