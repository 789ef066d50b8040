/**
 * The seam between the RPC layer and SSP's services. Handlers translate proto
 * messages to these plain types and call a Core; main.ts builds the Core from
 * the circuit, the edge writer, the journal and the delta hub. It lives in
 * src/core so that the server depends on the core's types, never the reverse.
 *
 * Every capability but `info` and `readiness` is optional: the server answers
 * UNIMPLEMENTED for an RPC whose capability is missing, never a fake success.
 * Errors: throw an error with `code: "INVALID_ARGUMENT" | "NOT_FOUND" | …` (a
 * gRPC code name, as the circuit's CircuitError does) and a message a person can
 * act on; the server maps it. Anything else becomes INTERNAL and is logged.
 */
import type { WatchMessage } from "../streaming/index.js";
import type {
  IngestResult,
  RecordChange,
  ViewDelta,
  ViewSpec,
  ViewState,
  ViewSummary,
  WireValue,
} from "../circuit/index.js";

export type Awaitable<T> = T | Promise<T>;

/** A record body as wire JSON (record links as `{"$rid": …}`). */
export type WireObject = { readonly [key: string]: WireValue };

/** Where a mutation's SurrealDB edge writes stand when it answers. */
export type EdgeState = "committed" | "pending" | "none";

export interface IngestOutcome extends IngestResult {
  readonly edges: EdgeState;
}

export interface RegisterOutcome {
  readonly view: ViewState;
  /** When the id replaced an existing view: the difference, if any. */
  readonly replaced?: ViewDelta | undefined;
  readonly edges: EdgeState;
}

export interface EdgesOutcome {
  readonly edges: EdgeState;
}

/** Which views a WatchDeltas stream follows. */
export interface WatchRequest {
  /** Views followed by id (may be empty when `clientId` is set). */
  readonly viewIds: readonly string[];
  /** Follow every view of this client, including views registered later. */
  readonly clientId: string | undefined;
  /** Last sequence received, per view id. */
  readonly resumeFrom: ReadonlyMap<string, number>;
  /** The incarnation the cursors were received in; undefined: the current one. */
  readonly incarnation: string | undefined;
  readonly includeRecords: boolean;
  /**
   * Confine the stream to this client's views (a subscriber token's client):
   * naming any other view (or an unknown one) or client id fails with
   * PERMISSION_DENIED before anything is streamed.
   */
  readonly owner?: string | undefined;
  /** End the stream at this time (ms since the epoch) with UNAUTHENTICATED and the resume cursors. */
  readonly endsAt?: number | undefined;
}

/** One message of a WatchDeltas stream: the delta hub's own (one type from the hub to the wire). */
export type { WatchMessage } from "../streaming/index.js";

export interface SaveOutcome {
  readonly bytes: number;
  readonly durationMs: number;
}

/** Counts for GetServerInfo; the server adds version and uptime itself. */
export interface CoreInfo {
  readonly views: number;
  readonly records: number;
  readonly streams: number;
  readonly outboxPending: number;
  /** The incarnation sequence numbers belong to ("" when the core has none). */
  readonly incarnation?: string | undefined;
}

export interface ResyncOutcome {
  readonly added: number;
  readonly removed: number;
  readonly updated: number;
}

export interface ReadinessCheck {
  readonly ok: boolean;
  /** Why a check fails (or a short status); shown in /health/ready. */
  readonly detail?: string | undefined;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
}

export interface Core {
  /** Applies changes atomically, in order (a batch of one for Ingest). */
  ingest?(changes: readonly RecordChange[]): Promise<IngestOutcome>;
  registerView?(spec: ViewSpec): Promise<RegisterOutcome>;
  /** Throws a NOT_FOUND error for an unknown id. */
  unregisterView?(id: string): Promise<EdgesOutcome>;
  reset?(): Promise<EdgesOutcome>;
  /** Undefined for an unknown id (the server answers NOT_FOUND). */
  getView?(id: string): Awaitable<ViewState | undefined>;
  /** Views ordered by id; only `clientId`'s when given. */
  listViews?(clientId?: string): Awaitable<readonly ViewSummary[]>;
  /**
   * The stream of one WatchDeltas call. It ends when `signal` aborts (client
   * gone or server shutting down); throwing ends the stream with that error.
   */
  watch?(request: WatchRequest, signal: AbortSignal): AsyncIterable<WatchMessage>;
  save?(): Promise<SaveOutcome>;
  resyncEdges?(viewId?: string): Promise<ResyncOutcome>;
  info(): Awaitable<CoreInfo>;
  readiness(): Promise<Readiness>;
  /** Called once at shutdown after in-flight calls drained: save, close the DB. */
  close?(): Promise<void>;
}
