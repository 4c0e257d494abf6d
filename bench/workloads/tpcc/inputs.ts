/**
 * A terminal's draws for each transaction (clause 2.4.1, 2.5.1, 2.6.1, 2.7.1, 2.8.1), from
 * its own Rng and the run's NURand constants.
 *
 * Scale-down: with fewer than 1000 customers per district, run-time last names are drawn
 * from the names that exist (0..customers−1), so a by-name lookup always finds someone.
 */

import type { Rng } from '../rng.js';
import { A_C_ID, A_C_LAST, A_OL_I_ID, lastName, type NurandConstants } from './random.js';
import { DISTRICTS_PER_WAREHOUSE, type TpccParams } from './schema.js';
import type { CustomerRef, NewOrderInput, OrderLineInput } from './txns.js';

export interface DrawContext {
  rng: Rng;
  params: TpccParams;
  c: NurandConstants;
}

function customerRef(x: DrawContext, byNamePercent: number): CustomerRef {
  if (x.rng.int(1, 100) <= byNamePercent) {
    const maxName = Math.min(1000, x.params.customersPerDistrict) - 1;
    return { last: lastName(x.rng.nurand(A_C_LAST, 0, maxName, x.c.cLast)) };
  }
  return { cId: x.rng.nurand(A_C_ID, 1, x.params.customersPerDistrict, x.c.cId) };
}

/** Another warehouse than wId (W > 1). */
function otherWarehouse(x: DrawContext, wId: number): number {
  const o = x.rng.int(1, x.params.warehouses - 1);
  return o >= wId ? o + 1 : o;
}

export function drawNewOrder(x: DrawContext, wId: number): NewOrderInput {
  const { rng, params } = x;
  const dId = rng.int(1, DISTRICTS_PER_WAREHOUSE);
  const cId = rng.nurand(A_C_ID, 1, params.customersPerDistrict, x.c.cId);
  const count = rng.int(5, 15);
  const rollback = rng.int(1, 100) === 1;
  const lines: OrderLineInput[] = [];
  for (let n = 1; n <= count; n++) {
    // The 1 % rollback: the last line names an item that does not exist (clause 2.4.1.4).
    const iId = rollback && n === count ? params.items + 1 : rng.nurand(A_OL_I_ID, 1, params.items, x.c.olIId);
    const remote = params.warehouses > 1 && rng.int(1, 100) === 1;
    lines.push({ iId, supplyWId: remote ? otherWarehouse(x, wId) : wId, quantity: rng.int(1, 10) });
  }
  return { wId, dId, cId, lines };
}

export interface PaymentDraw {
  dId: number;
  cWId: number;
  cDId: number;
  customer: CustomerRef;
  amountCents: number;
}

export function drawPayment(x: DrawContext, wId: number): PaymentDraw {
  const { rng, params } = x;
  const dId = rng.int(1, DISTRICTS_PER_WAREHOUSE);
  const local = params.warehouses === 1 || rng.int(1, 100) <= 85;
  const cWId = local ? wId : otherWarehouse(x, wId);
  const cDId = local ? dId : rng.int(1, DISTRICTS_PER_WAREHOUSE);
  const customer = customerRef(x, 60);
  return { dId, cWId, cDId, customer, amountCents: rng.int(100, 500_000) };
}

export function drawOrderStatus(x: DrawContext): { dId: number; customer: CustomerRef } {
  const dId = x.rng.int(1, DISTRICTS_PER_WAREHOUSE);
  return { dId, customer: customerRef(x, 60) };
}

export function drawCarrier(x: DrawContext): number {
  return x.rng.int(1, 10);
}

export function drawThreshold(x: DrawContext): number {
  return x.rng.int(10, 20);
}
