import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecordId } from "../record-id.js";
import type { WireValue } from "../types.js";
import { fromWire, toWire } from "./wire.js";

describe("wire values", () => {
  it("reads {$rid} as a record id and keeps a plain string a string", () => {
    const v = fromWire({ a: { $rid: "user:⟨a b⟩" }, b: "user:1", c: [{ $rid: "t:1" }], d: { $rid: "t:1", x: 1 } });
    expect(v).toEqual({ a: new RecordId("user", "a b"), b: "user:1", c: [new RecordId("t", 1)], d: { $rid: "t:1", x: 1 } });
  });

  it("round-trips any JSON value", () => {
    const rid = fc.tuple(fc.constantFrom("user", "t"), fc.oneof(fc.integer(), fc.string())).map(([t, k]) => ({ $rid: new RecordId(t, k).text }));
    const wire = fc.letrec<{ v: WireValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string(),
        rid,
        fc.array(tie("v")),
        fc.dictionary(fc.string().filter((k) => k !== "$rid"), tie("v")),
      ),
    })).v;
    fc.assert(
      fc.property(wire, (w) => {
        expect(toWire(fromWire(w))).toEqual(w);
      }),
    );
  });
});
