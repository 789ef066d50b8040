import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ANY_KEY, type MemberDispatch, type RangeDispatch, type RowKeys } from "../plan/dispatch.js";
import type { Row } from "../store.js";
import { compareValues } from "../values/compare.js";
import type { Value } from "../values/value.js";
import type { InstanceIndex } from "./instance-index.js";
import { MemberIndex } from "./member-index.js";
import { RangeIndex } from "./range-index.js";
import { EveryInstance } from "./index-by-dispatch.js";
import { collectedNames, testInstance, testRow, type TestInstance } from "./testing.js";

// Keys as `dispatchKey` leaves them: scalars, NaN among them (a Map key equal to itself).
const key = fc.constantFrom<number | string>(0, 1, 2, 3, "a", Number.NaN);
/** An instance's keys (repeats included, as an array param may hold them); undefined: it cannot be keyed. */
const instanceKeys = fc.option(fc.array(key, { maxLength: 4 }), { nil: undefined, freq: 5 });
/** A row's keys; "any" for a value whose keys cannot be listed (a string tested by substring). */
const rowKeys: fc.Arbitrary<RowKeys> = fc.oneof({ arbitrary: fc.array(key, { maxLength: 4 }), weight: 8 }, fc.constant(ANY_KEY));
const side = fc.option(fc.tuple(rowKeys, fc.integer({ min: 0, max: 6 })), { nil: undefined });

const step = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), keys: instanceKeys, min: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant("delete" as const), which: fc.nat() }),
  fc.record({ kind: fc.constant("probe" as const), before: side, after: side }),
);
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;
type Side = [RowKeys, number] | undefined;

function sameKey(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

describe("MemberIndex lookup", () => {
  /** Random adds, deletes and probes, each probe compared with a scan of the live instances. */
  function check(refined: boolean, ops: Step[]): void {
    const dispatch: MemberDispatch = {
      kind: "member",
      rowKeys: (row) => (row as { keys: RowKeys }).keys,
      envKeys: (env) => env.params["keys"] as unknown[] | undefined,
    };
    // `n >= $min` refining each bucket.
    const refine: RangeDispatch = { kind: "range", rowPath: [{ kind: "field", name: "n" }], op: "ge", rowValue: (row) => (row as { n?: Value }).n, envBound: (env) => env.params["min"] };
    const index = new MemberIndex<TestInstance>(dispatch, (): InstanceIndex<TestInstance> => (refined ? new RangeIndex(refine) : new EveryInstance()));
    const live: TestInstance[] = [];
    let name = 0;
    // Shares a key with the row (any key when the row's cannot be listed, every row when the instance's cannot), and the refinement holds.
    const reaches = (i: TestInstance, s: Side): boolean => {
      if (s === undefined) return false;
      const [rk, n] = s;
      const ik = i.env.params["keys"] as unknown[] | undefined;
      const shares = ik === undefined || (rk === ANY_KEY ? ik.length > 0 : ik.some((k) => rk.some((r) => sameKey(k, r))));
      return shares && (!refined || compareValues(n, i.env.params["min"]) >= 0);
    };
    for (const s of ops) {
      if (s.kind === "add") {
        const inst = testInstance(name++, { keys: s.keys, min: s.min });
        index.add(inst);
        live.push(inst);
      } else if (s.kind === "delete") {
        if (live.length === 0) continue;
        const [gone] = live.splice(s.which % live.length, 1);
        index.delete(gone!);
      } else if (s.before || s.after) {
        const row = (sd: Side): Row | undefined => sd && testRow({ keys: sd[0] as Value, n: sd[1] });
        const want = live.filter((i) => reaches(i, s.before) || reaches(i, s.after)).map((i) => i.name);
        const got = collectedNames(index, row(s.before), row(s.after));
        if (s.before?.[0] !== ANY_KEY && s.after?.[0] !== ANY_KEY) {
          expect(got).toEqual(want.sort((a, b) => a - b));
        } else {
          // A row whose keys cannot be listed asks every bucket about both rows: more may come back
          // (allowed: the full WHERE is evaluated anyway), but every one it must reach, live ones only, once each.
          expect(new Set(got).size).toBe(got.length);
          for (const n of want) expect(got).toContain(n);
          for (const n of got) expect(live.some((i) => i.name === n)).toBe(true);
        }
      }
      expect(index.size).toBe(live.length);
    }
  }

  it("collects exactly the instances sharing a key with the row's old or new value, once each", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120, size: "max" }), (ops) => check(false, ops)),
      { numRuns: 200 },
    );
  });

  it("with a refining range, collects exactly those for which both conjuncts hold on the old or on the new row", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120, size: "max" }), (ops) => check(true, ops)),
      { numRuns: 200 },
    );
  });
});
