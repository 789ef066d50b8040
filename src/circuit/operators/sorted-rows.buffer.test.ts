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

describe("shared sorted rows with buffered edits", () => {
  it("read back every current row in order, however edits and reads interleave", () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant("put" as const), key: fc.nat(30), n: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }) }),
      fc.record({ kind: fc.constant("delete" as const), key: fc.nat(30) }),
      fc.record({ kind: fc.constant("read" as const), from: fc.nat(40) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 400, size: "max" }), (steps) => {
        const store = new Map<number, Row>();
        const sorted = new SortedRows(ORDER, [], (id) => store.get(id.key as number));
        for (const s of steps) {
          if (s.kind === "read") {
            const all = expected(store.values());
            const read = [...sorted.after(undefined)].map(([, r]) => r.id.text);
            expect(read).toEqual(all);
            // Reading on from a row's key gives the rows after it.
            const from = [...sorted.after(undefined)][s.from];
            if (from) expect([...sorted.after(from[0])].map(([, r]) => r.id.text)).toEqual(all.slice(s.from + 1));
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
