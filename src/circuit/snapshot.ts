/**
 * The circuit's persisted form: records, tombstones and view specs with their
 * sequence numbers, and the next sequence a new view starts at. Memberships are not stored: they are a function of the
 * records and the specs, recomputed on restore, so a snapshot cannot disagree
 * with itself.
 */
import type { ViewSpec, WireValue } from "./types.js";

export const SNAPSHOT_FORMAT_VERSION = 1;

export interface CircuitSnapshot {
  readonly formatVersion: number;
  readonly records: readonly { readonly id: string; readonly body: { readonly [k: string]: WireValue }; readonly version: number }[];
  /** Deleted records' last versions: `[id, version]`. */
  readonly tombstones: readonly (readonly [string, number])[];
  readonly views: readonly { readonly spec: ViewSpec; readonly sequence: number }[];
  readonly staleIngests: number;
  /**
   * The least sequence number never issued (see Circuit): new views start here.
   * Optional so snapshots written before it existed still load; for those it is
   * taken as one past the highest live view's sequence.
   */
  readonly nextSequence?: number | undefined;
}
