import t, { type Test } from 'tap';
import { join } from 'node:path';
import { COST_EVENTS, DEFAULT_KERNEL_CONFIG, resolveKernelConfig } from '../../sim-kernel/index.js';
import {
  ConfigError,
  listProfiles,
  loadConfig,
  resolveConfig,
  toKernelConfig,
  type LoadOptions,
} from '../../src/config/index.js';

/** Run `fn`, which must throw a ConfigError; return it. */
function refused(t: Test, fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    t.type(err, ConfigError, 'throws a ConfigError');
    const e = err as ConfigError;
    t.notMatch(e.message, /\n/, 'message is one line');
    return e;
  }
  t.fail('expected a ConfigError');
  throw new Error('unreachable');
}

/** Load with no ambient environment, so REMAPDB_* of the test runner cannot leak in. */
function load(opts: LoadOptions = {}) {
  return loadConfig({ env: {}, ...opts });
}

t.test('the default loads and matches sim-kernel defaults', async (t) => {
  const cfg = load();
  t.equal(cfg.kernel.arch, 'x86_64');
  t.equal(cfg.kernel.pageSize, 4096);
  t.equal(cfg.log.level, 'info');
  for (const ev of COST_EVENTS) {
    t.ok(cfg.kernel.costs[ev].source.length > 0, `costs.${ev} has a source`);
  }
  // The loader returns the resolved config (watermarks derived from RAM), so compare with
  // sim-kernel's defaults resolved the same way.
  t.same(toKernelConfig(cfg), resolveKernelConfig(DEFAULT_KERNEL_CONFIG), 'config/default.json = sim-kernel defaults (costs as ns)');
});

t.test('every profile loads', async (t) => {
  const names = listProfiles();
  t.same(names, [...names].sort(), 'sorted');
  for (const expected of ['i386-vlm', 'test-min', 'x86_64']) t.ok(names.includes(expected), `has ${expected}`);
  for (const profile of names) {
    const cfg = load({ profile });
    t.doesNotThrow(() => toKernelConfig(cfg), `${profile} passes resolveKernelConfig`);
  }
  const vlm = load({ profile: 'i386-vlm' });
  t.equal(vlm.kernel.arch, 'i386');
  t.equal(vlm.kernel.costs.ioRead.ns, 80000);
  t.match(vlm.kernel.costs.ioRead.source, /SATA SSD/);
  t.equal(vlm.kernel.costs.ioWrite.ns, 15000, 'keys the profile does not set come from the default');
  const min = load({ profile: 'test-min' });
  t.equal(min.kernel.ramBytes / min.kernel.pageSize, 256);
  t.equal(min.kernel.tlbEntries, 16);
  t.equal(min.kernel.maxMapCount, 64);
});

t.test('refused values name the key, the value and what is allowed', async (t) => {
  const unknown = refused(t, () => load({ overrides: { kernel: { fooBar: 1 } } }));
  t.equal(unknown.code, 'REMAPDB_CONFIG_INVALID');
  t.match(unknown.message, /kernel\.fooBar = 1 is not a known key/);
  t.match(unknown.message, /ramBytes/, 'lists the known keys');

  const topLevel = refused(t, () => load({ overrides: { bufferpoool: {} } }));
  t.match(topLevel.message, /bufferpoool .* not a known key.*kernel, bufferpool, log/);

  const wrongType = refused(t, () => load({ overrides: { kernel: { seed: 'seven' } } }));
  t.equal(wrongType.code, 'REMAPDB_CONFIG_INVALID');
  t.match(wrongType.message, /kernel\.seed = "seven" is invalid \(set by overrides\); allowed: an integer from 0 to 4294967295/);

  const page = refused(t, () => load({ overrides: { kernel: { pageSize: 5000 } } }));
  t.match(page.message, /kernel\.pageSize = 5000 .*power of two from 4096 to 65536/);
  t.match(page.details, { key: 'kernel.pageSize', value: 5000, origin: 'overrides', problems: [{ key: 'kernel.pageSize' }] });

  const tiny = refused(t, () => load({ overrides: { kernel: { ramBytes: 15 * 4096 } } }));
  t.match(tiny.message, /kernel\.ramBytes = 61440 .*at least 16 pages \(65536 bytes at pageSize 4096\).*page table/);

  const odd = refused(t, () => load({ overrides: { kernel: { ramBytes: 65536 + 1 } } }));
  t.match(odd.message, /kernel\.ramBytes = 65537 .*multiple of pageSize/);

  const tlb = refused(t, () => load({ overrides: { kernel: { tlbEntries: 1536 } } }));
  t.match(tlb.message, /kernel\.tlbEntries = 1536 .*power of two/);

  const cpus = refused(t, () => load({ overrides: { kernel: { cpus: 65 } } }));
  t.match(cpus.message, /kernel\.cpus = 65 .*from 1 to 64/);

  const cost = refused(t, () => load({ overrides: { kernel: { costs: { ioRead: { ns: -1 } } } } }));
  t.match(cost.message, /kernel\.costs\.ioRead\.ns = -1/);

  const level = refused(t, () => load({ overrides: { log: { level: 'verbose' } } }));
  t.match(level.message, /log\.level = "verbose" .*debug/);

  const two = refused(t, () => load({ overrides: { kernel: { seed: -1, cpus: 0 } } }));
  t.match(two.message, /\(and 1 more: kernel\.cpus\)/, 'further problems are counted and named');
});

t.test('a bad profile name lists the available profiles', async (t) => {
  const e = refused(t, () => load({ profile: 'nope' }));
  t.equal(e.code, 'REMAPDB_CONFIG_PROFILE_UNKNOWN');
  t.match(e.message, /"nope".*i386-vlm, test-min, x86_64/);
  const traversal = refused(t, () => load({ profile: '../default' }));
  t.equal(traversal.code, 'REMAPDB_CONFIG_PROFILE_UNKNOWN', 'a path is not a profile name');
});

t.test('config files: malformed, missing, not an object', async (t) => {
  const dir = t.testdir({
    'bad.json': '{\n  "kernel": { "seed": 1, }\n}\n',
    'array.json': '[1, 2]',
    'seed.json': JSON.stringify({ kernel: { seed: 99 } }),
  });
  const bad = refused(t, () => load({ file: join(dir, 'bad.json') }));
  t.equal(bad.code, 'REMAPDB_CONFIG_FILE');
  t.match(bad.message, join(dir, 'bad.json'));
  t.match(bad.message, /not valid JSON: .*line 2/);

  const missing = refused(t, () => load({ file: join(dir, 'missing.json') }));
  t.equal(missing.code, 'REMAPDB_CONFIG_FILE');
  t.match(missing.message, /missing\.json.*ENOENT/);

  const array = refused(t, () => load({ file: join(dir, 'array.json') }));
  t.equal(array.code, 'REMAPDB_CONFIG_INVALID');

  t.equal(load({ file: join(dir, 'seed.json') }).kernel.seed, 99);
});

t.test('precedence: default < profile < file < env < overrides', async (t) => {
  const dir = t.testdir({
    'file.json': JSON.stringify({ kernel: { seed: 2, cpus: 2, maxMapCount: 1000 } }),
    'other.json': JSON.stringify({ kernel: { seed: 3 } }),
  });
  const file = join(dir, 'file.json');

  const r = resolveConfig({
    profile: 'test-min',
    file,
    env: { REMAPDB_KERNEL_SEED: '4', REMAPDB_KERNEL_CPUS: '4' },
    overrides: { kernel: { cpus: 8 } },
  });
  t.equal(r.config.kernel.ramBytes, 1048576, 'profile over default');
  t.equal(r.config.kernel.maxMapCount, 1000, 'file over profile');
  t.equal(r.config.kernel.seed, 4, 'env over file');
  t.equal(r.config.kernel.cpus, 8, 'overrides over env');
  t.equal(r.originOf('kernel.ramBytes'), 'profile test-min');
  t.equal(r.originOf('kernel.seed'), 'env REMAPDB_KERNEL_SEED');
  t.equal(r.originOf('kernel.arch'), 'default');
  t.equal(r.kernel.cpus, 8, 'the KernelConfig agrees');

  const viaEnv = resolveConfig({ env: { REMAPDB_PROFILE: 'i386-vlm', REMAPDB_CONFIG: file, REMAPDB_LOG_LEVEL: 'debug' } });
  t.equal(viaEnv.profile, 'i386-vlm', 'REMAPDB_PROFILE picks the profile');
  t.equal(viaEnv.config.kernel.seed, 2, 'REMAPDB_CONFIG picks the file');
  t.equal(viaEnv.config.log.level, 'debug');

  const flagsWin = resolveConfig({ profile: 'test-min', file: join(dir, 'other.json'),
    env: { REMAPDB_PROFILE: 'i386-vlm', REMAPDB_CONFIG: file } });
  t.equal(flagsWin.config.kernel.arch, 'x86_64', 'opts.profile beats REMAPDB_PROFILE');
  t.equal(flagsWin.config.kernel.seed, 3, 'opts.file beats REMAPDB_CONFIG');

  t.equal(load({ env: { REMAPDB_KERNEL_SEED: '' } }).kernel.seed, 1, 'an empty variable counts as unset');

  const badEnv = refused(t, () => load({ env: { REMAPDB_KERNEL_SEED: 'x7' } }));
  t.match(badEnv.message, /kernel\.seed = "x7" is invalid \(set by env REMAPDB_KERNEL_SEED\)/);

  const typo = refused(t, () => load({ env: { REMAPDB_KERNEL_RAMBYTES: '1048576' } }));
  t.match(typo.message, /REMAPDB_KERNEL_RAMBYTES names no setting; did you mean REMAPDB_KERNEL_RAM_BYTES\?/);
  t.equal(load({ env: { REMAPDB_SOMETHING_ELSE: '1' } }).kernel.seed, 1, 'other REMAPDB_* names are left alone');

  const badProfileEnv = refused(t, () => load({ env: { REMAPDB_PROFILE: 'nope' } }));
  t.match(badProfileEnv.message, /"nope" \(from REMAPDB_PROFILE\)/);
});

t.test('cost overrides and their sources', async (t) => {
  const cost = load({ env: { REMAPDB_KERNEL_COSTS_IO_READ_NS: '50000' } }).kernel.costs.ioRead;
  t.equal(cost.ns, 50000);
  t.equal(cost.source, 'no source given (set by env REMAPDB_KERNEL_COSTS_IO_READ_NS)', 'a stale source is not kept');
  const both = load({ overrides: { kernel: { costs: { ioRead: { ns: 7, source: 'my disk' } } } } }).kernel.costs.ioRead;
  t.same(both, { ns: 7, source: 'my disk' });
  const k = toKernelConfig(load({ profile: 'i386-vlm' }));
  t.equal(k.costs.ioRead, 80000, 'toKernelConfig turns {ns, source} into ns');
});

t.test('inputs are neither mutated nor able to pollute prototypes', async (t) => {
  const overrides = { kernel: { costs: { ioRead: { ns: 5 } } } };
  load({ overrides });
  t.same(overrides, { kernel: { costs: { ioRead: { ns: 5 } } } }, 'overrides untouched');
  const proto = refused(t, () => load({ overrides: JSON.parse('{"kernel": {"__proto__": {"polluted": 1}}}') as object }));
  t.match(proto.message, /kernel\.__proto__ .* not a known key/);
  t.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

t.test('config paths do not depend on the cwd', async (t) => {
  t.chdir(t.testdir({}));
  t.equal(load({ profile: 'test-min' }).kernel.tlbEntries, 16);
});
