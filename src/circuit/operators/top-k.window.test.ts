import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecordId } from "../record-id.js";
import { toRow, type Row } from "../store.js";
import { CheckedSink } from "./testing.js";
import { TopK } from "./top-k.js";

function row(key: number, score: number | undefined, version = 1): Row {
  const id = new RecordId("t", key);
  return toRow(score === undefined ? { id } : { id, score }, version);
}

function expectedWindow(all: Map<number, Row>, start: number, limit: number, descending: boolean): string[] {
  const rows = [...all.values()].sort((a, b) => {
    const x = a.score as number | undefined;
    const y = b.score as number | undefined;
    if (x !== y) {
      const c = x === undefined ? -1 : y === undefined ? 1 : x < y ? -1 : 1;
      return descending ? -c : c;
    }
    return (a.id.key as number) - (b.id.key as number);
  });
  return rows.slice(start, start + limit).map((r) => r.id.text);
}

describe("TopK window", () => {
  /** Applies random operations to a TopK and a plain map, comparing the window after each. */
  function checkWindow(keys: number, slack: number | undefined, runs: number): void {
    const op = fc.record({ key: fc.nat(keys), score: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }), del: fc.boolean() });
    fc.assert(
      fc.property(fc.nat(4), fc.integer({ min: 0, max: 5 }), fc.boolean(), fc.array(op, { maxLength: 8 * keys, size: "max" }), (start, limit, desc, ops) => {
        const sink = new CheckedSink();
        const top = new TopK([{ get: (b) => (b as { score?: number }).score, descending: desc }], start, limit, sink, slack);
        const all = new Map<number, Row>();
        let version = 0;
        for (const o of ops) {
          const before = all.get(o.key);
          if (o.del) {
            if (before) {
              top.remove(before);
              all.delete(o.key);
            }
          } else {
            const after = row(o.key, o.score, ++version);
            if (before) top.change(before, after);
            else top.add(after);
            all.set(o.key, after);
          }
          const want = expectedWindow(all, start, limit, desc);
          expect([...sink.rows.keys()].sort()).toEqual([...want].sort());
          expect([...top.window()].map((r) => r.id.text)).toEqual(want);
          for (const id of want) expect(sink.rows.get(id)).toBe(all.get(Number(id.slice(2))));
        }
      }),
      { numRuns: runs },
    );
  }

  it("emits exactly the rows of ranks [start, start + limit) after any sequence of adds, removes and changes", () => {
    checkWindow(12, undefined, 500);
  });

  it("stays exact when most rows wait unordered past the head (slack of 1 to 4 rows)", () => {
    // Few rows beyond the window: the tail forms, rows move between it and the head, and refills run often.
    for (const slack of [1, 2, 4]) checkWindow(40, slack, 150);
  });

  it("refills the window from the next row when a member leaves", () => {
    const sink = new CheckedSink();
    const top = new TopK([{ get: (b) => (b as { score?: number }).score, descending: true }], 0, 2, sink);
    const rows = [row(1, 10), row(2, 20), row(3, 30)];
    for (const r of rows) top.add(r);
    expect([...sink.rows.keys()].sort()).toEqual(["t:2", "t:3"]);
    top.remove(rows[2]!);
    expect([...sink.rows.keys()].sort()).toEqual(["t:1", "t:2"]);
  });

  it("displaces the last member when a better row enters", () => {
    const sink = new CheckedSink();
    const top = new TopK([{ get: (b) => (b as { score?: number }).score, descending: false }], 0, 2, sink);
    for (const r of [row(1, 10), row(2, 20), row(3, 30)]) top.add(r);
    top.add(row(4, 5));
    expect([...sink.rows.keys()].sort()).toEqual(["t:1", "t:4"]);
  });
});
