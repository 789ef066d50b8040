/**
 * The circuit's public vocabulary: what goes in (record changes, view specs) and
 * what comes out (per-view deltas, memberships). Every other part of SSP speaks
 * these types; the circuit itself imports nothing from the rest of SSP.
 */
import type { RecordId } from "./record-id.js";

/** A record change's kind, as SurrealDB names it. */
export type Operation = "CREATE" | "UPDATE" | "DELETE";

/**
 * JSON as it arrives from the wire: a record link is the object `{"$rid": "t:k"}`,
 * a plain string stays a string.
 */
export type WireValue =
  | null
  | boolean
  | number
  | string
  | WireValue[]
  | { [key: string]: WireValue };

/** One change to one record, not yet validated. */
export interface RecordChange {
  /** Case-insensitive CREATE | UPDATE | DELETE; anything else is rejected. */
  readonly op: string;
  /** Record id text, `table:key`. */
  readonly id: string;
  /** Optional; when set it must equal the id's table. */
  readonly table?: string | undefined;
  /** The full body after the change; must be an object unless op is DELETE. */
  readonly body?: WireValue | undefined;
  /** Explicit version; a version ≤ the held one makes the change stale. */
  readonly version?: number | undefined;
}

export type DeltaEvent = "CREATED" | "UPDATED" | "DELETED";

/** One record's change in one view. */
export interface Delta {
  readonly id: RecordId;
  readonly event: DeltaEvent;
  /** Version after the change; for DELETED, the last version the view held. */
  readonly version: number;
}

/** What one mutation did to one view. `sequence` is the view's number after it. */
export interface ViewDelta {
  readonly viewId: string;
  readonly clientId: string;
  /**
   * Gap-free per view: each non-empty ViewDelta advances it by exactly one.
   * Never repeated for a view id across incarnations: a view registered anew
   * (after unregister or reset) starts past every sequence the circuit ever
   * issued, so a resume cursor of an earlier view with the same id never
   * matches it. See RegisterResult.
   */
  readonly sequence: number;
  /** At most one entry per record id. Never empty. */
  readonly deltas: readonly Delta[];
}

export interface IngestResult {
  /** One entry per view whose membership or member versions changed. */
  readonly views: readonly ViewDelta[];
  readonly applied: number;
  readonly stale: number;
}

/** A view as registered. Params are wire JSON (`{"$rid": …}` for record links). */
export interface ViewSpec {
  readonly id: string;
  readonly surql: string;
  readonly params: { readonly [name: string]: WireValue };
  readonly clientId: string;
  readonly ttlMs: number;
  /** Milliseconds since the epoch. */
  readonly lastActiveAt: number;
}

export interface Member {
  readonly id: RecordId;
  readonly version: number;
}

/** A view's current state: its spec, sequence and membership (ordered by id). */
export interface ViewState {
  readonly spec: ViewSpec;
  readonly sequence: number;
  readonly members: readonly Member[];
}

/** A view's summary, without its membership. */
export interface ViewSummary {
  readonly spec: ViewSpec;
  readonly sequence: number;
  readonly memberCount: number;
}

export interface RegisterResult {
  /**
   * The view after registration. Its `sequence` continues the live view's
   * when the id replaced one; for a new view it is the least number the
   * circuit has never issued to any view (0 on a fresh circuit), kept across
   * unregister, reset and snapshots.
   */
  readonly view: ViewState;
  /** When the id replaced an existing view: the difference, if any. */
  readonly replaced?: ViewDelta | undefined;
}

export interface UnregisterResult {
  /** The view as it was just before removal. */
  readonly view: ViewState;
}

export interface StoredRecord {
  readonly id: RecordId;
  /** The body as wire JSON (record links as `{"$rid": …}`). */
  readonly body: { readonly [key: string]: WireValue };
  readonly version: number;
}
