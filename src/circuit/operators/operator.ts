/**
 * The one interface every operator speaks (after Zero's `Output.push`): a
 * stream of changes to a set of rows. Operators are chained per query
 * instance: filter → [top-k] → output (membership + subqueries).
 *
 * Invariants every producer keeps: `add` only for a row not currently in its
 * output, `remove` and `change` only for a row that is, with `before` equal to
 * the row last emitted for that id.
 */
import type { Row } from "../store.js";

export interface RowSink {
  add(row: Row): void;
  remove(row: Row): void;
  change(before: Row, after: Row): void;
}

/**
 * A sink that keeps every row it was given (added and not since removed), so
 * it can say whether a row matched upstream without evaluating anything: the
 * filter asks it about the old row of a change (filter.ts, `pushMatched`).
 */
export interface HoldingSink extends RowSink {
  holds(row: Row): boolean;
}
