/**
 * A request that cannot be decoded is the caller's mistake: INVALID_ARGUMENT,
 * never INTERNAL. connect-es reports some decoding failures as INTERNAL because
 * the same code also decodes responses on clients, where a bad message is the
 * server's fault:
 * - `parse binary: …`: protobuf bytes that do not decode (random bytes, or JSON
 *   sent as `application/proto`);
 * - a frame flagged compressed when no encoding was negotiated;
 * - a compressed body that ends early (zlib's Z_BUF_ERROR).
 *
 * Unary requests are decoded before any interceptor runs, so the interceptors
 * never see these. Instead, the request gate wraps the call's `abort`: connect
 * aborts the call with the error right before it writes the error out (in
 * every protocol), and the wrapper re-codes it in place first. Wrapping `abort`
 * rather than listening on the signal also covers a call whose signal already
 * fired (a deadline) before its body turned out not to decode. Errors that do
 * pass through the interceptors (a streaming call's request) are re-coded by
 * `toConnectError`.
 */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";

const UNNEGOTIATED_COMPRESSION = "received compressed envelope, but do not know how to decompress";
const DECOMPRESSION_FAILED = "decompression failed";

/** True for connect's INTERNAL errors that really mean "the request does not decode". */
export function isRequestDecodeError(err: unknown): err is ConnectError {
  if (!(err instanceof ConnectError) || err.code !== Code.Internal) return false;
  const message = err.rawMessage;
  if (message.startsWith("parse binary: ") || message === UNNEGOTIATED_COMPRESSION) return true;
  return message === DECOMPRESSION_FAILED && (err.cause as { code?: unknown } | undefined)?.code === "Z_BUF_ERROR";
}

/** The same error, as INVALID_ARGUMENT saying the request does not decode. */
export function decodeErrorToInvalidArgument(err: ConnectError): ConnectError {
  return new ConnectError(`request does not decode: ${err.rawMessage}`, Code.InvalidArgument, err.metadata);
}

/**
 * Re-codes a decoding error of this call as INVALID_ARGUMENT when connect aborts
 * the call with it. Call from the request gate, before the body is read.
 */
export function recodeDecodeErrors(context: HandlerContext): void {
  // At run time the gate gets connect's context controller, which has `abort`.
  const controller = context as HandlerContext & { abort?: (reason?: unknown) => void };
  const abort = controller.abort;
  if (typeof abort !== "function") return;
  controller.abort = (reason?: unknown) => {
    if (isRequestDecodeError(reason)) {
      // The reason is the very object connect serializes next; a fresh error
      // cannot take its place, so its code and message are rewritten.
      const recoded = decodeErrorToInvalidArgument(reason);
      Object.assign(reason as { code: Code }, { code: recoded.code, rawMessage: recoded.rawMessage, message: recoded.message });
    }
    abort.call(controller, reason);
  };
}
