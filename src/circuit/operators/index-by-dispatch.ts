/** The instance index a plan node keeps for its dispatch conjunct (instance-index.ts). */
import type { Dispatch } from "../plan/dispatch.js";
import type { Row } from "../store.js";
import { EqualIndex } from "./equal-index.js";
import type { Indexed, InstanceIndex } from "./instance-index.js";
import { IntervalIndex } from "./interval-index.js";
import { MemberIndex } from "./member-index.js";
import { RangeIndex } from "./range-index.js";

/**
 * The index for `dispatch`. `bucket` wraps each innermost index (every
 * bucket of an equality or membership, or the whole index otherwise): how a
 * plan node adds a test of its own (window-bound-index.ts).
 */
export function instanceIndex<I extends Indexed>(
  dispatch: Dispatch | undefined,
  bucket: (index: InstanceIndex<I>) => InstanceIndex<I> = (index) => index,
): InstanceIndex<I> {
  switch (dispatch?.kind) {
    case undefined:
      return bucket(new EveryInstance<I>());
    case "equal":
      return new EqualIndex<I>(dispatch, () => instanceIndex<I>(dispatch.refine, bucket));
    case "member":
      return new MemberIndex<I>(dispatch, () => instanceIndex<I>(dispatch.refine, bucket));
    case "range":
      return bucket(new RangeIndex<I>(dispatch));
    case "interval":
      return bucket(new IntervalIndex<I>(dispatch));
  }
}

/** No dispatch conjunct: every change visits every instance (also the innermost bucket when nothing refines a dispatch). */
export class EveryInstance<I extends Indexed> implements InstanceIndex<I> {
  private readonly all = new Set<I>();

  get size(): number {
    return this.all.size;
  }

  add(inst: I): void {
    this.all.add(inst);
  }

  delete(inst: I): void {
    this.all.delete(inst);
  }

  collect(_before: Row | undefined, _after: Row | undefined, out: I[]): void {
    for (const i of this.all) out.push(i);
  }
}
