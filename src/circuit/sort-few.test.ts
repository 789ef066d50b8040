import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sortFew } from "./sort-few.js";

describe("sortFew", () => {
  it("orders as a stable Array.prototype.sort does, below and above the insertion-sort cutoff", () => {
    const byKey = (a: [number, number], b: [number, number]) => a[0] - b[0];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.nat()), { maxLength: 40 }), (items) => {
        expect(sortFew([...items], byKey)).toEqual([...items].sort(byKey));
      }),
      { numRuns: 500 },
    );
  });
});
