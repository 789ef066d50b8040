/**
 * The circuit's in-memory value: what a SurrealDB document field can hold in
 * the supported subset. `undefined` is SurrealDB's NONE (a missing field), `null`
 * is NULL, record links are `RecordId` instances. Numbers are JS doubles: the
 * wire (protobuf Struct) carries no int/float distinction and SurrealDB compares
 * them numerically anyway (`1 = 1.0`).
 */
import { RecordId } from "../record-id.js";

export type Value = undefined | null | boolean | number | string | RecordId | Value[] | ValueObject;
export interface ValueObject {
  [key: string]: Value;
}

export function isObject(v: Value): v is ValueObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RecordId);
}

/** SurrealDB's truthiness, as used by WHERE, AND, OR, NOT and `!`. */
export function isTruthy(v: Value): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  if (typeof v === "string") return v.length > 0;
  if (v instanceof RecordId) return true;
  if (Array.isArray(v)) return v.length > 0;
  return Object.keys(v).length > 0;
}
