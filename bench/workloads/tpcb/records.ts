/**
 * The fixed binary records remapdb and LMDB store for pgbench's rows (SQLite stores
 * typed columns). Big-endian; balances are float64 holding exact integers, so a long run
 * cannot wrap them as pgbench's int4 columns could (the sums compare exactly).
 *
 *   pgbench_branches  OFFSET SIZE: 0 8 bbalance | 8 88 filler                     = 96 bytes
 *   pgbench_tellers   0 4 bid | 4 8 tbalance | 12 84 filler                       = 96 bytes
 *   pgbench_accounts  0 4 bid | 4 8 abalance | 12 84 filler                       = 96 bytes
 *   pgbench_history   0 4 tid | 4 4 bid | 8 4 aid | 12 4 delta (int32) | 16 8 mtime µs
 *                     (float64) — filler NULL as pgbench's INSERT leaves it    = 24 bytes
 * Fillers are blanks (0x20), pgbench's char(n) padding of its empty filler.
 *
 * The helpers work on plain Uint8Arrays (remapdb returns those; Buffers are ones too).
 */

import type { BalanceTable } from './access.js';

export const RECORD_BYTES = 96;
export const HISTORY_RECORD_BYTES = 24;
export const BALANCE_OFF: Readonly<Record<BalanceTable, number>> = { branches: 0, tellers: 4, accounts: 4 };
const FILLER_OFF: Readonly<Record<BalanceTable, number>> = { branches: 8, tellers: 12, accounts: 12 };
export const H_DELTA_OFF = 12;
const BLANK = 0x20;

const scratch = new DataView(new ArrayBuffer(8));

export function readF64(b: Uint8Array, off: number): number {
  for (let i = 0; i < 8; i++) scratch.setUint8(i, b[off + i] as number);
  return scratch.getFloat64(0);
}

export function writeF64(b: Uint8Array, off: number, v: number): void {
  scratch.setFloat64(0, v);
  for (let i = 0; i < 8; i++) b[off + i] = scratch.getUint8(i);
}

export function readI32(b: Uint8Array, off: number): number {
  return ((b[off] as number) << 24) | ((b[off + 1] as number) << 16) | ((b[off + 2] as number) << 8) | (b[off + 3] as number);
}

export function writeI32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** A freshly loaded row of `table` (balance 0) in `rec`; bid is ignored for branches. */
export function loadedRecord<B extends Uint8Array>(rec: B, table: BalanceTable, bid: number): B {
  if (table !== 'branches') writeI32(rec, 0, bid);
  writeF64(rec, BALANCE_OFF[table], 0);
  rec.fill(BLANK, FILLER_OFF[table], RECORD_BYTES);
  return rec;
}

/** Add delta to the record's balance in place. */
export function addBalance(rec: Uint8Array, table: BalanceTable, delta: number): void {
  const off = BALANCE_OFF[table];
  writeF64(rec, off, readF64(rec, off) + delta);
}

export function historyRecord<B extends Uint8Array>(rec: B, tid: number, bid: number, aid: number, delta: number, mtimeUs: number): B {
  writeI32(rec, 0, tid);
  writeI32(rec, 4, bid);
  writeI32(rec, 8, aid);
  writeI32(rec, H_DELTA_OFF, delta);
  writeF64(rec, 16, mtimeUs);
  return rec;
}
