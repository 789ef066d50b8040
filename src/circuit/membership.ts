/**
 * A view's membership: reference counts per record id, one per path that
 * reaches the record (a main-query row, a subquery row under some parent). A
 * record is a member while its count is positive.
 *
 * During an ingest the first touch of an id records what the view held before
 * (member? which version?), so the batch's net delta is computed at the end by
 * comparing with what it holds after — whatever happened in between.
 */
import type { Delta } from "./types.js";
import type { RecordId } from "./record-id.js";
import { compareRecordIds } from "./values/compare.js";

export interface Held {
  readonly member: boolean;
  readonly version: number;
  /** The record's latest RecordId object (a record deleted and re-created in one batch gets a new one). */
  id: RecordId;
}

export interface MembershipHost {
  versionOf(id: RecordId): number;
  /** Called once per batch, on the first touch. */
  markDirty(m: Membership): void;
}

export class Membership {
  /**
   * Members, by RecordId object: the store keeps one object per living record
   * (across updates), so identity is cheap and needs no id text.
   */
  private readonly ids = new Set<RecordId>();
  /** Reference counts above one (count − 1); absent means one. */
  private readonly extra = new Map<RecordId, number>();
  private touched: Map<string, Held> | undefined;
  /** Off while a view is being built or dropped: those report their own delta. */
  logging = false;
  private readonly host: MembershipHost;

  constructor(host: MembershipHost) {
    this.host = host;
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: RecordId): boolean {
    return this.ids.has(id);
  }

  /**
   * Remembers what the view held for `id` before the batch's first change to
   * it; `version` is the version the view holds if `id` is a member. Every
   * instance holding a changed record calls this (through `change` or
   * `remove`), so a content change reaches exactly the views holding it.
   */
  touch(id: RecordId, version: number): void {
    if (!this.logging) return;
    if (!this.touched) {
      this.touched = new Map();
      this.host.markDirty(this);
    }
    const key = id.text;
    const held = this.touched.get(key);
    if (held) held.id = id;
    else this.touched.set(key, { member: this.ids.has(id), version, id });
  }

  add(id: RecordId): void {
    if (this.ids.has(id)) {
      this.extra.set(id, (this.extra.get(id) ?? 0) + 1);
      return;
    }
    this.touch(id, 0);
    this.ids.add(id);
  }

  /** `version`: the version of the row as the path that reached it last saw it. */
  remove(id: RecordId, version: number): void {
    const more = this.extra.get(id);
    if (more !== undefined) {
      if (more > 1) this.extra.set(id, more - 1);
      else this.extra.delete(id);
      this.touch(id, version);
      return;
    }
    if (!this.ids.has(id)) throw new Error(`membership underflow for ${id.text}`);
    this.touch(id, version);
    this.ids.delete(id);
  }

  /** Drops every member at once (a view's root being torn down). */
  clear(): void {
    this.ids.clear();
    this.extra.clear();
  }

  /** The batch's net deltas, ordered by record id; clears the touch log. */
  takeDeltas(): Delta[] {
    const touched = this.touched;
    this.touched = undefined;
    if (!touched) return [];
    const out: Delta[] = [];
    for (const before of touched.values()) {
      const id = before.id;
      if (this.ids.has(id)) {
        const version = this.host.versionOf(id);
        if (!before.member) out.push({ id, event: "CREATED", version });
        else if (before.version !== version) out.push({ id, event: "UPDATED", version });
      } else if (before.member) {
        out.push({ id: before.id, event: "DELETED", version: before.version });
      }
    }
    return out.length > 1 ? out.sort((a, b) => compareRecordIds(a.id, b.id)) : out;
  }

  /** Members ordered by record id. */
  sortedIds(): RecordId[] {
    return [...this.ids].sort(compareRecordIds);
  }
}

