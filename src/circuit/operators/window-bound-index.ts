/**
 * A bucket of instances whose windows share one plan's sorted rows
 * (window.ts), skipped whole when a change's rows sort past every window in
 * it. Most rows of a table lie past a small window (`… ORDER BY price LIMIT
 * 5`), and a window passes such a change by anyway (`Window.passesBy`), so
 * asking the bucket first saves visiting each instance to hear it say so.
 *
 * Invariant: while `epoch` equals the sorted rows' epoch, `max` is at least
 * every instance's window bound (undefined when some window takes any
 * change). A bound rises only when its window refills, which advances the
 * epoch; adding an instance clears `epoch`. A bound that fell leaves `max`
 * too high, which costs visits, never misses one.
 */
import type { Row } from "../store.js";
import type { Indexed, InstanceIndex } from "./instance-index.js";
import type { SortedRows } from "./sorted-rows.js";

export interface Windowed extends Indexed {
  /** The order key past which no change touches the instance's window; undefined when any change may. */
  windowBound(): string | undefined;
}

export class WindowBoundIndex<I extends Windowed> implements InstanceIndex<I> {
  private readonly rows: SortedRows;
  private readonly inner: InstanceIndex<I>;
  private readonly members = new Set<I>();
  private max: string | undefined;
  /** The sorted rows' epoch `max` was computed at; -1 when it must be computed again. */
  private epoch = -1;

  /** `inner`: the bucket's own index (by a refining conjunct, or a plain set). */
  constructor(rows: SortedRows, inner: InstanceIndex<I>) {
    this.rows = rows;
    this.inner = inner;
  }

  get size(): number {
    return this.inner.size;
  }

  add(inst: I): void {
    this.members.add(inst);
    this.inner.add(inst);
    this.epoch = -1;
  }

  delete(inst: I): void {
    this.members.delete(inst);
    this.inner.delete(inst);
  }

  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    if (this.epoch !== this.rows.epoch) this.recompute();
    const max = this.max;
    if (max !== undefined && (!before || this.rows.keyOf(before) > max) && (!after || this.rows.keyOf(after) > max)) return;
    this.inner.collect(before, after, out);
  }

  private recompute(): void {
    let max: string | undefined;
    for (const inst of this.members) {
      const bound = inst.windowBound();
      if (bound === undefined) {
        max = undefined;
        break;
      }
      if (max === undefined || bound > max) max = bound;
    }
    this.max = max;
    this.epoch = this.rows.epoch;
  }
}
