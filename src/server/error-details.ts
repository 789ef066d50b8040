/**
 * Error details: every error SSP answers carries a `google.rpc.ErrorInfo`
 * (reason, domain "ssp.spooky.dev", metadata naming the field or limit
 * concerned) next to its message, and a `google.rpc.RetryInfo` where sending
 * the same request again later can succeed. Connect puts them in the
 * `grpc-status-details-bin` trailer (gRPC, gRPC-Web) or the error JSON's
 * `details` (Connect). README, "Error details", lists the reasons.
 *
 * Where a reason comes from, first match wins:
 * 1. the thrown error's own `reason` (with `errorMetadata`, `retryDelayMs`),
 *    for errors that know more than their class (quotas, tokens, limits);
 * 2. REASONS_BY_NAME, by the thrown error's class name (read by duck typing,
 *    like its `code`, so the server imports no service internals);
 * 3. what connect itself raised (a message over readMaxBytes);
 * 4. the status code's own name (INVALID_ARGUMENT, NOT_FOUND, ...).
 *
 * RetryInfo only on RESOURCE_EXHAUSTED that waiting cures (a quota, a stream
 * that fell behind): a message or body over a byte-size limit stays over it,
 * so it gets none.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { grpcCodeName } from "./grpc-code.js";

export const ERROR_DOMAIN = "ssp.spooky.dev";

/** What goes into the ErrorInfo and RetryInfo of one error. */
export interface ErrorDetail {
  /** UPPER_SNAKE_CASE. */
  readonly reason: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Present only where retrying later can succeed. */
  readonly retryDelayMs?: number;
}

/** Metadata travels in a trailer: each value is cut to this many characters. */
const MAX_METADATA_VALUE = 256;
const REASON_SHAPE = /^[A-Z][A-Z0-9_]{0,62}$/;

/** Domain errors by class name: the reason, and metadata read from the error. */
const REASONS_BY_NAME: Readonly<Record<string, (err: Record<string, unknown>) => ErrorDetail>> = {
  // The circuit: a change it refuses names its index; anything else it refuses at registration is the view's query or params.
  CircuitError: (err) => {
    if (err.code === "NOT_FOUND") return { reason: "VIEW_NOT_FOUND" };
    if (err.code === "UNAVAILABLE") return { reason: "PARSER_UNAVAILABLE" };
    return typeof err.index === "number" ? { reason: "INVALID_RECORD", metadata: { index: String(err.index) } } : { reason: "INVALID_QUERY" };
  },
  ViewNotFoundError: (err) => {
    const ids = Array.isArray(err.viewIds) ? (err.viewIds as string[]) : [];
    return { reason: "VIEW_NOT_FOUND", metadata: { view_id: ids[0] ?? "", count: String(ids.length) } };
  },
  InvalidWatchRequestError: () => ({ reason: "INVALID_ARGUMENT" }),
  WatchPermissionError: () => ({ reason: "PERMISSION_DENIED" }),
  // Resuming at once from the cursors in ssp-resume-from is the cure; waiting only risks leaving the replay log.
  StreamOverflowError: () => ({ reason: "STREAM_OVERFLOW", retryDelayMs: 0 }),
  StreamExpiredError: () => ({ reason: "TOKEN_EXPIRED" }),
  ResetError: () => ({ reason: "STATE_RESET" }),
  HubClosedError: () => ({ reason: "SHUTTING_DOWN" }),
  DeliveryHaltedError: () => ({ reason: "STORAGE_UNAVAILABLE" }),
  // A full disk needs an operator, not a wait: no RetryInfo.
  StorageError: (err) => ({ reason: err.code === "RESOURCE_EXHAUSTED" ? "STORAGE_FULL" : "STORAGE_UNAVAILABLE" }),
};

/** decode-errors.ts's message for a request that does not decode. */
const DOES_NOT_DECODE = "request does not decode: ";
/** What connect raises for a message over SSP_MAX_MESSAGE_BYTES. */
const READ_MAX_BYTES = /readMaxBytes (\d+)/;

/** The detail for `err`, as thrown (`source`) and as answered (`mapped`). */
export function errorDetailOf(source: unknown, mapped: ConnectError): ErrorDetail {
  if (typeof source === "object" && source !== null) {
    const err = source as Record<string, unknown>;
    if (typeof err.reason === "string" && REASON_SHAPE.test(err.reason)) {
      return {
        reason: err.reason,
        ...(isStringRecord(err.errorMetadata) ? { metadata: err.errorMetadata } : {}),
        ...(typeof err.retryDelayMs === "number" ? { retryDelayMs: err.retryDelayMs } : {}),
      };
    }
    const byName = typeof err.name === "string" && Object.hasOwn(REASONS_BY_NAME, err.name) ? REASONS_BY_NAME[err.name] : undefined;
    if (byName !== undefined && typeof err.code === "string") return byName(err);
  }
  if (mapped.code === Code.InvalidArgument && mapped.rawMessage.startsWith(DOES_NOT_DECODE)) return { reason: "MALFORMED_REQUEST" };
  const readMax = mapped.code === Code.ResourceExhausted ? READ_MAX_BYTES.exec(mapped.rawMessage) : null;
  if (readMax !== null) return { reason: "MESSAGE_TOO_LARGE", metadata: { limit: "SSP_MAX_MESSAGE_BYTES", value: readMax[1] ?? "" } };
  return { reason: grpcCodeName(mapped.code) };
}

/**
 * Adds ErrorInfo (and RetryInfo) to `err` in place, unless it has an ErrorInfo
 * already; returns it. In place, because connect serializes the very object a
 * call was aborted with.
 */
export function withErrorDetails(err: ConnectError, source: unknown = err): ConnectError {
  if (err.details.some((d) => ("desc" in d ? d.desc.typeName : d.type) === ErrorInfoSchema.typeName)) return err;
  const detail = errorDetailOf(source, err);
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(detail.metadata ?? {})) metadata[key] = value.slice(0, MAX_METADATA_VALUE);
  err.details.push({ desc: ErrorInfoSchema, value: { reason: detail.reason, domain: ERROR_DOMAIN, metadata } });
  if (detail.retryDelayMs !== undefined) {
    err.details.push({ desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(detail.retryDelayMs) }) });
  }
  return err;
}

/** A ConnectError carrying `detail`: for errors the server raises itself. */
export function detailedError(message: string, code: Code, detail: ErrorDetail): ConnectError {
  return withErrorDetails(new ConnectError(message, code), {
    reason: detail.reason,
    errorMetadata: detail.metadata,
    retryDelayMs: detail.retryDelayMs,
  });
}

/**
 * Details for the errors connect raises outside the interceptors (a message
 * over readMaxBytes, a unary body that does not decode): connect aborts the
 * call with the error right before writing it, so the wrapper adds them then.
 * Call from the request gate before recodeDecodeErrors, so a re-coded error
 * is detailed under its new code.
 */
export function detailErrorsOnAbort(context: HandlerContext): void {
  const controller = context as HandlerContext & { abort?: (reason?: unknown) => void };
  const abort = controller.abort;
  if (typeof abort !== "function") return;
  controller.abort = (reason?: unknown) => {
    if (reason instanceof ConnectError) withErrorDetails(reason);
    abort.call(controller, reason);
  };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && Object.values(value).every((v) => typeof v === "string");
}
