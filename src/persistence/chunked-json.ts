/**
 * JSON serialisation in pieces, so that saving a large state never blocks the event
 * loop for a whole `JSON.stringify` (≈ 300 ms for 100,000 records of 200 bytes on the
 * reference machine). The concatenated chunks are exactly `JSON.stringify(value)`.
 *
 * Small subtrees are still handed to `JSON.stringify` whole (it is far faster than a
 * hand-written walk); only containers too large for one slice are walked here.
 */

export interface JsonChunkOptions {
  /** Approximate size of each chunk, in UTF-16 code units. */
  readonly chunkChars?: number;
  /** A subtree with at most this many values is stringified in one call. */
  readonly leafNodes?: number;
}

const DEFAULT_CHUNK_CHARS = 64 * 1024;
const DEFAULT_LEAF_NODES = 512;

/**
 * Yields `JSON.stringify(value)` in chunks of about `chunkChars`. The caller does its
 * I/O (and so lets the event loop run) between chunks. `value` must not change until
 * the generator is done. Throws what `JSON.stringify` would throw (cycles, BigInt),
 * and a TypeError when `value` has no JSON form at all (undefined, a function).
 */
export function* jsonChunks(value: unknown, options: JsonChunkOptions = {}): Generator<string, void> {
  const chunkChars = options.chunkChars ?? DEFAULT_CHUNK_CHARS;
  const leafNodes = options.leafNodes ?? DEFAULT_LEAF_NODES;
  const root = toJsonInput(value, "");
  if (isOmitted(root)) throw new TypeError("value has no JSON representation");
  let chunk = "";
  for (const piece of pieces(root, new Set(), leafNodes)) {
    chunk += piece;
    if (chunk.length >= chunkChars) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk.length > 0) yield chunk;
}

function* pieces(value: unknown, ancestors: Set<object>, leafNodes: number): Generator<string, void> {
  if (typeof value !== "object" || value === null || fitsBudget(value, leafNodes)) {
    yield JSON.stringify(value);
    return;
  }
  if (ancestors.has(value)) throw new TypeError("Converting circular structure to JSON");
  ancestors.add(value);
  if (Array.isArray(value)) {
    yield "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ",";
      const element = toJsonInput(value[i], String(i));
      if (isOmitted(element)) yield "null";
      else yield* pieces(element, ancestors, leafNodes);
    }
    yield "]";
  } else {
    yield "{";
    let first = true;
    for (const key of Object.keys(value)) {
      const member = toJsonInput((value as Record<string, unknown>)[key], key);
      if (isOmitted(member)) continue;
      yield `${first ? "" : ","}${JSON.stringify(key)}:`;
      first = false;
      yield* pieces(member, ancestors, leafNodes);
    }
    yield "}";
  }
  ancestors.delete(value);
}

/** Applies `toJSON` (with the holder's key) and unboxes primitives, as JSON.stringify does. */
function toJsonInput(value: unknown, key: string): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  if (value instanceof Number) return Number(value);
  if (value instanceof String) return String(value);
  if (value instanceof Boolean) return value.valueOf();
  return value;
}

/** Values JSON.stringify drops from objects (and writes as null in arrays). */
function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/**
 * Whether `value` holds at most `budget` values, counting without recursion and
 * stopping as soon as the budget is spent (so a large container costs `budget` steps,
 * not its size). Objects with `toJSON` count as one value.
 */
function fitsBudget(value: object, budget: number): boolean {
  const stack: unknown[] = [value];
  let remaining = budget;
  while (stack.length > 0) {
    const next = stack.pop();
    if (--remaining < 0) return false;
    if (typeof next !== "object" || next === null) continue;
    if (typeof (next as { toJSON?: unknown }).toJSON === "function") continue;
    if (Array.isArray(next)) {
      if (next.length > remaining) return false;
      for (const element of next) stack.push(element);
    } else {
      const values = Object.values(next);
      if (values.length > remaining) return false;
      for (const member of values) stack.push(member);
    }
  }
  return true;
}
