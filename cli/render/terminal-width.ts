/**
 * How many terminal columns a string takes: the same answer as the string-width package
 * for what a command line prints (ASCII, accents, CJK, emoji, colours), without its
 * cost. The built CLI substitutes this module for string-width inside yargs (build.mjs):
 * string-width 8 segments graphemes with Intl.Segmenter and \p{RGI_Emoji} regexes whose
 * first use costs ~25 ms of ICU set-up — an eighth of the whole `remapdb --help` budget
 * (issue 18, start-up ≤ 0.2 s). test/cli/terminal-width.test.ts holds the two to the
 * same widths on a corpus.
 *
 * Rules, per code point after ANSI escape sequences are removed:
 *  - printable ASCII: 1 (the fast path: a string of only these is its length);
 *  - C0/C1 controls, combining marks, zero-width joiners and spaces, variation
 *    selectors, emoji skin-tone modifiers, default-ignorable format characters: 0;
 *  - East Asian Wide and Fullwidth (CJK, Hangul syllables, fullwidth forms, emoji with
 *    emoji presentation): 2, by Unicode's EastAsianWidth table (get-east-asian-width,
 *    the table string-width itself uses; a devDependency, bundled);
 *  - a regional indicator: 1, so a pair (a flag) is 2;
 *  - everything else: 1, or 2 when VS16 (U+FE0F) follows it (emoji presentation).
 * Grapheme clusters are approximated: a ZWJ sequence counts its first emoji only.
 */

import { eastAsianWidth } from 'get-east-asian-width';

/** CSI (ESC [ … final) and OSC (ESC ] … BEL or ESC \) sequences: colours and hyperlinks. */
const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u009B[0-?]*[ -/]*[@-~]/g;

function isZeroWidth(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
    cp === 0xad ||
    (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x483 && cp <= 0x489) || (cp >= 0x591 && cp <= 0x5bd) ||
    (cp >= 0x610 && cp <= 0x61a) || (cp >= 0x64b && cp <= 0x65f) ||
    (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff) ||
    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
    (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xfe20 && cp <= 0xfe2f) ||
    cp === 0xfeff || (cp >= 0x1f3fb && cp <= 0x1f3ff) || (cp >= 0xe0000 && cp <= 0xe0fff);
}

function isPrintableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Columns `text` occupies on a terminal (string-width's signature; its options are not used by yargs). */
export default function stringWidth(text: string): number {
  if (typeof text !== 'string' || text.length === 0) return 0;
  if (isPrintableAscii(text)) return text.length;
  const plain = text.includes('\u001B') || text.includes('\u009B') ? text.replace(ANSI, '') : text;
  let width = 0;
  let afterZwj = false;
  let last = 0;
  for (const ch of plain) {
    const cp = ch.codePointAt(0) as number;
    if (cp === 0x200d) { afterZwj = true; continue; }
    if (afterZwj) { afterZwj = false; continue; }
    // VS16 asks for emoji presentation: a text-width pictograph before it becomes 2 wide.
    if (cp === 0xfe0f) { if (last === 1) { width += 1; last = 2; } continue; }
    if (isZeroWidth(cp)) continue;
    // A regional indicator is 1 column (a pair, a flag, is 2) and no VS16 widens it.
    const regional = cp >= 0x1f1e6 && cp <= 0x1f1ff;
    last = regional ? 0 : eastAsianWidth(cp);
    width += regional ? 1 : last;
  }
  return width;
}
