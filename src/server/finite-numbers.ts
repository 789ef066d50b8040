/**
 * Record bodies and view parameters hold finite numbers only. Binary protobuf can
 * carry NaN and ±Infinity in a `google.protobuf.Value`, but the proto3 JSON
 * mapping has no form for them in a Struct (protobuf-es throws "cannot be NaN or
 * Infinity"), nor has SSP's JSON snapshot and journal. SurrealDB would store them
 * (as floats with NaN = NaN and NaN sorted above +Infinity), but a record that
 * JSON subscribers cannot receive and a restart would rewrite as `null` is not
 * one SSP can keep faithfully, so it is refused at the edge, before any state
 * changes (README, "Numbers").
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Throws INVALID_ARGUMENT naming the first non-finite number in `value`, as a
 * path from `field` (`change.record.scores[2]`). Struct nesting is bounded by the
 * protobuf decoder's recursion limit, so the recursion is too.
 */
export function requireFiniteNumbers(value: JsonValue | undefined, field: string): void {
  if (value === undefined) return;
  const path = nonFinitePath(value);
  if (path === undefined) return;
  throw new ConnectError(
    `${field}${path.text} is ${String(path.value)}; numbers must be finite (NaN and ±Infinity have no JSON form, so SSP cannot keep or send them)`,
    Code.InvalidArgument,
  );
}

interface NonFinite {
  readonly text: string;
  readonly value: number;
}

function nonFinitePath(value: JsonValue): NonFinite | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : { text: "", value };
  if (value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = nonFinitePath(value[i] as JsonValue);
      if (inner !== undefined) return { text: `[${i}]${inner.text}`, value: inner.value };
    }
    return undefined;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const inner = nonFinitePath(value[key] as JsonValue);
    if (inner !== undefined) return { text: `${keyStep(key)}${inner.text}`, value: inner.value };
  }
  return undefined;
}

/** `.name` for identifier-like keys, `["any key"]` otherwise. */
function keyStep(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
