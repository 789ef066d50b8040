/**
 * `field >= A AND field < B` (any mix of strict and inclusive bounds, on one
 * field path): instances are intervals [A, B). A row visits the intervals that
 * contain its old or new value — a stabbing query, answered by a treap ordered
 * by lower bound and augmented with the largest upper bound of each subtree,
 * so the work is O(log n) per interval found, not a scan of every instance
 * whose lower bound is below the value.
 *
 * Bounds are any values: SurrealDB's comparisons are the total order
 * `compareValues`. Invariant: `max` of a node is the largest `hi` in its subtree.
 */
import type { IntervalDispatch } from "../plan/dispatch.js";
import type { Row } from "../store.js";
import { compareValues } from "../values/compare.js";
import type { Value } from "../values/value.js";
import type { Indexed, InstanceIndex } from "./instance-index.js";
import { InvariantError } from "../invariants.js";

interface Node<I> {
  readonly lo: Value;
  readonly hi: Value;
  /** Orders instances with equal lower bounds. */
  readonly seq: number;
  readonly inst: I;
  /** Heap priority: random, so the tree is balanced in expectation. */
  readonly priority: number;
  max: Value;
  left: Node<I> | undefined;
  right: Node<I> | undefined;
}

/** True when the key (lo, seq) is at or before the node's: the node then belongs to the part from (lo, seq) on. */
function atOrBefore<I>(lo: Value, seq: number, node: Node<I>): boolean {
  const c = compareValues(lo, node.lo);
  return c < 0 || (c === 0 && seq <= node.seq);
}

function update<I>(n: Node<I>): Node<I> {
  let max = n.hi;
  if (n.left && compareValues(n.left.max, max) > 0) max = n.left.max;
  if (n.right && compareValues(n.right.max, max) > 0) max = n.right.max;
  n.max = max;
  return n;
}

/** Joins two treaps, every key of `a` before every key of `b`. */
function merge<I>(a: Node<I> | undefined, b: Node<I> | undefined): Node<I> | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.priority > b.priority) {
    a.right = merge(a.right, b);
    return update(a);
  }
  b.left = merge(a, b.left);
  return update(b);
}

/** Splits into the keys before (lo, seq) and the rest. */
function split<I>(n: Node<I> | undefined, lo: Value, seq: number): [Node<I> | undefined, Node<I> | undefined] {
  if (!n) return [undefined, undefined];
  if (atOrBefore(lo, seq, n)) {
    const [l, r] = split(n.left, lo, seq);
    n.left = r;
    return [l, update(n)];
  }
  const [l, r] = split(n.right, lo, seq);
  n.right = l;
  return [update(n), r];
}

export class IntervalIndex<I extends Indexed> implements InstanceIndex<I> {
  private readonly dispatch: IntervalDispatch;
  private root: Node<I> | undefined;
  private readonly nodeOf = new Map<I, Node<I>>();
  private seq = 0;

  constructor(dispatch: IntervalDispatch) {
    this.dispatch = dispatch;
  }

  get size(): number {
    return this.nodeOf.size;
  }

  add(inst: I): void {
    const d = this.dispatch;
    const lo = d.lower.envBound(inst.env);
    const hi = d.upper.envBound(inst.env);
    const node: Node<I> = { lo, hi, seq: this.seq++, inst, priority: Math.random(), max: hi, left: undefined, right: undefined };
    this.nodeOf.set(inst, node);
    const [l, r] = split(this.root, lo, node.seq);
    this.root = merge(merge(l, node), r);
  }

  delete(inst: I): void {
    const node = this.nodeOf.get(inst);
    if (!node) return;
    this.nodeOf.delete(inst);
    const [l, rest] = split(this.root, node.lo, node.seq);
    const [mid, r] = split(rest, node.lo, node.seq + 0.5);
    // The part between is the node alone; anything else means its key no longer sorts where it was
    // filed (a bound mutated in place), and dropping `mid` would drop other instances with it.
    if (mid !== node || node.left !== undefined || node.right !== undefined) {
      throw new InvariantError("broken invariant: an interval-index node sorts where it was added (by lower bound, then arrival)");
    }
    this.root = merge(l, r);
  }

  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    if (!this.root) return;
    const get = this.dispatch.rowValue;
    if (before) this.stab(this.root, get(before), undefined, out);
    if (after) {
      const b = before ? get(before) : undefined;
      this.stab(this.root, get(after), before ? { value: b } : undefined, out);
    }
  }

  private holdsLower(lo: Value, v: Value): boolean {
    const c = compareValues(v, lo);
    return this.dispatch.lower.inclusive ? c >= 0 : c > 0;
  }

  private holdsUpper(hi: Value, v: Value): boolean {
    const c = compareValues(v, hi);
    return this.dispatch.upper.inclusive ? c <= 0 : c < 0;
  }

  /** Appends the instances whose interval holds `v`, except those already found for `skip`. */
  private stab(n: Node<I> | undefined, v: Value, skip: { value: Value } | undefined, out: I[]): void {
    // No upper bound in this subtree is above v: nothing here holds it.
    if (!n || !this.holdsUpper(n.max, v)) return;
    this.stab(n.left, v, skip, out);
    // Lower bounds only grow to the right: once one is above v, the rest are too.
    if (!this.holdsLower(n.lo, v)) return;
    if (this.holdsUpper(n.hi, v) && !(skip && this.holdsLower(n.lo, skip.value) && this.holdsUpper(n.hi, skip.value))) out.push(n.inst);
    this.stab(n.right, v, skip, out);
  }
}
