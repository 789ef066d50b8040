/**
 * Bearer-token auth: every RPC but the exempt services (grpc health) needs
 * `authorization: Bearer <secret>`. The check is Connect's request gate, which
 * runs once the request headers are in and before any byte of the body is read,
 * decompressed or parsed: an unauthenticated caller costs a header parse, and
 * gets UNAUTHENTICATED in its own protocol (gRPC and gRPC-Web: a status in
 * trailers; Connect: HTTP 401 with the error JSON). Both sides are hashed
 * before the constant-time comparison, so neither the secret's length nor its
 * content leaks through timing. The token is never logged or echoed.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";

/** Everything after the scheme is the token, so a secret may contain spaces. */
const BEARER = /^Bearer +(\S.*)$/i;

export type RequestGate = (context: HandlerContext) => void;

/** No secret (insecure dev mode): no gate, every call passes. */
export function authGate(secret: string | undefined, exemptServices: readonly string[]): RequestGate | undefined {
  if (secret === undefined) return undefined;
  const expected = digest(secret);
  const exempt = new Set(exemptServices);
  return (context) => {
    if (!exempt.has(context.service.typeName)) checkAuthorization(context.requestHeader.get("authorization"), expected);
  };
}

function checkAuthorization(header: string | null, expected: Buffer): void {
  if (header === null || header.trim() === "") {
    throw new ConnectError("missing credentials: send metadata `authorization: Bearer <SPOOKY_AUTH_SECRET>`", Code.Unauthenticated);
  }
  const match = BEARER.exec(header.trim());
  if (match === null) {
    throw new ConnectError("malformed authorization metadata: expected `Bearer <token>`", Code.Unauthenticated);
  }
  if (!timingSafeEqual(digest(match[1] ?? ""), expected)) {
    throw new ConnectError("invalid bearer token", Code.Unauthenticated);
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
