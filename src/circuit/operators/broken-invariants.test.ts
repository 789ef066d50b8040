import { describe, expect, it } from "vitest";
import type { OrderKey } from "../plan/query-plan.js";
import { RecordId } from "../record-id.js";
import { toRow, type Row } from "../store.js";
import type { Value } from "../values/value.js";
import { InvariantError } from "../invariants.js";
import { IntervalIndex } from "./interval-index.js";
import { RangeIndex } from "./range-index.js";
import { SortedRows } from "./sorted-rows.js";
import { CheckedSink, testInstance, type TestInstance } from "./testing.js";
import { TopK } from "./top-k.js";

// Each operator trusts its caller's bookkeeping; a caller (or a bug) breaking it used
// to surface later as a TypeError, a wrong window or an instance visited forever. Now
// the first lookup that misses throws an InvariantError naming what was broken.

const ORDER: OrderKey[] = [{ get: (row) => (row as { n?: Value }).n, descending: false }];

function row(key: number, n: number): Row {
  return toRow({ id: new RecordId("t", key), n }, 1);
}

describe("broken invariants", () => {
  it("top-k: a remove or change of a row it was never given throws, and the window is left as it was", () => {
    const sink = new CheckedSink();
    const top = new TopK(ORDER, 0, 2, sink);
    top.add(row(1, 10));
    top.add(row(2, 20));
    expect(() => top.remove(row(3, 30))).toThrow(InvariantError);
    expect(() => top.change(row(3, 30), row(3, 5))).toThrow(/top-k holds every row given to it/);
    expect(sink.ids()).toEqual(["t:1", "t:2"]);
    expect([...top.window()].map((r) => r.id.text)).toEqual(["t:1", "t:2"]);
  });

  it("sorted rows: reading a row the table no longer has (a change not passed to `update`) throws instead of yielding nothing", () => {
    const store = new Map<number, Row>([
      [1, row(1, 1)],
      [2, row(2, 2)],
    ]);
    const sorted = new SortedRows(ORDER, { rows: () => store.values(), get: (id: RecordId) => store.get(id.key as number) });
    store.delete(1);
    expect(() => [...sorted.after(undefined)]).toThrow(/the sorted rows hold only the table's current rows/);
  });

  it("range index: deleting an instance no longer where its bound filed it throws instead of leaving it to be visited forever", () => {
    const index = new RangeIndex<TestInstance>({
      kind: "range",
      rowPath: [{ kind: "field", name: "v" }],
      op: "lt",
      rowValue: (r) => (r as { v?: Value }).v,
      envBound: (env) => env.params["b"],
    });
    const bounds = [[1], [3], [5], [7]];
    const insts = bounds.map((b, i) => testInstance(i, { b }));
    for (const i of insts) index.add(i);
    // A bound mutated in place after filing (an array param shared and edited) breaks the slots' order.
    bounds[2]![0] = 0;
    expect(() => index.delete(insts[2]!)).toThrow(InvariantError);
  });

  it("range index: an op it does not know throws instead of collecting nothing", () => {
    const index = new RangeIndex<TestInstance>({ kind: "range", rowPath: [], op: "ne" as never, rowValue: (r) => r, envBound: () => 1 });
    index.add(testInstance(0, {}));
    expect(() => index.collect(row(1, 1), undefined, [])).toThrow(/range dispatch op/);
  });

  it("interval index: deleting an instance whose lower bound moved throws instead of dropping its neighbours or keeping it", () => {
    const index = new IntervalIndex<TestInstance>({
      kind: "interval",
      rowValue: (r) => (r as { v?: Value }).v,
      lower: { inclusive: true, envBound: (env) => env.params["lo"] },
      upper: { inclusive: false, envBound: () => 100 },
    });
    const lows = [[1], [3], [5], [7], [9]];
    const insts = lows.map((lo, i) => testInstance(i, { lo }));
    for (const i of insts) index.add(i);
    lows[2]![0] = 0;
    expect(() => index.delete(insts[2]!)).toThrow(/interval-index node sorts where it was added/);
  });
});
