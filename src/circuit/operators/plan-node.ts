/**
 * The live instances of one plan shape, shared by every view (and every
 * subquery parent) using that shape, indexed by the plan's dispatch conjunct
 * (plan/dispatch.ts) so a record change visits only the instances it may
 * affect.
 */
import type { QueryPlan } from "../plan/query-plan.js";
import type { Row } from "../store.js";
import { instanceIndex, type Indexed, type InstanceIndex } from "./instance-index.js";

export interface Pushable extends Indexed {
  push(before: Row | undefined, after: Row | undefined): void;
}

export class PlanNode<I extends Pushable = Pushable> {
  readonly plan: QueryPlan;
  private readonly index: InstanceIndex<I>;
  private live = 0;

  constructor(plan: QueryPlan) {
    this.plan = plan;
    this.index = instanceIndex<I>(plan.dispatch);
  }

  get size(): number {
    return this.live;
  }

  add(inst: I): void {
    this.live++;
    this.index.add(inst);
  }

  delete(inst: I): void {
    this.live--;
    this.index.delete(inst);
  }

  /** Appends the instances a change of this table's record may affect, each once. */
  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    this.index.collect(before, after, out);
  }
}
