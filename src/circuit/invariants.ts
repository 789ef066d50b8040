/**
 * Checks for invariants the operators state in their doc comments: a lookup
 * that must hit because the structure's own bookkeeping says so. A miss means
 * the state is already corrupt, so it throws (naming the invariant) rather
 * than let `undefined` spread into a window or a tree. The checks are a
 * comparison each, cheap enough to stay on in production.
 */

/** A broken invariant: the circuit's state no longer matches its own bookkeeping. */
export class InvariantError extends Error {
  override readonly name = "InvariantError";
}

/** `value`, which the invariant `what` says is there; throws when it is not. */
export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new InvariantError(`broken invariant: ${what}`);
  return value;
}

/** For the `default` of an exhaustive switch: a value the types say cannot exist. */
export function unreachable(value: never, what = "unexpected value"): never {
  throw new InvariantError(`unreachable: ${what} (${String(value)})`);
}
