import { describe, expect, it } from "vitest";
import { InvariantError, must, unreachable } from "./invariants.js";

describe("must", () => {
  it("returns a present value, falsy ones included", () => {
    expect(must(0, "n")).toBe(0);
    expect(must(null, "x")).toBe(null);
    expect(must("", "s")).toBe("");
  });

  it("throws an InvariantError naming the invariant when the value is missing", () => {
    expect(() => must(undefined, "a kept row is in the head")).toThrow(new InvariantError("broken invariant: a kept row is in the head"));
  });
});

describe("unreachable", () => {
  it("throws naming what it got", () => {
    expect(() => unreachable("odd" as never, "dispatch kind")).toThrow("unreachable: dispatch kind (odd)");
  });
});
