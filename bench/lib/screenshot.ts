/**
 * Headless Chromium for checking generated HTML the way a reader sees it: a PNG of the
 * viewport (`screenshotHtml`) and the DOM after parsing (`dumpDom`). Debian's chromium
 * at /usr/bin/chromium only; callers that can live without it ask `chromiumPath()` first.
 *
 * Every run gets a fresh profile directory, removed afterwards: a shared profile would
 * leak state between runs and lock against a concurrent one. The flags keep Chromium
 * off the network (no component updates, sync, QUIC or background requests), so a
 * check of a self-contained page cannot pass by fetching something.
 */

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

import { CodedError } from '../../sim-kernel/index.js';

export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

export interface ChromiumOptions {
  width?: number;
  height?: number;
  timeoutMs?: number;
}

/** The Chromium binary, or null when this machine has none (the checks that need it skip). */
export function chromiumPath(): string | null {
  try {
    fs.accessSync(CHROMIUM, fs.constants.X_OK);
    return CHROMIUM;
  } catch {
    return null;
  }
}

/** The last lines of Chromium's stderr that say something: it logs D-Bus failures on every start in a container. */
function stderrTail(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim())
    .filter((l) => l !== '' && !/dbus|Fontconfig|unexpected operator/i.test(l));
  return lines.slice(-5).join(' | ') || '(nothing on stderr)';
}

async function runChromium(what: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const bin = chromiumPath();
  if (bin === null) throw new CodedError('ENOENT', `${what}: no Chromium at ${CHROMIUM} (install Debian's chromium package)`);
  const profile = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'remapdb-chromium-'));
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(bin, [...FLAGS, `--user-data-dir=${profile}`, ...args],
        // SIGKILL on timeout: a wedged browser may ignore SIGTERM; its helpers exit once their parent's pipe closes.
        { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (err === null) {
            resolve(stdout);
            return;
          }
          const why = err.killed ? `timed out after ${timeoutMs} ms` : `exited with ${err.code ?? err.signal ?? 'an error'}`;
          reject(new CodedError('REMAPDB_CHROMIUM_FAILED', `${what}: chromium ${why}: ${stderrTail(stderr)}`,
            { cause: err, details: { args: [...args], timeoutMs } }));
        });
    });
  } finally {
    await fs.promises.rm(profile, { recursive: true, force: true, maxRetries: 3 });
  }
}

function pageUrl(what: string, htmlPath: string): string {
  const abs = path.resolve(htmlPath);
  if (!fs.existsSync(abs)) throw new CodedError('ENOENT', `${what}: no such file ${abs}`);
  return pathToFileURL(abs).href;
}

function windowSize(opts: ChromiumOptions): string {
  const width = opts.width ?? 1280;
  const height = opts.height ?? 2000;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`window size must be positive integers, got ${width}×${height}`);
  }
  return `--window-size=${width},${height}`;
}

/** A PNG of the page's first width × height pixels (the window, not the whole page). */
export async function screenshotHtml(htmlPath: string, pngPath: string, opts: ChromiumOptions = {}): Promise<void> {
  const what = `screenshot of ${htmlPath}`;
  const url = pageUrl(what, htmlPath);
  const png = path.resolve(pngPath);
  await fs.promises.mkdir(path.dirname(png), { recursive: true });
  // A PNG left from an earlier run must not pass for this one.
  await fs.promises.rm(png, { force: true });
  await runChromium(what, [`--screenshot=${png}`, windowSize(opts), url], opts.timeoutMs ?? 30_000);
  const size = fs.statSync(png, { throwIfNoEntry: false })?.size ?? 0;
  if (size === 0) throw new CodedError('REMAPDB_CHROMIUM_FAILED', `${what}: chromium exited without writing ${png}`);
}

/** The page's DOM as Chromium serialises it after parsing (inline SVG appears as elements, not text). */
export async function dumpDom(htmlPath: string, opts: ChromiumOptions = {}): Promise<string> {
  const what = `DOM of ${htmlPath}`;
  return runChromium(what, ['--dump-dom', windowSize(opts), pageUrl(what, htmlPath)], opts.timeoutMs ?? 30_000);
}
