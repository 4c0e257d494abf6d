/**
 * Summarise a V8 .cpuprofile (from node --cpu-prof): self time and total (inclusive)
 * time per function, top N of each. Usage:
 *   npx tsx bench/lib/cpuprofile.ts <file.cpuprofile> [N] [FUNCTION]
 * With FUNCTION, only the samples taken inside a call of a function of that name count
 * (e.g. `redo`: the crash-recovery replay of a run that also built the log).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
}

function label(n: Node): string {
  const f = n.callFrame;
  const file = f.url === '' ? '' : path.basename(f.url.replace(/^file:\/\//, ''));
  return `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
}

function main(): void {
  const file = process.argv[2];
  const top = Number(process.argv[3] ?? 25);
  const focus = process.argv[4];
  if (file === undefined) {
    process.stderr.write('usage: bench/lib/cpuprofile.ts <file.cpuprofile> [N] [FUNCTION]\n');
    process.exit(2);
  }
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inFocus = (sid: number): boolean => {
    for (let cur: number | undefined = sid; cur !== undefined; cur = parent.get(cur)) {
      if (byId.get(cur)?.callFrame.functionName === focus) return true;
    }
    return false;
  };
  const samples = focus === undefined ? prof.samples : prof.samples.filter(inFocus);
  const total = samples.length;
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const sid of samples) {
    const n = byId.get(sid);
    if (n === undefined) continue;
    self.set(label(n), (self.get(label(n)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let cur: number | undefined = sid; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (node === undefined) break;
      const l = label(node);
      if (seen.has(l)) continue;
      seen.add(l);
      incl.set(l, (incl.get(l) ?? 0) + 1);
    }
  }
  const pct = (x: number): string => `${((x / total) * 100).toFixed(1).padStart(5)}%`;
  const print = (title: string, m: Map<string, number>): void => {
    process.stdout.write(`${title} (${total} samples)\n`);
    for (const [l, c] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${pct(c)}  ${l}\n`);
  };
  print('self time', self);
  print('total time', incl);
}

main();
