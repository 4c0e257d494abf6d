/**
 * The walk behind BufferPool.checkInvariants (pool.ts invariants 1–5): every slot and
 * shadow against the page map, the free stack, the pins and the policy. Tests call it
 * after each step, the pool itself under `debug`; never on a hot path (it allocates a
 * byte per slot). Split from pool.ts so the fix/unfix core reads on its own.
 */

import { assertionFailed } from './assert.js';
import type { PageMap } from './page-map.js';
import type { ReplacementPolicy } from './policies/index.js';
import type { Shadows } from './shadows.js';

/** The pool's state the walk reads (pool.ts fields of the same names). */
export interface PoolState {
  readonly slotCount: number;
  readonly map: PageMap;
  readonly policy: ReplacementPolicy;
  readonly shadows: Shadows;
  readonly free: Int32Array;
  readonly freeTop: number;
  readonly pageOf: Float64Array;
  readonly pins: Int32Array;
  readonly kernelPins: Int32Array;
  readonly dirty: Uint8Array;
}

export function checkPoolInvariants(p: PoolState): void {
  const fail = (msg: string): never => assertionFailed(`BufferPool invariant: ${msg}`);
  p.map.checkInvariants();
  p.policy.checkInvariants();
  const sh = p.shadows;
  const onFree = new Uint8Array(p.slotCount);
  for (let i = 0; i < p.freeTop; i++) {
    const s = p.free[i] as number;
    if (onFree[s] === 1) fail(`slot ${s} twice on the free stack`);
    onFree[s] = 1;
  }
  let resident = 0;
  for (let s = 0; s < p.slotCount; s++) {
    const page = p.pageOf[s] as number;
    if (page < 0) {
      if (onFree[s] !== 1) fail(`empty slot ${s} not on the free stack`);
      if (p.pins[s] !== 0 || sh.has(s) || p.dirty[s] !== 0) fail(`empty slot ${s} has state`);
      continue;
    }
    resident++;
    if (onFree[s] === 1) fail(`slot ${s} holding page ${page} is on the free stack`);
    if (p.map.get(page) !== s) fail(`page ${page} maps to slot ${p.map.get(page)}, not ${s}`);
    if (!((p.pins[s] as number) >= (p.kernelPins[s] as number) && (p.kernelPins[s] as number) >= 0)) {
      fail(`slot ${s}: pins ${p.pins[s]} kernel pins ${p.kernelPins[s]}`);
    }
    sh.checkSlot(s);
  }
  if (resident !== p.map.size) fail(`${resident} resident slots, map holds ${p.map.size}`);
  sh.checkInvariants();
}
