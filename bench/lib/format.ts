/**
 * Text output for the benchmarks and the CLI: tables and number formats. Recorded
 * results use the plain style (diffable, pastes into Markdown); the CLI draws boxes
 * with cli-table3 for people at a terminal.
 */

import Table from 'cli-table3';

import type { TableSpec } from './harness.js';

/** 82.0 M, 1.18 M, 451 K, 950: three significant digits with an SI suffix. */
export function si(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const [div, suffix] = abs >= 1e9 ? [1e9, ' G'] : abs >= 1e6 ? [1e6, ' M'] : abs >= 1e3 ? [1e3, ' K'] : [1, ''];
  const v = n / div;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${suffix}`;
}

/**
 * 1,234,567: rounded, with thousands separators. Written out rather than
 * toLocaleString('en-US'), whose first call sets up ICU's number formatting (~20 ms of
 * every CLI command that prints a number; issue 18: `remapdb inspect DIR` ≤ 0.35 s).
 */
export function int(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '∞' : '-∞';
  const r = Math.round(n);
  const a = Math.abs(r);
  // The shortest digits that round-trip, then zeros (as ICU prints a large double).
  let digits = String(a);
  if (a >= 1e21) {
    const [mantissa = '', exponent = '0'] = a.toExponential().split('e+');
    const m = mantissa.replace('.', '');
    digits = m + '0'.repeat(Number(exponent) + 1 - m.length);
  }
  let out = '';
  for (let end = digits.length; end > 0; end -= 3) out = (end > 3 ? ',' : '') + digits.slice(Math.max(0, end - 3), end) + out;
  return (r < 0 || Object.is(r, -0) ? '-' : '') + out;
}

/** Bytes with a binary unit: 176 B, 12.3 KiB, 11.0 MiB. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(2)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Simulated or host durations: 36 ns, 1.25 µs, 10.3 ms, 2.10 s. */
export function duration(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(ns < 10 ? 1 : 0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** A ratio such as 65530× or 1.88×. */
export function ratio(a: number, b: number): string {
  if (b === 0) return a === 0 ? '1×' : '∞';
  const r = a / b;
  return `${r >= 100 ? int(r) : r.toFixed(r >= 10 ? 1 : 2)}×`;
}

/**
 * Render a table: a title line, a header, a rule, rows, then notes. A cell may hold
 * several lines. `box` draws it with cli-table3 (no colours: output may be piped).
 */
export function renderTable(t: TableSpec, style: { box?: boolean } = {}): string {
  if (style.box === true) return renderBox(t);
  const right = new Set(t.rightAlign ?? []);
  const split = (r: readonly string[]): string[][] => t.columns.map((_, i) => (r[i] ?? '').split('\n'));
  const rows = t.rows.map(split);
  const widths = t.columns.map((c, i) => Math.max(c.length, ...rows.map((r) => Math.max(...(r[i] as string[]).map((x) => x.length)))));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (right.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  const out: string[] = [];
  if (t.title !== '') out.push(t.title);
  out.push(line(t.columns));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) {
    const height = Math.max(...r.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(line(r.map((c) => c[k] ?? '')));
  }
  for (const n of t.notes ?? []) out.push(`  ${n}`);
  return out.join('\n');
}

function renderBox(t: TableSpec): string {
  const right = new Set(t.rightAlign ?? []);
  const table = new Table({
    head: [...t.columns], style: { head: [], border: [], compact: false },
    colAligns: t.columns.map((_, i) => (right.has(i) ? 'right' : 'left')),
  });
  for (const r of t.rows) table.push(t.columns.map((_, i) => r[i] ?? ''));
  const out: string[] = [];
  if (t.title !== '') out.push(t.title);
  // cli-table3 rules off every row; keep only the rule under the header.
  const lines = table.toString().split('\n');
  const rule = lines[2];
  out.push(lines.filter((l, i) => i <= 2 || l !== rule).join('\n'));
  for (const n of t.notes ?? []) out.push(`  ${n}`);
  return out.join('\n');
}

/** Join items with ", " into lines of at most `width` characters. */
export function joinWrapped(items: readonly string[], width: number): string {
  const lines: string[] = [];
  let cur = '';
  for (const it of items) {
    const next = cur === '' ? it : `${cur}, ${it}`;
    if (next.length > width && cur !== '') {
      lines.push(`${cur},`);
      cur = it;
    } else {
      cur = next;
    }
  }
  if (cur !== '') lines.push(cur);
  return lines.join('\n');
}
