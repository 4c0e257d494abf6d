/**
 * VmaTree: the ordered set of VMAs of one simulated address space.
 *
 * It owns only the intrusive links of its nodes (rbLeft/rbRight/rbParent/rbRed,
 * prev/next, inTree); the VMA payload, and `start`/`end`, belong to the caller.
 *
 * Why a red-black tree plus a sorted list: Linux 2.6 keeps each mm_struct's VMAs
 * twice, in mm_rb (O(log n) find_vma on every page fault and mmap) and in the
 * mmap list (O(1) neighbour access for merging, splitting and unmapping ranges).
 * We do the same, so lookups cost what they cost in the kernel and walks are cheap.
 * Nodes are intrusive so that a lookup allocates nothing.
 *
 * Invariants (checked by checkInvariants):
 *  1. Every node satisfies start < end; nodes never overlap: prev.end <= next.start.
 *  2. The tree is a BST ordered by start (and so by end, given 1).
 *  3. Red-black: the root is black, a red node has no red child, and every path
 *     from a node down to a null link passes the same number of black nodes.
 *  4. rbParent links mirror child links; the root's rbParent is null.
 *  5. The prev/next list is exactly the in-order traversal; head/tail are its ends.
 *  6. size counts the nodes, and exactly those nodes have inTree = true.
 *
 * Callers may move `start`/`end` in place (vma_adjust) provided 1 still holds with
 * the neighbours; order is unchanged, so the tree needs no restructuring.
 */
import { kassert } from '../errors.js';

export class VmaTreeNode {
  /** Inclusive start address. */
  start = 0;
  /** Exclusive end address. */
  end = 0;
  // Intrusive links: public for speed, written only by VmaTree.
  rbLeft: VmaTreeNode | null = null;
  rbRight: VmaTreeNode | null = null;
  rbParent: VmaTreeNode | null = null;
  rbRed = false;
  prev: VmaTreeNode | null = null;
  next: VmaTreeNode | null = null;
  inTree = false;
}

export interface VmaPrevResult<T> {
  vma: T | null;
  prev: T | null;
}

function isRed(n: VmaTreeNode | null): boolean {
  return n !== null && n.rbRed;
}

function fmt(n: VmaTreeNode): string {
  return `[0x${n.start.toString(16)}, 0x${n.end.toString(16)})`;
}

export class VmaTree<T extends VmaTreeNode> {
  private root: VmaTreeNode | null = null;
  private head: VmaTreeNode | null = null;
  private tail: VmaTreeNode | null = null;
  private count = 0;
  /** Cumulative count of tree nodes visited by lookups and inserts, for the cost model. */
  steps = 0;

  get size(): number {
    return this.count;
  }

  first(): T | null {
    return this.head as T | null;
  }

  last(): T | null {
    return this.tail as T | null;
  }

  // All nodes in this tree were inserted as T, so the casts below are sound.
  nextOf(v: T): T | null {
    return v.next as T | null;
  }

  prevOf(v: T): T | null {
    return v.prev as T | null;
  }

  /** Linux find_vma: the first VMA with end > addr (it may start above addr), or null. */
  findVma(addr: number): T | null {
    let n = this.root;
    let best: VmaTreeNode | null = null;
    let steps = 0;
    while (n !== null) {
      steps++;
      if (n.end > addr) {
        best = n;
        if (n.start <= addr) break; // addr lies inside n: nothing earlier can qualify
        n = n.rbLeft;
      } else {
        n = n.rbRight;
      }
    }
    this.steps += steps;
    return best as T | null;
  }

  /**
   * Linux find_vma_prev: `vma` as findVma, and `prev` the last VMA with end <= addr
   * (which is vma's list predecessor, or the last VMA when vma is null). Pass `out`
   * to reuse a result object on hot paths; by default a fresh one is returned.
   */
  findVmaPrev(addr: number, out: VmaPrevResult<T> = { vma: null, prev: null }): VmaPrevResult<T> {
    const vma = this.findVma(addr);
    out.vma = vma;
    out.prev = (vma !== null ? vma.prev : this.tail) as T | null;
    return out;
  }

  insert(v: T): void {
    kassert(!v.inTree, () => `VmaTree.insert: ${fmt(v)} is already in a tree`);
    kassert(v.start < v.end, () => `VmaTree.insert: empty or invalid range ${fmt(v)}`);
    // Descend by start; the last node we turned left at is the in-order successor,
    // the last we turned right at the predecessor: the list neighbours, for free.
    let parent: VmaTreeNode | null = null;
    let pred: VmaTreeNode | null = null;
    let succ: VmaTreeNode | null = null;
    let goLeft = false;
    let n = this.root;
    let steps = 0;
    while (n !== null) {
      steps++;
      parent = n;
      goLeft = v.start < n.start;
      if (goLeft) {
        succ = n;
        n = n.rbLeft;
      } else {
        pred = n;
        n = n.rbRight;
      }
    }
    this.steps += steps;
    kassert(pred === null || pred.end <= v.start, () => `VmaTree.insert: ${fmt(v)} overlaps ${fmt(pred!)}`);
    kassert(succ === null || v.end <= succ.start, () => `VmaTree.insert: ${fmt(v)} overlaps ${fmt(succ!)}`);

    v.rbLeft = null;
    v.rbRight = null;
    v.rbParent = parent;
    v.rbRed = true;
    if (parent === null) this.root = v;
    else if (goLeft) parent.rbLeft = v;
    else parent.rbRight = v;

    v.prev = pred;
    v.next = succ;
    if (pred !== null) pred.next = v;
    else this.head = v;
    if (succ !== null) succ.prev = v;
    else this.tail = v;

    v.inTree = true;
    this.count++;
    this.insertFixup(v);
  }

  remove(v: T): void {
    kassert(v.inTree, () => `VmaTree.remove: ${fmt(v)} is not in a tree`);
    // Walking to the root costs O(log n), like the removal itself, and catches a
    // node handed to the wrong tree before that tree is corrupted.
    let top: VmaTreeNode = v;
    while (top.rbParent !== null) top = top.rbParent;
    kassert(top === this.root, () => `VmaTree.remove: ${fmt(v)} belongs to another tree`);

    // CLRS RB-DELETE with null leaves, so x's parent is tracked separately.
    let x: VmaTreeNode | null;
    let xParent: VmaTreeNode | null;
    let removedRed = v.rbRed;
    if (v.rbLeft === null) {
      x = v.rbRight;
      xParent = v.rbParent;
      this.transplant(v, x);
    } else if (v.rbRight === null) {
      x = v.rbLeft;
      xParent = v.rbParent;
      this.transplant(v, x);
    } else {
      // Two children: the successor (minimum of the right subtree) is v.next.
      const y = v.next!;
      removedRed = y.rbRed;
      x = y.rbRight;
      if (y.rbParent === v) {
        xParent = y;
      } else {
        xParent = y.rbParent;
        this.transplant(y, x);
        y.rbRight = v.rbRight;
        y.rbRight!.rbParent = y;
      }
      this.transplant(v, y);
      y.rbLeft = v.rbLeft;
      y.rbLeft!.rbParent = y;
      y.rbRed = v.rbRed;
    }
    if (!removedRed) this.deleteFixup(x, xParent);

    if (v.prev !== null) v.prev.next = v.next;
    else this.head = v.next;
    if (v.next !== null) v.next.prev = v.prev;
    else this.tail = v.prev;

    v.rbLeft = v.rbRight = v.rbParent = v.prev = v.next = null;
    v.rbRed = false;
    v.inTree = false;
    this.count--;
  }

  /** In address order. The current node may be removed during iteration. */
  *[Symbol.iterator](): Iterator<T> {
    let n = this.head;
    while (n !== null) {
      const nx = n.next;
      yield n as T;
      n = nx;
    }
  }

  checkInvariants(): void {
    const root = this.root;
    if (root === null) {
      kassert(this.count === 0, () => `VmaTree: empty tree has size ${this.count}`);
      kassert(this.head === null && this.tail === null, 'VmaTree: empty tree has list ends');
      return;
    }
    kassert(root.rbParent === null, 'VmaTree: root has a parent');
    kassert(!root.rbRed, 'VmaTree: root is red');
    kassert(this.head !== null && this.head.prev === null, 'VmaTree: head missing or has prev');
    // In-order walk, advancing a cursor along the list in step (invariant 5).
    let cursor: VmaTreeNode | null = this.head;
    let visited = 0;
    let lastSeen: VmaTreeNode | null = null;
    const walk = (n: VmaTreeNode): number => {
      kassert(n.inTree, () => `VmaTree: ${fmt(n)} reachable but inTree is false`);
      kassert(visited < this.count, () => `VmaTree: more nodes than size ${this.count} (cycle?)`);
      const l = n.rbLeft;
      const r = n.rbRight;
      if (n.rbRed) kassert(!isRed(l) && !isRed(r), () => `VmaTree: red ${fmt(n)} has a red child`);
      let lh = 0;
      if (l !== null) {
        kassert(l.rbParent === n, () => `VmaTree: bad parent link under ${fmt(n)}`);
        lh = walk(l);
      }
      kassert(cursor === n, () => `VmaTree: list order differs from tree order at ${fmt(n)}`);
      kassert(n.start < n.end, () => `VmaTree: empty or invalid range ${fmt(n)}`);
      const p = n.prev;
      if (p !== null) {
        kassert(p.next === n, () => `VmaTree: prev/next links disagree at ${fmt(n)}`);
        kassert(p.end <= n.start, () => `VmaTree: ${fmt(p)} overlaps or is after ${fmt(n)}`);
      }
      visited++;
      lastSeen = n;
      cursor = n.next;
      let rh = 0;
      if (r !== null) {
        kassert(r.rbParent === n, () => `VmaTree: bad parent link under ${fmt(n)}`);
        rh = walk(r);
      }
      kassert(lh === rh, () => `VmaTree: black heights ${lh} != ${rh} under ${fmt(n)}`);
      return lh + (n.rbRed ? 0 : 1);
    };
    walk(root);
    kassert(cursor === null, 'VmaTree: list continues past the last tree node');
    kassert(lastSeen === this.tail, 'VmaTree: tail is not the last node');
    kassert(visited === this.count, () => `VmaTree: ${visited} nodes but size ${this.count}`);
  }

  // ---- red-black machinery ----

  /** Puts `nu` where `old` hangs from its parent (or at the root). */
  private transplant(old: VmaTreeNode, nu: VmaTreeNode | null): void {
    const p = old.rbParent;
    if (p === null) this.root = nu;
    else if (p.rbLeft === old) p.rbLeft = nu;
    else p.rbRight = nu;
    if (nu !== null) nu.rbParent = p;
  }

  /** Rotates x down toward `left` (a left rotation when true); its other child rises. */
  private rotate(x: VmaTreeNode, left: boolean): void {
    const y = (left ? x.rbRight : x.rbLeft)!;
    const inner = left ? y.rbLeft : y.rbRight;
    if (left) {
      x.rbRight = inner;
      y.rbLeft = x;
    } else {
      x.rbLeft = inner;
      y.rbRight = x;
    }
    if (inner !== null) inner.rbParent = x;
    this.transplant(x, y); // reads x.rbParent, so before x is re-parented
    x.rbParent = y;
  }

  /** z is red and freshly linked; restore "no red-red" without changing black heights. */
  private insertFixup(z: VmaTreeNode): void {
    let p: VmaTreeNode | null;
    while ((p = z.rbParent) !== null && p.rbRed) {
      const g = p.rbParent!; // p is red, so not the root
      const pLeft = p === g.rbLeft;
      const u = pLeft ? g.rbRight : g.rbLeft;
      if (u !== null && u.rbRed) {
        // Red uncle: recolour and push the conflict two levels up.
        p.rbRed = false;
        u.rbRed = false;
        g.rbRed = true;
        z = g;
        continue;
      }
      if (z === (pLeft ? p.rbRight : p.rbLeft)) {
        // Inner grandchild: rotate it outward so one rotation at g finishes.
        this.rotate(p, pLeft);
        z = p;
        p = z.rbParent!;
      }
      p.rbRed = false;
      g.rbRed = true;
      this.rotate(g, !pLeft);
    }
    this.root!.rbRed = false;
  }

  /**
   * A black node was removed above x (x may be null), so x's side is one black short.
   * The sibling w is non-null: the other side has black height >= 1.
   */
  private deleteFixup(x: VmaTreeNode | null, xParent: VmaTreeNode | null): void {
    while (x !== this.root && !isRed(x)) {
      const p = xParent!;
      // With x null, p's other child is non-null, so this comparison is unambiguous.
      const xLeft = x === p.rbLeft;
      let w = (xLeft ? p.rbRight : p.rbLeft)!;
      if (w.rbRed) {
        // Red sibling: rotate it above p so x gets a black sibling.
        w.rbRed = false;
        p.rbRed = true;
        this.rotate(p, xLeft);
        w = (xLeft ? p.rbRight : p.rbLeft)!;
      }
      const near = xLeft ? w.rbLeft : w.rbRight;
      const far = xLeft ? w.rbRight : w.rbLeft;
      if (!isRed(near) && !isRed(far)) {
        // Take one black off w's side too; the deficit moves up to p.
        w.rbRed = true;
        x = p;
        xParent = p.rbParent;
        continue;
      }
      if (!isRed(far)) {
        near!.rbRed = false;
        w.rbRed = true;
        this.rotate(w, !xLeft);
        w = (xLeft ? p.rbRight : p.rbLeft)!;
      }
      // Far nephew red: one rotation at p gives x's side the missing black.
      w.rbRed = p.rbRed;
      p.rbRed = false;
      (xLeft ? w.rbRight : w.rbLeft)!.rbRed = false;
      this.rotate(p, xLeft);
      x = this.root;
      break;
    }
    if (x !== null) x.rbRed = false;
  }
}
