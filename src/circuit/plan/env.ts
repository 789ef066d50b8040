/**
 * A file of its own because both the plan (query-plan.ts) and the dispatch
 * shapes (dispatch.ts) read it, and neither may import the other for it.
 */
import type { Resolve } from "../values/path.js";
import type { Value } from "../values/value.js";

/**
 * What an expression may read besides the row: the view's params, in a
 * subquery the parent row, and the records that record links point at.
 */
export interface Env {
  readonly params: { readonly [name: string]: Value };
  readonly parent: Value;
  readonly resolve: Resolve;
}
