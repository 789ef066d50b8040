/**
 * Turns the circuit's outputs (ViewDelta, ViewSpec, Member) into EdgeOps. Pure:
 * validation happens here, before anything is queued, so bad input is refused
 * with a precise error and nothing is written.
 */
import type { Member, ViewDelta, ViewSpec, WireValue } from "../circuit/index.js";
import { wireToSurreal } from "./surreal-values.js";
import { metaSize } from "./transaction.js";
import type { ViewScope } from "./outbox.js";
import type { EdgeOp, MemberRef, RecordRef, ViewEdgeChanges, ViewMeta } from "./types.js";

export function viewMeta(spec: ViewSpec): ViewMeta {
  // Converting now rejects a malformed `{"$rid": …}` link before anything is queued.
  wireToSurreal(spec.params as WireValue);
  return {
    viewId: spec.id,
    clientId: spec.clientId,
    surrealQL: spec.surql,
    params: spec.params,
    ttlMs: spec.ttlMs,
    lastActiveAt: spec.lastActiveAt,
  };
}

export function viewChanges(delta: ViewDelta): ViewEdgeChanges {
  const upserts: MemberRef[] = [];
  const deletes: RecordRef[] = [];
  for (const d of delta.deltas) {
    if (d.event === "DELETED") deletes.push([d.id.table, d.id.key]);
    else upserts.push([d.id.table, d.id.key, d.version]);
  }
  return { viewId: delta.viewId, clientId: delta.clientId, upserts, deletes };
}

export function memberRefs(members: readonly Member[]): MemberRef[] {
  return members.map((m) => [m.id.table, m.id.key, m.version] as const);
}

/** An ingest's op, or undefined when no view changed (nothing to write). */
export function ingestOp(views: readonly ViewDelta[]): EdgeOp | undefined {
  const changes = views.map(viewChanges).filter((c) => c.upserts.length + c.deletes.length > 0);
  return changes.length === 0 ? undefined : { kind: "ingest", views: changes };
}

/**
 * A registration's op. With `replaced` (the circuit's difference from the view it
 * replaced) only that difference is written; without it the edges are made equal
 * to `members`, which also covers a first registration.
 */
export function registerOp(spec: ViewSpec, members: readonly Member[], replaced?: ViewDelta): EdgeOp {
  const meta = viewMeta(spec);
  if (replaced === undefined) return { kind: "register", meta, members: memberRefs(members) };
  if (replaced.viewId !== spec.id) {
    throw new TypeError(`replaced delta is for view ${JSON.stringify(replaced.viewId)}, not ${JSON.stringify(spec.id)}`);
  }
  return { kind: "replace", meta, changes: { ...viewChanges(replaced), clientId: spec.clientId } };
}

/** Ops that must read SurrealDB before writing; each runs alone in its transaction. */
export function needsRead(op: EdgeOp): boolean {
  return op.kind === "register" || op.kind === "resync";
}

/** How many edge rows an op writes at most: bounds the size of a merged transaction. */
export function opWeight(op: EdgeOp): number {
  switch (op.kind) {
    case "ingest":
      return op.views.reduce((n, v) => n + v.upserts.length + v.deletes.length, 0);
    case "replace":
      // Its metadata counts too, a row per KiB, so merged re-registrations with
      // large params stay a transaction SurrealDB takes.
      return 1 + Math.ceil(metaSize(op.meta) / 1024) + op.changes.upserts.length + op.changes.deletes.length;
    case "register":
      return 1 + op.members.length;
    case "resync":
      return op.views.reduce((n, v) => n + 1 + v.members.length, 0);
    case "unregister":
    case "reset":
      return 1;
  }
}

/** The views whose edges or metadata `op` writes: what is stale if it never commits. */
export function opViews(op: EdgeOp): ViewScope {
  switch (op.kind) {
    case "ingest":
      return op.views.map((v) => v.viewId);
    case "replace":
    case "register":
      return [op.meta.viewId];
    case "unregister":
      return [op.viewId];
    case "reset":
      return "all";
    case "resync":
      return op.all ? "all" : op.views.map((v) => v.meta.viewId);
  }
}

/**
 * The views whose edges `op`, once committed, makes whole whatever was skipped
 * before it: a full registration or resync writes the whole membership, an
 * unregister or reset removes them. Undefined for ops that only write a difference.
 */
export function repairedViews(op: EdgeOp): ViewScope | undefined {
  switch (op.kind) {
    case "register":
    case "unregister":
    case "reset":
    case "resync":
      return opViews(op);
    case "ingest":
    case "replace":
      return undefined;
  }
}
