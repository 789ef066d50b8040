/**
 * `field < E` (and <=, >, >=): instances in an array sorted by E's value (their
 * bound). SurrealDB's comparisons are the total order `compareValues`, so the
 * instances whose bound a row value satisfies form one end of the array: a
 * change visits the union for its old and new values, which is the set for the
 * more permissive of the two, found by one binary search.
 *
 * Bounds change only when instances come and go, far less often than rows
 * change (and a new instance scans its table anyway), so insertion and removal
 * may shift the array.
 */
import type { RangeDispatch } from "../plan/dispatch.js";
import type { Row } from "../store.js";
import { compareValues } from "../values/compare.js";
import type { Value } from "../values/value.js";
import type { Indexed, InstanceIndex } from "./instance-index.js";
import { InvariantError, unreachable } from "../invariants.js";

interface Slot<I> {
  readonly bound: Value;
  readonly inst: I;
}

export class RangeIndex<I extends Indexed> implements InstanceIndex<I> {
  private readonly dispatch: RangeDispatch;
  /** Sorted by bound; instances with equal bounds in the order they came. */
  private readonly slots: Slot<I>[] = [];
  /** Each instance's bound as it was added. */
  private readonly boundOf = new Map<I, Value>();

  constructor(dispatch: RangeDispatch) {
    this.dispatch = dispatch;
  }

  get size(): number {
    return this.slots.length;
  }

  add(inst: I): void {
    const bound = this.dispatch.envBound(inst.env);
    this.boundOf.set(inst, bound);
    this.slots.splice(this.firstAbove(bound), 0, { bound, inst });
  }

  delete(inst: I): void {
    // The bound it was filed under: computed again, a `$parent` path through a link
    // would read the store as it is now, which may have moved on.
    if (!this.boundOf.has(inst)) return;
    const bound = this.boundOf.get(inst);
    this.boundOf.delete(inst);
    const slots = this.slots;
    for (let i = this.firstAtOrAbove(bound); i < slots.length && compareValues(slots[i]!.bound, bound) === 0; i++) {
      if (slots[i]!.inst === inst) {
        slots.splice(i, 1);
        return;
      }
    }
    // Filed under `bound` but not found there: every later change would still visit it.
    throw new InvariantError("broken invariant: a range-index instance sits among the slots of the bound it was added with");
  }

  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    const slots = this.slots;
    if (slots.length === 0) return;
    const get = this.dispatch.rowValue;
    const op = this.dispatch.op;
    let v: Value;
    if (before && after) {
      const b = get(before);
      const a = get(after);
      // `row < bound` holds for bounds above the row value: the smaller value reaches more.
      const c = compareValues(b, a);
      v = op === "lt" || op === "le" ? (c <= 0 ? b : a) : c >= 0 ? b : a;
    } else {
      v = get((before ?? after)!);
    }
    switch (op) {
      case "lt": // bound > v
        for (let i = this.firstAbove(v); i < slots.length; i++) out.push(slots[i]!.inst);
        return;
      case "le": // bound >= v
        for (let i = this.firstAtOrAbove(v); i < slots.length; i++) out.push(slots[i]!.inst);
        return;
      case "gt": // bound < v
        for (let i = this.firstAtOrAbove(v) - 1; i >= 0; i--) out.push(slots[i]!.inst);
        return;
      case "ge": // bound <= v
        for (let i = this.firstAbove(v) - 1; i >= 0; i--) out.push(slots[i]!.inst);
        return;
      default:
        // Collecting nothing would skip instances the conjunct holds for.
        unreachable(op, "range dispatch op");
    }
  }

  /** The index of the first slot whose bound is above `v`. */
  private firstAbove(v: Value): number {
    let lo = 0;
    let hi = this.slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareValues(this.slots[mid]!.bound, v) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the first slot whose bound is at or above `v`. */
  private firstAtOrAbove(v: Value): number {
    let lo = 0;
    let hi = this.slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareValues(this.slots[mid]!.bound, v) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
