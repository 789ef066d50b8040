/**
 * The SSP server: Connect handlers for StreamProcessorService and
 * grpc.health.v1.Health plus plain HTTP routes, on one port, for every protocol
 * (gRPC, gRPC-Web, Connect; HTTP/1.1 and HTTP/2).
 *
 * Interceptors, outermost first: request id → [extra interceptors, e.g.
 * telemetry] → access log → auth → error mapping. Telemetry sits outside the
 * access log and auth so that rejected calls get a span and a duration too, and
 * the access log line carries the span's trace id.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import type { Config } from "../config.js";
import { accessLogInterceptor } from "./access-log.js";
import { authInterceptor } from "./auth.js";
import type { Core, Readiness } from "./core.js";
import { recodeDecodeErrors } from "./decode-errors.js";
import { errorMappingInterceptor } from "./errors.js";
import { healthService } from "./health-service.js";
import { healthRoutes, matchRoute, sendJson, type HttpRequest, type HttpResponse, type RouteHandler } from "./http-routes.js";
import { DEFAULT_MAX_BATCH_CHANGES } from "./request-limits.js";
import { listen } from "./listener.js";
import { evaluateReadiness } from "./readiness.js";
import { REQUEST_ID_HEADER, requestIdInterceptor, resolveRequestId } from "./request-id.js";
import { sspService } from "./ssp-service.js";
import { sspVersion } from "./version.js";

/** What the server needs from the configuration. */
export type ServerConfig = Pick<Config, "listen" | "authSecret" | "shutdownTimeoutMs"> & Partial<Pick<Config, "maxBatchChanges">>;

export interface ServerOptions {
  /** Placed right after the request id, around everything else (telemetry's span interceptor goes here). */
  readonly interceptors?: readonly Interceptor[];
  /** Extra plain routes by exact path, e.g. `/metrics`. */
  readonly routes?: ReadonlyMap<string, RouteHandler>;
  /** How often grpc health Watch re-checks readiness (default 1000 ms). */
  readonly healthWatchIntervalMs?: number;
  /** A readiness check slower than this counts as failing (default 2000 ms). */
  readonly readinessTimeoutMs?: number;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, for clients. */
  readonly url: string;
  /** Adds (or replaces) a plain route; takes effect for the next request. */
  addRoute(path: string, handler: RouteHandler): void;
  readiness(): Promise<Readiness>;
  /**
   * Graceful stop: readiness turns false, open streams end with UNAVAILABLE
   * "server shutting down", in-flight calls finish (bounded by
   * shutdownTimeoutMs), then connections close. Idempotent. Does not close the core.
   */
  close(): Promise<{ drained: boolean }>;
}

export async function startServer(
  config: ServerConfig,
  core: Core,
  logger: Logger,
  options: ServerOptions = {},
): Promise<RunningServer> {
  let draining = false;
  const shutdown = new AbortController();
  const readiness = () =>
    evaluateReadiness({ core, isDraining: () => draining, timeoutMs: options.readinessTimeoutMs ?? 2000 });

  const rpc = connectNodeAdapter({
    grpc: true,
    grpcWeb: true,
    connect: true,
    shutdownSignal: shutdown.signal,
    // Protobuf's JSON rule, not connect's lenient default: a field the contract
    // does not have is a mistake (`{"change": …}` sent to IngestBatch would
    // otherwise be an empty batch), answered INVALID_ARGUMENT naming the field.
    jsonOptions: { ignoreUnknownFields: false },
    requestGate: recodeDecodeErrors,
    interceptors: [
      requestIdInterceptor(),
      ...(options.interceptors ?? []),
      accessLogInterceptor(logger),
      authInterceptor(config.authSecret, [Health.typeName]),
      errorMappingInterceptor(logger),
    ],
    routes(router) {
      router.service(StreamProcessorService, sspService({
          core,
          version: sspVersion(),
          startedAt: Date.now(),
          limits: { maxBatchChanges: config.maxBatchChanges ?? DEFAULT_MAX_BATCH_CHANGES },
        }));
      router.service(Health, healthService({ readiness, watchIntervalMs: options.healthWatchIntervalMs ?? 1000 }));
    },
  });

  const routes = new Map<string, RouteHandler>([...healthRoutes(readiness), ...(options.routes ?? [])]);

  const handle = (req: HttpRequest, res: HttpResponse): void => {
    // Resolved here, not only in the interceptor, so every response carries it:
    // plain routes, errors and successes alike.
    const requestId = resolveRequestId(req.headers[REQUEST_ID_HEADER]);
    req.headers[REQUEST_ID_HEADER] = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const route = matchRoute(routes, req);
    if (route === undefined) {
      rpc(req, res);
      return;
    }
    Promise.resolve()
      .then(() => route(req, res))
      .catch((err: unknown) => {
        logger.error({ err, request_id: requestId, path: req.url }, "route failed");
        if (!res.headersSent) sendJson(res, 500, { error: `internal error (request id ${requestId})` });
        else res.end();
      });
  };

  const listener = await listen({ host: config.listen.host, port: config.listen.port, handler: handle, logger });
  let closing: Promise<{ drained: boolean }> | undefined;
  const urlHost = listener.host.includes(":") ? `[${listener.host}]` : listener.host;

  return {
    host: listener.host,
    port: listener.port,
    url: `http://${urlHost}:${listener.port}`,
    addRoute: (path, handler) => void routes.set(path, handler),
    readiness,
    close() {
      closing ??= (async () => {
        draining = true;
        shutdown.abort(new ConnectError("server shutting down", Code.Unavailable));
        const result = await listener.close(config.shutdownTimeoutMs);
        if (!result.drained) {
          logger.warn({ timeout_ms: config.shutdownTimeoutMs }, "shutdown timeout: closed connections with calls still in flight");
        }
        return result;
      })();
      return closing;
    },
  };
}
