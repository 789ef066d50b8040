/**
 * CORS for browsers calling SSP from another origin (SSP_CORS_ORIGINS), at the
 * HTTP layer, so it covers HTTP/1.1 and HTTP/2 alike and runs before Connect's
 * request gate: a preflight carries no Authorization header (browsers never
 * send credentials on it), so it must be answered here, never reach auth.
 *
 * Invariants:
 * - an empty allow-list means no CORS at all: requests pass through untouched;
 * - only an origin on the list gets CORS headers; any other origin gets none,
 *   so the browser withholds the response from its script (its preflight is
 *   answered 403, and its actual request runs without CORS headers, as it would
 *   without this module: the gate still refuses it without a credential);
 * - `Access-Control-Allow-Origin` echoes the one matching origin (never `*`),
 *   with `Vary: Origin` so caches keep answers per origin. No
 *   `Allow-Credentials`: SSP's credential is a bearer header, not a cookie.
 *
 * Methods and headers are Connect's own (`cors` from @connectrpc/connect), plus
 * `authorization` and the request id; the exposed headers add the request id to
 * Connect's list (grpc-status, grpc-message, grpc-status-details-bin, ...).
 */
import { cors } from "@connectrpc/connect";
import type { HttpRequest, HttpResponse } from "./http-routes.js";
import { REQUEST_ID_HEADER } from "./request-id.js";

/** What a request became: answered here (a preflight), or to be served as usual. */
export type CorsOutcome = "answered" | "continue";

export type CorsHandler = (req: HttpRequest, res: HttpResponse) => CorsOutcome;

export const CORS_ALLOWED_METHODS: readonly string[] = [...cors.allowedMethods];
export const CORS_ALLOWED_HEADERS: readonly string[] = [...cors.allowedHeaders, "authorization", REQUEST_ID_HEADER];
export const CORS_EXPOSED_HEADERS: readonly string[] = [...cors.exposedHeaders, REQUEST_ID_HEADER];
/** How long a browser may cache a preflight answer (Chromium caps it at 2 h). */
export const CORS_MAX_AGE_S = 7200;

/** The handler for an allow-list of origins (`scheme://host[:port]`, as browsers send them); undefined when the list is empty. */
export function corsHandler(origins: readonly string[]): CorsHandler | undefined {
  if (origins.length === 0) return undefined;
  const allowed = new Set(origins);
  const allowMethods = CORS_ALLOWED_METHODS.join(", ");
  const allowHeaders = CORS_ALLOWED_HEADERS.join(", ");
  const exposeHeaders = CORS_EXPOSED_HEADERS.join(", ");
  return (req, res) => {
    res.setHeader("vary", "Origin");
    const origin = single(req.headers.origin);
    const preflight = req.method === "OPTIONS" && single(req.headers["access-control-request-method"]) !== undefined;
    if (origin === undefined || !allowed.has(origin)) {
      if (!preflight) return "continue";
      res.statusCode = 403;
      res.end();
      return "answered";
    }
    res.setHeader("access-control-allow-origin", origin);
    if (!preflight) {
      res.setHeader("access-control-expose-headers", exposeHeaders);
      return "continue";
    }
    res.setHeader("access-control-allow-methods", allowMethods);
    res.setHeader("access-control-allow-headers", allowHeaders);
    res.setHeader("access-control-max-age", String(CORS_MAX_AGE_S));
    res.statusCode = 204;
    res.end();
    return "answered";
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}
