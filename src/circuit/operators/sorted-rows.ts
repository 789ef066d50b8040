/**
 * A table's rows in one plan's ORDER BY order, shared by all instances of that
 * plan: each view's window (window.ts) keeps only its own first rows and reads
 * on from here when some leave.
 *
 * Windows are small and start at the front, so only the front is kept in
 * order: a B+tree holds every row whose order key is at most `edge`, and the
 * rows past it are not indexed at all (they are in the store). A change past
 * the edge (most changes: the front is a small share of the table) costs a key
 * comparison and no tree edit. A read that runs past the edge brings the next
 * rows in with one pass over the table, twice as many each time, so a window
 * reading deep stops paying for it; a front grown to twice its size by
 * insertions gives its last rows back.
 *
 * The tree holds order keys (values/order-key.ts) and record ids; rows are
 * read from the store as they are now, so an update that leaves a row's sort
 * values alone (most do) costs nothing at all.
 *
 * Invariant: after `update(before, after)` for every change of the table (the
 * plan node calls it before pushing the change to any instance), the tree
 * holds exactly the order keys of the table's current rows that are at most
 * `edge` (every row's, when `complete`).
 */
import type { OrderKey } from "../plan/query-plan.js";
import type { RecordId } from "../record-id.js";
import type { Row } from "../store.js";
import { sameContent } from "../values/compare.js";
import { compareOrderKeys } from "../values/order-key.js";
import { must } from "../invariants.js";
import { BTree } from "./btree.js";
import { orderKeyOf } from "./order-key-of.js";
import { selectFirst } from "./select-first.js";

/** The plan's table as it is now. */
export interface TableRows {
  rows(): Iterable<Row>;
  get(id: RecordId): Row | undefined;
}

/** What a miss in `after` would break: `update` runs for every change before any window reads. */
const IN_TABLE = "the sorted rows hold only the table's current rows";

/** Rows in the front at first: past every window in most tables, a small share of a large one. */
const FRONT_ROWS = 1024;

interface Keyed {
  readonly key: string;
  readonly id: RecordId;
}

export class SortedRows {
  private readonly order: readonly OrderKey[];
  private readonly computeKey: (row: Row) => string;
  private readonly table: TableRows;
  private readonly tree = new BTree<string, RecordId>(undefined, compareOrderKeys);
  /** The tree holds every row. */
  private complete = false;
  /** When not complete: the tree holds exactly the rows whose keys are at most this (none when undefined). */
  private edge: string | undefined;
  /** Rows the next extension brings in; the front gives rows back past twice this. */
  private front: number;
  /**
   * The keys of the change being pushed: every window of the plan asks for
   * them, so they are computed once per change, not once per instance.
   */
  private lastBefore: Row | undefined;
  private lastBeforeKey: string | undefined;
  private lastAfter: Row | undefined;
  private lastAfterKey: string | undefined;
  /** Advances whenever a window over these rows may have raised its bound (window-bound-index.ts). */
  epoch = 0;

  /** `front`: rows kept in order at first (tests shrink it to reach the edge with few rows). */
  constructor(order: readonly OrderKey[], table: TableRows, front = FRONT_ROWS) {
    this.order = order;
    this.computeKey = orderKeyOf(order);
    this.table = table;
    this.front = Math.max(1, front);
    this.extend();
  }

  keyOf(row: Row): string {
    if (row === this.lastAfter) return (this.lastAfterKey ??= this.lastBeforeKey ?? this.computeKey(row));
    if (row === this.lastBefore) return (this.lastBeforeKey ??= this.lastAfterKey ?? this.computeKey(row));
    return this.computeKey(row);
  }

  update(before: Row | undefined, after: Row | undefined): void {
    this.lastBefore = before;
    this.lastAfter = after;
    if (before && after && this.order.every((o) => sameContent(o.get(before), o.get(after)))) {
      // The row keeps its place (most updates): its key, the same for both, is built only if a window asks.
      this.lastBeforeKey = this.lastAfterKey = undefined;
      return;
    }
    const kb = before && this.computeKey(before);
    const ka = after && this.computeKey(after);
    this.lastBeforeKey = kb;
    this.lastAfterKey = ka;
    if (kb === ka) return;
    if (kb !== undefined && this.holds(kb)) this.tree.delete(kb);
    if (ka !== undefined && this.holds(ka)) {
      this.tree.set(ka, after!.id);
      if (this.tree.size > 2 * this.front) this.shrink();
    }
  }

  boundsMayRise(): void {
    this.epoch++;
  }

  /**
   * Rows after `key` (all rows when undefined), in order, with their keys.
   * Read before the next `update` (a window refilling reads a few, then stops).
   */
  *after(key: string | undefined): IterableIterator<[string, Row]> {
    let from = key;
    for (;;) {
      for (const [k, id] of this.tree.entries(from)) {
        if (from !== undefined && k <= from) continue;
        from = k;
        yield [k, must(this.table.get(id), IN_TABLE)];
      }
      if (this.complete) return;
      // Read past the edge: a deeper front, brought in at once.
      this.front *= 2;
      this.extend();
    }
  }

  /** Whether a row with order key `k` belongs in the tree. */
  private holds(k: string): boolean {
    return this.complete || (this.edge !== undefined && k <= this.edge);
  }

  /** Brings the next `front` rows past the edge into the tree: one pass over the table. */
  private extend(): void {
    const edge = this.edge;
    const past: Keyed[] = [];
    for (const row of this.table.rows()) {
      const key = this.computeKey(row);
      if (edge === undefined || key > edge) past.push({ key, id: row.id });
    }
    const take = Math.min(past.length, this.front);
    selectFirst(past, take);
    for (let i = 0; i < take; i++) this.tree.set(past[i]!.key, past[i]!.id);
    if (take === past.length) {
      this.complete = true;
      this.edge = undefined;
    } else {
      this.edge = this.tree.maxKey();
    }
  }

  /** Gives the last rows back down to `front` (windows past the new edge extend again when they read). */
  private shrink(): void {
    while (this.tree.size > this.front) this.tree.delete(must(this.tree.maxKey(), "a tree larger than the front has a last key"));
    this.complete = false;
    this.edge = this.tree.maxKey();
  }
}
