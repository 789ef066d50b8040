/**
 * The SSP server: Connect handlers for StreamProcessorService,
 * grpc.health.v1.Health and server reflection, plus plain HTTP routes, on one port, for every protocol
 * (gRPC, gRPC-Web, Connect; HTTP/1.1 and HTTP/2).
 *
 * Reflection (grpc.reflection v1 and v1alpha) serves the schema of every
 * service routed here, from gen/; it is behind the credential unless
 * `reflectionPublic` (SSP_REFLECTION_PUBLIC=1).
 *
 * Auth is Connect's request gate (auth.ts): it runs on the headers, before
 * the body is read, so a call it turns away never reaches the interceptors; the
 * gate's wrapper here writes its access-log line and reports it to
 * `onGateRejected` (telemetry counts it). The gate names the caller (the
 * service, or a subscriber and its client id); the handlers authorize each
 * call with that (authorize.ts) before doing any work.
 *
 * CORS (cors.ts, SSP_CORS_ORIGINS) runs on every request at the HTTP layer,
 * before routing and the gate, and answers preflights itself.
 *
 * Interceptors, outermost first: request id → [extra interceptors, e.g.
 * telemetry] → access log → error mapping. Telemetry sits outside the access
 * log so that the access log line carries the span's trace id.
 *
 * Limits (README, "Limits"): `maxMessageBytes` is Connect's readMaxBytes, which
 * bounds each request message both as it arrives and after decompression
 * (zlib's maxOutputLength), answering RESOURCE_EXHAUSTED; the listener applies
 * the timeouts and connection limits; the health service caps its watchers.
 */
import { Code, ConnectError, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import type { SubscriberTokenVerifier } from "../auth/index.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { DEFAULT_LIMITS, type Config, type TransportLimits } from "../config.js";
import { accessLogInterceptor } from "./access-log.js";
import { corsHandler } from "./cors.js";
import { requireService } from "./authorize.js";
import { authGate, type RequestGate } from "./auth.js";
import type { Core, Readiness } from "../core/index.js";
import { recodeDecodeErrors } from "./decode-errors.js";
import { detailErrorsOnAbort, withErrorDetails } from "./error-details.js";
import { errorMappingInterceptor } from "./errors.js";
import { grpcCodeName } from "./grpc-code.js";
import { healthService } from "./health-service.js";
import { REFLECTION_SERVICES, reflectionV1Service, reflectionV1alphaService } from "./reflection-service.js";
import { healthRoutes, matchRoute, sendJson, type HttpRequest, type HttpResponse, type RouteHandler } from "./http-routes.js";
import { DEFAULT_MAX_BATCH_CHANGES } from "./request-limits.js";
import { listen } from "./listener.js";
import { evaluateReadiness } from "./readiness.js";
import { REQUEST_ID_HEADER, requestIdInterceptor, resolveRequestId } from "./request-id.js";
import { schemaIndex } from "./schema-index.js";
import { sspService } from "./ssp-service.js";
import { sspVersion } from "./version.js";

/** What the server needs from the configuration; limits not given take their defaults, reflection is private unless said. */
export type ServerConfig = Pick<Config, "listen" | "authSecret" | "shutdownTimeoutMs"> &
  Partial<Pick<Config, "maxBatchChanges" | "reflectionPublic" | "corsOrigins">> & {
    readonly limits?: Partial<TransportLimits>;
  };

export interface ServerOptions {
  /** Placed right after the request id, around everything else (telemetry's span interceptor goes here). */
  readonly interceptors?: readonly Interceptor[];
  /** Extra plain routes by exact path, e.g. `/metrics`. */
  readonly routes?: ReadonlyMap<string, RouteHandler>;
  /** How often grpc health Watch re-checks readiness (default 1000 ms). */
  readonly healthWatchIntervalMs?: number;
  /** A readiness check slower than this counts as failing (default 2000 ms). */
  readonly readinessTimeoutMs?: number;
  /** A call the request gate (auth) turned away before it reached the interceptors. */
  readonly onGateRejected?: (service: string, method: string, code: Code, milliseconds: number) => void;
  /** Checks bearer tokens that are not the service secret as subscriber tokens; without it only the secret is accepted. */
  readonly subscriberTokens?: SubscriberTokenVerifier;
  /** A connection closed as soon as it was accepted, because the connection cap was reached. */
  readonly onConnectionRefused?: () => void;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, for clients. */
  readonly url: string;
  /** Adds (or replaces) a plain route; takes effect for the next request. */
  addRoute(path: string, handler: RouteHandler): void;
  readiness(): Promise<Readiness>;
  /** Open connections (counted against the connection cap). */
  connections(): number;
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
  const limits: TransportLimits = { ...DEFAULT_LIMITS, ...config.limits };
  const shutdown = new AbortController();
  const readiness = () =>
    evaluateReadiness({ core, isDraining: () => draining, timeoutMs: options.readinessTimeoutMs ?? 2000 });

  const schema = schemaIndex([StreamProcessorService, Health, ...REFLECTION_SERVICES]);
  const exempt = [Health.typeName, ...(config.reflectionPublic === true ? REFLECTION_SERVICES.map((s) => s.typeName) : [])];
  const gate = reportRejections(authGate(config.authSecret, exempt, options.subscriberTokens), logger, options.onGateRejected);
  const rpc = connectNodeAdapter({
    grpc: true,
    grpcWeb: true,
    connect: true,
    shutdownSignal: shutdown.signal,
    readMaxBytes: limits.maxMessageBytes,
    // Protobuf's JSON rule, not connect's lenient default: a field the contract
    // does not have is a mistake (`{"change": …}` sent to IngestBatch would
    // otherwise be an empty batch), answered INVALID_ARGUMENT naming the field.
    jsonOptions: { ignoreUnknownFields: false },
    // Decode errors are re-coded first, whatever the auth gate then decides.
    requestGate: async (ctx) => {
      detailErrorsOnAbort(ctx);
      recodeDecodeErrors(ctx);
      await gate(ctx);
    },
    interceptors: [
      requestIdInterceptor(),
      ...(options.interceptors ?? []),
      accessLogInterceptor(logger),
      errorMappingInterceptor(logger),
    ],
    routes(router) {
      router.service(
        StreamProcessorService,
        sspService({
          core,
          version: sspVersion(),
          startedAt: Date.now(),
          limits: { maxBatchChanges: config.maxBatchChanges ?? DEFAULT_MAX_BATCH_CHANGES },
        }),
      );
      router.service(
        Health,
        healthService({ readiness, watchIntervalMs: options.healthWatchIntervalMs ?? 1000, maxWatchers: limits.maxHealthWatchers }),
      );
      const [v1, v1alpha] = REFLECTION_SERVICES;
      // Private reflection is for the service credential: a subscriber token may not read the schema.
      const authorize = config.reflectionPublic === true ? undefined : (ctx: HandlerContext) => requireService(ctx, "ServerReflectionInfo");
      router.service(v1, reflectionV1Service(schema, authorize));
      router.service(v1alpha, reflectionV1alphaService(schema, authorize));
    },
  });

  const routes = new Map<string, RouteHandler>([...healthRoutes(readiness), ...(options.routes ?? [])]);
  const cors = corsHandler(config.corsOrigins ?? []);

  const handle = (req: HttpRequest, res: HttpResponse): void => {
    // Resolved here, not only in the interceptor, so every response carries it:
    // plain routes, errors and successes alike.
    const requestId = resolveRequestId(req.headers[REQUEST_ID_HEADER]);
    req.headers[REQUEST_ID_HEADER] = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    // Before routing and before the gate: a preflight carries no credential.
    if (cors?.(req, res) === "answered") return;
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

  const listener = await listen({
    host: config.listen.host,
    port: config.listen.port,
    handler: handle,
    logger,
    limits,
    ...(options.onConnectionRefused === undefined ? {} : { onConnectionRefused: options.onConnectionRefused }),
  });
  let closing: Promise<{ drained: boolean }> | undefined;
  const urlHost = listener.host.includes(":") ? `[${listener.host}]` : listener.host;

  return {
    host: listener.host,
    port: listener.port,
    url: `http://${urlHost}:${listener.port}`,
    addRoute: (path, handler) => void routes.set(path, handler),
    readiness,
    connections: () => listener.connections(),
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

/**
 * The gate, with the access-log line and the report the interceptors would
 * have written for a call it turns away. The line carries the request id the
 * HTTP layer resolved; never the authorization header.
 */
function reportRejections(gate: RequestGate, logger: Logger, onRejected: ServerOptions["onGateRejected"]): RequestGate {
  return async (context: HandlerContext) => {
    const started = performance.now();
    try {
      await gate(context);
    } catch (thrown) {
      const err = withErrorDetails(ConnectError.from(thrown), thrown);
      const { code, rawMessage } = err;
      const milliseconds = performance.now() - started;
      logger.info(
        {
          method: `${context.service.typeName}/${context.method.name}`,
          code: grpcCodeName(code),
          // The gate's own message: it says why, and never holds the token.
          reason: rawMessage,
          duration_ms: Math.round(milliseconds * 1000) / 1000,
          request_id: context.requestHeader.get(REQUEST_ID_HEADER) ?? undefined,
        },
        "rpc",
      );
      onRejected?.(context.service.typeName, context.method.name, code, milliseconds);
      throw err;
    }
  };
}
