import { Code, ConnectError, type Interceptor, type StreamResponse, type UnaryRequest, type StreamRequest } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
  type Tracer,
  context,
  trace,
} from "@opentelemetry/api";
import type { Logger } from "pino";
import type { SspMetrics } from "./metrics.js";
import {
  ATTR_RPC_GRPC_STATUS_CODE,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  ATTR_SSP_REQUEST_ID,
  ATTR_SSP_STREAM_MESSAGES_SENT,
  RPC_SYSTEM_GRPC,
} from "./semconv.js";

// The Connect interceptor behind every RPC's telemetry: one SERVER span per call
// (per stream for streaming RPCs, ended when the stream ends), continuing the
// caller's trace from `traceparent`; the RPC duration histogram; and, when given a
// logger, one access-log line per RPC written inside the span (so it carries the
// trace id). The handler runs inside the span's context, so `withSpan` children
// and log lines nest under it across awaits. With tracing off, the handler runs in
// the caller's remote context instead, so logs still carry the caller's trace id.

export interface RpcInterceptorOptions {
  /** Tracer for the server spans; undefined turns tracing off (metrics stay). */
  tracer: Tracer | undefined;
  metrics: SspMetrics;
  /** Extracts the caller's context from request headers (W3C trace context). */
  propagator: TextMapPropagator;
  /** When given, one line per RPC: method, code, duration_ms, request_id. */
  accessLog?: Logger;
  /** Where the request id comes from; default: the `x-request-id` header. */
  requestId?: (req: UnaryRequest | StreamRequest) => string | undefined;
  /** Services whose calls get metrics but no span (health probes would flood traces). */
  untracedServices?: ReadonlySet<string>;
}

/** gRPC codes that are the server's fault: these set span status ERROR (OTel semconv). */
const SERVER_FAULT_CODES: ReadonlySet<Code> = new Set([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

export function createRpcInterceptor(options: RpcInterceptorOptions): Interceptor {
  const { tracer, metrics, propagator, accessLog } = options;
  const untraced = options.untracedServices ?? new Set<string>();
  const requestIdOf = options.requestId ?? ((req) => req.header.get("x-request-id") ?? undefined);

  const spanAttributes = (req: UnaryRequest | StreamRequest): Attributes => {
    const attributes: Attributes = {
      [ATTR_RPC_SYSTEM]: RPC_SYSTEM_GRPC,
      [ATTR_RPC_SERVICE]: req.service.typeName,
      [ATTR_RPC_METHOD]: req.method.name,
    };
    const requestId = requestIdOf(req);
    if (requestId !== undefined) attributes[ATTR_SSP_REQUEST_ID] = requestId;
    return attributes;
  };

  return (next) => async (req) => {
    const started = performance.now();
    const service = req.service.typeName;
    const method = req.method.name;
    // Extracted even with tracing off: the caller's trace id then still reaches
    // SSP's log lines (through the remote span context), at the cost of one parse.
    const parent = propagator.extract(ROOT_CONTEXT, req.header, headerGetter);
    const span = untraced.has(service)
      ? undefined
      : tracer?.startSpan(`${service}/${method}`, { kind: SpanKind.SERVER, attributes: spanAttributes(req) }, parent);
    const callContext = span === undefined ? parent : trace.setSpan(parent, span);

    let finished = false;
    const finish = (err: unknown, messagesSent?: number): void => {
      if (finished) return;
      finished = true;
      const code: number = err === undefined ? 0 : ConnectError.from(err).code;
      const milliseconds = performance.now() - started;
      metrics.recordRpc(service, method, code, milliseconds);
      if (span !== undefined) endServerSpan(span, code, err, messagesSent);
      if (accessLog !== undefined) {
        context.with(callContext, () => {
          const fields = {
            request_id: requestIdOf(req),
            rpc_method: `${service}/${method}`,
            code: code === 0 ? "OK" : codeToString(code as Code).toUpperCase(),
            duration_ms: Math.round(milliseconds * 1000) / 1000,
          };
          if (SERVER_FAULT_CODES.has(code as Code)) accessLog.error(fields, "rpc failed");
          else accessLog.info(fields, "rpc");
        });
      }
    };

    let res;
    try {
      res = await context.with(callContext, () => next(req));
    } catch (err) {
      finish(err);
      throw err;
    }
    if (!res.stream) {
      finish(undefined);
      return res;
    }
    let sent = 0;
    const onAbort = (): void => finish(req.signal.reason ?? new ConnectError("stream cancelled", Code.Canceled), sent);
    req.signal.addEventListener("abort", onAbort, { once: true });
    const stream: StreamEvents = {
      sent: () => void (sent += 1),
      ended: (err) => {
        req.signal.removeEventListener("abort", onAbort);
        finish(err, sent);
      },
    };
    return { ...res, message: traceStream(res.message, callContext, req.signal, stream) } satisfies StreamResponse;
  };
}

function endServerSpan(span: Span, code: number, err: unknown, messagesSent: number | undefined): void {
  span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, code);
  if (messagesSent !== undefined) span.setAttribute(ATTR_SSP_STREAM_MESSAGES_SENT, messagesSent);
  if (SERVER_FAULT_CODES.has(code as Code)) {
    const message = ConnectError.from(err).rawMessage;
    if (err instanceof Error) span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  }
  span.end();
}

/** What the stream wrapper reports: each message sent, and how the stream ended (once). */
interface StreamEvents {
  sent(): void;
  ended(err: unknown): void;
}

/**
 * Wraps a server stream so each step of the handler's generator runs in the
 * call's context, and reports each message sent and how the stream ended:
 * completed, failed, or stopped early by the consumer.
 */
function traceStream<T>(
  messages: AsyncIterable<T>,
  callContext: Context,
  signal: AbortSignal,
  events: StreamEvents,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const inner = context.with(callContext, () => messages[Symbol.asyncIterator]());
      return {
        async next() {
          try {
            const step = await context.with(callContext, () => inner.next());
            if (step.done === true) events.ended(undefined);
            else events.sent();
            return step;
          } catch (err) {
            events.ended(err);
            throw err;
          }
        },
        async return(value?: unknown) {
          try {
            const step = await context.with(callContext, () => inner.return?.(value));
            return step ?? { done: true, value: undefined };
          } finally {
            events.ended(signal.aborted ? signal.reason : new ConnectError("stream stopped by the consumer", Code.Canceled));
          }
        },
      };
    },
  };
}
