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
 *  - East Asian Wide and Fullwidth (CJK, Hangul syllables, fullwidth forms) and emoji
 *    presentation (U+1F300–U+1FAFF, U+2600–U+27BF with VS16, flags): 2;
 *  - everything else: 1, or 2 when VS16 (U+FE0F) follows it (emoji presentation).
 * Grapheme clusters are approximated: a ZWJ sequence counts its first emoji only, a
 * regional-indicator pair (a flag) counts 2.
 */

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

function isWide(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x115f) || cp === 0x2329 || cp === 0x232a ||
    (cp >= 0x231a && cp <= 0x231b) || (cp >= 0x23e9 && cp <= 0x23ec) || cp === 0x23f0 || cp === 0x23f3 ||
    (cp >= 0x25fd && cp <= 0x25fe) || (cp >= 0x2614 && cp <= 0x2615) || (cp >= 0x2648 && cp <= 0x2653) ||
    cp === 0x267f || cp === 0x2693 || cp === 0x26a1 || (cp >= 0x26aa && cp <= 0x26ab) || (cp >= 0x26bd && cp <= 0x26be) ||
    (cp >= 0x26c4 && cp <= 0x26c5) || cp === 0x26ce || cp === 0x26d4 || cp === 0x26ea || (cp >= 0x26f2 && cp <= 0x26f3) ||
    cp === 0x26f5 || cp === 0x26fa || cp === 0x26fd || cp === 0x2705 || (cp >= 0x270a && cp <= 0x270b) || cp === 0x2728 ||
    cp === 0x274c || cp === 0x274e || (cp >= 0x2753 && cp <= 0x2755) || cp === 0x2757 || (cp >= 0x2795 && cp <= 0x2797) ||
    cp === 0x27b0 || cp === 0x27bf || (cp >= 0x2b1b && cp <= 0x2b1c) || cp === 0x2b50 || cp === 0x2b55 ||
    (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) || (cp >= 0xa960 && cp <= 0xa97f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe10 && cp <= 0xfe19) ||
    (cp >= 0xfe30 && cp <= 0xfe6f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x16fe0 && cp <= 0x18cff) || (cp >= 0x1b000 && cp <= 0x1b2ff) ||
    cp === 0x1f004 || cp === 0x1f0cf || cp === 0x1f18e || (cp >= 0x1f191 && cp <= 0x1f19a) ||
    (cp >= 0x1f200 && cp <= 0x1f251) || (cp >= 0x1f300 && cp <= 0x1f64f && !isTextPresentation(cp)) ||
    (cp >= 0x1f680 && cp <= 0x1f6ff && !isTextPresentation(cp)) || (cp >= 0x1f7e0 && cp <= 0x1f7f0) ||
    (cp >= 0x1f90c && cp <= 0x1f9ff && !isTextPresentation(cp)) || (cp >= 0x1fa70 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd);
}

/** Pictographs in the emoji blocks whose default presentation is text (width 1 without VS16). */
function isTextPresentation(cp: number): boolean {
  return (cp >= 0x1f321 && cp <= 0x1f32c) || cp === 0x1f336 || cp === 0x1f37d || (cp >= 0x1f394 && cp <= 0x1f39f) ||
    (cp >= 0x1f3cb && cp <= 0x1f3ce) || (cp >= 0x1f3d4 && cp <= 0x1f3df) || (cp >= 0x1f3f1 && cp <= 0x1f3f3) ||
    (cp >= 0x1f3f5 && cp <= 0x1f3f7) || cp === 0x1f43f || cp === 0x1f441 || (cp >= 0x1f4fd && cp <= 0x1f4fe) ||
    (cp >= 0x1f53e && cp <= 0x1f54a) || cp === 0x1f54f || (cp >= 0x1f568 && cp <= 0x1f579) ||
    (cp >= 0x1f57b && cp <= 0x1f594) || (cp >= 0x1f597 && cp <= 0x1f5a3) || (cp >= 0x1f5a5 && cp <= 0x1f5fa) ||
    (cp >= 0x1f6c6 && cp <= 0x1f6cb) || (cp >= 0x1f6cd && cp <= 0x1f6cf) || (cp >= 0x1f6d3 && cp <= 0x1f6d4) ||
    (cp >= 0x1f6e0 && cp <= 0x1f6ea) || (cp >= 0x1f6f0 && cp <= 0x1f6f3);
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
  let regionalPending = false;
  let last = 0;
  for (const ch of plain) {
    const cp = ch.codePointAt(0) as number;
    if (cp === 0x200d) { afterZwj = true; continue; }
    if (afterZwj) { afterZwj = false; continue; }
    // VS16 asks for emoji presentation: a text-width pictograph before it becomes 2 wide.
    if (cp === 0xfe0f) { if (last === 1) { width += 1; last = 2; } continue; }
    if (isZeroWidth(cp)) continue;
    if (cp >= 0x1f1e6 && cp <= 0x1f1ff) {
      // Regional indicators pair into a flag (width 2); a lone one is 1.
      regionalPending = !regionalPending;
      width += 1;
      last = 0;
      continue;
    }
    regionalPending = false;
    last = isWide(cp) ? 2 : 1;
    width += last;
  }
  return width;
}
