/**
 * ORDER BY … [START s] LIMIT l over a plan's shared sorted rows (sorted-rows.ts):
 * the instance keeps only its first s + l matching rows (`kept`, in order) and
 * emits ranks [s, s + l) of them. A row entering before the last kept one
 * displaces it; a kept row leaving is replaced by the next matching row after
 * the last kept one, found by scanning the shared rows from there.
 *
 * Used instead of top-k.ts when many instances of one plan would otherwise
 * each keep every matching row in a tree of their own (ranges, CONTAINS, no
 * dispatch), and s + l is small: windows are arrays, and a change that moves
 * the visible ranks is emitted by diffing them (most changes do not touch them).
 *
 * Invariants: `kept` holds the first min(s + l, matching) matching rows in
 * order; `complete` is true iff no matching row lies outside `kept`.
 *
 * The price: when a kept row leaves a full window, the refill scans the shared
 * rows after the last kept one until the next match, so a view whose few
 * matches lie far apart in the order pays for the rows in between (top-k.ts
 * would find the next one in O(log n), at the cost of a tree per view).
 */
import type { Row } from "../store.js";
import type { RowSink } from "./operator.js";
import type { SortedRows } from "./sorted-rows.js";

interface Kept {
  /** The row's order key (values/order-key.ts). */
  readonly key: string;
  readonly row: Row;
}

export class Window implements RowSink {
  private readonly rows: SortedRows;
  private readonly start: number;
  private readonly end: number;
  private readonly matches: (row: Row) => boolean;
  private readonly next: RowSink;
  private kept: Kept[] = [];
  private complete = true;
  /** The visible rows as they were before the current operation first touched them. */
  private shown: Kept[] | undefined;

  constructor(rows: SortedRows, start: number, limit: number, matches: (row: Row) => boolean, next: RowSink) {
    this.rows = rows;
    this.start = start;
    this.end = start + limit;
    this.matches = matches;
    this.next = next;
  }

  /** Fills the window from the shared rows (a new instance). */
  fill(): void {
    this.complete = false;
    this.refill();
    this.emit();
  }

  add(row: Row): void {
    this.admit(this.entry(row));
    this.emit();
  }

  remove(row: Row): void {
    if (this.drop(this.rows.keyOf(row))) this.refill();
    this.emit();
  }

  /**
   * True when a change cannot touch this window, whether or not its rows
   * match: rows are left out past the last kept one, and the change's rows
   * (either absent) both sort after it. Most rows lie there, so the instance
   * asks this before evaluating its WHERE.
   */
  passesBy(before: Row | undefined, after: Row | undefined): boolean {
    const bound = this.bound();
    if (bound === undefined) return false;
    if (before && this.rows.keyOf(before) <= bound) return false;
    return !after || this.rows.keyOf(after) > bound;
  }

  /**
   * The last kept row's key while rows are left out past it: no change whose
   * rows both sort after it touches this window. Undefined when any may. It
   * rises only in `refill`, which tells the shared rows (window-bound-index.ts).
   */
  bound(): string | undefined {
    return this.complete ? undefined : this.kept[this.kept.length - 1]?.key;
  }

  change(before: Row, after: Row): void {
    const dropped = this.drop(this.rows.keyOf(before));
    // Not kept again if it moved past the last kept row while rows are left out:
    // the refill finds it, or a matching row that now comes before it.
    this.admit(this.entry(after));
    if (dropped) this.refill();
    this.emit(before);
  }

  private entry(row: Row): Kept {
    return { key: this.rows.keyOf(row), row };
  }

  /** A newly matching row: kept if it comes before the last kept one, or if nothing is left out. */
  private admit(k: Kept): void {
    const last = this.kept[this.kept.length - 1];
    if (this.complete || (last && k.key < last.key)) {
      this.insert(k);
      if (this.kept.length > this.end) {
        this.kept.pop();
        this.complete = false;
      }
    }
  }

  private insert(k: Kept): void {
    const i = this.position(k.key);
    this.touch(i);
    this.kept.splice(i, 0, k);
  }

  /** Removes the kept row with key `k`; true when it was kept. */
  private drop(key: string): boolean {
    const i = this.position(key);
    const found = this.kept[i];
    if (!found || found.key !== key) return false;
    this.touch(i);
    this.kept.splice(i, 1);
    return true;
  }

  /** Tops `kept` up from the shared rows after the last kept one, while rows are left out. */
  private refill(): void {
    if (this.complete || this.kept.length >= this.end) return;
    this.rows.boundsMayRise();
    const last = this.kept[this.kept.length - 1];
    for (const [key, row] of this.rows.after(last?.key)) {
      if (!this.matches(row)) continue;
      this.touch(this.kept.length);
      this.kept.push({ key, row });
      if (this.kept.length >= this.end) {
        // Whether anything matches beyond is found out when a kept row leaves.
        this.complete = false;
        return;
      }
    }
    this.complete = true;
  }

  /** The first index whose key is not before `k`. */
  private position(key: string): number {
    let lo = 0;
    let hi = this.kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.kept[mid]!.key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Remembers the visible rows before the first change at or before index `i` that can move them. */
  private touch(i: number): void {
    if (i < this.end && !this.shown) this.shown = this.visible();
  }

  private visible(): Kept[] {
    return this.kept.slice(this.start, this.end);
  }

  /**
   * Emits what entered, left or changed in the visible ranks (a changed row: as
   * last emitted → as now). A row `change`d while it stays visible is passed on
   * as `changed` → now even when the kept object is the same: a row pushed
   * because a record it reads through a link changed (link-index.ts) arrives as
   * a copy that reads the earlier state → the stored row itself, and the next
   * operator (its subqueries, its fetched records) must see that difference.
   */
  private emit(changed?: Row): void {
    const before = this.shown;
    if (!before) return;
    this.shown = undefined;
    const now = this.visible();
    const was = new Map<string, Row>();
    for (const k of before) was.set(k.row.id.text, k.row);
    const is = new Set<string>();
    for (const k of now) {
      const key = k.row.id.text;
      is.add(key);
      const old = was.get(key);
      if (!old) this.next.add(k.row);
      else if (changed !== undefined && changed.id.text === key) this.next.change(changed, k.row);
      else if (old !== k.row) this.next.change(old, k.row);
    }
    for (const [key, row] of was) if (!is.has(key)) this.next.remove(row);
  }
}
