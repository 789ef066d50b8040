/**
 * WHERE: turns a record change (before/after, either absent) into a change of
 * the matching set. It keeps no state: a compiled predicate is a pure function of
 * (row, env), so whether `before` matched is recomputed rather than stored.
 */
import type { Env, Evaluator } from "../plan/query-plan.js";
import type { Row } from "../store.js";
import { isTruthy } from "../values/value.js";
import type { RowSink } from "./operator.js";

export class Filter {
  private readonly where: Evaluator | undefined;
  private readonly env: Env;
  private readonly next: RowSink;

  constructor(where: Evaluator | undefined, env: Env, next: RowSink) {
    this.where = where;
    this.env = env;
    this.next = next;
  }

  matches(row: Row): boolean {
    return this.where === undefined || isTruthy(this.where(row, this.env));
  }

  push(before: Row | undefined, after: Row | undefined): void {
    const was = before !== undefined && this.matches(before);
    const is = after !== undefined && this.matches(after);
    if (was && is) this.next.change(before!, after!);
    else if (was) this.next.remove(before!);
    else if (is) this.next.add(after!);
  }
}
