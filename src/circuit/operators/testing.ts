/**
 * Test support for the operators: a sink that records what it was given and
 * checks, on every call, the invariants every producer keeps (operator.ts):
 * `add` only for a row not held, `remove` and `change` only for one that is,
 * with `before` the very row last emitted for that id. A producer breaking
 * them fails the test at the call, not later at a wrong result.
 */
import type { Row } from "../store.js";
import type { RowSink } from "./operator.js";

export class CheckedSink implements RowSink {
  /** What the producer's output holds now, by record id text. */
  readonly rows = new Map<string, Row>();

  add(r: Row): void {
    if (this.rows.has(r.id.text)) throw new Error(`add of ${r.id.text}, already held`);
    this.rows.set(r.id.text, r);
  }

  remove(r: Row): void {
    this.expectHeld("remove", r);
    this.rows.delete(r.id.text);
  }

  change(before: Row, after: Row): void {
    this.expectHeld("change", before);
    if (after.id.text !== before.id.text) throw new Error(`change of ${before.id.text} into another record, ${after.id.text}`);
    this.rows.set(after.id.text, after);
  }

  /** The held record ids, sorted (for comparing with a model's). */
  ids(): string[] {
    return [...this.rows.keys()].sort();
  }

  private expectHeld(op: string, r: Row): void {
    const held = this.rows.get(r.id.text);
    if (held === undefined) throw new Error(`${op} of ${r.id.text}, not held`);
    if (held !== r) throw new Error(`${op} of ${r.id.text} with a row other than the one last emitted`);
  }
}
