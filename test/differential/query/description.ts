/**
 * A view as a small structured description. It is rendered to SurrealQL text for
 * the circuit, and to the same text with `id` added at every projection level for
 * the oracle, which reads the ids of the rows at every level (the membership).
 */
import type { Val } from "../arbitraries/values.js";

export type ComparisonOp =
  | "="
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "CONTAINS"
  | "CONTAINSNOT"
  | "CONTAINSANY"
  | "CONTAINSALL"
  | "CONTAINSNONE"
  | "IN"
  | "INSIDE"
  | "NOT IN"
  | "NOTINSIDE"
  | "ALLINSIDE"
  | "ANYINSIDE"
  | "NONEINSIDE"
  /** `IS` and `IS NOT` before a value other than NONE/NULL: SurrealDB reads them as `=` and `!=`. */
  | "IS"
  | "IS NOT";

export type Operand =
  | { readonly kind: "field"; readonly path: readonly string[] }
  /** `suffix` spells a number as a decimal (`1.5dec`) or a float (`2f`). */
  | { readonly kind: "literal"; readonly value: Val; readonly suffix?: "dec" | "f" | undefined }
  /** `$name` or `$name.a.b`. */
  | { readonly kind: "param"; readonly name: string; readonly path: readonly string[] }
  /** `$parent.a.b` (only inside a subquery). */
  | { readonly kind: "parent"; readonly path: readonly string[] };

export type Condition =
  | { readonly kind: "compare"; readonly op: ComparisonOp; readonly left: Operand; readonly right: Operand }
  | { readonly kind: "is"; readonly operand: Operand; readonly negated: boolean; readonly what: "NONE" | "NULL" }
  | { readonly kind: "and" | "or"; readonly left: Condition; readonly right: Condition; readonly parenthesised: boolean }
  /** `!c` or `NOT (c)` (SurrealDB 3 refuses `NOT c` without parentheses). */
  | { readonly kind: "not"; readonly spelling: "!" | "NOT"; readonly inner: Condition }
  /** A bare operand, filtered by truthiness. */
  | { readonly kind: "truthy"; readonly operand: Operand };

/**
 * Path parts are field names, `*`, or an index written `[0]`. A `fetch` is
 * `path.*` where `path` ends at a record link (or an array of them): SurrealDB
 * puts the linked records' content in the output, so they are members. Any other
 * path, `o.*` included, projects stored data: an object in it that holds an `id`
 * is not a row. An `expr` projection is a value computed per row (`$p2 AS pv`,
 * `1.5dec AS c`, `n > 1 AS big`).
 */
export type Projection =
  | { readonly kind: "field"; readonly path: readonly string[]; readonly alias?: string | undefined }
  | { readonly kind: "fetch"; readonly path: readonly string[]; readonly alias?: string | undefined }
  | { readonly kind: "expr"; readonly expr: Condition; readonly alias: string }
  | { readonly kind: "subquery"; readonly query: Query; readonly first: boolean; readonly alias: string };

export interface OrderKey {
  /** Rendered as the alias when the projected field has one, else as the path. */
  readonly path: readonly string[];
  readonly alias?: string | undefined;
  readonly direction: "ASC" | "DESC" | undefined;
}

export interface Query {
  readonly table: string;
  /** `SELECT *` (then `fields` are additional projections, e.g. subqueries). */
  readonly star: boolean;
  readonly fields: readonly Projection[];
  readonly where?: Condition | undefined;
  readonly order: readonly OrderKey[];
  /** A literal, or the name of a param holding it (`LIMIT $pn`). */
  readonly limit?: number | string | undefined;
  readonly start?: number | string | undefined;
  /** Render START before LIMIT (SurrealQL accepts both orders). */
  readonly startFirst?: boolean | undefined;
}

/** A view: its query and the params it is registered with. */
export interface ViewDescription {
  readonly query: Query;
  readonly params: { readonly [name: string]: Val };
}

/** Every subquery of `q`, depth first, with its nesting level (top level = 0). */
export function* subqueries(q: Query, level = 0): Generator<{ query: Query; level: number }> {
  yield { query: q, level };
  for (const f of q.fields) if (f.kind === "subquery") yield* subqueries(f.query, level + 1);
}
