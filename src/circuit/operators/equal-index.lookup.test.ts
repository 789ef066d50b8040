import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EqualDispatch, RangeDispatch, RangeOp } from "../plan/dispatch.js";
import { RecordId } from "../record-id.js";
import type { Row } from "../store.js";
import { compareValues, dispatchKey } from "../values/compare.js";
import type { Value } from "../values/value.js";
import { EqualIndex } from "./equal-index.js";
import type { InstanceIndex } from "./instance-index.js";
import { RangeIndex } from "./range-index.js";
import { EveryInstance } from "./index-by-dispatch.js";
import { collectedNames, testInstance, testRow, type TestInstance } from "./testing.js";

// Values that share or split dispatch keys in the ways that matter: NaN (equal to
// itself as a Map key), 0 and -0, a record id and its text, structurally equal arrays.
const value: fc.Arbitrary<Value> = fc.constantFrom<Value>(0, 1, 2, 3, undefined, null, Number.NaN, -0, "a", "t:1", new RecordId("t", 1), [1], [1], [1, 2], { a: 1 }, true);
const bound = fc.integer({ min: 0, max: 6 });
const op = fc.constantFrom<RangeOp>("lt", "le", "gt", "ge");

const step = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), v: value, min: bound }),
  fc.record({ kind: fc.constant("delete" as const), which: fc.nat() }),
  fc.record({
    kind: fc.constant("probe" as const),
    before: fc.option(fc.tuple(value, bound), { nil: undefined }),
    after: fc.option(fc.tuple(value, bound), { nil: undefined }),
  }),
);

/** SameValueZero, as Map keys compare. */
function sameKey(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

function holdsRange(op: RangeOp, v: Value, bound: Value): boolean {
  const c = compareValues(v, bound);
  return op === "lt" ? c < 0 : op === "le" ? c <= 0 : op === "gt" ? c > 0 : c >= 0;
}

describe("EqualIndex lookup", () => {
  /** Random adds, deletes and probes, each probe compared with a scan of the live instances. */
  function check(refineOp: RangeOp | undefined, ops: { kind: string; v?: Value; min?: number; which?: number; before?: [Value, number]; after?: [Value, number] }[]): void {
    const dispatch: EqualDispatch = { kind: "equal", rowPath: [{ kind: "field", name: "v" }], rowValue: (row) => (row as { v?: Value }).v, envValue: (env) => env.params["v"] };
    const refine: RangeDispatch | undefined = refineOp && { kind: "range", rowPath: [{ kind: "field", name: "n" }], op: refineOp, rowValue: (row) => (row as { n?: Value }).n, envBound: (env) => env.params["min"] };
    const index = new EqualIndex<TestInstance>(dispatch, (): InstanceIndex<TestInstance> => (refine ? new RangeIndex(refine) : new EveryInstance()));
    const live: TestInstance[] = [];
    let name = 0;
    // The conjuncts as the model evaluates them: the row's key is the instance's, and the refining range holds.
    const reaches = (i: TestInstance, side: [Value, number] | undefined): boolean =>
      side !== undefined && sameKey(dispatchKey(side[0]), dispatchKey(i.env.params["v"])) && (!refine || holdsRange(refine.op, side[1], i.env.params["min"]));
    for (const s of ops) {
      if (s.kind === "add") {
        const inst = testInstance(name++, { v: s.v, min: s.min });
        index.add(inst);
        live.push(inst);
      } else if (s.kind === "delete") {
        if (live.length === 0) continue;
        const [gone] = live.splice(s.which! % live.length, 1);
        index.delete(gone!);
        index.delete(gone!); // deleting twice is a no-op
      } else if (s.before || s.after) {
        const row = (side: [Value, number] | undefined): Row | undefined => side && testRow({ v: side[0], n: side[1] });
        const want = live.filter((i) => reaches(i, s.before) || reaches(i, s.after)).map((i) => i.name);
        expect(collectedNames(index, row(s.before), row(s.after))).toEqual(want.sort((a, b) => a - b));
      }
      expect(index.size).toBe(live.length);
    }
  }

  it("collects exactly the instances whose value equals the row's old or new one, once each", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120, size: "max" }), (ops) => check(undefined, ops)),
      { numRuns: 200 },
    );
  });

  it("with a refining range, collects exactly those for which both conjuncts hold on the old or on the new row", () => {
    fc.assert(
      fc.property(op, fc.array(step, { maxLength: 120, size: "max" }), (refineOp, ops) => check(refineOp, ops)),
      { numRuns: 200 },
    );
  });
});
