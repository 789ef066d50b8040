/**
 * Binding a view's wire params to a plan: every param the query reads must be
 * given, and no path the query reads below a param may cross a record link
 * (SurrealDB would fetch the linked record; the circuit does not).
 */
import { CircuitError } from "./errors.js";
import type { QueryPlan } from "./plan/query-plan.js";
import type { WireValue } from "./types.js";
import { crossesLink } from "./values/path.js";
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
  for (const read of plan.paramReads) {
    if (crossesLink(out[read.name], read.path)) {
      throw new CircuitError("INVALID_ARGUMENT", `record-link dereference of ${read.text} is not supported${read.at}`);
    }
  }
  return out;
}
