/**
 * Order keys: a string per (sort values, record id) whose plain string order
 * (UTF-16 code units, JS `<`) is the ORDER BY order, so sorted indices compare
 * keys without reaching into rows, arrays or boxed numbers (a B+tree search
 * touches a handful of keys per node; each used to be three objects deep).
 *
 * Invariant: for any a, b (and rows of one table), `encode(a) < encode(b)` ⇔
 * `compareValues(a, b) < 0`, and equal encodings ⇔ equal values (NaN sorts
 * above every number in both); a descending key's units are complemented,
 * which reverses the order because every encoding is prefix-free.
 *
 * The layout, one type tag per value (rank + 1, so 0 can end a list):
 * NONE 1 · NULL 2 · bool 3 b · number 4 n n n n · string 5 s… 0 0 ·
 * array 6 values… 0 · object 7 (1 key… 0 0 value)… 0 · record id 8 table… 0 0 (1 n n n n | 2 key… 0 0).
 * Numbers are IEEE-754 bits made unsigned-sortable; strings are code units
 * remapped to code point order, a 0 unit written 0 1 and the end 0 0.
 * Keys are internal: they hold lone surrogates and never leave the process.
 */
import { RecordId, type RecordKey } from "../record-id.js";
import type { Value, ValueObject } from "./value.js";

const NONE = 1;
const NULL = 2;
const BOOL = 3;
const NUMBER = 4;
const STRING = 5;
const ARRAY = 6;
const OBJECT = 7;
const RECORD = 8;
const END = 0;

/** Code units of the key being built; grown on demand and reused. */
let units = new Uint16Array(256);
let length = 0;
const bits = new DataView(new ArrayBuffer(8));

function push(u: number): void {
  if (length === units.length) {
    const grown = new Uint16Array(units.length * 2);
    grown.set(units);
    units = grown;
  }
  units[length++] = u;
}

function pushNumber(n: number): void {
  // -0 equals 0; NaN is written as the canonical quiet NaN, above +Infinity.
  bits.setFloat64(0, n === 0 ? 0 : n);
  let hi = bits.getUint32(0);
  let lo = bits.getUint32(4);
  if (hi & 0x80000000) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else {
    hi = (hi | 0x80000000) >>> 0;
  }
  push(hi >>> 16);
  push(hi & 0xffff);
  push(lo >>> 16);
  push(lo & 0xffff);
}

/**
 * Strings compare by code point (compare.ts); UTF-16 units differ from that
 * only for surrogates against U+E000..U+FFFF, so those are moved below the
 * surrogates, which move to the top.
 */
function pushString(s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const u = c < 0xd800 ? c : c >= 0xe000 ? c - 0x800 : c + 0x2000;
    if (u === 0) {
      push(0);
      push(1);
    } else {
      push(u);
    }
  }
  push(END);
  push(END);
}

function pushKey(k: RecordKey): void {
  if (typeof k === "number") {
    push(1);
    pushNumber(k);
  } else {
    push(2);
    pushString(k);
  }
}

function pushValue(v: Value): void {
  if (v === undefined) return push(NONE);
  if (v === null) return push(NULL);
  switch (typeof v) {
    case "boolean":
      push(BOOL);
      return push(v ? 1 : 0);
    case "number":
      push(NUMBER);
      return pushNumber(v);
    case "string":
      push(STRING);
      return pushString(v);
  }
  if (v instanceof RecordId) {
    push(RECORD);
    pushString(v.table);
    return pushKey(v.key);
  }
  if (Array.isArray(v)) {
    push(ARRAY);
    for (const x of v) pushValue(x);
    return push(END);
  }
  pushObject(v);
}

function pushObject(o: ValueObject): void {
  push(OBJECT);
  const keys = Object.keys(o).filter((k) => o[k] !== undefined);
  // compareObjects orders keys by code point: the same order as their encodings.
  const encoded = keys.map((k) => [encode(k), k] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [, k] of encoded) {
    push(1);
    pushString(k);
    pushValue(o[k]);
  }
  push(END);
}

/** The built units as a string (in slices: `fromCharCode` takes them as arguments). */
function take(from: number): string {
  let s = "";
  for (let i = from; i < length; i += 4096) s += String.fromCharCode.apply(null, units.subarray(i, Math.min(length, i + 4096)) as unknown as number[]);
  length = from;
  return s;
}

/** A key string's own encoding, for ordering object keys. */
function encode(s: string): string {
  const from = length;
  pushString(s);
  return take(from);
}

/**
 * The order key of a row with sort values `values` (one per ORDER BY term,
 * `descending` per term) and record key `key`, which breaks ties ascending.
 * Every sorted index holds rows of one table, so the table is left out: the
 * shorter the key, the fewer cache lines a comparison reads.
 */
export function orderKey(values: readonly Value[], descending: readonly boolean[], key: RecordKey): string {
  length = 0;
  for (let i = 0; i < values.length; i++) {
    const from = length;
    pushValue(values[i]);
    if (descending[i]) for (let j = from; j < length; j++) units[j] = 0xffff - units[j]!;
  }
  pushKey(key);
  return take(0);
}

/** String order, as the keys' comparator. */
export function compareOrderKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
