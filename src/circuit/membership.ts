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
  readonly id: RecordId;
}

export interface MembershipHost {
  versionOf(id: RecordId): number;
  /** Called once per batch, on the first touch. */
  markDirty(m: Membership): void;
}

export class Membership {
  /** Members, by id text. */
  private readonly ids = new Map<string, RecordId>();
  /** Reference counts above one (count − 1); absent means one. */
  private readonly extra = new Map<string, number>();
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

  has(idText: string): boolean {
    return this.ids.has(idText);
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
    if (!this.touched.has(key)) this.touched.set(key, { member: this.ids.has(key), version, id });
  }

  add(id: RecordId): void {
    const key = id.text;
    if (this.ids.has(key)) {
      this.extra.set(key, (this.extra.get(key) ?? 0) + 1);
      return;
    }
    this.touch(id, 0);
    this.ids.set(key, id);
  }

  /** `version`: the version of the row as the path that reached it last saw it. */
  remove(id: RecordId, version: number): void {
    const key = id.text;
    const more = this.extra.get(key);
    if (more !== undefined) {
      if (more > 1) this.extra.set(key, more - 1);
      else this.extra.delete(key);
      this.touch(id, version);
      return;
    }
    if (!this.ids.has(key)) throw new Error(`membership underflow for ${key}`);
    this.touch(id, version);
    this.ids.delete(key);
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
    for (const [key, before] of touched) {
      const id = this.ids.get(key);
      if (id) {
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
    return [...this.ids.values()].sort(compareRecordIds);
  }
}

