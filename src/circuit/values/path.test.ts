import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecordId } from "../record-id.js";
import { crossesLink, getPath, mayDereference, pathGetter, type Path, type Resolve } from "./path.js";
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
        fc.dictionary(fc.constantFrom("a", "b", "constructor", "toString", "__proto__"), tie("v"), { maxKeys: 3 }),
      ),
    })).v;
    const path: fc.Arbitrary<Path> = fc.array(
      fc.constantFrom("a", "b", "constructor", "toString", "__proto__").map((name) => ({ kind: "field" as const, name })),
      { minLength: 1, maxLength: 2 },
    );
    fc.assert(
      fc.property(value, path, (v, p) => {
        expect(pathGetter(p)(v)).toEqual(getPath(v, p));
      }),
      { numRuns: 1000 },
    );
  });

  it("follow a record link met with a field still to read, only when given a resolver", () => {
    const u1 = new RecordId("user", 1);
    const u9 = new RecordId("user", 9);
    const users: { [text: string]: Value } = { "user:1": { id: u1, n: 5, tags: [1, 2], best: u1 } };
    const resolve: Resolve = (id) => users[id.text];
    const doc = { author: u1, authors: [u1, u9], lost: u9 };
    const f = (name: string) => ({ kind: "field" as const, name });
    expect(getPath(doc, [f("author"), f("n")], 0, resolve)).toBe(5);
    expect(getPath(doc, [f("author"), f("best"), f("best"), f("n")], 0, resolve)).toBe(5);
    expect(getPath(doc, [f("authors"), f("n")], 0, resolve)).toEqual([5, undefined]);
    expect(getPath(doc, [f("author"), f("tags"), { kind: "index", index: 1 }], 0, resolve)).toBe(2);
    expect(getPath(doc, [f("lost"), f("id")], 0, resolve)).toBeUndefined();
    expect(getPath(doc, [f("author"), { kind: "index", index: 0 }], 0, resolve)).toBeUndefined();
    expect(getPath(doc, [f("author")], 0, resolve)).toBe(u1);
    expect(getPath(doc, [f("author"), f("n")])).toBeUndefined();
    expect(getPath(doc, [f("author"), { kind: "all" }, f("n")], 0, resolve)).toBe(5);
    expect(getPath(doc, [f("lost"), { kind: "all" }, f("n")], 0, resolve)).toBeUndefined();
    expect(getPath(doc, [f("authors"), { kind: "all" }, f("n")], 0, resolve)).toEqual([5, undefined]);
  });

  it("tell which paths may cross a link, and whether a value's path does", () => {
    const f = (name: string) => ({ kind: "field" as const, name });
    expect(mayDereference([f("a")])).toBe(false);
    expect(mayDereference([f("a"), { kind: "index", index: 0 }])).toBe(false);
    expect(mayDereference([f("a"), f("b")])).toBe(true);
    expect(mayDereference([f("a"), { kind: "all" }])).toBe(true);
    const link = new RecordId("user", 1);
    expect(crossesLink({ a: [{ b: 1 }, link] }, [f("a"), f("b")])).toBe(true);
    expect(crossesLink({ a: link }, [f("a")])).toBe(false);
    expect(crossesLink({ a: link }, [f("a"), { kind: "index", index: 0 }])).toBe(false);
    expect(crossesLink({ a: { b: 1 } }, [f("a"), f("b")])).toBe(false);
  });

  it("read `*` as SurrealDB 3 does: an object whole, an array element-wise, anything else as [x]", () => {
    const f = (name: string) => ({ kind: "field" as const, name });
    const all = { kind: "all" as const };
    const doc = { o: { a: 1, b: 2 }, arr: [{ a: 1 }, { a: 2 }], s: "x" };
    expect(getPath(doc, [f("o"), all])).toEqual({ a: 1, b: 2 });
    expect(getPath(doc, [f("o"), all, f("a")])).toBe(1);
    expect(getPath(doc, [f("arr"), all, f("a")])).toEqual([1, 2]);
    expect(getPath(doc, [f("arr"), all, { kind: "index", index: 0 }])).toEqual([undefined, undefined]);
    expect(getPath(doc, [f("s"), all])).toEqual(["x"]);
    expect(getPath(doc, [f("nope"), all])).toEqual([undefined]);
    expect(getPath(doc, [f("nope"), all, { kind: "index", index: 0 }])).toBeUndefined();
  });
});
