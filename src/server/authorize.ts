/**
 * Per-call authorization, run by each handler before any work: the service
 * credential may call every RPC; a subscriber token only WatchDeltas, GetView
 * and ListViews, and only for its own client id. A view that is not the
 * subscriber's gets PERMISSION_DENIED whether it belongs to another client or
 * does not exist, so a subscriber learns nothing about other clients' views.
 */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Principal, SubscriberPrincipal } from "../auth/index.js";
import { principalKey } from "./context.js";

/** The caller the gate established; a call no gate ran for is refused, never assumed to be the service. */
export function principalOf(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(principalKey);
  if (principal === undefined) throw new ConnectError("no credentials were checked for this call", Code.Unauthenticated);
  return principal;
}

export function requireService(ctx: HandlerContext, rpc: string): void {
  if (principalOf(ctx).kind !== "service") {
    throw new ConnectError(
      `${rpc} needs the service credential; a subscriber token may call only WatchDeltas, GetView and ListViews`,
      Code.PermissionDenied,
    );
  }
}

/** The subscriber, or undefined for the service. */
export function subscriberOf(ctx: HandlerContext): SubscriberPrincipal | undefined {
  const principal = principalOf(ctx);
  return principal.kind === "subscriber" ? principal : undefined;
}

/** A client id a subscriber names must be its own. */
export function requireOwnClient(subscriber: SubscriberPrincipal, clientId: string): void {
  if (clientId !== subscriber.clientId) {
    throw new ConnectError(
      `this subscriber token is for client ${JSON.stringify(subscriber.clientId)}, not ${JSON.stringify(clientId)}`,
      Code.PermissionDenied,
    );
  }
}

export function notOwnView(subscriber: SubscriberPrincipal, viewId: string): ConnectError {
  return new ConnectError(
    `not a registered view of client ${JSON.stringify(subscriber.clientId)}: ${JSON.stringify(viewId)}`,
    Code.PermissionDenied,
  );
}
