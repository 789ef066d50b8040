/**
 * The delta algebra: what one record's change in a view's membership is, and how
 * changes compose.
 *
 * A view holds a record or not, and when it holds it, at some version (its
 * Presence). A change is a pair of presences, before and after; its delta is
 * CREATED (absent → held, at the new version), UPDATED (held → held at another
 * version), DELETED (held → absent, at the version that was held) or nothing.
 * Composing the changes of one record, in order, keeps the first `before` and
 * the last `after`: so a batch reports the net delta of everything it did to a
 * record (CREATED then DELETED is nothing; DELETED then CREATED at another
 * version is UPDATED), whatever happened in between. Composition is associative,
 * and applying a composition equals applying its parts one after the other.
 */
import type { RecordId } from "./record-id.js";
import type { Delta, DeltaEvent } from "./types.js";

export type Presence = { readonly held: false } | { readonly held: true; readonly version: number };

/** One record's change in one view: what the view held before and after. */
export interface MemberChange {
  readonly before: Presence;
  readonly after: Presence;
}

export const ABSENT: Presence = { held: false };

export function heldAt(version: number): Presence {
  return { held: true, version };
}

/** `first` then `second` (second starts where first ends) as one change. */
export function composeChanges(first: MemberChange, second: MemberChange): MemberChange {
  if (!samePresence(first.after, second.before)) throw new Error("a change composes only with one that starts where it ends");
  return { before: first.before, after: second.after };
}

/** The presence after `change`, applied to `presence` (which must be where it starts). */
export function applyChange(presence: Presence, change: MemberChange): Presence {
  if (!samePresence(presence, change.before)) throw new Error("a change applies only to the presence it starts from");
  return change.after;
}

/** The delta of a change, or undefined when the view holds the same before and after. */
export function deltaOf(id: RecordId, change: MemberChange): Delta | undefined {
  const { before, after } = change;
  return netDelta(id, before.held, before.held ? before.version : 0, after.held, after.held ? after.version : 0);
}

/**
 * deltaOf on plain values, for hot paths that keep presences unboxed: the view
 * held `id` (`wasHeld`, at `wasVersion`) and now holds it (`isHeld`, at `isVersion`).
 */
export function netDelta(id: RecordId, wasHeld: boolean, wasVersion: number, isHeld: boolean, isVersion: number): Delta | undefined {
  const event = netEvent(wasHeld, wasVersion, isHeld, isVersion);
  if (event === undefined) return undefined;
  return { id, event, version: event === "DELETED" ? wasVersion : isVersion };
}

function netEvent(wasHeld: boolean, wasVersion: number, isHeld: boolean, isVersion: number): DeltaEvent | undefined {
  if (isHeld) return !wasHeld ? "CREATED" : wasVersion !== isVersion ? "UPDATED" : undefined;
  return wasHeld ? "DELETED" : undefined;
}

function samePresence(a: Presence, b: Presence): boolean {
  return a.held ? b.held && a.version === b.version : !b.held;
}
