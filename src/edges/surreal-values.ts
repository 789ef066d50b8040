/**
 * Conversions from the edge layer's plain values to SurrealDB SDK values. Every
 * value reaches SurrealDB as a bound parameter built here; nothing is ever
 * formatted into query text.
 */
import { Duration, RecordId as SdkRecordId } from "surrealdb";
import { parseRecordId, type WireValue } from "../circuit/index.js";
import type { RecordKey, ViewMeta } from "./types.js";

export const VIEW_TABLE = "_spooky_incantation";
export const EDGE_TABLE = "_spooky_list_ref";

export function recordId(table: string, key: RecordKey): SdkRecordId {
  return new SdkRecordId(table, key);
}

export function viewRecordId(viewId: string): SdkRecordId {
  return new SdkRecordId(VIEW_TABLE, viewId);
}

/** The edge of (view, record): `_spooky_list_ref:[viewId, table:key]`, the same every time. */
export function edgeRecordId(viewId: string, table: string, key: RecordKey): SdkRecordId {
  return new SdkRecordId(EDGE_TABLE, [viewId, new SdkRecordId(table, key)]);
}

/** The metadata record's content (without its id). */
export function viewContent(meta: ViewMeta): Record<string, unknown> {
  return {
    clientId: meta.clientId,
    surrealQL: meta.surrealQL,
    params: wireToSurreal(meta.params),
    ttl: new Duration(`${Math.max(0, Math.round(meta.ttlMs))}ms`),
    lastActiveAt: new Date(meta.lastActiveAt),
  };
}

/** Wire JSON → SurrealDB values: `{"$rid": "t:k"}` becomes a real record id. */
export function wireToSurreal(value: WireValue): unknown {
  if (Array.isArray(value)) return value.map(wireToSurreal);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    const rid = value["$rid"];
    if (keys.length === 1 && typeof rid === "string") {
      const id = parseRecordId(rid);
      return new SdkRecordId(id.table, id.key);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = wireToSurreal(value[key] as WireValue);
    return out;
  }
  return value;
}

/**
 * A map key for (view, record) that keeps `user:1` and `user:⟨1⟩` apart: JSON
 * keeps the key's type.
 */
export function edgeKey(viewId: string, table: string, key: RecordKey): string {
  return JSON.stringify([viewId, table, key]);
}
