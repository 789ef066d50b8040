import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { selectFirst } from "./select-first.js";

describe("selectFirst", () => {
  it("moves the n least keys to the front, whatever the order and n", () => {
    const keys = fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 60 });
    fc.assert(
      fc.property(keys, fc.nat(), (all, pick) => {
        const n = all.length === 0 ? 0 : pick % (all.length + 1);
        const entries = all.map((key) => ({ key }));
        selectFirst(entries, n);
        const sorted = [...all].sort();
        expect(entries.slice(0, n).map((e) => e.key).sort()).toEqual(sorted.slice(0, n));
        expect(entries.map((e) => e.key).sort()).toEqual(sorted);
      }),
      { numRuns: 1000 },
    );
  });
});
