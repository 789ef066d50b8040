/**
 * Bearer-token auth: every RPC but the exempt services (grpc health) needs
 * `authorization: Bearer <secret>`. Both sides are hashed before the
 * constant-time comparison, so neither the secret's length nor its content
 * leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** Everything after the scheme is the token, so a secret may contain spaces. */
const BEARER = /^Bearer +(\S.*)$/i;

/** No secret (insecure dev mode): every call passes. */
export function authInterceptor(secret: string | undefined, exemptServices: readonly string[]): Interceptor {
  if (secret === undefined) return (next) => next;
  const expected = digest(secret);
  const exempt = new Set(exemptServices);
  return (next) => (req) => {
    if (!exempt.has(req.service.typeName)) checkAuthorization(req.header.get("authorization"), expected);
    return next(req);
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
