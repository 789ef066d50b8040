/**
 * Size limits on what a mutation may carry, checked before the mutation enters
 * the writer queue, so a refused request changes nothing (circuit, journal,
 * streams, SurrealDB).
 *
 * Why: a view's params are written to SurrealDB as its `_spooky_incantation`
 * metadata, and embedded SurrealDB (surrealkv) refuses a transaction of about
 * 100 MB ("Memtable arena is full"); record bodies are journalled, held in memory
 * and streamed to subscribers. The defaults sit far below SurrealDB's failure
 * point and far above normal use.
 *
 * A size is that of the value's JSON encoding in UTF-8 bytes, counted without
 * building the string and stopping as soon as it passes the limit.
 *
 * Code rule: a request over a byte-size limit is RESOURCE_EXHAUSTED (as gRPC
 * itself answers a message over its size limit); a malformed one is
 * INVALID_ARGUMENT.
 */
import type { RecordChange, ViewSpec } from "../circuit/index.js";

export interface InputLimits {
  /** A view's params, JSON-encoded (SSP_MAX_PARAMS_BYTES). */
  readonly maxParamsBytes: number;
  /** One record body, JSON-encoded (SSP_MAX_RECORD_BYTES). */
  readonly maxRecordBytes: number;
  /** Every body of one ingest or batch together (SSP_MAX_BATCH_BYTES). */
  readonly maxBatchBytes: number;
}

export const DEFAULT_INPUT_LIMITS: InputLimits = {
  maxParamsBytes: 1_048_576,
  maxRecordBytes: 1_048_576,
  maxBatchBytes: 16_777_216,
};

/**
 * A request over a size limit; the server answers RESOURCE_EXHAUSTED with
 * `message`, and an ErrorInfo naming the limit (no RetryInfo: the same request
 * stays over it).
 */
export class InputLimitError extends Error {
  override name = "InputLimitError";
  readonly code = "RESOURCE_EXHAUSTED" as const;
  readonly reason = "LIMIT_EXCEEDED";
  readonly errorMetadata: Readonly<Record<string, string>>;

  /** `index`: the change whose record is over the limit. */
  constructor(message: string, limit: string, value: number, index?: number) {
    super(message);
    this.errorMetadata = { limit, value: String(value), ...(index === undefined ? {} : { index: String(index) }) };
  }
}

export function checkViewSpec(spec: ViewSpec, limits: InputLimits): void {
  const size = jsonSize(spec.params, limits.maxParamsBytes);
  if (size > limits.maxParamsBytes) {
    throw new InputLimitError(
      `params are over ${limits.maxParamsBytes} bytes as JSON (SSP_MAX_PARAMS_BYTES, the limit on a view's params); nothing was changed`,
      "SSP_MAX_PARAMS_BYTES",
      limits.maxParamsBytes,
    );
  }
}

export function checkChanges(changes: readonly RecordChange[], limits: InputLimits): void {
  let total = 0;
  for (let i = 0; i < changes.length; i++) {
    const body = changes[i]?.body;
    if (body === undefined) continue;
    const size = jsonSize(body, limits.maxRecordBytes);
    const field = changes.length === 1 ? "the record" : `changes[${i}].record`;
    if (size > limits.maxRecordBytes) {
      throw new InputLimitError(
        `${field} is over ${limits.maxRecordBytes} bytes as JSON (SSP_MAX_RECORD_BYTES, the limit on one record body); nothing was changed`,
        "SSP_MAX_RECORD_BYTES",
        limits.maxRecordBytes,
        i,
      );
    }
    total += size;
    if (total > limits.maxBatchBytes) {
      throw new InputLimitError(
        `the records of this batch are over ${limits.maxBatchBytes} bytes as JSON together (SSP_MAX_BATCH_BYTES, the limit on one batch's bodies); nothing was changed`,
        "SSP_MAX_BATCH_BYTES",
        limits.maxBatchBytes,
      );
    }
  }
}

/**
 * The UTF-8 length of `JSON.stringify(value)`, or some number above `stopAbove`
 * once the count passes it (so a huge value costs no more than the limit).
 */
export function jsonSize(value: unknown, stopAbove: number = Number.POSITIVE_INFINITY): number {
  let size = 0;
  // Containers are walked through frames of pending items, so nothing deep recurses
  // and a huge array costs only the items counted before the bound.
  const frames: { readonly values: readonly unknown[]; readonly keys: readonly string[] | undefined; next: number }[] = [];
  let current: unknown = value;
  let pending = true;
  for (;;) {
    if (pending) {
      pending = false;
      const v = current;
      if (typeof v === "string") size += stringSize(v);
      else if (typeof v === "number") size += Number.isFinite(v) ? String(v).length : 4;
      else if (typeof v === "boolean") size += v ? 4 : 5;
      else if (Array.isArray(v)) {
        size += 2;
        frames.push({ values: v, keys: undefined, next: 0 });
      } else if (typeof v === "object" && v !== null) {
        size += 2;
        const entries = Object.entries(v).filter(([, item]) => item !== undefined);
        frames.push({ values: entries.map(([, item]) => item as unknown), keys: entries.map(([key]) => key), next: 0 });
      } else size += 4;
    }
    if (size > stopAbove) return size;
    const frame = frames.at(-1);
    if (frame === undefined) return size;
    const i = frame.next++;
    if (i >= frame.values.length) {
      frames.pop();
      continue;
    }
    if (i > 0) size += 1;
    const key = frame.keys?.[i];
    if (key !== undefined) size += stringSize(key) + 1;
    current = frame.values[i];
    pending = true;
  }
}

/** Characters JSON.stringify escapes: quote, backslash, control characters, lone surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function stringSize(s: string): number {
  const plain = Buffer.byteLength(s, "utf8") + 2;
  if (!NEEDS_ESCAPE.test(s)) return plain;
  return Buffer.byteLength(JSON.stringify(s), "utf8");
}
