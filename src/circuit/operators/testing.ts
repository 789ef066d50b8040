/**
 * Test support for the operators: a sink that records what it was given and
 * checks, on every call, the invariants every producer keeps (operator.ts):
 * `add` only for a row not held, `remove` and `change` only for one that is,
 * with `before` the very row last emitted for that id. A producer breaking
 * them fails the test at the call, not later at a wrong result. And small
 * builders for the dispatch indices' tests.
 */
import { RecordId } from "../record-id.js";
import { toRow, type Row } from "../store.js";
import type { Value } from "../values/value.js";
import type { Indexed, InstanceIndex } from "./instance-index.js";
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

/** An instance for the dispatch indices' tests: its env's params, and a name to report it by. */
export interface TestInstance extends Indexed {
  readonly name: number;
}

export function testInstance(name: number, params: { readonly [name: string]: Value }): TestInstance {
  return { name, env: { params, parent: undefined, resolve: () => undefined } };
}

/** A row of table `t` with the given fields (key 1: the indices look at values only). */
export function testRow(fields: { readonly [name: string]: Value }): Row {
  const body: { [name: string]: Value } = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) body[k] = v;
  return toRow({ ...body, id: new RecordId("t", 1) }, 1);
}


/** The names of the instances `index` collects for a change, sorted, repeats kept (so a test sees them). */
export function collectedNames(index: InstanceIndex<TestInstance>, before: Row | undefined, after: Row | undefined): number[] {
  const out: TestInstance[] = [];
  index.collect(before, after, out);
  return out.map((i) => i.name).sort((a, b) => a - b);
}
