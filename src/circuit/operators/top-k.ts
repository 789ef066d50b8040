/**
 * ORDER BY … START s LIMIT l: keeps every matching row in a B+tree sorted by
 * the order keys then record id, and emits only the window of ranks
 * [s, s + l). A row entering before the window's end displaces the last one; a
 * row leaving is refilled by the next one — each in O(log n), never a scan.
 *
 * Invariant: `lo`/`hi` are the keys of the window's first and last rows and
 * `count` its size; the window is empty iff the tree holds ≤ s rows.
 */
import type { OrderKey } from "../plan/query-plan.js";
import type { RecordId } from "../record-id.js";
import type { Row } from "../store.js";
import { compareRecordIds, compareValues } from "../values/compare.js";
import type { Value } from "../values/value.js";
import { BTree } from "./btree.js";
import type { RowSink } from "./operator.js";

export interface SortKey {
  readonly values: readonly Value[];
  readonly id: RecordId;
}

/**
 * A tree key carries its row. When a row changes without moving (equal order
 * values), its entry keeps its place and takes the new row; otherwise the old
 * entry is erased and a new one inserted.
 */
interface Entry extends SortKey {
  row: Row;
}

export function sortComparator(order: readonly OrderKey[]): (a: SortKey, b: SortKey) => number {
  if (order.length === 1) {
    // The common case, called a few dozen times per tree operation: no loop.
    const descending = order[0]!.descending;
    return (a, b) => {
      const c = compareValues(a.values[0], b.values[0]);
      if (c !== 0) return descending ? -c : c;
      return compareRecordIds(a.id, b.id);
    };
  }
  return (a, b) => {
    for (let i = 0; i < order.length; i++) {
      const c = compareValues(a.values[i], b.values[i]);
      if (c !== 0) return order[i]!.descending ? -c : c;
    }
    return compareRecordIds(a.id, b.id);
  };
}

interface Event {
  readonly row: Row;
  readonly entered: boolean;
}

export class TopK implements RowSink {
  private readonly order: readonly OrderKey[];
  private readonly start: number;
  private readonly limit: number;
  private readonly next: RowSink;
  /** Each entry is also its own value, so `get` finds the stored entry for an equal key. */
  private readonly tree: BTree<Entry, Entry>;
  private lo: Entry | undefined;
  private hi: Entry | undefined;
  private count = 0;
  private events: Event[] = [];

  constructor(order: readonly OrderKey[], start: number, limit: number, next: RowSink) {
    this.order = order;
    this.start = start;
    this.limit = limit;
    this.next = next;
    this.tree = new BTree<Entry, Entry>(undefined, sortComparator(order));
  }

  /** Rows currently in the window, in order. */
  *window(): IterableIterator<Row> {
    if (this.count === 0) return;
    let n = 0;
    for (const entry of this.tree.keys(this.lo)) {
      if (n++ >= this.count) return;
      yield entry.row;
    }
  }

  add(row: Row): void {
    this.insert(this.keyOf(row));
    this.flush(undefined);
  }

  remove(row: Row): void {
    this.erase(this.keyOf(row));
    this.flush(undefined);
  }

  change(before: Row, after: Row): void {
    const kb = this.keyOf(before);
    const ka = this.keyOf(after);
    if (this.cmp(kb, ka) === 0) {
      // Same place in the order (most updates leave the sort keys alone): swap the row in.
      this.tree.get(kb)!.row = after;
      if (this.count > 0 && this.cmp(kb, this.lo!) >= 0 && this.cmp(kb, this.hi!) <= 0) this.next.change(before, after);
      return;
    }
    this.erase(kb);
    this.insert(ka);
    this.flush(before);
  }

  private keyOf(row: Row): Entry {
    const values = this.order.map((o) => o.get(row));
    return { values, id: row.id, row };
  }

  private cmp(a: SortKey, b: SortKey): number {
    return this.tree._compare(a as Entry, b as Entry);
  }

  /** `key` is a key of the tree (or equal to one, built from the same row). */
  private enter(key: Entry): void {
    this.events.push({ row: key.row, entered: true });
  }

  private leave(key: Entry): void {
    this.events.push({ row: key.row, entered: false });
  }

  private insert(k: Entry): void {
    this.tree.set(k, k);
    if (this.limit === 0) return;
    if (this.count === 0) {
      if (this.tree.size > this.start) {
        // The window was empty because the tree held exactly `start` rows: the largest now enters.
        this.lo = this.hi = this.tree.maxKey()!;
        this.count = 1;
        this.enter(this.lo);
      }
      return;
    }
    if (this.cmp(k, this.lo!) < 0) {
      // Inserted before the window: everything shifts right by one.
      this.lo = this.tree.nextLowerKey(this.lo)!;
      this.enter(this.lo);
      if (this.count === this.limit) {
        this.leave(this.hi!);
        this.hi = this.tree.nextLowerKey(this.hi)!;
      } else {
        this.count++;
      }
      return;
    }
    if (this.count < this.limit) {
      // Not full: the window runs to the end of the tree, so the new row joins it.
      this.count++;
      this.enter(k);
      if (this.cmp(k, this.hi!) > 0) this.hi = k;
      return;
    }
    if (this.cmp(k, this.hi!) < 0) {
      this.enter(k);
      this.leave(this.hi!);
      this.hi = this.tree.nextLowerKey(this.hi)!;
    }
  }

  private erase(k: Entry): void {
    if (this.count === 0) {
      this.tree.delete(k);
      return;
    }
    const beforeLo = this.cmp(k, this.lo!) < 0;
    if (!beforeLo && this.cmp(k, this.hi!) > 0) {
      this.tree.delete(k);
      return;
    }
    const next = this.tree.nextHigherKey(this.hi);
    if (beforeLo) {
      // Removed before the window: everything shifts left by one.
      this.leave(this.lo!);
      const newLo = this.tree.nextHigherKey(this.lo);
      if (next !== undefined) {
        this.enter(next);
        this.hi = next;
      } else {
        this.count--;
      }
      this.lo = this.count > 0 ? newLo : undefined;
      if (this.count === 0) this.hi = undefined;
    } else {
      this.leave(k);
      if (this.cmp(k, this.lo!) === 0) this.lo = this.tree.nextHigherKey(k)!;
      if (next !== undefined) {
        this.enter(next);
        this.hi = next;
      } else {
        this.count--;
        if (this.cmp(k, this.hi!) === 0) this.hi = this.tree.nextLowerKey(k)!;
        if (this.count === 0) this.lo = this.hi = undefined;
      }
    }
    this.tree.delete(k);
  }

  /**
   * Nets the window's enters and leaves (a handful per change), so a row that
   * left and came back is a change and one that came and went is nothing.
   */
  private flush(changedBefore: Row | undefined): void {
    const events = this.events;
    if (events.length === 0) return;
    const n = events.length;
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      const key = e.row.id.text;
      let seen = false;
      for (let j = 0; j < i; j++) if (events[j]!.row.id.text === key) seen = true;
      if (seen) continue;
      let delta = 0;
      let last = e.row;
      for (let j = i; j < n; j++) {
        const f = events[j]!;
        if (f.row.id.text !== key) continue;
        delta += f.entered ? 1 : -1;
        if (f.entered) last = f.row;
      }
      if (delta < 0) this.next.remove(e.row);
      else if (delta > 0) this.next.add(last);
      else if (changedBefore && key === changedBefore.id.text) this.next.change(e.row, last);
    }
    events.length = 0;
  }
}
