/**
 * Configuration honoured by the commands that open a database: a load under
 * REMAPDB_BUFFERPOOL_STRATEGY=pread really runs on pread (its stored snapshot says so),
 * and a profile, the environment and a flag override each other in the documented order
 * (default < profile < file < env < flags). `remapdb config` shows only keys a command
 * reads, and which.
 */

import { join } from 'node:path';

import t from 'tap';

import { readSnapshots } from '../../storage/index.js';
import { remapdb, tmp } from './helpers.js';

const TINY = ['--param', 'accountsPerBranch=2000'];

function lastSnapshot(dir: string): { strategy: string; slots: number } {
  const s = readSnapshots(join(dir, 'meta.sqlite')).snapshot;
  if (s === undefined) throw new Error(`no snapshot in ${dir}`);
  return { strategy: s.strategy, slots: (s.summary as { slotCount: number }).slotCount };
}

t.test('load under REMAPDB_BUFFERPOOL_STRATEGY=pread loads on pread', async (t) => {
  const dir = join(tmp(t, 'cfg-load'), 'db');
  const r = remapdb(['load', 'tpcb', dir, '--scale', '1', ...TINY], { env: { REMAPDB_BUFFERPOOL_STRATEGY: 'pread' } });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /remapdb: pread, 4096 slots/);
  t.same(lastSnapshot(dir), { strategy: 'pread', slots: 4096 });
});

t.test('precedence: profile < env < flag', async (t) => {
  const root = tmp(t, 'cfg-prec');
  const cfgFile = join(root, 'cfg.json');
  (await import('node:fs')).writeFileSync(cfgFile, JSON.stringify({ bufferpool: { slots: 96, strategy: 'multi-mmap' } }));
  // The file sets 96 slots over the default; the environment sets 80 over the file; the flag 72 over both.
  const a = join(root, 'a');
  t.equal(remapdb(['load', 'tpcb', a, '--scale', '1', ...TINY, '--config', cfgFile]).status, 0);
  t.same(lastSnapshot(a), { strategy: 'multi-mmap', slots: 96 }, 'file over default');
  const b = join(root, 'b');
  t.equal(remapdb(['load', 'tpcb', b, '--scale', '1', ...TINY, '--config', cfgFile], { env: { REMAPDB_BUFFERPOOL_SLOTS: '80' } }).status, 0);
  t.same(lastSnapshot(b), { strategy: 'multi-mmap', slots: 80 }, 'env over file');
  const c = join(root, 'c');
  const rc = remapdb(['load', 'tpcb', c, '--scale', '1', ...TINY, '--config', cfgFile, '--pool-pages', '72', '--strategy', 'nonlinear'],
    { env: { REMAPDB_BUFFERPOOL_SLOTS: '80' } });
  t.equal(rc.status, 0, rc.stderr);
  t.same(lastSnapshot(c), { strategy: 'nonlinear', slots: 72 }, 'flags over env');

  // A profile's value too small for a load names the layer that set it; a flag overrides it.
  const small = remapdb(['load', 'tpcb', join(root, 'd'), '--scale', '1', ...TINY, '--profile', 'test-min']);
  t.equal(small.status, 2);
  t.match(small.stderr, /bufferpool\.slots = 16 \(set by profile test-min\): this command needs an integer from 64/);
  const e = join(root, 'e');
  // test-min's 64 KiB RLIMIT_MEMLOCK is honoured too: the mlocked window is refused until mlock is off.
  const locked = remapdb(['load', 'tpcb', join(root, 'f'), '--scale', '1', ...TINY, '--profile', 'test-min', '--pool-pages', '64']);
  t.match(locked.stderr, /RLIMIT_MEMLOCK \(65536 bytes/);
  const re = remapdb(['load', 'tpcb', e, '--scale', '1', ...TINY, '--profile', 'i386-vlm', '--pool-pages', '72']);
  t.equal(re.status, 0, re.stderr);
  t.match(re.stderr, /remapdb: nonlinear, 72 slots, clock; kernel linux-2\.6 i386, 1024 MiB RAM/, 'the profile\'s machine, the flag\'s pool');
  t.same(lastSnapshot(e).slots, 72, 'flag over profile');
});

t.test('init takes the page size from the configuration unless --page-size says', async (t) => {
  const root = tmp(t, 'cfg-init');
  const r = remapdb(['init', join(root, 'a'), '--json'], { env: { REMAPDB_KERNEL_PAGE_SIZE: '8192' } });
  t.equal(r.status, 0, r.stderr);
  t.equal((JSON.parse(r.stdout) as { pageSize: number }).pageSize, 8192);
  const f = remapdb(['init', join(root, 'b'), '--json', '--page-size', '4096'], { env: { REMAPDB_KERNEL_PAGE_SIZE: '8192' } });
  t.equal((JSON.parse(f.stdout) as { pageSize: number }).pageSize, 4096);
});

t.test('config shows only keys a command reads, and which', async (t) => {
  const r = remapdb(['config']);
  t.equal(r.status, 0);
  t.notMatch(r.stdout, /^bufferpool\.(evictBatch|growPages|debug) /m);
  t.match(r.stdout, /^# not shown: bufferpool\.evictBatch, bufferpool\.growPages, bufferpool\.debug/m);
  t.match(r.stdout, /^# read by: init, load, serve, check, tables, schema, get, scan, dump, import\n(bufferpool\.strategy|kernel\.)/m);
  t.match(r.stdout, /^bufferpool\.slots += 4096$/m);
  const j = JSON.parse(remapdb(['config', '--json']).stdout) as { bufferpool: Record<string, unknown> };
  t.same(Object.keys(j.bufferpool), ['strategy', 'slots', 'policy', 'shadowSlots', 'mlock', 'guard', 'dirtyTracking']);
});

t.test('bench takes the personality from the configuration when --personality is absent', async (t) => {
  const root = tmp(t, 'cfg-bench');
  const args = ['bench', 'tpcb', '--scale', '1', ...TINY, '--engines', 'remapdb', '--strategies', 'nonlinear', '--pool-pages', '256',
    '--duration', '1', '--warmup', '0', '--results', '', '--inspect-socket', '', '--work-dir', root, '--json'];
  const r = remapdb(args, { env: { REMAPDB_KERNEL_PERSONALITY: 'linux-4.0', REMAPDB_KERNEL_COSTS_IO_READ_NS: '50000' } });
  t.equal(r.status, 0, r.stderr);
  const run = JSON.parse(r.stdout) as { cells: { engine: { personality: string; config?: { kernel: { costs: { ioRead: { ns: number } } } } } }[] };
  t.equal(run.cells[0]?.engine.personality, 'linux-4.0', 'env over the default axis');
  t.equal(run.cells[0]?.engine.config?.kernel.costs.ioRead.ns, 50000, 'other kernel keys reach the cell');
  const flag = remapdb([...args, '--personality', 'linux-2.6'], { env: { REMAPDB_KERNEL_PERSONALITY: 'linux-4.0' } });
  t.equal(flag.status, 0, flag.stderr);
  t.equal((JSON.parse(flag.stdout) as typeof run).cells[0]?.engine.personality, 'linux-2.6', 'the flag over env');
});
