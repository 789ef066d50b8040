/**
 * Request ids: a caller's `x-request-id` is kept when it is a sane token (so ids
 * can be followed across services), otherwise one is generated. The HTTP layer
 * resolves the id once per request and returns it in the response headers; the
 * interceptor hands it to the RPC layers through the call's context values.
 */
import { randomUUID } from "node:crypto";
import type { Interceptor } from "@connectrpc/connect";
import { requestIdKey } from "./context.js";

export const REQUEST_ID_HEADER = "x-request-id";

/** Printable, header-safe, short: anything else could forge log lines or bloat them. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:+=/-]{1,128}$/;

export function resolveRequestId(offered: string | string[] | null | undefined): string {
  const value = Array.isArray(offered) ? offered[0] : offered;
  return value !== undefined && value !== null && ACCEPTABLE_ID.test(value) ? value : randomUUID();
}

/** Outermost interceptor: makes the request id available to every layer inside. */
export function requestIdInterceptor(): Interceptor {
  return (next) => (req) => {
    const id = resolveRequestId(req.header.get(REQUEST_ID_HEADER));
    req.header.set(REQUEST_ID_HEADER, id);
    req.contextValues.set(requestIdKey, id);
    return next(req);
  };
}
