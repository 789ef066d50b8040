/**
 * The delta hub's vocabulary: what it reads from the circuit (ViewSource), what a
 * WatchDeltas stream asks for (WatchRequest) and what it yields (WatchMessage).
 * No gRPC here: the server maps these messages to the proto.
 */
import type { DeltaEvent, Member, RecordId, StoredRecord, ViewState } from "../circuit/index.js";
import type { StreamQuotaLimits } from "./stream-quota.js";

/**
 * Read access to the circuit, implemented by the integrator. Every call is
 * synchronous: the hub takes a snapshot and registers its subscriber in one step,
 * so no delta can slip in between.
 */
export interface ViewSource {
  getView(id: string): ViewState | undefined;
  viewIdsOfClient(clientId: string): readonly string[];
  /**
   * A record's current body. The hub keeps the returned body (in its replay log
   * and in queued messages) without copying it, so a body must never be mutated
   * after it is returned: an update replaces it.
   */
  getRecord(id: RecordId): StoredRecord | undefined;
}

export type RecordBody = StoredRecord["body"];

export interface WatchRequest {
  /** Views to follow by id. Unknown ids fail the whole request. */
  readonly viewIds: readonly string[];
  /** Follow every view of this client, including views registered later. */
  readonly clientId?: string | undefined;
  /** Last sequence received per view id; views not followed are ignored. */
  readonly resumeFrom: ReadonlyMap<string, number>;
  /**
   * The incarnation the cursors in `resumeFrom` were received in (from a snapshot).
   * Another incarnation's cursors are not honoured: those views start with a
   * snapshot marked `reset`. Undefined or empty: taken to be the current one.
   */
  readonly incarnation?: string | undefined;
  /** Attach record bodies to snapshots and to CREATED/UPDATED deltas. */
  readonly includeRecords: boolean;
  /**
   * Confine the stream to this client's views: a named view of another client
   * (or an unknown one), or another clientId, fails the request with a
   * WatchPermissionError; a followed view re-registered for another client is
   * closed.
   */
  readonly owner?: string | undefined;
  /** When set (ms since the epoch, on the hub's clock), the stream ends then with a StreamExpiredError. */
  readonly endsAt?: number | undefined;
}

export interface DeltaHubOptions {
  /** Deltas kept per view for resumption (0 disables resume without snapshot). */
  readonly replayLogSize: number;
  /** Messages a stream may hold for a slow consumer before it overflows. */
  readonly queueLimit: number;
  /** Heartbeat after this long without a message; 0 disables heartbeats. */
  readonly heartbeatMs: number;
  /** Clock for heartbeat timestamps; Date.now by default. */
  readonly now?: () => number;
  /**
   * Names the lineage of states the sequence numbers belong to; it changes
   * whenever a restart cannot prove that no delivered sequence is lost. Every
   * snapshot carries it. "" by default.
   */
  readonly incarnation?: string;
  /** Caps on open streams, in all and per client (stream-quota.ts); none when absent. */
  readonly quotas?: StreamQuotaLimits | undefined;
}

/** One record change as streamed: the circuit's Delta plus, optionally, its body. */
export interface WatchDelta {
  readonly id: RecordId;
  readonly event: DeltaEvent;
  readonly version: number;
  /** The body at the time of the change; only with includeRecords, never for DELETED. */
  readonly record?: RecordBody | undefined;
}

/**
 * A view's whole membership at `sequence`. `reset` is true when the stream asked
 * to resume the view from a cursor that could not be honoured (older than the
 * replay log, ahead of the view, or from another incarnation): the client must
 * replace its state.
 */
export interface SnapshotMessage {
  readonly kind: "snapshot";
  readonly viewId: string;
  readonly sequence: number;
  readonly members: readonly Member[];
  /** Bodies by record id text; only with includeRecords. */
  readonly records?: ReadonlyMap<string, RecordBody> | undefined;
  readonly reset: boolean;
  /** The hub's incarnation: the one to resume these sequences in. */
  readonly incarnation: string;
}

export interface DeltaMessage {
  readonly kind: "delta";
  readonly viewId: string;
  /** The view's client, as published (so a consumer need not look the view up). */
  readonly clientId: string;
  readonly sequence: number;
  readonly deltas: readonly WatchDelta[];
}

/** The view was unregistered (or moved to another client); nothing more follows for it. */
export interface ClosedMessage {
  readonly kind: "closed";
  readonly viewId: string;
  readonly sequence: number;
}

export interface HeartbeatMessage {
  readonly kind: "heartbeat";
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** Messages are shared between streams: consumers must not mutate them. */
export type WatchMessage = SnapshotMessage | DeltaMessage | ClosedMessage | HeartbeatMessage;
