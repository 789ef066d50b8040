/**
 * Dispatch: one top-level conjunct of a plan's WHERE that lets a row change
 * skip the instances it cannot affect. Every instance of a plan holds the same
 * conjunct with its own environment (`room = $room` with each view's room);
 * if the conjunct is false for both the row's old and new value, the whole
 * WHERE is false for both, and the instance has nothing to do.
 *
 * Three shapes, each indexed by the plan node (operators/instance-index.ts):
 * - equal: `field = E` — one key per row, one per instance (a hash bucket);
 * - member: `field CONTAINS E`, `E IN field`, `field IN E`, `field CONTAINSANY E`…
 *   — the conjunct can hold only when one of the row's keys is one of the
 *   instance's (keys are `dispatchKey`s, equal for values SurrealDB equates);
 * - range: `field < E` (and <=, >, >=, either way round) — instances sorted by
 *   E's value, and SurrealDB's `<` is the total order `compareValues`;
 * - interval: a lower and an upper range on one field (`field >= A AND field < B`)
 *   — instances are intervals, and a row visits those holding its value.
 *
 * An equal or member dispatch may be refined by a second conjunct (`status =
 * $status AND score >= $min`): each bucket is then itself an index by that
 * conjunct, and a row visits only the instances for which both hold on its old
 * or on its new value.
 *
 * Invariant (what makes skipping exact): when the conjunct holds for a row and
 * an instance, the instance is among those the index returns for that row.
 * Returning more is allowed (the full WHERE is evaluated anyway).
 */
import { dispatchKey } from "../values/compare.js";
import type { Path } from "../values/path.js";
import { isObject, type Value } from "../values/value.js";
import type { Env } from "./env.js";

/** A row whose keys cannot be listed (a string, tested by substring): it may match any instance. */
export const ANY_KEY = "any" as const;
export type RowKeys = readonly unknown[] | typeof ANY_KEY;

export interface EqualDispatch {
  readonly kind: "equal";
  readonly rowPath: Path;
  readonly rowValue: (row: Value) => Value;
  readonly envValue: (env: Env) => Value;
  /** A second conjunct indexing each bucket's instances. */
  readonly refine?: Dispatch;
}

export interface MemberDispatch {
  readonly kind: "member";
  readonly rowKeys: (row: Value) => RowKeys;
  /** Undefined when the instance's value cannot be keyed (a substring test): it is then visited by every row. */
  readonly envKeys: (env: Env) => readonly unknown[] | undefined;
  /** A second conjunct indexing each bucket's instances. */
  readonly refine?: Dispatch;
}

/** How the row's value must compare with the instance's bound for the conjunct to hold. */
export type RangeOp = "lt" | "le" | "gt" | "ge";

export interface RangeDispatch {
  readonly kind: "range";
  readonly rowPath: Path;
  /** `rowValue(row) op bound`. */
  readonly op: RangeOp;
  readonly rowValue: (row: Value) => Value;
  readonly envBound: (env: Env) => Value;
}

/** One end of an interval: `field > A` / `field >= A` (lower), `field < B` / `field <= B` (upper). */
export interface IntervalBound {
  readonly inclusive: boolean;
  readonly envBound: (env: Env) => Value;
}

export interface IntervalDispatch {
  readonly kind: "interval";
  readonly rowValue: (row: Value) => Value;
  readonly lower: IntervalBound;
  readonly upper: IntervalBound;
}

export type Dispatch = EqualDispatch | MemberDispatch | RangeDispatch | IntervalDispatch;

type Get = (row: Value) => Value;
type EnvGet = (env: Env) => Value;

/**
 * The dispatch for `rowSide op envSide` (AST operator name), the row side being
 * a field path, or undefined when the operator has none. `rowOnLeft` says which
 * side of the operator the field is on.
 */
export function dispatchFor(op: string, rowOnLeft: boolean, rowPath: Path, row: Get, env: EnvGet): Dispatch | undefined {
  switch (op) {
    case "Equal":
    case "Exact":
      return { kind: "equal", rowPath, rowValue: row, envValue: env };
    case "Contain":
      // `field CONTAINS E` | `E CONTAINS field`
      return rowOnLeft ? containerRow(row, env) : containerEnv(row, env);
    case "Inside":
      // `E IN field` | `field IN E`
      return rowOnLeft ? containerEnv(row, env) : containerRow(row, env);
    case "ContainAny":
      // `field CONTAINSANY E`
      return rowOnLeft ? anyOf(row, env) : undefined;
    case "AnyInside":
      // `E ANYINSIDE field`
      return rowOnLeft ? undefined : anyOf(row, env);
    case "LessThan":
      return range(rowOnLeft ? "lt" : "gt", rowPath, row, env);
    case "LessThanOrEqual":
      return range(rowOnLeft ? "le" : "ge", rowPath, row, env);
    case "MoreThan":
      return range(rowOnLeft ? "gt" : "lt", rowPath, row, env);
    case "MoreThanOrEqual":
      return range(rowOnLeft ? "ge" : "le", rowPath, row, env);
    default:
      return undefined;
  }
}

function range(op: RangeOp, rowPath: Path, row: Get, env: EnvGet): RangeDispatch {
  return { kind: "range", op, rowPath, rowValue: row, envBound: env };
}

/** A lower and an upper range on the same field, as one interval; undefined when `a` and `b` are not such a pair. */
export function intervalOf(a: RangeDispatch, b: RangeDispatch): IntervalDispatch | undefined {
  if (pathKey(a.rowPath) !== pathKey(b.rowPath)) return undefined;
  const isLower = (r: RangeDispatch) => r.op === "gt" || r.op === "ge";
  if (isLower(a) === isLower(b)) return undefined;
  const [lower, upper] = isLower(a) ? [a, b] : [b, a];
  return {
    kind: "interval",
    rowValue: a.rowValue,
    lower: { inclusive: lower.op === "ge", envBound: lower.envBound },
    upper: { inclusive: upper.op === "le", envBound: upper.envBound },
  };
}

function pathKey(path: Path): string {
  return JSON.stringify(path);
}

/** The row's field contains E: `contains(field, E)` holds only if E is one of the field's elements (or keys). */
function containerRow(row: Get, env: EnvGet): MemberDispatch {
  return { kind: "member", rowKeys: (r) => containerKeys(row(r)) ?? ANY_KEY, envKeys: (e) => [dispatchKey(env(e))] };
}

/** E contains the row's field: it must be one of E's elements (or keys). */
function containerEnv(row: Get, env: EnvGet): MemberDispatch {
  return { kind: "member", rowKeys: (r) => [dispatchKey(row(r))], envKeys: (e) => containerKeys(env(e)) };
}

/** `field CONTAINSANY E`: some element of E is an element of the field. */
function anyOf(row: Get, env: EnvGet): MemberDispatch {
  return {
    kind: "member",
    rowKeys: (r) => {
      const v = row(r);
      if (Array.isArray(v)) return elementKeys(v);
      return typeof v === "string" ? ANY_KEY : [];
    },
    envKeys: (e) => {
      const v = env(e);
      return Array.isArray(v) ? elementKeys(v) : undefined;
    },
  };
}

/**
 * What `contains(v, x)` can be true for (values/operators.ts): an array's
 * elements, an object's keys (with a value); undefined for a string (any
 * substring); nothing for anything else.
 */
function containerKeys(v: Value): readonly unknown[] | undefined {
  if (Array.isArray(v)) return elementKeys(v);
  if (typeof v === "string") return undefined;
  if (!isObject(v)) return [];
  const keys: unknown[] = [];
  for (const k of Object.keys(v)) if (v[k] !== undefined) keys.push(dispatchKey(k));
  return keys;
}

function elementKeys(v: readonly Value[]): unknown[] {
  return v.map(dispatchKey);
}
