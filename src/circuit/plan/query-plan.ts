/**
 * A compiled SELECT: what the operators run. Plans are pure and shared by every
 * view with the same query text shape (params are bound per instance, through
 * `Env`), so predicates are compiled to closures once per shape.
 */
import type { Path } from "../values/path.js";
import type { Dispatch } from "./dispatch.js";
import type { Env } from "./env.js";
import type { Value } from "../values/value.js";

/** A read below a param (`$p.n`): it follows record links, so the view depends on the records it reaches. */
export interface ParamRead {
  readonly name: string;
  readonly path: Path;
}

export type Evaluator = (row: Value, env: Env) => Value;

/** An instance's window: ranks [start, start + limit) of its ordered rows (`limit` Infinity without LIMIT). */
export interface Slice {
  readonly start: number;
  readonly limit: number;
}

/** A `START $s` or `LIMIT $n` param: bound per view, it must be a non-negative integer (params.ts). */
export interface CountParam {
  readonly name: string;
  readonly clause: "START" | "LIMIT";
}

export interface OrderKey {
  readonly get: (row: Value) => Value;
  readonly descending: boolean;
}

/**
 * Rows of `table` satisfying `where`, ordered by `order` then record id (SurrealDB
 * breaks ties, and orders un-ordered LIMITs, by record id in both directions),
 * sliced to [start, start + limit). Each row of that window runs `subqueries`.
 */
export interface QueryPlan {
  /** Identifies the shape: equal keys ⇒ identical plans. */
  readonly key: string;
  readonly table: string;
  readonly where: Evaluator | undefined;
  /** A conjunct of `where` that indexes the plan's instances (plan/dispatch.ts). */
  readonly dispatch: Dispatch | undefined;
  readonly order: readonly OrderKey[];
  /** The window of an instance: from literals, or from its params (`LIMIT $n`). */
  readonly slice: (env: Env) => Slice;
  /** The window when it is the same for every instance (literal START/LIMIT). */
  readonly fixedSlice: Slice | undefined;
  /** True when some instance's window may be other than every matching row. */
  readonly windowed: boolean;
  readonly subqueries: readonly QueryPlan[];
  /** `$parent` paths read by `where`: a child instance depends on the parent row only through these. */
  readonly parentPaths: readonly Path[];
  /**
   * Paths read from this plan's rows that may cross a record link: WHERE's
   * (`author.name`) and the subqueries' `$parent` paths (`$parent.author.name`).
   * A row depends on the records they dereference (link-index.ts).
   */
  readonly derefPaths: readonly Path[];
  /**
   * Select-list `link.*` paths, without their final `*`: each row's links at
   * the end of one (values/path.ts `fetchedLinks`) are fetched, so the records
   * they reach are members of the view while the row is in the result.
   */
  readonly fetchPaths: readonly Path[];
  /** Params read anywhere in this plan or its subqueries (except `$parent`). */
  readonly params: ReadonlySet<string>;
  /** Reads below a param, anywhere in this plan or its subqueries (params.ts finds the records they reach). */
  readonly paramReads: readonly ParamRead[];
  /** START/LIMIT params anywhere in this plan or its subqueries. */
  readonly countParams: readonly CountParam[];
}

