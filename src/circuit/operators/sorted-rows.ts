/**
 * Every row of a table in one plan's ORDER BY order, shared by all instances
 * of that plan: a change updates it once, whatever the number of views, and
 * each view's window (window.ts) keeps only its own first rows, finding the
 * next ones here when some leave.
 *
 * The tree holds order keys (values/order-key.ts) and record ids; rows are
 * read from the store as they are now. So an update that leaves a row's sort
 * values alone (most do) costs no tree operation at all. Windows read the
 * tree only to refill, far less often than rows come and go, so insertions and
 * removals wait in a buffer and reach the tree together, in key order (a B+tree
 * edit at a random place costs microseconds of cache misses; a run of sorted
 * edits walks neighbouring leaves).
 *
 * Invariant: after `update(before, after)` for every change of the table (the
 * plan node calls it before pushing the change to any instance), the tree
 * without `removed`, plus `added`, holds exactly the order keys of the table's
 * current rows; `added` and `removed` share no key.
 */
import type { OrderKey } from "../plan/query-plan.js";
import type { RecordId } from "../record-id.js";
import type { Row } from "../store.js";
import { sameContent } from "../values/compare.js";
import { compareOrderKeys } from "../values/order-key.js";
import { BTree } from "./btree.js";
import { orderKeyOf } from "./top-k.js";

/** Buffered edits past this many reach the tree at once, so the buffer stays small. */
const MAX_PENDING = 1024;

export class SortedRows {
  private readonly order: readonly OrderKey[];
  private readonly computeKey: (row: Row) => string;
  private readonly tree = new BTree<string, RecordId>(undefined, compareOrderKeys);
  private readonly added = new Map<string, RecordId>();
  private readonly removed = new Set<string>();
  private readonly rowOf: (id: RecordId) => Row | undefined;
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

  /** `rows`: the table's rows now; `rowOf`: a row of the table as it is now. */
  constructor(order: readonly OrderKey[], rows: Iterable<Row>, rowOf: (id: RecordId) => Row | undefined) {
    this.order = order;
    this.computeKey = orderKeyOf(order);
    this.rowOf = rowOf;
    for (const row of rows) this.tree.set(this.computeKey(row), row.id);
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
    if (kb !== undefined && !this.added.delete(kb)) this.removed.add(kb);
    if (ka !== undefined && !this.removed.delete(ka)) this.added.set(ka, after!.id);
    if (this.added.size + this.removed.size > MAX_PENDING) this.flush();
  }

  boundsMayRise(): void {
    this.epoch++;
  }

  /** Rows after `key` (all rows when undefined), in order, with their keys. */
  *after(key: string | undefined): IterableIterator<[string, Row]> {
    this.flush();
    for (const [k, id] of this.tree.entries(key)) {
      if (key !== undefined && k <= key) continue;
      yield [k, this.rowOf(id)!];
    }
  }

  /** Applies the buffered edits, in key order. */
  private flush(): void {
    if (this.removed.size > 0) {
      for (const k of [...this.removed].sort(compareOrderKeys)) this.tree.delete(k);
      this.removed.clear();
    }
    if (this.added.size > 0) {
      for (const k of [...this.added.keys()].sort(compareOrderKeys)) this.tree.set(k, this.added.get(k)!);
      this.added.clear();
    }
  }
}
