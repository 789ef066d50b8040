import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OrderKey } from "../plan/query-plan.js";
import { RecordId } from "../record-id.js";
import { toRow, type Row } from "../store.js";
import { compareRecordIds, compareValues } from "../values/compare.js";
import type { Value } from "../values/value.js";
import { SortedRows } from "./sorted-rows.js";

const ORDER: OrderKey[] = [{ get: (row) => (row as { n?: Value }).n, descending: true }];

function row(key: number, n: number | undefined): Row {
  return toRow({ id: new RecordId("t", key), ...(n === undefined ? {} : { n }) }, 1);
}

/** The rows in ORDER BY n DESC, then id. */
function expected(rows: Iterable<Row>): string[] {
  return [...rows]
    .sort((a, b) => -compareValues(a["n"], b["n"]) || compareRecordIds(a.id, b.id))
    .map((r) => r.id.text);
}

const step = fc.oneof(
  fc.record({ kind: fc.constant("put" as const), key: fc.nat(30), n: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }) }),
  fc.record({ kind: fc.constant("delete" as const), key: fc.nat(30) }),
  fc.record({ kind: fc.constant("read" as const), from: fc.nat(40), count: fc.nat(40) }),
);

describe("shared sorted rows, ordered only at the front", () => {
  // A front of 1 to 4 rows (of up to 31): reads run past the edge and extend it,
  // insertions grow it past twice its size and it shrinks; the default front holds every row.
  it.each([1, 2, 4, undefined])("read back every current row in order, however edits and reads interleave (front %s)", (front) => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300, size: "max" }), fc.array(step, { maxLength: 10 }), (steps, initial) => {
        const store = new Map<number, Row>();
        for (const s of initial) if (s.kind === "put") store.set(s.key, row(s.key, s.n));
        const table = { rows: () => store.values(), get: (id: RecordId) => store.get(id.key as number) };
        const sorted = new SortedRows(ORDER, table, front);
        for (const s of steps) {
          if (s.kind === "read") {
            const all = expected(store.values());
            // A window reads a few rows on from some row's key, then stops.
            if (s.from > all.length) continue;
            const fromRow = s.from === 0 ? undefined : [...store.values()].find((r) => r.id.text === all[s.from - 1]);
            const read: string[] = [];
            for (const [, r] of sorted.after(fromRow && sorted.keyOf(fromRow))) {
              if (read.length >= s.count) break;
              read.push(r.id.text);
            }
            expect(read).toEqual(all.slice(s.from, s.from + s.count));
            continue;
          }
          const before = store.get(s.key);
          const after = s.kind === "put" ? row(s.key, s.n) : undefined;
          if (after) store.set(s.key, after);
          else store.delete(s.key);
          if (before || after) sorted.update(before, after);
        }
        expect([...sorted.after(undefined)].map(([, r]) => r.id.text)).toEqual(expected(store.values()));
      }),
      { numRuns: 200 },
    );
  });
});
