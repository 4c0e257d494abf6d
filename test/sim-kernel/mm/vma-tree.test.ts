import t from 'tap';
import { KernelAssertionError } from '../../../sim-kernel/errors.js';
import { VmaTree, VmaTreeNode, type VmaPrevResult } from '../../../sim-kernel/mm/vma-tree.js';

import { mulberry32 } from '../helpers.js';

const PAGE = 4096;

class Vma extends VmaTreeNode {
  readonly name: string;
  constructor(start: number, end: number, name = '') {
    super();
    this.start = start;
    this.end = end;
    this.name = name;
  }
}

function pickSeed(): number {
  const env = process.env['REMAPDB_SEED'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isFinite(n)) throw new Error(`REMAPDB_SEED is not a number: ${env}`);
    return n >>> 0;
  }
  return (Math.random() * 2 ** 32) >>> 0;
}

function build(ranges: Array<[number, number]>): { tree: VmaTree<Vma>; nodes: Vma[] } {
  const tree = new VmaTree<Vma>();
  const nodes = ranges.map(([s, e]) => new Vma(s, e, `${s}`));
  for (const n of nodes) tree.insert(n);
  tree.checkInvariants();
  return { tree, nodes };
}

function rootOf(n: VmaTreeNode): VmaTreeNode {
  let r = n;
  while (r.rbParent !== null) r = r.rbParent;
  return r;
}

function height(n: VmaTreeNode | null): number {
  return n === null ? 0 : 1 + Math.max(height(n.rbLeft), height(n.rbRight));
}

const starts = (tree: VmaTree<Vma>): number[] => [...tree].map((v) => v.start);

t.test('empty tree', (t) => {
  const tree = new VmaTree<Vma>();
  t.equal(tree.size, 0);
  t.equal(tree.first(), null);
  t.equal(tree.last(), null);
  t.equal(tree.findVma(0), null);
  t.equal(tree.findVma(2 ** 47), null);
  t.same(tree.findVmaPrev(123), { vma: null, prev: null });
  t.same([...tree], []);
  t.doesNotThrow(() => tree.checkInvariants());
  t.throws(() => tree.remove(new Vma(0, PAGE)), KernelAssertionError);
  t.end();
});

t.test('insert: single node, order, neighbours, iteration', (t) => {
  const tree = new VmaTree<Vma>();
  const a = new Vma(0x5000, 0x6000, 'a');
  tree.insert(a);
  tree.checkInvariants();
  t.equal(tree.size, 1);
  t.equal(tree.first(), a);
  t.equal(tree.last(), a);
  t.equal(tree.nextOf(a), null);
  t.equal(tree.prevOf(a), null);
  t.ok(a.inTree);
  const b = new Vma(0x1000, 0x2000, 'b');
  const c = new Vma(0x9000, 0xa000, 'c');
  const d = new Vma(0x6000, 0x9000, 'd'); // touches both a and c: adjacency is not overlap
  for (const v of [b, c, d]) tree.insert(v);
  tree.checkInvariants();
  t.equal(tree.size, 4);
  t.same([...tree].map((v) => v.name), ['b', 'a', 'd', 'c']);
  t.equal(tree.first(), b);
  t.equal(tree.last(), c);
  t.equal(tree.nextOf(a), d);
  t.equal(tree.prevOf(a), b);
  t.equal(tree.prevOf(b), null);
  t.equal(tree.nextOf(c), null);
  t.end();
});

t.test('insert assertions', (t) => {
  const { tree, nodes } = build([
    [0x1000, 0x3000],
    [0x5000, 0x6000],
  ]);
  const a = nodes[0]!;
  t.throws(() => tree.insert(a), KernelAssertionError, 'already in this tree');
  const other = new VmaTree<Vma>();
  t.throws(() => other.insert(a), KernelAssertionError, 'already in another tree');
  t.throws(() => tree.insert(new Vma(0x8000, 0x8000)), KernelAssertionError, 'empty range');
  t.throws(() => tree.insert(new Vma(0x9000, 0x8000)), KernelAssertionError, 'inverted range');
  t.throws(() => tree.insert(new Vma(Number.NaN, 0x8000)), KernelAssertionError, 'NaN start');
  t.throws(() => tree.insert(new Vma(0x2000, 0x4000)), KernelAssertionError, 'overlaps left neighbour');
  t.throws(() => tree.insert(new Vma(0x4000, 0x5001)), KernelAssertionError, 'overlaps right neighbour');
  t.throws(() => tree.insert(new Vma(0x1000, 0x3000)), KernelAssertionError, 'same range');
  t.throws(() => tree.insert(new Vma(0x1000, 0x2000)), KernelAssertionError, 'same start');
  t.throws(() => tree.insert(new Vma(0x0, 0x7000)), KernelAssertionError, 'covers everything');
  t.throws(() => tree.insert(new Vma(0x1800, 0x1900)), KernelAssertionError, 'inside a VMA');
  tree.checkInvariants();
  t.equal(tree.size, 2, 'failed inserts change nothing');
  const gap = new Vma(0x3000, 0x5000);
  tree.insert(gap);
  tree.checkInvariants();
  t.same(starts(tree), [0x1000, 0x3000, 0x5000], 'exactly filling a gap is fine');
  t.end();
});

t.test('findVma: gaps, before first, after last, exact boundaries', (t) => {
  const { tree, nodes } = build([
    [0x3000, 0x5000],
    [0x1000, 0x2000],
    [0x8000, 0x9000],
    [0x9000, 0xb000],
  ]);
  const [b, a, c, d] = nodes as [Vma, Vma, Vma, Vma];
  const cases: Array<[number, Vma | null]> = [
    [0, a], // before the first VMA: the first, which starts above addr
    [0xfff, a],
    [0x1000, a], // start is inclusive
    [0x1fff, a],
    [0x2000, b], // end is exclusive: in the gap, the next VMA
    [0x2fff, b],
    [0x3000, b],
    [0x4fff, b],
    [0x5000, c],
    [0x7fff, c],
    [0x8fff, c],
    [0x9000, d], // adjacent VMAs: the boundary belongs to the upper one
    [0xafff, d],
    [0xb000, null], // at and after the end of the last VMA
    [2 ** 47, null],
  ];
  for (const [addr, want] of cases) {
    t.equal(tree.findVma(addr), want, `findVma(0x${addr.toString(16)})`);
  }
  t.end();
});

t.test('findVmaPrev', (t) => {
  const { tree, nodes } = build([
    [0x1000, 0x2000],
    [0x3000, 0x5000],
    [0x5000, 0x6000],
  ]);
  const [a, b, c] = nodes as [Vma, Vma, Vma];
  const cases: Array<[number, Vma | null, Vma | null]> = [
    [0, a, null],
    [0x1000, a, null],
    [0x1fff, a, null],
    [0x2000, b, a],
    [0x3000, b, a],
    [0x4fff, b, a],
    [0x5000, c, b],
    [0x5fff, c, b],
    [0x6000, null, c],
    [0x100000, null, c],
  ];
  for (const [addr, vma, prev] of cases) {
    const r = tree.findVmaPrev(addr);
    t.equal(r.vma, vma, `vma at 0x${addr.toString(16)}`);
    t.equal(r.prev, prev, `prev at 0x${addr.toString(16)}`);
    if (r.prev !== null) t.ok(r.prev.end <= addr, 'prev ends at or below addr');
  }
  const out: VmaPrevResult<Vma> = { vma: null, prev: null };
  t.equal(tree.findVmaPrev(0x3000, out), out, 'reuses the out object');
  t.equal(out.vma, b);
  t.equal(out.prev, a);
  t.end();
});

t.test('remove: root, leaf, inner, down to empty', (t) => {
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < 31; i++) ranges.push([i * 2 * PAGE, (i * 2 + 1) * PAGE]);
  const { tree, nodes } = build(ranges);
  const expect = new Set(nodes);
  const check = (what: string): void => {
    tree.checkInvariants();
    t.equal(tree.size, expect.size, `${what}: size`);
    t.same(
      starts(tree),
      [...expect].map((v) => v.start).sort((x, y) => x - y),
      `${what}: contents`,
    );
  };
  const removeOne = (v: Vma, what: string): void => {
    tree.remove(v);
    expect.delete(v);
    t.notOk(v.inTree, `${what}: inTree cleared`);
    t.ok(v.rbLeft === null && v.rbRight === null && v.rbParent === null && v.prev === null && v.next === null, `${what}: links cleared`);
    t.equal(tree.findVma(v.start)?.start === v.start, false, `${what}: no longer found`);
    check(what);
  };

  const root = rootOf(nodes[0]!) as Vma;
  removeOne(root, 'root');
  const leaf = [...expect].find((v) => v.rbLeft === null && v.rbRight === null)!;
  removeOne(leaf, 'leaf');
  const inner = [...expect].find((v) => v.rbLeft !== null && v.rbRight !== null && v.rbParent !== null)!;
  t.ok(inner, 'found an inner node with two children');
  removeOne(inner, 'inner');
  const oneChild = [...expect].find((v) => (v.rbLeft === null) !== (v.rbRight === null));
  if (oneChild !== undefined) removeOne(oneChild, 'one-child');
  removeOne(tree.first()!, 'first');
  removeOne(tree.last()!, 'last');
  t.throws(() => tree.remove(root), KernelAssertionError, 'double remove');
  const other = new VmaTree<Vma>();
  const stranger = new Vma(0x100 * PAGE, 0x101 * PAGE);
  other.insert(stranger);
  t.throws(() => tree.remove(stranger), KernelAssertionError, 'node of another tree');
  other.checkInvariants();
  while (tree.size > 0) removeOne(rootOf(tree.first()!) as Vma, 'root again');
  t.equal(tree.first(), null);
  t.equal(tree.last(), null);
  t.equal(tree.findVma(0), null);
  // Removed nodes can be inserted again.
  for (const v of nodes) tree.insert(v);
  tree.checkInvariants();
  t.equal(tree.size, nodes.length);
  t.end();
});

t.test('iteration allows removing the current node', (t) => {
  const { tree } = build([
    [0x1000, 0x2000],
    [0x2000, 0x3000],
    [0x4000, 0x5000],
    [0x7000, 0x8000],
  ]);
  const seen: number[] = [];
  for (const v of tree) {
    seen.push(v.start);
    if (v.start !== 0x4000) tree.remove(v);
  }
  t.same(seen, [0x1000, 0x2000, 0x4000, 0x7000]);
  tree.checkInvariants();
  t.same(starts(tree), [0x4000]);
  t.end();
});

t.test('in-place adjust (vma_adjust) and checkInvariants detecting corruption', (t) => {
  const { tree, nodes } = build([
    [0x1000, 0x3000],
    [0x4000, 0x6000],
    [0x8000, 0x9000],
  ]);
  const [a, b, c] = nodes as [Vma, Vma, Vma];
  b.start = 0x3000; // grow down to touch a
  b.end = 0x7000; // grow up into the gap
  tree.checkInvariants();
  t.equal(tree.findVma(0x3000), b);
  t.equal(tree.findVma(0x6fff), b);
  t.equal(tree.findVma(0x7000), c);
  b.end = 0x8001; // now overlaps c
  t.throws(() => tree.checkInvariants(), KernelAssertionError, 'overlap detected');
  b.end = 0x7000;
  a.end = a.start; // empty
  t.throws(() => tree.checkInvariants(), KernelAssertionError, 'empty range detected');
  a.end = 0x3000;
  tree.checkInvariants();

  // Red-black and link corruption.
  const many = build(Array.from({ length: 20 }, (_, i): [number, number] => [i * PAGE, (i + 1) * PAGE]));
  const r = rootOf(many.nodes[0]!);
  const corrupt = (what: string, mutate: () => () => void): void => {
    const undo = mutate();
    t.throws(() => many.tree.checkInvariants(), KernelAssertionError, what);
    undo();
    many.tree.checkInvariants();
  };
  corrupt('red root', () => {
    r.rbRed = true;
    return () => void (r.rbRed = false);
  });
  const black = many.nodes.find((v) => !v.rbRed && v !== r && v.rbLeft === null && v.rbRight === null);
  if (black !== undefined) {
    corrupt('black height', () => {
      black.rbRed = true; // also may create red-red; either way the tree is invalid
      return () => void (black.rbRed = false);
    });
  }
  const red = many.nodes.find((v) => v.rbRed && v.rbLeft !== null);
  if (red !== undefined) {
    const kid = red.rbLeft!;
    corrupt('red-red', () => {
      const was = kid.rbRed;
      kid.rbRed = true;
      return () => void (kid.rbRed = was);
    });
  }
  const withKid = many.nodes.find((v) => v.rbLeft !== null)!;
  corrupt('parent link', () => {
    const kid = withKid.rbLeft!;
    kid.rbParent = null;
    return () => void (kid.rbParent = withKid);
  });
  const mid = many.nodes[10]!;
  corrupt('list link', () => {
    const was = mid.next;
    mid.next = null;
    return () => void (mid.next = was);
  });
  corrupt('inTree flag', () => {
    mid.inTree = false;
    return () => void (mid.inTree = true);
  });
  t.end();
});

t.test('steps counts visited nodes', (t) => {
  const tree = new VmaTree<Vma>();
  t.equal(tree.steps, 0);
  tree.insert(new Vma(0x1000, 0x2000));
  t.equal(tree.steps, 0, 'inserting into an empty tree visits nothing');
  tree.insert(new Vma(0x3000, 0x4000));
  t.equal(tree.steps, 1);
  const before = tree.steps;
  tree.findVma(0x3000);
  t.ok(tree.steps > before, 'lookups are charged');
  t.end();
});

t.test('seeded model-based test against a sorted array', (t) => {
  const seed = pickSeed();
  t.comment(`seed ${seed} (override with REMAPDB_SEED=${seed})`);
  const rnd = mulberry32(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const BASE = 2 ** 46; // large addresses, still exact in a double
  const SPAN = 4096; // pages in play: dense enough for many collisions and adjacencies
  const tree = new VmaTree<Vma>();
  const ref: Vma[] = []; // sorted by start
  const lowerEnd = (addr: number): number => {
    // index of the first ref entry with end > addr
    let lo = 0;
    let hi = ref.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ref[mid]!.end > addr) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const randAddr = (): number => BASE + int((SPAN + 8) * PAGE) - 4 * PAGE;
  let failures = 0;
  const fail = (msg: string): void => {
    failures++;
    if (failures <= 5) t.fail(`${msg} (seed ${seed})`);
  };
  const counts = { insert: 0, rejected: 0, remove: 0, adjust: 0, lookup: 0 };

  let maxSize = 0;
  for (let step = 0; step < 20_000 && failures === 0; step++) {
    // Alternate growing and shrinking phases so the tree reaches hundreds of nodes
    // and also drains to (near) empty.
    const growing = Math.floor(step / 2500) % 2 === 0;
    const pInsert = growing ? 0.55 : 0.25;
    const pRemove = pInsert + (growing ? 0.2 : 0.5);
    const op = rnd();
    if (op < pInsert) {
      const start = BASE + int(SPAN) * PAGE;
      const end = start + (1 + int(rnd() < 0.8 ? 4 : 64)) * PAGE;
      const v = new Vma(start, end);
      const i = lowerEnd(start);
      const next = ref[i];
      const overlaps = next !== undefined && next.start < end;
      let threw = false;
      try {
        tree.insert(v);
      } catch (e) {
        if (!(e instanceof KernelAssertionError)) throw e;
        threw = true;
      }
      if (threw !== overlaps) fail(`step ${step}: insert [${start}, ${end}) threw=${threw} overlaps=${overlaps}`);
      if (!overlaps) {
        ref.splice(i, 0, v);
        counts.insert++;
      } else counts.rejected++;
    } else if (op < pRemove) {
      if (ref.length > 0) {
        const i = int(ref.length);
        const v = ref[i]!;
        ref.splice(i, 1);
        tree.remove(v);
        counts.remove++;
      }
    } else if (op < pRemove + 0.08) {
      // vma_adjust: move one end within the room its neighbours leave.
      if (ref.length > 0) {
        const i = int(ref.length);
        const v = ref[i]!;
        const lo = i > 0 ? ref[i - 1]!.end : BASE - 4 * PAGE;
        const hi = i + 1 < ref.length ? ref[i + 1]!.start : BASE + (SPAN + 4) * PAGE;
        if (rnd() < 0.5) v.start = lo + int((v.end - lo) / PAGE) * PAGE;
        else v.end = v.start + (1 + int((hi - v.start) / PAGE)) * PAGE;
        counts.adjust++;
      }
    }
    // Every step: one lookup of each kind against the reference.
    const addr = rnd() < 0.3 && ref.length > 0 ? ref[int(ref.length)]![rnd() < 0.5 ? 'start' : 'end'] : randAddr();
    const k = lowerEnd(addr);
    const wantVma = ref[k] ?? null;
    const wantPrev = k > 0 ? ref[k - 1]! : null;
    counts.lookup++;
    maxSize = Math.max(maxSize, tree.size);
    if (tree.findVma(addr) !== wantVma) fail(`step ${step}: findVma(${addr})`);
    const r = tree.findVmaPrev(addr);
    if (r.vma !== wantVma || r.prev !== wantPrev) fail(`step ${step}: findVmaPrev(${addr})`);

    if (step < 2000 || step % 100 === 0) {
      try {
        tree.checkInvariants();
      } catch (e) {
        fail(`step ${step}: ${(e as Error).message}`);
      }
      if (tree.size !== ref.length) fail(`step ${step}: size ${tree.size} != ${ref.length}`);
      if (tree.first() !== (ref[0] ?? null) || tree.last() !== (ref[ref.length - 1] ?? null)) fail(`step ${step}: first/last`);
      const it = [...tree];
      if (it.length !== ref.length || it.some((v, j) => v !== ref[j])) fail(`step ${step}: iteration differs`);
    }
  }
  tree.checkInvariants();
  t.equal(failures, 0, 'model and tree agree');
  t.ok(counts.insert > 1000 && counts.rejected > 100 && counts.remove > 1000 && counts.adjust > 100, 'all operations exercised');
  t.comment(`ops: ${JSON.stringify(counts)}, max size ${maxSize}, final size ${tree.size}`);
  t.end();
});

t.test('scale: 65,530 single-page VMAs inserted top-down, removed at random', (t) => {
  const N = 65_530;
  const seed = pickSeed();
  t.comment(`seed ${seed}`);
  const rnd = mulberry32(seed);
  const BASE = 2 ** 40;
  const t0 = performance.now();
  const tree = new VmaTree<Vma>();
  const nodes: Vma[] = [];
  for (let i = N - 1; i >= 0; i--) {
    const v = new Vma(BASE + i * PAGE, BASE + (i + 1) * PAGE);
    tree.insert(v);
    nodes.push(v);
  }
  const tInsert = performance.now() - t0;
  tree.checkInvariants();
  t.equal(tree.size, N);
  const h = height(rootOf(nodes[0]!));
  t.ok(h <= 2 * Math.log2(N + 1), `height ${h} within the red-black bound`);
  t.equal(tree.first()!.start, BASE);
  t.equal(tree.last()!.end, BASE + N * PAGE);

  const before = tree.steps;
  const L = 100_000;
  const t1 = performance.now();
  for (let i = 0; i < L; i++) {
    const p = Math.floor(rnd() * N);
    const v = tree.findVma(BASE + p * PAGE + 17);
    if (v === null || v.start !== BASE + p * PAGE) {
      t.fail(`lookup of page ${p}`);
      break;
    }
  }
  const tLookup = performance.now() - t1;
  t.ok((tree.steps - before) / L <= h, 'lookups visit at most one node per level');

  // Fisher-Yates shuffle, then remove in that order.
  for (let i = nodes.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
  }
  const t2 = performance.now();
  for (let i = 0; i < nodes.length; i++) {
    tree.remove(nodes[i]!);
    if (i === N >> 1) tree.checkInvariants();
  }
  const tRemove = performance.now() - t2;
  tree.checkInvariants();
  t.equal(tree.size, 0);
  const total = performance.now() - t0;
  t.comment(`insert ${tInsert.toFixed(0)} ms, ${L} lookups ${tLookup.toFixed(0)} ms, remove ${tRemove.toFixed(0)} ms`);
  t.ok(total < 3000, `whole scale test took ${total.toFixed(0)} ms`);
  t.end();
});
