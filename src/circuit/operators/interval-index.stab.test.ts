import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IntervalDispatch } from "../plan/dispatch.js";
import type { Env } from "../plan/env.js";
import { RecordId } from "../record-id.js";
import { toRow } from "../store.js";
import { compareValues } from "../values/compare.js";
import type { Value } from "../values/value.js";
import { IntervalIndex } from "./interval-index.js";

interface Inst {
  readonly env: Env;
  readonly name: number;
}

const bound: fc.Arbitrary<Value> = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 30 }), weight: 8 }, fc.constantFrom<Value>(undefined, null, "a", true));

function inst(name: number, lo: Value, hi: Value): Inst {
  return { name, env: { params: { lo, hi }, parent: undefined, resolve: () => undefined } };
}

function dispatch(lowerInclusive: boolean, upperInclusive: boolean): IntervalDispatch {
  return {
    kind: "interval",
    rowValue: (row) => (row as { v?: Value }).v,
    lower: { inclusive: lowerInclusive, envBound: (env) => env.params.lo },
    upper: { inclusive: upperInclusive, envBound: (env) => env.params.hi },
  };
}

function holds(d: IntervalDispatch, i: Inst, v: Value): boolean {
  const lo = compareValues(v, i.env.params.lo);
  const hi = compareValues(v, i.env.params.hi);
  return (d.lower.inclusive ? lo >= 0 : lo > 0) && (d.upper.inclusive ? hi <= 0 : hi < 0);
}

describe("IntervalIndex stabbing", () => {
  it("returns exactly the intervals holding the old or the new value, once each, after any adds and deletes", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.tuple(bound, bound, fc.boolean()), { minLength: 1, maxLength: 150 }),
        fc.array(fc.tuple(fc.option(bound, { nil: undefined }), fc.option(bound, { nil: undefined })), { minLength: 1, maxLength: 20 }),
        (lowerInclusive, upperInclusive, intervals, probes) => {
          const d = dispatch(lowerInclusive, upperInclusive);
          const index = new IntervalIndex<Inst>(d);
          const live: Inst[] = [];
          intervals.forEach(([lo, hi, later], n) => {
            const i = inst(n, lo, hi);
            index.add(i);
            live.push(i);
            // Delete about a third again, some right after adding, some once many are in.
            if (later && n % 3 === 0) {
              const victim = live.splice((n * 7) % live.length, 1)[0]!;
              index.delete(victim);
            }
          });
          for (const [b, a] of probes) {
            const row = (v: Value) => toRow({ id: new RecordId("t", 1), ...(v === undefined ? {} : { v }) }, 1);
            const before = b === undefined ? undefined : row(b);
            const after = a === undefined ? undefined : row(a === null ? null : a);
            if (!before && !after) continue;
            const out: Inst[] = [];
            index.collect(before, after, out);
            const expected = live.filter((i) => (before && holds(d, i, b)) || (after && holds(d, i, a))).map((i) => i.name);
            expect(out.map((i) => i.name).sort((x, y) => x - y)).toEqual(expected.sort((x, y) => x - y));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
