import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareValues, dispatchKey, valuesEqual } from "./compare.js";
import type { Value } from "./value.js";
import { value } from "./values.arbitrary.js";

/** Pairs that are often equal or nearly so, as random values rarely are. */
const pair: fc.Arbitrary<[Value, Value]> = fc.oneof(
  fc.tuple(value, value),
  value.map((v): [Value, Value] => [v, structuredClone(v)]),
  fc.tuple(fc.constantFrom<Value>(0, -0, Number.NaN, 1, "1", "a", true), fc.constantFrom<Value>(0, -0, Number.NaN, 1, "1", "a", false)),
);

/** SameValueZero: whether two Map keys are one key. */
const sameMapKey = (x: unknown, y: unknown) => x === y || (x !== x && y !== y);

describe("value equality", () => {
  it("holds exactly when compareValues finds no order between two values, and then their dispatch keys agree", () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const equal = valuesEqual(a, b);
        expect(equal).toBe(compareValues(a, b) === 0);
        expect(valuesEqual(b, a)).toBe(equal);
        if (equal) expect(sameMapKey(dispatchKey(a), dispatchKey(b))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("treats NaN as SurrealDB 3 does: equal to itself, above +Infinity, unequal to 0", () => {
    // RETURN NaN = NaN → true; NaN > 1e400 → true; NaN = 0 → false; NaN < 0 → false.
    expect(valuesEqual(Number.NaN, Number.NaN)).toBe(true);
    expect(compareValues(Number.NaN, Infinity)).toBe(1);
    expect(valuesEqual(Number.NaN, 0)).toBe(false);
    expect(compareValues(Number.NaN, 0)).toBe(1);
    expect(compareValues(-Infinity, Number.NaN)).toBe(-1);
  });
});
