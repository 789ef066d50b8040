/**
 * What every benchmark workload provides: initial records, views, and a
 * seeded, stateful stream of further changes (it knows which ids exist, so
 * UPDATE and DELETE hit live records).
 */
import type { RecordChange, ViewSpec, WireValue } from "../../../src/circuit/index.js";

export type Body = { [key: string]: WireValue };

export interface Workload {
  /** Short, stable name used in JSON and charts, e.g. "W1-filters". */
  readonly name: string;
  readonly title: string;
  /** Sizes that define the workload, for the JSON output. */
  readonly parameters: { readonly [key: string]: number | string };
  readonly tables: readonly string[];
  /** CREATE changes, loaded before the views are registered. */
  readonly records: readonly RecordChange[];
  readonly views: readonly ViewSpec[];
  /** The next change of the ingest stream. */
  next(): RecordChange;
  /** Fields the SurrealDB baseline indexes (the equality fields views filter on), so re-querying is not a strawman. */
  readonly surrealIndexes: readonly { readonly table: string; readonly field: string }[];
  /** A filter view that must scan the workload's largest table, to time registration; `i` varies its params. */
  probeView(i: number): ViewSpec;
  /** The table probeView scans. */
  readonly probeTable: string;
}

export function viewSpec(id: string, surql: string, params: Body): ViewSpec {
  return { id, surql, params, clientId: "bench", ttlMs: 3_600_000, lastActiveAt: 0 };
}

export function link(id: string): WireValue {
  return { $rid: id };
}

/** Live record ids of one table: O(1) add, remove and uniform pick. */
export class LiveIds {
  private readonly ids: string[] = [];
  private readonly at = new Map<string, number>();

  get size(): number {
    return this.ids.length;
  }

  add(id: string): void {
    if (this.at.has(id)) return;
    this.at.set(id, this.ids.length);
    this.ids.push(id);
  }

  remove(id: string): void {
    const i = this.at.get(id);
    if (i === undefined) return;
    const last = this.ids.pop()!;
    this.at.delete(id);
    if (last !== id) {
      this.ids[i] = last;
      this.at.set(last, i);
    }
  }

  has(id: string): boolean {
    return this.at.has(id);
  }

  pick(random: number): string | undefined {
    return this.ids[Math.floor(random * this.ids.length)];
  }
}
