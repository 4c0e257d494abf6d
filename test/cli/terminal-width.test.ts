/**
 * cli/render/terminal-width.ts stands in for string-width inside the built CLI's yargs
 * (build.mjs): it must give string-width's answer for what a terminal shows — help
 * text, paths, data in any script — or the help's columns would misalign.
 */

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import terminalWidth from '../../cli/render/terminal-width.js';

// The string-width that yargs itself resolves (it may be nested under yargs, a newer major than the hoisted one).
const yargsEntry = createRequire(import.meta.url).resolve('yargs/package.json');
const stringWidthPath = createRequire(yargsEntry).resolve('string-width');
const { default: stringWidth } = (await import(pathToFileURL(stringWidthPath).href)) as { default: (s: string) => number };

const CORPUS = [
  '', 'remapdb', 'Usage: remapdb <command> [options]', '  --json       Print command output as JSON  [boolean]',
  'maps — from its last snapshot or live', '≤ 0.2 s', '3 × 4 KiB', '1.5 µs', 'naïve café', 'e\u0301', 'Ångström',
  '漢字', 'データベース', '한국어', 'ＡＢＣ', 'ｶﾀｶﾅ', 'Привет', 'Ελληνικά', 'עברית', 'العربية', 'ไทย',
  '─┼─│', '\u001B[31mred\u001B[39m', '\u001B[1m\u001B[32mbold green\u001B[39m\u001B[22m',
  '\u001B]8;;https://example.com\u0007link\u001B]8;;\u0007', 'tab\there', 'a\u200bb', '\u00ad',
  '😀', '👍🏽', '👨‍👩‍👧', '🇩🇪', '✅ done', '⚠️ warn', '❤', '❤️', '☕', '🚀 launch', '🗄️', '©', '™',
  'x\u0007y', 'line\nbreak',
];

t.comment(`comparing with ${stringWidthPath}`);

t.test('the same width as string-width on a corpus of what terminals show', async (t) => {
  for (const s of CORPUS) t.equal(terminalWidth(s), stringWidth(s), JSON.stringify(s));
});

t.test('ASCII is its length; nothing is negative', async (t) => {
  t.equal(terminalWidth('x'.repeat(1000)), 1000);
  t.equal(terminalWidth(undefined as unknown as string), 0, 'not a string: 0, as string-width');
  let min = Infinity;
  let max = -Infinity;
  for (let cp = 0; cp < 0x30000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const w = terminalWidth(String.fromCodePoint(cp));
    min = Math.min(min, w);
    max = Math.max(max, w);
  }
  t.same([min, max], [0, 2], 'every code point up to U+2FFFF is 0, 1 or 2 columns');
});
