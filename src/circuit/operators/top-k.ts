/**
 * ORDER BY … START s LIMIT l over one instance's own matching rows (an
 * equality-dispatched plan: each instance sees only its bucket's rows), and
 * emits only the window of ranks [s, s + l).
 *
 * Every row sits in a map by record key with its order key, but only the
 * first rows are kept in order: a B+tree `head` holds the window, the row
 * after it and some slack; the rest (the tail) are in the map alone. A row
 * entering before the window's end displaces the last one and a row leaving
 * is replaced by the next one, both in O(log head). A change among tail rows
 * (most changes, in a table larger than its window) costs one map lookup, not
 * two tree edits in a cache-cold tree. When rows leaving the head have used
 * up the slack, one pass over the tail moves its first rows in: O(rows) once
 * per `slack` departures, the slack growing with the table (1/32 of it) so
 * that stays O(1) per departure.
 *
 * Invariants: every tail key sorts after every head key; while the tail is
 * not empty the head holds at least s + l + 1 rows (so the window and the row
 * after it are in the head); `lo`/`hi` are the keys of the window's first and
 * last rows and `count` its size; the window is empty iff there are ≤ s rows.
 */
import type { OrderKey } from "../plan/query-plan.js";
import type { RecordKey } from "../record-id.js";
import type { Row } from "../store.js";
import { compareOrderKeys } from "../values/order-key.js";
import { must } from "../invariants.js";
import { BTree } from "./btree.js";
import type { HoldingSink, RowSink } from "./operator.js";
import { orderKeyOf } from "./order-key-of.js";
import { selectFirst } from "./select-first.js";

/** A row and its order key; `inHead` while the head tree holds it. */
interface Entry {
  key: string;
  row: Row;
  inHead: boolean;
}

interface Event {
  readonly row: Row;
  readonly entered: boolean;
}

/** What a miss would break, named by the error `must` throws. */
const GIVEN = "top-k holds every row given to it and not removed";
const IN_HEAD = "an entry marked inHead is in the head tree";
const WINDOW_SET = "lo and hi are set while the window is not empty";
const HEAD_SET = "the head is not empty while the tail holds rows";
const NEIGHBOUR = "the window's neighbour is in the head";

/** The head keeps at least this many rows beyond the window (more for large tables: see `slack`). */
const MIN_SLACK = 32;

export class TopK implements HoldingSink {
  private readonly keyOf: (row: Row) => string;
  private readonly start: number;
  private readonly limit: number;
  private readonly next: RowSink;
  private readonly minSlack: number;
  /** The first rows in order: the window, the row after it, and up to twice the slack more. */
  private readonly head = new BTree<string, Entry>(undefined, compareOrderKeys);
  /** Every row, head or tail, by record key (one plan, one table). */
  private readonly byKey = new Map<RecordKey, Entry>();
  /** The head's last key; undefined when the head is empty. */
  private headMax: string | undefined;
  private lo: string | undefined;
  private hi: string | undefined;
  private count = 0;
  private events: Event[] = [];

  /** `minSlack`: rows kept in order beyond the window (tests shrink it to reach the tail with few rows). */
  constructor(order: readonly OrderKey[], start: number, limit: number, next: RowSink, minSlack = MIN_SLACK) {
    this.keyOf = orderKeyOf(order);
    this.start = start;
    this.limit = limit;
    this.next = next;
    this.minSlack = Math.max(1, minSlack);
  }

  /** Rows currently in the window, in order. */
  *window(): IterableIterator<Row> {
    if (this.count === 0) return;
    let n = 0;
    for (const [, entry] of this.head.entries(this.lo)) {
      if (n++ >= this.count) return;
      yield entry.row;
    }
  }

  /** Whether `row`'s record is among the rows given (window or not). */
  holds(row: Row): boolean {
    return this.byKey.has(row.id.key);
  }

  add(row: Row): void {
    this.insert({ key: this.keyOf(row), row, inHead: false });
    this.flush(undefined);
  }

  remove(row: Row): void {
    this.erase(must(this.byKey.get(row.id.key), GIVEN));
    this.flush(undefined);
  }

  change(before: Row, after: Row): void {
    const entry = must(this.byKey.get(before.id.key), GIVEN);
    const ka = this.keyOf(after);
    if (entry.key === ka) {
      // Same place in the order (most updates leave the sort keys alone): swap the row in.
      entry.row = after;
      if (entry.inHead && this.count > 0 && ka >= must(this.lo, WINDOW_SET) && ka <= must(this.hi, WINDOW_SET)) this.next.change(before, after);
      return;
    }
    if (!entry.inHead && ka > must(this.headMax, HEAD_SET)) {
      // From the unordered tail to the tail: no tree is touched.
      entry.key = ka;
      entry.row = after;
      return;
    }
    this.erase(entry);
    this.insert({ key: ka, row: after, inHead: false });
    this.flush(before);
  }

  /** Rows the head keeps beyond the window before it refills, and half what it may hold before it evicts. */
  private get slack(): number {
    return Math.max(this.minSlack, this.byKey.size >> 5);
  }

  /** The row after the window's last. */
  private get need(): number {
    return this.start + this.limit + 1;
  }

  /** `key` is in the head. */
  private enter(key: string): void {
    this.events.push({ row: must(this.head.get(key), IN_HEAD).row, entered: true });
  }

  private leave(key: string): void {
    this.events.push({ row: must(this.head.get(key), IN_HEAD).row, entered: false });
  }

  private insert(entry: Entry): void {
    this.byKey.set(entry.row.id.key, entry);
    const k = entry.key;
    if (this.byKey.size > this.head.size + 1 && k > must(this.headMax, HEAD_SET)) return; // into the tail, after every head row
    entry.inHead = true;
    this.head.set(k, entry);
    if (this.headMax === undefined || k > this.headMax) this.headMax = k;
    this.place(k);
    if (this.head.size > this.need + 2 * this.slack) this.evict();
  }

  /** The window's side of inserting head key `k`. */
  private place(k: string): void {
    if (this.limit === 0) return;
    if (this.count === 0) {
      if (this.head.size > this.start) {
        // The window was empty because the tree held exactly `start` rows: the largest now enters.
        this.lo = this.hi = must(this.head.maxKey(), HEAD_SET);
        this.count = 1;
        this.enter(this.lo);
      }
      return;
    }
    const lo = must(this.lo, WINDOW_SET);
    const hi = must(this.hi, WINDOW_SET);
    if (k < lo) {
      // Inserted before the window: everything shifts right by one.
      this.lo = must(this.head.nextLowerKey(lo), NEIGHBOUR);
      this.enter(this.lo);
      if (this.count === this.limit) {
        this.leave(hi);
        this.hi = must(this.head.nextLowerKey(hi), NEIGHBOUR);
      } else {
        this.count++;
      }
      return;
    }
    if (this.count < this.limit) {
      // Not full: the window runs to the end of the tree, so the new row joins it.
      this.count++;
      this.enter(k);
      if (k > hi) this.hi = k;
      return;
    }
    if (k < hi) {
      this.enter(k);
      this.leave(hi);
      this.hi = must(this.head.nextLowerKey(hi), NEIGHBOUR);
    }
  }

  private erase(entry: Entry): void {
    this.byKey.delete(entry.row.id.key);
    if (!entry.inHead) return;
    const k = entry.key;
    this.unplace(k);
    this.head.delete(k);
    if (k === this.headMax) this.headMax = this.head.maxKey();
    // The tail is non-empty only while the head holds the window and the row after it.
    if (this.head.size < this.need && this.byKey.size > this.head.size) this.refill();
  }

  /** The window's side of erasing head key `k` (still in the head). */
  private unplace(k: string): void {
    if (this.count === 0) return;
    const lo = must(this.lo, WINDOW_SET);
    const hi = must(this.hi, WINDOW_SET);
    const beforeLo = k < lo;
    if (!beforeLo && k > hi) return;
    const next = this.head.nextHigherKey(hi);
    if (beforeLo) {
      // Removed before the window: everything shifts left by one.
      this.leave(lo);
      const newLo = this.head.nextHigherKey(lo);
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
      // Either may run off the head here: only when the window empties, which clears both below.
      if (k === lo) this.lo = this.head.nextHigherKey(k);
      if (next !== undefined) {
        this.enter(next);
        this.hi = next;
      } else {
        this.count--;
        if (k === hi) this.hi = this.head.nextLowerKey(k);
        if (this.count === 0) this.lo = this.hi = undefined;
      }
    }
  }

  /**
   * Moves the head's last rows to the tail, down to the window, the row after
   * it and the slack: all sort after the window, so it does not change.
   */
  private evict(): void {
    const keep = this.need + this.slack;
    while (this.head.size > keep) {
      const k = must(this.head.maxKey(), HEAD_SET);
      must(this.head.get(k), IN_HEAD).inHead = false;
      this.head.delete(k);
    }
    this.headMax = this.head.maxKey();
  }

  /**
   * Moves the tail's first rows (found by one pass over it) into the head, up
   * to the window, the row after it and the slack. They sort after every head
   * row, and the head held the window (or all rows), so the window does not
   * change either. O(rows), once per `slack` rows leaving the head.
   */
  private refill(): void {
    const tail: Entry[] = [];
    for (const e of this.byKey.values()) if (!e.inHead) tail.push(e);
    const take = Math.min(tail.length, this.need + this.slack - this.head.size);
    selectFirst(tail, take);
    for (let i = 0; i < take; i++) {
      const e = tail[i]!;
      e.inHead = true;
      this.head.set(e.key, e);
    }
    this.headMax = this.head.maxKey();
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
      // The change's own `before`, not the stored row: it may carry how its links read before
      // the change (circuit.ts `asBefore`), which the subqueries compare their `$parent` paths by.
      else if (changedBefore && key === changedBefore.id.text) this.next.change(changedBefore, last);
    }
    events.length = 0;
  }
}
