/**
 * One running SELECT: a plan bound to an environment (a view's params and, for
 * a subquery, its parent row), feeding one view's membership. Its chain is
 * filter → [window.ts or top-k.ts when windowed] → output, where the output
 * counts each row into the membership and starts one child instance per
 * subquery per row.
 *
 * Invariant: `output` holds exactly the rows SurrealDB would return for this
 * SELECT over the current store, and each has been added to the membership
 * once, with live children for each of its subqueries, and with each record
 * its select-list `link.*` paths fetch (`fetched`) added once more.
 */
import type { Env } from "../plan/env.js";
import type { Evaluator } from "../plan/query-plan.js";
import type { QueryPlan } from "../plan/query-plan.js";
import type { Membership } from "../membership.js";
import type { Value } from "../values/value.js";
import { VERSION, type RecordStore, type Row } from "../store.js";
import { dispatchKey, sameContent } from "../values/compare.js";
import type { RecordId } from "../record-id.js";
import { fetchedLinks, getPath, resolverFor } from "../values/path.js";
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

/** A record a row fetches through `link.*`, at the version the view last counted. */
interface Fetched {
  readonly id: RecordId;
  version: number;
}

const NOTHING_FETCHED: readonly Fetched[] = [];

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
  /**
   * Per output row, the records its `link.*` paths fetch, as counted in the
   * view (so a removal undoes exactly what was added, whatever the store holds
   * by then). Only for plans with such paths.
   */
  private readonly fetched: Map<string, readonly Fetched[]> | undefined;

  constructor(plan: QueryPlan, env: Env, view: Membership, host: InstanceHost, root = false) {
    this.env = env;
    // A root fetching records through `link.*` keeps its output: its rows are not all of its members.
    this.output = root && plan.subqueries.length === 0 && plan.fetchPaths.length === 0 ? undefined : new Map();
    this.fetched = plan.fetchPaths.length > 0 ? new Map() : undefined;
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
    if (this.fetched) this.fetch(row);
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
      const fetched = this.fetched?.get(key);
      if (fetched) {
        this.fetched!.delete(key);
        for (const f of fetched) this.view.remove(f.id, f.version);
      }
    }
    this.view.remove(row.id, row[VERSION]);
  }

  change(before: Row, after: Row): void {
    if (before[VERSION] !== after[VERSION]) this.view.touch(after.id, before[VERSION]);
    if (!this.output) return;
    const key = after.id.text;
    this.output.set(key, after);
    if (this.fetched) this.fetch(after);
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
      if (paths.every((p) => sameContent(getPath(before, p, 0, resolveBefore), getPath(after, p, 0, resolve)))) {
        // Same values, but possibly read through other links now (`team` moved to a record
        // with the same `n`): the child must read them from the row as it is, whose links
        // the link index follows. Its dispatch keys are these same values, so stay valid.
        (kid.env as { parent: Value }).parent = after;
        continue;
      }
      env ??= { params: this.env.params, parent: after, resolve };
      const fresh = new QueryInstance(kid.plan, env, this.view, this.host);
      kid.destroy();
      kids[i] = fresh;
    }
  }

  /**
   * Brings the records `row` fetches through `link.*` into the view, as the
   * store holds them now, against what it counted for the row before: a new
   * one is added, a gone one removed (at the version counted), and a kept one
   * whose version moved is touched, so the view reports it UPDATED. A link to
   * a missing record fetches NONE: nothing is counted.
   */
  private fetch(row: Row): void {
    const resolve = this.env.resolve;
    const links: RecordId[] = [];
    for (const prefix of this.plan.fetchPaths) fetchedLinks(row, prefix, resolve, links);
    const key = row.id.text;
    const old = this.fetched!.get(key) ?? NOTHING_FETCHED;
    const now: Fetched[] = [];
    for (const link of links) {
      const target = resolve(link) as Row | undefined;
      // The store's RecordId object: memberships key on it.
      if (target === undefined || now.some((f) => f.id === target.id)) continue;
      now.push({ id: target.id, version: target[VERSION] });
    }
    for (const f of now) {
      const was = old.find((o) => o.id === f.id);
      if (!was) this.view.add(f.id);
      else if (was.version !== f.version) this.view.touch(f.id, was.version);
    }
    for (const o of old) if (!now.some((f) => f.id === o.id)) this.view.remove(o.id, o.version);
    if (now.length > 0) this.fetched!.set(key, now);
    else this.fetched!.delete(key);
  }
}
