/**
 * `remapdb check` (checkDatabase, in process) on a database written by an older remapdb:
 * a format 1 page file (test/storage/fixtures/format1) is upgraded when opened and the
 * report says so; its image.json of an older harness version still names the workload
 * (found when the image version went to 2: check of the demo database of an earlier run
 * failed with an internal error); an unreadable image.json is a failed check, not a crash.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import t from 'tap';

import { checkDatabase } from '../../cli/commands/check.js';
import { format1Fixture } from '../storage/helpers/index.js';


t.test('a format 1 database: upgraded, every engine check passes, the report says so', async (t) => {
  const dir = format1Fixture(t, 'clean');
  const r = checkDatabase(dir, { checksums: true, workload: true });
  t.match(r.upgraded, { from: 1, to: 2, damaged: [] });
  t.ok(r.ok, `all ${r.checks.length} checks pass`);
  const again = checkDatabase(dir, { checksums: true, workload: true });
  t.equal(again.upgraded, null, 'once');
});

t.test("an older harness's image.json still names the workload; a damaged one is a failed check", async (t) => {
  const dir = format1Fixture(t, 'clean');
  fs.writeFileSync(path.join(dir, 'image.json'), JSON.stringify({ version: 1, workload: { name: 'tpcb', params: { scale: 1 } }, seed: 1, kind: 'remapdb' }));
  const r = checkDatabase(dir, { checksums: false, workload: true });
  t.same(r.workload, { name: 'tpcb', params: { scale: 1 } }, 'the workload of a version 1 manifest');
  t.ok(r.checks.some((c) => c.group === 'workload' && !c.ok), "tpcb's checks ran (and fail: the fixture is not a TPC-B database)");
  fs.writeFileSync(path.join(dir, 'image.json'), '{bad');
  const bad = checkDatabase(dir, { checksums: false, workload: true });
  t.match(bad.checks.find((c) => c.id === 'image.json'), { ok: false, detail: /image\.json cannot be read as a load manifest/ });
  fs.writeFileSync(path.join(dir, 'image.json'), '{"version": 2}');
  t.match(checkDatabase(dir, { checksums: false, workload: true }).checks.find((c) => c.id === 'image.json'),
    { ok: false, detail: /is not a load manifest: it names no workload/ });
});
