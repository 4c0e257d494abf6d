/**
 * Unit tests of Accounting: the cost model and the simulated clock (accounting.ts).
 */

import t from 'tap';

import { Accounting, EV, VS } from '../../sim-kernel/accounting.js';
import { DEFAULT_COSTS_NS } from '../../sim-kernel/config.js';

t.test('accounting charges the cost model and keeps the clock monotonic', async (t) => {
  const acct = new Accounting(DEFAULT_COSTS_NS);
  acct.charge(EV.minorFault, 2);
  acct.charge(EV.syscallEntry);
  acct.count(VS.pgfault);
  t.equal(acct.kernelNs, 2 * DEFAULT_COSTS_NS.minorFault + DEFAULT_COSTS_NS.syscallEntry);
  t.equal(acct.timeByEvent().minorFault?.count, 2);
  t.equal(acct.vmstat().pgfault, 1);
  acct.advance(1000);
  t.equal(acct.nowNs, acct.kernelNs + 1000);
  t.throws(() => acct.advance(-1));
});
