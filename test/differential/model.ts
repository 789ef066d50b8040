/**
 * The reference model of what the engine must report, apart from query
 * semantics (SurrealDB decides those): record versions, and the deltas that
 * turn one membership into the next.
 *
 * Versions (DESIGN.md "Records"): 1 when a record is first seen, +1 on each
 * change of content; an identical re-send changes nothing. A deleted record's
 * version is remembered, so re-creating it continues the count (as the circuit
 * does: versions never go backwards, which keeps subscribers' caches sound).
 *
 * Explicit versions (DESIGN.md): a change whose version is at or below the one
 * held — the record's, or after a delete the last one seen, the DELETE's own
 * included — is stale and ignored. Otherwise the record takes that version.
 */
import type { DeltaEvent } from "../../src/circuit/types.js";
import { type Body, type Change, type RecordRef, recordIdText } from "./arbitraries/records.js";
import { Ref, TABLES, type Table, type Val, isObject, toWire } from "./arbitraries/values.js";

export interface HeldRecord {
  readonly text: string;
  readonly body: Body;
  readonly version: number;
}

/** Member id text → version. */
export type Members = ReadonlyMap<string, number>;

export interface ExpectedDelta {
  readonly id: string;
  readonly event: DeltaEvent;
  readonly version: number;
}

export class RecordModel {
  private readonly held = new Map<string, HeldRecord & { readonly canonical: string }>();
  private readonly tombstones = new Map<string, number>();

  /** Applies `change`; false when it is stale (and changes nothing). */
  apply(change: Change): boolean {
    const text = recordIdText(change.record);
    const old = this.held.get(text);
    const last = old?.version ?? this.tombstones.get(text);
    if (change.version !== undefined && last !== undefined && change.version <= last) return false;
    if (change.op === "DELETE") {
      if (old) this.held.delete(text);
      const seen = change.version ?? old?.version;
      if (seen !== undefined) this.tombstones.set(text, seen);
      return true;
    }
    const body = change.body ?? {};
    const canonical = JSON.stringify(toWire(body));
    if (old && old.canonical === canonical) return true;
    const version = change.version ?? (last ?? 0) + 1;
    this.held.set(text, { text, body, canonical, version });
    return true;
  }

  get(text: string): HeldRecord | undefined {
    return this.held.get(text);
  }

  version(text: string): number {
    const r = this.held.get(text);
    if (!r) throw new Error(`model: ${text} is a member but not held`);
    return r.version;
  }

  /** Every record a held record links to (anywhere in its body, held or not), in id-text order. */
  linkTargets(): RecordRef[] {
    const found = new Map<string, RecordRef>();
    const walk = (v: Val): void => {
      if (v instanceof Ref) {
        if ((TABLES as readonly string[]).includes(v.table)) found.set(v.toString(), { table: v.table as Table, key: v.key });
      } else if (Array.isArray(v)) v.forEach(walk);
      else if (isObject(v)) Object.values(v).forEach(walk);
    };
    for (const r of this.held.values()) walk(r.body);
    return [...found.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, ref]) => ref);
  }

  /** Every held record, in id-text order, as wire JSON: for failure reports. */
  dump(): string[] {
    return [...this.held.values()].sort((a, b) => (a.text < b.text ? -1 : 1)).map((r) => `${r.text} v${r.version} ${r.canonical}`);
  }
}

/** CREATED for entries, DELETED (with the last version held) for exits, UPDATED for version changes. */
export function diffMembers(before: Members, after: Members): ExpectedDelta[] {
  const out: ExpectedDelta[] = [];
  for (const [id, version] of after) {
    const was = before.get(id);
    if (was === undefined) out.push({ id, event: "CREATED", version });
    else if (was !== version) out.push({ id, event: "UPDATED", version });
  }
  for (const [id, version] of before) if (!after.has(id)) out.push({ id, event: "DELETED", version });
  return sortDeltas(out);
}

export function sortDeltas<T extends { readonly id: string }>(deltas: T[]): T[] {
  return deltas.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
