import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RangeDispatch, RangeOp } from "../plan/dispatch.js";
import type { Row } from "../store.js";
import { compareValues } from "../values/compare.js";
import type { Value } from "../values/value.js";
import { RangeIndex } from "./range-index.js";
import { collectedNames, testInstance, testRow, type TestInstance } from "./testing.js";

// Few distinct bounds, so equal bounds (and their order of arrival) are common; a few
// values of other types, which `compareValues` orders among the numbers.
const value: fc.Arbitrary<Value> = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 8 }), weight: 8 }, fc.constantFrom<Value>(undefined, null, "a", true, [1]));

const step = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("add" as const), bound: value }), weight: 3 },
  fc.record({ kind: fc.constant("delete" as const), which: fc.nat() }),
  { arbitrary: fc.record({ kind: fc.constant("probe" as const), before: fc.option(value, { nil: undefined, freq: 4 }), after: fc.option(value, { nil: undefined, freq: 4 }) }), weight: 2 },
);

function holds(op: RangeOp, v: Value, bound: Value): boolean {
  const c = compareValues(v, bound);
  return op === "lt" ? c < 0 : op === "le" ? c <= 0 : op === "gt" ? c > 0 : c >= 0;
}

describe("RangeIndex lookup", () => {
  it("collects exactly the instances whose bound the row's old or new value satisfies, once each", () => {
    fc.assert(
      fc.property(fc.constantFrom<RangeOp>("lt", "le", "gt", "ge"), fc.array(step, { maxLength: 120, size: "max" }), (op, ops) => {
        const dispatch: RangeDispatch = { kind: "range", rowPath: [{ kind: "field", name: "v" }], op, rowValue: (row) => (row as { v?: Value }).v, envBound: (env) => env.params["bound"] };
        const index = new RangeIndex<TestInstance>(dispatch);
        const live: TestInstance[] = [];
        let name = 0;
        for (const s of ops) {
          if (s.kind === "add") {
            const inst = testInstance(name++, { bound: s.bound });
            index.add(inst);
            live.push(inst);
          } else if (s.kind === "delete") {
            if (live.length === 0) continue;
            const [gone] = live.splice(s.which % live.length, 1);
            index.delete(gone!);
          } else if (s.before !== undefined || s.after !== undefined) {
            // `undefined` stands for "no such row" here; a row without the field reads NONE, which `null` stands near enough for.
            const row = (v: Value): Row | undefined => (v === undefined ? undefined : testRow({ v }));
            const want = live.filter((i) => (s.before !== undefined && holds(op, s.before, i.env.params["bound"])) || (s.after !== undefined && holds(op, s.after, i.env.params["bound"])));
            expect(collectedNames(index, row(s.before), row(s.after))).toEqual(want.map((i) => i.name).sort((a, b) => a - b));
          }
          expect(index.size).toBe(live.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
