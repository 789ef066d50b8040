/**
 * A view's membership: reference counts per record id, one per path that
 * reaches the record (a main-query row, a subquery row under some parent). A
 * record is a member while its count is positive.
 *
 * During an ingest the first touch of an id records what the view held before
 * (member? which version?), so the batch's net delta is computed at the end by
 * comparing with what it holds after — whatever happened in between: the
 * composition of the batch's changes to the record (delta.ts).
 */
import { netDelta } from "./delta.js";
import type { Delta } from "./types.js";
import type { RecordId } from "./record-id.js";
import { sortFew } from "./sort-few.js";
import { compareRecordIds } from "./values/compare.js";

export interface Held {
  readonly member: boolean;
  readonly version: number;
  /** Whether the view holds it now: every later add or remove of the id is logged, so no lookup is needed at the end. */
  now: boolean;
  /** The record's latest RecordId object (a record deleted and re-created in one batch gets a new one). */
  id: RecordId;
}

const byRecordId = (a: Delta, b: Delta): number => compareRecordIds(a.id, b.id);

/** Touch logs longer than this are indexed by id text rather than scanned. */
const SMALL_TOUCH_LOG = 8;

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
  /**
   * What the view held for each id the batch touched, in touch order. Most
   * batches touch a few ids per view, found by a scan; past SMALL_TOUCH_LOG
   * they are also indexed by id text.
   */
  private touched: Held[] | undefined;
  private touchedByText: Map<string, Held> | undefined;
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
   * Remembers what the view held for member `id` before the batch's first
   * change to it, at `version`. Every instance holding a changed record calls
   * this (through `change` or `remove`), so a content change reaches exactly
   * the views holding it.
   */
  touch(id: RecordId, version: number): void {
    if (this.logging) this.log(id, version, true, true);
  }

  add(id: RecordId): void {
    const size = this.ids.size;
    this.ids.add(id);
    if (this.ids.size === size) {
      this.extra.set(id, (this.extra.get(id) ?? 0) + 1);
      return;
    }
    if (this.logging) this.log(id, 0, false, true);
  }

  /** `version`: the version of the row as the path that reached it last saw it. */
  remove(id: RecordId, version: number): void {
    const more = this.extra.size > 0 ? this.extra.get(id) : undefined;
    if (more !== undefined) {
      if (more > 1) this.extra.set(id, more - 1);
      else this.extra.delete(id);
      if (this.logging) this.log(id, version, true, true);
      return;
    }
    if (!this.ids.delete(id)) throw new Error(`membership underflow for ${id.text}`);
    if (this.logging) this.log(id, version, true, false);
  }

  /**
   * The first touch of an id in a batch records what the view held (`member`
   * at `version`); every touch records whether it holds it `now` and its
   * latest RecordId (a record deleted and re-created in one batch gets a new
   * one, equal in table and key).
   */
  private log(id: RecordId, version: number, member: boolean, now: boolean): void {
    let list = this.touched;
    if (!list) {
      list = this.touched = [];
      this.host.markDirty(this);
    }
    const byText = this.touchedByText;
    if (byText) {
      const held = byText.get(id.text);
      if (held) {
        held.id = id;
        held.now = now;
        return;
      }
    } else {
      for (let i = 0; i < list.length; i++) {
        const held = list[i]!;
        if (held.id === id || (held.id.key === id.key && held.id.table === id.table)) {
          held.id = id;
          held.now = now;
          return;
        }
      }
    }
    const held: Held = { member, version, now, id };
    list.push(held);
    if (byText) byText.set(id.text, held);
    else if (list.length > SMALL_TOUCH_LOG) this.touchedByText = new Map(list.map((h) => [h.id.text, h]));
  }

  /** Drops every member at once (a view's root being torn down). */
  clear(): void {
    this.ids.clear();
    this.extra.clear();
    if (this.touched) for (const held of this.touched) held.now = false;
  }

  /** The batch's net deltas, ordered by record id; clears the touch log. */
  takeDeltas(): Delta[] {
    const touched = this.touched;
    this.touched = undefined;
    this.touchedByText = undefined;
    if (!touched) return [];
    const out: Delta[] = [];
    for (const held of touched) {
      // The batch's changes to the id compose to one: from what the view held first to what it holds now (delta.ts).
      const delta = netDelta(held.id, held.member, held.version, held.now, held.now ? this.host.versionOf(held.id) : 0);
      if (delta !== undefined) out.push(delta);
    }
    return sortFew(out, byRecordId);
  }

  /** Members ordered by record id. */
  sortedIds(): RecordId[] {
    return [...this.ids].sort(compareRecordIds);
  }
}

