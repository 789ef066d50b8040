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
import { hashValue } from "../values/compare.js";
import { getPath } from "../values/path.js";

export interface Pushable {
  readonly dispatchHash: string | undefined;
  push(before: Row | undefined, after: Row | undefined): void;
}

export class PlanNode<I extends Pushable = Pushable> {
  readonly plan: QueryPlan;
  private readonly keyed = new Map<string, Set<I>>();
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
    const h = inst.dispatchHash;
    if (h === undefined) {
      this.unkeyed.add(inst);
      return;
    }
    let set = this.keyed.get(h);
    if (!set) this.keyed.set(h, (set = new Set()));
    set.add(inst);
  }

  delete(inst: I): void {
    this.live--;
    const h = inst.dispatchHash;
    if (h === undefined) {
      this.unkeyed.delete(inst);
      return;
    }
    const set = this.keyed.get(h);
    set?.delete(inst);
    if (set && set.size === 0) this.keyed.delete(h);
  }

  /** Appends the instances a change of this table's record may affect. */
  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    for (const i of this.unkeyed) out.push(i);
    const d = this.plan.dispatch;
    if (!d) return;
    const hb = before ? hashValue(getPath(before.body, d.rowPath)) : undefined;
    const ha = after ? hashValue(getPath(after.body, d.rowPath)) : undefined;
    if (hb !== undefined) {
      const set = this.keyed.get(hb);
      if (set) for (const i of set) out.push(i);
    }
    if (ha !== undefined && ha !== hb) {
      const set = this.keyed.get(ha);
      if (set) for (const i of set) out.push(i);
    }
  }
}
