import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReplayLog, type LogEntry } from "../../src/streaming/replay-log.js";

function entry(sequence: number): LogEntry {
  const message = { kind: "delta" as const, viewId: "v", clientId: "c", sequence, deltas: [] };
  return { sequence, position: 0, bare: message, withRecords: message };
}

const sequences = (entries: LogEntry[] | undefined) => entries?.map((e) => e.sequence);

describe("ReplayLog", () => {
  it("keeps the newest `capacity` deltas and answers what a cursor missed", () => {
    const log = new ReplayLog(3);
    for (let s = 1; s <= 5; s++) log.append(entry(s));
    expect(log.size).toBe(3);
    expect(sequences(log.since(2, 5))).toEqual([3, 4, 5]);
    expect(sequences(log.since(4, 5))).toEqual([5]);
    expect(sequences(log.since(5, 5))).toEqual([]);
    expect(log.since(1, 5)).toBeUndefined();
    expect(log.since(6, 5)).toBeUndefined();
  });

  it("cannot answer for deltas it has not been given yet", () => {
    const log = new ReplayLog(8);
    for (let s = 1; s <= 3; s++) log.append(entry(s));
    expect(log.since(1, 4)).toBeUndefined();
    expect(new ReplayLog(8).since(0, 1)).toBeUndefined();
  });

  it("starts over after a gap in sequences", () => {
    const log = new ReplayLog(8);
    log.append(entry(1));
    log.append(entry(2));
    log.append(entry(7));
    expect(log.size).toBe(1);
    expect(sequences(log.since(6, 7))).toEqual([7]);
    expect(log.since(2, 7)).toBeUndefined();
  });

  it("answers like an unbounded list cut to its last `capacity` entries", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 30 }), fc.nat(35), (capacity, count, cursor) => {
        const log = new ReplayLog(capacity);
        for (let s = 1; s <= count; s++) log.append(entry(s));
        const kept = Array.from({ length: count }, (_, i) => i + 1).slice(Math.max(0, count - capacity));
        const covered = cursor === count || (cursor < count && kept.length > 0 && cursor + 1 >= kept[0]!);
        const expected = covered ? kept.filter((s) => s > cursor) : undefined;
        expect(sequences(log.since(cursor, count))).toEqual(expected);
      }),
    );
  });
});
