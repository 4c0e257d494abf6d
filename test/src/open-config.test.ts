/**
 * open(dir, { config }): a loaded configuration reaches the engine (strategy, pool,
 * guard, dirty tracking, kernel perPageProt), explicit options win over it, and the
 * config's defaults agree with open()'s own.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';

import t from 'tap';

import { loadConfig, open, optionsFromConfig } from '../../src/index.js';

function tmpDir(t: { teardown(fn: () => void): void }): string {
  const d = fs.mkdtempSync(join(os.tmpdir(), 'remapdb-open-config-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('the default configuration gives open()\'s defaults', async (t) => {
  const cfg = loadConfig({ env: {} });
  const o = optionsFromConfig(cfg);
  t.equal(o.poolPages, 4096, 'bufferpool.slots = open()\'s default poolPages');
  t.equal(o.strategy, 'nonlinear');
  t.equal(o.shadowPages, undefined, 'shadowSlots 0 leaves open()\'s default');
  const a = open(join(tmpDir(t), 'a'));
  const b = open(join(tmpDir(t), 'b'), { config: cfg });
  t.equal(a.inspectState().strategy, b.inspectState().strategy);
  t.same([a.inspectState().summary.slotCount, a.stats().pageSize], [b.inspectState().summary.slotCount, b.stats().pageSize]);
  a.close();
  b.close();
});

t.test('config keys reach the engine; explicit options win', async (t) => {
  const cfg = loadConfig({ env: { REMAPDB_BUFFERPOOL_STRATEGY: 'pread', REMAPDB_BUFFERPOOL_SLOTS: '128', REMAPDB_BUFFERPOOL_GUARD: 'true',
    REMAPDB_KERNEL_PER_PAGE_PROT: 'true', REMAPDB_KERNEL_RAM_BYTES: String(32 * 1024 * 1024) } });
  const db = open(join(tmpDir(t), 'db'), { config: cfg });
  t.equal(db.inspectState().strategy, 'pread');
  t.equal(db.inspectState().summary.slotCount, 128);
  t.equal(db.kernel.config.perPageProt, true);
  t.equal(db.kernel.config.ramBytes, 32 * 1024 * 1024);
  db.close();
  const over = open(join(tmpDir(t), 'db2'), { config: cfg, strategy: 'nonlinear', poolPages: 256, kernel: { ramBytes: 64 * 1024 * 1024 } });
  t.equal(over.inspectState().strategy, 'nonlinear');
  t.equal(over.inspectState().summary.slotCount, 256);
  t.equal(over.kernel.config.ramBytes, 64 * 1024 * 1024);
  t.equal(over.kernel.config.perPageProt, true, 'a kernel object given merges over the config\'s');
  over.close();
});
