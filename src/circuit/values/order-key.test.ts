import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecordId } from "../record-id.js";
import { compareRecordIds, compareValues } from "./compare.js";
import { compareOrderKeys, orderKey } from "./order-key.js";
import { recordKey, value } from "./values.arbitrary.js";

/** -1, 0 or 1 (never -0). */
const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const KEY = 1;

describe("order keys sort as ORDER BY does", () => {
  it("order two values as compareValues does, ascending and descending", () => {
    fc.assert(
      fc.property(value, value, fc.boolean(), (a, b, descending) => {
        const c = compareOrderKeys(orderKey([a], [descending], KEY), orderKey([b], [descending], KEY));
        expect(c).toBe(sign(compareValues(a, b) * (descending ? -1 : 1)));
      }),
      { numRuns: 5000 },
    );
  });

  it("order several terms lexicographically, then by record key (rows of one table)", () => {
    const row = fc.tuple(fc.array(value, { minLength: 2, maxLength: 2 }), recordKey.map((k) => new RecordId("t", k)));
    fc.assert(
      fc.property(row, row, fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }), ([va, ia], [vb, ib], desc) => {
        let expected = 0;
        for (let i = 0; i < 2 && expected === 0; i++) expected = sign(compareValues(va[i], vb[i]) * (desc[i] ? -1 : 1));
        if (expected === 0) expected = sign(compareRecordIds(ia, ib));
        expect(compareOrderKeys(orderKey(va, desc, ia.key), orderKey(vb, desc, ib.key))).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it("puts NaN above every number and equates -0 with 0", () => {
    expect(compareOrderKeys(orderKey([NaN], [false], KEY), orderKey([Infinity], [false], KEY))).toBe(1);
    expect(compareOrderKeys(orderKey([NaN], [false], KEY), orderKey(["a"], [false], KEY))).toBe(-1);
    expect(orderKey([-0], [false], KEY)).toBe(orderKey([0], [false], KEY));
  });

  it("encode long strings and deep values whole", () => {
    const long = "x".repeat(20_000);
    expect(compareOrderKeys(orderKey([long], [false], KEY), orderKey([`${long}y`], [false], KEY))).toBe(-1);
    expect(compareOrderKeys(orderKey([[long, 1]], [true], KEY), orderKey([[long, 2]], [true], KEY))).toBe(1);
  });
});
