/**
 * The live instances of one plan shape, shared by every view (and every
 * subquery parent) using that shape, indexed by the plan's dispatch conjunct
 * (plan/dispatch.ts) so a record change visits only the instances it may
 * affect.
 */
import type { QueryPlan } from "../plan/query-plan.js";
import type { Row } from "../store.js";
import { instanceIndex } from "./index-by-dispatch.js";
import type { InstanceIndex } from "./instance-index.js";
import { SortedRows, type TableRows } from "./sorted-rows.js";
import { WindowBoundIndex, type Windowed } from "./window-bound-index.js";

/**
 * Windows up to this many rows (literal START + LIMIT) of plans not dispatched
 * by equality share one sorted index of the table (window.ts); larger ones,
 * windows sized by params, and equality-dispatched plans (whose instances each
 * see only their own bucket's rows) keep a tree per instance (top-k.ts).
 */
export const SHARED_WINDOW_MAX = 256;

export interface Pushable extends Windowed {
  push(before: Row | undefined, after: Row | undefined): void;
}

export class PlanNode<I extends Pushable = Pushable> {
  readonly plan: QueryPlan;
  /** The table's rows in the plan's order, when its instances share them (window.ts). */
  readonly sorted: SortedRows | undefined;
  private readonly index: InstanceIndex<I>;
  private live = 0;

  constructor(plan: QueryPlan, table: TableRows) {
    this.plan = plan;
    const fixed = plan.fixedSlice;
    const shared = plan.windowed && plan.dispatch?.kind !== "equal" && fixed !== undefined && fixed.start + fixed.limit <= SHARED_WINDOW_MAX;
    const sorted = shared ? new SortedRows(plan.order, table) : undefined;
    this.sorted = sorted;
    // Shared windows: a bucket whose windows all end before a change's rows is not visited.
    this.index = sorted ? instanceIndex<I>(plan.dispatch, (index) => new WindowBoundIndex(sorted, index)) : instanceIndex<I>(plan.dispatch);
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

  /**
   * Appends the instances a change of this table's record may affect, each
   * once. Called for every change of the table before any instance is pushed,
   * so it also keeps the shared sorted index current.
   */
  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    this.sorted?.update(before, after);
    this.index.collect(before, after, out);
  }
}
