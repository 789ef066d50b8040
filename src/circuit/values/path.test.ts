import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getPath, pathGetter, type Path } from "./path.js";
import type { Value } from "./value.js";

describe("field paths", () => {
  it("map a field over arrays, index with [n], and ignore inherited properties", () => {
    const doc = { a: [{ b: 1 }, { b: 2 }, 3], o: { p: { q: 3 } }, n: [[{ b: 1 }]] };
    expect(getPath(doc, [{ kind: "field", name: "a" }, { kind: "field", name: "b" }])).toEqual([1, 2, undefined]);
    expect(getPath(doc, [{ kind: "field", name: "a" }, { kind: "index", index: 1 }, { kind: "field", name: "b" }])).toBe(2);
    expect(getPath(doc, [{ kind: "field", name: "n" }, { kind: "field", name: "b" }])).toEqual([[1]]);
    expect(getPath(doc, [{ kind: "field", name: "constructor" }])).toBeUndefined();
  });

  it("gives the same values through the specialised getters as through getPath", () => {
    const value: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.constantFrom<Value>(undefined, null, 1, "x"),
        fc.array(tie("v"), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom("a", "b", "constructor"), tie("v"), { maxKeys: 3 }),
      ),
    })).v;
    const path: fc.Arbitrary<Path> = fc.array(
      fc.constantFrom("a", "b", "constructor").map((name) => ({ kind: "field" as const, name })),
      { minLength: 1, maxLength: 2 },
    );
    fc.assert(
      fc.property(value, path, (v, p) => {
        expect(pathGetter(p)(v)).toEqual(getPath(v, p));
      }),
    );
  });
});
