import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'cli/main.ts');
// Absolute, so the CLI can also run from a cwd outside the repository.
const TSX = import.meta.resolve('tsx');

interface Run { status: number | null; stdout: string; stderr: string }

/** Run the real CLI through tsx with no ambient REMAPDB_* variables. */
function remapdb(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Run {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REMAPDB_')));
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...env, ...opts.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLine(t: Test, r: Run): void {
  t.equal(r.stdout, '', 'nothing on stdout');
  t.match(r.stderr, /^remapdb: [^\n]+\n$/, 'exactly one line on stderr');
  t.notMatch(r.stderr, /\bat .*\.(ts|js):\d+/, 'no stack trace');
}

t.test('--help teaches: usage, commands, examples, exit codes', async (t) => {
  const r = remapdb(['--help']);
  t.equal(r.status, 0);
  t.equal(r.stderr, '');
  t.match(r.stdout, /^Usage: remapdb <command> \[options\]/);
  t.match(r.stdout, /Commands:\n\s+remapdb init[^]*remapdb inspect[^]*remapdb demo[^]*remapdb config/);
  t.match(r.stdout, /Examples:\n[^]*remapdb demo [^]*remapdb config/);
  t.match(r.stdout, /REMAPDB_PROFILE/);
  t.match(r.stdout, /Exit codes:\n[^]*3 {2}CONFIG/);
});

t.test('--version prints the package version', async (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const r = remapdb(['--version']);
  t.equal(r.status, 0);
  t.equal(r.stdout, `${pkg.version}\n`);
});

t.test('config --json prints the effective configuration as a loadable file', async (t) => {
  const r = remapdb(['config', '--json', '--profile', 'i386-vlm']);
  t.equal(r.status, 0);
  t.equal(r.stderr, '');
  const cfg = JSON.parse(r.stdout) as { kernel: { arch: string; costs: { ioRead: { ns: number } } } };
  t.equal(cfg.kernel.arch, 'i386');
  t.equal(cfg.kernel.costs.ioRead.ns, 80000);

  const file = join(t.testdir({}), 'effective.json');
  writeFileSync(file, r.stdout);
  const again = remapdb(['config', '--json', '--config', file]);
  t.equal(again.status, 0);
  t.same(JSON.parse(again.stdout), cfg, 'round trip through --config');
});

t.test('config prints key = value lines with cost sources and origins', async (t) => {
  const r = remapdb(['config', '--profile', 'test-min'], { env: { REMAPDB_KERNEL_SEED: '7' } });
  t.equal(r.status, 0);
  t.match(r.stdout, /^kernel\.arch +=  ?x86_64$/m);
  t.match(r.stdout, /^kernel\.ramBytes += 1048576 +# from profile test-min$/m);
  t.match(r.stdout, /^kernel\.seed += 7 +# from env REMAPDB_KERNEL_SEED$/m);
  t.match(r.stdout, /^kernel\.costs\.ioRead\.ns += 15000 +# NVMe/m);
  t.match(r.stdout, /^log\.level += info$/m);
});

t.test('config --profiles lists the profiles', async (t) => {
  const r = remapdb(['config', '--profiles']);
  t.equal(r.status, 0);
  t.same(r.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['i386-vlm', 'test-min', 'x86_64']);
});

t.test('bad command lines: one stderr line, exit 2', async (t) => {
  const flag = remapdb(['config', '--bogus']);
  t.equal(flag.status, 2);
  oneLine(t, flag);
  t.match(flag.stderr, /unknown option --bogus; allowed: .*--profile/);

  const command = remapdb(['frobnicate']);
  t.equal(command.status, 2);
  oneLine(t, command);
  t.match(command.stderr, /unknown command "frobnicate"; commands: init, load, bench, compare, runs, inspect, tables, schema, get, scan, dump, import, serve, kernel, check, report, demo, config/);

  const level = remapdb(['config', '--log-level', 'verbose']);
  t.equal(level.status, 2);
  oneLine(t, level);
  t.match(level.stderr, /--log-level "verbose" is not allowed; allowed: .*debug/);

  const noValue = remapdb(['config', '--config']);
  t.equal(noValue.status, 2);
  oneLine(t, noValue);

  const none = remapdb([]);
  t.equal(none.status, 2);
  oneLine(t, none);
});

t.test('bad configuration: one stderr line, exit 3', async (t) => {
  const profile = remapdb(['config', '--profile', 'nope']);
  t.equal(profile.status, 3);
  oneLine(t, profile);
  t.match(profile.stderr, /"nope".*i386-vlm, test-min, x86_64/);

  const value = remapdb(['config'], { env: { REMAPDB_KERNEL_PAGE_SIZE: '5000' } });
  t.equal(value.status, 3);
  oneLine(t, value);
  t.match(value.stderr, /kernel\.pageSize = 5000 .*REMAPDB_KERNEL_PAGE_SIZE.*4096 to 65536/);

  const file = remapdb(['config', '--config', '/nonexistent/remapdb.json']);
  t.equal(file.status, 3);
  oneLine(t, file);
  t.match(file.stderr, /\/nonexistent\/remapdb\.json/);
});

t.test('logs go to stderr, never stdout; any cwd works', async (t) => {
  const r = remapdb(['config', '--json', '--log-level', 'debug'], { cwd: t.testdir({}) });
  t.equal(r.status, 0);
  t.equal((JSON.parse(r.stdout) as { log: { level: string } }).log.level, 'debug', 'stdout is only the JSON');
  const log = JSON.parse(r.stderr.trim().split('\n')[0] ?? '') as { msg: string; name: string };
  t.equal(log.name, 'remapdb');
  t.equal(log.msg, 'configuration loaded');
});
