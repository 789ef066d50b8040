/**
 * Conversion between wire JSON and circuit values. A record link travels as
 * `{"$rid": "t:k"}`; a plain string stays a string (SurrealDB never equates them).
 */
import { RecordId, parseRecordId } from "../record-id.js";
import type { WireValue } from "../types.js";
import type { Value, ValueObject } from "./value.js";

/** Shares one RecordId per distinct link text, so a million links to `room:1` cost one object. */
export type RecordIdInterner = Map<string, RecordId>;

export function fromWire(w: WireValue, interner?: RecordIdInterner): Value {
  if (w === null || typeof w !== "object") return w;
  if (Array.isArray(w)) return w.map((x) => fromWire(x, interner));
  if (isLink(w)) {
    const text = w.$rid as string;
    if (!interner) return parseRecordId(text);
    let id = interner.get(text);
    if (!id) interner.set(text, (id = parseRecordId(text)));
    return id;
  }
  const out: ValueObject = {};
  for (const k in w) if (Object.hasOwn(w, k)) setField(out, k, fromWire(w[k]!, interner));
  return out;
}

/** True for the wire form of a record link, `{"$rid": "t:k"}`. */
export function isLink(w: { readonly [key: string]: WireValue }): boolean {
  if (typeof w.$rid !== "string") return false;
  for (const k in w) if (k !== "$rid") return false;
  return true;
}

/** A record body: the wire object's fields, with `id` set to the record's own id (SurrealDB ignores a body's `id`). */
export function bodyFromWire(
  w: { readonly [key: string]: WireValue },
  id: RecordId,
  interner?: RecordIdInterner,
): ValueObject & { id: RecordId } {
  // A spread copies the fields in one step (keeping the wire object's shape); only
  // objects and arrays need converting in place.
  const out = { ...w } as ValueObject & { id: RecordId };
  for (const k in out) {
    const v = out[k];
    if (v !== null && typeof v === "object" && Object.hasOwn(out, k)) setField(out, k, fromWire(v as WireValue, interner));
  }
  out.id = id;
  return out;
}

/** NONE has no wire form: missing object fields are dropped, NONE in arrays becomes null. */
export function toWire(v: Value): WireValue {
  if (v === undefined) return null;
  if (v === null || typeof v !== "object") return v;
  if (v instanceof RecordId) return { $rid: v.text };
  if (Array.isArray(v)) return v.map(toWire);
  const out: { [key: string]: WireValue } = {};
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (x !== undefined) setField(out, k, toWire(x));
  }
  return out;
}

/** Defines rather than assigns, so a field named `__proto__` stays a field. */
function setField<T>(obj: { [key: string]: T }, key: string, value: T): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
