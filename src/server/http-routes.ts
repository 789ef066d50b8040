/**
 * Plain HTTP routes served on the RPC port beside Connect: the probes, and any
 * route another part adds (telemetry adds `/metrics`). Plain routes need no
 * auth: they expose no data, and probes and scrapers carry no token.
 */
import type http from "node:http";
import type http2 from "node:http2";
import type { Readiness } from "../core/index.js";
import { failingChecks } from "./readiness.js";

export type HttpRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type HttpResponse = http.ServerResponse | http2.Http2ServerResponse;
export type RouteHandler = (req: HttpRequest, res: HttpResponse) => void | Promise<void>;

/** Exact paths (no query string) to handlers. */
export type RouteTable = Map<string, RouteHandler>;

export function sendJson(res: HttpResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.setHeader("cache-control", "no-store");
  res.end(text);
}

/** `/health/live`: the process answers. `/health/ready`: every readiness check passes. */
export function healthRoutes(readiness: () => Promise<Readiness>): RouteTable {
  return new Map<string, RouteHandler>([
    ["/health/live", (_req, res) => sendJson(res, 200, { status: "live" })],
    [
      "/health/ready",
      async (_req, res) => {
        const r = await readiness();
        if (r.ready) sendJson(res, 200, { status: "ready", checks: r.checks });
        else sendJson(res, 503, { status: "not ready", failing: failingChecks(r), checks: r.checks });
      },
    ],
  ]);
}

/** The route for a request, if any; `/health/ready?x=1` matches `/health/ready`. */
export function matchRoute(routes: RouteTable, req: HttpRequest): RouteHandler | undefined {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return routes.get(q === -1 ? url : url.slice(0, q));
}
