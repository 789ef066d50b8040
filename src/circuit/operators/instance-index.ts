/**
 * How a plan node finds the instances a row change may affect, by the plan's
 * dispatch conjunct (plan/dispatch.ts). Every implementation keeps the
 * dispatch invariant: an instance for which the conjunct holds on `before` or
 * on `after` is collected; each collected instance appears once.
 *
 * Interfaces only, as Zero's `operator.ts`: the indices that implement them
 * and index-by-dispatch.ts, which builds them, then form no import cycle.
 */
import type { Env } from "../plan/env.js";
import type { Row } from "../store.js";

export interface Indexed {
  readonly env: Env;
}

export interface InstanceIndex<I extends Indexed> {
  readonly size: number;
  add(inst: I): void;
  delete(inst: I): void;
  /** Appends each instance the change may affect, once. */
  collect(before: Row | undefined, after: Row | undefined, out: I[]): void;
}
