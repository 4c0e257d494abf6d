/**
 * Security properties of the engine and the CLI:
 *  - nothing listens on a network address: with an inspection server running in this
 *    process, none of the process's sockets is an inet socket (its inodes do not appear in
 *    /proc/net/tcp, tcp6, udp, udp6), and the Unix socket is owner-only;
 *  - paths are taken as given: a directory name full of shell metacharacters is created
 *    literally by `remapdb init`, nothing is run;
 *  - no shell and no evaluation anywhere in the product's source: no exec/execSync, no
 *    `shell: true`, no eval or new Function, no listen() on a port (a static check, as a
 *    lint rule would be).
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import t from 'tap';

import { open } from '../../src/db.js';
import { serveInspection } from '../../src/inspect/serve.js';
import { ROOT, remapdb } from './helpers.js';

/** Socket inodes this process holds (from /proc/self/fd links "socket:[N]"). */
function socketInodes(): Set<string> {
  const out = new Set<string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (m?.[1] !== undefined) out.add(m[1]);
    } catch { /* the fd closed meanwhile */ }
  }
  return out;
}

/** Inodes of the machine's inet sockets (column 10 of /proc/net/{tcp,tcp6,udp,udp6}). */
function inetInodes(): Set<string> {
  const out = new Set<string>();
  for (const f of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text = '';
    try {
      text = fs.readFileSync(`/proc/net/${f}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode !== undefined && inode !== '0') out.add(inode);
    }
  }
  return out;
}

t.test('a serving engine has no inet socket, only its owner-only Unix socket', { skip: fs.existsSync('/proc/self/fd') ? false : 'needs /proc' }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdb-sec-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = open(path.join(dir, 'db'), { poolPages: 128 });
  const before = socketInodes();
  const sock = path.join(dir, 'i.sock');
  await serveInspection(db, sock);
  const mine = [...socketInodes()].filter((i) => !before.has(i));
  t.ok(mine.length >= 1, 'the server holds a socket');
  const inet = inetInodes();
  t.same(mine.filter((i) => inet.has(i)), [], 'none of its sockets is an inet socket');
  const unix = fs.readFileSync('/proc/net/unix', 'utf8');
  t.ok(mine.some((i) => new RegExp(`\\s${i}\\s+${sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm').test(unix)), 'it is the Unix socket at the path');
  t.equal(fs.lstatSync(sock).mode & 0o777, 0o600);
  db.close();
});

t.test('paths are taken as given: shell metacharacters make a literal directory', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdb-sec-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const canary = path.join(dir, 'canary');
  const name = path.join(dir, `x; touch ${canary}; $(touch ${canary}) \`touch ${canary}\``);
  const r = remapdb(['init', name, '--json']);
  t.equal(r.status, 0, r.stderr);
  t.ok(fs.existsSync(path.join(name, 'data.rdb')), 'the database is in the literally named directory');
  t.notOk(fs.existsSync(canary), 'nothing was run');
  const cfg = path.join(dir, 'evil.json');
  fs.writeFileSync(cfg, `{"log": {"level": "info"}, "kernel": {"seed": "require('child_process').execSync('touch ${canary}')"}}`);
  const c = remapdb(['config', '--config', cfg]);
  t.equal(c.status, 3, 'a config value of the wrong type is refused, not evaluated');
  t.notOk(fs.existsSync(canary));
});

t.test('no shell, no eval, no network listener in the product source', async (t) => {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  for (const d of ['cli', 'src', 'storage', 'bufferpool', 'sim-kernel', 'bench', 'reliability', 'config']) if (fs.existsSync(path.join(ROOT, d))) walk(path.join(ROOT, d));
  t.ok(files.length > 50, `${files.length} source files`);
  const forbidden: [RegExp, string][] = [
    // child_process's exec/execSync run a shell; SQLite's db.exec() is a method call and fine.
    [/import\s*\{[^}]*\bexec(Sync)?\b[^}]*\}\s*from\s*['"](node:)?child_process|child_process['"]\)?\.exec(Sync)?\b|(?<![.\w])execSync\s*\(/, 'a shell command (child_process exec/execSync)'],
    [/shell\s*:\s*true/, 'spawn with a shell'],
    [/\beval\s*\(|new\s+Function\s*\(/, 'evaluation of code'],
    [/\.listen\(\s*\d|\.listen\(\s*\{[^}]*\bport\b|createSocket\(\s*['"]udp/, 'a network listener'],
  ];
  // The patterns must catch what they are for (and not SQLite's db.exec or execFile).
  const samples: [string, boolean][] = [
    ["import { exec } from 'node:child_process';", true], ["import { spawn, execSync } from 'child_process';", true],
    ["require('child_process').exec('ls')", true], ["spawn('x', [], { shell: true })", true], ['eval("1")', true], ['new Function("return 1")', true],
    ['server.listen(8080)', true], ["server.listen({ port: 0, host: '::' })", true],
    ["db.exec('BEGIN')", false], ["import { execFile } from 'node:child_process';", false], ["server.listen({ path: sock, exclusive: true })", false],
  ];
  for (const [code, bad] of samples) t.equal(forbidden.some(([re]) => re.test(code)), bad, `pattern check: ${code}`);
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    for (const [re, what] of forbidden) t.notOk(re.test(text), `${path.relative(ROOT, f)}: no ${what}`, { diagnostic: re.test(text) });
  }
});
