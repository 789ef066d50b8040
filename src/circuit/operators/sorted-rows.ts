/**
 * Every row of a table in one plan's ORDER BY order (then record id), shared
 * by all instances of that plan: a change updates it once, whatever the number
 * of views, and each view's window (window.ts) keeps only its own first rows,
 * finding the next ones here when some leave.
 *
 * Invariant: after `update(before, after)` for every change of the table (the
 * plan node calls it before pushing the change to any instance), the tree
 * holds exactly the table's current rows, each under its current key.
 */
import type { OrderKey } from "../plan/query-plan.js";
import type { Row } from "../store.js";
import { BTree } from "./btree.js";
import { sortComparator, type SortKey } from "./top-k.js";

export class SortedRows {
  readonly compare: (a: SortKey, b: SortKey) => number;
  private readonly order: readonly OrderKey[];
  private readonly tree: BTree<SortKey, Row>;

  constructor(order: readonly OrderKey[], rows: Iterable<Row>) {
    this.order = order;
    this.compare = sortComparator(order);
    this.tree = new BTree<SortKey, Row>(undefined, this.compare);
    for (const row of rows) this.tree.set(this.keyOf(row), row);
  }

  keyOf(row: Row): SortKey {
    const values = this.order.map((o) => o.get(row));
    return { values, id: row.id };
  }

  update(before: Row | undefined, after: Row | undefined): void {
    const kb = before && this.keyOf(before);
    const ka = after && this.keyOf(after);
    if (kb && ka && this.compare(kb, ka) === 0) {
      this.tree.set(ka, after!);
      return;
    }
    if (kb) this.tree.delete(kb);
    if (ka) this.tree.set(ka, after!);
  }

  /** Rows after `key` (all rows when undefined), in order. */
  *after(key: SortKey | undefined): IterableIterator<[SortKey, Row]> {
    const it = this.tree.entries(key);
    for (const entry of it) {
      if (key && this.compare(entry[0], key) <= 0) continue;
      yield entry;
    }
  }
}
