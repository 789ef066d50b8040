/**
 * From-scratch evaluation: the membership a view has over a set of records,
 * computed by running its query (and subqueries) in full, with the same
 * compiled expressions as the incremental operators. The reference the
 * incremental engine is tested against, and the "naive re-evaluation" baseline.
 */
import { compileQuery } from "./parse/compile.js";
import { bindParams } from "./params.js";
import type { Env } from "./plan/env.js";
import type { OrderKey, QueryPlan } from "./plan/query-plan.js";
import { RecordId, parseRecordId } from "./record-id.js";
import { fetchedLinks } from "./values/path.js";
import type { ViewSpec, WireValue } from "./types.js";
import { compareRecordIds, compareValues } from "./values/compare.js";
import { fromWire } from "./values/wire.js";
import { isObject, isTruthy, type Value, type ValueObject } from "./values/value.js";

/** A record as evaluation reads it: its body, whose `id` is its RecordId (a stored Row is one). */
export interface EvalRow extends ValueObject {
  readonly id: RecordId;
}

/** Rows of a table, in any order. */
export type TableSource = (table: string) => Iterable<EvalRow>;

/** A record as evaluateView takes it: a StoredRecord fits, and so does a plain `{ id: "t:k", body }`. */
export interface RecordInput {
  readonly id: RecordId | string;
  readonly body: { readonly [key: string]: WireValue };
}

/** The membership of `spec` over `records`, ordered by record id. Throws CircuitError like registerView. */
export function evaluateView(spec: ViewSpec, records: Iterable<RecordInput>): RecordId[] {
  const plan = compileQuery(spec.surql);
  const params = bindParams(plan, spec.params);
  const tables = new Map<string, EvalRow[]>();
  const byId = new Map<string, EvalRow>();
  for (const r of records) {
    const id = typeof r.id === "string" ? parseRecordId(r.id) : r.id;
    const body = fromWire(r.body);
    const row: EvalRow = { ...(isObject(body) ? body : {}), id };
    let t = tables.get(id.table);
    if (!t) tables.set(id.table, (t = []));
    t.push(row);
    byId.set(id.text, row);
  }
  return evaluatePlan(plan, { params, parent: undefined, resolve: (link) => byId.get(link.text) }, (t) => tables.get(t) ?? []);
}

export function evaluatePlan(plan: QueryPlan, env: Env, source: TableSource): RecordId[] {
  const members = new Map<string, RecordId>();
  collect(plan, env, source, members);
  return [...members.values()].sort(compareRecordIds);
}

function collect(plan: QueryPlan, env: Env, source: TableSource, members: Map<string, RecordId>): void {
  let rows: EvalRow[] = [];
  for (const row of source(plan.table)) {
    if (!plan.where || isTruthy(plan.where(row, env))) rows.push(row);
  }
  if (plan.windowed) {
    const keyed = rows.map((row) => ({ values: plan.order.map((o) => o.get(row)), row }));
    keyed.sort((a, b) => compareSortValues(plan.order, a.values, b.values) || compareRecordIds(a.row.id, b.row.id));
    const { start, limit } = plan.slice(env);
    const end = limit === Infinity ? keyed.length : start + limit;
    rows = keyed.slice(start, end).map((k) => k.row);
  }
  for (const row of rows) {
    members.set(row.id.text, row.id);
    // Records fetched through `link.*` are members too, when they exist.
    const links: RecordId[] = [];
    for (const prefix of plan.fetchPaths) fetchedLinks(row, prefix, env.resolve, links);
    for (const link of links) {
      const target = env.resolve(link);
      if (isObject(target) && target.id instanceof RecordId) members.set(target.id.text, target.id);
    }
    for (const sub of plan.subqueries) collect(sub, { params: env.params, parent: row, resolve: env.resolve }, source, members);
  }
}

/**
 * ORDER BY with compareValues directly: the reference the incremental
 * operators' encoded order keys (values/order-key.ts) are checked against.
 */
function compareSortValues(order: readonly OrderKey[], a: readonly Value[], b: readonly Value[]): number {
  for (let i = 0; i < order.length; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return order[i]!.descending ? -c : c;
  }
  return 0;
}
