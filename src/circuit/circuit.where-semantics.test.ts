import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { evaluateView } from "./evaluate.js";
import { create, link, view } from "./testing.js";
import type { WireValue } from "./types.js";

/** One record per kind of value a field can hold, named for it. */
const RECORDS: [string, { [k: string]: WireValue }][] = [
  ["r:missing", {}],
  ["r:null", { v: null }],
  ["r:false", { v: false }],
  ["r:true", { v: true }],
  ["r:zero", { v: 0 }],
  ["r:five", { v: 5 }],
  ["r:half", { v: 0.5 }],
  ["r:neg", { v: -2 }],
  ["r:str10", { v: "10" }],
  ["r:empty", { v: "" }],
  ["r:abc", { v: "abc" }],
  ["r:arr", { v: [1, "a", link("user:1")] }],
  ["r:arrempty", { v: [] }],
  ["r:obj", { v: { a: 1 } }],
  ["r:link", { v: link("user:1") }],
  ["r:linkstr", { v: "user:1" }],
  ["r:nested", { v: [{ w: 1 }, { w: 2 }] }],
];

/** The ids (without `r:`) matching `where`, by incremental maintenance — checked equal to full evaluation. */
function matching(where: string, params: { [k: string]: WireValue } = {}): string[] {
  const spec = view("v", `SELECT * FROM r WHERE ${where}`, params);
  const c = new Circuit();
  c.registerView(spec);
  c.ingest(RECORDS.map(([id, body]) => create(id, body)));
  const incremental = c.getView("v")!.members.map((m) => m.id.text);
  const full = evaluateView(spec, RECORDS.map(([id, body]) => ({ id, body }))).map((id) => id.text);
  expect(incremental).toEqual(full);
  return incremental.map((id) => id.slice(2)).sort();
}

const sorted = (...ids: string[]) => ids.sort();
const ALL = RECORDS.map(([id]) => id.slice(2));
const except = (...ids: string[]) => ALL.filter((id) => !ids.includes(id)).sort();

describe("WHERE follows SurrealDB's value order: NONE < NULL < bool < number < string < array < object < record id", () => {
  it("matches missing and null fields with < on a number", () => {
    expect(matching("v < 1")).toEqual(sorted("missing", "null", "false", "true", "zero", "half", "neg"));
  });
  it("compares strings by code point and never numerically", () => {
    expect(matching("v > 'a'")).toEqual(sorted("abc", "arr", "arrempty", "obj", "link", "linkstr", "nested"));
    expect(matching("v = '10'")).toEqual(["str10"]);
    expect(matching("v = 10")).toEqual([]);
  });
  it("accepts negative literals after <", () => {
    expect(matching("v < -1")).toEqual(sorted("missing", "null", "false", "true", "neg"));
  });
  it("puts record ids after objects", () => {
    expect(matching("v > { z: 1 }")).toEqual(["link"]);
  });
});

describe("WHERE: NONE and NULL", () => {
  it("= NONE and IS NONE match only a missing field; = NULL only an explicit null", () => {
    expect(matching("v = NONE")).toEqual(["missing"]);
    expect(matching("v IS NONE")).toEqual(["missing"]);
    expect(matching("v = NULL")).toEqual(["null"]);
    expect(matching("v IS NULL")).toEqual(["null"]);
  });
  it("!= NULL and IS NOT NULL match a missing field", () => {
    expect(matching("v != NULL")).toEqual(except("null"));
    expect(matching("v IS NOT NULL")).toEqual(except("null"));
    expect(matching("v IS NOT NONE")).toEqual(except("missing"));
  });
  it("!= matches records lacking the field", () => {
    expect(matching("v != 5")).toEqual(except("five"));
  });
});

describe("WHERE: equality", () => {
  it("never equates a string with a record id", () => {
    expect(matching("v = user:1")).toEqual(["link"]);
    expect(matching("v = $u", { u: link("user:1") })).toEqual(["link"]);
    expect(matching("v = $u", { u: "user:1" })).toEqual(["linkstr"]);
  });
  it("equates 5 and 5.0, and compares arrays by element", () => {
    expect(matching("v = 5.0")).toEqual(["five"]);
    expect(matching("v == [1, 'a', user:1]")).toEqual(["arr"]);
  });
});

describe("WHERE: truthiness and boolean operators", () => {
  it("filters on truthiness, with ! and NOT() negating it", () => {
    const truthy = sorted("true", "five", "half", "neg", "str10", "abc", "arr", "obj", "link", "linkstr", "nested");
    expect(matching("v")).toEqual(truthy);
    expect(matching("!v")).toEqual(except(...truthy));
    expect(matching("NOT(v)")).toEqual(except(...truthy));
  });
  it("combines with AND, OR and parentheses", () => {
    expect(matching("(v > 0 AND v < 1) OR v = 'abc'")).toEqual(sorted("half", "abc"));
  });
});

describe("WHERE: CONTAINS and IN families", () => {
  it("CONTAINS tests array elements, substrings and object keys", () => {
    expect(matching("v CONTAINS 1")).toEqual(["arr"]);
    expect(matching("v CONTAINS 'b'")).toEqual(["abc"]);
    expect(matching("v CONTAINS 'a'")).toEqual(sorted("arr", "abc", "obj"));
    expect(matching("v CONTAINS user:1")).toEqual(["arr"]);
  });
  it("CONTAINSNOT matches records lacking the field", () => {
    expect(matching("v CONTAINSNOT 1")).toEqual(except("arr"));
  });
  it("CONTAINSALL is vacuously true for an empty list and ignores object keys", () => {
    expect(matching("v CONTAINSALL []")).toEqual(ALL.slice().sort());
    expect(matching("v CONTAINSALL [1, 'a']")).toEqual(["arr"]);
    expect(matching("v CONTAINSALL ['a']")).toEqual(sorted("arr", "abc"));
  });
  it("CONTAINSANY is false for an empty list; CONTAINSNONE is its negation", () => {
    expect(matching("v CONTAINSANY []")).toEqual([]);
    expect(matching("v CONTAINSANY ['z', 'c']")).toEqual(["abc"]);
    expect(matching("v CONTAINSNONE ['z', 'c']")).toEqual(except("abc"));
    // A string against a list holding a non-string is false, whatever else the list holds.
    expect(matching("v CONTAINSANY [5, 'c']")).toEqual([]);
    expect(matching("v CONTAINSALL ['c', 5]")).toEqual([]);
  });
  it("IN and INSIDE test membership of the right side; NOT IN and NOTINSIDE match missing fields", () => {
    expect(matching("v IN [5, 'abc', NONE]")).toEqual(sorted("five", "abc", "missing"));
    expect(matching("v INSIDE [NULL]")).toEqual(["null"]);
    expect(matching("v IN 'xabcx'")).toEqual(sorted("abc", "empty"));
    expect(matching("v NOT IN [5]")).toEqual(except("five"));
    expect(matching("v NOTINSIDE [5, 0]")).toEqual(except("five", "zero"));
  });
});

describe("WHERE: field paths", () => {
  it("maps a field over an array, and indexes with [n]", () => {
    expect(matching("v.w = [1, 2]")).toEqual(["nested"]);
    expect(matching("v.w CONTAINS 2")).toEqual(["nested"]);
    expect(matching("v[1].w = 2")).toEqual(["nested"]);
    expect(matching("v.a = 1")).toEqual(["obj"]);
    expect(matching("constructor = NONE")).toEqual(ALL.slice().sort());
    expect(matching("v.constructor = NONE")).toEqual(except("arr", "arrempty", "nested"));
  });
});
