/**
 * Who a call is made by, as the request gate establishes it from the
 * `authorization` header before the body is read; the handlers authorize with it.
 */

/** A backend holding SPOOKY_AUTH_SECRET (or anyone, in insecure dev mode): every RPC. */
export interface ServicePrincipal {
  readonly kind: "service";
}

/** An end user holding a subscriber token: WatchDeltas, GetView and ListViews of its own client only. */
export interface SubscriberPrincipal {
  readonly kind: "subscriber";
  readonly clientId: string;
  /** When the token stops being accepted (ms since the epoch: `exp` plus the allowed clock skew). */
  readonly expiresAt: number;
}

export type Principal = ServicePrincipal | SubscriberPrincipal;

export const SERVICE_PRINCIPAL: ServicePrincipal = { kind: "service" };

/** Checks a subscriber token; the request gate calls it for a bearer token that is not the service secret. */
export interface SubscriberTokenVerifier {
  /** Resolves the token's subscriber, or rejects with a SubscriberTokenError. */
  verify(token: string): Promise<SubscriberPrincipal>;
}

/**
 * A refused subscriber token. `code` names the gRPC status (read by duck typing
 * like every coded error); the message says what is wrong and never holds the token.
 */
export class SubscriberTokenError extends Error {
  override name = "SubscriberTokenError";
  readonly code = "UNAUTHENTICATED" as const;
  /** The ErrorInfo reason the client gets: TOKEN_EXPIRED tells it to fetch a fresh token. */
  readonly reason: "TOKEN_EXPIRED" | "TOKEN_INVALID";

  constructor(message: string, reason: "TOKEN_EXPIRED" | "TOKEN_INVALID" = "TOKEN_INVALID") {
    super(message);
    this.reason = reason;
  }
}
