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
import { parseRecordId, type RecordId } from "./record-id.js";
import { compareRecordIds } from "./values/compare.js";

export interface Held {
  readonly member: boolean;
  readonly version: number;
}

/** Shared by all views: which views hold a record, so a content change reaches exactly them. */
export type MemberIndex = Map<string, Set<Membership>>;

export interface MembershipHost {
  readonly members: MemberIndex;
  versionOf(idText: string): number;
  /** Called once per batch, on the first touch. */
  markDirty(m: Membership): void;
}

export class Membership {
  readonly counts = new Map<string, number>();
  private readonly ids = new Map<string, RecordId>();
  private touched: Map<string, Held> | undefined;
  private readonly host: MembershipHost;

  constructor(host: MembershipHost) {
    this.host = host;
  }

  has(idText: string): boolean {
    return this.counts.has(idText);
  }

  /** Remembers what the view held for `idText` before the batch's first change to it. */
  touch(idText: string): void {
    if (!this.touched) {
      this.touched = new Map();
      this.host.markDirty(this);
    }
    if (!this.touched.has(idText)) {
      const member = this.counts.has(idText);
      this.touched.set(idText, { member, version: member ? this.host.versionOf(idText) : 0 });
    }
  }

  add(id: RecordId): void {
    const key = id.text;
    const n = this.counts.get(key);
    if (n !== undefined) {
      this.counts.set(key, n + 1);
      return;
    }
    this.touch(key);
    this.counts.set(key, 1);
    this.ids.set(key, id);
    let views = this.host.members.get(key);
    if (!views) this.host.members.set(key, (views = new Set()));
    views.add(this);
  }

  remove(id: RecordId): void {
    const key = id.text;
    const n = this.counts.get(key);
    if (n === undefined) throw new Error(`membership underflow for ${key}`);
    if (n > 1) {
      this.counts.set(key, n - 1);
      return;
    }
    this.touch(key);
    this.counts.delete(key);
    this.ids.delete(key);
    const views = this.host.members.get(key);
    if (views) {
      views.delete(this);
      if (views.size === 0) this.host.members.delete(key);
    }
  }

  /** The batch's net deltas, ordered by record id; clears the touch log. */
  takeDeltas(): Delta[] {
    const touched = this.touched;
    this.touched = undefined;
    if (!touched) return [];
    const out: Delta[] = [];
    for (const [key, before] of touched) {
      const member = this.counts.has(key);
      if (member) {
        const version = this.host.versionOf(key);
        if (!before.member) out.push({ id: this.ids.get(key)!, event: "CREATED", version });
        else if (before.version !== version) out.push({ id: this.ids.get(key)!, event: "UPDATED", version });
      } else if (before.member) {
        out.push({ id: parseRecordId(key), event: "DELETED", version: before.version });
      }
    }
    return out.sort((a, b) => compareRecordIds(a.id, b.id));
  }

  /** Members ordered by record id. */
  sortedIds(): RecordId[] {
    return [...this.ids.values()].sort(compareRecordIds);
  }
}
