import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { type Attributes, ValueType } from "@opentelemetry/api";
import { hrTime } from "@opentelemetry/core";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type Histogram,
  type HistogramMetricData,
  type MetricData,
  type MetricReader,
  type ResourceMetrics,
  type ScopeMetrics,
  type SumMetricData,
} from "@opentelemetry/sdk-metrics";
import type { FamilySeed } from "./metrics.js";

// GET /metrics in the Prometheus text format, served on SSP's own port (the
// integrator mounts the handler as a plain route). The official exporter is used
// as a pull reader only (it never opens its own port), and its serializer writes
// the text, after one fix-up: the SDK exports nothing for an instrument that has
// not recorded yet, so the seeded families are added (histograms with zero
// series, counters with their HELP/TYPE lines), keeping every family present from
// startup. Then every name gets its unit as a suffix when it lacks one
// (`rpc.server.duration`, in ms, becomes `rpc_server_duration_milliseconds`), as
// OpenTelemetry's Prometheus compatibility rules ask and the JS exporter does
// not do; SSP's own families already end in their unit and keep their names.

/** Accepts both node:http and node:http2 compat request/response pairs. */
export type MetricsRequestHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A metric reader for the handler; add it to the MeterProvider's readers. */
export function createPrometheusReader(): PrometheusExporter {
  return new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
}

/** Collects `reader` and renders the Prometheus text exposition. */
export async function renderPrometheus(
  reader: MetricReader,
  seeds: readonly FamilySeed[],
  scopeName: string,
): Promise<string> {
  const { resourceMetrics } = await reader.collect();
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  return serializer.serialize(withUnitSuffixes(withSeededFamilies(resourceMetrics, seeds, scopeName)));
}

export function createPrometheusHandler(
  reader: MetricReader,
  seeds: readonly FamilySeed[],
  scopeName: string,
): MetricsRequestHandler {
  return (req, res) => {
    const response = res as ServerResponse;
    if (req.method !== "GET" && req.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
      response.end("method not allowed\n");
      return;
    }
    renderPrometheus(reader, seeds, scopeName).then(
      (text) => {
        response.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE });
        response.end(req.method === "HEAD" ? undefined : text);
      },
      (err: unknown) => {
        response.writeHead(500, { "content-type": "text/plain" });
        response.end(`# failed to collect metrics: ${String(err)}\n`);
      },
    );
  };
}

/** Adds every seeded family, and every seeded histogram series at zero, the SDK did not export. */
export function withSeededFamilies(
  resourceMetrics: ResourceMetrics,
  seeds: readonly FamilySeed[],
  scopeName: string,
): ResourceMetrics {
  const now = hrTime();
  const scopes = [...resourceMetrics.scopeMetrics];
  let index = scopes.findIndex((s) => s.scope.name === scopeName);
  if (index < 0) index = scopes.push({ scope: { name: scopeName }, metrics: [] }) - 1;
  const scope = scopes[index] as ScopeMetrics;
  const metrics: MetricData[] = [...scope.metrics];
  for (const seed of seeds) {
    const at = metrics.findIndex((m) => m.descriptor.name === seed.name);
    if (seed.kind === "counter") {
      if (at < 0) metrics.push(emptyCounter(seed.name, seed.description));
      continue;
    }
    const existing = at >= 0 ? (metrics[at] as HistogramMetricData) : undefined;
    const points = existing ? [...existing.dataPoints] : [];
    const present = new Set(points.map((p) => attributesKey(p.attributes)));
    for (const attributes of seed.series) {
      if (!present.has(attributesKey(attributes))) points.push(zeroPoint(attributes, seed.boundaries, now));
    }
    const filled: HistogramMetricData = existing
      ? { ...existing, dataPoints: points }
      : {
          descriptor: { name: seed.name, description: seed.description, unit: seed.unit, valueType: ValueType.DOUBLE },
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints: points,
        };
    if (at >= 0) metrics[at] = filled;
    else metrics.push(filled);
  }
  scopes[index] = { ...scope, metrics };
  return { ...resourceMetrics, scopeMetrics: scopes };
}

/** Prometheus suffixes of the UCUM units in use; other units add none. */
const UNIT_SUFFIXES: Readonly<Record<string, string>> = {
  s: "seconds",
  ms: "milliseconds",
  us: "microseconds",
  ns: "nanoseconds",
  By: "bytes",
};

/** The Prometheus name of an instrument: its name, with its unit's suffix unless it already ends in it. */
export function prometheusName(name: string, unit: string): string {
  const suffix = UNIT_SUFFIXES[unit];
  if (suffix === undefined) return name;
  return name.replace(/[^A-Za-z0-9_:]/g, "_").endsWith(`_${suffix}`) ? name : `${name}_${suffix}`;
}

export function withUnitSuffixes(resourceMetrics: ResourceMetrics): ResourceMetrics {
  return {
    ...resourceMetrics,
    scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map((metric) => {
        const name = prometheusName(metric.descriptor.name, metric.descriptor.unit);
        return name === metric.descriptor.name ? metric : { ...metric, descriptor: { ...metric.descriptor, name } };
      }),
    })),
  };
}

function emptyCounter(name: string, description: string): SumMetricData {
  return {
    descriptor: { name, description, unit: "", valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: [],
  };
}

function zeroPoint(attributes: Attributes, boundaries: readonly number[], now: [number, number]): DataPoint<Histogram> {
  return {
    startTime: now,
    endTime: now,
    attributes,
    value: { buckets: { boundaries: [...boundaries], counts: new Array<number>(boundaries.length + 1).fill(0) }, sum: 0, count: 0 },
  };
}

function attributesKey(attributes: Attributes): string {
  return JSON.stringify(Object.keys(attributes).sort().map((k) => [k, attributes[k]]));
}
