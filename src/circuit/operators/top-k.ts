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
import type { Row } from "../store.js";
import { compareOrderKeys, orderKey } from "../values/order-key.js";
import { BTree } from "./btree.js";
import type { RowSink } from "./operator.js";

/** A row's order key (values/order-key.ts) under `order`: its place in a sorted index. */
export function orderKeyOf(order: readonly OrderKey[]): (row: Row) => string {
  const descending = order.map((o) => o.descending);
  if (order.length === 1) {
    const get = order[0]!.get;
    return (row) => orderKey([get(row)], descending, row.id.key);
  }
  return (row) =>
    orderKey(
      order.map((o) => o.get(row)),
      descending,
      row.id.key,
    );
}

/**
 * The tree's value for a key: the row as last pushed. When a row changes
 * without moving (equal order values), its entry keeps its place and takes the
 * new row; otherwise the old key is erased and the new one inserted.
 */
interface Entry {
  row: Row;
}

interface Event {
  readonly row: Row;
  readonly entered: boolean;
}

export class TopK implements RowSink {
  private readonly keyOf: (row: Row) => string;
  private readonly start: number;
  private readonly limit: number;
  private readonly next: RowSink;
  private readonly tree = new BTree<string, Entry>(undefined, compareOrderKeys);
  private lo: string | undefined;
  private hi: string | undefined;
  private count = 0;
  private events: Event[] = [];

  constructor(order: readonly OrderKey[], start: number, limit: number, next: RowSink) {
    this.keyOf = orderKeyOf(order);
    this.start = start;
    this.limit = limit;
    this.next = next;
  }

  /** Rows currently in the window, in order. */
  *window(): IterableIterator<Row> {
    if (this.count === 0) return;
    let n = 0;
    for (const [, entry] of this.tree.entries(this.lo)) {
      if (n++ >= this.count) return;
      yield entry.row;
    }
  }

  add(row: Row): void {
    this.insert(this.keyOf(row), row);
    this.flush(undefined);
  }

  remove(row: Row): void {
    this.erase(this.keyOf(row));
    this.flush(undefined);
  }

  change(before: Row, after: Row): void {
    const kb = this.keyOf(before);
    const ka = this.keyOf(after);
    if (kb === ka) {
      // Same place in the order (most updates leave the sort keys alone): swap the row in.
      this.tree.get(kb)!.row = after;
      if (this.count > 0 && kb >= this.lo! && kb <= this.hi!) this.next.change(before, after);
      return;
    }
    this.erase(kb);
    this.insert(ka, after);
    this.flush(before);
  }

  /** `key` is in the tree. */
  private enter(key: string): void {
    this.events.push({ row: this.tree.get(key)!.row, entered: true });
  }

  private leave(key: string): void {
    this.events.push({ row: this.tree.get(key)!.row, entered: false });
  }

  private insert(k: string, row: Row): void {
    this.tree.set(k, { row });
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
    if (k < this.lo!) {
      // Inserted before the window: everything shifts right by one.
      this.lo = this.tree.nextLowerKey(this.lo!)!;
      this.enter(this.lo);
      if (this.count === this.limit) {
        this.leave(this.hi!);
        this.hi = this.tree.nextLowerKey(this.hi!)!;
      } else {
        this.count++;
      }
      return;
    }
    if (this.count < this.limit) {
      // Not full: the window runs to the end of the tree, so the new row joins it.
      this.count++;
      this.enter(k);
      if (k > this.hi!) this.hi = k;
      return;
    }
    if (k < this.hi!) {
      this.enter(k);
      this.leave(this.hi!);
      this.hi = this.tree.nextLowerKey(this.hi!)!;
    }
  }

  private erase(k: string): void {
    if (this.count === 0) {
      this.tree.delete(k);
      return;
    }
    const beforeLo = k < this.lo!;
    if (!beforeLo && k > this.hi!) {
      this.tree.delete(k);
      return;
    }
    const next = this.tree.nextHigherKey(this.hi!);
    if (beforeLo) {
      // Removed before the window: everything shifts left by one.
      this.leave(this.lo!);
      const newLo = this.tree.nextHigherKey(this.lo!);
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
      if (k === this.lo) this.lo = this.tree.nextHigherKey(k)!;
      if (next !== undefined) {
        this.enter(next);
        this.hi = next;
      } else {
        this.count--;
        if (k === this.hi) this.hi = this.tree.nextLowerKey(k)!;
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
