/**
 * `field < E` (and <=, >, >=): instances in a B+tree by E's value (their
 * bound). SurrealDB's comparisons are the total order `compareValues`, so the
 * instances whose bound a row value satisfies form one end of the tree: a
 * change visits the union for its old and new values, which is the set for the
 * more permissive of the two.
 */
import type { RangeDispatch } from "../plan/dispatch.js";
import type { Row } from "../store.js";
import { compareValues } from "../values/compare.js";
import type { Value } from "../values/value.js";
import { BTree } from "./btree.js";
import type { Indexed, InstanceIndex } from "./instance-index.js";

interface Slot {
  readonly bound: Value;
  /** Distinguishes instances with equal bounds; ±Infinity only in search keys. */
  readonly seq: number;
}

function compareSlots(a: Slot, b: Slot): number {
  return compareValues(a.bound, b.bound) || (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0);
}

export class RangeIndex<I extends Indexed> implements InstanceIndex<I> {
  private readonly dispatch: RangeDispatch;
  private readonly tree: BTree<Slot, I> = new BTree<Slot, I>(undefined, compareSlots);
  private readonly slotOf = new Map<I, Slot>();
  private seq = 0;

  constructor(dispatch: RangeDispatch) {
    this.dispatch = dispatch;
  }

  get size(): number {
    return this.slotOf.size;
  }

  add(inst: I): void {
    const slot: Slot = { bound: this.dispatch.envBound(inst.env), seq: this.seq++ };
    this.slotOf.set(inst, slot);
    this.tree.set(slot, inst);
  }

  delete(inst: I): void {
    const slot = this.slotOf.get(inst);
    if (!slot) return;
    this.slotOf.delete(inst);
    this.tree.delete(slot);
  }

  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    if (this.tree.size === 0) return;
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
        for (const [, i] of this.tree.entries({ bound: v, seq: Infinity })) out.push(i);
        return;
      case "le": // bound >= v
        for (const [, i] of this.tree.entries({ bound: v, seq: -Infinity })) out.push(i);
        return;
      case "gt": // bound < v
        for (const [, i] of this.tree.entriesReversed({ bound: v, seq: -Infinity })) out.push(i);
        return;
      case "ge": // bound <= v
        for (const [, i] of this.tree.entriesReversed({ bound: v, seq: Infinity })) out.push(i);
        return;
    }
  }
}
