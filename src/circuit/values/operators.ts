/**
 * SurrealDB's binary operators over circuit values, as observed in SurrealDB 3
 * (pinned by circuit.where-semantics.test.ts): `"abc" CONTAINS "b"`, `{a:1} CONTAINS "a"`,
 * `NONE CONTAINS 1` is false (so CONTAINSNOT matches records lacking the field),
 * `[] CONTAINSANY []` is false, `5 CONTAINSALL []` is true (vacuous), and
 * CONTAINSALL/ANY never look at object keys, and a string tested against a
 * list holding any non-string is false (`"abc" CONTAINSANY [5, "c"]`).
 */
import { compareValues, valuesEqual } from "./compare.js";
import { isObject, type Value } from "./value.js";

export type BinaryOperator = (l: Value, r: Value) => boolean;

/** Membership as CONTAINSALL/CONTAINSANY test it: array element or substring (no object keys). */
function elementOf(l: Value, x: Value): boolean {
  if (Array.isArray(l)) {
    for (const e of l) if (valuesEqual(e, x)) return true;
    return false;
  }
  return typeof l === "string" && typeof x === "string" && l.includes(x);
}

/** `l CONTAINS r` (and `r IN l`): element, substring, or — for objects — a key. */
export function contains(l: Value, r: Value): boolean {
  if (isObject(l)) return typeof r === "string" && Object.hasOwn(l, r) && l[r] !== undefined;
  return elementOf(l, r);
}

/** A string tested against a list: SurrealDB answers false as soon as the list holds a non-string. */
function stringAgainstMixedList(l: Value, r: Value[]): boolean {
  return typeof l === "string" && r.some((x) => typeof x !== "string");
}

export function containsAll(l: Value, r: Value): boolean {
  if (Array.isArray(r)) return !stringAgainstMixedList(l, r) && r.every((x) => elementOf(l, x));
  return typeof l === "string" && typeof r === "string" && l.includes(r);
}

export function containsAny(l: Value, r: Value): boolean {
  if (Array.isArray(r)) return !stringAgainstMixedList(l, r) && r.some((x) => elementOf(l, x));
  return typeof l === "string" && typeof r === "string" && l.includes(r);
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
