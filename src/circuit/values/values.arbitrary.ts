/**
 * fast-check arbitraries for circuit values, for the value tests: strings that
 * probe code-point order and the order-key encoding, record ids with numeric
 * and string keys, edge-case numbers, nested arrays and objects.
 */
import fc from "fast-check";
import { RecordId } from "../record-id.js";
import type { Value } from "./value.js";

// Strings that probe the encoding: NUL, astral characters against U+E000..U+FFFF, prefixes.
export const text = fc.oneof(
  fc.constantFrom("", "a", "ab", "a\u0000", "a\u0001", "\u{1F600}", "\uE000", "\uFFFF", "\u0000", "b"),
  fc.string({ unit: "grapheme", maxLength: 4 }),
);
export const recordKey = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(-0), text);
export const recordId = fc.tuple(fc.constantFrom("t", "u", "ta"), recordKey).map(([t, k]) => new RecordId(t, k));
export const number = fc.oneof(
  fc.constantFrom(0, -0, Number.NaN, 1, -1, 1.5, -1.5, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE),
  fc.double({ noNaN: true }),
  fc.integer({ min: -3, max: 3 }),
);
export const value: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    recordId,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(text, tie("v"), { maxKeys: 3 }),
  ),
})).v;
