/**
 * Bearer-token auth: every RPC but the exempt services (grpc health) needs
 * `authorization: Bearer <secret>`. The check is Connect's request gate, which
 * runs once the request headers are in and before any byte of the body is read,
 * decompressed or parsed: an unauthenticated caller costs a header parse, and
 * gets UNAUTHENTICATED in its own protocol (gRPC and gRPC-Web: a status in
 * trailers; Connect: HTTP 401 with the error JSON). Both sides are hashed
 * before the constant-time comparison, so neither the secret's length nor its
 * content leaks through timing. The token is never logged or echoed.
 *
 * A bearer token that is not the service secret is tried as a subscriber token
 * when a verifier is configured (src/auth). The gate records who the caller is
 * in the call's context values (principalKey); the handlers authorize with it.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Code, type HandlerContext } from "@connectrpc/connect";
import { SERVICE_PRINCIPAL, type Principal, type SubscriberTokenVerifier } from "../auth/index.js";
import { principalKey } from "./context.js";
import { detailedError } from "./error-details.js";

/** Everything after the scheme is the token, so a secret may contain spaces. */
const BEARER = /^Bearer +(\S.*)$/i;

export type RequestGate = (context: HandlerContext) => void | Promise<void>;

/** A JWT's shape: three base64url parts (checked before spending a verification on it). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * No secret (insecure dev mode): every caller is the service. Exempt services
 * get no principal, so their handlers must not need one.
 */
export function authGate(
  secret: string | undefined,
  exemptServices: readonly string[],
  subscribers?: SubscriberTokenVerifier,
): RequestGate {
  const exempt = new Set(exemptServices);
  if (secret === undefined) {
    return (context) => void context.values.set(principalKey, SERVICE_PRINCIPAL);
  }
  const expected = digest(secret);
  return async (context) => {
    if (exempt.has(context.service.typeName)) return;
    const principal = await authenticate(context.requestHeader.get("authorization"), expected, subscribers);
    context.values.set(principalKey, principal);
  };
}

async function authenticate(header: string | null, expected: Buffer, subscribers: SubscriberTokenVerifier | undefined): Promise<Principal> {
  const token = bearerToken(header);
  if (timingSafeEqual(digest(token), expected)) return SERVICE_PRINCIPAL;
  if (subscribers === undefined || !JWT_SHAPE.test(token)) {
    throw detailedError("invalid bearer token", Code.Unauthenticated, { reason: "TOKEN_INVALID" });
  }
  try {
    return await subscribers.verify(token);
  } catch (err) {
    const refused = err instanceof Error && (err as { code?: unknown }).code === "UNAUTHENTICATED";
    const reason = refused && (err as { reason?: unknown }).reason === "TOKEN_EXPIRED" ? "TOKEN_EXPIRED" : "TOKEN_INVALID";
    throw detailedError(refused ? err.message : "invalid subscriber token", Code.Unauthenticated, { reason });
  }
}

function bearerToken(header: string | null): string {
  if (header === null || header.trim() === "") {
    throw detailedError("missing credentials: send metadata `authorization: Bearer <SPOOKY_AUTH_SECRET>`", Code.Unauthenticated, {
      reason: "CREDENTIALS_MISSING",
    });
  }
  const match = BEARER.exec(header.trim());
  if (match === null) {
    throw detailedError("malformed authorization metadata: expected `Bearer <token>`", Code.Unauthenticated, { reason: "CREDENTIALS_MALFORMED" });
  }
  return match[1] ?? "";
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
