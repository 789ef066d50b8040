/**
 * SurrealDB's binary operators over circuit values, checked against an
 * embedded SurrealDB 3: `"abc" CONTAINS "b"`, `NONE CONTAINS 1` is false (so
 * CONTAINSNOT matches records lacking the field), `[] CONTAINSANY []` is false,
 * `[1] CONTAINSALL []` is true, `5 CONTAINS 5` is false, `{a:1} CONTAINS 1` is false.
 */
import { compareValues, valuesEqual } from "./compare.js";
import type { Value } from "./value.js";

export type BinaryOperator = (l: Value, r: Value) => boolean;

export function contains(l: Value, r: Value): boolean {
  if (Array.isArray(l)) {
    for (const x of l) if (valuesEqual(x, r)) return true;
    return false;
  }
  if (typeof l === "string" && typeof r === "string") return l.includes(r);
  return false;
}

export function containsAll(l: Value, r: Value): boolean {
  if (!Array.isArray(r)) return false;
  if (Array.isArray(l) || typeof l === "string") return r.every((x) => contains(l, x));
  return false;
}

export function containsAny(l: Value, r: Value): boolean {
  if (!Array.isArray(r)) return false;
  if (Array.isArray(l) || typeof l === "string") return r.some((x) => contains(l, x));
  return false;
}

/** Operators by the AST's names. */
export const BINARY_OPERATORS: { readonly [name: string]: BinaryOperator } = {
  Equal: valuesEqual,
  Exact: valuesEqual,
  NotEqual: (l, r) => !valuesEqual(l, r),
  LessThan: (l, r) => compareValues(l, r) < 0,
  LessThanOrEqual: (l, r) => compareValues(l, r) <= 0,
  MoreThan: (l, r) => compareValues(l, r) > 0,
  MoreThanOrEqual: (l, r) => compareValues(l, r) >= 0,
  Contain: contains,
  NotContain: (l, r) => !contains(l, r),
  ContainAll: containsAll,
  ContainAny: containsAny,
  ContainNone: (l, r) => !containsAny(l, r),
  Inside: (l, r) => contains(r, l),
  NotInside: (l, r) => !contains(r, l),
  AllInside: (l, r) => containsAll(r, l),
  AnyInside: (l, r) => containsAny(r, l),
  NoneInside: (l, r) => !containsAny(r, l),
};
