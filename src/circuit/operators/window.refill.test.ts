import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OrderKey } from "../plan/query-plan.js";
import { RecordId } from "../record-id.js";
import { toRow, type Row } from "../store.js";
import { compareRecordIds, compareValues } from "../values/compare.js";
import type { Value } from "../values/value.js";
import { SortedRows } from "./sorted-rows.js";
import { CheckedSink } from "./testing.js";
import { Window } from "./window.js";

// Windows driven as a plan node and its instances drive them (plan-node.ts, query-instance.ts):
// the shared sorted rows hear of every change first, then each window that does not pass it by
// gets it through its WHERE, as an add, a remove or a change.

const ORDER: OrderKey[] = [{ get: (row) => (row as { n?: Value }).n, descending: true }];

function row(key: number, n: number | undefined, tag: boolean, version: number): Row {
  return toRow({ id: new RecordId("t", key), tag, ...(n === undefined ? {} : { n }) }, version);
}

/** WHEREs of different selectivity: every row, about half, those with a high `n`, and few. */
const WHERES: readonly ((r: Row) => boolean)[] = [
  () => true,
  (r) => r["tag"] === true,
  (r) => typeof r["n"] === "number" && r["n"] >= 3,
  (r) => (r.id.key as number) % 5 === 0,
];

const step = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("put" as const), key: fc.nat(25), n: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }), tag: fc.boolean() }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant("delete" as const), key: fc.nat(25) }), weight: 3 },
  fc.record({ kind: fc.constant("open" as const), start: fc.nat(3), limit: fc.nat(4), where: fc.nat(WHERES.length - 1) }),
);

interface Opened {
  readonly window: Window;
  readonly sink: CheckedSink;
  readonly start: number;
  readonly limit: number;
  readonly where: (r: Row) => boolean;
}

/** The model: the matching rows in ORDER BY n DESC then id, ranks [start, start + limit). */
function expected(store: Map<number, Row>, w: Opened): Row[] {
  return [...store.values()]
    .filter(w.where)
    .sort((a, b) => -compareValues(a["n"], b["n"]) || compareRecordIds(a.id, b.id))
    .slice(w.start, w.start + w.limit);
}

describe("Window over shared sorted rows", () => {
  // A front of 1 to 4 rows makes refills read past the sorted rows' edge; the default holds every row.
  it.each([1, 2, 4, undefined])("emits exactly ranks [start, start + limit) of the matching rows after any changes (front %s)", (front) => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200, size: "max" }), (steps) => {
        const store = new Map<number, Row>();
        const sorted = new SortedRows(ORDER, { rows: () => store.values(), get: (id: RecordId) => store.get(id.key as number) }, front);
        const windows: Opened[] = [];
        let version = 0;
        for (const s of steps) {
          if (s.kind === "open") {
            if (windows.length >= 4) continue;
            const sink = new CheckedSink();
            const where = WHERES[s.where]!;
            const window = new Window(sorted, s.start, s.limit, where, sink);
            window.fill();
            windows.push({ window, sink, start: s.start, limit: s.limit, where });
          } else {
            const before = store.get(s.key);
            const after = s.kind === "put" ? row(s.key, s.n, s.tag, ++version) : undefined;
            if (!before && !after) continue;
            if (after) store.set(s.key, after);
            else store.delete(s.key);
            sorted.update(before, after);
            for (const w of windows) {
              if (w.window.passesBy(before, after)) continue;
              const was = before !== undefined && w.where(before);
              const is = after !== undefined && w.where(after);
              if (was && is) w.window.change(before, after);
              else if (was) w.window.remove(before);
              else if (is) w.window.add(after);
            }
          }
          for (const w of windows) {
            const want = expected(store, w);
            expect(w.sink.ids()).toEqual(want.map((r) => r.id.text).sort());
            // Each as the store holds it now, not an earlier version.
            for (const r of want) expect(w.sink.rows.get(r.id.text)).toBe(r);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
