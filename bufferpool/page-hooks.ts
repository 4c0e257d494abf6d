/**
 * The storage engine's hooks on a slot's page, run where the pool calls them: onLoad after a
 * miss (verify the checksum) and beforeWriteBack before a write (seal the page). Each resolves
 * the slot's page, runs the hook on its bytes and gives the kernel pin back. No state.
 */

import type { Strategy } from './strategies/index.js';
import type { BufferPoolOptions } from './types.js';

/** Run the beforeWriteBack hook on a slot's installed page (it is about to be written). */
export function sealForWrite(strategy: Strategy, hook: BufferPoolOptions['beforeWriteBack'], bytes: Uint8Array, slot: number,
  pageId: number, lsn: number): void {
  if (hook === undefined) return;
  const off = strategy.resolve(slot, true);
  try {
    hook(pageId, bytes, off, lsn);
  } finally {
    if (strategy.pinsOnFix) strategy.release(slot);
  }
}

/** Run the onLoad hook on a freshly loaded slot (a throw rejects the page: the caller gives the slot back). */
export function verifyLoaded(strategy: Strategy, hook: NonNullable<BufferPoolOptions['onLoad']>, bytes: Uint8Array, slot: number,
  pageId: number): void {
  const off = strategy.resolve(slot, false);
  try {
    hook(pageId, bytes, off);
  } finally {
    if (strategy.pinsOnFix) strategy.release(slot);
  }
}
