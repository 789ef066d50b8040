/**
 * SurrealDB's value order and equality, as observed in SurrealDB 3:
 * NONE < NULL < bool < number < string < array < object < record id.
 * Strings compare by code point, numbers as floats in total order (NaN, from a
 * `NaN` literal or a binary gRPC body, equal to itself and above +Infinity),
 * record ids by table then key (numeric keys before string keys), arrays and
 * objects lexicographically.
 *
 * Invariant: `valuesEqual(a, b)` ⇔ `compareValues(a, b) === 0` ⇒
 * `dispatchKey(a) === dispatchKey(b)` (as Map keys), so hash indices never miss
 * a row `=` would match.
 */
import { RecordId, type RecordKey } from "../record-id.js";
import type { Value, ValueObject } from "./value.js";

function rank(v: Value): number {
  if (v === undefined) return 0;
  if (v === null) return 1;
  switch (typeof v) {
    case "boolean":
      return 2;
    case "number":
      return 3;
    case "string":
      return 4;
  }
  if (Array.isArray(v)) return 5;
  if (v instanceof RecordId) return 7;
  return 6;
}

function compareStrings(a: string, b: string): number {
  // Code-point order; JS `<` compares UTF-16 units, which differs only for
  // astral characters against U+E000..U+FFFF, so compare code points there.
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Numbers in SurrealDB's float total order as far as JSON numbers tell: -0 equals 0, NaN equals itself and sorts above +Infinity. */
function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  return a !== a ? (b !== b ? 0 : 1) : -1;
}

export function compareKeys(a: RecordKey, b: RecordKey): number {
  const na = typeof a === "number";
  const nb = typeof b === "number";
  if (na && nb) return a < b ? -1 : a > b ? 1 : 0;
  if (na) return -1;
  if (nb) return 1;
  return compareStrings(a as string, b as string);
}

export function compareRecordIds(a: RecordId, b: RecordId): number {
  if (a === b) return 0;
  const t = compareStrings(a.table, b.table);
  return t !== 0 ? t : compareKeys(a.key, b.key);
}

export function compareValues(a: Value, b: Value): number {
  if (typeof a === "number" && typeof b === "number") return compareNumbers(a, b);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
    case 1:
      return 0;
    case 2:
      return a === b ? 0 : a ? 1 : -1;
    case 3:
      return compareNumbers(a as number, b as number);
    case 4:
      return compareStrings(a as string, b as string);
    case 5: {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
    }
    case 7:
      return compareRecordIds(a as RecordId, b as RecordId);
    default:
      return compareObjects(a as ValueObject, b as ValueObject);
  }
}

function compareObjects(a: ValueObject, b: ValueObject): number {
  const ka = Object.keys(a).filter((k) => a[k] !== undefined).sort(compareStrings);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined).sort(compareStrings);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const c = compareStrings(ka[i]!, kb[i]!);
    if (c !== 0) return c;
    const d = compareValues(a[ka[i]!], b[kb[i]!]);
    if (d !== 0) return d;
  }
  return ka.length < kb.length ? -1 : ka.length > kb.length ? 1 : 0;
}

export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  // Two primitives of one type that are not === differ, but for NaN, which equals itself (compareNumbers).
  const t = typeof a;
  if (t !== "object" && t === typeof b) return t === "number" && a !== a && b !== b;
  return compareValues(a, b) === 0;
}

/**
 * A Map key for hash indices: equal for values `valuesEqual` equates, and
 * allocation-free for scalars and record ids (the hot path). It may also be
 * equal for some unequal values (`user:1` and the string "user:1"); an index
 * hit is always re-checked by the full predicate, so that only costs a visit.
 */
export function dispatchKey(v: Value): unknown {
  if (v === null || v === undefined || typeof v !== "object") return v;
  if (v instanceof RecordId) return v.text;
  return `\u0000${hashValue(v)}`;
}

/** A string that is equal for exactly the values `valuesEqual` equates. */
export function hashValue(v: Value): string {
  if (v === undefined) return "~";
  if (v === null) return "0";
  switch (typeof v) {
    case "boolean":
      return v ? "T" : "F";
    case "number":
      return Object.is(v, -0) ? "n0" : `n${v}`;
    case "string":
      return `s${v}`;
  }
  if (v instanceof RecordId) return `r${v.text}`;
  if (Array.isArray(v)) return `[${v.map((x) => JSON.stringify(hashValue(x))).join(",")}]`;
  const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort(compareStrings);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(hashValue(v[k]))}`).join(",")}}`;
}

/** Structural identity, for "did this update change anything?": cheaper than `valuesEqual` (no key sorting). */
export function sameContent(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a instanceof RecordId || b instanceof RecordId) return a instanceof RecordId && b instanceof RecordId && a.text === b.text;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameContent(a[i], b[i])) return false;
    return true;
  }
  let n = 0;
  for (const k in a) {
    if (!Object.hasOwn(a, k) || a[k] === undefined) continue;
    n++;
    if (!Object.hasOwn(b, k) || !sameContent(a[k], b[k])) return false;
  }
  for (const k in b) if (Object.hasOwn(b, k) && b[k] !== undefined) n--;
  return n === 0;
}
