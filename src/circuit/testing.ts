/** Small builders for the circuit's tests: specs, changes, and readable deltas. */
import type { IngestResult, RecordChange, ViewDelta, ViewSpec, WireValue } from "./types.js";

type Body = { [key: string]: WireValue };

export function view(id: string, surql: string, params: Body = {}, clientId = "client"): ViewSpec {
  return { id, surql, params, clientId, ttlMs: 60_000, lastActiveAt: 0 };
}

export function create(id: string, body: Body = {}, version?: number): RecordChange {
  return { op: "CREATE", id, body, version };
}

export function update(id: string, body: Body = {}, version?: number): RecordChange {
  return { op: "UPDATE", id, body, version };
}

export function remove(id: string, version?: number): RecordChange {
  return { op: "DELETE", id, version };
}

export function link(id: string): WireValue {
  return { $rid: id };
}

/** One ViewDelta as `["CREATED t:1 v1", …]`. */
export function events(d: ViewDelta | undefined): string[] {
  return d ? d.deltas.map((x) => `${x.event} ${x.id.text} v${x.version}`) : [];
}

/** The events a result holds for one view (empty when the view is not in it). */
export function eventsFor(r: IngestResult, viewId: string): string[] {
  return events(r.views.find((v) => v.viewId === viewId));
}
