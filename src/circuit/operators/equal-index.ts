/**
 * `field = E`: instances bucketed by the dispatch key of E's value, so a change
 * visits the instances of its old and new field values only (10,000
 * `room = $room` views: the two rooms' views). With a refining conjunct each
 * bucket is an index by it, asked with the old value for the old key's bucket
 * and the new value for the new key's.
 */
import type { EqualDispatch } from "../plan/dispatch.js";
import type { Row } from "../store.js";
import { dispatchKey } from "../values/compare.js";
import { Buckets } from "./buckets.js";
import type { Indexed, InstanceIndex } from "./instance-index.js";

export class EqualIndex<I extends Indexed> implements InstanceIndex<I> {
  private readonly dispatch: EqualDispatch;
  private readonly byKey: Buckets<I>;
  /** Each instance's key as it was added (its env never changes). */
  private readonly keyOf = new Map<I, unknown>();

  /** `newBucket`: an empty index by the refining conjunct (or a plain set). */
  constructor(dispatch: EqualDispatch, newBucket: () => InstanceIndex<I>) {
    this.dispatch = dispatch;
    this.byKey = new Buckets(newBucket);
  }

  get size(): number {
    return this.keyOf.size;
  }

  add(inst: I): void {
    const h = dispatchKey(this.dispatch.envValue(inst.env));
    this.keyOf.set(inst, h);
    this.byKey.add(h, inst);
  }

  delete(inst: I): void {
    if (!this.keyOf.has(inst)) return;
    const h = this.keyOf.get(inst);
    this.keyOf.delete(inst);
    this.byKey.delete(h, inst);
  }

  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    if (this.byKey.size === 0) return;
    const get = this.dispatch.rowValue;
    const hb = before ? dispatchKey(get(before)) : undefined;
    const ha = after ? dispatchKey(get(after)) : undefined;
    // Map keys are SameValueZero: NaN matches NaN there, so compare the same way.
    if (before && after && (ha === hb || (ha !== ha && hb !== hb))) {
      this.byKey.get(hb)?.collect(before, after, out);
      return;
    }
    if (before) this.byKey.get(hb)?.collect(before, undefined, out);
    if (after) this.byKey.get(ha)?.collect(undefined, after, out);
  }
}
