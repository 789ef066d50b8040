/**
 * The live instances of one plan shape, shared by every view (and every
 * subquery parent) using that shape. Instances whose plan has an equality
 * conjunct `field = <param or $parent path>` are bucketed by the hash of that
 * value, so a record change visits only the instances of its old and new
 * field values (10,000 `room = $room` views: the two rooms' views), plus the
 * instances that cannot be bucketed.
 */
import type { QueryPlan } from "../plan/query-plan.js";
import type { Row } from "../store.js";
import { dispatchKey } from "../values/compare.js";

export interface Pushable {
  /** The dispatch key of the instance's equality value; undefined when the plan has none. */
  readonly dispatchHash: unknown;
  readonly keyed: boolean;
  push(before: Row | undefined, after: Row | undefined): void;
}

export class PlanNode<I extends Pushable = Pushable> {
  readonly plan: QueryPlan;
  private readonly byKey = new Map<unknown, Set<I>>();
  private readonly unkeyed = new Set<I>();
  private live = 0;

  constructor(plan: QueryPlan) {
    this.plan = plan;
  }

  get size(): number {
    return this.live;
  }

  add(inst: I): void {
    this.live++;
    if (!inst.keyed) {
      this.unkeyed.add(inst);
      return;
    }
    const h = inst.dispatchHash;
    let set = this.byKey.get(h);
    if (!set) this.byKey.set(h, (set = new Set()));
    set.add(inst);
  }

  delete(inst: I): void {
    this.live--;
    if (!inst.keyed) {
      this.unkeyed.delete(inst);
      return;
    }
    const h = inst.dispatchHash;
    const set = this.byKey.get(h);
    set?.delete(inst);
    if (set && set.size === 0) this.byKey.delete(h);
  }

  /** Appends the instances a change of this table's record may affect. */
  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    for (const i of this.unkeyed) out.push(i);
    const d = this.plan.dispatch;
    if (!d || this.byKey.size === 0) return;
    const hb = before ? dispatchKey(d.rowValue(before)) : undefined;
    if (before) {
      const set = this.byKey.get(hb);
      if (set) for (const i of set) out.push(i);
    }
    if (after) {
      const ha = dispatchKey(d.rowValue(after));
      if (before && (ha === hb || (ha !== ha && hb !== hb))) return;
      const set = this.byKey.get(ha);
      if (set) for (const i of set) out.push(i);
    }
  }
}
