/** The order key of a row under a plan's ORDER BY: what every sorted index of rows here is keyed by. */
import type { OrderKey } from "../plan/query-plan.js";
import type { Row } from "../store.js";
import { orderKey } from "../values/order-key.js";

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
