import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { evaluateView } from "./evaluate.js";
import { compileQuery } from "./parse/compile.js";
import { create, eventsFor, update, view } from "./testing.js";
import type { RecordChange, WireValue } from "./types.js";

// Each query's first conjunct is the one its plan indexes instances by
// (plan/dispatch.ts): many views of one shape, differing only in $p, must
// each see exactly the rows a full evaluation gives, whatever the values'
// types (arrays, strings tested by substring, objects tested by key, NONE).
const QUERIES = [
  "SELECT * FROM t WHERE x CONTAINS $p AND n != 99",
  "SELECT * FROM t WHERE $p IN x",
  "SELECT * FROM t WHERE $p INSIDE x AND n >= 0",
  "SELECT * FROM t WHERE x IN $p",
  "SELECT * FROM t WHERE $p CONTAINS x",
  "SELECT * FROM t WHERE x CONTAINSANY $p",
  "SELECT * FROM t WHERE $p ANYINSIDE x",
  "SELECT * FROM t WHERE x < $p",
  "SELECT * FROM t WHERE x <= $p ORDER BY n LIMIT 2",
  "SELECT * FROM t WHERE $p > x",
  "SELECT * FROM t WHERE $p <= x",
  "SELECT * FROM t WHERE x >= $p AND x < $q",
  "SELECT * FROM t WHERE $p < x AND x <= $q AND n < 3",
  "SELECT * FROM t WHERE x > $p AND x <= 2 ORDER BY n DESC LIMIT 2",
  "SELECT * FROM t WHERE x = $p",
  // Windows over the plan's shared sorted rows (operators/window.ts).
  "SELECT * FROM t WHERE x >= $p ORDER BY n DESC LIMIT 1",
  "SELECT * FROM t WHERE x CONTAINS $p ORDER BY n LIMIT 1 START 1",
  "SELECT * FROM t WHERE $p > x ORDER BY n, x LIMIT 3 START 2",
];

// Refined: each bucket of the first conjunct's index is an index by the second.
const REFINED = [
  "SELECT * FROM t WHERE x = $p AND n >= $q",
  "SELECT * FROM t WHERE x CONTAINSANY $p AND n < $q",
  "SELECT * FROM t WHERE n = $q AND x CONTAINS $p",
  "SELECT * FROM t WHERE x = $p AND n >= $q AND n < 3",
  "SELECT * FROM t WHERE x IN $p AND n = $q ORDER BY n LIMIT 1",
  "SELECT * FROM t WHERE x CONTAINSANY $p AND n = $q AND n > 0",
];

// Windows over one plan's shared sorted rows, each ending at its own row: a
// bucket of them is skipped when a change sorts past all of its windows
// (operators/window-bound-index.ts), never when it sorts before one.
const WINDOWS = [
  "SELECT * FROM t WHERE n != $p ORDER BY n, x LIMIT 1",
  "SELECT * FROM t WHERE x CONTAINSANY $p ORDER BY n DESC LIMIT 2",
  "SELECT * FROM t WHERE x >= $p ORDER BY x, n LIMIT 1 START 1",
];

const scalar: fc.Arbitrary<WireValue> = fc.oneof(
  fc.integer({ min: -2, max: 3 }),
  fc.constantFrom("a", "b", "ab", "", "user:1"),
  fc.boolean(),
  fc.constant(null),
  fc.constant({ $rid: "user:1" }),
);
const value: fc.Arbitrary<WireValue> = fc.oneof(
  { arbitrary: scalar, weight: 4 },
  { arbitrary: fc.array(scalar, { maxLength: 3 }), weight: 3 },
  { arbitrary: fc.dictionary(fc.constantFrom("a", "b", "1"), scalar, { maxKeys: 2 }), weight: 1 },
);
/** Random batches of one to three changes to records `{x, n}`, x drawn from `x`. */
function batchesOf(x: fc.Arbitrary<WireValue>): fc.Arbitrary<RecordChange[][]> {
  const change: fc.Arbitrary<RecordChange> = fc.record({
    op: fc.constantFrom("CREATE", "UPDATE", "DELETE"),
    id: fc.constantFrom("t:1", "t:2", "t:3", "t:4", "t:a"),
    body: fc.record({ x, n: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: ["n"] }),
  });
  return fc.array(fc.array(change, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 });
}

/**
 * Registers views (half before the data, half over it, and every third one
 * dropped after the second batch, so indices lose instances too), ingests, and
 * compares each view with a full evaluation after every batch.
 */
function checkAgainstEvaluation(views: readonly [string, WireValue, WireValue][], batches: readonly RecordChange[][]): void {
  const c = new Circuit();
  const specs = views.map(([surql, p, q], i) => ({ id: `v${i}`, surql, params: { p, q }, clientId: "c", ttlMs: 0, lastActiveAt: 0 }));
  specs.slice(0, specs.length / 2).forEach((s) => c.registerView(s));
  for (const [i, batch] of batches.entries()) {
    c.ingest(batch);
    if (i === 0) specs.slice(specs.length / 2).forEach((s) => c.registerView(s));
    if (i === 1) specs.filter((_, n) => n % 3 === 1).forEach((s) => c.unregisterView(s.id));
    const records = ["t:1", "t:2", "t:3", "t:4", "t:a"].flatMap((id) => c.getRecord(id) ?? []);
    for (const s of specs) {
      if (!c.getView(s.id)) continue;
      const held = c.getView(s.id)!.members.map((m) => m.id.text);
      expect(held, `${s.surql} with ${JSON.stringify(s.params)}`).toEqual(evaluateView(s, records).map((id) => id.text));
    }
  }
}

describe("instance indices (equal, member, range, interval, refined) visit every instance whose conjunct holds", () => {
  it("uses the index the test means to exercise", () => {
    const kinds = QUERIES.map((q) => compileQuery(q).dispatch?.kind);
    expect(kinds).toEqual([
      ...["member", "member", "member", "member", "member", "member", "member", "range", "range", "range", "range", "interval", "interval", "interval", "equal"],
      ...["range", "member", "range"],
    ]);
    const refined = REFINED.map((q) => {
      const d = compileQuery(q).dispatch;
      return [d?.kind, d && "refine" in d ? d.refine?.kind : undefined];
    });
    expect(refined).toEqual([
      ["equal", "range"],
      ["member", "range"],
      ["equal", "member"],
      ["equal", "interval"],
      ["equal", "member"],
      ["equal", "member"],
    ]);
  });

  it("refills a shared window with the next matching row when its row moves past it", () => {
    const c = new Circuit();
    c.ingest([create("t:1", { x: 5, n: 1 }), create("t:2", { x: 5, n: 2 }), create("t:3", { x: 0, n: 3 })]);
    c.registerView(view("top", "SELECT * FROM t WHERE x >= $p ORDER BY n LIMIT 1", { p: 1 }));
    c.registerView(view("second", "SELECT * FROM t WHERE x >= $p ORDER BY n LIMIT 1 START 1", { p: 1 }));
    // t:1 moves behind t:2: the first window now shows t:2, the second t:1.
    const moved = c.ingest([update("t:1", { x: 5, n: 9 })]);
    expect(eventsFor(moved, "top")).toEqual(["DELETED t:1 v1", "CREATED t:2 v1"]);
    expect(eventsFor(moved, "second")).toEqual(["CREATED t:1 v2", "DELETED t:2 v1"]);
    // t:3 starts matching before both.
    const entered = c.ingest([update("t:3", { x: 1, n: 3 })]);
    expect(eventsFor(entered, "top")).toEqual([]);
    expect(eventsFor(entered, "second")).toEqual(["DELETED t:1 v2", "CREATED t:3 v2"]);
  });

  it("keeps many same-shape views equal to a full evaluation over random changes", () => {
    const views = fc.array(fc.tuple(fc.constantFrom(...QUERIES, ...REFINED), value, value), { minLength: 1, maxLength: 12 });
    fc.assert(fc.property(views, batchesOf(value), checkAgainstEvaluation), { numRuns: 300 });
  });

  it("keeps refined views exact when both conjuncts often hold (few distinct values)", () => {
    const few = fc.oneof(fc.constantFrom<WireValue>(1, 2, "a"), fc.constantFrom<WireValue>([1], [1, 2], ["a", 2], []));
    const bound = fc.integer({ min: 0, max: 3 });
    const views = fc.array(fc.tuple(fc.constantFrom(...REFINED), few, bound), { minLength: 1, maxLength: 12 });
    fc.assert(fc.property(views, batchesOf(few), checkAgainstEvaluation), { numRuns: 300 });
  });

  it("keeps shared windows ending at different rows exact when one bucket holds them all", () => {
    const few = fc.oneof(fc.constantFrom<WireValue>(0, 1, 2, 3), fc.constantFrom<WireValue>([1], [1, 2], [2, 3], [0, 3]));
    const views = fc.array(fc.tuple(fc.constantFrom(...WINDOWS), few, fc.constant(null)), { minLength: 2, maxLength: 12 });
    fc.assert(fc.property(views, batchesOf(few), checkAgainstEvaluation), { numRuns: 300 });
  });
});
