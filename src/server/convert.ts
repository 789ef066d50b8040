/**
 * Conversion between proto messages and the core's plain types, with the
 * validation the wire needs (required fields, enum values, 64-bit numbers) and
 * the limits of request-limits.ts (batch size, ids, table names). Struct fields
 * arrive from protobuf-es as plain JSON, so record links (`{"$rid": "user:1"}`)
 * pass through untouched. Every failure is an INVALID_ARGUMENT naming the field.
 */
import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import {
  durationFromMs,
  durationMs,
  timestampFromMs,
  timestampMs,
  type Duration,
  type Timestamp,
} from "@bufbuild/protobuf/wkt";
import {
  DeltaEvent,
  EdgeStatus,
  Operation,
  type MemberSchema,
  type RecordChange as ProtoRecordChange,
  type RegisterViewRequest,
  type ViewDeltaSchema,
  type ViewInfoSchema,
  type WatchDeltasRequest,
  type WatchDeltasResponseSchema,
} from "../../gen/spooky/ssp/v1/ssp_pb.js";
import type { Member, RecordChange, StoredRecord, ViewDelta, ViewSpec, ViewSummary } from "../circuit/index.js";
import type { EdgeState, WatchMessage, WatchRequest } from "../core/index.js";
import { requireFiniteNumbers } from "./finite-numbers.js";
import {
  checkBatchSize,
  checkClientId,
  checkRecordId,
  checkTableName,
  checkViewId,
  checkWatchSize,
  invalidArgument,
  type RequestLimits,
} from "./request-limits.js";

const OPERATIONS: Readonly<Partial<Record<Operation, RecordChange["op"]>>> = {
  [Operation.CREATE]: "CREATE",
  [Operation.UPDATE]: "UPDATE",
  [Operation.DELETE]: "DELETE",
};

const DELTA_EVENTS: Readonly<Record<"CREATED" | "UPDATED" | "DELETED", DeltaEvent>> = {
  CREATED: DeltaEvent.CREATED,
  UPDATED: DeltaEvent.UPDATED,
  DELETED: DeltaEvent.DELETED,
};

const EDGE_STATUS: Readonly<Record<EdgeState, EdgeStatus>> = {
  committed: EdgeStatus.COMMITTED,
  pending: EdgeStatus.PENDING,
  none: EdgeStatus.UNSPECIFIED,
};

/** `field` names the change in messages: `change` or `changes[3]`. */
export function recordChangeFromProto(change: ProtoRecordChange | undefined, field: string): RecordChange {
  if (change === undefined) throw invalidArgument(`${field} is required`);
  const op = OPERATIONS[change.op];
  if (op === undefined) {
    throw invalidArgument(`${field}.op must be OPERATION_CREATE, OPERATION_UPDATE or OPERATION_DELETE, got ${Operation[change.op] ?? change.op}`);
  }
  if (change.id === "") throw invalidArgument(`${field}.id is required (record id text, e.g. "user:1")`);
  checkRecordId(change.id, `${field}.id`);
  if (change.table !== "") checkTableName(change.table, `${field}.table`);
  if (op !== "DELETE" && change.record === undefined) {
    throw invalidArgument(`${field}.record is required for OPERATION_${op}: send the record's full body`);
  }
  if (op !== "DELETE") requireFiniteNumbers(change.record, `${field}.record`);
  return {
    op,
    id: change.id,
    table: change.table === "" ? undefined : change.table,
    body: op === "DELETE" ? undefined : change.record,
    version: change.version === undefined ? undefined : safeNumber(change.version, `${field}.version`),
  };
}

/** The changes of an IngestBatch, checked against the batch limit before any is converted. */
export function recordChangesFromProto(changes: readonly ProtoRecordChange[], limits: RequestLimits): RecordChange[] {
  checkBatchSize(changes.length, limits);
  return changes.map((c, i) => recordChangeFromProto(c, `changes[${i}]`));
}

export function viewIdFromProto(id: string, field: string): string {
  return checkViewId(id, field);
}

/** An optional client id filter or owner: "" means none. */
export function clientIdFromProto(id: string, field: string): string | undefined {
  return id === "" ? undefined : checkClientId(id, field);
}

export function viewSpecFromProto(req: RegisterViewRequest, now: number): ViewSpec {
  const id = viewIdFromProto(req.id, "id");
  if (req.surql.trim() === "") throw invalidArgument("surql is required (a SurrealQL SELECT query)");
  const ttlMs = req.ttl === undefined ? 0 : durationToMs(req.ttl, "ttl");
  if (ttlMs < 0) throw invalidArgument("ttl must not be negative");
  requireFiniteNumbers(req.params, "params");
  return {
    id,
    surql: req.surql,
    params: req.params ?? {},
    clientId: clientIdFromProto(req.clientId, "client_id") ?? "",
    ttlMs,
    lastActiveAt: req.lastActiveAt === undefined ? now : timestampToMs(req.lastActiveAt, "last_active_at"),
  };
}

export function watchRequestFromProto(req: WatchDeltasRequest): WatchRequest {
  if (req.viewIds.length === 0 && req.clientId === "") {
    throw invalidArgument("name what to watch: view_ids, client_id, or both");
  }
  checkWatchSize(req.viewIds.length, Object.keys(req.resumeFrom).length);
  req.viewIds.forEach((id, i) => viewIdFromProto(id, `view_ids[${i}]`));
  const resumeFrom = new Map<string, number>();
  for (const [viewId, sequence] of Object.entries(req.resumeFrom)) {
    resumeFrom.set(viewIdFromProto(viewId, "resume_from key"), safeNumber(sequence, `resume_from[${JSON.stringify(viewId)}]`));
  }
  return {
    viewIds: [...new Set(req.viewIds)],
    clientId: clientIdFromProto(req.clientId, "client_id"),
    resumeFrom,
    incarnation: req.incarnation === "" ? undefined : req.incarnation,
    includeRecords: req.includeRecords,
  };
}

export function edgeStatusToProto(edges: EdgeState): EdgeStatus {
  return EDGE_STATUS[edges];
}

export function memberToProto(member: Member): MessageInitShape<typeof MemberSchema> {
  return { id: member.id.toString(), version: BigInt(member.version) };
}

/** A view's deltas; a delta carries its record's body only when it has one (never for DELETED). */
export function viewDeltaToProto(delta: {
  readonly viewId: string;
  readonly sequence: number;
  readonly deltas: readonly (ViewDelta["deltas"][number] & { readonly record?: StoredRecord["body"] | undefined })[];
}): MessageInitShape<typeof ViewDeltaSchema> {
  return {
    viewId: delta.viewId,
    sequence: BigInt(delta.sequence),
    deltas: delta.deltas.map((d) => {
      const record = d.event === "DELETED" ? undefined : d.record;
      return { id: d.id.toString(), event: DELTA_EVENTS[d.event], version: BigInt(d.version), record: record as JsonObject | undefined };
    }),
  };
}

export function viewInfoToProto(view: ViewSummary): MessageInitShape<typeof ViewInfoSchema> {
  return {
    id: view.spec.id,
    surql: view.spec.surql,
    params: view.spec.params as JsonObject,
    clientId: view.spec.clientId,
    ttl: durationFromMs(view.spec.ttlMs),
    lastActiveAt: timestampFromMs(view.spec.lastActiveAt),
    sequence: BigInt(view.sequence),
    memberCount: view.memberCount,
  };
}

export function watchMessageToProto(event: WatchMessage): MessageInitShape<typeof WatchDeltasResponseSchema> {
  switch (event.kind) {
    case "snapshot":
      return {
        kind: {
          case: "snapshot",
          value: {
            viewId: event.viewId,
            sequence: BigInt(event.sequence),
            members: event.members.map(memberToProto),
            records: event.records === undefined ? {} : (Object.fromEntries(event.records) as Record<string, JsonObject>),
            reset: event.reset,
            incarnation: event.incarnation,
          },
        },
      };
    case "delta":
      return { kind: { case: "delta", value: viewDeltaToProto(event) } };
    case "closed":
      return { kind: { case: "closed", value: { viewId: event.viewId, sequence: BigInt(event.sequence) } } };
    case "heartbeat":
      return { kind: { case: "heartbeat", value: { at: timestampFromMs(event.at) } } };
  }
}

/** Whole milliseconds: Duration's nanos must be an integer, and timings are measured in fractions. */
export function msToDuration(ms: number): Duration {
  return durationFromMs(Math.round(ms));
}

function durationToMs(duration: Duration, field: string): number {
  const ms = durationMs(duration);
  if (!Number.isFinite(ms)) throw invalidArgument(`${field} is out of range`);
  return ms;
}

function timestampToMs(timestamp: Timestamp, field: string): number {
  const ms = timestampMs(timestamp);
  if (!Number.isFinite(ms)) throw invalidArgument(`${field} is out of range`);
  return ms;
}

/** uint64 on the wire; the core counts in JS numbers, exact up to 2^53 − 1. */
function safeNumber(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalidArgument(`${field} is ${value}; at most ${Number.MAX_SAFE_INTEGER} is supported`);
  }
  return Number(value);
}
