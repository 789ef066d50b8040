/**
 * Binding a view's wire params to a plan: every param the query reads must be
 * given. A path below a param that crosses a record link (`$p.name` with `p` a
 * link) reads the linked record, as in SurrealDB; `paramLinks` says which
 * records a view's params reach that way, so the circuit can rebuild the view
 * when one of them changes.
 */
import { CircuitError } from "./errors.js";
import type { QueryPlan } from "./plan/query-plan.js";
import type { WireValue } from "./types.js";
import { getPath, recordingResolver, type Resolve } from "./values/path.js";
import type { Value } from "./values/value.js";
import { fromWire } from "./values/wire.js";

export function bindParams(plan: QueryPlan, wire: { readonly [name: string]: WireValue }): { [name: string]: Value } {
  const out: { [name: string]: Value } = {};
  for (const name of plan.params) {
    if (!Object.hasOwn(wire ?? {}, name)) {
      throw new CircuitError("INVALID_ARGUMENT", `the query reads $${name}, which is not among the view's params`);
    }
  }
  for (const [name, w] of Object.entries(wire ?? {})) {
    try {
      out[name] = fromWire(w);
    } catch (e) {
      throw new CircuitError("INVALID_ARGUMENT", `param $${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  for (const { name, clause } of plan.countParams) {
    const n = out[name];
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
      const got = n === undefined ? "nothing" : JSON.stringify(wire[name]);
      throw new CircuitError("INVALID_ARGUMENT", `${clause} $${name} must be a non-negative integer, got ${got}`);
    }
  }
  return out;
}

/** The id texts of the records the plan's param paths dereference (every hop, existing or not). */
export function paramLinks(plan: QueryPlan, params: { readonly [name: string]: Value }, resolve: Resolve): string[] {
  const found = new Set<string>();
  const recording = recordingResolver(resolve, found);
  for (const read of plan.paramReads) getPath(params[read.name], read.path, 0, recording);
  return [...found];
}
