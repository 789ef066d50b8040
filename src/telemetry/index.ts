// SSP telemetry: OpenTelemetry traces and metrics, Prometheus /metrics, pino logs.
// Start with `setupTelemetry`; README.md beside this file shows the wiring.

export {
  type RpcInterceptorSettings,
  SCOPE_NAME,
  SERVICE_NAME,
  type Telemetry,
  type TelemetryOptions,
  defaultRpcMethods,
  setupTelemetry,
} from "./setup.js";
export {
  type EdgeOperation,
  type GaugeSource,
  type GaugeSources,
  type IngestOp,
  type RpcMethodName,
  type SspMetrics,
  EDGE_OPERATIONS,
  INGEST_DURATION_BUCKETS_SECONDS,
  INGEST_OPS,
  METRIC_EDGE_OPERATIONS_TOTAL,
  METRIC_INGEST_DURATION,
  METRIC_INGEST_TOTAL,
  METRIC_OUTBOX_PENDING,
  METRIC_PARSER_AVAILABLE,
  METRIC_PARSER_RESTARTS_TOTAL,
  METRIC_SNAPSHOT_DURATION,
  METRIC_STALE_INGESTS_TOTAL,
  METRIC_VIEWS_ACTIVE,
  METRIC_WATCH_STREAMS_ACTIVE,
  RPC_DURATION_BUCKETS_MS,
  SNAPSHOT_DURATION_BUCKETS_SECONDS,
} from "./metrics.js";
export {
  METRIC_CONNECTIONS_OPEN,
  METRIC_CONNECTIONS_REFUSED_TOTAL,
  type TransportMetrics,
  createTransportMetrics,
} from "./transport-metrics.js";
export { type MetricsRequestHandler, PROMETHEUS_CONTENT_TYPE } from "./prometheus.js";
export { NOOP_SPAN, type WithSpan, activeTraceIds, addSpanEvent } from "./spans.js";
export {
  BODY_FIELDS,
  type LogFields,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  REDACTED_PATHS,
  createLogger,
  loggerOptionsFromEnv,
} from "./logger.js";
export * from "./semconv.js";
