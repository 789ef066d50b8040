/**
 * Every row of a table in one plan's ORDER BY order (then record id), shared
 * by all instances of that plan: a change updates it once, whatever the number
 * of views, and each view's window (window.ts) keeps only its own first rows,
 * finding the next ones here when some leave.
 *
 * The tree holds sort keys only; rows are read from the store as they are now.
 * So an update that leaves a row's sort key alone (most do) costs no tree
 * operation at all.
 *
 * Invariant: after `update(before, after)` for every change of the table (the
 * plan node calls it before pushing the change to any instance), the tree
 * holds exactly the keys of the table's current rows.
 */
import type { OrderKey } from "../plan/query-plan.js";
import type { RecordId } from "../record-id.js";
import type { Row } from "../store.js";
import { BTree } from "./btree.js";
import { sortComparator, type SortKey } from "./top-k.js";

export class SortedRows {
  readonly compare: (a: SortKey, b: SortKey) => number;
  private readonly order: readonly OrderKey[];
  private readonly tree: BTree<SortKey, undefined>;
  private readonly rowOf: (id: RecordId) => Row | undefined;
  /**
   * The keys of the change being pushed: every window of the plan asks for
   * them, so they are computed once per change, not once per instance.
   */
  private lastBefore: Row | undefined;
  private lastBeforeKey: SortKey | undefined;
  private lastAfter: Row | undefined;
  private lastAfterKey: SortKey | undefined;

  /** `rows`: the table's rows now; `rowOf`: a row of the table as it is now. */
  constructor(order: readonly OrderKey[], rows: Iterable<Row>, rowOf: (id: RecordId) => Row | undefined) {
    this.order = order;
    this.compare = sortComparator(order);
    this.rowOf = rowOf;
    this.tree = new BTree<SortKey, undefined>(undefined, this.compare);
    for (const row of rows) this.tree.set(this.computeKey(row), undefined);
  }

  keyOf(row: Row): SortKey {
    if (row === this.lastAfter) return this.lastAfterKey!;
    if (row === this.lastBefore) return this.lastBeforeKey!;
    return this.computeKey(row);
  }

  update(before: Row | undefined, after: Row | undefined): void {
    const kb = before && this.computeKey(before);
    const ka = after && this.computeKey(after);
    this.lastBefore = before;
    this.lastBeforeKey = kb;
    this.lastAfter = after;
    this.lastAfterKey = ka;
    if (kb && ka && this.compare(kb, ka) === 0) return;
    if (kb) this.tree.delete(kb);
    if (ka) this.tree.set(ka, undefined);
  }

  /** Rows after `key` (all rows when undefined), in order. */
  *after(key: SortKey | undefined): IterableIterator<[SortKey, Row]> {
    for (const k of this.tree.keys(key)) {
      if (key && this.compare(k, key) <= 0) continue;
      yield [k, this.rowOf(k.id)!];
    }
  }

  private computeKey(row: Row): SortKey {
    const order = this.order;
    const values = order.length === 1 ? [order[0]!.get(row)] : order.map((o) => o.get(row));
    return { values, id: row.id };
  }
}
