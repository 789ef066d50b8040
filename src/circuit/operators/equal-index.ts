/**
 * `field = E`: instances bucketed by the dispatch key of E's value, so a change
 * visits the instances of its old and new field values only (10,000
 * `room = $room` views: the two rooms' views).
 */
import type { EqualDispatch } from "../plan/dispatch.js";
import type { Row } from "../store.js";
import { dispatchKey } from "../values/compare.js";
import type { Indexed, InstanceIndex } from "./instance-index.js";

export class EqualIndex<I extends Indexed> implements InstanceIndex<I> {
  private readonly dispatch: EqualDispatch;
  private readonly byKey = new Map<unknown, Set<I>>();
  /** Each instance's key as it was added (its env never changes). */
  private readonly keyOf = new Map<I, unknown>();

  constructor(dispatch: EqualDispatch) {
    this.dispatch = dispatch;
  }

  add(inst: I): void {
    const h = dispatchKey(this.dispatch.envValue(inst.env));
    this.keyOf.set(inst, h);
    let set = this.byKey.get(h);
    if (!set) this.byKey.set(h, (set = new Set()));
    set.add(inst);
  }

  delete(inst: I): void {
    const h = this.keyOf.get(inst);
    this.keyOf.delete(inst);
    const set = this.byKey.get(h);
    set?.delete(inst);
    if (set && set.size === 0) this.byKey.delete(h);
  }

  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    if (this.byKey.size === 0) return;
    const get = this.dispatch.rowValue;
    const hb = before ? dispatchKey(get(before)) : undefined;
    if (before) {
      const set = this.byKey.get(hb);
      if (set) for (const i of set) out.push(i);
    }
    if (after) {
      const ha = dispatchKey(get(after));
      // Map keys are SameValueZero: NaN matches NaN there, so compare the same way.
      if (before && (ha === hb || (ha !== ha && hb !== hb))) return;
      const set = this.byKey.get(ha);
      if (set) for (const i of set) out.push(i);
    }
  }
}
