/**
 * Error mapping: every failure leaves the server as a ConnectError with the
 * right code and a message a person can act on. Services signal expected
 * failures with an error whose `code` is a gRPC code name (the circuit's
 * CircuitError has `code: "INVALID_ARGUMENT" | "NOT_FOUND"`); it is read by
 * duck typing so the server needs no service internals. Anything else is a bug:
 * logged with the request id, answered as INTERNAL without its details.
 * Every answer then gets its ErrorInfo (and RetryInfo) from error-details.ts.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { requestIdKey } from "./context.js";
import { decodeErrorToInvalidArgument, isRequestDecodeError } from "./decode-errors.js";
import { withErrorDetails } from "./error-details.js";
import { codeFromName } from "./grpc-code.js";

/** Codes that mean "the server failed", whatever the thrower called them. */
const SERVER_FAULTS = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

export interface ErrorScope {
  readonly requestId: string;
  readonly method: string;
  readonly logger: Logger;
}

/**
 * Longest message a client gets. Messages may quote what the client sent (ids,
 * lists of unknown views); a status message travels in an HTTP/2 trailer, where
 * a megabyte fails the whole call (NGHTTP2_FRAME_SIZE_ERROR, seen by clients as
 * INTERNAL), so it is cut here with a note of how much was left out.
 */
export const MAX_ERROR_MESSAGE_LENGTH = 1024;

/** The answer to `err`, with its ErrorInfo (error-details.ts) and a message of bounded length. */
export function toConnectError(err: unknown, scope: ErrorScope): ConnectError {
  return withErrorDetails(bounded(mapError(err, scope)), err);
}

function mapError(err: unknown, scope: ErrorScope): ConnectError {
  if (isRequestDecodeError(err)) return decodeErrorToInvalidArgument(err);
  if (err instanceof ConnectError && !SERVER_FAULTS.has(err.code)) return err;
  const coded = codedError(err);
  if (coded !== undefined) return coded;
  scope.logger.error({ err, request_id: scope.requestId, method: scope.method }, "internal error");
  return new ConnectError(`internal error (request id ${scope.requestId})`, Code.Internal);
}

function bounded(err: ConnectError): ConnectError {
  const message = err.rawMessage;
  if (message.length <= MAX_ERROR_MESSAGE_LENGTH) return err;
  const cut = message.slice(0, MAX_ERROR_MESSAGE_LENGTH);
  // The cut error keeps code, metadata, details and cause.
  const cutError = new ConnectError(`${cut}… (${message.length - cut.length} more characters)`, err.code, err.metadata, undefined, err.cause);
  cutError.details.push(...err.details);
  return cutError;
}

/**
 * Trailer carrying a stream's resume cursors as JSON (`{"view-id": sequence}`)
 * when it ends on overflow. The message says the same for people, but clients
 * decode grpc-message differently (grpc-js leaves `=` and `,` percent-encoded),
 * so programs should read this. Non-ASCII characters are JSON-escaped.
 */
export const RESUME_FROM_TRAILER = "ssp-resume-from";

function codedError(err: unknown): ConnectError | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { code, message, lastSequences } = err as { code?: unknown; message?: unknown; lastSequences?: unknown };
  if (typeof code !== "string" || typeof message !== "string") return undefined;
  const mapped = codeFromName(code);
  if (mapped === undefined || SERVER_FAULTS.has(mapped)) return undefined;
  if (!(lastSequences instanceof Map)) return new ConnectError(message, mapped);
  // JSON escapes keep the header value ASCII whatever the view ids hold.
  const cursors = JSON.stringify(Object.fromEntries(lastSequences as Map<string, number>)).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return new ConnectError(message, mapped, { [RESUME_FROM_TRAILER]: cursors });
}

/** Innermost interceptor: maps what handlers and services throw, for unary and streams. */
export function errorMappingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const scope: ErrorScope = {
      requestId: req.contextValues.get(requestIdKey),
      method: `${req.service.typeName}/${req.method.name}`,
      logger,
    };
    let res;
    try {
      res = await next(req);
    } catch (err) {
      throw toConnectError(err, scope);
    }
    if (!res.stream) return res;
    return { ...res, message: mapStreamErrors(res.message, scope) };
  };
}

async function* mapStreamErrors<T>(messages: AsyncIterable<T>, scope: ErrorScope): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    throw toConnectError(err, scope);
  }
}
