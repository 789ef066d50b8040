/**
 * One running SELECT: a plan bound to an environment (a view's params and, for
 * a subquery, its parent row), feeding one view's membership. Its chain is
 * filter → [window.ts or top-k.ts when windowed] → output, where the output
 * counts each row into the membership and starts one child instance per
 * subquery per row.
 *
 * Invariant: `output` holds exactly the rows SurrealDB would return for this
 * SELECT over the current store, and each has been added to the membership
 * once, with live children for each of its subqueries.
 */
import type { Env, Evaluator } from "../plan/query-plan.js";
import type { QueryPlan } from "../plan/query-plan.js";
import type { Membership } from "../membership.js";
import { VERSION, type RecordStore, type Row } from "../store.js";
import { dispatchKey, sameContent } from "../values/compare.js";
import { getPath, resolverFor } from "../values/path.js";
import { matches, pushFiltered, pushMatched } from "./filter.js";
import type { HoldingSink, RowSink } from "./operator.js";
import type { PlanNode, Pushable } from "./plan-node.js";
import { TopK } from "./top-k.js";
import { Window } from "./window.js";

/** What instances need from the circuit. */
export interface InstanceHost {
  readonly store: RecordStore;
  acquireNode(plan: QueryPlan): PlanNode<QueryInstance>;
  releaseNode(node: PlanNode<QueryInstance>): void;
}

export class QueryInstance implements Pushable, HoldingSink {
  readonly env: Env;
  destroyed = false;
  private readonly node: PlanNode<QueryInstance>;
  private readonly host: InstanceHost;
  private readonly view: Membership;
  private readonly where: Evaluator | undefined;
  /** What the filter feeds: a window when the plan has START/LIMIT, else this output directly. */
  private readonly window: RowSink;
  /** The window, when it is one over the plan's shared sorted rows. */
  private readonly shared: Window | undefined;
  /**
   * Rows in this SELECT's result, by id — exactly what it added to the view, so
   * teardown is exact even mid-ingest. A root without subqueries does not need
   * it: it is the view's only path, so its membership is its output.
   */
  private readonly output: Map<string, Row> | undefined;
  /** What the filter feeds, when it keeps every matching row (not a shared window, which keeps its first few). */
  private readonly holding: HoldingSink | undefined;
  /** Per output row: one child instance per subquery of the plan. */
  private children: Map<string, QueryInstance[]> | undefined;

  constructor(plan: QueryPlan, env: Env, view: Membership, host: InstanceHost, root = false) {
    this.env = env;
    this.output = root && plan.subqueries.length === 0 ? undefined : new Map();
    this.view = view;
    this.host = host;
    this.node = host.acquireNode(plan);
    const sorted = this.node.sorted;
    const { start, limit } = plan.slice(env);
    this.window = !plan.windowed
      ? this
      : sorted
        ? new Window(sorted, start, limit, (row) => matches(this.where, env, row), this)
        : new TopK(plan.order, start, limit, this);
    this.shared = this.window instanceof Window ? this.window : undefined;
    this.holding = this.window === this ? this : this.window instanceof TopK ? this.window : undefined;
    this.where = plan.where;
    this.node.add(this);
    this.populate();
  }

  get plan(): QueryPlan {
    return this.node.plan;
  }

  windowBound(): string | undefined {
    return this.shared ? this.shared.bound() : undefined;
  }

  /** A change to a record of this plan's table. */
  push(before: Row | undefined, after: Row | undefined): void {
    if (this.shared?.passesBy(before, after)) return;
    // A sink that keeps every matching row knows whether `before` matched: only `after` needs the predicate.
    const holding = this.holding;
    if (holding) pushMatched(before !== undefined && holding.holds(before), this.where, this.env, before, after, holding);
    else pushFiltered(this.where, this.env, before, after, this.window);
  }

  /** Removes every row (and child) from the membership and leaves the plan node. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.output) for (const row of this.output.values()) this.remove(row);
    else this.view.clear();
    this.node.delete(this);
    this.host.releaseNode(this.node);
  }

  private populate(): void {
    if (this.shared) {
      this.shared.fill();
      return;
    }
    const plan = this.plan;
    const d = plan.dispatch;
    const rows =
      d?.kind === "equal" ? this.host.store.lookup(plan.table, d.rowPath, dispatchKey(d.envValue(this.env))) : this.host.store.table(plan.table).values();
    for (const row of rows) pushFiltered(this.where, this.env, undefined, row, this.window);
  }

  // ----- output side (HoldingSink) -----

  /**
   * Whether `row`'s record is in this SELECT's result. A root without
   * subqueries keeps no output: it is its view's only path, so the view's
   * membership is its result.
   */
  holds(row: Row): boolean {
    return this.output ? this.output.has(row.id.text) : this.view.has(row.id);
  }

  add(row: Row): void {
    this.output?.set(row.id.text, row);
    this.view.add(row.id);
    const subs = this.plan.subqueries;
    if (subs.length === 0) return;
    const env: Env = { params: this.env.params, parent: row, resolve: this.env.resolve };
    (this.children ??= new Map()).set(row.id.text, subs.map((s) => new QueryInstance(s, env, this.view, this.host)));
  }

  remove(row: Row): void {
    // A root without subqueries keeps no output: no id text needed.
    if (this.output) {
      const key = row.id.text;
      this.output.delete(key);
      const kids = this.children?.get(key);
      if (kids) {
        this.children!.delete(key);
        for (const k of kids) k.destroy();
      }
    }
    this.view.remove(row.id, row[VERSION]);
  }

  change(before: Row, after: Row): void {
    if (before[VERSION] !== after[VERSION]) this.view.touch(after.id, before[VERSION]);
    if (!this.output) return;
    const key = after.id.text;
    this.output.set(key, after);
    const kids = this.children?.get(key);
    if (!kids) return;
    // A child depends on its parent row only through the `$parent` paths its plan reads
    // (following links as they were for `before`: see link-index.ts).
    const resolve = this.env.resolve;
    const resolveBefore = resolverFor(before, resolve);
    let env: Env | undefined;
    for (let i = 0; i < kids.length; i++) {
      const kid = kids[i]!;
      const paths = kid.plan.parentPaths;
      if (paths.every((p) => sameContent(getPath(before, p, 0, resolveBefore), getPath(after, p, 0, resolve)))) continue;
      env ??= { params: this.env.params, parent: after, resolve };
      const fresh = new QueryInstance(kid.plan, env, this.view, this.host);
      kid.destroy();
      kids[i] = fresh;
    }
  }
}
