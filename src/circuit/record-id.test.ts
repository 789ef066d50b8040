import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecordId, RecordIdSyntaxError, parseRecordId } from "./record-id.js";

describe("parseRecordId", () => {
  it("reads integer keys as numbers and identifiers as strings", () => {
    expect(parseRecordId("user:1").key).toBe(1);
    expect(parseRecordId("user:-7").key).toBe(-7);
    expect(parseRecordId("user:alice").key).toBe("alice");
    expect(parseRecordId("user:1abc").key).toBe("1abc");
  });

  it("reads escaped keys as strings, so user:⟨1⟩ is not user:1", () => {
    expect(parseRecordId("user:⟨1⟩").key).toBe("1");
    expect(parseRecordId("user:`a b`").key).toBe("a b");
    expect(parseRecordId("user:⟨a\\⟩b⟩").key).toBe("a⟩b");
    expect(parseRecordId("user:⟨1⟩").equals(parseRecordId("user:1"))).toBe(false);
  });

  it("reads every digit run the way the number parser does, leading zeros, signs and lengths included", () => {
    const text = fc.tuple(fc.stringMatching(/^[A-Za-z0-9_]{1,6}$/), fc.stringMatching(/^-?[0-9]{1,18}$/));
    fc.assert(
      fc.property(text, ([table, digits]) => {
        const n = Number(digits);
        const id = parseRecordId(`${table}:${digits}`);
        expect(id.table).toBe(table);
        expect(id.key).toBe(Number.isSafeInteger(n) ? n : digits);
      }),
    );
    expect(Object.is(parseRecordId("t:-0").key, -0)).toBe(true);
  });

  it("keeps integers beyond 2^53 as string keys, as SurrealDB does past i64", () => {
    expect(parseRecordId("user:12345678901234567890").key).toBe("12345678901234567890");
  });

  it("rejects text that is not table:key", () => {
    for (const bad of ["", "user", ":1", "user:", "user:a b", "us er:1", "user:⟨open"]) {
      expect(() => parseRecordId(bad), bad).toThrow(RecordIdSyntaxError);
    }
  });

  it("round-trips any table and key through its canonical text", () => {
    const table = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);
    const key = fc.oneof(fc.integer({ min: -1e9, max: 1e9 }), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(table, key, (t, k) => {
        const id = new RecordId(t, k);
        const back = parseRecordId(id.toString());
        expect(back.table).toBe(t);
        expect(back.key).toBe(k);
        expect(back.text).toBe(id.text);
      }),
    );
  });
});
