/**
 * The value vocabulary of the differential tests: one small, fixed universe of
 * record ids and a value type that renders three ways — as wire JSON (what the
 * circuit ingests), as a SurrealDB SDK value (what the oracle stores), and as a
 * SurrealQL literal (what a view's text contains).
 *
 * The universe is deliberately small so that random steps collide: the same ids
 * get created, updated and deleted, and links usually point at existing records.
 */
import fc from "fast-check";
import { RecordId as SdkRecordId } from "surrealdb";
import type { WireValue } from "../../../src/circuit/types.js";

export const TABLES = ["user", "thread", "comment", "message"] as const;
export type Table = (typeof TABLES)[number];

/** Defined in SurrealDB but never written: views over it must stay empty. */
export const EMPTY_TABLE = "room";

export type Key = number | string;

/** A record link inside a value, or a record id literal in a query. */
export class Ref {
  constructor(
    readonly table: string,
    readonly key: Key,
  ) {}

  toString(): string {
    return formatRecordId(this.table, this.key);
  }
}

/** NONE, as a query literal only (bodies express NONE by leaving the field out). */
export const NONE: unique symbol = Symbol("NONE");

export type Val = null | boolean | number | string | Ref | typeof NONE | Val[] | { [key: string]: Val };

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `table:key` with SurrealQL escaping: integer keys bare, other keys ⟨…⟩ unless a plain identifier. */
export function formatRecordId(table: string, key: Key): string {
  return `${escapeIdent(table)}:${typeof key === "number" ? String(key) : escapeIdent(key)}`;
}

export function escapeIdent(name: string): string {
  return PLAIN.test(name) ? name : `⟨${name.replace(/\\/g, "\\\\").replace(/⟩/g, "\\⟩")}⟩`;
}

/**
 * The id's text, used as its identity whatever side (circuit, SDK, model)
 * produced it: integer keys print bare and string keys that are not plain
 * identifiers print escaped, so `user:1` and `user:⟨1⟩` stay apart.
 */
export function idKey(table: string, key: Key | bigint): string {
  return formatRecordId(table, typeof key === "bigint" ? Number(key) : key);
}

export function toWire(v: Val): WireValue {
  if (v === NONE) throw new Error("NONE has no wire form");
  if (v instanceof Ref) return { $rid: v.toString() };
  if (Array.isArray(v)) return v.map(toWire);
  if (v !== null && typeof v === "object") {
    const out: { [key: string]: WireValue } = {};
    for (const [k, x] of Object.entries(v)) out[k] = toWire(x);
    return out;
  }
  return v;
}

export function toSdk(v: Val): unknown {
  if (v === NONE) return undefined;
  if (v instanceof Ref) return new SdkRecordId(v.table, v.key);
  if (Array.isArray(v)) return v.map(toSdk);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toSdk(x);
    return out;
  }
  return v;
}

/** A SurrealQL literal for `v`. Strings are double-quoted with JSON escapes. */
export function toSurql(v: Val): string {
  if (v === NONE) return "NONE";
  if (v === null) return "NULL";
  if (v instanceof Ref) return v.toString();
  if (Array.isArray(v)) return `[${v.map(toSurql).join(", ")}]`;
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "string":
      return JSON.stringify(v);
    default:
      return `{ ${Object.entries(v)
        .map(([k, x]) => `${escapeIdent(k)}: ${toSurql(x)}`)
        .join(", ")} }`;
  }
}

/** Keys weighted towards a few small integers, plus identifier, escaped and numeric-looking string keys. */
export const keyArb: fc.Arbitrary<Key> = fc.oneof(
  { arbitrary: fc.constantFrom<Key>(1, 2, 3), weight: 6 },
  { arbitrary: fc.constantFrom<Key>(4, 10, -1, 0), weight: 2 },
  { arbitrary: fc.integer({ min: 5, max: 30 }), weight: 1 },
  { arbitrary: fc.constantFrom<Key>("a", "b", "Z", "a b", "1", "é"), weight: 3 },
);

export const tableArb: fc.Arbitrary<Table> = fc.constantFrom(...TABLES);

export function refArb(preferred?: Table): fc.Arbitrary<Ref> {
  const table = preferred ? fc.oneof({ arbitrary: fc.constant(preferred), weight: 4 }, { arbitrary: tableArb, weight: 1 }) : tableArb;
  return fc.tuple(table, keyArb).map(([t, k]) => new Ref(t, k));
}

/** Numbers SurrealDB and the JS SDK round-trip exactly: safe integers and finite doubles well below 2^53. */
export const numberArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.integer({ min: -3, max: 3 }), weight: 6 },
  { arbitrary: fc.constantFrom(0.5, -0.5, 1.5, 2.25, -0, 0.1, 1e-9, 100, 2 ** 53 - 1, -(2 ** 53 - 1)), weight: 3 },
  { arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), weight: 1 },
);

/** Strings chosen to hit the interesting orders: case, accents, astral vs BMP, numeric-looking, id-looking. */
export const stringArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom("", "a", "b", "ab", "abc", "B", "é", "💩", "\uffff", "10", "9", "user:1", "a b", "true"), weight: 8 },
  { arbitrary: fc.string({ maxLength: 3, unit: fc.constantFrom("a", "b", "c", " ") }), weight: 2 },
);

export const scalarArb: fc.Arbitrary<Val> = fc.oneof(
  { arbitrary: numberArb, weight: 4 },
  { arbitrary: stringArb, weight: 3 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
);

/** Any stored value, links included, nested at most two levels. */
export const anyValueArb: fc.Arbitrary<Val> = fc.oneof(
  { arbitrary: scalarArb, weight: 6 },
  { arbitrary: refArb(), weight: 1 },
  { arbitrary: fc.array(scalarArb, { maxLength: 3 }), weight: 2 },
  { arbitrary: fc.record({ x: scalarArb }, { requiredKeys: [] }), weight: 1 },
);

export function isObject(v: Val): v is { [key: string]: Val } {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Ref);
}
