/**
 * Binding a view's wire params to a plan: every param the query reads must be
 * given, and no path the query reads below a param may cross a record link
 * (SurrealDB would fetch the linked record; the circuit does not).
 */
import { CircuitError } from "./errors.js";
import type { QueryPlan } from "./plan/query-plan.js";
import type { WireValue } from "./types.js";
import { RecordId } from "./record-id.js";
import type { Path } from "./values/path.js";
import { isObject, type Value } from "./values/value.js";
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
    if (crossesLink(out[read.name], read.path, 0)) {
      throw new CircuitError("INVALID_ARGUMENT", `record-link dereference of ${read.text} is not supported${read.at}`);
    }
  }
  return out;
}

/** True when walking `path` from `v` (as getPath does: fields of arrays map over their elements) meets a record link before the path ends. */
function crossesLink(v: Value, path: Path, from: number): boolean {
  if (from >= path.length) return false;
  if (v instanceof RecordId) return true;
  const part = path[from]!;
  if (Array.isArray(v)) {
    if (part.kind === "index") return crossesLink(v[part.index], path, from + 1);
    const next = part.kind === "all" ? from + 1 : from;
    return v.some((el) => crossesLink(el, path, next));
  }
  if (!isObject(v)) return false;
  if (part.kind === "field") return Object.hasOwn(v, part.name) && crossesLink(v[part.name], path, from + 1);
  if (part.kind === "all") return Object.values(v).some((el) => crossesLink(el, path, from + 1));
  return false;
}
