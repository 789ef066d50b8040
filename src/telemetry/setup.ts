import type { ServerResponse } from "node:http";
import type { Interceptor, StreamRequest, UnaryRequest } from "@connectrpc/connect";
import { type Meter, ProxyTracerProvider, type Tracer, context, createNoopMeter } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { type Resource, defaultResource, detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { type IMetricReader, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";
import type { Logger } from "pino";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { type RpcMethodName, type SspMetrics, createNoopSspMetrics, createSspMetrics } from "./metrics.js";
import {
  batchOptionsFromEnv,
  createOtlpMetricExporter,
  createOtlpSpanExporter,
  metricExportOptionsFromEnv,
  type OtlpEnv,
  otlpFromEnv,
  samplerFromEnv,
} from "./otlp.js";
import { type MetricsRequestHandler, createPrometheusHandler, createPrometheusReader, renderPrometheus } from "./prometheus.js";
import { createRpcInterceptor } from "./rpc-interceptor.js";
import { type WithSpan, createWithSpan } from "./spans.js";

// One call sets up SSP's telemetry and returns everything the rest of the service
// needs. The providers are owned by the returned object, never registered as
// process-wide globals, so several instances can live in one process (tests, or
// one per partition later). The only global touched is the context manager
// (AsyncLocalStorage), which is what makes the active span follow awaits; it is
// stateless across instances and installed once.

export const SERVICE_NAME = "ssp";
/** The instrumentation scope of SSP's tracer and meter. */
export const SCOPE_NAME = "ssp";

export interface TelemetryOptions {
  /** Reported as the `service.version` resource attribute. */
  serviceVersion: string;
  /**
   * Create spans. Default: true when spans have somewhere to go (an OTLP endpoint
   * in the environment, or `spanExporter`). With tracing on and no exporter, spans
   * still carry the caller's trace id into the logs.
   */
  enableTracing?: boolean;
  /** Record metrics and serve /metrics. Default: true. */
  enableMetrics?: boolean;
  /** An extra span exporter (tests pass an InMemorySpanExporter); batched like OTLP. */
  spanExporter?: SpanExporter;
  /** Extra metric readers (tests, or a custom push exporter). */
  metricReaders?: IMetricReader[];
  /** RPCs whose duration series exist at zero from startup. Default: StreamProcessorService and Health. */
  rpcMethods?: RpcMethodName[];
  /** The environment to read OTEL_* from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Upper bound on shutdown's final flush, so an unreachable collector cannot hold the exit. Default 3000. */
  shutdownTimeoutMillis?: number;
}

export interface RpcInterceptorSettings {
  /** When given, the interceptor writes one log line per RPC (inside its span). */
  accessLog?: Logger;
  /** Where the request id comes from; default: the `x-request-id` request header. */
  requestId?: (req: UnaryRequest | StreamRequest) => string | undefined;
  /** Services counted in metrics but never traced. Default: grpc.health.v1.Health (probes). */
  untracedServices?: readonly string[];
}

export interface Telemetry {
  readonly tracingEnabled: boolean;
  readonly metricsEnabled: boolean;
  /** SSP's tracer (a no-op tracer when tracing is off). */
  readonly tracer: Tracer;
  /** SSP's meter (a no-op meter when metrics are off). */
  readonly meter: Meter;
  /** The typed recording API of every SSP metric family. */
  readonly metrics: SspMetrics;
  /** Runs a function in a child span of the active one; near-free with tracing off. */
  readonly withSpan: WithSpan;
  /** The Connect interceptor: server span + RPC duration (+ optional access log). */
  rpcInterceptor(settings?: RpcInterceptorSettings): Interceptor;
  /** Serves GET /metrics (Prometheus text format); 404 when metrics are off. */
  readonly prometheus: MetricsRequestHandler;
  /** The /metrics body, for tests and GetServerInfo-style callers. */
  renderMetrics(): Promise<string>;
  /** Exports what is buffered now (tests). */
  forceFlush(): Promise<void>;
  /** Flushes and stops, bounded by shutdownTimeoutMillis; never rejects. */
  shutdown(): Promise<void>;
}

export async function setupTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const env = options.env ?? process.env;
  installContextManager();
  const otlp = otlpFromEnv(env);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ "service.name": SERVICE_NAME, "service.version": options.serviceVersion }))
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults above.
    .merge(detectResources({ detectors: [envDetector] }));

  const metricsPart = (options.enableMetrics ?? true) ? await startMetrics(options, resource, otlp, env) : metricsOff();
  const tracingPart = await startTracing(options, resource, otlp, env, metricsPart.provider);
  const propagator = new W3CTraceContextPropagator();
  const spanTracer = tracingPart.provider === undefined ? undefined : tracingPart.tracer;
  const providers = [tracingPart.provider, metricsPart.provider];
  let stopped: Promise<void> | undefined;

  return {
    tracingEnabled: spanTracer !== undefined,
    metricsEnabled: metricsPart.provider !== undefined,
    tracer: tracingPart.tracer,
    meter: metricsPart.meter,
    metrics: metricsPart.metrics,
    withSpan: createWithSpan(spanTracer),
    rpcInterceptor: (settings = {}) =>
      createRpcInterceptor({
        tracer: spanTracer,
        metrics: metricsPart.metrics,
        propagator,
        ...(settings.accessLog === undefined ? {} : { accessLog: settings.accessLog }),
        ...(settings.requestId === undefined ? {} : { requestId: settings.requestId }),
        untracedServices: new Set(settings.untracedServices ?? [Health.typeName]),
      }),
    prometheus: metricsPart.prometheus,
    renderMetrics: metricsPart.render,
    async forceFlush() {
      await Promise.all(providers.map((p) => p?.forceFlush()));
    },
    shutdown() {
      const work = Promise.allSettled(providers.map((p) => p?.shutdown())).then(() => undefined);
      stopped ??= bounded(work, options.shutdownTimeoutMillis ?? 3000);
      return stopped;
    },
  };
}

interface MetricsPart {
  provider: MeterProvider | undefined;
  meter: Meter;
  metrics: SspMetrics;
  prometheus: MetricsRequestHandler;
  render(): Promise<string>;
}

/** The meter provider with the Prometheus pull reader, plus OTLP push when configured. */
async function startMetrics(options: TelemetryOptions, resource: Resource, otlp: OtlpEnv, env: NodeJS.ProcessEnv): Promise<MetricsPart> {
  const prometheusReader = createPrometheusReader();
  const readers: IMetricReader[] = [prometheusReader, ...(options.metricReaders ?? [])];
  if (otlp.metrics !== undefined) {
    const exporter = await createOtlpMetricExporter(otlp.metrics);
    readers.push(new PeriodicExportingMetricReader({ exporter, ...metricExportOptionsFromEnv(env) }));
  }
  const provider = new MeterProvider({ resource, readers });
  const meter = provider.getMeter(SCOPE_NAME, options.serviceVersion);
  const { metrics, seeds } = createSspMetrics(meter, options.rpcMethods ?? defaultRpcMethods());
  return {
    provider,
    meter,
    metrics,
    prometheus: createPrometheusHandler(prometheusReader, seeds, SCOPE_NAME),
    render: () => renderPrometheus(prometheusReader, seeds, SCOPE_NAME),
  };
}

function metricsOff(): MetricsPart {
  return {
    provider: undefined,
    meter: createNoopMeter(),
    metrics: createNoopSspMetrics(),
    prometheus: (_req, res) => void (res as ServerResponse).writeHead(404, { "content-type": "text/plain" }).end("metrics are disabled\n"),
    render: () => Promise.resolve(""),
  };
}

/**
 * The tracer provider, one batch span processor per exporter. Each has a bounded
 * queue: when it is full, spans are dropped (counted in
 * otel_sdk_processor_span_processed_total{error_type="queue_full"}), never waited on.
 */
async function startTracing(
  options: TelemetryOptions,
  resource: Resource,
  otlp: OtlpEnv,
  env: NodeJS.ProcessEnv,
  meterProvider: MeterProvider | undefined,
): Promise<{ provider: TracerProvider | undefined; tracer: Tracer }> {
  const exporters: SpanExporter[] = [];
  if (otlp.traces !== undefined) exporters.push(await createOtlpSpanExporter(otlp.traces));
  if (options.spanExporter !== undefined) exporters.push(options.spanExporter);
  if (!(options.enableTracing ?? exporters.length > 0)) {
    return { provider: undefined, tracer: new ProxyTracerProvider().getTracer(SCOPE_NAME) };
  }
  const spanProcessors = exporters.map(
    (exporter) =>
      new BatchSpanProcessor({
        exporter,
        ...batchOptionsFromEnv(env),
        ...(meterProvider === undefined ? {} : { selfObsMeterProvider: meterProvider }),
      }),
  );
  const provider = new TracerProvider({ resource, sampler: samplerFromEnv(env), spanProcessors });
  return { provider, tracer: provider.getTracer(SCOPE_NAME, options.serviceVersion) };
}

/** Every method of the services SSP serves, for the zero-valued RPC series. */
export function defaultRpcMethods(): RpcMethodName[] {
  return [StreamProcessorService, Health].flatMap((service) =>
    service.methods.map((method) => ({ service: service.typeName, method: method.name })),
  );
}

function installContextManager(): void {
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  // false: another instance (or the application) installed one already; keep it.
  if (!context.setGlobalContextManager(manager)) manager.disable();
}

function bounded(work: Promise<void>, millis: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, millis);
    timer.unref();
    void work.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
