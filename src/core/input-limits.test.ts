import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonSize } from "./input-limits.js";

const utf8 = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), "utf8");

describe("jsonSize", () => {
  it("is the UTF-8 length of the JSON encoding", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(jsonSize(value)).toBe(utf8(value));
      }),
    );
  });

  it("counts escapes, multi-byte characters and lone surrogates as JSON writes them", () => {
    for (const value of ['a"b\\c\n\u0001', "été 😀", "\ud800x", { "k\"": ["\t", null, true, -1.5e-7] }]) {
      expect(jsonSize(value)).toBe(utf8(value));
    }
  });

  it("stops soon after passing the bound", () => {
    const big = Array.from({ length: 100_000 }, (_, i) => ({ i }));
    const size = jsonSize(big, 100);
    expect(size).toBeGreaterThan(100);
    expect(size).toBeLessThan(1_000);
  });
});
