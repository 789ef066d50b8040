/**
 * The edge layer's vocabulary. An EdgeOp is one caller's request (an ingest, a
 * registration, …) in a plain-JSON form, so the same value can be compiled to
 * SurrealQL, merged with its neighbours into one transaction, or written to the
 * durable outbox and replayed after a restart.
 *
 * Record ids travel as `[table, key]` pairs: `key` keeps its JSON type, so the
 * integer key `user:1` and the string key `user:⟨1⟩` stay different records.
 */
import type { WireValue } from "../circuit/index.js";
import { silentLogger, type SurrealDatabase, type SurrealLogger } from "../surreal/index.js";

export type RecordKey = string | number;

/** A member record: table, key, and the version the view holds. */
export type MemberRef = readonly [table: string, key: RecordKey, version: number];

/** A record leaving a view. */
export type RecordRef = readonly [table: string, key: RecordKey];

/** What `_spooky_incantation:<viewId>` holds. */
export interface ViewMeta {
  readonly viewId: string;
  readonly clientId: string;
  readonly surrealQL: string;
  /** Wire JSON: record links as `{"$rid": "t:k"}`, stored as real record ids. */
  readonly params: { readonly [name: string]: WireValue };
  readonly ttlMs: number;
  /** Milliseconds since the epoch. */
  readonly lastActiveAt: number;
}

/** One view's edge changes: upserts (CREATED and UPDATED) and removals (DELETED). */
export interface ViewEdgeChanges {
  readonly viewId: string;
  readonly clientId: string;
  readonly upserts: readonly MemberRef[];
  readonly deletes: readonly RecordRef[];
}

export type EdgeOp =
  /** The edge changes of one ingest or one batch, across every view it touched. */
  | { readonly kind: "ingest"; readonly views: readonly ViewEdgeChanges[] }
  /** Re-registration whose membership difference is known: metadata + that difference. */
  | { readonly kind: "replace"; readonly meta: ViewMeta; readonly changes: ViewEdgeChanges }
  /**
   * Registration with the full membership: metadata, and the view's edges made equal
   * to `members` (read the existing edges, then write only the difference).
   */
  | { readonly kind: "register"; readonly meta: ViewMeta; readonly members: readonly MemberRef[] }
  | { readonly kind: "unregister"; readonly viewId: string }
  /** Removes every view's metadata and edges (SSP's own tables only). */
  | { readonly kind: "reset" }
  /**
   * Makes SurrealDB's edges and metadata equal to `views`. With `all`, views absent
   * from the list lose their metadata and edges too.
   */
  | { readonly kind: "resync"; readonly all: boolean; readonly views: readonly ResyncView[] };

export interface ResyncView {
  readonly meta: ViewMeta;
  readonly members: readonly MemberRef[];
}

export type EdgeOpKind = EdgeOp["kind"];

/** How a write ended for its caller: in SurrealDB, or safely in the durable outbox. */
export type WriteStatus = "committed" | "pending";

/** What a resync (or a full registration) changed in SurrealDB. */
export interface ResyncCounts {
  readonly added: number;
  readonly removed: number;
  readonly updated: number;
  /** Views whose metadata was removed because they no longer exist (resync all). */
  readonly viewsRemoved: number;
}

export interface ResyncResult extends ResyncCounts {
  /** "pending": SurrealDB was unreachable; the resync waits in the outbox and counts are 0. */
  readonly status: WriteStatus;
}

/** The SurrealDB seam the edge layer writes through (see src/surreal). */
export type EdgeDatabase = SurrealDatabase;

/** Pino-compatible subset, so the telemetry layer can pass its logger as is. */
export type EdgeLogger = SurrealLogger;

export { silentLogger };

/**
 * The kinds of statement an edge transaction commits (EdgeStoreStats.edgeOperations).
 * Not the `operation` label of `ssp_edge_operations_total`: that one counts
 * membership changes (create, update, delete; telemetry's EdgeOperation).
 */
export type EdgeStatementKind = "relate" | "delete" | "metadata" | "unregister" | "reset" | "resync";

export type EdgeMetric =
  /** Statements counted when the transaction holding them commits. */
  | { readonly kind: "edgeOperations"; readonly operation: EdgeStatementKind; readonly count: number }
  /** One `db.query` call: its duration and whether it succeeded. */
  | { readonly kind: "roundTrip"; readonly seconds: number; readonly ok: boolean }
  /** The outbox backlog changed. */
  | { readonly kind: "outboxPending"; readonly pending: number }
  /** An entry SurrealDB refused for good was set aside; `stale` entries are now set aside and unrepaired. */
  | { readonly kind: "setAside"; readonly op: EdgeOpKind; readonly stale: number }
  /** Set-aside entries left unrepaired after a repair. */
  | { readonly kind: "outboxStale"; readonly stale: number };
