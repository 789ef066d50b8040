import type { PushMetricExporter } from "@opentelemetry/sdk-metrics";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  type BatchSpanProcessorOptions,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace";

// The standard OTEL_* environment variables, read here because SSP builds its own
// providers instead of starting the NodeSDK (which would install process-wide
// globals). The exporters themselves read their endpoint, headers, timeout,
// compression and certificates from the environment.

export type OtlpProtocol = "grpc" | "http/protobuf" | "http/json";

/** Where and how one signal is exported. */
export interface OtlpTarget {
  protocol: OtlpProtocol;
  /** The full URL (for HTTP, with the signal's path, e.g. `/v1/traces`). */
  url: string;
}

export interface OtlpEnv {
  /** Set when traces go to a collector. */
  traces?: OtlpTarget;
  /** Set when metrics go to a collector. */
  metrics?: OtlpTarget;
}

/**
 * Which signals go over OTLP, where and how. Nothing is exported unless an OTLP
 * endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT, or the per-signal
 * OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT); OTEL_SDK_DISABLED=true and
 * OTEL_{TRACES,METRICS}_EXPORTER=none turn it off.
 */
export function otlpFromEnv(env: NodeJS.ProcessEnv): OtlpEnv {
  if (flag(env.OTEL_SDK_DISABLED)) return {};
  const result: OtlpEnv = {};
  const traces = signalTarget(env, "TRACES", env.OTEL_TRACES_EXPORTER);
  const metrics = signalTarget(env, "METRICS", env.OTEL_METRICS_EXPORTER);
  if (traces !== undefined) result.traces = traces;
  if (metrics !== undefined) result.metrics = metrics;
  return result;
}

// The URL is passed explicitly (it may come from an `env` other than
// process.env); headers, timeout, compression and TLS are read by the exporters.
export async function createOtlpSpanExporter({ protocol, url }: OtlpTarget): Promise<SpanExporter> {
  switch (protocol) {
    case "grpc":
      return new (await import("@opentelemetry/exporter-trace-otlp-grpc")).OTLPTraceExporter({ url });
    case "http/json":
      return new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter({ url });
    case "http/protobuf":
      return new (await import("@opentelemetry/exporter-trace-otlp-proto")).OTLPTraceExporter({ url });
  }
}

export async function createOtlpMetricExporter({ protocol, url }: OtlpTarget): Promise<PushMetricExporter> {
  switch (protocol) {
    case "grpc":
      return new (await import("@opentelemetry/exporter-metrics-otlp-grpc")).OTLPMetricExporter({ url });
    case "http/json":
      return new (await import("@opentelemetry/exporter-metrics-otlp-http")).OTLPMetricExporter({ url });
    case "http/protobuf":
      return new (await import("@opentelemetry/exporter-metrics-otlp-proto")).OTLPMetricExporter({ url });
  }
}

/** OTEL_BSP_*: the batch span processor's bounded queue and timings. */
export function batchOptionsFromEnv(env: NodeJS.ProcessEnv): Omit<BatchSpanProcessorOptions, "exporter"> {
  return {
    scheduledDelayMillis: positiveInt(env, "OTEL_BSP_SCHEDULE_DELAY", 5000),
    exportTimeoutMillis: positiveInt(env, "OTEL_BSP_EXPORT_TIMEOUT", 30000),
    maxQueueSize: positiveInt(env, "OTEL_BSP_MAX_QUEUE_SIZE", 2048),
    maxExportBatchSize: positiveInt(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512),
  };
}

/** OTEL_METRIC_EXPORT_INTERVAL / _TIMEOUT for the periodic OTLP metric reader. */
export function metricExportOptionsFromEnv(env: NodeJS.ProcessEnv): { exportIntervalMillis: number; exportTimeoutMillis: number } {
  const exportIntervalMillis = positiveInt(env, "OTEL_METRIC_EXPORT_INTERVAL", 60000);
  const exportTimeoutMillis = Math.min(positiveInt(env, "OTEL_METRIC_EXPORT_TIMEOUT", 30000), exportIntervalMillis);
  return { exportIntervalMillis, exportTimeoutMillis };
}

/** OTEL_TRACES_SAMPLER / _ARG; default parentbased_always_on. */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const ratio = (): number => {
    const arg = Number(env.OTEL_TRACES_SAMPLER_ARG ?? "1");
    return Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1;
  };
  switch ((env.OTEL_TRACES_SAMPLER ?? "parentbased_always_on").trim().toLowerCase()) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return new TraceIdRatioBasedSampler(ratio());
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function signalTarget(env: NodeJS.ProcessEnv, signal: "TRACES" | "METRICS", exporter: string | undefined): OtlpTarget | undefined {
  if (exporter !== undefined && exporter.split(",").map((s) => s.trim()).includes("none")) return undefined;
  const protocol = (env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf").trim();
  const specific = env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim();
  const general = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!specific && !general) return undefined;
  if (protocol !== "grpc" && protocol !== "http/protobuf" && protocol !== "http/json") {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not an OTLP protocol (grpc, http/protobuf or http/json)`);
  }
  // Spec: a per-signal endpoint is used as is; the general one gets the signal's
  // path appended for HTTP (gRPC uses the endpoint as is).
  if (specific) return { protocol, url: specific };
  const base = (general ?? "").replace(/\/+$/, "");
  return { protocol, url: protocol === "grpc" ? base : `${base}/v1/${signal.toLowerCase()}` };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${raw} is not a positive integer`);
  return value;
}

function flag(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "true";
}
