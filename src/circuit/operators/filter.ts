/**
 * WHERE: turns a record change (before/after, either absent) into a change of
 * the matching set. It keeps no state: a compiled predicate is a pure function
 * of (row, env), so whether `before` matched is recomputed rather than stored
 * (or read from what the instance already holds: `pushMatched`); and so it is
 * a function the instance calls, not an object in its chain.
 */
import type { Env } from "../plan/env.js";
import type { Evaluator } from "../plan/query-plan.js";
import type { Row } from "../store.js";
import { isTruthy } from "../values/value.js";
import type { RowSink } from "./operator.js";

export function matches(where: Evaluator | undefined, env: Env, row: Row): boolean {
  return where === undefined || isTruthy(where(row, env));
}

/** Pushes to `next` what the change does to the rows matching `where`. */
export function pushFiltered(where: Evaluator | undefined, env: Env, before: Row | undefined, after: Row | undefined, next: RowSink): void {
  pushMatched(before !== undefined && matches(where, env, before), where, env, before, after, next);
}

/** `pushFiltered` when whether `before` matched is already known (`was`, false without a `before`). */
export function pushMatched(was: boolean, where: Evaluator | undefined, env: Env, before: Row | undefined, after: Row | undefined, next: RowSink): void {
  const is = after !== undefined && matches(where, env, after);
  if (was && is) next.change(before!, after!);
  else if (was) next.remove(before!);
  else if (is) next.add(after!);
}
